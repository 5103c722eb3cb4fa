"""Environment options: the kernel code around the drain, in forms older than the
default.

The default environment is the kernel the variants run in today: the free path's
`free_pcppages_bulk()` frees at most `pcp->count` pages (the clamp of 88e8ac11d2ea,
"mm, page_alloc: fix core hung in free_pcppages_bulk()", v5.9), and
`zone_pcp_disable()` writes `pcp->high` and `pcp->batch` together.  An option
replaces one of those with an older or hypothetical form, so a check can ask what
the drain relies on (`--env NAME`, repeatable; recorded in each scenario, so a
counterexample replays in the environment it was found in):

* `no-free-clamp`: the free path before 88e8ac11d2ea: `free_pcppages_bulk(zone,
  batch, pcp)` is asked for `batch` pages even when the lists hold fewer, and its
  `while (count)` loop then spins forever with IRQs off looking for them
  (`model.kernel.FreePcppagesBulkSpin`);
* `two-step-high-batch`: the update of `high` and `batch` as two plain stores,
  `high` first (a `pageset_update()` without its fail-safe `batch = 1` first).
  Between the two, a free can read the new `high = 0` with the old `batch`.

Either alone is harmless; together they are the hang 88e8ac11d2ea fixed (a free
that sees `count >= high` with `batch > count`): `returns` is refuted.
"""
from __future__ import annotations

OPTIONS = {
    "no-free-clamp": "the free path before 88e8ac11d2ea: free_pcppages_bulk() not clamped to pcp->count",
    "two-step-high-batch": "zone_pcp_disable() stores pcp->high, then pcp->batch, as two steps",
}


class UnknownEnvironment(ValueError):
    pass


def validate(names) -> tuple:
    out = []
    for n in names or ():
        if n not in OPTIONS:
            raise UnknownEnvironment(f"unknown --env {n!r}; known: {', '.join(OPTIONS)}")
        if n not in out:
            out.append(n)
    return tuple(sorted(out))


def text(env) -> str:
    return "; ".join(OPTIONS[n] for n in env)
