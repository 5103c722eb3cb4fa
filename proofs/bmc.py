"""Bounded model checking of the drain races over the model's interleaving semantics.

A *harness* fixes the machine (CPUs, zones, `high`/`batch`, at most P pages) and a
menu of task programs; the initial placement of pages (counts per pcp list and in
buddy) and each CPU's program are symbolic, so one query covers every scenario of
the harness.  Actors are `proofs.automaton` automata of the model's generators; one
time step is one model step: the scheduler picks an enabled actor
(`sel_t`), which runs its merged local actions and one visible kernel action.

The kernel actions are encoded after `model/kernel.py` under sequential consistency
(`FreeHotColdPage` with the `free_pcppages_bulk()` spill, `RmqueueReadBatch` /
`RmqueueRefillTake`, `ReadPcpCount`, shared and private cpumasks, IPIs and work
items as spawned actors, `WaitForHandlers`, `LocalIrq`, `DrainPagesZone`,
`pcp->lock`, `pcpu_drain_mutex`, `ZonePcpDisable`).  A pcp list is its `count`
(the two are equal under sc); page identity is kept only where a property needs
it: the pages a call owes (`entry_snapshot_drained`) are the oldest ones on a list,
its tail, because frees and refills add at the head and allocations take from it,
so "owed" is a count too (`min(owed, len-1)` after an allocation, `owed - n` after a
spill of n from the tail, 0 after a drain).  The rest of the properties' monitors
is state too, as in `model/properties.py`: which calls overlapped another while
owing pages, which allocations had loaded `batch` when a disable came, which zones
were disabled.  Left out: hotplug, tso, OFFSTACK=y (see `proofs.automaton`).

Names are time-indexed (`count_cpu1_z0_t3`), as in Z3's BMC examples.
"""
from __future__ import annotations

from dataclasses import dataclass

import z3

from model.config import ZONE_NAMES
from model.runtime import Runtime
from model.scenario import Scenario

from .automaton import DONE, Walker

NONE = -1            # no holder (IRQs on, lock / mutex free)
UNSPAWNED = -2       # a handler slot not yet spawned
BITS = 8             # every number is an 8-bit vector: small values, bit-blasted to SAT


def num(name: str):
    return z3.BitVec(name, BITS)


def val(x: int):
    return z3.BitVecVal(x, BITS)


@dataclass(frozen=True)
class Harness:
    ncpus: int
    nzones: int
    pages: int                       # at most this many pages in the scenario
    menu: tuple                      # programs a CPU may run: tuples of items
    high: int = 4
    batch: int = 2
    max_callers: int = 2             # CPUs whose program calls the drain

    def text(self) -> str:
        progs = "; ".join(" + ".join(_item(it) for it in p) or "nothing" for p in self.menu)
        return (f"{self.ncpus} CPUs, {self.nzones} zone(s), <= {self.pages} pages, high={self.high} "
                f"batch={self.batch}, each CPU runs one of [{progs}], at most {self.max_callers} CPU(s) "
                f"calling the drain, CONFIG_CPUMASK_OFFSTACK=n, sc")

    def is_call(self, i: int) -> bool:
        return any(it[0] in ("drain", "disable") for it in self.menu[i])


def _item(it):
    z = ZONE_NAMES
    return {"free": lambda: f"free({z[it[1]]})", "alloc": lambda: f"alloc({z[it[1]]})",
            "drain": lambda: f"drain({'NULL' if it[1] is None else z[it[1]]})",
            "disable": lambda: f"disable({z[it[1]]})"}[it[0]]()


class Slot:
    def __init__(self, index, aid, cpu, specs, call=None):
        self.index, self.aid, self.cpu, self.specs, self.call = index, aid, cpu, specs, call
        self.roots: dict = {}
        self.pids: list = []

    def places(self) -> list:
        """Where the actor can be: its positions, finished, and (a handler) not yet spawned."""
        return self.pids + [DONE] + ([UNSPAWNED] if self.aid[0] != "task" else [])


class System:
    """The harness compiled: template runtime, actor slots and their automata."""

    def __init__(self, variant, h: Harness):
        self.variant, self.h = variant, h
        zn = ZONE_NAMES[: h.nzones]
        # template pages: the page a `("free", z)` item on cpu c frees
        self.free_page = {(c, z): c * h.nzones + z for c in range(h.ncpus) for z in range(h.nzones)}
        page_zone = tuple(z for c in range(h.ncpus) for z in range(h.nzones))
        tmpl = Scenario(ncpus=h.ncpus, zone_names=zn, high=h.high, batch=h.batch, page_zone=page_zone,
                        placement=tuple(("held", c) for c in range(h.ncpus) for _ in range(h.nzones)),
                        programs=tuple(() for _ in range(h.ncpus)))
        self.rt = Runtime(tmpl, variant, False, "sc")
        self.slots: list = []
        specs_by_cpu = [[("task", self.concrete(c, p)) for p in h.menu] for c in range(h.ncpus)]
        for c in range(h.ncpus):
            self.slots.append(Slot(c, ("task", c), c, specs_by_cpu[c]))
        todo = list(self.slots)
        seen = {}
        w = Walker(self.rt)
        while todo:
            s = todo.pop(0)
            for spec in s.specs:
                s.roots[spec] = w.root(s.aid, spec, s.cpu, s.call)
            for pid in self._reach(w, s.roots.values()):
                s.pids.append(pid)
                for aid, spec, cpu, call in w.pos[pid].spawns:
                    if (aid, spec) not in seen:
                        ns = Slot(len(self.slots), aid, cpu, [spec], call)
                        seen[(aid, spec)] = ns
                        self.slots.append(ns)
                        todo.append(ns)
        self.pos = w.pos
        self.slot_of = {k: s.index for k, s in seen.items()}
        self.calls = sorted({p.enter[0] for p in w.pos.values() if p.enter})

    def concrete(self, c, prog):
        return tuple(("free", self.free_page[(c, it[1])]) if it[0] == "free" else it for it in prog)

    @staticmethod
    def _reach(w, roots):
        out, todo = [], [r for r in roots if r != DONE]
        seen = set()
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            out.append(p)
            todo += [b.dst for b in w.pos[p].branches if b.dst != DONE]
        return sorted(out)


