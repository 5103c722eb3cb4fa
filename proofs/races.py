"""The races, by bounded model checking (`proofs.bmc`, `proofs.step`), graded.

Theorems: `entry_snapshot_drained` on `v3.4-static-mask` (two overlapping callers
share the function-static `cpus_with_pcps`; Mel Gorman 2012-01-30) and
`disabled_pcp_left_empty` on the masked drain (`v4-zalloc-fallback`), the remote
drain that tests `count` before taking `pcp->lock` (`v6.0-remote-lock`), and the
fixes (`v5.11-force-all`, `v6.11-locked-count`).  DESIGN.md §4 race (1): an
allocation that loaded the old `batch` before `zone_pcp_disable()` refills after the
disabling CPU read `count == 0`.

The BMC unrolls one step at a time and asks, at each length k, for a violation at
step k: the first k that is sat is the minimal length for the harness.  Each step
also asks whether any actor can still be running at k; once no run is (every run of
every scenario of the harness has ended or deadlocked), the search is complete for
the harness and a property with no violation so far is `bounded` for it -- every
interleaving of every scenario in the harness, not just every schedule up to k.

A violation is decoded into a `Scenario` (the Z3 model's programs and pages) and a
schedule (the actor chosen at each step), and replayed with `model.history.replay`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import z3

from model import variants
from model.scenario import Scenario

from .bmc import Harness, Sched, State, System, done, initial, num
from .kernel import DEFAULT_TIMEOUT_MS, EncodingBug, Proof, Stopwatch, frozen_config, unknown
from .replay import replay_counterexample
from .step import peephole_por, transition

ENTRY, DISABLED = "entry_snapshot_drained", "disabled_pcp_left_empty"


def entry_harness(variant, ncpus=2, nzones=1, pages=2) -> Harness:
    drains = [("drain", None)] + ([("drain", z) for z in range(nzones)] if variant.zone_arg else [])
    menu = [()]
    for d in drains:
        menu += [(d,)] + [(("free", z), d) for z in range(nzones)] + [(("alloc", z), d) for z in range(nzones)]
    return Harness(ncpus, nzones, pages, tuple(menu))


def disabled_harness(variant, ncpus=2, nzones=1, pages=2, callers=1) -> Harness:
    menu = [()]
    for z in range(nzones):
        menu += [(("alloc", z),), (("free", z),), (("disable", z),), (("alloc", z), ("alloc", z))]
    menu.append((("drain", None),))
    return Harness(ncpus, nzones, pages, tuple(menu), max_callers=callers)


@dataclass
class BmcResult:
    status: str            # violated | complete | limit | unknown
    k: int
    model: object = None
    system: object = None
    states: list = None
    sels: list = None
    progs: list = None
    witness: bool = False
    reason: str = ""
    seconds: float = 0.0


def final_bad(sysm, st: State):
    """`disabled_pcp_left_empty` at the end: every actor done, a disabled zone's list non-empty."""
    h = sysm.h
    return z3.And(z3.And([done(sysm, st, s) for s in sysm.slots]),
                  z3.Or([z3.And(st.dz[z], z3.Or([st.cnt[c][z] > 0 for c in range(h.ncpus)]))
                         for z in range(h.nzones)]))


def bmc(variant_name: str, prop: str, h: Harness, kmax: int = 40, timeout_ms=DEFAULT_TIMEOUT_MS,
        budget_s: float = 20.0, stride: int = 4) -> BmcResult:
    """Unroll step by step; every `stride` steps ask for a violation at any step so
    far (monotone: an ended run stutters) -- then narrow down to the first length
    with one -- and whether a run can still be going (completeness: no actor
    enabled at the last state of any run)."""
    t0 = time.perf_counter()
    sysm = System(variants.get(variant_name), h)
    s = z3.SolverFor("QF_BV")
    s.set("timeout", timeout_ms)
    progs = [num(f"program_cpu{c}") for c in range(h.ncpus)]
    states = [State(sysm, 0)]
    s.add(*initial(sysm, states[0], progs))
    sels, bad_upto, wits = [], [z3.BoolVal(False)], []
    stutter = len(sysm.slots)

    def holds(f):
        lit = z3.FreshBool()
        s.add(z3.Implies(lit, f))
        return s.check(lit)

    for k in range(1, kmax + 1):
        sel = Sched(sysm, k - 1)
        sels.append(sel)
        states.append(State(sysm, k))
        cons, viol, wit, enabled_before = transition(sysm, states[k - 1], states[k], sel)
        s.add(*cons)
        if k >= 2:
            s.add(*peephole_por(sysm, states[k - 2], states[k - 1], sels[-2], sels[-1]))
        wits.append(wit)
        bad_upto.append(z3.Or(bad_upto[-1], viol) if prop == ENTRY else final_bad(sysm, states[k]))
        over = time.perf_counter() - t0 > budget_s
        if k % stride and k != kmax and not over:
            continue
        ended = holds(enabled_before)             # can a run still be going at step k-1?
        r = holds(bad_upto[k])
        if r == z3.unknown or ended == z3.unknown:
            return BmcResult("unknown", k, reason=f"z3 unknown at length {k} ({s.reason_unknown()})",
                             seconds=time.perf_counter() - t0)
        if r == z3.sat:
            first, mdl = k, s.model()
            for j in range(k - 1, 0, -1):
                rj = holds(bad_upto[j])
                if rj != z3.sat:
                    break
                first, mdl = j, s.model()
            res = BmcResult("violated", first, mdl, sysm, states, sels, progs)
            res.seconds = time.perf_counter() - t0
            return res
        if ended == z3.unsat or over or k == kmax:
            wr = holds(z3.Or(wits))
            w = wr == z3.sat
            status = "complete" if ended == z3.unsat else "limit"
            return BmcResult(status, k - 1 if status == "complete" else k, system=sysm, witness=w,
                             seconds=time.perf_counter() - t0)
    raise AssertionError("unreachable")


