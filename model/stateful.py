"""The Hypothesis driver: a rule-based state machine over the model's runtime.

Used by `pytest properties/` (properties/test_stateful.py) and by
`drainverify check --engine hypothesis` (drainverify/random_engine.py).

Rules add work to idle CPUs -- a free, an allocation, a drain call (NULL zone or
one zone), a drain from direct reclaim, "disable then drain", CPU hotplug -- and a
`schedule` rule picks which enabled actor (and which outcome: an allocation that
fails, reclaim without progress) takes the next atomic step.  So Hypothesis
generates workloads *and* interleavings and shrinks both.  Every step is judged by
the same property monitors as the exhaustive driver; a violation fails the run with
the counterexample printed by the shared formatter.

A run converts to the exhaustive driver's form -- a `Scenario` (each CPU's items in
the order they were added) plus the list of choices -- which `model.history.replay`
reproduces exactly, so a Hypothesis counterexample is an ordinary artifact.
"""
from __future__ import annotations

from collections import defaultdict

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from .config import ZONE_NAMES
from .format import lanes
from .history import replay, to_artifact
from .runtime import Actor, Node, Runtime
from .scenario import Scenario

#: (variant, offstack, property) -> reached?  /  cases and steps run
WITNESSES: dict = defaultdict(bool)
STATS: dict = defaultdict(lambda: {"cases": 0, "steps": 0})


class Violation(AssertionError):
    """A property violated in a Hypothesis run.  The counterexample (an artifact
    replayed in the model, and its lanes view) is built only when shown, since
    Hypothesis raises this many times while it shrinks."""

    def __init__(self, summary, build):
        super().__init__(summary)
        self.summary = summary
        self._build = build
        self._art = None

    @property
    def artifact(self):
        if self._art is None:
            self._art = self._build()
        return self._art

    def __str__(self):
        try:
            return f"{self.summary}\n\n{lanes(self.artifact)}"
        except Exception as exc:  # a conversion failure is a bug worth seeing
            return f"{self.summary}\n\n(could not convert the run to an artifact: {exc})"


