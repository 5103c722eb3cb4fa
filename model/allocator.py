"""The page allocator's decisions that matter to the drain: gfp flags of each era,
the cpumask allocation under `CONFIG_CPUMASK_OFFSTACK`, and when an allocation may
enter direct reclaim.

Abstracts:

* gfp flags (include/linux/gfp.h).  v3.2: `GFP_ATOMIC = __GFP_HIGH`,
  `GFP_KERNEL = __GFP_WAIT|__GFP_IO|__GFP_FS`.  v4.4 ("mm, page_alloc: distinguish
  between being unable to sleep, unwilling to sleep and avoiding waking kswapd")
  replaced `__GFP_WAIT` by `__GFP_DIRECT_RECLAIM|__GFP_KSWAPD_RECLAIM`;
  `GFP_ATOMIC = __GFP_HIGH|__GFP_ATOMIC|__GFP_KSWAPD_RECLAIM` until v6.2 and
  `__GFP_HIGH|__GFP_KSWAPD_RECLAIM` from v6.3 ("mm: discard __GFP_ATOMIC");
  `GFP_KERNEL = __GFP_RECLAIM|__GFP_IO|__GFP_FS`.  Flags are kept as names, not bit
  values: only membership matters to the decisions below.
* `zalloc_cpumask_var()` (lib/cpumask.c): with OFFSTACK=n the mask is on the stack
  and nothing is allocated; with =y it is `kmalloc_node()` from a slab cache.  A
  slab hit never reaches the page allocator (Gilad's argument in the seed); a miss
  goes to `__alloc_pages_nodemask()`: the fast path `get_page_from_freelist()`, and
  if that fails `__alloc_pages_slowpath()`.  Fault injection (`should_failslab()`)
  fails the allocation outright.
* `__alloc_pages_slowpath()` (v3.2): without `__GFP_WAIT` it gives up before
  compaction and reclaim (`if (!wait) goto nopage`), after one more try with the
  lower watermarks `__GFP_HIGH` grants (`ALLOC_HIGH`, dipping into reserves); a
  `PF_MEMALLOC` task never enters direct reclaim ("Avoid recursion of direct
  reclaim") but may use `ALLOC_NO_WATERMARKS`; otherwise it enters
  `__alloc_pages_direct_reclaim()`.

Simplification: the slab page and reserve pages are not among the scenario's pages
(they come from elsewhere in the zone), so an allocation outcome is a choice the
scheduler makes, not a function of the scenario's buddy lists.  What a choice
*means* (which path, which flags allowed it) is recorded in the history.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from . import eras as _eras

#: the named eras (model.eras.NAMED), oldest first: what the Z3 encoding quantifies over
ERAS = _eras.NAMED


def _gfp_naming(era) -> str:
    """'3.2' (__GFP_WAIT), '4.4' (__GFP_DIRECT_RECLAIM, __GFP_ATOMIC) or '6.3' (no __GFP_ATOMIC)."""
    return _eras.get(era).gfp


@lru_cache(maxsize=None)
def gfp_flags(name: str, era: str) -> frozenset[str]:
    """The flag set `name` (GFP_ATOMIC or GFP_KERNEL) expands to in `era`."""
    naming = _gfp_naming(era)
    if name == "GFP_ATOMIC":
        if naming == "3.2":
            return frozenset({"__GFP_HIGH"})
        if naming == "4.4":
            return frozenset({"__GFP_HIGH", "__GFP_ATOMIC", "__GFP_KSWAPD_RECLAIM"})
        return frozenset({"__GFP_HIGH", "__GFP_KSWAPD_RECLAIM"})
    if name == "GFP_KERNEL":
        if naming == "3.2":
            return frozenset({"__GFP_WAIT", "__GFP_IO", "__GFP_FS"})
        return frozenset({"__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM", "__GFP_IO", "__GFP_FS"})
    raise ValueError(f"unknown gfp mask {name!r}")


@lru_cache(maxsize=None)
def reclaim_flag(era: str) -> str:
    """The flag whose presence lets the slow path sleep in direct reclaim."""
    return "__GFP_WAIT" if _gfp_naming(era) == "3.2" else "__GFP_DIRECT_RECLAIM"


@lru_cache(maxsize=None)
def may_direct_reclaim(gfp: frozenset[str], era: str, pf_memalloc: bool) -> bool:
    """`__alloc_pages_slowpath()`: can this allocation enter direct reclaim?"""
    return reclaim_flag(era) in gfp and not pf_memalloc


def may_use_reserves(gfp: frozenset[str], pf_memalloc: bool) -> bool:
    """`gfp_to_alloc_flags()`: ALLOC_HIGH for __GFP_HIGH, ALLOC_NO_WATERMARKS for
    PF_MEMALLOC: may the slow path succeed below the min watermark?"""
    return "__GFP_HIGH" in gfp or pf_memalloc


#: where an allocation can end (the `cls` of an outcome): on the stack, the slab or
#: the fast path, fault injection, the slow path's reserves, direct reclaim, or the
#: slow path giving up
CLASSES = ("onstack", "slab", "fault", "reserves", "reclaim", "giveup")
SLOW_PATH = frozenset({"reserves", "reclaim", "giveup"})


class AllocOutcome(NamedTuple):
    outcome: str        # "onstack", "ok", "fail" or "reclaim" (the slow path enters direct reclaim)
    path: str           # the allocator's path, in words (for people)
    cls: str            # one of CLASSES (for code)


@lru_cache(maxsize=None)
def cpumask_alloc_outcomes(gfp: frozenset[str], era: str, offstack: bool,
                           pf_memalloc: bool) -> tuple[AllocOutcome, ...]:
    """Every way `zalloc_cpumask_var(&mask, gfp)` can end.

    outcome is "onstack" (OFFSTACK=n: nothing allocated, cannot fail), "ok",
    "fail" or "reclaim" (the slow path enters direct reclaim).  Order is the order
    the exhaustive driver explores them: the common case first.
    """
    if not offstack:
        return (AllocOutcome("onstack", "CONFIG_CPUMASK_OFFSTACK=n: mask on the stack", "onstack"),)
    # a slab hit and a slab miss served by the fast path end alike: one outcome
    out = [
        AllocOutcome("ok", "slab hit, or slab miss served by get_page_from_freelist", "slab"),
        AllocOutcome("fail", "fault injected (should_failslab)", "fault"),
    ]
    if may_use_reserves(gfp, pf_memalloc):
        out.append(AllocOutcome("ok", "slab miss, slow path below min watermark (reserves)", "reserves"))
    if may_direct_reclaim(gfp, era, pf_memalloc):
        out.append(AllocOutcome("reclaim", f"slab miss, slow path: {reclaim_flag(era)} set -> direct reclaim",
                                "reclaim"))
    else:
        why = "PF_MEMALLOC" if reclaim_flag(era) in gfp else f"no {reclaim_flag(era)}"
        out.append(AllocOutcome("fail", f"slab miss, slow path gives up ({why})", "giveup"))
    return tuple(out)
