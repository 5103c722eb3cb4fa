"""The whole study behind `drainverify cost`: the CPUs x occupancy sweep, the
break-even occupancies, and the workloads, as one JSON-able result.

Sweep axes (`cost.runner`): CPUs at powers of two up to `--cpus`; occupancy (the
number k of CPUs whose pcp lists hold pages) sampled per variant at

* k = 0, 1 and n: with the caller holding the first page (`runner.sweep_holders`),
  every variant's counts are affine in k on [1, n] unless it switches on occupancy;
* both sides of a variant's switch, k = floor(n (1 - threshold)) and one more, for a
  variant that declares a `threshold` (Mel Gorman's two-pass variant: 50% empty);
* the fractions i/s of n (s = `--occupancy-steps`) for n <= 256, so the plots show
  the curve between the points the interpolation needs; above 256 CPUs only the
  points above are run (a 4096-CPU run takes about a second: measured, see docs/cost.md).

Between samples the counts are affine (`tests/test_cost_pricing.py` checks it on a
complete axis), so the break-even occupancy interpolated between samples is exact,
and the baseline's cost at another variant's samples is interpolated the same way.
The sweep is priced in the `normal` allocation regime; the `pressure` regime is
priced on the pressure workload.
"""
from __future__ import annotations

import time

from . import runner, workloads
from . import variants as cv
from .pricing import break_even, expected, slab_pages

SCHEMA = "drainverify.cost/1"


DENSE_UP_TO = 256


def occupancy_samples(ncpus: int, steps: int, variant=None) -> tuple[int, ...]:
    """The non-empty CPU counts at which `variant` is run at `ncpus` CPUs."""
    ks = {0, min(1, ncpus), ncpus}
    thr = getattr(variant, "threshold", None)
    if thr is not None:
        t = int(ncpus * (1 - thr))
        ks.update(k for k in (t, t + 1) if 0 <= k <= ncpus)
    if steps and ncpus <= DENSE_UP_TO:
        ks.update(round(ncpus * i / steps) for i in range(steps + 1))
    return tuple(sorted(ks))


def interp(xs, ys, x):
    """Piecewise-linear interpolation of (xs, ys) at x (xs ascending)."""
    for i in range(1, len(xs)):
        if x <= xs[i]:
            x0, x1 = xs[i - 1], xs[i]
            return ys[i - 1] + (ys[i] - ys[i - 1]) * ((x - x0) / (x1 - x0) if x1 != x0 else 1.0)
    return ys[-1]


def compute(params, cpus: int = 4096, zones: int = 2, offstack: bool = True, steps: int = 8,
            vnames=cv.DEFAULT_VARIANTS, workload_cpus=(8, 64, 512), jobs: int = 1, cache=None,
            seed: int = 0) -> dict:
    """Run the sweep and the workloads; return the result document."""
    if cache is None:
        cache = runner.PointCache(None)
    vnames = list(dict.fromkeys([cv.BASELINE] + list(vnames)))
    axis = runner.cpu_axis(cpus)
    t0 = time.perf_counter()
    samples = {(vn, n): occupancy_samples(n, steps, cv.get(vn)) for vn in vnames for n in axis}
    keys = [(vn, n, zones, k, offstack, "ok") for (vn, n), ks in samples.items() for k in ks]
    points = runner.run_points(keys, cache, jobs)
    cache.save()
    sweep_s = time.perf_counter() - t0

    sweep, be = {}, {}
    for vn in vnames:
        sweep[vn] = {}
        for n in axis:
            rows = []
            for k in samples[(vn, n)]:
                c = points[(vn, n, zones, k, offstack, "ok")]
                e_idle = expected({"ok": c}, "normal", params, offstack, n, params.idle_empty)
                e_busy = expected({"ok": c}, "normal", params, offstack, n, 0.0)
                rows.append({"nonempty": k, "fraction": k / n, "counts": c.to_json(),
                             "expected": e_idle.counts, "cost_ns": e_idle.cost,
                             "cost_busy_ns": e_busy.cost["total"]})
            sweep[vn][str(n)] = rows
    for vn in vnames:
        if vn == cv.BASELINE:
            continue
        be[vn] = {}
        for n in axis:
            rows, base = sweep[vn][str(n)], sweep[cv.BASELINE][str(n)]
            fr = [r["fraction"] for r in rows]
            bf = [b["fraction"] for b in base]
            b_idle = [interp(bf, [b["cost_ns"]["total"] for b in base], f) for f in fr]
            b_busy = [interp(bf, [b["cost_busy_ns"] for b in base], f) for f in fr]
            be[vn][str(n)] = {
                "idle": break_even(fr, [r["cost_ns"]["total"] - b for r, b in zip(rows, b_idle)]),
                "busy": break_even(fr, [r["cost_busy_ns"] - b for r, b in zip(rows, b_busy)]),
            }

    t1 = time.perf_counter()
    wl = []
    for n in sorted({min(w, cpus) for w in workload_cpus}):
        for name in workloads.NAMES:
            wl.append(workloads.run_workload(name, n, zones, vnames, params, offstack, seed))
    wl_s = time.perf_counter() - t1

    slow = max(points.values(), key=lambda c: c.seconds)
    return {
        "schema": SCHEMA,
        "parameters": params.described(),
        "configuration": {"cpus": cpus, "zones": zones, "offstack": "y" if offstack else "n",
                          "occupancy_steps": steps, "cpu_axis": list(axis), "variants": vnames,
                          "baseline": cv.BASELINE, "workload_cpus": sorted({min(w, cpus) for w in workload_cpus}),
                          "seed": seed, "sweep_regime": "normal"},
        "slab_pages": {str(n): slab_pages(n) for n in axis},
        "sweep": sweep,
        "break_even": be,
        "workloads": wl,
        "timing": {"sweep_s": round(sweep_s, 2), "workloads_s": round(wl_s, 2),
                   "points": len(points), "points_run": cache.misses, "points_cached": cache.hits,
                   "slowest_point": {"variant": slow.variant, "cpus": slow.cpus, "nonempty": slow.nonempty,
                                     "seconds": slow.seconds, "steps": slow.steps},
                   "jobs": jobs},
    }
