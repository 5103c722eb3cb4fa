"""`python -m drainverify.reduction_check [--config NAME]`: the sleep-set reduction
changes nothing but the work.

Runs the whole matrix of a configuration twice -- `--reduction none` and `--reduction
sleep`, every sweep to its end -- asserts that every cell has the same verdict and the
same counterexample (scenario, schedule, violation), and prints states and transitions
with and without the reduction.  Exit 0 iff identical.  (Also `pytest -m slow
tests/test_reduction.py`.)
"""
from __future__ import annotations

import argparse
import sys
import time

from drainverify import matrix
from model import variants
from model.config import Config
from model.properties import NAMES


def compare(cfg: Config, jobs: int = 0) -> tuple[list, dict]:
    out, stats = [], {}
    results = {}
    for red in ("none", "sleep"):
        t0 = time.perf_counter()
        m = matrix.run(list(variants.NAMES), NAMES, cfg.with_(reduction=red), jobs=jobs, full=True)
        stats[red] = {"seconds": time.perf_counter() - t0,
                      "states": sum(r.states for rs in m.sweeps.values() for r in rs),
                      "transitions": sum(r.transitions for rs in m.sweeps.values() for r in rs),
                      "pruned": sum(r.pruned for rs in m.sweeps.values() for r in rs)}
        results[red] = m.cells
    for vn, row in results["none"].items():
        for p, a in row.items():
            b = results["sleep"][vn][p]
            if a["verdict"] != b["verdict"]:
                out.append(f"{vn} x {p}: verdict {a['verdict']} without, {b['verdict']} with the reduction")
            xa, xb = a.get("counterexample"), b.get("counterexample")
            if bool(xa) != bool(xb) or xa and ([s["choice"] for s in xa["steps"]] != [s["choice"] for s in xb["steps"]]
                                             or xa["scenario"] != xb["scenario"] or xa["violation"] != xb["violation"]):
                out.append(f"{vn} x {p}: the counterexamples differ")
    return out, stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drainverify.reduction_check", description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    ap.add_argument("-j", "--jobs", type=int, default=0)
    a = ap.parse_args(argv)
    from model import manifest
    cfg = Config(**manifest.configuration(a.config)["bound"], name=a.config).validate()
    diffs, st = compare(cfg, a.jobs)
    n, s = st["none"], st["sleep"]
    print(f"configuration {a.config}: {len(variants.NAMES) * len(NAMES)} cells")
    for red in ("none", "sleep"):
        x = st[red]
        print(f"  reduction {red:5s}: {x['states']:>10,} states {x['transitions']:>10,} transitions "
              f"({x['pruned']:,} pruned) {x['seconds']:7.1f} s  {x['states'] / x['seconds']:,.0f} states/s")
    print(f"  factor: states {n['states'] / s['states']:.2f}x, transitions {n['transitions'] / s['transitions']:.2f}x, "
          f"time {n['seconds'] / s['seconds']:.2f}x")
    for d in diffs:
        print("DIFFERS", d)
    print("identical verdicts and counterexamples" if not diffs else f"{len(diffs)} cell(s) differ")
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
