"""The races, by bounded model checking (`proofs.bmc`, `proofs.step`), graded.

Theorems: `entry_snapshot_drained` on `v3.4-static-mask` (two overlapping callers
share the function-static `cpus_with_pcps`; Mel Gorman 2012-01-30) and
`disabled_pcp_left_empty` on the masked drain (`v4-zalloc-fallback`), the remote
drain that tests `count` before taking `pcp->lock` (`v6.0-remote-lock`), and the
fixes (`v5.11-force-all`, `v6.11-locked-count`).  DESIGN.md §4 race (1): an
allocation that loaded the old `batch` before `zone_pcp_disable()` refills after the
disabling CPU read `count == 0`.

The BMC unrolls one step at a time up to the harness's completeness bound
(`completeness_bound`: no run is longer), asking every few steps for a violation
at any step so far; on the first hit it narrows down to the first length with one,
the minimal length for the harness.  A run that has ended (every actor done, or
every live one blocked) stutters, so "a violation by step k" only grows with k.
Reaching the bound without a violation is `bounded`: every interleaving of every
scenario of the harness, not just every schedule up to some length -- provided
the property's witness was reached (else `unknown`, as in the matrix).
Peephole partial-order reduction (`proofs.step.peephole_por`) keeps one order of
two adjacent independent steps.

Hand-traced (v4-zalloc-fallback, the 6-step minimum found): cpu0's allocation
loads batch=2 with IRQs off; cpu1 calls disable-then-drain, writes high=0 batch=1,
reads count 0 on cpu0 and on itself, IPIs nobody and returns; cpu0 refills 2 pages
with the old batch and takes one: the other stays on a disabled list.

A violation is decoded into a `Scenario` (the Z3 model's programs and pages) and a
schedule (the actor chosen at each step), and replayed with `model.history.replay`.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import z3

from model import variants
from model.scenario import Scenario

from .automaton import DONE
from .bmc import Harness, Sched, State, System, done, initial, num
from .kernel import DEFAULT_TIMEOUT_MS, EncodingBug, Proof, Stopwatch, frozen_config, unknown
from .replay import replay_counterexample
from .step import peephole_por, transition

ENTRY, DISABLED = "entry_snapshot_drained", "disabled_pcp_left_empty"
WITNESS = {ENTRY: "a call owed pages while another drain call was in flight",
           DISABLED: "an allocation loaded the old batch before the disable and refilled after it"}


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
    minimal: bool = False      # shorter lengths were shown violation-free


def final_bad(sysm, st: State):
    """`disabled_pcp_left_empty` at the end: every actor done, a disabled zone's list non-empty."""
    h = sysm.h
    return z3.And(z3.And([done(sysm, st, s) for s in sysm.slots]),
                  z3.Or([z3.And(st.dz[z], z3.Or([st.cnt[c][z] > 0 for c in range(h.ncpus)]))
                         for z in range(h.nzones)]))


def completeness_bound(sysm: System) -> int:
    """No run of the harness is longer than this: each step moves one actor along an
    edge of its automaton (a DAG), and a handler runs only if a position reachable
    from its caller's program spawns it; so a run is at most the sum, over the CPUs'
    programs, of the program's longest path plus the longest paths of the handlers
    it can spawn (maximised over programs the harness allows together)."""
    memo = {}

    def longest(p):
        if p == DONE:
            return 0
        if p not in memo:
            memo[p] = 1 + max(longest(b.dst) for b in sysm.pos[p].branches)
        return memo[p]

    def spawned(root):
        seen, todo, out = set(), [root], set()
        while todo:
            p = todo.pop()
            if p == DONE or p in seen:
                continue
            seen.add(p)
            todo += [b.dst for b in sysm.pos[p].branches]
            out |= {sysm.slot_of[(aid, spec)] for aid, spec, _, _ in sysm.pos[p].spawns}
        return out

    h = sysm.h
    per = [[longest(sysm.slots[c].roots[spec])
            + sum(longest(sysm.slots[x].roots[sysm.slots[x].specs[0]]) for x in spawned(sysm.slots[c].roots[spec]))
            for spec in sysm.slots[c].specs] for c in range(h.ncpus)]
    best = 0
    for combo in itertools.product(range(len(h.menu)), repeat=h.ncpus):
        if sum(h.is_call(i) for i in combo) <= h.max_callers:
            best = max(best, sum(per[c][i] for c, i in enumerate(combo)))
    return best


