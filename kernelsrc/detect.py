"""Read the drain's API from the code, not from a version string.

Every feature of `model.eras` that the shim's structure depends on is decided
from the extracted code (and, for `free_pcppages_bulk()`, whose body the model
replaces, from its definition in the file), with the line that shows it.  The
result is an `Era` named after the file, plus evidence lines for the report.

What counts as evidence (kernel history, DESIGN.md §7):

* `zone_arg`: `drain_all_pages()` takes a `struct zone *` (v3.19, 93481ff0e5a0);
* `local_zone_arg`: `drain_local_pages()` takes a `struct zone *` (else `void *`;
  vendor 3.19-shape trees kept `void *`);
* `on_each_cpu_mask`, `work_items`, `work_zone`: what the drain calls or stores
  (`on_each_cpu_mask()`, `queue_work_on()`, `drain->zone`);
* `force_all_cpus`: `__drain_all_pages(zone, force_all_cpus)` is defined;
* `per_cpu_pageset`: the drain reaches pcp structs through `zone->per_cpu_pageset`;
* `local_lock`, `pcp_lock`: `local_lock*()` / a spinlock on a pcp's `->lock`;
* `bulk_pindex`, `bulk_updates_count`: `free_pcppages_bulk()`'s parameters and
  whether its body changes `pcp->count` (before v4.19 the caller reset it);
* `locked_count`: `drain_pages_zone()` reads `->count` only after taking the lock;
* gfp naming (only used if the drain allocates): the file's own use of
  `__GFP_WAIT` (before v4.4) or `__GFP_ATOMIC` (v4.4 .. v6.2).

A pre-3.0 `on_each_cpu(func, info, retry, wait)` drain is refused: it is outside
the seed's era.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from model import eras

from .extract import Extract
from .parse import strip_comments
from .source import KernelInputError

_LOCK_CALL = re.compile(r"\b(?:spin_lock\w*|raw_spin_lock\w*)\s*\(\s*&\s*\(?\s*(\w+)\s*\)?\s*->\s*(\w+)")
_PCP_LOCK_MACRO = re.compile(r"\bpcpu?_spin_lock\w*\s*\(")


@dataclass
class Detected:
    era: eras.Era
    evidence: list = field(default_factory=list)      # (feature, yes/no, why)

    def lines(self) -> list[str]:
        return [f"{'+' if on else '-'} {name}: {why}" for name, on, why in self.evidence]


def _params_of(ex: Extract, name: str) -> str:
    f = ex.function(name)
    return re.sub(r"\s+", " ", f.params) if f else ""


def _line_of(ex: Extract, pattern: str, names=None, header_text: str = ""):
    rx = re.compile(pattern)
    for f in ex.functions + ex.macros:
        if names and f.name not in names:
            continue
        text = strip_comments(ex.parsed.src[f.start:f.end]).decode("utf-8", "replace")
        m = rx.search(text)
        if m:
            return f.line + text.count("\n", 0, m.start())
    if header_text and not names:
        cur = None
        for line in header_text.splitlines():
            mm = re.match(r'#line (\d+) "([^"]+)"', line)
            if mm:
                cur = [int(mm.group(1)) - 1, mm.group(2)]
                continue
            if cur is not None:
                cur[0] += 1
                if rx.search(line):
                    return f"{cur[1]}:{cur[0]}"
    return None


def _call_args(text: str, fname: str) -> list[int]:
    """Argument counts of every call of `fname` in `text`."""
    out = []
    for m in re.finditer(r"\b" + re.escape(fname) + r"\s*\(", text):
        depth, n, i, nonempty = 1, 1, m.end(), False
        while i < len(text) and depth:
            c = text[i]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == "," and depth == 1:
                n += 1
            elif not c.isspace():
                nonempty = True
            i += 1
        out.append(n if nonempty else 0)
    return out


def detect(ex: Extract, api_override=None, header_text: str = "") -> Detected:
    """`header_text`: definitions taken from the tree's headers (kernelsrc.headers),
    read as part of the drain."""
    display = ex.source.display
    text = ex.drain_text() + "\n" + strip_comments(header_text.encode()).decode("utf-8", "replace")
    ev = []
    feats = set()

    def put(name, on, why):
        ev.append((name, bool(on), why))
        if on:
            feats.add(name)

    def at(line):
        if isinstance(line, str):
            return line                     # a header's file:line
        return f"{display}:{line}" if line else display

    da = ex.function("drain_all_pages")
    dap = _params_of(ex, "drain_all_pages")
    put("zone_arg", "struct zone" in dap, f"drain_all_pages{dap or '()'} at {at(da.line if da else None)}")
    dl = ex.function("drain_local_pages")
    dlp = _params_of(ex, "drain_local_pages")
    if dl is not None:
        put("local_zone_arg", "struct zone" in dlp, f"drain_local_pages{dlp} at {at(dl.line)}")
    else:
        put("local_zone_arg", "zone_arg" in feats, "drain_local_pages() not in the file: follows drain_all_pages()")
    args = _call_args(text, "on_each_cpu")
    if any(n == 4 for n in args):
        line = _line_of(ex, r"\bon_each_cpu\s*\(")
        raise KernelInputError(f"{at(line)}: on_each_cpu() with four arguments is the pre-3.0 API "
                               f"(on_each_cpu(func, info, retry, wait)); drainverify covers v3.0 and later")
    line = _line_of(ex, r"\bon_each_cpu_mask\s*\(")
    put("on_each_cpu_mask", line is not None,
        f"on_each_cpu_mask() at {at(line)}" if line else "no on_each_cpu_mask() in the drain")
    line = _line_of(ex, r"\b(queue_work_on|schedule_work_on)\s*\(")
    put("work_items", line is not None, f"queue_work_on() at {at(line)}" if line else "no work items")
    if "work_items" in feats:
        zl = _line_of(ex, r"->\s*zone\b", names=("drain_local_pages_wq",))
        put("work_zone", zl is not None, f"the work item reads drain->zone at {at(zl)}" if zl else
            "the work item does not carry the zone")
    fa = ex.function("__drain_all_pages")
    put("force_all_cpus", fa is not None and "," in fa.params,
        f"__drain_all_pages{_params_of(ex, '__drain_all_pages')} at {at(fa.line)}" if fa else
        "no __drain_all_pages(zone, force_all_cpus)")
    line = _line_of(ex, r"->\s*per_cpu_pageset\b", header_text=header_text)
    put("per_cpu_pageset", line is not None,
        f"zone->per_cpu_pageset at {at(line)}" if line else "pcp structs reached through zone->pageset")
    line = _line_of(ex, r"\blocal_lock\w*\s*\(")
    put("local_lock", line is not None, f"local_lock at {at(line)}" if line else "no local_lock in the drain")
    pcp_lock = None
    for m in _LOCK_CALL.finditer(text):
        if m.group(1) != "zone" and m.group(2) == "lock":
            pcp_lock = m
            break
    line = _line_of(ex, _LOCK_CALL.pattern) if pcp_lock else _line_of(ex, _PCP_LOCK_MACRO.pattern)
    put("pcp_lock", pcp_lock is not None or line is not None,
        f"a pcp's ->lock taken at {at(line)}" if line else "no pcp->lock")
    _bulk(ex, put, at)
    if "pcp_lock" in feats:
        body = ex.body("drain_pages_zone")
        lock = re.search(_LOCK_CALL.pattern + "|" + _PCP_LOCK_MACRO.pattern, body)
        read = re.search(r"->\s*(?:pcp\s*\.\s*)?count\b", body)
        locked = bool(lock and read and lock.start() < read.start())
        f = ex.function("drain_pages_zone")
        put("locked_count", locked, ("drain_pages_zone() reads count after taking the lock" if locked else
                                     "drain_pages_zone() reads count before taking the lock") +
            (f" ({at(f.line)})" if f else ""))
    _gfp(ex, put)
    era = eras.Era(display, frozenset(feats))
    if api_override is not None:
        era = eras.Era(f"{display} (as {api_override.name})", api_override.features)
    return Detected(era, ev)


def _bulk(ex: Extract, put, at):
    defs = ex.parsed.functions("free_pcppages_bulk")
    calls = _call_args(ex.drain_text(), "free_pcppages_bulk")
    if defs:
        f = defs[0]
        body = strip_comments(ex.parsed.src[f.start:f.end]).decode("utf-8", "replace")
        params = [p for p in f.params.strip("() \n").split(",") if p.strip()]
        nparams = len(params)
        put("bulk_pindex", nparams >= 4, f"free_pcppages_bulk() takes {nparams} parameters ({at(f.line)})")
        if nparams >= 3 and "list_head" in params[2]:
            iso = ex.parsed.functions("isolate_pcp_pages")
            put("bulk_list", True, f"free_pcppages_bulk(zone, count, struct list_head *) ({at(f.line)}) after "
                                   f"isolate_pcp_pages()" + (f" ({at(iso[0].line)})" if iso else ""))
            put("bulk_updates_count", False, "isolate_pcp_pages() leaves pcp->count to its caller")
            return
        upd = re.search(r"->\s*count\s*(--|-=|\+=|=[^=])|--\s*\w+\s*->\s*count\b", body)
        put("bulk_updates_count", upd is not None,
            "free_pcppages_bulk() updates pcp->count itself" + (f" ({at(f.line)})" if upd else
                                                                " -- no: its callers reset count"))
        return
    if not calls:
        put("bulk_pindex", False, "the drain does not call free_pcppages_bulk()")
        put("bulk_updates_count", False, "the drain does not call free_pcppages_bulk()")
        return
    put("bulk_pindex", max(calls) >= 4, f"the drain calls free_pcppages_bulk() with {max(calls)} arguments "
                                        f"(no definition in the file)")
    resets = re.search(r"->\s*(?:pcp\s*\.\s*)?count\s*(=[^=]|-=)", ex.drain_text())
    if resets:
        put("bulk_updates_count", False, "the drain resets count after free_pcppages_bulk() itself "
                                         "(no definition of free_pcppages_bulk() in the file)")
        return
    raise KernelInputError(f"{ex.source.display} has no free_pcppages_bulk() definition and its drain does not "
                           f"reset count: whether free_pcppages_bulk() updates pcp->count (v4.19+) cannot be read "
                           f"from the code; pass --api vX.Y to say which era's rule holds")


def _gfp(ex: Extract, put):
    whole = strip_comments(ex.parsed.src).decode("utf-8", "replace")
    if re.search(r"\b__GFP_WAIT\b", whole):
        put("gfp_direct_reclaim", False, "the file uses __GFP_WAIT (gfp names before v4.4)")
    elif re.search(r"\b__GFP_DIRECT_RECLAIM\b|\b__GFP_KSWAPD_RECLAIM\b", whole):
        put("gfp_direct_reclaim", True, "the file uses __GFP_DIRECT_RECLAIM (gfp names from v4.4)")
        atomic = re.search(r"\b__GFP_ATOMIC\b", whole)
        put("gfp_no_atomic", not atomic, "the file uses __GFP_ATOMIC (v4.4 .. v6.2)" if atomic else
            "no __GFP_ATOMIC in the file (v6.3+)")
    else:
        put("gfp_direct_reclaim", False, "no gfp flag names in the file: v3.2 names assumed "
                                         "(they matter only if the drain allocates)")
