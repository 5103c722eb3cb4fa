"""Properties of the cpumask allocation: fallback_is_broadcast,
no_reclaim_recursion."""
from __future__ import annotations

from typing import NamedTuple, Optional

from ..allocator import SLOW_PATH
from ..events import call_name
from ..footprint import ANY, EMPTY  # noqa: F401
from .base import mon, rec_fp, Property, _del, _get, _set_replace


def _allocation_absent(variant, offstack, absent: str, onstack: str):
    """Why a property about the drain-path cpumask allocation is n/a, or None."""
    if not variant.allocates:
        return absent
    if not offstack:
        return f"CONFIG_CPUMASK_OFFSTACK=n: {onstack}"
    return None


class AllocRec(NamedTuple):
    """fallback_is_broadcast: one call in flight."""
    outcome: Optional[str]  # None before the allocation, then ok | fail | onstack
    frees: int              # free_cpumask_var() calls
    targeted: frozenset     # CPUs delivered to or drained
    zone: Optional[int]
    online: Optional[int]   # the last cpu_online_mask it loaded (None before any)


class FallbackIsBroadcast(Property):
    kinds = frozenset({"call", "mask_alloc", "mask_free", "ipi", "drain", "work", "remote_drain", "local_run",
                       "online_read", "return"})
    name = "fallback_is_broadcast"
    short = "fallback"           # its column in the text matrix
    claim = ("when the mask allocation fails the drain IPIs every online CPU and empties what the "
             "broadcast empties; the mask is freed iff it was allocated")
    judged_on = "variants that allocate"
    witness = "the cpumask allocation failed and the fallback ran"

    def applies(self, variant, offstack, zones=None):
        return _allocation_absent(variant, offstack, "no cpumask is allocated on the drain path",
                                  "the mask is on the stack, nothing can fail")

    # per call: (call, AllocRec): online is the last
    # cpu_online_mask the call loaded (None before any): a CPU that comes up after the
    # fallback's load is not one the broadcast would have IPI'd (DESIGN.md §2)
    def footprint(self, rt, i, m, ev):
        if ev.call is None:
            return EMPTY
        if ev.kind in ("call", "return"):
            return rec_fp(i, ev.call, reads=(("O",),), order=True)
        return rec_fp(i, ev.call)

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call":
            return m + ((ev.call, AllocRec(None, 0, frozenset(), ev.zone, None)),)
        rec = _get(m, ev.call) if ev.call is not None else None
        if rec is None:
            return m
        outcome, frees, targeted, zone, online = rec
        if kind == "online_read":
            online = ev.bits
        elif kind == "mask_alloc":
            outcome = "fail" if ev.outcome == "fail" else ("ok" if ev.outcome == "ok" else "onstack")
        elif kind == "mask_free":
            frees += 1
        elif kind == "ipi":
            targeted = targeted | set(ev.targets)
        elif kind in ("drain", "work", "remote_drain", "local_run"):
            targeted = targeted | {ev.target}
        elif kind == "return":
            name = call_name(ev.call)
            if outcome == "ok" and frees != 1:
                out.append(("violation", f"the cpumask {name} allocated was "
                                         f"{'never freed' if frees == 0 else f'freed {frees} times'}"))
            elif outcome == "fail":
                out.append(("witness", self.witness))
                if frees:
                    out.append(("violation", f"{name} freed a mask whose allocation failed"))
                else:
                    owed = set(k.online_cpus())
                    if online is not None:
                        owed = {c for c in owed if online >> c & 1}
                    missing = sorted(owed - targeted)
                    if missing:
                        out.append(("violation", f"the cpumask allocation of {name} failed and "
                                                 f"the fallback never drained cpu{missing[0]}; the broadcast "
                                                 f"drains every online CPU"))
            return _del(m, ev.call)
        else:
            return m
        return _set_replace(m, ev.call, AllocRec(outcome, frees, targeted, zone, online))


class NoReclaimRecursion(Property):
    kinds = frozenset({"call", "return", "mask_alloc", "reclaim_enter"})
    name = "no_reclaim_recursion"
    short = "no-recurse"           # its column in the text matrix
    claim = ("no allocation made on the drain path can enter direct reclaim, so reclaim never "
             "nests")
    judged_on = "calls from the direct-reclaim path"
    witness = "a drain called from direct reclaim allocated its mask through the page allocator's slow path"

    def applies(self, variant, offstack, zones=None):
        return _allocation_absent(variant, offstack, "nothing is allocated on the drain path",
                                  "nothing is allocated on the drain path")

    def judges_scenario(self, scenario):
        return any(it[0] == "reclaim_drain" for _, it in scenario.calls)

    def footprint(self, rt, i, m, ev):
        kind = ev.kind
        if kind == "reclaim_enter" or kind == "call" and (ev.ctx != "reclaim" or self.name in rt.witnessed):
            return EMPTY
        if kind == "mask_alloc":
            return frozenset({mon(i)}), frozenset()
        return frozenset({mon(i)}), frozenset({mon(i)})

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call" and ev.ctx == "reclaim":
            return m if self.name in rt.witnessed else m + (ev.call,)
        if kind == "return":
            return tuple(c for c in m if c != ev.call)
        if kind == "mask_alloc" and ev.call in m and ev.cls in SLOW_PATH:
            out.append(("witness", self.witness))
        if kind == "reclaim_enter" and ev.depth >= 2:
            out.append(("violation", f"cpu{ev.cpu}: direct reclaim -> drain_all_pages() -> {ev.why} -> "
                                     f"direct reclaim again (nesting depth {ev.depth})"))
        return m
