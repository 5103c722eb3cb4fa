"""Cut the drain out of a real `mm/page_alloc.c`, keeping what it needs.

Taken from the user's file: the entry points (`ENTRY_POINTS`) and whatever of the
file they reach -- functions they call or name (an IPI handler, a work function),
file-scope definitions they use (`static DEFINE_MUTEX(pcpu_drain_mutex)`,
`struct pcpu_drain`, `DEFINE_PER_CPU(...)`, static cpumasks) and the file's own
macros (`pcp_spin_lock_maybe_irqsave`, `pcpu_task_pin`, ...), transitively.

Supplied by the model, never taken from the file (`MODEL_SUPPLIES`): the free and
refill paths, `free_pcppages_bulk()`, `zone_pcp_disable()` and the high/batch
setters, the page allocator, the CPU-hotplug callback.  The drain reaches them
through the shim (cshim/include/cshim/tail.h), which turns each into a model
action.

The extracted unit is the file itself with every other line blanked: line numbers
stay those of the user's file (compiler messages and reports point into it), and
every `#if`/`#ifdef` around a kept construct is kept, so the preprocessor picks
the branch the configuration selects (`kernelsrc.kconfig`), as the kernel build
would.  Tracepoints and Android vendor hooks the drain calls (`trace_*`) become
no-ops: they do not change the pcp lists, and with no vendor module attached a
hook does nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parse import Item, Parsed, strip_comments
from .source import KernelInputError, Source

ENTRY_POINTS = ("drain_all_pages", "__drain_all_pages", "drain_local_pages", "drain_pages", "drain_pages_zone",
                "drain_local_pages_wq")

#: functions of page_alloc.c the model supplies (what each becomes), DESIGN.md §7
MODEL_SUPPLIES = {
    "free_pcppages_bulk": "free_pcppages_bulk(): min(count, list) pages from the list tail back to buddy",
    "isolate_pcp_pages": "isolate_pcp_pages() (PREEMPT_RT patchset): the pages leave the pcp list, modelled as "
                         "freed to buddy in that step; the later free_pcppages_bulk(zone, count, list) adds nothing",
    "zone_pcp_disable": "zone_pcp_disable(): high = 0, batch = 1 for every CPU in one step, then the file's "
                        "__drain_all_pages(zone, true)",
    "zone_pcp_enable": "zone_pcp_enable(): restoring high/batch (outside every scenario)",
    "__zone_set_pageset_high_and_batch": "part of zone_pcp_disable()'s high/batch write",
    "zone_set_pageset_high_and_batch": "part of zone_pcp_disable()'s high/batch write",
    "pageset_update": "part of zone_pcp_disable()'s high/batch write",
    "pageset_set_high_and_batch": "part of zone_pcp_disable()'s high/batch write",
    "pageset_set_batch": "part of zone_pcp_disable()'s high/batch write",
    "pageset_set_high": "part of zone_pcp_disable()'s high/batch write",
    "free_hot_cold_page": "the free path (free_hot_cold_page(): page onto the list, count++, spill at high)",
    "free_hot_page": "the free path", "free_cold_page": "the free path",
    "free_unref_page": "the free path (free_unref_page())", "free_unref_page_commit": "the free path",
    "free_unref_folios": "the free path", "free_unref_page_list": "the free path",
    "free_one_page": "the free path", "__free_one_page": "the free path",
    "buffered_rmqueue": "the refill path (buffered_rmqueue(): load batch, rmqueue_bulk(), take a page)",
    "rmqueue": "the refill path", "rmqueue_pcplist": "the refill path", "__rmqueue_pcplist": "the refill path",
    "rmqueue_bulk": "the refill path",
    "__alloc_pages": "the page allocator", "__alloc_pages_nodemask": "the page allocator",
    "__alloc_pages_slowpath": "the page allocator", "get_page_from_freelist": "the page allocator",
    "__alloc_pages_direct_reclaim": "the direct-reclaim path that calls the drain",
    "page_alloc_cpu_notify": "CPU hotplug: the dead CPU's lists drained in one step",
    "page_alloc_cpu_dead": "CPU hotplug: the dead CPU's lists drained in one step",
}
ENVIRONMENT_SUMMARY = ("the free path (free_hot_cold_page/free_unref_page), the refill path "
                       "(buffered_rmqueue/rmqueue_pcplist), free_pcppages_bulk(), zone_pcp_disable(), "
                       "the page and cpumask allocators, CPU hotplug")

_TRACE = re.compile(r"^trace_\w+$")
_CONFIG = re.compile(r"\bCONFIG_\w+")


@dataclass
class Extract:
    source: Source
    parsed: Parsed
    functions: list = field(default_factory=list)    # Item, file order
    macros: list = field(default_factory=list)
    decls: list = field(default_factory=list)
    supplied: dict = field(default_factory=dict)     # name -> what the model does instead
    hooks: list = field(default_factory=list)        # trace_* names made no-ops
    configs: set = field(default_factory=set)        # CONFIG_* the kept text mentions
    kept: list = field(default_factory=list)         # (start, end) byte spans kept

    @property
    def items(self):
        return self.functions + self.macros + self.decls

    def function(self, name) -> Item | None:
        return next((f for f in self.functions if f.name == name), None)

    def names(self) -> set:
        return {n for it in self.items for n in it.names}

    def body(self, name) -> str:
        """Comment-free text of the first kept definition of `name` ('' if none)."""
        it = self.function(name)
        return "" if it is None else strip_comments(self.parsed.src[it.start:it.end]).decode("utf-8", "replace")

    def drain_text(self) -> str:
        """Comment-free text of every kept function and macro."""
        return "\n".join(strip_comments(self.parsed.src[i.start:i.end]).decode("utf-8", "replace")
                         for i in self.functions + self.macros)


def find_entry(parsed: Parsed, src_display: str) -> None:
    """Refuse a file with no drain_all_pages() definition, saying why."""
    if parsed.functions("drain_all_pages"):
        return
    from .parse import scan_function
    it = scan_function(parsed, "drain_all_pages")
    if it is not None:
        parsed.items.append(it)
        parsed.by_name.setdefault("drain_all_pages", []).append(it)
        return
    clean = strip_comments(parsed.src)
    m = re.search(rb"\b[A-Z_][A-Z0-9_]*\s*\([^;{}]*\bdrain_all_pages\b", clean)
    if m:
        line = parsed.line_of(m.start())
        macro = re.match(rb"[A-Z_][A-Z0-9_]*", m.group()).group().decode()
        raise KernelInputError(f"{src_display}:{line}: drain_all_pages() is defined through the macro {macro}(); "
                               f"drainverify reads the drain only from plain C function definitions")
    raise KernelInputError(f"{src_display} defines no drain_all_pages(): not a page_alloc.c with the "
                           f"per-cpu drain (v3.0 or later)")


def _lookup(parsed: Parsed, name: str) -> list:
    """Definitions of `name`: from the parse, else from the text-level fallbacks
    (a construct the grammar did not frame); the answer is remembered."""
    found = parsed.defines(name)
    if found or name in parsed.missing:
        return found
    from .parse import scan_declaration, scan_function
    if name.isidentifier():
        it = scan_function(parsed, name) or scan_declaration(parsed, name)
        if it is not None:
            parsed.items.append(it)
            parsed.by_name.setdefault(name, []).append(it)
            return parsed.by_name[name]
    parsed.missing.add(name)
    return []


def extract(source: Source, parsed: Parsed) -> Extract:
    find_entry(parsed, source.display)
    ex = Extract(source, parsed)
    selected: dict = {}
    todo = [n for n in ENTRY_POINTS if _lookup(parsed, n)]
    while todo:
        name = todo.pop()
        for it in _lookup(parsed, name):
            if id(it) in selected:
                continue
            selected[id(it)] = it
            for r in sorted(it.refs):
                if r in MODEL_SUPPLIES:
                    ex.supplied.setdefault(r, MODEL_SUPPLIES[r])
                elif _lookup(parsed, r):
                    todo.append(r)
                elif _TRACE.match(r):
                    if r not in ex.hooks:
                        ex.hooks.append(r)
    items = sorted(selected.values(), key=lambda i: i.start)
    for it in items:
        if it.name in MODEL_SUPPLIES:
            continue
        {"function": ex.functions, "macro": ex.macros}.get(it.kind, ex.decls).append(it)
        ex.kept.append((it.start, it.end))
        ex.configs |= {r for r in it.refs if r.startswith("CONFIG_")}
    ex.kept += _kept_directives(parsed, ex)
    ex.kept.sort()
    return ex


_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif|undef)\b(.*)$")


def conditional_groups(src: bytes) -> tuple[list, list]:
    """The file's #if groups, read line by line as the preprocessor does (not from
    the parse tree, which an `#ifdef` inside an initializer can derail): each group
    is a list of (start, end) spans of its directive lines, #if first, #endif last.
    Also the #undef lines, as (start, end, name)."""
    clean = strip_comments(src)
    groups, stack, undefs = [], [], []
    pos = 0
    n = len(clean)
    while pos < n:
        end = clean.find(b"\n", pos)
        end = n if end < 0 else end
        while end < n and end > pos and clean[end - 1:end] == b"\\":      # continuation lines
            nxt = clean.find(b"\n", end + 1)
            end = n if nxt < 0 else nxt
        m = _DIRECTIVE.match(clean[pos:end])
        if m:
            kind = m.group(1).decode()
            span = (pos, end)
            if kind in ("if", "ifdef", "ifndef"):
                stack.append([span])
            elif kind in ("elif", "elifdef", "elifndef", "else"):
                if stack:
                    stack[-1].append(span)
            elif kind == "endif":
                if stack:
                    g = stack.pop()
                    g.append(span)
                    groups.append(g)
            elif kind == "undef":
                name = m.group(2).strip().split()[:1]
                if name:
                    undefs.append((pos, end, name[0].decode()))
        pos = end + 1
    return groups, undefs


