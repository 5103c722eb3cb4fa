"""The bounded exhaustive driver: every scenario up to a bound, every schedule.

Scenarios come smallest first, ordered by (CPUs, pages, drain callers, other
operations); within one scenario, schedules are explored breadth-first over
deduplicated nodes, so the first violation found for a property is a shortest
schedule of a smallest scenario: a minimal counterexample in that order.  One
sweep judges every property of the ladder at once (each property's monitor is
part of the node) and stops early once every applicable property is refuted.

A "no counterexample" from here is `bounded`: it comes with the bound and the
number of scenarios, distinct states, transitions and complete schedules (paths
through the deduplicated state graph) it covered.

Scenario shape (kept small on purpose, and stated in every verdict): each CPU's
task runs at most `ops` background operations (a free of a page it holds, or an
allocation) before its drain calls; callers are drains of the kinds the variant's
API offers (NULL zone, each zone if it takes a zone, from direct reclaim if it
allocates) and "disable then drain" of each zone.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Optional

from .config import ZONE_NAMES
from .footprint import conflict
from .properties import LADDER
from .runtime import Runtime
from .scenario import Scenario


@dataclass(frozen=True)
class Bound:
    cpus: int = 2
    pages: int = 2
    callers: int = 2
    ops: int = 1           # background frees/allocs in the whole scenario
    size: int = 4          # pages + callers + ops + hotplug steps
    zones: int = 2
    high: int = 4
    batch: int = 2
    hotplug: int = 0       # CPU hotplug steps per scenario (0: none; 1: one offline, or one online of a
                           # CPU that starts offline)
    max_states: int = 200_000
    env: tuple = ()        # environment options (model/environment.py)

    def text(self) -> str:
        hot = "no CPU hotplug" if not self.hotplug else \
            f"CPU hotplug steps<={self.hotplug} (a CPU goes offline, or starts offline and comes online)"
        what = "pages+callers+ops" + ("+hotplug" if self.hotplug else "")
        env = f"; environment: {', '.join(self.env)}" if self.env else ""
        return (f"cpus<={self.cpus}, zones={self.zones}, pages<={self.pages}, callers<={self.callers}, "
                f"other ops<={self.ops}, {what}<={self.size}, high={self.high}, batch={self.batch}, {hot}{env}")


@dataclass
class Finding:
    prop: str
    text: str
    data: Optional[dict]
    scenario: Scenario
    choices: tuple
    found_after_scenarios: int
    found_after_states: int
    seconds: float


@dataclass
class SweepResult:
    variant: str
    offstack: bool
    memory_model: str
    bound: Bound
    findings: dict = field(default_factory=dict)     # prop -> Finding
    witnesses: set = field(default_factory=set)      # props whose witness was reached
    judged: set = field(default_factory=set)         # props some scenario judged
    scenarios: int = 0
    states: int = 0
    transitions: int = 0
    pruned: int = 0                # transitions the sleep sets saved
    schedules: int = 0
    seconds: float = 0.0
    truncated: bool = False
    stopped: str = ""              # why the sweep stopped before its bound, if it did
    cancelled: set = field(default_factory=set)      # props cut short by the other setting's smaller finding
    complete: bool = True          # every scenario within the bound was explored (the counts are full)


def call_kinds(variant, zones: int):
    kinds = [("drain", None)]
    if variant.zone_arg:
        kinds += [("drain", z) for z in range(zones)]
    if variant.allocates:
        kinds.append(("reclaim_drain", None))
    kinds += [("disable", z) for z in range(zones)]
    return kinds


def scenarios(variant, bound: Bound, zone_names):
    """Every scenario within the bound, smallest first."""
    kinds = call_kinds(variant, bound.zones)
    for ncpus in range(1, bound.cpus + 1):
        for npages in range(0, bound.pages + 1):
            for ncallers in range(1, bound.callers + 1):
                for nops in range(0, bound.ops + 1):
                    for nhot in range(0, min(bound.hotplug, 1 if ncpus > 1 else 0) + 1):
                        if npages + ncallers + nops + nhot > bound.size:
                            continue
                        yield from _scenarios_of(ncpus, npages, ncallers, nops, kinds, bound, zone_names, nhot)


def _hotplug_forms(ncpus, placement, programs, nhot):
    """(hotplug steps, CPUs offline at the start) of a scenario with `nhot` steps: none;
    or one CPU goes offline (once nothing runs on it: cpu_down() waits); or one CPU
    with no pages on its lists starts offline and comes online (its task, if it has
    one, runs once it is up)."""
    if not nhot:
        yield (), 0
        return
    for c in range(ncpus):
        yield (("offline", c),), 0
    for c in range(ncpus):
        if not any(w == ("pcp", c) for w in placement) and any(programs[d] for d in range(ncpus) if d != c):
            yield (("online", c),), 1 << c


def _scenarios_of(ncpus, npages, ncallers, nops, kinds, bound, zone_names, nhot=0):
    seen = set()
    cpus = range(ncpus)
    # callers: a sequence of (cpu, kind); per CPU the order matters, across CPUs not
    for callers in itertools.product(itertools.product(cpus, range(len(kinds))), repeat=ncallers):
        if list(callers) != sorted(callers, key=lambda x: x[0]):
            continue
        # a drain from direct reclaim is judged alone (no_reclaim_recursion is about
        # one call's own allocation); with other callers it behaves as a plain drain
        if ncallers > 1 and any(kinds[ki][0] == "reclaim_drain" for _, ki in callers):
            continue
        for page_zone in itertools.combinations_with_replacement(range(bound.zones), npages):
            places = [("buddy",)] + [("pcp", c) for c in cpus] + [("held", c) for c in cpus]
            for placement in itertools.product(places, repeat=npages):
                # pages of one zone are interchangeable: keep placements sorted within a zone
                if any(page_zone[i] == page_zone[i + 1] and placement[i] > placement[i + 1]
                       for i in range(npages - 1)):
                    continue
                held = [p for p in range(npages) if placement[p][0] == "held"]
                bg_choices = [("free", p, placement[p][1]) for p in held]
                bg_choices += [("alloc", z, c) for c in cpus for z in range(bound.zones)]
                for bg in itertools.combinations(bg_choices, nops):
                    # every held page is freed (a held page nobody frees is just absent)
                    if sorted(b[1] for b in bg if b[0] == "free") != held:
                        continue
                    # a page in buddy moves only if something allocates: without an
                    # allocation the scenario equals a smaller one already explored
                    if not any(b[0] == "alloc" for b in bg) and any(w[0] == "buddy" for w in placement):
                        continue
                    programs = [[] for _ in cpus]
                    for b in bg:
                        programs[b[2]].append((b[0], b[1]))
                    for c, ki in callers:
                        programs[c].append(kinds[ki])
                    for hot, offline in _hotplug_forms(ncpus, placement, programs, nhot):
                        key = _canonical(page_zone, placement, programs, ncpus, hot, offline)
                        if key in seen:
                            continue
                        seen.add(key)
                        yield Scenario(ncpus=ncpus, zone_names=tuple(zone_names), high=bound.high,
                                       batch=bound.batch, page_zone=page_zone, placement=placement,
                                       programs=tuple(tuple(p) for p in programs), hotplug=hot, offline=offline,
                                       env=bound.env)


def _canonical(page_zone, placement, programs, ncpus, hot=(), offline=0):
    """The smallest relabelling of the CPUs: scenarios that differ only by CPU
    numbering have the same behaviours up to that renaming."""
    best = None
    for perm in itertools.permutations(range(ncpus)):
        pl = tuple(w if w[0] == "buddy" else (w[0], perm[w[1]]) for w in placement)
        progs = [None] * ncpus
        for c in range(ncpus):
            progs[perm[c]] = tuple(programs[c])
        hk = tuple((h[0], perm[h[1]]) for h in hot)
        ok = sum(1 << perm[c] for c in range(ncpus) if offline >> c & 1)
        key = (page_zone, pl, tuple(tuple((it[0], -1 if it[1] is None else it[1]) for it in p) for p in progs),
               hk, ok)
        if best is None or key < best:
            best = key
    return best


def explore_scenario(rt: Runtime, res: SweepResult, active: list, t0: float, max_states: int):
    """Breadth-first search of every schedule of one scenario.

    With `rt.footprints` (`sweep(reduce=True)`, `--reduction sleep`), a sleep set (Godefroid) is kept per
    node: a step independent of the step that led here and already explored from an
    ancestor (model/footprint.py) is not taken again -- its other order reaches the
    same node at the same depth.  Every node is still visited, at the same depth,
    discovered first from the same parent (the lexicographically least shortest
    path never uses a pruned step), so verdicts and minimal counterexamples are those
    of the full search; only transitions are saved.  A node's sleep set is the
    intersection of those its shortest-path parents give it."""
    root = rt.initial_node()
    parent = {root: None}
    frontier = [root]
    order = []
    succ_count = {}
    truncated = False
    reduce = rt.footprints
    sleep: dict = {root: {}}
    while frontier:
        nxt = []
        nxt_set = set()
        for node in frontier:
            order.append(node)
            asleep = sleep.pop(node, {}) if reduce else {}
            choices = rt.enabled(node)
            succ = []
            if not choices:
                sigs = rt.finish(node)
                _record(rt, res, active, sigs, node, None, parent, t0)
            explored = []
            for ch in choices:
                if ch in asleep:
                    res.pruned += 1
                    continue
                st = rt.step(node, ch)
                res.transitions += 1
                child = st.node
                if st.signals:
                    _record(rt, res, active, st.signals, node, ch, parent, t0)
                succ.append(child)
                n = len(parent)
                parent.setdefault(child, (node, ch))
                if len(parent) > n:
                    nxt.append(child)
                    nxt_set.add(child)
                    if reduce:
                        sleep[child] = _sleep_after(asleep, explored, st.fp)
                elif reduce and child in nxt_set:
                    cs = _sleep_after(asleep, explored, st.fp)
                    old = sleep[child]
                    sleep[child] = {t: f for t, f in old.items() if t in cs}
                if reduce:
                    explored.append((ch, st.fp))
            succ_count[node] = succ
            if len(parent) > max_states:
                truncated = True
                break
        if truncated:
            break
        frontier = nxt
    res.states += len(parent)
    # complete schedules = paths from the root to a terminal node
    paths = {}
    for node in reversed(order):
        s = succ_count.get(node)
        paths[node] = 1 if not s else sum(paths.get(c, 1) for c in s)
    res.schedules += paths.get(root, 1)
    return truncated


def _sleep_after(asleep: dict, explored: list, fp) -> dict:
    """The sleep set of the node a step with footprint `fp` leads to: what was asleep
    here or explored here before it, and is independent of it."""
    out = {t: f for t, f in asleep.items() if not conflict(f, fp)}
    for t, f in explored:
        if not conflict(f, fp):
            out[t] = f
    return out


def _path(parent, node, last_choice):
    choices = []
    while parent.get(node) is not None:
        node, ch = parent[node][0], parent[node][1]
        choices.append(ch)
    choices.reverse()
    if last_choice is not None:
        choices.append(last_choice)
    return tuple(choices)


def _record(rt, res, active, sigs, node, choice, parent, t0):
    for i, kind, text, data in sigs:
        p = rt.properties[i]
        if kind == "witness":
            res.witnesses.add(p.name)
        elif kind == "violation" and p.name not in res.findings and p.name in active:
            res.findings[p.name] = Finding(p.name, text, data, rt.scenario, _path(parent, node, choice),
                                           res.scenarios, res.states + len(parent), time.perf_counter() - t0)


def scenario_size(scn) -> tuple:
    """The size order of minimality: CPUs, pages, drain callers."""
    return (scn.ncpus, scn.npages, scn.ncallers)


def sweep(variant, bound: Bound, offstack: bool, memory_model: str = "sc", props=None,
          stop_when_refuted: bool = True, time_budget: Optional[float] = None,
          cutoffs: Optional[dict] = None, reduce: bool = False) -> SweepResult:
    """Every scenario within `bound`, smallest first.  `cutoffs`: prop -> the size
    (scenario_size) of a counterexample the other OFFSTACK setting found; such a
    prop is judged only on scenarios no larger (a larger counterexample here could
    not be the smallest) and is then `cancelled` -- deterministic, whatever the
    timing of the two sweeps."""
    props = [p for p in (props or LADDER)]
    applicable = [p for p in props if p.applies(variant, offstack, zones=bound.zones) is None]
    res = SweepResult(variant.name, offstack, memory_model, bound)
    cutoffs = cutoffs or {}
    t0 = time.perf_counter()
    zone_names = ZONE_NAMES[: bound.zones]
    for scn in scenarios(variant, bound, zone_names):
        size = scenario_size(scn)
        for name, cut in cutoffs.items():
            if size > tuple(cut) and name not in res.findings and name not in res.cancelled:
                res.cancelled.add(name)
        active = [p.name for p in applicable if p.name not in res.findings and p.name not in res.cancelled]
        if stop_when_refuted and not active:
            res.complete = False
            break
        want = [p for p in applicable if p.name in active and p.judges_scenario(scn)]
        if not want:
            continue
        for p in want:
            res.judged.add(p.name)
        rt = Runtime(scn, variant, offstack, memory_model, properties=want, witnessed=res.witnesses,
                     footprints=reduce and memory_model == "sc")
        res.scenarios += 1
        if explore_scenario(rt, res, [p.name for p in want], t0, bound.max_states):
            res.truncated = True
        if time_budget is not None and time.perf_counter() - t0 > time_budget:
            res.truncated = True
            res.complete = False
            res.stopped = "the time budget ran out"
            break
        hang = res.findings.get("returns")
        if hang and (hang.data or {}).get("why") == "watchdog":
            # every further scenario would wait for the watchdog again
            res.truncated = True
            res.complete = False
            res.stopped = "the implementation hangs without a scheduling point (see returns)"
            break
    res.seconds = time.perf_counter() - t0
    return res
