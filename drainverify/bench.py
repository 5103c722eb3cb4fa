"""`drainverify bench`: for every (variant, property) pair the manifest expects to
be refuted, the time and the work (scenarios, distinct states) to the first
minimal counterexample, measured in-process and end to end (a fresh
`drainverify check --variant V --property P` process: interpreter start, imports,
search, replay and report).  Figures are printed, never asserted."""
from __future__ import annotations

import subprocess
import sys
import time

from model import manifest, variants
from model.explore import sweep
from model.properties import BY_NAME


def run_bench(vnames, pnames, cfg) -> int:
    from drainverify.matrix import bound_of, settings_for
    print(f"{'variant':26s} {'property':26s} {'size (cpus,pages,callers,steps)':32s} "
          f"{'scenarios':>9s} {'states':>8s} {'search s':>9s} {'end-to-end s':>12s}")
    for vn in vnames:
        v = variants.get(vn)
        for p in pnames:
            if manifest.expected(vn, p) != "refuted":
                continue
            best = None
            for off in settings_for(v, cfg):
                t0 = time.perf_counter()
                r = sweep(v, bound_of(cfg), off, cfg.memory_model, props=[BY_NAME[p]])
                f = r.findings.get(p)
                if f and (best is None or f.found_after_states < best[0].found_after_states):
                    best = (f, time.perf_counter() - t0, off)
            if best is None:
                print(f"{vn:26s} {p:26s} NOT FOUND within the bound")
                continue
            f, secs, off = best
            s = f.scenario
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "drainverify.cli", "check", "--variant", vn, "--property", p,
                            "--offstack", "y" if off else "n", "-j", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            e2e = time.perf_counter() - t0
            size = f"({s.ncpus},{s.npages},{s.ncallers},{len(f.choices)})"
            print(f"{vn:26s} {p:26s} {size:32s} {f.found_after_scenarios + 1:>9d} "
                  f"{f.found_after_states:>8d} {f.seconds:>9.2f} {e2e:>12.2f}", flush=True)
    return 0


def spin_times(directory) -> list[tuple[str, float, str]]:
    """Time SPIN end to end (translation, C compile, search) on each Promela model in
    `directory` (the anchors in anchors/spin), for comparison."""
    import shutil
    import tempfile
    from pathlib import Path
    out = []
    if not (shutil.which("spin") and shutil.which("gcc")):
        return [("spin", float("nan"), "spin or gcc not installed")]
    for pml in sorted(Path(directory).glob("*.pml")):
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(pml, d)
            t0 = time.perf_counter()
            r = subprocess.run(f"spin -a {pml.name} && gcc -O2 -DSAFETY -o pan pan.c && ./pan", shell=True,
                               cwd=d, capture_output=True, text=True)
            secs = time.perf_counter() - t0
            verdict = "violation found" if "errors: 1" in r.stdout else "no violation"
            out.append((pml.stem, secs, verdict))
    return out
