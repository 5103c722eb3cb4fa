"""Workloads on the model: what occupancy they leave and what each drain then does.

A workload has two phases, both run in `model.runtime.Runtime`:

1. the *phase*: per-CPU programs of frees and allocations (no drain) run to
   completion, CPU by CPU (the runner's first-enabled order); the final state says
   which CPUs hold pages on their pcp lists -- the occupancy distribution;
2. the *drain*: a scenario starting from that state in which one CPU calls the
   drain (`("drain", None)` or, under memory pressure, `("reclaim_drain", None)`,
   with reclaim making progress and the retried allocation failing), run once per
   variant and allocator outcome class.

Workloads (n online CPUs, the last zone as "Normal"):

`hackbench`  many-CPU alloc/free churn: every CPU's task holds 3 pages, allocates
             0-2 pages, then does 1-2 rounds of (free one, allocate one) and frees one
             more (seeded random counts), buddy has plenty (4n pages).  Each CPU ends with
             its last free on its list: Mel Gorman's observation that "in every case
             all CPUs had at least one page on their per-cpu list".  cpu0 drains.
`pressure`   a memory-pressure phase after an earlier reclaim drain emptied every
             list: buddy holds n/4 pages, every CPU allocates one page; the first
             CPUs refill a batch (batch = 2) and keep batch - 1 pages, the rest find
             buddy empty.  The last CPU, whose allocation failed, enters direct reclaim
             and drains ("reclaim_drain").  The allocation regime is `pressure`
             (`cost.pricing`): the mask allocation misses the slab and dips into the
             reserves (GFP_ATOMIC's ALLOC_HIGH) or fails and falls back.
`isolated`   CPU isolation: n/16 housekeeping CPUs (at least one) run the hackbench
             churn; the other CPUs are isolated, idle and hold nothing.  cpu0 drains.

Simplifications: the phase finishes before the drain starts (concurrency between
the churn and the drain is what the property checker explores, not what the cost
model prices); pages are order-0 and of one zone; "idle" is a label of the layout
(the isolated CPUs), not modelled state; the free-page count of the pressure phase
is an assumption (n/4), stated in docs/cost.md with the occupancy it produces.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from model.scenario import Scenario

from . import runner
from . import variants as cv
from .pricing import expected

NAMES = ("hackbench", "pressure", "isolated")
HIGH, BATCH = 4, 2


@dataclass(frozen=True)
class Layout:
    """A workload at one size: its phase scenario and how its drain is called."""
    name: str
    phase: Scenario
    caller: int
    item: tuple
    idle: frozenset
    regime: str
    description: str


def _scenario(ncpus, nzones, page_zone, placement, programs) -> Scenario:
    return Scenario(ncpus=ncpus, zone_names=runner.ZONE_NAMES[:nzones], high=HIGH, batch=BATCH,
                    page_zone=tuple(page_zone), placement=tuple(placement), programs=tuple(programs))


def _churn_programs(cpus, nzones, rng, placement, page_zone, programs, held_per_cpu=3):
    z = nzones - 1
    for c in cpus:
        mine = []
        for _ in range(held_per_cpu):
            mine.append(len(placement))
            placement.append(("held", c))
            page_zone.append(z)
        rounds = rng.randint(1, held_per_cpu - 1)
        prog = [("alloc", z)] * rng.randint(0, 2)      # allocations first: refills from buddy
        for r in range(rounds):
            prog += [("free", mine[r]), ("alloc", z)]
        prog.append(("free", mine[rounds]))
        programs[c] = tuple(prog)


def layout(name: str, ncpus: int, nzones: int, seed: int = 0) -> Layout:
    """The workload `name` at `ncpus` CPUs."""
    rng = random.Random(f"{name}/{ncpus}/{seed}")
    z = nzones - 1
    placement, page_zone = [], []
    programs = [()] * ncpus
    if name == "hackbench":
        _churn_programs(range(ncpus), nzones, rng, placement, page_zone, programs)
        for _ in range(4 * ncpus):
            placement.append(("buddy",))
            page_zone.append(z)
        return Layout(name, _scenario(ncpus, nzones, page_zone, placement, programs), 0, ("drain", None),
                      frozenset(), "normal",
                      "every CPU frees and allocates (hackbench-like churn); cpu0 calls drain_all_pages()")
    if name == "pressure":
        for c in range(ncpus):
            for _ in range(2):
                placement.append(("held", c))
                page_zone.append(z)
            programs[c] = (("alloc", z),)
        for _ in range(max(1, ncpus // 4)):
            placement.append(("buddy",))
            page_zone.append(z)
        return Layout(name, _scenario(ncpus, nzones, page_zone, placement, programs), ncpus - 1,
                      ("reclaim_drain", None), frozenset(), "pressure",
                      "every CPU allocates with n/4 free pages left; the last one, failing, drains from direct reclaim")
    if name == "isolated":
        house = max(1, ncpus // 16)
        _churn_programs(range(house), nzones, rng, placement, page_zone, programs)
        for _ in range(4 * house):
            placement.append(("buddy",))
            page_zone.append(z)
        return Layout(name, _scenario(ncpus, nzones, page_zone, placement, programs), 0, ("drain", None),
                      frozenset(range(house, ncpus)), "normal",
                      f"{house} housekeeping CPU(s) churn, {ncpus - house} isolated CPUs idle with empty lists; cpu0 drains")
    raise ValueError(f"unknown workload {name!r}; known: {', '.join(NAMES)}")


def after_phase(lay: Layout) -> Scenario:
    """Run the phase and return the drain scenario that starts where it ended."""
    _, final, _, _ = runner.drive(lay.phase, cv.get(cv.BASELINE), True)
    k = final.k
    placement = [None] * lay.phase.npages
    for c, row in enumerate(k.pcp):
        for lst in row:
            for p in lst:
                placement[p] = ("pcp", c)
    for b in k.buddy:
        for p in b:
            placement[p] = ("buddy",)
    for c, h in enumerate(k.held):
        for p in h:
            placement[p] = ("held", c)
    programs = [()] * lay.phase.ncpus
    programs[lay.caller] = (lay.item,)
    return Scenario(ncpus=lay.phase.ncpus, zone_names=lay.phase.zone_names, high=HIGH, batch=BATCH,
                    page_zone=lay.phase.page_zone, placement=tuple(placement), programs=tuple(programs))


def occupancy(scn: Scenario) -> dict:
    """pcp pages per online CPU when the drain starts: {pages: CPUs}."""
    per = [0] * scn.ncpus
    for where in scn.placement:
        if where[0] == "pcp":
            per[where[1]] += 1
    hist: dict = {}
    for v in per:
        hist[v] = hist.get(v, 0) + 1
    return dict(sorted(hist.items()))


def run_workload(name, ncpus, nzones, vnames, params, offstack=True, seed=0) -> dict:
    """Occupancy and, per variant, counts per outcome class and the expected
    counts and cost of the workload's drain."""
    lay = layout(name, ncpus, nzones, seed)
    scn = after_phase(lay)
    hist = occupancy(scn)
    nonempty = ncpus - hist.get(0, 0)
    out = {"workload": name, "cpus": ncpus, "zones": nzones, "regime": lay.regime,
           "description": lay.description, "caller": lay.caller, "drain": list(lay.item),
           "idle_cpus": len(lay.idle), "occupancy": {str(k): v for k, v in hist.items()},
           "nonempty": nonempty, "nonempty_fraction": nonempty / ncpus, "variants": {}}
    classes = sorted({cls for cls, _, _ in _all_weights(lay.regime, params, offstack)})
    for vn in vnames:
        v = cv.get(vn)
        runs = {}
        for cls in ["ok"] + [c for c in classes if c != "ok"]:
            if cls != "ok" and runs["ok"].mask_allocs == 0:
                runs[cls] = runs["ok"]
                continue
            runs[cls] = runner.run_scenario(scn, v, offstack, cls, idle=lay.idle, caller=lay.caller)
        e = expected(runs, lay.regime, params, offstack, ncpus)
        out["variants"][vn] = {"runs": {cls: c.to_json() for cls, c in runs.items()},
                               "expected": e.counts, "cost_ns": e.cost, "reserve_pages": e.reserve_pages,
                               "slab_misses": e.slab_misses}
    base = out["variants"].get(cv.BASELINE)
    if base:
        bd = base["expected"]["deliveries"]
        for vn, r in out["variants"].items():
            saved = bd - r["expected"]["deliveries"]
            r["deliveries_saved"] = saved
            r["deliveries_saved_pct"] = 100.0 * saved / bd if bd else 0.0
            r["cost_vs_broadcast_ns"] = r["cost_ns"]["total"] - base["cost_ns"]["total"]
    return out


def _all_weights(regime, params, offstack):
    from .pricing import regime_weights
    return regime_weights(regime, params, offstack)
