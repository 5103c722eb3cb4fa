"""The semantics of a step: actors, scheduling points, and one atomic step.

Concurrency by explicit scheduling (DESIGN.md §5).  Every actor is a generator of
kernel actions (`model.kernel`): the task on each CPU (running its scenario
program), IPI handlers, work items and CPU hotplug.  A *node* is everything the
future depends on: the kernel state, each live actor's position, and the property
monitors' state.  A *choice* is which actor steps next (and, where the kernel
could go several ways, which outcome): the two drivers make choices, nothing else
does.

Rules a step obeys:

* A CPU runs one thing at a time: while an actor on CPU c has IRQs off (an
  allocation between its `batch` load and its refill, an IPI handler, the
  caller's local run inside `on_each_cpu()`), no other actor on c steps.  So IPI
  handlers never run inside c's IRQs-off sections, and a caller waiting for its
  IPIs (IRQs on) services IPIs sent to it.
* A count load and the mask-bit store it leads to are separate steps; `set_bit`/
  `clear_bit` are atomic.
* Actions that touch only the actor's own frame (`Op.local`: a private cpumask,
  call entry/return markers, handler entry/exit) are merged into the step of the
  neighbouring visible action: entry markers into the next one, everything else
  into the previous one.  They commute with every other actor's steps, so this
  partial-order reduction loses no behaviour of the properties' observables, and
  it keeps the explored space small.
* Under `tso` a CPU with buffered stores offers one more choice: flush the oldest.

Actor generators are deterministic functions of the results they were sent, so
an actor's position is the sequence of those results (`log`, interned in a trie),
and its next action is memoised per (actor, log): exploring a node never replays
the whole run.

Hand-traced interleaving (v3.4 static mask, the seed's claim 1 under concurrency,
Mel Gorman 2012-01-30): cpu0's caller B loads cpu1's count = 0; cpu1 frees p0
(count 0->1) and calls A; A loads cpu0 = 0 (clears bit 0), cpu1 = 1 (sets bit 1);
B now stores its stale clear of bit 1; A sends IPIs to mask {} and, testing its
own bit, skips the local run: p0 stays on cpu1's list after A returns.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from . import kernel as K
from .events import Ev
from .footprint import EVERYTHING, union
from .state import KState, apply_store

DONE = "done"
STEP_LIMIT = 400          # steps one actor may take before it is declared hung


class Crash(NamedTuple):
    """An actor's end other than returning: `why` is step_limit, watchdog (no
    scheduling point in time), timeout (outside code past its time), exception,
    garbage (yielded something that is not a kernel action), or what outside code
    reports (signal, shim, nondeterministic, exit, fork)."""
    text: str
    why: str = "exception"

    @property
    def hang(self) -> bool:
        return self.why in HANGS


HANGS = frozenset({"step_limit", "watchdog", "timeout"})   # timeout: outside code past its time


class Signal(NamedTuple):
    prop: int               # index into Runtime.properties
    kind: str               # "violation" | "witness"
    text: str
    data: Optional[dict] = None   # what the text is about, for code: {"pages": ...}, {"why": ...}


class Actor(NamedTuple):
    aid: tuple              # ("task", c) | ("ipi", c, call) | ("work", c, call) | ("hotplug",)
    spec: tuple             # what its generator runs
    log: int                # position: node id in the result trie
    cpu: Optional[int]
    call: Optional[tuple]   # current drain call
    ncalls: int = 0


class Node(NamedTuple):
    k: KState
    actors: tuple           # Actor, sorted by aid
    mons: tuple             # one monitor state per property (None once decided)


class Step(NamedTuple):
    choice: tuple           # (aid, outcome index) or ("flush", cpu)
    node: Node
    events: tuple
    signals: tuple          # Signal, in property order
    fp: tuple = None        # (reads, writes), model/footprint.py; only when footprints are asked for


class Runtime:
    """Everything fixed for one (scenario, variant, OFFSTACK, memory model) run."""

    def __init__(self, scenario, variant, offstack: bool, memory_model: str = "sc",
                 properties=(), step_limit: int = STEP_LIMIT,
                 witnessed=frozenset(), footprints: bool = False):
        self.scenario = scenario
        self.variant = variant
        self.offstack = offstack
        self.memory_model = memory_model
        self.tso = memory_model == "tso"
        self.zone_names = scenario.zone_names
        self.page_zone = scenario.page_zone
        self.nzones = scenario.nzones
        self.has_hotplug = bool(scenario.hotplug) or scenario.hotplug_possible
        self.properties = tuple(properties)
        # properties whose witness this sweep has already reached: their monitors stop
        # keeping the bookkeeping only the witness needs (verdicts never read it)
        self.witnessed = frozenset(witnessed)
        # whether steps report their footprints (the sleep-set reduction needs them);
        # under tso every step is taken to touch everything (no reduction)
        self.footprints = footprints
        self._fp: list = []
        # which monitors an event kind reaches, and which look at states: _judge's dispatch
        from .properties.base import Property
        self._by_kind: dict = {}
        self._state_props = tuple(i for i, p in enumerate(self.properties)
                                  if type(p).on_state is not Property.on_state)
        self.step_limit = step_limit
        # outside code runs under the sandbox its loader wrapped it in (model/sandbox.py);
        # our own variants have none: their errors are bugs to see
        self.sandbox = getattr(variant, "sandbox", None)
        self._child: dict = {}
        self._parent: list = [(None, None, 0)]   # (parent id, result, depth)
        self._ops: dict = {}
        self._pool: dict = {}
        self.live: tuple = ()          # actors alive after the step being judged

    # -- the result trie -------------------------------------------------------
    def extend(self, log: int, result) -> int:
        key = (log, result)
        nid = self._child.get(key)
        if nid is None:
            nid = len(self._parent)
            self._parent.append((log, result, self._parent[log][2] + 1))
            self._child[key] = nid
        return nid

    def results(self, log: int) -> list:
        out = []
        while log:
            log, r, _ = self._parent[log]
            out.append(r)
        out.reverse()
        return out

    def depth(self, log: int) -> int:
        return self._parent[log][2]

    # -- actors' generators ------------------------------------------------------
    def _make_gen(self, a: Actor):
        from .workload import task_program
        kind = a.aid[0]
        if kind == "task":
            return task_program(self, a.cpu, a.spec)
        if kind in ("ipi", "work"):
            return _handler_wrapper(self, kind, a.cpu, a.spec[1], a.spec[2])
        if kind == "hotplug":
            return _hotplug_program(a.spec)
        raise ValueError(f"unknown actor {a.aid}")

    def next_op(self, a: Actor):
        key = (a.aid, a.spec, a.log)
        op = self._ops.get(key)
        if op is not None:
            return op
        if self.depth(a.log) > self.step_limit:
            op = Crash(f"did not return within {self.step_limit} steps", "step_limit")
            self._ops[key] = op
            return op
        if self.sandbox is None:
            op, gen = self._resume(a)
        else:                            # outside code: model/sandbox.py
            op, gen = self.sandbox.resume(self._resume, a, self.depth(a.log) + 1)
        if gen is not None and op is not DONE:
            self._pool[key] = gen
        self._ops[key] = op
        return op

    def _resume(self, a: Actor):
        """(the actor's next action or DONE, its generator to keep)."""
        try:
            if a.log == 0:
                gen = self._make_gen(a)
                return next(gen), gen
            parent, result, _ = self._parent[a.log]
            gen = self._pool.pop((a.aid, a.spec, parent), None)
            if gen is None:
                gen = self._make_gen(a)
                next(gen)
                for r in self.results(parent):
                    gen.send(r)
            return gen.send(result), gen
        except StopIteration:
            return DONE, None

    # -- nodes -------------------------------------------------------------------
    def initial_node(self) -> Node:
        s = self.scenario
        k = KState.initial(s.ncpus, s.nzones, s.high, s.batch, len(self.variant.mask_names),
                           s.placement, s.page_zone)
        if s.offline:
            k = k._replace(online=k.online & ~s.offline)
        actors = [Actor(("task", c), ("task", tuple(prog)), 0, c, None)
                  for c, prog in enumerate(s.programs) if prog]
        if s.hotplug:
            actors.append(Actor(("hotplug",), ("hotplug", tuple(s.hotplug)), 0, None, None))
        mons = tuple(p.init(self, k) for p in self.properties)
        node = Node(k, tuple(sorted(actors)), mons)
        return node

    def _cpu_free(self, k: KState, a: Actor) -> bool:
        """Nothing else has IRQs off on the actor's CPU, and -- for a task -- the CPU is
        up (a task on a CPU that starts offline runs once cpu_up() has brought it
        online).  A work item queued to a CPU that went offline still runs: its
        per-CPU pool is disassociated and an unbound worker executes it (the comment
        in drain_local_pages_wq(), v4.11+); IPIs are never sent to an offline CPU."""
        return a.cpu is None or (k.irq[a.cpu] in (None, a.aid) and (a.aid[0] != "task" or k.online >> a.cpu & 1))

    def _run(self, node: Node, a: Actor, outcome: int, events: list):
        """One step of `a`: leading local ops, one visible op (or a crash) with the
        chosen outcome, then trailing local ops.  Returns (node, actor or None once
        finished), or None if a guard blocks."""
        did_visible = False
        while True:
            op = self.next_op(a)
            if op is DONE:
                return node, None
            if isinstance(op, Crash):
                if did_visible:
                    return node, a           # the crash is the next step
                events.append(Ev("hang" if op.hang else "crash", a.cpu, a.call, text=op.text, why=op.why))
                return node, None
            local = op.is_local(self)
            if did_visible and (not local or isinstance(op, K.CallEnter)):
                return node, a
            if not self._cpu_free(node.k, a) or not op.guard(self, node, a):
                return None
            if self.footprints:
                self._fp.append(op.footprint(self, a))
            if local:
                node, a = self._run_one_local(node, a, op, events)
                continue
            if self.tso and op.fence and a.cpu is not None and node.k.sbuf[a.cpu]:
                return None
            o = op.apply(self, node, a)[outcome]
            did_visible = True
            events.extend(o.events)
            actors = node.actors
            if o.spawn:
                actors = actors + tuple(Actor(aid, spec, 0, cpu, call) for aid, spec, cpu, call in o.spawn)
            node = Node(o.k, actors, node.mons)
            a = a._replace(log=self.extend(a.log, o.result))

    def _outcomes(self, node: Node, a: Actor) -> int:
        """How many outcomes the actor's next step has (0: not enabled now)."""
        scratch: list = []
        while True:
            op = self.next_op(a)
            if op is DONE or isinstance(op, Crash):
                return 1
            if not self._cpu_free(node.k, a) or not op.guard(self, node, a):
                return 0
            if not op.is_local(self):
                if self.tso and op.fence and a.cpu is not None and node.k.sbuf[a.cpu]:
                    return 0
                return op.outcomes(self, node, a)
            node, a = self._run_one_local(node, a, op, scratch)

    def _run_one_local(self, node, a, op, events):
        if isinstance(op, K.CallEnter):
            call = (a.cpu, a.ncalls)
            events.append(Ev("call", a.cpu, call, what=op.what, zone=op.zone, ctx=op.ctx))
            return node, a._replace(call=call, ncalls=a.ncalls + 1, log=self.extend(a.log, call))
        if isinstance(op, K.CallReturn):
            events.append(Ev("return", a.cpu, a.call))
            return node, a._replace(call=None, log=self.extend(a.log, None))
        o = op.apply(self, node, a)[0]
        events.extend(o.events)
        return Node(o.k, node.actors, node.mons), a._replace(log=self.extend(a.log, o.result))

    def enabled(self, node: Node) -> list[tuple]:
        """Every choice available at `node`, in a fixed order."""
        choices = []
        for a in node.actors:
            if self.sandbox is None:
                n = self._outcomes(node, a)
            else:
                n = self.sandbox.outcomes(self._outcomes, node, a)
            choices.extend((a.aid, i) for i in range(n))
        if self.tso:
            for c in range(node.k.ncpus):
                if node.k.sbuf[c]:
                    choices.append((("flush", c), 0))
        return choices

    def step(self, node: Node, choice: tuple) -> Step:
        aid, outcome = choice
        events: list = []
        self._fp = []
        if aid[0] == "flush":
            c = aid[1]
            k = node.k
            store = k.sbuf[c][0]
            k = apply_store(k, store).with_sbuf(c, k.sbuf[c][1:])
            events.append(Ev("flush", c, None, store=store))
            new = Node(k, node.actors, node.mons)
        else:
            idx = next(i for i, a in enumerate(node.actors) if a.aid == aid)
            a = node.actors[idx]
            rest = node.actors[:idx] + node.actors[idx + 1:]
            base = Node(node.k, rest, node.mons)
            if self.sandbox is None:
                res = self._run(base, a, outcome, events)
            else:
                res = self.sandbox.run(self._run, base, a, outcome, events)
            if res is None:
                raise RuntimeError(f"choice {choice} is not enabled")
            new, a2 = res
            actors = new.actors + ((a2,) if a2 is not None else ())
            new = Node(new.k, tuple(sorted(actors)), new.mons)
            if self.footprints:
                if a.cpu is not None:
                    self._fp.append((frozenset({("I", a.cpu), ("O",)}), frozenset()))
                if a2 is None:
                    self._fp.append((frozenset(), frozenset({("A",)})))      # the actor is done
        st = self._judge(node, new, choice, events)
        if not self.footprints:
            return st
        if self.tso or aid[0] == "flush":
            return st._replace(fp=EVERYTHING)
        return st._replace(fp=union(self._fp))

    def _interested(self, kind) -> tuple:
        """Indices of the properties whose monitors read events of `kind`, in order."""
        r = self._by_kind.get(kind)
        if r is None:
            r = tuple(i for i, p in enumerate(self.properties) if p.kinds is None or kind in p.kinds)
            self._by_kind[kind] = r
        return r

    def _judge(self, before: Node, new: Node, choice, events) -> Step:
        self.live = new.actors
        props = self.properties
        mons = new.mons
        k = new.k
        outs: dict = {}
        changed = None
        for ev in events:
            for i in self._interested(ev.kind):
                m = mons[i] if changed is None else changed[i]
                if m is None:
                    continue
                out = outs.get(i)
                if out is None:
                    out = outs[i] = []
                if self.footprints:
                    self._fp.append(props[i].footprint(self, i, m, ev))
                m2 = props[i].on_event(self, m, ev, k, out)
                if m2 is not m:
                    if changed is None:
                        changed = list(mons)
                    changed[i] = m2
        for i in self._state_props:
            m = mons[i] if changed is None else changed[i]
            if m is None:
                continue
            out = outs.get(i)
            if out is None:
                out = outs[i] = []
            if self.footprints:
                self._fp.append(props[i].state_footprint(self, i, events))
            props[i].on_state(self, m, new, out, events)
        signals = tuple(Signal(i, *sig) for i in sorted(outs) for sig in outs[i])
        if changed is not None:
            mons = tuple(changed)
        return Step(choice, Node(k, new.actors, mons), tuple(events), signals)

    def finish(self, node: Node) -> tuple:
        """Signals at a node with no enabled choice: every actor done, or deadlock."""
        signals: list = []
        for i, p in enumerate(self.properties):
            m = node.mons[i]
            if m is None:
                continue
            out: list = []
            p.on_final(self, m, node, node.actors, out)
            signals.extend(Signal(i, *sig) for sig in out)
        return tuple(signals)

    def describe_block(self, a: Actor) -> str:
        op = self.next_op(a)
        name = type(op).__name__ if op is not DONE else "done"
        return f"{actor_name(a.aid)} blocked in {KERNEL_NAMES.get(name, name)}"


KERNEL_NAMES = {
    "MutexLock": "mutex_lock(&pcpu_drain_mutex)",
    "WaitForHandlers": "csd_lock_wait()/flush_work()",
    "PcpSpinLock": "spin_lock(&pcp->lock)",
    "RmqueueReadBatch": "buffered_rmqueue()",
    "FreeHotColdPage": "free_hot_cold_page()",
    "CpuOffline": "cpu_down()",
    "HandlerEnter": "the wait for its CPU, which is busy with IRQs off",
    "FreePcppagesBulkSpin": "free_pcppages_bulk(), which was asked for more pages than the lists hold and "
                            "loops forever with IRQs off (no clamp before 88e8ac11d2ea)",
}


def actor_name(aid: tuple) -> str:
    if aid[0] == "task":
        return f"cpu{aid[1]} task"
    if aid[0] in ("ipi", "work"):
        call = aid[2]
        return f"cpu{aid[1]} {'IPI handler' if aid[0] == 'ipi' else 'work item'} of cpu{call[0]}#{call[1]}"
    if aid[0] == "flush":
        return f"cpu{aid[1]} store buffer"
    return "hotplug"


def _handler_wrapper(rt, kind, cpu, func, info):
    yield K.HandlerEnter(kind)
    yield from rt.variant.handler(func)(rt, cpu, info)
    yield K.HandlerExit(kind)


def _hotplug_program(spec):
    for what, cpu in spec[1]:
        yield (K.CpuOffline(cpu) if what == "offline" else K.CpuOnline(cpu))
