"""Control automata of the model's actors, read off the model's own generators.

The races are checked over the *same* interleaving semantics as the model
(`model.runtime`): the drain variants, the free/alloc paths and the IPI handlers are
the model's generators, unchanged.  This module walks each actor's generator --
through `Runtime.next_op`, so positions are the model's own result logs -- and
records, per scheduling point, exactly what one model step does: the local actions
merged in front (call entry, handler entry, a private cpumask, `cpu_online_mask`
without hotplug, `zalloc_cpumask_var()` with OFFSTACK=n), the one visible kernel
action, and per possible result the local actions merged behind it (call return,
handler exit, `free_cpumask_var()`) and the next scheduling point.

Results are enumerated, not abstracted, except for two loads whose value the
corpus only tests for zero: `pcp->count` (`ReadPcpCount`) and the number of pages a
drain moved (`DrainPagesZone`).  Those branch on 0 / non-zero, and the walk checks
that a result of 2 leads to the same next action as 1.  Positions with the same
future (same actions, same results, same successors) are merged, so a drain's
automaton does not grow with the history of its scan.

What is left out: CPU hotplug (`cpu_online_mask` is constant), OFFSTACK=y (the
allocation outcome would be one more choice), the tso store buffers.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from model import kernel as K
from model.runtime import DONE as MODEL_DONE, Actor, Node, Runtime

DONE = -1            # position: the actor has finished
MERGEABLE_ZERO_TESTS = (K.ReadPcpCount, K.DrainPagesZone)


@dataclass
class Branch:
    rep: object               # representative result of the visible action
    trailing: tuple           # local actions merged behind it
    dst: int                  # next position (DONE when the actor finishes)
    returns: object = None    # call id if a CallReturn is among `trailing`


@dataclass
class Pos:
    pid: int
    leading: tuple            # local actions merged in front
    op: object                # the visible kernel action
    branches: list
    call: object              # call id current when `op` runs (None outside a call)
    enter: object = None      # (call id, what, zone) if a CallEnter is among `leading`
    spawns: tuple = ()        # (aid, spec, cpu, call) the action spawns


def result_reps(rt: Runtime, op, a: Actor):
    """Representative results of a visible action (see the module docstring)."""
    if isinstance(op, MERGEABLE_ZERO_TESTS):
        return [0, 1]
    if isinstance(op, K.CpumaskRead):
        return list(range(1 << rt.scenario.ncpus))
    if isinstance(op, K.MutexTrylock):
        return [True, False]
    if isinstance(op, K.RmqueueReadBatch):
        return sorted({rt.scenario.batch, 1})
    if isinstance(op, K.RmqueueRefillTake):
        return [None, "page"]
    if isinstance(op, K.SmpCallFunctionMany):
        return [static_sent(rt, op, a)]
    return [None]


def static_sent(rt, op, a):
    online = (1 << rt.scenario.ncpus) - 1
    return tuple(t for t in op.targets if online >> t & 1 and t != a.cpu)


def static_spawns(rt, op, a):
    if isinstance(op, K.SmpCallFunctionMany):
        return tuple((("ipi", t, a.call), ("ipi", op.func, op.info), t, a.call) for t in static_sent(rt, op, a))
    if isinstance(op, K.QueueWorkOn):
        return ((("work", op.target, a.call), ("work", op.func, op.info), op.target, a.call),)
    return ()


class Walker:
    """Walks actors' generators into positions shared by every actor of one runtime."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.node0 = rt.initial_node()
        self.sig: dict = {}          # signature -> pid (merging equal futures)
        self.pos: dict = {}

    def root(self, aid, spec, cpu, call=None) -> int:
        """The first position of an actor (DONE for an empty program)."""
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 20_000))
        try:
            return self.visit(Actor(aid, spec, 0, cpu, call))
        finally:
            sys.setrecursionlimit(old)

    def _local(self, op, a: Actor):
        """Run one local action statically; -> (new actor, enter info, returned call)."""
        if isinstance(op, K.CallEnter):
            call = (a.cpu, a.ncalls)
            return a._replace(call=call, ncalls=a.ncalls + 1, log=self.rt.extend(a.log, call)), \
                (call, op.what, op.zone), None
        if isinstance(op, K.CallReturn):
            return a._replace(call=None, log=self.rt.extend(a.log, None)), None, a.call
        r = op.apply(self.rt, Node(self.node0.k, (), ()), a)[0].result
        return a._replace(log=self.rt.extend(a.log, r)), None, None

    def visit(self, a: Actor) -> int:
        rt = self.rt
        leading, enter = [], None
        while True:
            op = rt.next_op(a)
            if op is MODEL_DONE:
                return DONE
            if not isinstance(op, K.Op):
                raise ValueError(f"{a.aid}: {op!r} before any visible action")
            if not op.is_local(rt):
                break
            a, e, _ = self._local(op, a)
            leading.append(op)
            enter = e or enter
        branches = []
        for rep in result_reps(rt, op, a):
            b = a._replace(log=rt.extend(a.log, rep if rep != "page" else self._a_page(op)))
            if isinstance(op, MERGEABLE_ZERO_TESTS) and rep == 1:
                self._check_zero_test(op, a)
            trailing, ret = [], None
            while True:
                nxt = rt.next_op(b)
                if nxt is MODEL_DONE:
                    dst = DONE
                    break
                if isinstance(nxt, K.Op) and nxt.is_local(rt) and not isinstance(nxt, K.CallEnter):
                    b, _, r = self._local(nxt, b)
                    trailing.append(nxt)
                    ret = r or ret
                    continue
                dst = self.visit(b)
                break
            branches.append(Branch(rep, tuple(trailing), dst, ret))
        key = (repr(leading), repr(op), a.call, a.ncalls, a.cpu,
               tuple((br.rep, repr(br.trailing), br.dst, br.returns) for br in branches))
        pid = self.sig.get(key)
        if pid is None:
            pid = len(self.pos)
            self.sig[key] = pid
            self.pos[pid] = Pos(pid, tuple(leading), op, branches, a.call, enter, static_spawns(rt, op, a))
        return pid

    def _a_page(self, op):
        zone_pages = [p for p, z in enumerate(self.rt.page_zone) if z == op.zone]
        return zone_pages[0] if zone_pages else 0

    def _check_zero_test(self, op, a):
        one = self.rt.next_op(a._replace(log=self.rt.extend(a.log, 1)))
        two = self.rt.next_op(a._replace(log=self.rt.extend(a.log, 2)))
        if repr(one) != repr(two):
            raise ValueError(f"{op!r}: the generator uses the loaded value, not only whether it is 0; "
                             f"the automaton abstraction does not apply")