def bmc(variant_name: str, prop: str, h: Harness, kmax: int = 40, timeout_ms=DEFAULT_TIMEOUT_MS,
        budget_s: float = 20.0, stride: int = 4) -> BmcResult:
    """Unroll step by step up to the completeness bound; every `stride` steps ask
    for a violation at any step so far (monotone: an ended run stutters), and on
    the first hit narrow down to the first length with one."""
    t0 = time.perf_counter()
    sysm = System(variants.get(variant_name), h)
    bound = completeness_bound(sysm)
    last = min(bound, kmax)
    s = z3.SolverFor("QF_BV")
    s.set("timeout", timeout_ms)
    progs = [num(f"program_cpu{c}") for c in range(h.ncpus)]
    states = [State(sysm, 0)]
    s.add(*initial(sysm, states[0], progs))
    sels, bad_upto, wits = [], [z3.BoolVal(False)], []

    def holds(f):
        lit = z3.FreshBool()
        s.add(z3.Implies(lit, f))
        return s.check(lit)

    for k in range(1, last + 1):
        sel = Sched(sysm, k - 1)
        sels.append(sel)
        states.append(State(sysm, k))
        step = transition(sysm, states[k - 1], states[k], sel)
        s.add(*step.constraints)
        viol, wit = step.violation, step.witness
        if k >= 2:
            s.add(*peephole_por(sysm, states[k - 2], states[k - 1], sels[-2], sels[-1]))
        wits.append(wit.get(prop, z3.BoolVal(False)))
        bad_upto.append(z3.Or(bad_upto[-1], viol) if prop == ENTRY else final_bad(sysm, states[k]))
        over = time.perf_counter() - t0 > budget_s
        if k % stride and k != last and not over:
            continue
        r = holds(bad_upto[k])
        if r == z3.unknown:
            return BmcResult("unknown", k, reason=f"z3 unknown at length {k} ({s.reason_unknown()})",
                             seconds=time.perf_counter() - t0)
        if r == z3.sat:
            first, mdl, minimal = k, s.model(), True
            for j in range(k - 1, 0, -1):
                rj = holds(bad_upto[j])
                if rj != z3.sat:
                    minimal = rj == z3.unsat       # a timeout leaves minimality open
                    break
                first, mdl = j, s.model()
            res = BmcResult("violated", first, mdl, sysm, states, sels, progs, minimal=minimal)
            res.seconds = time.perf_counter() - t0
            return res
        if over or k == last:
            # the witness counts only in a run the property judges
            judged = z3.BoolVal(True) if prop == ENTRY else z3.And(
                z3.And([done(sysm, states[k], x) for x in sysm.slots]), z3.Or(states[k].dz))
            wr = holds(z3.And(z3.Or(wits), judged))
            if wr == z3.unknown:
                return BmcResult("unknown", k, reason=f"z3 unknown on the witness at length {k}",
                                 seconds=time.perf_counter() - t0)
            status = "complete" if k == bound else "limit"
            return BmcResult(status, k, system=sysm, witness=wr == z3.sat, seconds=time.perf_counter() - t0)
    raise AssertionError("unreachable")


def scenario_of(sysm: System, progs: list, counts: list, bud: list) -> Scenario:
    """The model scenario of a harness: CPU c runs menu program `progs[c]`; `counts`
    pages on each pcp list, `bud` in each zone's buddy, one held page per free."""
    h = sysm.h
    page_zone, placement, programs = [], [], []
    for c in range(h.ncpus):
        for z in range(h.nzones):
            page_zone += [z] * counts[c][z]
            placement += [("pcp", c)] * counts[c][z]
    for z in range(h.nzones):
        page_zone += [z] * bud[z]
        placement += [("buddy",)] * bud[z]
    for c, i in enumerate(progs):
        items = []
        for it in h.menu[i]:
            if it[0] == "free":
                items.append(("free", len(page_zone)))
                page_zone.append(it[1])
                placement.append(("held", c))
            else:
                items.append(it)
        programs.append(tuple(items))
    return Scenario(ncpus=h.ncpus, zone_names=sysm.rt.zone_names, high=h.high, batch=h.batch,
                    page_zone=tuple(page_zone), placement=tuple(placement), programs=tuple(programs))


def decode(res: BmcResult):
    """(Scenario, choices, decoded dict) of a violating Z3 model."""
    sysm, mdl = res.system, res.model
    ev = lambda e: mdl.eval(e, model_completion=True).as_long()
    picks = [sel.value(mdl) for sel in res.sels[: res.k]]
    st0 = res.states[0]
    counts = [[ev(x) for x in row] for row in st0.cnt]
    bud = [ev(x) for x in st0.bud]
    scn = scenario_of(sysm, [ev(p) for p in res.progs], counts, bud)
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
                     bound=(f"minimal length {res.k} steps" if res.minimal else
                            f"length {res.k} steps (shorter lengths undecided)") + f" ({h.text()})",
                     reason=art["violation"],
                     counterexample=art, detail=f"schedule: {' ; '.join(dec['schedule'])}")
    if not res.witness:
        return unknown(prop, variant_name, f"no violation, but the witness was never reached: {WITNESS[prop]}",
                       sw.seconds, cfg, relied, timeout_ms)
    what = (f"every interleaving of every scenario of the harness (no run is longer than {res.k} steps)"
            if res.status == "complete" else f"all schedules of length <= {res.k} (runs not all finished)")
    return Proof(prop, variant_name, "bounded", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                 bound=f"{h.text()}; {what}",
                 detail=f"witness reached: {WITNESS[prop]}")
