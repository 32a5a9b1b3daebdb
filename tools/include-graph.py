#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lists the #include edges between molt's source folders and fails on what the layout forbids.

    tools/include-graph.py [--root DIR] [--edges] [--files]

Reads every .c/.h file of the project (not build directories, not test/), resolves each
#include "..." against the project root and then the including file's folder, and checks:

  * no cycle between folders (a folder is where a file sits: control/slot, common/rpc, ...);
  * no cycle between files (a .c and its .h count as one module);
  * no file includes another folder's private header (*_priv.h).

Prints the folder graph (one line per folder: what it includes), then one line per problem.
Exits 0 when there is none, 1 otherwise. --edges also prints every file-level edge.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SKIP_DIRS = {'.git', 'test', 'subprojects'}


def sources(root):
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and not d.startswith('build') and not d.startswith('.'))
        for f in sorted(filenames):
            if f.endswith(('.c', '.h')):
                yield os.path.normpath(os.path.join(rel, f))


def resolve(root, src, name):
    for base in ('', os.path.dirname(src)):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def module(path):
    # a .c and its .h are one module: foo.c including foo.h is not an edge
    return os.path.splitext(path)[0]


def sccs(graph):
    """Tarjan's strongly connected components; returns those with a cycle."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    ap.add_argument('--edges', action='store_true', help='print every file-level edge too')
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    folder_graph, module_graph, problems = {}, {}, []
    for src in sources(root):
        with open(os.path.join(root, src), encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        for name in INCLUDE.findall(text):
            dst = resolve(root, src, name)
            if dst is None:
                problems.append(f'{src}: includes "{name}", which is not a file of the project')
                continue
            if args.edges:
                print(f'edge {src} -> {dst}')
            sf, df = os.path.dirname(src), os.path.dirname(dst)
            if sf != df:
                folder_graph.setdefault(sf, set()).add(df)
                if dst.endswith('_priv.h'):
                    problems.append(f'{src}: includes {dst}, a private header of another folder')
            folder_graph.setdefault(sf, set())
            ms, md = module(src), module(dst)
            if ms != md:
                module_graph.setdefault(ms, set()).add(md)

    for folder in sorted(folder_graph):
        deps = ', '.join(sorted(folder_graph[folder])) or '(nothing)'
        print(f'{folder + "/":24s} -> {deps}')
    for comp in sccs(folder_graph):
        problems.append('folder cycle: ' + ' <-> '.join(comp))
    for comp in sccs(module_graph):
        problems.append('file cycle: ' + ' <-> '.join(c + '.[ch]' for c in comp))

    for p in problems:
        print('PROBLEM ' + p)
    print(f'include-graph: {len(folder_graph)} folders, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
