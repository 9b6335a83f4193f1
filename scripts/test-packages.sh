#!/usr/bin/env bash
# The CI test of the packages. As root, on a Debian machine:
#   1. builds the .deb and .rpm packages (scripts/package.sh) and checks their contents
#      (tests/packaging/check-contents.sh: files, conffiles, %config, scripts, dependencies);
#   2. installs plexus and plexus-dev with apt-get;
#   3. runs a job on the installed binary with the installed configs: a scheduler (the installed
#      scheduler.yaml with port 0), a worker (the installed worker.yaml, as the plexus user), the
#      installed Monte-Carlo pi client; then `plexus up` with the installed local.yaml;
#   4. checks `plexus plugins` lists tcp and capnp with their ABI;
#   5. builds examples/custom-transport and examples/task-library against the installed SDK
#      (find_package(plexus)) and runs their tests;
#   6. checks edited conffiles survive a reinstall and a remove, then purges (apt-get purge) and
#      checks nothing is left.
# Everything it starts is stopped, and whatever it installed or created is removed, on every exit.
#
# Environment: PLEXUS_PACKAGE_BUILD_DIR (default build-packages-test),
# PLEXUS_PACKAGE_BUILD_TYPE (default RelWithDebInfo, the main build's type, so a build after
# scripts/build.sh is mostly compiler-cache hits).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