# --- symbolic state ---------------------------------------------------------------------------

class State:
    def __init__(self, sysm: System, t: int):
        h, v = sysm.h, sysm.variant
        C, Z = range(h.ncpus), range(h.nzones)
        self.cnt = [[num(f"count_cpu{c}_z{z}_t{t}") for z in Z] for c in C]
        self.bud = [num(f"buddy_z{z}_t{t}") for z in Z]
        self.dis = [z3.Bool(f"disabled_z{z}_t{t}") for z in Z]
        self.mask = [[z3.Bool(f"{n}_cpu{c}_t{t}") for c in C] for n in v.mask_names]
        self.irq = [num(f"irq_off_by_cpu{c}_t{t}") for c in C]
        self.lock = [[num(f"pcp_lock_cpu{c}_z{z}_t{t}") for z in Z] for c in C]
        self.mutex = num(f"pcpu_drain_mutex_t{t}")
        # one Boolean per (actor slot, position): `at_task1_p12_t3`
        self.pcs = [{q: z3.Bool(f"at{s.index}_{_aid_name(s.aid)}_p{_pname(q)}_t{t}") for q in s.places()}
                    for s in sysm.slots]
        self.owed = {k: [[num(f"owed_cpu{k[0]}#{k[1]}_cpu{c}_z{z}_t{t}") for z in Z] for c in C]
                     for k in sysm.calls}
        self.dz = [z3.Bool(f"disable_called_z{z}_t{t}") for z in Z]
        # the monitor's alloc sections: batch loaded, not yet refilled; and those a disable straddled
        self.pend = [[z3.Bool(f"alloc_pending_cpu{c}_z{z}_t{t}") for z in Z] for c in C]
        self.strad = [[z3.Bool(f"alloc_straddles_disable_cpu{c}_z{z}_t{t}") for z in Z] for c in C]
        # the monitor's "this call owed pages while another call was in flight"
        self.wf = {k: z3.Bool(f"overlapped_cpu{k[0]}#{k[1]}_t{t}") for k in sysm.calls}

    def at(self, s: int, q: int):
        return self.pcs[s].get(q, z3.BoolVal(False))


def _pname(q):
    return {DONE: "done", UNSPAWNED: "unspawned"}.get(q, q)


def _aid_name(aid):
    if aid[0] == "task":
        return f"task{aid[1]}"
    return f"{aid[0]}{aid[1]}_for_cpu{aid[2][0]}#{aid[2][1]}"


class Sched:
    """The scheduler's choice at one step (`sched_t3`): an actor slot, or `stutter`
    (= number of slots) once the run has ended."""

    def __init__(self, sysm, t: int):
        self.v = num(f"sched_t{t}")
        self.stutter = len(sysm.slots)

    def is_(self, i: int) -> z3.BoolRef:
        return self.v == i

    def exactly_one(self):
        return z3.ULE(self.v, self.stutter)

    def value(self, mdl) -> int:
        return mdl.eval(self.v, model_completion=True).as_long()


def done(sysm, st: State, s) -> z3.BoolRef:
    return z3.Or(st.at(s.index, DONE), st.at(s.index, UNSPAWNED))


def initial(sysm: System, st: State, prog):
    """Constraints on step 0: `prog[c]` is cpu c's program index in the menu."""
    h = sysm.h
    out = []
    for c in range(h.ncpus):
        out += [z3.And(0 <= x, x <= h.pages) for x in st.cnt[c]]
        out += [st.irq[c] == NONE] + [x == NONE for x in st.lock[c]]
        out += [0 <= prog[c], prog[c] < len(h.menu)]
        s = sysm.slots[c]
        out.append(z3.And([z3.Implies(prog[c] == i, st.at(c, s.roots[spec])) for i, spec in enumerate(s.specs)]))
        out += [z3.AtMost(*st.pcs[c].values(), 1), z3.Or(list(st.pcs[c].values()))]
    out += [z3.And(0 <= b, b <= h.pages) for b in st.bud] + [z3.Not(d) for d in st.dis]
    out += [z3.Not(x) for row in st.mask for x in row] + [st.mutex == NONE] + [z3.Not(d) for d in st.dz]
    out += [x == (q == UNSPAWNED) for s in sysm.slots[h.ncpus:] for q, x in st.pcs[s.index].items()]
    out += [x == 0 for k in st.owed for row in st.owed[k] for x in row]
    out += [z3.Not(x) for x in st.wf.values()]
    out += [z3.Not(x) for rows in (st.pend, st.strad) for row in rows for x in row]
    held = z3.Sum([z3.If(prog[c] == i, val(sum(1 for it in p if it[0] == "free")), val(0))
                   for c in range(h.ncpus) for i, p in enumerate(h.menu)])
    out.append(z3.Sum([x for row in st.cnt for x in row] + st.bud + [held]) <= h.pages)
    callers = [i for i in range(len(h.menu)) if h.is_call(i)]
    out.append(z3.Sum([z3.If(z3.Or([prog[c] == i for i in callers] or [z3.BoolVal(False)]), val(1), val(0))
                       for c in range(h.ncpus)]) <= h.max_callers)
    return out
