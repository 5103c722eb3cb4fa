"""`python -m drainverify.engine_bench [--rounds N] [--matrix]`: the exhaustive engine
against its peers, side by side in one run, end to end (a fresh process each).

Rows, each the median of N rounds (interleaved, so load hits every tool alike):

* SPIN on the two Promela models of anchors/spin (`spin -a`, `gcc -O2 -DSAFETY`,
  `./pan`), if `spin` and `gcc` are installed (`apt-get install spin`);
* the README's form of the two races, `drainverify check --variant V --property P`
  (both OFFSTACK settings, the default configuration), and the ratio to SPIN;
* the same pinned to the race's shape (`--offstack n` and the race's CPUs, zones,
  pages and callers), beside GenMC's figure as recorded (GenMC is on no package
  registry, so it is not run here);
* with `--matrix`, once each: `drainverify check` (the whole default matrix), `check
  --config hotplug`, `check --config deep`, and states per second of one sweep with
  and without `--reduction sleep`.

Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPIN_DIR = Path(__file__).resolve().parent.parent / "anchors" / "spin"
GENMC_RECORDED_S = 0.09
RACES = [
    ("v3.4 static mask x entry_snapshot_drained", "v3.4-static-mask", "entry_snapshot_drained", "static_mask_race.pml",
     ["--offstack", "n", "--cpus", "2", "--zones", "1", "--pages", "1", "--callers", "2", "--ops", "1", "--size", "4"]),
    ("v4 masked x disabled_pcp_left_empty", "v4-zalloc-fallback", "disabled_pcp_left_empty", "masked_race.pml",
     ["--offstack", "n", "--cpus", "2", "--zones", "1", "--pages", "2", "--callers", "1", "--ops", "1", "--size", "4"]),
]


def _run(cmd, cwd=None) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, r.returncode


def _spin(model: Path) -> tuple[float, int] | None:
    if not (shutil.which("spin") and shutil.which("gcc") and model.is_file()):
        return None
    with tempfile.TemporaryDirectory(prefix="spin-") as d:
        shutil.copy(model, d)
        return _run(["sh", "-c", f"spin -a {model.name} && gcc -O2 -DSAFETY -o pan pan.c && ./pan"], cwd=d)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drainverify.engine_bench", description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--spin-dir", default=str(SPIN_DIR))
    ap.add_argument("--matrix", action="store_true", help="also time the whole matrices (minutes)")
    a = ap.parse_args(argv)
    exe = [sys.executable, "-m", "drainverify"]
    print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}; median of {a.rounds} round(s)")
    times: dict = {}
    for _ in range(a.rounds):
        for name, v, p, pml, pinned in RACES:
            s = _spin(Path(a.spin_dir) / pml)
            if s is not None:
                times.setdefault((name, "spin"), []).append(s[0])
            times.setdefault((name, "readme"), []).append(_run(exe + ["check", "--variant", v, "--property", p])[0])
            times.setdefault((name, "pinned"), []).append(
                _run(exe + ["check", "--variant", v, "--property", p, *pinned])[0])
    print(f"{'race':44s} {'SPIN s':>8s} {'check s':>8s} {'ratio':>6s} {'pinned s':>9s} {'GenMC s (recorded)':>19s}")
    for name, v, p, pml, pinned in RACES:
        med = {k: statistics.median(times[(name, k)]) for k in ("spin", "readme", "pinned") if (name, k) in times}
        spin = med.get("spin")
        ratio = f"{med['readme'] / spin:.2f}" if spin else "-"
        print(f"{name:44s} {spin if spin is not None else float('nan'):8.2f} {med['readme']:8.2f} {ratio:>6s} "
              f"{med['pinned']:9.2f} {GENMC_RECORDED_S:19.2f}")
    print("check = the README's form: drainverify check --variant V --property P (both OFFSTACK settings)")
    print("pinned = the same with --offstack n and the race's shape: " +
          "; ".join(f"{v}: {' '.join(pn)}" for _, v, _, _, pn in RACES))
    if a.matrix:
        print()
        for label, extra in (("drainverify check (default matrix)", []),
                             ("drainverify check --config hotplug", ["--config", "hotplug"]),
                             ("drainverify check --config deep", ["--config", "deep"])):
            secs, rc = _run(exe + ["check", *extra])
            print(f"{label:40s} {secs:8.1f} s  exit {rc}")
        from model import variants
        from model.explore import Bound, sweep
        v = variants.get("v3.4-static-mask")
        for red in (False, True):
            t0 = time.perf_counter()
            r = sweep(v, Bound(), False, stop_when_refuted=False, reduce=red)
            dt = time.perf_counter() - t0
            print(f"v3.4-static-mask sweep, reduction {'sleep' if red else 'none '}: {r.states} states, "
                  f"{r.transitions} transitions ({r.pruned} pruned), {dt:.1f} s, {r.states / dt:,.0f} states/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
