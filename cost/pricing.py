"""From counts to nanoseconds: the expected cost of one drain_all_pages().

Cost of one run (counts `c`, prices `p`, all in ns of CPU time summed over CPUs):

    scans x scan_ns                  loads of other CPUs' pcp->count
  + (bitops + pcp_locks) x scan_ns   shared-mask set/clear, remote pcp->lock (a line each)
  + allocs x alloc_ns                zalloc_cpumask_var() + free (OFFSTACK=y only)
  + deliveries x ipi_ns              CPUs made to run the drain by IPI or work item
  + wakeups x wakeup_ns              idle CPUs among them, pulled out of a C-state

plus `page_alloc_ns` per allocation that missed the slab.  The *expected* cost
weighs the runs of each allocator outcome class (`cost.runner`) by the regime:

  normal    slab hit 1 - slab_miss (run "ok"); miss served by the fast path
            slab_miss (run "ok", + page_alloc_ns)
  pressure  slab hit 1 - m (run "ok"); miss served from the reserves below the min
            watermark m(1 - reserve_fail) (run "reserve", + page_alloc_ns, + the
            slab's pages taken from the reserves); miss that fails m * reserve_fail
            (run "fail": the variant's fallback, + page_alloc_ns), m = pressure_slab_miss

With CONFIG_CPUMASK_OFFSTACK=n there is one run and nothing is allocated.

Not priced, because every variant does the same: freeing the drained pages to
buddy (the same pages move in every correct variant), the caller's own local drain,
mutex and online-mask operations.  The remote drain of v6.0+ moves the pages on
the caller instead of on their CPUs; that shift is not priced either.

Reserve pages: one slab miss allocates a new slab of 2^order pages, with SLUB's
`calculate_order()` for the kmalloc size class of the mask (`slab_pages`).

Break-even: for each CPU count, the occupancy (fraction of CPUs with pages) below
which a variant's expected cost is lower than the broadcast's, found on the
sampled occupancies and interpolated linearly between two samples of opposite
sign (the counts are affine in the number of non-empty CPUs between the samples
the runner takes; tests/test_cost_pricing.py checks it on a full axis).
"""
from __future__ import annotations

from dataclasses import dataclass

KMALLOC_SIZES = (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)
PAGE_SIZE = 4096
SLUB_MAX_ORDER = 3          # PAGE_ALLOC_COSTLY_ORDER

REGIMES = ("normal", "pressure")


def _fls(x: int) -> int:
    return x.bit_length()


