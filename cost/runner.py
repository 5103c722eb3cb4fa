"""Counting what one drain_all_pages() does, by running the model.

Every count the cost model prices (IPIs sent, work items queued, CPUs disturbed,
count loads, shared-mask bit operations, remote `pcp->lock` acquisitions, mask
allocations and their outcomes, fallbacks, reserve allocations) is read off the
events of a complete run of `model.runtime.Runtime`, never computed from a formula.

How a run is driven (`run_scenario`):

* the scenario is built with pages already on the chosen CPUs' pcp lists (or
  produced by a workload phase, `cost.workloads`) and one drain item;
* at every step the driver takes the *first enabled choice*, looking at IPI
  handlers and work items before tasks (the kernel services an IPI as soon as the
  target has IRQs on; for IPI handlers this is exactly the order of
  `Runtime.enabled`, whose actor ids sort "ipi" before "task").  Handlers first also
  keeps a 4096-CPU run linear: the waiting caller's guard, which scans every live
  actor, is not evaluated while handlers are pending.  The counts of a quiescent
  drain do not depend on the schedule; `tests/test_cost_runner.py` re-derives points
  with `Runtime.enabled()[0]` literally;
* where a step has several outcomes the driver chooses explicitly: a
  `zalloc_cpumask_var()` ends in the allocator outcome class asked for ("ok": slab
  hit or slab miss served by the fast path; "reserve": slab miss served below the
  min watermark; "fail": the slow path gives up; "fault": fault injection), direct
  reclaim makes progress and the retried allocation fails (so the reclaim path does
  call the drain).  Every other multi-outcome step takes outcome 0.

Caching: a sweep point is a pure function of (variant, CPUs, zones, non-empty
CPUs, OFFSTACK, outcome class) and of the model's source, so counts are memoised in
memory and, optionally, on disk under a fingerprint of the model and cost sources
(`~/.cache/drainverify/cost-<fingerprint>.json`); a source change starts a new file.

Simplifications: a sweep scenario puts one page on the last zone's list (Normal) of
each non-empty CPU: the caller (cpu0) first, then the highest-numbered CPUs; the
CPUs with empty lists are the layout's idle CPUs.  Nothing else varies.  A run that crashes or hangs in the model is reported in `problems`, not
raised.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from model.runtime import Runtime
from model.scenario import Scenario

from . import variants as cv

ZONE_NAMES = ("DMA32", "Normal", "Movable", "DMA", "HighMem")   # as model.config.ZONE_NAMES


class CostModelError(RuntimeError):
    """The model could not be driven to completion (a deadlock in a run)."""


@dataclass(frozen=True)
class Counts:
    """What one drain did, read off the model's events."""
    variant: str
    cpus: int
    zones: int
    nonempty: int                 # CPUs with a page on some pcp list when the drain starts
    outcome: str                  # allocator outcome class driven ("none": the run never allocated)
    ipis: int = 0                 # remote IPIs sent (targets of smp_call_function_many)
    work_items: int = 0           # queue_work_on() calls, the caller's own CPU included
    deliveries: int = 0           # CPUs other than the caller made to run the drain (IPI or work)
    delivered_empty: int = 0      # ... of which had empty lists when the drain started
    idle_disturbed: int = 0       # ... of which are idle in the layout
    local_runs: int = 0           # the caller ran drain_local_pages() itself
    scans: int = 0                # loads of another CPU's pcp->count
    bitops: int = 0               # set_bit/clear_bit on a mask shared by all callers
    pcp_locks: int = 0            # spin_lock(&pcp->lock) taken by the caller (v6.0+ remote drain)
    remote_drains: int = 0        # (cpu, zone) lists drained remotely by the caller
    mask_allocs: int = 0          # zalloc_cpumask_var() calls
    mask_alloc_ok: int = 0
    mask_alloc_fail: int = 0
    reserve_allocs: int = 0       # allocations served below the min watermark (ALLOC_HIGH)
    fallbacks: int = 0            # allocation failed, broadcast instead
    broadcasts: int = 0           # on_each_cpu() broadcasts (fallback or by decision)
    pages_drained: int = 0        # pages moved from pcp lists to buddy by the drain
    alloc_paths: tuple = ()       # the allocator path of each zalloc_cpumask_var()
    problems: tuple = ()          # crash/hang texts, if any
    steps: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        d = asdict(self)
        d["alloc_paths"] = list(self.alloc_paths)
        d["problems"] = list(self.problems)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Counts":
        d = dict(d)
        d["alloc_paths"] = tuple(d.get("alloc_paths", ()))
        d["problems"] = tuple(d.get("problems", ()))
        return cls(**d)