def make_machine(variant, offstack: bool, props, memory_model: str = "sc", max_cpus: int = 3,
                 max_pages: int = 3, max_zones: int = 2, hotplug: bool = True, replay_cmd: str | None = None):
    """A state machine class checking `props` on `variant` (hotplug: whether runs may
    take a CPU down or up; replay_cmd: the command the artifacts name)."""
    prop_names = [p.name for p in props]
    key = (variant.name, offstack, memory_model)

    class DrainMachine(RuleBasedStateMachine):
        @initialize(data=st.data())
        def setup(self, data):
            # small machines first: races need two CPUs, rarely more
            ncpus = data.draw(st.sampled_from([2, 1, 2, 3][: max_cpus + 1] if max_cpus > 1 else [1]), label="cpus")
            nzones = data.draw(st.sampled_from([1, 2, 1][:max_zones + 1] if max_zones > 1 else [1]), label="zones")
            npages = data.draw(st.sampled_from([n for n in (2, 1, 2, 3, 0) if n <= max_pages]), label="pages")
            batch = data.draw(st.sampled_from([2, 1, 3]), label="batch")
            high = data.draw(st.integers(batch, batch + 3), label="high")
            page_zone = tuple(sorted(data.draw(st.lists(st.integers(0, nzones - 1), min_size=npages,
                                                        max_size=npages), label="page zones")))
            places = [("buddy",)] * 2 + [("pcp", c) for c in range(ncpus)] + [("held", c) for c in range(ncpus)]
            placement = tuple(data.draw(st.lists(st.sampled_from(places), min_size=npages, max_size=npages),
                                        label="placement"))
            # each CPU starts with a short program, so calls overlap from the first step
            held = {c: [p for p in range(npages) if placement[p] == ("held", c)] for c in range(ncpus)}
            zones = list(range(nzones))
            call_zones = ([None] + zones) if variant.zone_arg else [None]
            item = st.one_of(
                st.tuples(st.just("drain"), st.sampled_from(call_zones)),
                st.tuples(st.just("disable"), st.sampled_from(zones)),
                st.tuples(st.just("alloc"), st.sampled_from(zones)),
                st.tuples(st.just("reclaim_drain"), st.just(None)),
            )
            self.items = []
            for c in range(ncpus):
                prog = [("free", p) for p in held[c]][:1]
                prog += data.draw(st.lists(item, max_size=2), label=f"cpu{c} program")
                self.items.append(prog)
            self.hotplug = []
            self.retired = set()
            self.allow_hotplug = hotplug and ncpus > 1 and data.draw(st.booleans(), label="hotplug")
            self.scn = Scenario(ncpus, ZONE_NAMES[:nzones], high, batch, page_zone, placement,
                                tuple(tuple(p) for p in self.items), hotplug_possible=self.allow_hotplug)
            self.rt = Runtime(self.scn, variant, offstack, memory_model, properties=props)
            self.node = self.rt.initial_node()
            self.ncalls = [0] * ncpus
            # schedules: either uniformly random choices, or PCT (Burckhardt et al.,
            # ASPLOS 2010): CPUs run by priority, and at a few change points the
            # running CPU drops to the lowest priority -- races that need only a
            # couple of preemptions become likely, and shrink to few draws
            self.pct = data.draw(st.booleans(), label="pct scheduling")
            self.prio = list(data.draw(st.permutations(range(ncpus + 1)), label="priorities"))
            self.change = set(data.draw(st.lists(st.integers(1, 30), max_size=3), label="change points"))
            self.choices = []
            self.steps = 0
            STATS[key]["cases"] += 1

        # -- adding work -----------------------------------------------------------
        def _idle(self, cpu):
            return not any(a.cpu == cpu and a.aid[0] == "task" for a in self.node.actors)

        def _spawn(self, cpu, item):
            self.items[cpu].append(item)
            a = Actor(("task", cpu), ("task", (item,)), 0, cpu, None, self.ncalls[cpu])
            self.node = Node(self.node.k, tuple(sorted(self.node.actors + (a,))), self.node.mons)

        def _ready(self):
            """CPUs online with no task running, never taken down: where a rule may add work.
            (A scenario's task runs its items back to back and a CPU goes down once its
            task is done, so a run stays replayable only if a CPU that went down gets no
            more work.)"""
            return [c for c in range(self.scn.ncpus)
                    if c not in self.retired and self._idle(c) and self.node.k.is_online(c)]

        def _freeable(self, c):
            """Pages cpu c held at the start and holds still (a scenario frees only those)."""
            return [p for p in self.node.k.held[c] if self.scn.placement[p] == ("held", c)]

        def _holding(self):
            return [c for c in self._ready() if self._freeable(c)]

        def _zone(self, data, allow_null):
            zs = list(range(self.scn.nzones))
            if allow_null:
                zs = [None] + zs if variant.zone_arg else [None]
            return data.draw(st.sampled_from(zs), label="zone")

        def _ready_cpu(self, data):
            return data.draw(st.sampled_from(self._ready()), label="cpu")

        def _can_toggle(self):
            return [c for c in range(1, self.scn.ncpus) if self._idle(c)] \
                if self.allow_hotplug and not any(a.aid[0] == "hotplug" for a in self.node.actors) else []

        @precondition(lambda self: bool(self._holding()))
        @rule(data=st.data())
        def free(self, data):
            cpu = data.draw(st.sampled_from(self._holding()), label="cpu")
            self._spawn(cpu, ("free", self._freeable(cpu)[0]))

        @precondition(lambda self: bool(self._ready()))
        @rule(data=st.data())
        def alloc(self, data):
            self._spawn(self._ready_cpu(data), ("alloc", self._zone(data, False)))

        @precondition(lambda self: bool(self._ready()))
        @rule(data=st.data())
        def drain(self, data):
            self._spawn(self._ready_cpu(data), ("drain", self._zone(data, True)))

        @precondition(lambda self: bool(self._ready()))
        @rule(data=st.data())
        def reclaim_drain(self, data):
            self._spawn(self._ready_cpu(data), ("reclaim_drain", None))

        @precondition(lambda self: bool(self._ready()))
        @rule(data=st.data())
        def disable(self, data):
            self._spawn(self._ready_cpu(data), ("disable", self._zone(data, False)))

        @precondition(lambda self: bool(self._can_toggle()))
        @rule(data=st.data())
        def hotplug_toggle(self, data):
            cpu = data.draw(st.sampled_from(self._can_toggle()), label="cpu")
            what = "offline" if self.node.k.is_online(cpu) else "online"
            self.hotplug.append((what, cpu))
            self.retired.add(cpu)
            a = Actor(("hotplug",), ("hotplug", ((what, cpu),)), 0, None, None)
            self.node = Node(self.node.k, tuple(sorted(self.node.actors + (a,))), self.node.mons)

        # -- scheduling ------------------------------------------------------------
        @precondition(lambda self: bool(self.node.actors))
        @rule(data=st.data())
        def schedule(self, data):
            for _ in range(data.draw(st.integers(1, 6), label="burst")):
                choices = self.rt.enabled(self.node)
                if not choices:
                    self._signals(self.rt.finish(self.node))
                    return
                self._step(self._pick(choices, data))

        def _cpu_of(self, aid):
            return aid[1] if aid[0] in ("task", "ipi", "work") else self.scn.ncpus

        def _pick(self, choices, data):
            if not self.pct:
                if data is None:
                    return choices[0]
                return choices[data.draw(st.integers(0, len(choices) - 1), label="choice")]
            top = max(self.prio[self._cpu_of(ch[0])] for ch in choices)
            mine = [ch for ch in choices if self.prio[self._cpu_of(ch[0])] == top]
            ch = mine[0] if data is None or len(mine) == 1 else \
                mine[data.draw(st.integers(0, len(mine) - 1), label="outcome")]
            if self.steps + 1 in self.change:
                self.prio[self._cpu_of(ch[0])] = min(self.prio) - 1
            return ch

        def _step(self, ch):
            step = self.rt.step(self.node, ch)
            for ev in step.events:
                if ev.kind == "call":
                    self.ncalls[ev.cpu] = max(self.ncalls[ev.cpu], ev.call[1] + 1)
            self.node = step.node
            self.choices.append(ch)
            self.steps += 1
            STATS[key]["steps"] += 1
            self._signals(step.signals)

        def _signals(self, signals):
            for sig in signals:
                name = prop_names[sig.prop]
                if sig.kind == "witness":
                    WITNESSES[key + (name,)] = True
                elif sig.kind == "violation":
                    raise self._violation(name, sig.text)

        def teardown(self):
            # run what is left in a fixed order, then judge the end state
            if not hasattr(self, "rt"):
                return
            n = 0
            while self.node.actors and n < 500:
                choices = self.rt.enabled(self.node)
                if not choices:
                    break
                self._step(self._pick(choices, None))
                n += 1
            self._signals(self.rt.finish(self.node))

        def _violation(self, name, text):
            scn = Scenario(self.scn.ncpus, self.scn.zone_names, self.scn.high, self.scn.batch,
                           self.scn.page_zone, self.scn.placement,
                           tuple(tuple(p) for p in self.items), tuple(self.hotplug),
                           hotplug_possible=self.allow_hotplug)
            prop = next(p for p in props if p.name == name)
            choices = list(self.choices)
            cmd = replay_cmd or (f"drainverify replay FILE  (this run: pytest properties/ --variant {variant.name}; "
                                 f"DRAINVERIFY_PROFILE=dev replays it first from .hypothesis/)")

            def build():
                h = replay(variant, scn, offstack, memory_model, choices, props=[prop], run_to_end=False)
                return to_artifact(h, name, {"engine": "hypothesis"}, cmd)

            return Violation(f"{name} violated on {variant.name}: {text}", build)

    DrainMachine.__name__ = f"DrainMachine_{variant.name.replace('.', '_').replace('-', '_')}"
    return DrainMachine
