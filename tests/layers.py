#!/usr/bin/env python3
"""The layers check (make layers): which source file calls which, read
from the built objects with nm, and the rules the layout keeps.

  python3 tests/layers.py [-v] superd: A.o B.o ... supertab: C.o ...

Each program's objects are resolved on their own, as the linker does:
a symbol a file uses (nm -u) belongs to the file of that program that
defines it (nm -g --defined-only); libc's are ignored.  Any use counts,
a call or a global variable read or written.  The rules:
  1. no cycle between files: if A uses B, B never uses A, directly or
     through others (a file using itself is fine);
  2. the leaves (log.c logtext.c addr.c timer.c fd.c pid.c proxyhdr.c,
     those that exist) use no other superd file but log.c, logtext.c (log.c's
     quoting, which uses none) and fd.c (which uses none: where a
     long-lived descriptor is made, log.c's and pid.c's too, fd_high
     moves it up);
  3. nothing uses the tops (superd.c, supertab.c): they hold main();
  4. with --map HEADER (make layers gives superd.h): the header's drawing
     of the files ("The files, and which may call which", one file a
     line) lists every file of the first program, and a file uses only
     files listed after it in the drawing, so the drawing stays true.
It prints each broken rule with the edges that break it (file -> file:
symbols) and exits 1; with -v it first prints the graph, each file with
its layer (0 uses no other file, each file sits above those it uses)
and the files it uses.
"""

import subprocess
import sys

LEAVES = ("log.c", "logtext.c", "addr.c", "timer.c", "fd.c", "pid.c",
    "proxyhdr.c")
LEAF_MAY_USE = ("log.c", "logtext.c", "fd.c")
TOPS = ("superd.c", "supertab.c")