# --- driving one run ------------------------------------------------------------------

_COST_CLASS = {"reserves": "reserve", "fault": "fault", "giveup": "fail", "reclaim": "fail",
               "slab": "ok", "onstack": "ok"}


def _alloc_class(cls: str) -> str:
    """The cost study's outcome class of an allocator outcome class (model.allocator.CLASSES)."""
    return _COST_CLASS[cls]


def _first_alloc_cls(events):
    for ev in events:
        if ev.kind == "mask_alloc":
            return ev.cls
    return None


def _try_step(rt, node, aid, outcome_class):
    """Step `aid` if it is enabled, choosing the outcome a multi-outcome step
    should take.  None if `aid` is blocked."""
    try:
        st = rt.step(node, (aid, 0))
    except RuntimeError:
        return None
    cls = _first_alloc_cls(st.events)
    if cls is None or _alloc_class(cls) == outcome_class:
        return st
    i = 1
    while True:
        try:
            alt = rt.step(node, (aid, i))
        except IndexError:
            return st                      # class not offered here (e.g. OFFSTACK=n)
        p = _first_alloc_cls(alt.events)
        if p is not None and _alloc_class(p) == outcome_class:
            return alt
        i += 1


def drive(scenario: Scenario, variant, offstack: bool = True, outcome: str = "ok"):
    """Run `scenario` to completion; returns (initial node, final node, events, steps)."""
    n = scenario.ncpus
    rt = Runtime(scenario, variant, offstack, "sc", (),
                 step_limit=8 * n * scenario.nzones + 4 * scenario.npages + 1000)
    node = first = rt.initial_node()
    events = []
    steps = 0
    while node.actors:
        st = None
        for a in node.actors:                        # IPI handlers and work items first
            if a.aid[0] != "task":
                st = _try_step(rt, node, a.aid, outcome)
                if st is not None:
                    break
        if st is None:
            for a in node.actors:                    # then tasks, in CPU order
                if a.aid[0] == "task":
                    st = _try_step(rt, node, a.aid, outcome)
                    if st is not None:
                        break
        if st is None:
            blocked = "; ".join(rt.describe_block(a) for a in node.actors)
            raise CostModelError(f"{variant.name}: deadlock after {steps} steps: {blocked}")
        events.extend(st.events)
        node = st.node
        steps += 1
    return first, node, events, steps


def run_scenario(scenario: Scenario, variant, offstack: bool = True, outcome: str = "ok",
                 idle=frozenset(), caller: int | None = None) -> Counts:
    """Run `scenario` to completion under `variant` and count the drain's events.

    `idle`: CPUs idle in the layout (a delivery to one of them is a disturbance);
    `caller`: the CPU whose drain is counted (default: the CPU with a drain item)."""
    if caller is None:
        callers = [c for c, it in scenario.calls]
        caller = callers[-1] if callers else 0
    t0 = time.perf_counter()
    first, _, events, steps = drive(scenario, variant, offstack, outcome)
    n = scenario.ncpus
    empty = frozenset(c for c in range(n) if not any(first.k.count[c]))
    return _count(events, variant.name, n, scenario.nzones, n - len(empty), outcome, empty, frozenset(idle),
                  caller, steps, time.perf_counter() - t0)


