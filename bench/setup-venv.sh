#!/usr/bin/env bash
# Creates .venv-bench at the repository root with the current release of dask[distributed], the
# peer bench/python/dask_bench.py measures plexus against. Idempotent: an existing venv in which
# distributed imports is kept as it is (delete .venv-bench, or set UPGRADE=1, to take the newest
# release again). Exits non-zero, with pip's reason on stderr, when it cannot install (offline).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV="$ROOT/.venv-bench"

if [[ ${UPGRADE:-0} != 1 && -x "$VENV/bin/python" ]] &&
    "$VENV/bin/python" -c 'import distributed' 2>/dev/null; then
    exit 0
fi
python=""
for candidate in python3 python3.13 python3.12 python3.11 python3.10; do
    # distributed supports the maintained CPython releases, 3.10 and newer.
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [[ -z $python ]]; then
    echo "setup-venv: dask needs CPython 3.10 or newer; none found" >&2
    exit 1
fi
[[ -x "$VENV/bin/python" ]] || "$python" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --upgrade "dask[distributed]"
