#!/usr/bin/env python3
"""Lists the functions longer than N lines (default 100) in the C++ sources, longest first.

A function is a definition that starts at column 0 (clang-formatted code) and ends at the next
"}" in column 0; class bodies, namespaces and enums are skipped. Usage:
    scripts/long-functions.py [--max N] [DIR...]     (default: every source folder but tests)
"""
import os
import re
import sys

SKIP = re.compile(r"^(namespace|struct|class|enum|union|extern|using|template|typedef|#|//|/\*|\})")


def functions(path):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line and not line[0].isspace() and not SKIP.match(line) and "(" in line:
            # The signature may run over several lines; the body opens with "{" at its end.
            j = i
            while j < len(lines) and not lines[j].rstrip().endswith("{"):
                if lines[j].rstrip().endswith(";") or (j > i and lines[j] and not lines[j][0].isspace()):
                    break
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{"):
                k = j + 1
                while k < len(lines) and not lines[k].startswith("}"):
                    k += 1
                name = re.sub(r"\s+", " ", " ".join(l.strip() for l in lines[i : j + 1]))
                name = name.split("(")[0].split()[-1] if "(" in name else name
                yield name, i + 1, k - i + 1
                i = k + 1
                continue
        i += 1


def main():
    args = sys.argv[1:]
    limit = 100
    if args[:1] == ["--max"]:
        limit = int(args[1])
        args = args[2:]
    roots = args or ["cli", "common", "config", "model", "net", "notifiers", "packaging", "watcher"]
    found = []
    for root in roots:
        for folder, _, files in os.walk(root):
            for f in files:
                if f.endswith((".cpp", ".hpp")):
                    p = os.path.join(folder, f)
                    for name, line, n in functions(p):
                        if n > limit:
                            found.append((n, p, line, name))
    for n, p, line, name in sorted(found, reverse=True):
        print(f"{n:4d}  {p}:{line}  {name}")
    print(f"{len(found)} function(s) over {limit} lines")


if __name__ == "__main__":
    main()