def _count(events, vname, n, nzones, nonempty, outcome, empty, idle, caller, steps, secs) -> Counts:
    c = dict(ipis=0, work_items=0, local_runs=0, scans=0, bitops=0, pcp_locks=0, remote_drains=0,
             mask_allocs=0, mask_alloc_ok=0, mask_alloc_fail=0, reserve_allocs=0, fallbacks=0,
             broadcasts=0, pages_drained=0)
    delivered = set()
    paths = []
    problems = []
    drain_calls = set()
    for ev in events:
        k = ev.kind
        if k == "call":
            drain_calls.add(ev.call)
            continue
        if ev.call is None or ev.call not in drain_calls:
            continue                                   # the workload's own frees/allocs
        if k == "ipi":
            c["ipis"] += len(ev.targets)
            delivered.update(ev.targets)
            if ev.get("why") == "broadcast":
                c["broadcasts"] += 1
        elif k == "work":
            c["work_items"] += 1
            delivered.add(ev.target)
        elif k == "scan":
            c["scans"] += 1
        elif k == "mask" and ev.get("shared") is not None:
            c["bitops"] += 1
        elif k == "pcp_lock":
            c["pcp_locks"] += 1
        elif k == "remote_drain":
            c["remote_drains"] += 1
        elif k == "irq" and ev.get("off"):
            c["local_runs"] += 1
        elif k == "drain":
            c["pages_drained"] += len(ev.pages)
        elif k == "mask_alloc":
            if ev.get("nested"):
                continue                               # the second half of a "reclaim" outcome
            c["mask_allocs"] += 1
            paths.append(ev.path)
            cls = _alloc_class(ev.cls)
            if ev.outcome in ("ok", "onstack"):
                c["mask_alloc_ok"] += 1
                if cls == "reserve":
                    c["reserve_allocs"] += 1
            else:
                c["mask_alloc_fail"] += 1
        elif k in ("crash", "hang"):
            problems.append(ev.text)
    # a failed allocation followed by a broadcast is the fallback
    c["fallbacks"] = min(c["mask_alloc_fail"], c["broadcasts"])
    delivered.discard(caller)
    return Counts(variant=vname, cpus=n, zones=nzones, nonempty=nonempty,
                  outcome=outcome if c["mask_allocs"] else "none",
                  deliveries=len(delivered), delivered_empty=len(delivered & empty),
                  idle_disturbed=len(delivered & idle), alloc_paths=tuple(paths),
                  problems=tuple(problems), steps=steps, seconds=round(secs, 4), **c)


# --- the sweep: CPUs x occupancy ---------------------------------------------------------

def sweep_holders(ncpus: int, nonempty: int) -> tuple[int, ...]:
    """The CPUs holding a page at a sweep point: the caller (cpu0) first, then the
    highest-numbered CPUs.  So the caller's own local run starts at one non-empty
    CPU and every further non-empty CPU is one more remote CPU."""
    if not 0 <= nonempty <= ncpus:
        raise ValueError(f"nonempty {nonempty} out of range for {ncpus} CPUs")
    if nonempty == 0:
        return ()
    return (0,) + tuple(range(ncpus - nonempty + 1, ncpus))


def sweep_scenario(ncpus: int, nzones: int, nonempty: int) -> Scenario:
    """`ncpus` online CPUs, `nonempty` of them (`sweep_holders`) with one page on
    their last zone's pcp list, cpu0 calling drain_all_pages(NULL)."""
    holders = sweep_holders(ncpus, nonempty)
    programs = [()] * ncpus
    programs[0] = (("drain", None),)
    return Scenario(ncpus=ncpus, zone_names=ZONE_NAMES[:nzones], high=4, batch=2,
                    page_zone=(nzones - 1,) * len(holders),
                    placement=tuple(("pcp", c) for c in holders),
                    programs=tuple(programs))