def cpumask_bytes(nr_cpu_ids: int) -> int:
    """`cpumask_size()` with OFFSTACK=y: BITS_TO_LONGS(nr_cpu_ids) * sizeof(long), 64-bit."""
    return ((nr_cpu_ids + 63) // 64) * 8


def kmalloc_size(nbytes: int) -> int:
    for s in KMALLOC_SIZES:
        if s >= nbytes:
            return s
    raise ValueError(f"{nbytes} bytes is beyond the kmalloc caches modelled")


def slab_order(size: int, nr_cpu_ids: int) -> int:
    """SLUB `calculate_order(size)` (mm/slub.c, no reserved bytes, no command-line
    overrides): min_objects = 4 * (fls(nr_cpu_ids) + 1), capped by what an order-3
    slab holds; the smallest order whose leftover is <= 1/16, 1/8, then 1/4 of the
    slab, retrying with fewer objects."""
    min_objects = 4 * (_fls(nr_cpu_ids) + 1)
    max_objects = (PAGE_SIZE << SLUB_MAX_ORDER) // size
    min_objects = min(min_objects, max_objects)
    while min_objects > 1:
        fraction = 16
        while fraction >= 4:
            order = _slab_order(size, min_objects, SLUB_MAX_ORDER, fraction)
            if order <= SLUB_MAX_ORDER:
                return order
            fraction //= 2
        min_objects -= 1
    return _slab_order(size, 1, SLUB_MAX_ORDER, 1)


def _slab_order(size, min_objects, max_order, fract_leftover):
    order = max(0, _fls(min_objects * size - 1) - 12)
    while order <= max_order:
        slab_size = PAGE_SIZE << order
        if slab_size >= min_objects * size and slab_size % size <= slab_size / fract_leftover:
            return order
        order += 1
    return order


def slab_pages(nr_cpu_ids: int) -> int:
    """Pages of one new slab of the kmalloc cache the cpumask comes from."""
    return 1 << slab_order(kmalloc_size(cpumask_bytes(nr_cpu_ids)), nr_cpu_ids)


def regime_weights(regime: str, params, offstack: bool) -> list[tuple[str, float, bool]]:
    """(run outcome class, weight, slab missed?) for each way the allocation can go."""
    if not offstack:
        return [("ok", 1.0, False)]
    if regime == "normal":
        m = params.slab_miss
        return [(cls, w, miss) for cls, w, miss in (("ok", 1.0 - m, False), ("ok", m, True)) if w > 0]
    if regime == "pressure":
        m, r = params.pressure_slab_miss, params.reserve_fail
        ws = (("ok", 1.0 - m, False), ("reserve", m * (1.0 - r), True), ("fail", m * r, True))
        return [(cls, w, miss) for cls, w, miss in ws if w > 0]
    raise ValueError(f"unknown regime {regime!r}")


def run_cost(c, params, wake_share: float = 1.0, missed: bool = False) -> dict:
    """Cost components (ns) of one run's counts `c`."""
    priced_allocs = 0 if all("stack" in p for p in c.alloc_paths) else c.mask_allocs
    parts = {
        "scan": c.scans * params.scan_ns,
        "shared_lines": (c.bitops + c.pcp_locks) * params.scan_ns,
        "alloc": priced_allocs * params.alloc_ns + (priced_allocs * params.page_alloc_ns if missed else 0.0),
        "ipi": c.deliveries * params.ipi_ns,
        "wakeup": wake_share * c.idle_disturbed * params.wakeup_ns,
    }
    parts["total"] = sum(parts.values())
    return parts


EXPECTED_FIELDS = ("ipis", "work_items", "deliveries", "delivered_empty", "idle_disturbed", "scans", "bitops",
                   "pcp_locks", "mask_allocs", "mask_alloc_fail", "reserve_allocs", "fallbacks", "broadcasts",
                   "pages_drained", "local_runs")


@dataclass
class Expected:
    cost: dict            # component -> expected ns
    counts: dict          # count -> expected value
    reserve_pages: float  # expected pages taken from below the min watermark per drain
    slab_misses: float


def expected(runs: dict, regime: str, params, offstack: bool, ncpus: int, wake_share: float = 1.0) -> Expected:
    """Expected cost and counts of one drain from `runs` (outcome class -> Counts)."""
    cost = {}
    counts = {f: 0.0 for f in EXPECTED_FIELDS}
    reserve = 0.0
    misses = 0.0
    for cls, w, missed in regime_weights(regime, params, offstack):
        c = runs[cls]
        for k, v in run_cost(c, params, wake_share, missed).items():
            cost[k] = cost.get(k, 0.0) + w * v
        for f in EXPECTED_FIELDS:
            counts[f] += w * getattr(c, f)
        if missed:
            misses += w * c.mask_allocs
        if c.reserve_allocs:
            reserve += w * c.reserve_allocs * slab_pages(ncpus)
    return Expected(cost, counts, reserve, misses)


def break_even(fracs, diffs) -> dict:
    """Where a variant stops paying.  `diffs[i]` = variant cost - broadcast cost at
    occupancy `fracs[i]` (ascending).  Returns `pays_below`: the occupancy of the
    first crossing from paying (< 0) to costing (>= 0), linearly interpolated;
    1.0 if it pays at every sampled occupancy, 0.0 if it never pays at 0;
    `pays_at` lists the sampled occupancies where it pays."""
    pays_at = [f for f, d in zip(fracs, diffs) if d < 0]
    if not fracs:
        return {"pays_below": None, "pays_at": []}
    if diffs[0] >= 0:
        return {"pays_below": 0.0, "pays_at": pays_at}
    for i in range(1, len(fracs)):
        if diffs[i] >= 0:
            f0, f1, d0, d1 = fracs[i - 1], fracs[i], diffs[i - 1], diffs[i]
            x = f0 + (f1 - f0) * (-d0) / (d1 - d0) if d1 != d0 else f1
            return {"pays_below": x, "pays_at": pays_at}
    return {"pays_below": 1.0, "pays_at": pays_at}
