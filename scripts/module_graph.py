#!/usr/bin/env python3
"""Lists, for each module of a Rust source folder, the sibling modules it uses, and checks
that this graph has no cycle.

Usage: scripts/module_graph.py src/ui [src/ui/panes ...]

A folder's modules are its `x.rs` files and `x/` folders (a folder's files, `x.rs` beside
it included, count as module `x`); its `mod.rs` is the module `mod`. A use of a sibling is
any path `super::x`, `self::x` (in mod.rs), `crate::a::b::x` or `super::super::x` that
resolves to the sibling `x`, in a `use` or inline; a path to an item of the folder's own
module (`super::Item` from a sibling) is a use of `mod`, and `mod.rs` uses a child it names
(`x::f`). `mod x;` declarations are not
uses. Test code (`#[cfg(test)] mod tests { ... }` to the end of a file, and files under a
`tests` module) is left out: tests may drive the keys and draw the screen together.
Exits 1 when a folder's graph has a cycle.
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b((?:crate|super|self)(?:::(?:[A-Za-z_][A-Za-z0-9_]*|\{[^;]*?\}))+)", re.S)


def module_path(src_root, file):
    rel = file.relative_to(src_root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def expand(path):
    """`a::{b, c::{d}}` -> [a::b, a::c::d] (enough for use trees)."""
    m = re.search(r"\{", path)
    if not m:
        return [path.replace(" ", "").replace("\n", "")]
    head = path[: m.start()]
    depth, start, items = 0, m.start() + 1, []
    for i in range(m.start(), len(path)):
        c = path[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                items.append(path[start:i])
                break
        elif c == "," and depth == 1:
            items.append(path[start:i])
            start = i + 1
    out = []
    for item in items:
        item = item.strip()
        if item:
            out.extend(expand(head + item))
    return out


def strip_tests(text):
    text = re.sub(r"//[^\n]*", "", text)
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+tests\s*\{", text)
    return text[: m.start()] if m else text


def resolve(segments, here, is_mod_file):
    """Absolute module path of `segments` used in the module at `here`."""
    if segments[0] == "crate":
        return segments[1:]
    base = list(here)
    rest = list(segments)
    if rest[0] == "self":
        rest = rest[1:]
    while rest and rest[0] == "super":
        base = base[:-1]
        rest = rest[1:]
    return base + rest


def graph(src_root, folder):
    folder_mod = module_path(src_root, folder / "mod.rs") if (folder / "mod.rs").exists() else list(folder.relative_to(src_root).parts)
    nodes = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix == ".rs":
            name = entry.stem
            nodes.setdefault(name, []).append(entry)
        elif entry.is_dir():
            nodes.setdefault(entry.name, []).extend(sorted(entry.rglob("*.rs")))
    siblings = set(nodes) - {"mod"}
    edges = {n: set() for n in nodes}
    for node, files in nodes.items():
        for file in files:
            here = module_path(src_root, file)
            if "tests" in here[len(folder_mod):]:
                continue
            text = strip_tests(file.read_text())
            text = re.sub(r"\bpub(\([^)]*\))?\s+mod\s+\w+\s*;|\bmod\s+\w+\s*;", "", text)
            for m in PATH.finditer(text):
                for path in expand(m.group(1)):
                    segs = [s for s in path.split("::") if s]
                    target = resolve(segs, here, file.name == "mod.rs")
                    if target[: len(folder_mod)] != folder_mod or len(target) == len(folder_mod):
                        continue
                    name = target[len(folder_mod)]
                    if name in siblings:
                        if name != node:
                            edges[node].add(name)
                    elif "mod" in nodes and node != "mod":
                        edges[node].add("mod")
            if file.name == "mod.rs" and file.parent == folder:
                # The folder's own module names its children without `self::`.
                for name in siblings:
                    if re.search(r"(?<![:\w])" + name + r"::", text):
                        edges[node].add(name)
    return edges


def cycle(edges):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def main():
    src_root = Path("src")
    bad = False
    for arg in sys.argv[1:]:
        folder = Path(arg)
        edges = graph(src_root, folder)
        print(f"{folder}:")
        for node in sorted(edges):
            print(f"  {node} -> {', '.join(sorted(edges[node])) or '(none)'}")
        found = cycle(edges)
        if found:
            bad = True
            print(f"  CYCLE: {' -> '.join(found)}")
        else:
            print("  acyclic")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
