"""The masked drain's scan, encoded once and read two ways: symbolically (every
NR_CPUS, every number of populated zones) and unrolled at a concrete size.

Abstracts the v4 patch's `drain_all_pages()` (lkml 2011-11-22, model variant
`v4-zalloc-fallback`): `for_each_online_cpu(cpu) for_each_populated_zone(zone) if
(pcp->count) cpumask_set_cpu(cpu, cpus)` on a zeroed private mask, then
`on_each_cpu_mask(cpus, drain_local_pages, NULL, 1)` -- remote CPUs of the mask by
IPI, the caller itself iff its bit is set -- and, if `zalloc_cpumask_var()` failed,
the era's fallback (`on_each_cpu()`).  Its one-ingredient relatives are the same
loop with one thing changed, read off the corpus object (`shape_of`):
`v5-last-zone-wins` (the zone-loop body *sets or clears* the bit of a shared mask),
`mut-first-zone-only` (the zone loop stops after the first zone),
`mut-cpu-off-by-one` (the CPU loop skips the last online CPU), and the fallbacks of
`mut-no-fallback` / `mut-fallback-skips-local`.

Simplified: a scan is a sequence of loads `read(cpu, zone)`; quiescent, the loads
return `count` (nothing else runs); for `misses_only_late_arrivals` they return
anything (whatever concurrent frees, allocations and drains made them), and
`late(cpu, zone)` is the count when the drain decides.  CPU hotplug during the call
is left out (the online mask is one value).  The broadcast reference drains every
online CPU; a drained CPU's lists are all emptied (`drain_pages()`), so page
locations follow from which CPUs were drained.

Hand-traced (v5-last-zone-wins, 1 CPU, zones DMA32 Normal): cpu0 holds one DMA32
page; read(0, DMA32)=1 sets bit 0, read(0, Normal)=0 clears it; the mask is empty,
the caller skips its local run and the page stays: the broadcast would have taken it.
"""
from __future__ import annotations

from dataclasses import dataclass

import z3

from model import variants
from model.variants.history import V4ZallocFallback, V5LastZoneWins

I = z3.IntSort()


@dataclass(frozen=True)
class Shape:
    """The scan ingredients of one corpus variant."""
    name: str
    set_clear: bool          # zone body writes the bit (shared mask) instead of OR-ing it
    first_zone_only: bool
    skip_last_cpu: bool
    allocates: bool
    fallback: str            # on_each_cpu | none | smp_call_function


SUPPORTED = ("v4-zalloc-fallback", "v5-last-zone-wins", "mut-first-zone-only", "mut-cpu-off-by-one",
             "mut-no-fallback", "mut-fallback-skips-local", "mut-mask-leak", "mut-gfp-kernel")


def shape_of(name: str) -> Shape:
    v = variants.get(name)
    if isinstance(v, V4ZallocFallback):
        return Shape(name, False, v.first_zone_only, v.skip_last_cpu, True, v.fallback)
    if isinstance(v, V5LastZoneWins):
        return Shape(name, True, False, False, False, "on_each_cpu")
    raise ValueError(f"{name}: the scan encoding covers {', '.join(SUPPORTED)}")


# --- the environment: symbolic (quantified) or concrete (expanded) ----------------------

class SymEnv:
    """NR_CPUS = N and NR_ZONES = Zn symbolic; count/read/late uninterpreted."""
    symbolic = True

    def __init__(self, tag=""):
        self.N, self.Zn, self.caller, self.L = z3.Ints(f"N{tag} Zn{tag} caller{tag} last_online{tag}")
        self.online_a = z3.Array(f"online{tag}", I, z3.BoolSort())
        self.count_f = z3.Function(f"count{tag}", I, I, I)
        self.read_f = z3.Function(f"read{tag}", I, I, I)
        self.late_f = z3.Function(f"late{tag}", I, I, I)
        self.alloc_ok = z3.Bool(f"alloc_ok{tag}")
        self.c, self.z = z3.Ints(f"c{tag} z{tag}")

    def online(self, c):
        return self.online_a[c]

    def count(self, c, z):
        return self.count_f(c, z)

    def read(self, c, z):
        return self.read_f(c, z)

    def late(self, c, z):
        return self.late_f(c, z)

    def all_cz(self, f):
        c, z = self.c, self.z
        return z3.ForAll([c, z], z3.Implies(z3.And(0 <= c, c < self.N, 0 <= z, z < self.Zn), f(c, z)))

    def any_cz(self, f):
        c, z = self.c, self.z
        return z3.Exists([c, z], z3.And(0 <= c, c < self.N, 0 <= z, z < self.Zn, f(c, z)))

    def all_c_between(self, lo, hi, f):
        c = self.c
        return z3.ForAll([c], z3.Implies(z3.And(lo < c, c < hi), f(c)))

    def one_page_machine(self, alloc_ok=True):
        """An explicit model for the premises: one online CPU, one zone, one page on
        its list (count = read = 1, late = 0) -> (constants, functions) to substitute."""
        one, zero = z3.IntVal(1), z3.IntVal(0)
        consts = [(self.N, one), (self.Zn, one), (self.caller, zero), (self.L, zero),
                  (self.online_a, z3.K(I, z3.BoolVal(True))), (self.alloc_ok, z3.BoolVal(alloc_ok))]
        funs = [(self.count_f, one), (self.read_f, one), (self.late_f, zero)]
        return consts, funs


