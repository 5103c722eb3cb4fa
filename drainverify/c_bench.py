"""`python -m drainverify.c_bench [FILE.c --api ERA [--init NAME]] [--all]`: compile and check time.

For one C file (default: the seed, c_corpus/v4-zalloc-fallback.c, the costliest
shape since it allocates and so is swept under both OFFSTACK settings) it
prints the cold build (an empty cache directory: preprocess, scan, the runtime
and the unit for both settings), a cached load, and `drainverify check --c` of all ten
properties at the default Bound with two workers -- the figure the 30-second
target is about.  `--all` prints the same for every file of c_corpus/.
Figures are printed, never asserted; they depend on what else the machine runs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from cshim import load
from cshim.corpus import CORPUS

TARGET_S = 30.0


def bench_one(path: Path, api: str, init=None, era=None, jobs: int = 2) -> dict:
    with tempfile.TemporaryDirectory(prefix="cshim-bench-") as cache:
        old = os.environ.get("CSHIM_CACHE_DIR")
        os.environ["CSHIM_CACHE_DIR"] = cache          # the check's workers inherit it
        try:
            t0 = time.perf_counter()
            load(path, api, init=init, era=era).close()
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            load(path, api, init=init, era=era).close()
            cached = time.perf_counter() - t0
            t0 = time.perf_counter()
            rc = _check(path, api, init, jobs)
            check = time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("CSHIM_CACHE_DIR", None)
            else:
                os.environ["CSHIM_CACHE_DIR"] = old
    return {"file": path.name, "cold": cold, "cached": cached, "check": check, "total": cold + check, "rc": rc}


def _check(path, api, init, jobs) -> int:
    import contextlib
    import io
    from drainverify.cli import main as cli_main
    argv = ["check", "--c", str(path), "--api", api, "-j", str(jobs)] + (["--init", init] if init else [])
    with contextlib.redirect_stdout(io.StringIO()):
        return cli_main(argv)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drainverify.c_bench", description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(CORPUS / "v4-zalloc-fallback.c"))
    ap.add_argument("--api", default=None, help="kernel API era (corpus files know theirs)")
    ap.add_argument("--init")
    ap.add_argument("--all", action="store_true", help="every file of c_corpus/")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    entries = json.loads((CORPUS / "manifest.json").read_text())["files"]
    if a.all:
        todo = [(CORPUS / e["file"], e["api"], e["init"], e.get("era")) for e in entries.values()]
    else:
        p = Path(a.file)
        e = next((e for e in entries.values() if (CORPUS / e["file"]).resolve() == p.resolve()), {})
        api = a.api or e.get("api")
        if not api:
            print("python -m drainverify.c_bench: --api is needed for a file outside c_corpus/", file=sys.stderr)
            return 2
        todo = [(p, api, a.init or e.get("init"), e.get("era"))]
    print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}; {a.jobs} worker(s); "
          f"target: compile + check under {TARGET_S:.0f} s")
    print(f"{'file':30s} {'cold build s':>12s} {'cached load s':>13s} {'check s':>8s} {'total s':>8s}  verdicts")
    worst = 0.0
    for path, api, init, era in todo:
        r = bench_one(path, api, init, era, a.jobs)
        worst = max(worst, r["total"])
        ok = {0: "match", 1: "MISMATCH", 2: "BUILD ERROR"}[r["rc"]]
        print(f"{r['file']:30s} {r['cold']:12.2f} {r['cached']:13.3f} {r['check']:8.1f} {r['total']:8.1f}  {ok}",
              flush=True)
    print(f"slowest total {worst:.1f} s: {'under' if worst < TARGET_S else 'OVER'} the {TARGET_S:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
