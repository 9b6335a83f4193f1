#!/usr/bin/env bash
# Checks the packages scripts/package.sh made, without installing them: file lists, conffiles,
# maintainer scripts and dependencies of the .deb pair and the .rpm pair.
#   tests/packaging/check-contents.sh <folder with the packages>
# Needs dpkg-deb and rpm. Exits non-zero with a message naming the first problem.
set -euo pipefail

DIR=${1:?usage: check-contents.sh <folder with the packages>}
fail() { echo "check-contents: FAIL: $*" >&2; exit 1; }
# has <listing> <path>...: each path must be a line of the listing.
has() {
    local listing=$1; shift
    for path in "$@"; do grep -qxF -- "$path" <<<"$listing" || fail "$path is missing from $CURRENT"; done
}
# lacks <listing> <regex>: no line of the listing may match.
lacks() {
    if grep -qE -- "$2" <<<"$1"; then fail "$CURRENT must not contain $(grep -E -- "$2" <<<"$1" | head -1)"; fi
}
one() {
    local matches=("$DIR"/$1)
    [ ${#matches[@]} -eq 1 ] && [ -f "${matches[0]}" ] || fail "expected exactly one $1 in $DIR"
    echo "${matches[0]}"
}

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
LIB=/usr/lib/$MA
DEB=$(one 'plexus_*.deb')
DEV=$(one 'plexus-dev_*.deb')
RPM=$(one 'plexus-[0-9]*.rpm')
RPMDEV=$(one 'plexus-devel-*.rpm')
VERSION=$(dpkg-deb -f "$DEB" Version)

# ---- .deb -----------------------------------------------------------------------------------
CURRENT=$(basename "$DEB")
files=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's#^\.##; s#/$##')
has "$files" /usr/bin/plexus "$LIB/libplexus-core.so.${VERSION}" "$LIB/libplexus-core.so.${VERSION%%.*}" \
    "$LIB/plexus/plugins/plexus_transport_tcp.so" "$LIB/plexus/plugins/plexus_codec_capnp.so" \
    /etc/plexus/scheduler.yaml /etc/plexus/worker.yaml /etc/plexus/local.yaml \
    /usr/lib/systemd/system/plexus-scheduler.service /usr/lib/systemd/system/plexus-worker@.service \
    "$LIB/plexus/examples/libplexus_example_pi_tasks.so" "$LIB/plexus/examples/plexus_example_pi"
lacks "$files" '^/usr/include|/cmake/|libplexus-core\.so$|/share/plexus/testing|test_|bench'
[ "$(dpkg-deb -f "$DEB" Package)" = plexus ] || fail "$CURRENT: package name is not plexus"
conffiles=$(dpkg-deb -I "$DEB" conffiles) || fail "$CURRENT has no conffiles"
[ "$(sort <<<"$conffiles")" = "$(printf '/etc/plexus/%s.yaml\n' local scheduler worker)" ] ||
    fail "$CURRENT conffiles are: $conffiles"
for script in postinst prerm postrm; do
    dpkg-deb -I "$DEB" "$script" >/dev/null 2>&1 || fail "$CURRENT has no $script"
done
dpkg-deb -I "$DEB" postinst | grep -q 'adduser --system' || fail "$CURRENT postinst does not create the plexus user"
depends=$(dpkg-deb -f "$DEB" Depends)
# The library packages' names carry their soname versions: match the stem.
for dep in 'adduser' 'libc6' 'libstdc\+\+6' 'libyaml-cpp[0-9]' 'libspdlog[0-9]' 'libfmt[0-9]'; do
    grep -qE "(^|, )$dep" <<<"$depends" || fail "$CURRENT Depends lacks $dep: $depends"
done
echo "ok  $CURRENT  Depends: $depends"

CURRENT=$(basename "$DEV")
files=$(dpkg-deb -c "$DEV" | awk '{print $6}' | sed 's#^\.##; s#/$##')
has "$files" /usr/include/plexus/client.h /usr/include/plexus/transport.h /usr/include/plexus/plugin_abi.h \
    /usr/include/plexus/version.h "$LIB/libplexus-core.so" \
    "$LIB/cmake/plexus/plexusConfig.cmake" "$LIB/cmake/plexus/plexusConfigVersion.cmake" \
    "$LIB/cmake/plexus/plexusTargets.cmake" "$LIB/cmake/plexus/PlexusPlugin.cmake" \
    "$LIB/cmake/plexus/PlexusTesting.cmake" \
    /usr/share/plexus/testing/conformance/transport_suite.h /usr/share/plexus/testing/conformance/transport_suite.cpp \
    /usr/share/plexus/testing/conformance/codec_suite.h /usr/share/plexus/testing/conformance/codec_suite.cpp \
    /usr/share/plexus/testing/support/test_support.h /usr/share/plexus/testing/support/test_support.cpp
lacks "$files" '^/usr/bin|libplexus-core\.so\.|^/etc|/plugins/'
depends=$(dpkg-deb -f "$DEV" Depends)
for dep in "plexus (= $VERSION)" libyaml-cpp-dev libspdlog-dev libfmt-dev libexpected-dev; do
    grep -qF "$dep" <<<"$depends" || fail "$CURRENT Depends lacks '$dep': $depends"
done
echo "ok  $CURRENT  Depends: $depends"

# ---- .rpm -----------------------------------------------------------------------------------
rpmq() { rpm -qp "$@" 2>/dev/null; }
CURRENT=$(basename "$RPM")
files=$(rpmq -l "$RPM")
has "$files" /usr/bin/plexus "$LIB/libplexus-core.so.${VERSION%%.*}" \
    "$LIB/plexus/plugins/plexus_transport_tcp.so" "$LIB/plexus/plugins/plexus_codec_capnp.so" \
    /etc/plexus/scheduler.yaml /etc/plexus/worker.yaml /etc/plexus/local.yaml \
    /usr/lib/systemd/system/plexus-scheduler.service /usr/lib/systemd/system/plexus-worker@.service
lacks "$files" '^/usr/lib/\.build-id|^/usr/include|^/etc$|^/usr/lib/systemd$|^/usr/lib/systemd/system$|^'"$LIB"'$'
configs=$(rpmq -c "$RPM")
[ "$(sort <<<"$configs")" = "$(printf '/etc/plexus/%s.yaml\n' local scheduler worker)" ] ||
    fail "$CURRENT %config files are: $configs"
# %config(noreplace): flags c (config) and n (noreplace).
rpmq --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$RPM" |
    awk '$1 ~ /^\/etc\/plexus\/.*\.yaml$/ && $2 != "cn" {bad=1} END {exit bad}' ||
    fail "$CURRENT: a config is not %config(noreplace)"
[ "$(rpmq --qf '%{PREFIXES}' "$RPM")" = "(none)" ] || fail "$CURRENT is relocatable"
requires=$(rpmq --requires "$RPM")
for req in '^libyaml-cpp\.so\.' '^libspdlog\.so\.' '^libstdc\+\+\.so\.6' '^shadow-utils'; do
    grep -qE "$req" <<<"$requires" || fail "$CURRENT Requires lacks $req"
done
rpmq --scripts "$RPM" | grep -q useradd || fail "$CURRENT has no %pre creating the plexus user"
echo "ok  $CURRENT  Requires: $(grep -v '^rpmlib(' <<<"$requires" | tr '\n' ' ')"

CURRENT=$(basename "$RPMDEV")
files=$(rpmq -l "$RPMDEV")
has "$files" /usr/include/plexus/client.h "$LIB/libplexus-core.so" "$LIB/cmake/plexus/plexusConfig.cmake" \
    /usr/share/plexus/testing/conformance/transport_suite.cpp
requires=$(rpmq --requires "$RPMDEV")
grep -qF "plexus = $VERSION" <<<"$requires" || fail "$CURRENT does not require plexus = $VERSION"
echo "ok  $CURRENT  Requires: $(grep -v '^rpmlib(' <<<"$requires" | tr '\n' ' ')"