class ConcreteEnv:
    """N and Zn fixed: one variable per CPU / (CPU, zone); quantifiers expanded."""
    symbolic = False

    def __init__(self, N: int, Zn: int, tag="", quiescent=True):
        self.N, self.Zn = N, Zn
        self.caller, self.L = z3.Ints(f"caller{tag} last_online{tag}")
        self.on = [z3.Bool(f"online_cpu{c}{tag}") for c in range(N)]
        self.cnt = [[z3.Int(f"count_cpu{c}_z{z}{tag}") for z in range(Zn)] for c in range(N)]
        self.rd = self.cnt if quiescent else [[z3.Int(f"read_cpu{c}_z{z}{tag}") for z in range(Zn)]
                                              for c in range(N)]
        self.lt = self.cnt if quiescent else [[z3.Int(f"late_cpu{c}_z{z}{tag}") for z in range(Zn)]
                                              for c in range(N)]
        self.alloc_ok = z3.Bool(f"alloc_ok{tag}")

    def _sel(self, vec, c):
        if isinstance(c, int):
            return vec[c]
        out = vec[-1]
        for i in range(len(vec) - 2, -1, -1):
            out = z3.If(c == i, vec[i], out)
        return out

    def online(self, c):
        return self._sel(self.on, c)

    def count(self, c, z):
        return self.cnt[c][z]

    def read(self, c, z):
        return self.rd[c][z]

    def late(self, c, z):
        return self.lt[c][z]

    def all_cz(self, f):
        return z3.And([f(c, z) for c in range(self.N) for z in range(self.Zn)])

    def any_cz(self, f):
        return z3.Or([f(c, z) for c in range(self.N) for z in range(self.Zn)])

    def all_c_between(self, lo, hi, f):
        return z3.And([z3.Implies(z3.And(lo < c, c < hi), f(c)) for c in range(self.N)])


# --- the encoding -------------------------------------------------------------------------

def premises(sh: Shape, env) -> list:
    """What every theorem assumes: sizes, the caller online, counts non-negative,
    offline CPUs hold no pcp pages (DESIGN.md §2), `last_online` is the last online CPU."""
    out = [env.N >= 1, env.Zn >= 1, 0 <= env.caller, env.caller < env.N, env.online(env.caller),
           env.all_cz(lambda c, z: env.count(c, z) >= 0),
           env.all_cz(lambda c, z: z3.Implies(z3.Not(env.online(c)), env.count(c, z) == 0)),
           0 <= env.L, env.L < env.N, env.online(env.L),
           env.all_c_between(env.L, env.N, lambda c: z3.Not(env.online(c)))]
    if not sh.allocates:
        out.append(env.alloc_ok)
    return out


def bit_body(sh: Shape, bit, nonzero):
    """One iteration of the zone loop on CPU c's bit: OR it (private mask,
    `if (pcp->count) cpumask_set_cpu()`) or write it (v5's set/clear on the shared mask)."""
    return nonzero if sh.set_clear else z3.Or(bit, nonzero)


def zone_body(sh: Shape, mask, c, nonzero):
    return z3.Store(mask, c, bit_body(sh, mask[c], nonzero))


def zones_scanned(sh: Shape, env):
    return 1 if sh.first_zone_only else env.Zn


def cpu_scanned(sh: Shape, env, c):
    """for_each_online_cpu(), minus the last online CPU for the off-by-one mutant."""
    on = env.online(c)
    return z3.And(on, c != env.L) if sh.skip_last_cpu else on


def drained_masked(env, mask, c):
    """on_each_cpu_mask(): remote online CPUs of the mask by IPI, the caller iff its bit."""
    return z3.And(env.online(c), mask[c])


def drained_fallback(sh: Shape, env, c):
    if sh.fallback == "on_each_cpu":
        return env.online(c)
    if sh.fallback == "smp_call_function":
        return z3.And(env.online(c), c != env.caller)
    return z3.BoolVal(False)