def _kept_directives(parsed: Parsed, ex: Extract) -> list:
    """Spans of the directive lines of every #if group that encloses a kept
    construct (and #undef of kept macros); their CONFIG_* go into ex.configs."""
    spans = [(i.start, i.end) for i in ex.items]
    macros = {m.name for m in ex.macros}
    src = parsed.src
    groups, undefs = conditional_groups(src)
    out = []

    def inside_kept(off):
        return any(s <= off < e for s, e in spans)

    for g in groups:
        start, end = g[0][0], g[-1][1]
        if inside_kept(start):
            continue                      # part of a kept body already
        if not any(start <= s and e <= end for s, e in spans):
            continue
        for a, b in g:
            out.append((a, b))
            ex.configs.update(m.group() for m in _CONFIG.finditer(src[a:b].decode("utf-8", "replace")))
    for a, b, name in undefs:
        if name in macros and not inside_kept(a):
            out.append((a, b))
    return out


def blanked(src: bytes, kept: list) -> str:
    """The file with everything outside `kept` spaces (newlines kept)."""
    out = bytearray(b" " * len(src))
    for i, ch in enumerate(src):
        if ch == 0x0A:
            out[i] = 0x0A
    for s, e in kept:
        out[s:e] = src[s:e]
    text = out.decode("utf-8", "replace")
    return "\n".join(line.rstrip() for line in text.split("\n"))
