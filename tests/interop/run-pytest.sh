#!/usr/bin/env bash
# Runs one interop test file with the project's venv (scripts/setup-python.sh makes it).
# Exits 77, which ctest reports as "skipped", when the venv does not exist.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -x "$root/.venv/bin/python" ]; then
    echo "interop: $root/.venv is missing; run scripts/setup-python.sh" >&2
    exit 77
fi
exec "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
