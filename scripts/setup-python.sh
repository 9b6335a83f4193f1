#!/usr/bin/env bash
# Creates .venv with the Python peers plexus is tested against: the stock Scaler 1.9.9 client and
# workers (CPython 3.10-3.12, because of its pinned pycapnp 2.0.0) and pytest. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
REQUIREMENTS=tests/interop/requirements.txt

if [ -x "$VENV/bin/python" ] && cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
    exit 0
fi
python=""
for candidate in python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "setup-python: scaler 1.9.9 needs CPython 3.10-3.12; none found" >&2
    exit 1
fi
rm -rf "$VENV"
"$python" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
cp "$REQUIREMENTS" "$VENV/.requirements"
