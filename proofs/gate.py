"""The conformance gate: before an encoding grades a theorem, it is run on concrete
values beside the Python model, and any difference refuses the grade.

The conformance tests (tests/test_proofs_conformance.py) search for differences with
Hypothesis; this gate is the fixed, fast sample `drainverify prove` (and the matrix's
proof upgrade) runs every time, so an encoding that drifted from `model/` -- or a
model that drifted from its encoding -- gives `unknown` ("the encoding and the model
disagree"), never `proved` or `refuted`:

* every encoding that reads the allocator: `allocator_differences` on every gfp
  mask the theorem's variant uses x every named era x OFFSTACK x PF_MEMALLOC;
* the scan and fallback encodings: `scan_differences` on a seeded sample of lone
  calls (1-3 CPUs, 1-2 zones, counts 0-2, online masks, both allocation outcomes);
* the BMC: `StepChecker` in lockstep with `Runtime.step` along a seeded sample of
  schedules of the theorem's harness.

This module abstracts no kernel code.
"""
from __future__ import annotations

import random
from functools import lru_cache

from model import variants
from model.allocator import ERAS

SCAN_CASES = 40
BMC_RUNS = 12


def _allocator(gfps) -> list:
    from .conform import allocator_differences
    out = []
    for gfp in gfps:
        for era in ERAS:
            for off in (False, True):
                for mem in (False, True):
                    out += allocator_differences(gfp, era, off, mem)
    return out


def _scan(variant: str) -> list:
    from .conform import scan_differences
    rng = random.Random(0)
    out = []
    for _ in range(SCAN_CASES):
        n, zn = rng.randint(1, 3), rng.randint(1, 2)
        caller = rng.randrange(n)
        online = [c == caller or rng.random() < 0.7 for c in range(n)]
        counts = [[rng.randint(0, 2) if online[c] else 0 for _ in range(zn)] for c in range(n)]
        out += scan_differences(variant, online, counts, caller, rng.random() < 0.6)
        if out:
            break
    return out


def _bmc(variant: str, prop: str) -> list:
    from . import races as R
    from .conform import StepChecker
    v = variants.get(variant)
    h = R.entry_harness(v) if prop == R.ENTRY else R.disabled_harness(v, nzones=2, pages=3, callers=2)
    chk = StepChecker(variant, h)
    rng = random.Random(0)
    out = []
    for _ in range(BMC_RUNS):
        while True:
            progs = [rng.randrange(len(h.menu)) for _ in range(h.ncpus)]
            if sum(h.is_call(i) for i in progs) <= h.max_callers:
                break
        left = h.pages - sum(1 for i in progs for it in h.menu[i] if it[0] == "free")
        counts = [[0] * h.nzones for _ in range(h.ncpus)]
        bud = [0] * h.nzones
        for _ in range(rng.randint(0, max(left, 0))):
            z = rng.randrange(h.nzones)
            if rng.random() < 0.5:
                counts[rng.randrange(h.ncpus)][z] += 1
            else:
                bud[z] += 1
        picks = [rng.randint(0, 6) for _ in range(rng.randint(0, 40))]
        out += chk.run(progs, counts, bud, picks)
        if out:
            break
    return out


@lru_cache(maxsize=None)
def differences(encoding: str, prop: str, variant: str) -> tuple:
    """Every difference the gate finds for this theorem's encoding (empty: none)."""
    v = variants.get(variant)
    gfps = tuple(sorted({getattr(v, "gfp", "GFP_ATOMIC"), "GFP_ATOMIC", "GFP_KERNEL"}))
    out: list = []
    if encoding in ("scan", "fallback", "recursion"):
        out += _allocator(gfps)
    if encoding in ("scan", "fallback") and not out:
        out += _scan(variant)
    if encoding == "bmc":
        out += _bmc(variant, prop)
    return tuple(out)