def nm(args, obj):
    """The symbol names nm prints for obj with args."""
    out = subprocess.run(["nm"] + args + [obj], check=True,
        capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


MAP_TITLE = "The files, and which may call which"


def read_map(header):
    """The files the header's drawing lists, in its order."""
    order, inside = [], False
    with open(header) as f:
        for line in f:
            if MAP_TITLE in line:
                inside = True
            elif inside and line.strip() == "*/":
                break
            elif inside:
                w = line.split()
                if len(w) >= 2 and w[0] == "*" and w[1].endswith(".c") \
                        and line.startswith(" *     "):
                    order.append(w[1])
    if not order:
        sys.exit("layers: no drawing of the files in %s" % header)
    return order


def parse_args(argv):
    """-v, --map and the groups 'prog: objects...' from the command line."""
    verbose = False
    header = None
    groups = {}
    cur = None
    argv = list(argv)
    while argv:
        a = argv.pop(0)
        if a == "-v":
            verbose = True
        elif a == "--map" and argv:
            header = argv.pop(0)
        elif a.endswith(":"):
            cur = groups.setdefault(a[:-1], [])
        elif cur is None:
            sys.exit("layers: an object before any 'program:'")
        elif a not in cur:
            cur.append(a)
    if not groups:
        sys.exit("usage: layers.py [-v] [--map HEADER] prog: a.o b.o ... "
            "[prog: ...]")
    return verbose, header, groups


def edges_of(objs):
    """{(from.c, to.c): set(symbols)} for one program's objects."""
    owner = {}
    for o in objs:
        for s in nm(["-g", "--defined-only"], o):
            owner.setdefault(s, o)
    edges = {}
    for o in objs:
        for s in nm(["-u"], o):
            d = owner.get(s)
            if d is None or d == o:
                continue
            key = (src(o), src(d))
            edges.setdefault(key, set()).add(s)
    return edges


def src(obj):
    """The source file an object is built from: serve.o is serve.c."""
    return obj[:-2] + ".c" if obj.endswith(".o") else obj


def sccs(nodes, succ):
    """Tarjan's strongly connected components, each a sorted list."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def heights(nodes, succ):
    """Each file's layer: 0 for a file using no other, else one more
    than the highest file it uses; the files of a cycle share one."""
    comp_of = {}
    comps = sccs(nodes, succ)
    for n, comp in enumerate(comps):
        for v in comp:
            comp_of[v] = n
    # Tarjan's finds a component after every component it reaches
    h = {}
    for n, comp in enumerate(comps):
        below = [h[comp_of[w]] for v in comp for w in succ.get(v, ())
            if comp_of[w] != n]
        h[n] = 1 + max(below) if below else 0
    return {v: h[comp_of[v]] for v in nodes}


def cycles(comp, succ):
    """The shortest cycle through each edge of comp, each once, as paths
    from their least file: what to break to break the component."""
    inside = set(comp)
    seen, out = set(), []
    for a in comp:
        for b in sorted(succ.get(a, ())):
            if b not in inside:
                continue
            # the shortest path from b back to a, breadth first
            prev, queue = {b: None}, [b]
            while queue and a not in prev:
                v = queue.pop(0)
                for w in sorted(succ.get(v, ())):
                    if w in inside and w not in prev:
                        prev[w] = v
                        queue.append(w)
            path, v = [], a
            while v is not None:
                path.append(v)
                v = prev[v]
            path = [a] + path[::-1][:-1] if b != a else [a]
            i = path.index(min(path))
            path = path[i:] + path[:i]
            if tuple(path) not in seen:
                seen.add(tuple(path))
                out.append(path)
    return sorted(out, key=lambda p: (len(p), p))


def show(edge, syms):
    return "  %s -> %s: %s" % (edge[0], edge[1], " ".join(sorted(syms)))


def main():
    verbose, header, groups = parse_args(sys.argv[1:])
    edges = {}
    nodes = set()
    for objs in groups.values():
        nodes.update(src(o) for o in objs)
        for k, v in edges_of(objs).items():
            edges.setdefault(k, set()).update(v)
    succ = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)

    if verbose:
        print("layer, file: the files it uses (nm on the objects of %s)" %
            ", ".join(groups))
        h = heights(nodes, succ)
        for v in sorted(nodes, key=lambda v: (-h[v], v)):
            print("%2d %-12s %s" % (h[v], v + ":", " ".join(sorted(
                succ.get(v, ()))) or "-"))
        print()

    bad = 0
    for comp in sccs(nodes, succ):
        if len(comp) < 2:
            continue
        bad += 1
        print("layers: a cycle between %s:" % " ".join(comp))
        for path in cycles(comp, succ):
            print("  " + " -> ".join(path + [path[0]]))
        print(" the uses inside it:")
        for e in sorted(edges):
            if e[0] in comp and e[1] in comp:
                print(show(e, edges[e]))
    for e in sorted(edges):
        if e[0] in LEAVES and e[1] not in LEAF_MAY_USE:
            bad += 1
            print("layers: the leaf %s uses %s:" % e)
            print(show(e, edges[e]))
        if e[1] in TOPS:
            bad += 1
            print("layers: %s uses the top %s:" % e)
            print(show(e, edges[e]))
    if header is not None:
        order = read_map(header)
        at = {v: i for i, v in enumerate(order)}
        first = [src(o) for o in next(iter(groups.values()))]
        for v in sorted(set(first) - set(at)):
            bad += 1
            print("layers: %s is not in %s's drawing of the files" %
                (v, header))
        for e in sorted(edges):
            if e[0] in at and e[1] in at and at[e[0]] > at[e[1]]:
                bad += 1
                print("layers: %s uses %s, listed before it in %s:" %
                    (e[0], e[1], header))
                print(show(e, edges[e]))
    if bad:
        print("layers: %d rule%s broken (the rules: tests/layers.py)" %
            (bad, "" if bad == 1 else "s"))
        return 1
    if verbose:
        print("layers: no cycle, the leaves use only log.c, logtext.c, "
            "fd.c, nothing uses the tops%s" % (", every file uses only "
            "files after it in %s" % header if header else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
