"""`python -m proofs.bench`: how long the proofs take, printed, never asserted.

1. every unbounded proof (target < 1 s each);
2. the quiescent scan at NR_CPUS = 8192 x 5 zones, construction included (< 1 s):
   the array encoding of `proofs.scale` for the masked drain and its mutants, and
   the bit-blasted 8192-bit cpumask version for comparison;
3. the whole `drainverify prove` run, end to end in a fresh process (< 30 s).

`--deep` adds the larger bounded model checks (minutes): the entry snapshot of the
masked drain, the fixes with two callers, two zones and three CPUs, and the racy
drains with four CPUs, each within `--budget` seconds (also the per-query timeout).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time

from .theorems import BY_KEY, run

UNBOUNDED = ("quiescent_equivalence:v4-zalloc-fallback", "misses_only_late_arrivals:v4-zalloc-fallback",
             "fallback_is_broadcast:v4-zalloc-fallback", "no_reclaim_recursion:v4-zalloc-fallback")
SCALE = ("v4-zalloc-fallback", "v5-last-zone-wins", "mut-first-zone-only", "mut-cpu-off-by-one",
         "mut-no-fallback", "mut-fallback-skips-local")


def _ok(secs, target):
    return "ok" if secs < target else f"OVER the {target:g} s target"


def bench_unbounded():
    print("unbounded proofs (target < 1 s each)")
    for key in UNBOUNDED:
        p = run(BY_KEY[key])
        print(f"  {key:50s} {p.grade:8s} {p.seconds:7.3f} s  {_ok(p.seconds, 1.0)}")


def bench_scale():
    from . import scale
    print("quiescent scan at NR_CPUS=8192 x 5 zones, construction included (target < 1 s)")
    for v in SCALE:
        r = scale.check(v)
        where = f" (cpu{r.bad_cpu})" if r.bad_cpu is not None else ""
        print(f"  arrays      {v:26s} {r.status + where:18s} {r.seconds:7.3f} s "
              f"(build {r.build_seconds:.3f} s)  {_ok(r.seconds, 1.0)}")
    for v in SCALE[:2]:
        r = scale.bitblasted(v)
        print(f"  bit-blasted {v:26s} {r.status:16s} {r.seconds:7.3f} s (build {r.build_seconds:.3f} s)  "
              f"for comparison only")


def bench_prove():
    print("whole prove run, fresh process (target < 30 s)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "proofs.cli", "prove"], capture_output=True, text=True)
    secs = time.perf_counter() - t0
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr.strip()
    print(f"  exit {out.returncode}, {secs:.2f} s  {_ok(secs, 30.0)}  [{last}]")


def bench_deep(budget):
    from model import variants
    from . import races as R
    print(f"deeper bounded model checks (budget {budget:g} s each)")
    cases = [(R.ENTRY, "v4-zalloc-fallback", R.entry_harness(variants.get("v4-zalloc-fallback")))]
    for v in ("v5.11-force-all", "v6.11-locked-count"):
        vv = variants.get(v)
        cases += [(R.DISABLED, v, R.disabled_harness(vv, callers=2)),
                  (R.DISABLED, v, R.disabled_harness(vv, nzones=2, pages=3)),
                  (R.DISABLED, v, R.disabled_harness(vv, ncpus=3))]
    for v in ("v4-zalloc-fallback", "v6.0-remote-lock"):
        cases.append((R.DISABLED, v, R.disabled_harness(variants.get(v), ncpus=4)))
    for prop, v, h in cases:
        p = R.prove(prop, v, h=h, budget_s=budget, timeout_ms=int(budget * 1000))
        print(f"  {prop} x {v}: {p.grade} in {p.seconds:.1f} s -- {p.bound or p.reason}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs.bench")
    ap.add_argument("--deep", action="store_true", help="also run the larger bounded model checks")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds per deep check")
    a = ap.parse_args(argv)
    bench_unbounded()
    bench_scale()
    bench_prove()
    if a.deep:
        bench_deep(a.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
