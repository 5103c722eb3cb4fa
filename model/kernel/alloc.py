"""The cpumask allocation on the drain path and the direct-reclaim path around the
drain (decisions in `model.allocator`)."""
from __future__ import annotations

from ..allocator import cpumask_alloc_outcomes, gfp_flags
from ..events import Ev
from ..footprint import EMPTY  # noqa: F401
from .base import Op, Out


class ZallocCpumaskVar(Op):
    """`zalloc_cpumask_var(&mask, gfp)` (lib/cpumask.c) with the allocator's
    decision of `model.allocator`: one outcome per way the allocation can end.  A
    slow path that may sleep enters direct reclaim (`reclaim_enter` at the caller's
    reclaim depth + 1); the model cuts the nested reclaim short (no progress, the
    allocation fails) -- nesting itself is what `no_reclaim_recursion` forbids."""
    __slots__ = ("gfp", "depth")

    def footprint(self, rt, a):
        return frozenset({("P", a.cpu)}), frozenset()

    def __init__(self, gfp="GFP_ATOMIC", depth=0):
        self.gfp, self.depth = gfp, depth

    def is_local(self, rt):
        return not rt.offstack

    def outcomes(self, rt, node, a):
        return len(self.apply(rt, node, a))

    def apply(self, rt, node, a):
        k = node.k
        flags = gfp_flags(self.gfp, rt.variant.era)
        memalloc = bool(k.memalloc >> a.cpu & 1)
        outs = []
        for outcome, path, cls in cpumask_alloc_outcomes(flags, rt.variant.era, rt.offstack, memalloc):
            ev = Ev("mask_alloc", a.cpu, a.call, gfp=self.gfp, flags=tuple(sorted(flags)),
                    outcome=outcome, cls=cls, path=path)
            if outcome == "reclaim":
                d = self.depth + 1
                evs = (ev, Ev("reclaim_enter", a.cpu, a.call, depth=d, why=f"zalloc_cpumask_var({self.gfp})"),
                       Ev("reclaim_exit", a.cpu, a.call, depth=d, progress=False),
                       Ev("mask_alloc", a.cpu, a.call, gfp=self.gfp, flags=tuple(sorted(flags)),
                          outcome="fail", cls="reclaim", path="nested direct reclaim made no progress", nested=True))
                outs.append(Out(k, "fail", evs))
            else:
                outs.append(Out(k, "ok" if outcome in ("ok", "onstack") else "fail", (ev,)))
        return outs


class FreeCpumaskVar(Op):
    """`free_cpumask_var(mask)`: `kfree()` with OFFSTACK=y, nothing with =n."""
    local = True
    __slots__ = ()

    def footprint(self, rt, a):
        return EMPTY

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("mask_free", a.cpu, a.call, offstack=rt.offstack),))]


class DirectReclaimEnter(Op):
    """`__alloc_pages_direct_reclaim()` entry (v3.2): `current->flags |= PF_MEMALLOC`
    then `try_to_free_pages()`, then `PF_MEMALLOC` cleared.  Result: whether reclaim
    made progress (`did_some_progress`); both are possible."""
    __slots__ = ("depth",)

    def footprint(self, rt, a):
        return frozenset({("P", a.cpu)}), frozenset()

    def __init__(self, depth=1):
        self.depth = depth

    def outcomes(self, rt, node, a):
        return 2

    def apply(self, rt, node, a):
        k = node.k
        outs = []
        for progress in (True, False):
            evs = (Ev("reclaim_enter", a.cpu, a.call, depth=self.depth, why="allocation slow path"),
                   Ev("try_to_free_pages", a.cpu, a.call, progress=progress, memalloc="set, then cleared"))
            outs.append(Out(k, progress, evs))
        return outs


class RetryAllocation(Op):
    """`get_page_from_freelist()` retried after reclaim made progress: it may
    succeed (no drain) or fail (then `drain_all_pages()` once and retry)."""
    __slots__ = ()

    def footprint(self, rt, a):
        return EMPTY

    def outcomes(self, rt, node, a):
        return 2

    def apply(self, rt, node, a):
        return [Out(node.k, ok, (Ev("retry_alloc", a.cpu, a.call, ok=ok),)) for ok in (False, True)]


class DirectReclaimExit(Op):
    """Leaving `__alloc_pages_direct_reclaim()`."""
    local = True
    __slots__ = ("depth",)

    def footprint(self, rt, a):
        return EMPTY

    def __init__(self, depth=1):
        self.depth = depth

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("reclaim_exit", a.cpu, a.call, depth=self.depth, progress=None),))]
