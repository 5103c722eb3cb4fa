"""The quiescent scan checked at a real machine size: NR_CPUS = 8192, 5 zones.

Abstracts the same code as `proofs.scan` (the v4 patch's scan and
`on_each_cpu_mask()`, and the corpus relatives), built without a Python loop over
CPUs: a cpumask is an `Array(cpu, Bool)` whose index sort is a 13-bit bit-vector --
exactly 8192 CPUs -- and each pcp count column is an `Array(cpu, Int)`.  The zone
loop is unrolled (5 terms); the CPU loop is a `Lambda` over all CPUs at once.  That
interchange (zones outer, CPUs inner) is exact here because the iteration for CPU c
reads only c's counts and writes only c's bit.

`bitblasted` is the same check with each cpumask an 8192-bit bit-vector (the
kernel's `DECLARE_BITMAP(bits, NR_CPUS)`), each count column reduced to its
"non-zero" bits; it is printed by `proofs.bench` for comparison (it bit-blasts
40,960 cells, and takes seconds, not milliseconds).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import z3

from . import scan as S
from .kernel import DEFAULT_TIMEOUT_MS


@dataclass(frozen=True)
class ScaleResult:
    variant: str
    ncpus: int
    nzones: int
    status: str              # "holds" (unsat), "violated" (sat), "unknown"
    seconds: float           # construction + solving
    build_seconds: float
    bad_cpu: int | None = None


def _bits(n: int) -> int:
    return max(1, (n - 1).bit_length())


def build(variant: str, ncpus: int = 8192, nzones: int = 5):
    """(assertions whose unsat is the claim, the index constant of a violation, cnt)"""
    sh = S.shape_of(variant)
    C = z3.BitVecSort(_bits(ncpus))
    N = z3.BitVecVal(ncpus, _bits(ncpus) + 1)
    c = z3.Const("c", C)

    def in_range(x):
        return z3.ULT(z3.ZeroExt(1, x), N)

    # States are built, not constrained, so no quantifier is needed: every valid
    # state (offline CPUs hold nothing, counts >= 0, `last` the last online CPU) is
    # the image of some raw arrays, and only valid states are images.
    raw_on = z3.Array("online_raw", C, z3.BoolSort())
    raw = [z3.Array(f"count_raw_z{z}", C, z3.IntSort()) for z in range(nzones)]
    caller, last = z3.Const("caller", C), z3.Const("last_online", C)
    alloc_ok = z3.Bool("alloc_ok")
    online = z3.Lambda([c], z3.And(in_range(c), z3.Or(c == last, z3.And(z3.ULT(c, last), raw_on[c]))))
    cnt = [z3.Lambda([c], z3.If(z3.And(online[c], col[c] > 0), col[c], 0)) for col in raw]
    pre = [in_range(last), online[caller]]
    scanned = z3.Lambda([c], z3.And(online[c], c != last) if sh.skip_last_cpu else online[c])
    mask = z3.K(C, z3.BoolVal(False))
    for z in range(1 if sh.first_zone_only else nzones):
        mask = z3.Lambda([c], z3.If(scanned[c], S.bit_body(sh, mask[c], cnt[z][c] != 0), mask[c]))
    fb = {"on_each_cpu": online[c], "smp_call_function": z3.And(online[c], c != caller),
          "none": z3.BoolVal(False)}[sh.fallback]
    drained = z3.Lambda([c], z3.If(alloc_ok, z3.And(online[c], mask[c]), fb))
    bad = z3.Const("bad_cpu", C)
    viol = z3.Or([z3.If(drained[bad], 0, col[bad]) != z3.If(online[bad], 0, col[bad]) for col in cnt])
    return pre + [viol], bad


def check(variant: str, ncpus: int = 8192, nzones: int = 5, timeout_ms=DEFAULT_TIMEOUT_MS) -> ScaleResult:
    t0 = time.perf_counter()
    assertions, bad = build(variant, ncpus, nzones)
    t1 = time.perf_counter()
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*assertions)
    r = s.check()
    t2 = time.perf_counter()
    if r == z3.unsat:
        return ScaleResult(variant, ncpus, nzones, "holds", t2 - t0, t1 - t0)
    if r == z3.sat:
        return ScaleResult(variant, ncpus, nzones, "violated", t2 - t0, t1 - t0,
                           s.model().eval(bad, model_completion=True).as_long())
    return ScaleResult(variant, ncpus, nzones, "unknown", t2 - t0, t1 - t0)


def bitblasted(variant: str, ncpus: int = 8192, nzones: int = 5, timeout_ms=DEFAULT_TIMEOUT_MS) -> ScaleResult:
    """The same claim over 8192-bit cpumasks (v4 and v5 shapes; no off-by-one)."""
    sh = S.shape_of(variant)
    t0 = time.perf_counter()
    online = z3.BitVec("online", ncpus)
    nz = [z3.BitVec(f"nonzero_z{z}", ncpus) for z in range(nzones)]
    zero = z3.BitVecVal(0, ncpus)
    mask = zero
    for n in nz[: 1 if sh.first_zone_only else nzones]:
        mask = (mask & ~online) | (online & n) if sh.set_clear else mask | (online & n)
    drained = online & mask
    asserts = [(n & ~online) == zero for n in nz] + [z3.Or([(n & (drained ^ online)) != zero for n in nz])]
    t1 = time.perf_counter()
    s = z3.SolverFor("QF_BV")
    s.set("timeout", timeout_ms)
    s.add(*asserts)
    r = s.check()
    t2 = time.perf_counter()
    status = "holds" if r == z3.unsat else "violated" if r == z3.sat else "unknown"
    return ScaleResult(variant, ncpus, nzones, status, t2 - t0, t1 - t0)