def decode(res: BmcResult):
    """(Scenario, choices, decoded dict) of a violating Z3 model."""
    sysm, mdl, h = res.system, res.model, res.system.h
    ev = lambda e: mdl.eval(e, model_completion=True).as_long()
    picks = [sel.value(mdl) for sel in res.sels[: res.k]]
    st0 = res.states[0]
    counts = [[ev(x) for x in row] for row in st0.cnt]
    bud = [ev(x) for x in st0.bud]
    progs = [h.menu[ev(p)] for p in res.progs]
    page_zone, placement, programs = [], [], []
    for c in range(h.ncpus):
        for z in range(h.nzones):
            page_zone += [z] * counts[c][z]
            placement += [("pcp", c)] * counts[c][z]
    for z in range(h.nzones):
        page_zone += [z] * bud[z]
        placement += [("buddy",)] * bud[z]
    for c, prog in enumerate(progs):
        items = []
        for it in prog:
            if it[0] == "free":
                items.append(("free", len(page_zone)))
                page_zone.append(it[1])
                placement.append(("held", c))
            else:
                items.append(it)
        programs.append(tuple(items))
    scn = Scenario(ncpus=h.ncpus, zone_names=sysm.rt.zone_names, high=h.high, batch=h.batch,
                   page_zone=tuple(page_zone), placement=tuple(placement), programs=tuple(programs))
    stutter = len(sysm.slots)
    choices = [(sysm.slots[x].aid, 0) for x in picks if x != stutter]
    dec = {"length": res.k, "count": counts, "buddy": bud,
           "schedule": [_name(sysm.slots[x].aid) for x in picks if x != stutter]}
    return scn, choices, dec


def _name(aid):
    from model.runtime import actor_name
    return actor_name(aid)


def prove(prop: str, variant_name: str, h: Harness | None = None, kmax: int = 40,
          timeout_ms=DEFAULT_TIMEOUT_MS, budget_s: float = 20.0) -> Proof:
    sw = Stopwatch()
    v = variants.get(variant_name)
    h = h or (entry_harness(v) if prop == ENTRY else disabled_harness(v))
    cfg = {"harness": h.text(), "engine": "z3 BMC over proofs.automaton (model generators)", "kmax": kmax}
    relied = ("proofs.step encodes model/kernel.py (conformance test)",
              "proofs.automaton walks the model's generators")
    try:
        res = bmc(variant_name, prop, h, kmax, timeout_ms, budget_s)
    except ValueError as exc:
        return unknown(prop, variant_name, f"not encodable: {exc}", sw.seconds, cfg, relied, timeout_ms)
    if res.status == "unknown":
        return unknown(prop, variant_name, res.reason, sw.seconds, cfg, relied, timeout_ms)
    if res.status == "violated":
        scn, choices, dec = decode(res)
        try:
            art = replay_counterexample(variant_name, prop, scn, False, choices, decoded=dec, engine="z3-bmc")
        except EncodingBug as exc:
            return unknown(prop, variant_name, f"encoding bug: {exc}", sw.seconds, cfg, relied, timeout_ms)
        return Proof(prop, variant_name, "refuted", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                     bound=f"minimal length {res.k} steps ({h.text()})", reason=art["violation"],
                     counterexample=art, detail=f"schedule: {' ; '.join(dec['schedule'])}")
    if not res.witness and prop == DISABLED:
        return unknown(prop, variant_name, "no violation, but the witness (an allocation straddling the "
                       "disable) was never reached", sw.seconds, cfg, relied, timeout_ms)
    what = (f"every interleaving of every scenario of the harness: all runs end within {res.k} steps"
            if res.status == "complete" else f"all schedules of length <= {res.k} (runs not all finished)")
    return Proof(prop, variant_name, "bounded", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                 bound=f"{h.text()}; {what}",
                 detail="witness reached: an allocation loaded the old batch and refilled after the disable"
                 if res.witness else "")