START=$(date +%s)
step() { echo "== test-packages [$(($(date +%s) - START))s]: $*"; }
fail() {
    echo "test-packages: FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root: it installs and purges the plexus packages"
# A plexus already on the machine would be replaced and then purged. On a CI machine (CI=true,
# disposable) a leftover install, e.g. from an earlier run that was killed before its cleanup, is
# purged first; on anyone else's machine the test refuses to touch it.
for package in plexus-dev plexus; do
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed\|config-files"; then
        [ "${CI:-}" = true ] ||
            fail "the package $package is already on this machine; this test installs and purges it, so remove it first (apt-get purge $package), or run with CI=true to let it do so"
        echo "test-packages: CI=true: purging the $package already installed on this machine" >&2
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null 2>&1 ||
            fail "could not purge the $package already installed on this machine"
    fi
done

WORK=$(mktemp -d /tmp/plexus-test-packages.XXXXXX)
chmod 755 "$WORK"
PIDS=()
USER_EXISTED=0
getent passwd plexus >/dev/null && USER_EXISTED=1
GROUP_EXISTED=0
getent group plexus >/dev/null && GROUP_EXISTED=1
INSTALLING=0

cleanup() {
    local status=$?
    set +e
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    if [ "$INSTALLING" = 1 ]; then
        for package in plexus-dev plexus; do
            if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "installed\|config-files"; then
                DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null 2>&1
            fi
        done
    fi
    # The postinst creates the plexus system user and Debian keeps it on purge; a CI machine
    # gets back what it had.
    if [ "$USER_EXISTED" = 0 ] && getent passwd plexus >/dev/null; then userdel plexus >/dev/null 2>&1; fi
    if [ "$GROUP_EXISTED" = 0 ] && getent group plexus >/dev/null; then groupdel plexus >/dev/null 2>&1; fi
    rm -rf "$WORK"
    if [ "$status" -ne 0 ]; then echo "test-packages: failed (exit $status)" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $2 seconds for file $1 to exist and be non-empty.
wait_for_file() {
    for _ in $(seq $(($2 * 10))); do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
# Stops a process started here (SIGTERM) and fails unless it exits with status 0 within 20 s.
stop() {
    local pid=$1 name=$2 log=$3
    kill -TERM "$pid" 2>/dev/null || fail "$name (pid $pid) died early: $(tail -5 "$log")"
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "$name (pid $pid) did not stop within 20 s of SIGTERM"
    local code=0
    wait "$pid" || code=$?
    [ "$code" -eq 0 ] || fail "$name exited with status $code after SIGTERM: $(tail -5 "$log")"
}

# ---- 1. build and inspect --------------------------------------------------------------------
step "building the packages"
export PLEXUS_PACKAGE_BUILD_DIR=${PLEXUS_PACKAGE_BUILD_DIR:-build-packages-test}
export PLEXUS_PACKAGE_BUILD_TYPE=${PLEXUS_PACKAGE_BUILD_TYPE:-RelWithDebInfo}
scripts/package.sh >"$WORK/package.log" 2>&1 || { tail -30 "$WORK/package.log"; fail "scripts/package.sh failed"; }
sed -n '/^packages:$/,$p' "$WORK/package.log"
PKGDIR=$(realpath "$PLEXUS_PACKAGE_BUILD_DIR")

step "checking package contents"
tests/packaging/check-contents.sh "$PKGDIR"

# ---- 2. install ------------------------------------------------------------------------------
step "installing plexus and plexus-dev with apt-get"
INSTALLING=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade \
    "$PKGDIR"/plexus_*.deb "$PKGDIR"/plexus-dev_*.deb >"$WORK/apt.log" 2>&1 ||
    { tail -20 "$WORK/apt.log"; fail "apt-get install of the packages failed"; }
LIBDIR=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
[ -x /usr/bin/plexus ] || fail "/usr/bin/plexus is not installed"
for config in scheduler worker local; do
    [ -f /etc/plexus/$config.yaml ] || fail "/etc/plexus/$config.yaml is not installed"
done
getent passwd plexus >/dev/null || fail "the postinst did not create the plexus user"
[ "$(getent passwd plexus | cut -d: -f3)" -lt 1000 ] || fail "the plexus user is not a system user"
for unit in plexus-scheduler.service plexus-worker@.service; do
    [ -f /usr/lib/systemd/system/$unit ] || fail "$unit is not installed"
    [ ! -e /etc/systemd/system/multi-user.target.wants/$unit ] || fail "$unit was enabled by the install"
done
if command -v systemd-analyze >/dev/null; then
    # Offline check of the unit files (no running systemd needed).
    systemd-analyze verify /usr/lib/systemd/system/plexus-scheduler.service \
        /usr/lib/systemd/system/plexus-worker@1.service >"$WORK/verify.log" 2>&1 ||
        { cat "$WORK/verify.log"; fail "systemd-analyze verify rejects the units"; }
fi
plexus --version | grep -q "^plexus " || fail "plexus --version does not run"

# ---- 3. a job on the installed binary and configs --------------------------------------------
step "running a scheduler and a worker from the installed configs"
RUN=$WORK/run
mkdir "$RUN"
chown plexus:plexus "$RUN"
# The installed scheduler.yaml binds 127.0.0.1:2345; this copy asks for any free port instead.
sed 's#tcp://127\.0\.0\.1:2345#tcp://127.0.0.1:0#' /etc/plexus/scheduler.yaml >"$RUN/scheduler.yaml"
grep -q 'tcp://127.0.0.1:0' "$RUN/scheduler.yaml" || fail "/etc/plexus/scheduler.yaml does not bind tcp://127.0.0.1:2345"
# Both run as the plexus user, as the systemd units run them.
setpriv --reuid=plexus --regid=plexus --init-groups \
    /usr/bin/plexus scheduler --config "$RUN/scheduler.yaml" --address-file "$RUN/address" \
    >"$WORK/scheduler.log" 2>&1 &
PIDS+=($!)
SCHEDULER=$!
wait_for_file "$RUN/address" 20 || fail "the scheduler wrote no address within 20 s: $(tail -5 "$WORK/scheduler.log")"
ADDRESS=$(head -1 "$RUN/address")
setpriv --reuid=plexus --regid=plexus --init-groups \
    /usr/bin/plexus worker --config /etc/plexus/worker.yaml --scheduler-address "$ADDRESS" \
    >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
WORKER=$!

step "running the installed pi client against $ADDRESS"
timeout 120 "$LIBDIR/plexus/examples/plexus_example_pi" "$ADDRESS" >"$WORK/pi.log" 2>&1 ||
    { cat "$WORK/pi.log"; tail -5 "$WORK/scheduler.log" "$WORK/worker.log"; fail "the pi job failed"; }
grep -q '^pi ~= 3\.1' "$WORK/pi.log" || fail "the pi job printed no estimate of pi: $(cat "$WORK/pi.log")"
cat "$WORK/pi.log"
stop "$WORKER" worker "$WORK/worker.log"
stop "$SCHEDULER" scheduler "$WORK/scheduler.log"

step "plexus up with the installed local.yaml"
timeout 120 /usr/bin/plexus up --config /etc/plexus/local.yaml -- "$LIBDIR/plexus/examples/plexus_example_pi" \
    >"$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log"; fail "plexus up --config /etc/plexus/local.yaml failed"; }
grep -q '^pi ~= 3\.1' "$WORK/up.log" || fail "plexus up ran no pi job: $(tail -5 "$WORK/up.log")"

# ---- 4. plexus plugins -----------------------------------------------------------------------
step "plexus plugins"
/usr/bin/plexus plugins >"$WORK/plugins.log" 2>&1 || { cat "$WORK/plugins.log"; fail "plexus plugins reports unloadable plugins"; }
cat "$WORK/plugins.log"
grep -qE '^  transport +tcp +[^ ]+ +ABI [0-9]+\.[0-9]+ ' "$WORK/plugins.log" || fail "plexus plugins does not list the tcp transport with its ABI"
grep -qE '^  codec +capnp +[^ ]+ +ABI [0-9]+\.[0-9]+ ' "$WORK/plugins.log" || fail "plexus plugins does not list the capnp codec with its ABI"
grep -qF "$LIBDIR/plexus/plugins:" "$WORK/plugins.log" || fail "plexus plugins does not search $LIBDIR/plexus/plugins"

# ---- 5. the SDK: out-of-tree examples --------------------------------------------------------
export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=true
for example in custom-transport task-library; do
    step "building examples/$example against the installed SDK"
    # Only the installed plexus is visible: no path into this checkout's build trees.
    cmake -S "examples/$example" -B "$WORK/$example" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        >"$WORK/$example.log" 2>&1 || { cat "$WORK/$example.log"; fail "configuring examples/$example failed"; }
    grep -q "plexus_DIR:PATH=$LIBDIR/cmake/plexus" "$WORK/$example/CMakeCache.txt" ||
        fail "examples/$example did not find the installed plexus ($(grep plexus_DIR "$WORK/$example/CMakeCache.txt"))"
    cmake --build "$WORK/$example" -j "$(nproc)" >>"$WORK/$example.log" 2>&1 ||
        { tail -40 "$WORK/$example.log"; fail "building examples/$example failed"; }
    step "testing examples/$example"
    ctest --test-dir "$WORK/$example" -j "$(nproc)" --output-on-failure --timeout 300 >"$WORK/$example-test.log" 2>&1 ||
        { tail -60 "$WORK/$example-test.log"; fail "the tests of examples/$example failed"; }
    tail -3 "$WORK/$example-test.log" | grep -v '^$'
done
grep -q 'Uds/TransportSuite' "$WORK/custom-transport-test.log" || fail "the uds transport did not run the conformance suite"
grep -q 'UdsJob' "$WORK/custom-transport-test.log" || fail "the uds job test did not run"

# ---- 6. conffiles, remove, purge -------------------------------------------------------------
step "conffiles across a reinstall and a remove, then purge"
echo "# local change (test-packages)" >>/etc/plexus/scheduler.yaml
dpkg -i "$PKGDIR"/plexus_*.deb >"$WORK/reinstall.log" 2>&1 || { cat "$WORK/reinstall.log"; fail "reinstalling plexus failed"; }
grep -q "local change (test-packages)" /etc/plexus/scheduler.yaml || fail "a reinstall overwrote the edited /etc/plexus/scheduler.yaml"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq plexus-dev plexus >"$WORK/remove.log" 2>&1 ||
    { cat "$WORK/remove.log"; fail "apt-get remove failed"; }
[ ! -e /usr/bin/plexus ] || fail "/usr/bin/plexus is still there after remove"
[ -f /etc/plexus/worker.yaml ] || fail "remove (not purge) deleted the conffiles"
# Back again (the conffiles are still the edited ones), then the purge that removes everything.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade \
    "$PKGDIR"/plexus_*.deb "$PKGDIR"/plexus-dev_*.deb >>"$WORK/apt.log" 2>&1 ||
    { tail -20 "$WORK/apt.log"; fail "installing the packages again after remove failed"; }
grep -q "local change (test-packages)" /etc/plexus/scheduler.yaml || fail "reinstalling after remove overwrote the edited /etc/plexus/scheduler.yaml"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq plexus plexus-dev >"$WORK/purge.log" 2>&1 ||
    { cat "$WORK/purge.log"; fail "apt-get purge failed"; }
[ ! -e /etc/plexus ] || fail "/etc/plexus is still there after purge: $(ls -A /etc/plexus)"
[ ! -e /usr/bin/plexus ] || fail "/usr/bin/plexus is still there after purge"
for left in /usr/include/plexus "$LIBDIR/plexus" "$LIBDIR/cmake/plexus" /usr/share/plexus \
    /usr/lib/systemd/system/plexus-scheduler.service "$LIBDIR/libplexus-core.so.0"; do
    [ ! -e "$left" ] || fail "$left is still there after purge"
done
dpkg-query -W -f='${Status}' plexus 2>/dev/null | grep -q "installed\|config-files" && fail "dpkg still knows plexus after purge"
INSTALLING=0

step "all package tests passed"
