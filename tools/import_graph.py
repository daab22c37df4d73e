#!/usr/bin/env python3
"""Lists the `crate::` edges between the modules of one daemon and checks
that they form no cycle (issue 11: no two modules of a daemon import each
other, directly or around a loop; only the top uses everything).

Usage: tools/import_graph.py [DIR]   (default dhcp6s)

A module is a file of DIR (main.rs is the crate root, `main`); files in a
subdirectory belong to the module of that name (dhcp6s/tests/store.rs is
`tests`). An edge A -> B is any `crate::B` path in A's file, `use` or not,
test code included; `crate::x` where x is not a module is an item of the
root, an edge to `main`. Prints the edges, then a topological order, and
exits 0; on a cycle prints it and exits 1.
"""
import os
import re
import sys


def modules(d):
    mods = {}
    for root, _, files in os.walk(d):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, d)
            parts = rel.split(os.sep)
            name = parts[0][:-3] if len(parts) == 1 else parts[0]
            mods.setdefault(name, []).append(path)
    return mods


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def edges(mods):
    out = set()
    for name, paths in mods.items():
        for p in paths:
            text = strip_comments(open(p, encoding="utf-8").read())
            targets = re.findall(r"\bcrate::([A-Za-z_][A-Za-z0-9_]*)", text)
            for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
                targets += re.findall(r"(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)", group)
            for t in targets:
                target = t if t in mods else "main"
                if target != name:
                    out.add((name, target))
    return sorted(out)


def find_cycle(nodes, es):
    succ = {n: [b for a, b in es if a == n] for n in nodes}
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in succ[n]:
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        state[n] = 2
        stack.pop()
        return None

    for n in nodes:
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "dhcp6s"
    mods = modules(d)
    es = edges(mods)
    for a, b in es:
        print(f"{a} -> {b}")
    cycle = find_cycle(sorted(mods), es)
    if cycle:
        print("cycle: " + " -> ".join(cycle))
        return 1
    # Leaves first: each module after everything it uses.
    order, done = [], set()
    while len(order) < len(mods):
        for n in sorted(mods):
            if n not in done and all(b in done for a, b in es if a == n):
                order.append(n)
                done.add(n)
    print("acyclic; leaves first: " + " ".join(order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
