#!/usr/bin/env python3
"""Checks that plexus's schema copies have exactly the wire layout of Scaler 1.9.9's.

Usage: compare_layout.py <scaler-schema-dir>
  e.g. mkdir /tmp/s && for f in message common status; do
         git -C <scaler-repo> show v1.9.9:scaler/protocol/capnp/$f.capnp > /tmp/s/$f.capnp; done
       compare_layout.py /tmp/s

Both sets are compiled with `capnp compile -ocapnp`, which annotates every field with its
position ("ptr[n]", "bits[a, b)", "union tag = n") and every struct with its size. The output
is flattened to one line per struct, field and enumerant, keyed by its full path, with IDs and
annotations dropped (they never reach the wire), and compared. Exit status 0 means identical.
"""
import pathlib
import re
import subprocess
import sys

FILES = ("message", "common", "status")


def layout(schema_dir: pathlib.Path, name: str) -> list:
    text = subprocess.run(
        ["capnp", "compile", "-ocapnp", f"--src-prefix={schema_dir}", "-I", str(schema_dir),
         str(schema_dir / f"{name}.capnp")],
        check=True, capture_output=True, text=True).stdout
    lines, stack = [], []
    for raw in text.splitlines():
        s = re.sub(r"\s*@0x[0-9a-f]+", "", raw).strip()
        if not s or s.startswith(("#", "$", "using")) or s == ";":
            continue
        m = re.match(r"(struct|enum) (\w+)\s*\{\s*(#.*)?$", s)
        if m:
            stack.append(m.group(2))
            lines.append(f"{'.'.join(stack)} {m.group(1)} {m.group(3) or ''}")
            continue
        m = re.match(r"union\s*\{\s*(#.*)?$", s)
        if m:
            stack.append("<union>")
            lines.append(f"{'.'.join(stack)} {m.group(1)}")
            continue
        if s == "}":
            stack.pop()
            continue
        lines.append(f"{'.'.join(stack)} :: {s}")
    return sorted(lines)


def main() -> int:
    scaler = pathlib.Path(sys.argv[1]).resolve()
    ours = pathlib.Path(__file__).resolve().parent
    ok = True
    for name in FILES:
        theirs, mine = layout(scaler, name), layout(ours, name)
        fields = sum(1 for line in theirs if "ptr[" in line or "bits[" in line)
        if theirs == mine:
            print(f"{name}.capnp: identical ({len(theirs)} entries, {fields} placed fields)")
            continue
        ok = False
        print(f"{name}.capnp: DIFFERENT")
        for line in sorted(set(theirs) ^ set(mine)):
            print(("  scaler only: " if line in theirs else "  plexus only: ") + line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
