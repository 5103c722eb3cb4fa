"""Types and helpers the drain takes from the tree's headers (vendor trees).

A vendor drain may use a type or accessor defined outside page_alloc.c -- an
Android `struct per_cpu_pages_ext` (a lock beside an embedded `struct
per_cpu_pages`) and its `zone_per_cpu_pageset()`.  Resolution is driven by the
compiler: when the extracted unit does not build because a name is undeclared or
a type unknown, the name is looked up in the tree's headers (`mm/*.h`,
`include/linux/**/*.h`); a struct, union, typedef, static inline function or
macro found there is taken into the unit (with a `#line` marker naming the header)
and the unit is built again.  A name found nowhere -- or any name, when the input
is a lone file with no headers -- is refused with the name and the line that uses
it.

A struct that embeds `struct per_cpu_pages` is the vendor's pcp container: the
shim places it in the trapped per-CPU slot (`CSHIM_PCP_CONTAINER`), so the
embedded struct's `count` is still what the model's scan reads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .parse import parse
from .source import Source

HEADER_GLOBS = ("mm/*.h", "include/linux/*.h", "include/linux/**/*.h")
MISSING = re.compile(r"(?:implicit declaration of function|unknown type name|undeclared|"
                     r"invalid use of undefined type|dereferencing pointer to incomplete type|"
                     r"storage size of)[^‘'`]*[‘'`]([^’'`]+)[’'`]")


@dataclass
class Resolved:
    items: list = field(default_factory=list)     # (name, header rel path, line, text)
    container: tuple | None = None                # (struct tag, member) holding struct per_cpu_pages

    def text(self) -> str:
        out = []
        for name, rel, line, text in self.items:
            out.append(f'#line {line} "{rel}"\n{text}')
        if self.container:
            tag, member = self.container
            out.append(f"#define CSHIM_PCP_CONTAINER struct {tag}\n#define CSHIM_PCP_MEMBER {member}")
        return "\n".join(out)

    def report(self) -> list:
        return [(n, rel, line) for n, rel, line, _ in self.items]


def missing_names(errors: list[str]) -> list[str]:
    out = []
    for e in errors:
        m = MISSING.search(e)
        if m:
            name = m.group(1).strip()
            name = name.removeprefix("struct ").removeprefix("union ").strip()
            if name not in out:
                out.append(name)
    return out


def _headers(tree: Path):
    seen = set()
    for g in HEADER_GLOBS:
        for p in sorted(tree.glob(g)):
            if p.is_file() and p not in seen:
                seen.add(p)
                yield p


def lookup(src: Source, name: str, have: set) -> list:
    """Definitions of `name` (and what they in turn need from the same header)."""
    if src.tree is None:
        return []
    pat = re.compile(r"\b" + re.escape(name) + r"\b")
    for h in _headers(src.tree):
        try:
            text = h.read_text(errors="replace")
        except OSError:
            continue
        if not pat.search(text):
            continue
        parsed = parse(text.encode(), str(h))
        keys = [name, f"struct {name}", f"union {name}"]
        found = [it for k in keys for it in parsed.defines(k) if it.kind in ("function", "macro", "type", "decl")]
        if not found:
            continue
        rel = str(h.relative_to(src.tree))
        out, todo = [], list(found)
        while todo:
            it = todo.pop(0)
            if any(it is o[0] for o in out):
                continue
            out.append((it, rel))
            for r in sorted(it.refs):
                if r in have or r == name:
                    continue
                for dep in parsed.defines(r):
                    if dep.kind in ("type", "macro", "function") and dep is not it:
                        todo.append(dep)
        return [(it.name, rel, it.line, parsed.text(it)) for it, rel in sorted(out, key=lambda x: x[0].start)]
    return []


def container_of_pcp(items) -> tuple | None:
    """(tag, member) of a resolved struct that embeds `struct per_cpu_pages`."""
    for name, _, _, text in items:
        m = re.match(r"\s*struct\s+(\w+)\s*\{", text)
        if not m or m.group(1) == "per_cpu_pages":
            continue
        mm = re.search(r"\bstruct\s+per_cpu_pages\s+(\w+)\s*;", text)
        if mm:
            return m.group(1), mm.group(1)
    return None
