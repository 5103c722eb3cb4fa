"""`python -m drainverify.kernel_bench [--tree DIR]`: how long the kernel commands take.

Times, end to end as a user types them (a fresh process each, default flags):

* `drainverify check --kernel TREE` with an empty build cache (extraction, both
  OFFSTACK builds, the full ladder) and again with the cache warm;
* `drainverify review PATCH --kernel TREE` of one patch (moving the count read of
  drain_pages_zone() out of pcp->lock, generated from the tree's own file).

TREE defaults to Debian's linux-source-6.12 (fetched with kernelsrc.debian).
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 20.0


def _time(cmd, env) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, r.returncode, (r.stdout.strip().splitlines() or [""])[-1]


def _revert_patch(tree: Path, out: Path) -> Path | None:
    lines = (tree / "mm" / "page_alloc.c").read_text().splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.startswith("static void drain_pages_zone(")), None)
    if start is None:
        return None
    for i in range(start, min(start + 40, len(lines))):
        if "count = pcp->count;" in lines[i] and "lock" in lines[i - 1]:
            new = list(lines)
            new[i - 1], new[i] = lines[i], lines[i - 1]
            out.write_text("".join(difflib.unified_diff(lines, new, "a/mm/page_alloc.c", "b/mm/page_alloc.c")))
            return out
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drainverify.kernel_bench", description=__doc__.splitlines()[0])
    ap.add_argument("--tree", help="a kernel tree (default: Debian's linux-source-6.12)")
    a = ap.parse_args(argv)
    if a.tree:
        tree = Path(a.tree)
    else:
        from kernelsrc.debian import Unavailable, tree as debian_tree
        try:
            tree = debian_tree("6.12")
        except Unavailable as exc:
            print(f"kernel_bench: {exc}", file=sys.stderr)
            return 2
    exe = [sys.executable, "-m", "drainverify"]
    print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}; tree {tree}")
    with tempfile.TemporaryDirectory(prefix="kbench-") as tmp:
        env = dict(os.environ, CSHIM_CACHE_DIR=str(Path(tmp) / "cshim"))
        cold, rc, last = _time(exe + ["check", "--kernel", str(tree)], env)
        print(f"drainverify check --kernel TREE   (empty build cache)  {cold:6.1f} s  exit {rc}  [{last}]")
        warm, rc, last = _time(exe + ["check", "--kernel", str(tree)], env)
        print(f"drainverify check --kernel TREE   (build cache warm)   {warm:6.1f} s  exit {rc}  [{last}]")
        patch = _revert_patch(tree, Path(tmp) / "revert.patch")
        if patch is None:
            print("review: this tree's drain_pages_zone() does not read count under the lock; no patch to time")
        else:
            rev, rc, last = _time(exe + ["review", str(patch), "--kernel", str(tree)], env)
            print(f"drainverify review PATCH --kernel TREE (warm cache)    {rev:6.1f} s  exit {rc}  [{last}]")
    print(f"goal: check --kernel under {GOAL_S:.0f} s on 2 cores: {'met' if cold < GOAL_S else 'NOT met'} "
          f"({cold:.1f} s cold)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
