"""Z3 rendering of the allocator decisions of `model/allocator.py`.

Abstracts the same kernel code as `model.allocator` (include/linux/gfp.h of each
era, `gfp_to_alloc_flags()`, the `if (!wait) goto nopage` / `__GFP_DIRECT_RECLAIM`
test and the `PF_MEMALLOC` test of `__alloc_pages_slowpath()`, and
`zalloc_cpumask_var()` of lib/cpumask.c under `CONFIG_CPUMASK_OFFSTACK`), with the
same simplification: an allocation's outcome is a choice among the paths the flags
allow, not a function of free memory.

* An era is its index in `model.allocator.ERAS` (an Int); the two renames that
  matter are "4.4" (`__GFP_WAIT` -> `__GFP_DIRECT_RECLAIM|__GFP_KSWAPD_RECLAIM`,
  `GFP_ATOMIC` gains `__GFP_ATOMIC|__GFP_KSWAPD_RECLAIM`) and "6.3" ("mm: discard
  __GFP_ATOMIC").
* A gfp mask is one Bool per flag name (`FLAGS`).
* `zalloc_cpumask_var()` ends on one of the `PATHS`; `allowed_path` says which the
  flags, the era, OFFSTACK and PF_MEMALLOC permit.

`tests/test_proofs_conformance.py` evaluates every function here on concrete values
and compares it with `model.allocator`.
"""
from __future__ import annotations

import z3

from model import eras as _eras
from model.allocator import ERAS, cpumask_alloc_outcomes, gfp_flags

FLAGS = ("__GFP_HIGH", "__GFP_WAIT", "__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM", "__GFP_ATOMIC",
         "__GFP_IO", "__GFP_FS")
# the first named era of each gfp renaming (the thresholds live in model.eras)
ERA_4_4 = next(i for i, e in enumerate(ERAS) if _eras.get(e).gfp_direct_reclaim)
ERA_6_3 = next(i for i, e in enumerate(ERAS) if _eras.get(e).gfp_no_atomic)

# where zalloc_cpumask_var() can end
ONSTACK, HIT, FAULT, RESERVES, RECLAIM, GIVEUP = range(6)
PATHS = ("onstack", "slab hit or fast path", "fault injected", "slow path, reserves", "direct reclaim",
         "slow path gives up")
PATH_OUTCOME = ("onstack", "ok", "fail", "ok", "reclaim", "fail")


def era_index(era) -> int:
    """The index of the named era whose gfp naming `era` has (any version or Era)."""
    naming = _eras.get(era).gfp
    return {"3.2": 0, "4.4": ERA_4_4, "6.3": ERA_6_3}[naming]


def era_ok(era) -> z3.BoolRef:
    return z3.And(era >= 0, era < len(ERAS))


def gfp_vars(prefix: str) -> dict:
    """A symbolic gfp mask: one Bool per flag."""
    return {f: z3.Bool(f"{prefix}{f}") for f in FLAGS}


def gfp_expr(name: str, era) -> dict:
    """The flags `name` (GFP_ATOMIC / GFP_KERNEL) expands to in symbolic `era`: read
    off the one table, `model.allocator.gfp_flags`, for each gfp naming's range of
    era indices."""
    ranges = (("3.2", era < ERA_4_4), ("4.4", z3.And(era >= ERA_4_4, era < ERA_6_3)), ("6.3", era >= ERA_6_3))
    out = {}
    for f in FLAGS:
        conds = [c for naming, c in ranges if f in gfp_flags(name, naming)]
        out[f] = z3.simplify(z3.Or(conds)) if conds else z3.BoolVal(False)
    return out


def may_direct_reclaim(g: dict, era, pf_memalloc) -> z3.BoolRef:
    """`__alloc_pages_slowpath()`: the era's reclaim flag is set and the task is not
    already reclaiming (PF_MEMALLOC)."""
    flag = z3.If(era >= ERA_4_4, g["__GFP_DIRECT_RECLAIM"], g["__GFP_WAIT"])
    return z3.And(flag, z3.Not(pf_memalloc))


def may_use_reserves(g: dict, pf_memalloc) -> z3.BoolRef:
    """`gfp_to_alloc_flags()`: ALLOC_HIGH for `__GFP_HIGH`, ALLOC_NO_WATERMARKS for PF_MEMALLOC."""
    return z3.Or(g["__GFP_HIGH"], pf_memalloc)


def allowed_path(path, g: dict, era, offstack, pf_memalloc) -> z3.BoolRef:
    """May `zalloc_cpumask_var(&mask, g)` end on `path`?"""
    mdr = may_direct_reclaim(g, era, pf_memalloc)
    return z3.If(z3.Not(offstack), path == ONSTACK,
                 z3.Or(path == HIT, path == FAULT,
                       z3.And(path == RESERVES, may_use_reserves(g, pf_memalloc)),
                       z3.And(path == RECLAIM, mdr),
                       z3.And(path == GIVEUP, z3.Not(mdr))))


def mask_allocated(path) -> z3.BoolRef:
    """A cpumask was kmalloc'ed (and so must be freed)."""
    return z3.Or(path == HIT, path == RESERVES)


def alloc_failed(path) -> z3.BoolRef:
    """The caller sees failure (the fallback runs).  A nested reclaim that made no
    progress also fails: the model cuts it short the same way."""
    return z3.Or(path == FAULT, path == GIVEUP, path == RECLAIM)


# --- back to the model's outcome list ---------------------------------------------------

_BY_CLASS = {"onstack": ONSTACK, "slab": HIT, "fault": FAULT, "reserves": RESERVES, "reclaim": RECLAIM,
             "giveup": GIVEUP}


def model_path(o) -> int:
    """Our path number of one entry (an AllocOutcome) of `model.allocator.cpumask_alloc_outcomes`."""
    return _BY_CLASS[o.cls]


def outcome_index(path: int, flags: frozenset, era: str, offstack: bool, pf_memalloc: bool) -> int:
    """The scheduler's outcome index (`Runtime.enabled`) of `path` in the model."""
    outs = cpumask_alloc_outcomes(flags, era, offstack, pf_memalloc)
    for i, o in enumerate(outs):
        if model_path(o) == path:
            return i
    raise ValueError(f"path {PATHS[path]} is not an outcome of the model here")
