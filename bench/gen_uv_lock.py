#!/usr/bin/env python3
"""Writes a uv.lock of N registry packages (default 5,000) under one virtual workspace member,
each depending on up to four later ones through an edge marker, to time the lock reader:

    python3 bench/gen_uv_lock.py /tmp/lockbench/uv.lock
    /usr/bin/time -f '%e s %M KiB' build/cli/pinwatch deps -r /tmp/lockbench/uv.lock --json \
        --python-version 3.11 >/dev/null

Deterministic for a given N (seeded)."""
import os
import random
import sys


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "uv.lock"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(1)
    out = ['version = 1', 'revision = 2', 'requires-python = ">=3.11"', '',
           '[[package]]', 'name = "app"', 'version = "0.1.0"', 'source = { virtual = "." }',
           'dependencies = [']
    out += [f'    {{ name = "pkg{i}" }},' for i in range(min(100, n))]
    out += [']', '']
    for i in range(n):
        out += ['[[package]]', f'name = "pkg{i}"', f'version = "1.{i % 50}.{i % 7}"',
                'source = { registry = "https://pypi.org/simple" }']
        deps = [j for j in rng.sample(range(n), min(4, n)) if j > i]
        if deps:
            out.append('dependencies = [')
            out += [f'    {{ name = "pkg{j}", marker = "sys_platform == \'linux\'" }},' for j in deps]
            out.append(']')
        out.append(f'sdist = {{ url = "https://files.pythonhosted.org/packages/pkg{i}-1.0.tar.gz", '
                   f'hash = "sha256:{"0" * 64}", size = 1234 }}')
        out.append('')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