def drained(sh: Shape, env, mask, c):
    return z3.If(env.alloc_ok, drained_masked(env, mask, c), drained_fallback(sh, env, c))


def quiescent_claim(sh: Shape, env, mask):
    """Every pcp count after the drain equals the broadcast drain's."""
    return env.all_cz(lambda c, z: z3.If(drained(sh, env, mask, c), 0, env.count(c, z))
                      == z3.If(env.online(c), 0, env.count(c, z)))


def scanned(sh: Shape, env, c, z):
    return z3.And(cpu_scanned(sh, env, c), z < zones_scanned(sh, env))


def misses_claim(sh: Shape, env, mask):
    """A CPU the drain does not reach had read 0 wherever it was scanned, and no pages
    where it was not (judged, as by the model's monitor, only if something was scanned)."""
    ok = env.all_cz(lambda c, z: z3.Implies(
        z3.And(env.online(c), z3.Not(drained_masked(env, mask, c))),
        z3.If(scanned(sh, env, c, z), env.read(c, z) == 0, env.late(c, z) == 0)))
    some_scan = env.any_cz(lambda c, z: scanned(sh, env, c, z))
    return z3.Implies(z3.And(env.alloc_ok, some_scan), ok)


def unroll(sh: Shape, env: ConcreteEnv):
    """The scan loop executed at a concrete size: the final mask (an Array)."""
    mask = z3.K(I, z3.BoolVal(False))
    zs = zones_scanned(sh, env)
    for c in range(env.N):
        inner = mask
        for z in range(zs):
            inner = zone_body(sh, inner, c, env.read(c, z) != 0)
        mask = z3.If(cpu_scanned(sh, env, c), inner, mask)
    return mask


# --- the loop invariants, for the unbounded proof -------------------------------------------

def has_pages(env: SymEnv, c, upto):
    """Some zone below `upto` read non-zero for CPU c."""
    w = z3.Int("w")
    return z3.Exists([w], z3.And(0 <= w, w < upto, env.read(c, w) != 0))


def inner_inv(env: SymEnv, m0, m, i, z):
    c = z3.Int("ci")
    return z3.And(z3.ForAll([c], z3.Implies(c != i, m[c] == m0[c])),
                  m[i] == z3.Or(m0[i], has_pages(env, i, z)))


def outer_inv(sh: Shape, env: SymEnv, m, i):
    c = z3.Int("co")
    return z3.ForAll([c], m[c] == z3.And(0 <= c, c < i, cpu_scanned(sh, env, c), has_pages(env, c, env.Zn)))


INVARIANT_TEXT = (
    "zone loop of cpu i after zone z: bit i == (some zone < z read count != 0), other bits unchanged; "
    "cpu loop after cpu i: bit c == (c < i && c scanned && some populated zone of c read count != 0), "
    "all CPUs c and zones z, for every NR_CPUS >= 1 and every number of populated zones >= 1")


def loop_obligations(sh: Shape, env: SymEnv):
    """(name, premises, goal) of the two loops' initiation and consecution."""
    from .kernel import Obligation
    m, m0, m1 = (z3.Array(n, I, z3.BoolSort()) for n in ("m", "m0", "m1"))
    i, z = z3.Ints("i zz")
    zs = zones_scanned(sh, env)
    pre = premises(sh, env)
    return [
        Obligation("cpu loop: zeroed mask (zalloc) satisfies the invariant at cpu 0", tuple(pre),
                   outer_inv(sh, env, z3.K(I, z3.BoolVal(False)), 0)),
        Obligation("zone loop: initiation", tuple(pre), inner_inv(env, m0, m0, i, 0)),
        Obligation("zone loop: consecution", tuple(pre + [inner_inv(env, m0, m, i, z), 0 <= z, z < zs]),
                   inner_inv(env, m0, zone_body(sh, m, i, env.read(i, z) != 0), i, z + 1)),
        Obligation("cpu loop: consecution, scanned cpu",
                   tuple(pre + [outer_inv(sh, env, m, i), 0 <= i, i < env.N, cpu_scanned(sh, env, i),
                                inner_inv(env, m, m1, i, zs)]),
                   outer_inv(sh, env, m1, i + 1)),
        Obligation("cpu loop: consecution, skipped cpu",
                   tuple(pre + [outer_inv(sh, env, m, i), 0 <= i, i < env.N, z3.Not(cpu_scanned(sh, env, i))]),
                   outer_inv(sh, env, m, i + 1)),
    ]


def final_mask_premise(sh: Shape, env: SymEnv, m):
    return outer_inv(sh, env, m, env.N)