def sweep_point(vname: str, ncpus: int, nzones: int, nonempty: int, offstack: bool, outcome: str) -> Counts:
    """Counts of one sweep point; the CPUs with empty lists (never the caller) are
    the layout's idle CPUs."""
    scn = sweep_scenario(ncpus, nzones, nonempty)
    idle = frozenset(range(1, ncpus)) - frozenset(sweep_holders(ncpus, nonempty))
    return run_scenario(scn, cv.get(vname), offstack, outcome, idle=idle, caller=0)


def _point_worker(key):
    return key, sweep_point(*key).to_json()


def fingerprint() -> str:
    """Hash of every source file a count depends on."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    files = sorted((root / "model").glob("*.py")) + sorted((root / "model" / "variants").glob("*.py"))
    files += [root / "cost" / "runner.py", root / "cost" / "variants.py"]
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "drainverify"


class PointCache:
    """Sweep counts by key, in memory and optionally in one JSON file on disk."""

    def __init__(self, directory=None):
        self.mem: dict = {}
        self.path = None
        self.hits = 0
        self.misses = 0
        if directory is not None:
            self.path = Path(directory) / f"cost-{fingerprint()}.json"
            try:
                data = json.loads(self.path.read_text())
                for k, v in data.get("points", {}).items():
                    self.mem[tuple(json.loads(k))] = Counts.from_json(v)
            except (OSError, ValueError, TypeError, KeyError):
                pass

    def get(self, key):
        got = self.mem.get(key)
        if got is not None:
            self.hits += 1
        return got

    def put(self, key, counts: Counts):
        self.mem[key] = counts

    def save(self):
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {"fingerprint": fingerprint(),
                    "points": {json.dumps(list(k)): v.to_json() for k, v in self.mem.items()}}
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(self.path)
        except OSError:
            pass                                       # a cache that cannot be written is no error


def run_points(keys, cache: PointCache, jobs: int = 1) -> dict:
    """Counts for every key (vname, ncpus, nzones, nonempty, offstack, outcome).

    An outcome class other than "ok" is run only if the "ok" run of the same point
    allocated at all: a run that never reached `zalloc_cpumask_var()` is the same run
    whatever outcome the allocator would have had."""
    keys = list(dict.fromkeys(keys))
    out = {}
    first = [k for k in keys if k[5] == "ok"] + [k[:5] + ("ok",) for k in keys if k[5] != "ok"]
    _fill(list(dict.fromkeys(first)), cache, jobs, out)
    rest = []
    for k in keys:
        if k[5] == "ok":
            continue
        base = out[k[:5] + ("ok",)]
        if base.mask_allocs == 0:
            out[k] = base
        else:
            rest.append(k)
    _fill(rest, cache, jobs, out)
    return {k: out[k] for k in keys}


def _fill(keys, cache, jobs, out):
    todo = []
    for k in keys:
        got = cache.get(k)
        if got is not None:
            out[k] = got
        else:
            todo.append(k)
    cache.misses += len(todo)
    # biggest first, so the pool's tail is short
    todo.sort(key=lambda k: -(k[1] * (1 + k[3] / max(k[1], 1))))
    if jobs > 1 and len(todo) > 1:
        import multiprocessing
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for key, d in pool.map(_point_worker, todo, chunksize=1):
                c = Counts.from_json(d)
                cache.put(key, c)
                out[key] = c
    else:
        for k in todo:
            c = sweep_point(*k)
            cache.put(k, c)
            out[k] = c


def cpu_axis(max_cpus: int) -> tuple[int, ...]:
    """Powers of two from 1 up to `max_cpus`, and `max_cpus` itself."""
    xs, n = [], 1
    while n < max_cpus:
        xs.append(n)
        n *= 2
    xs.append(max_cpus)
    return tuple(xs)


