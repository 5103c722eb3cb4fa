"""CPU hotplug and the ghost call markers of a drain call."""
from __future__ import annotations

from ..events import Ev
from ..state import apply_store
from ..footprint import EMPTY  # noqa: F401
from .base import Op, Out, _bulk_free


class CpuOffline(Op):
    """`cpu_down()` as one step: the CPU leaves `cpu_online_mask` and the dead-CPU
    callback (`page_alloc_cpu_notify()` v3.2, `page_alloc_cpu_dead()` v4.10+) drains
    its lists.  Waits until nothing runs or is queued on that CPU (stop_machine)."""
    __slots__ = ("target",)

    def footprint(self, rt, a):
        t = self.target
        return frozenset({("A",), ("O",)}), frozenset({("L", t, "*"), ("C", t, "*"), ("B", "*"), ("O",), ("S", t)})

    def __init__(self, target):
        self.target = target

    def guard(self, rt, node, a):
        return node.k.is_online(self.target) and not any(x.cpu == self.target for x in node.actors)

    def apply(self, rt, node, a):
        k = node.k
        for store in k.sbuf[self.target]:
            k = apply_store(k, store)
        k = k.with_sbuf(self.target, ())
        moved = []
        for z in range(k.nzones):
            k, ev = _bulk_free(rt, k, self.target, z, len(k.pcp[self.target][z]), None, self.target, "drain")
            moved.extend(ev.pages)
        k = k._replace(online=k.online & ~(1 << self.target))
        return [Out(k, None, (Ev("offline", self.target, None, pages=tuple(moved)),))]


class CpuOnline(Op):
    """`cpu_up()`: the CPU joins `cpu_online_mask` with empty lists.  A drain that
    built its mask before does not IPI it."""
    __slots__ = ("target",)

    def footprint(self, rt, a):
        return frozenset({("O",)}), frozenset({("O",)})

    def __init__(self, target):
        self.target = target

    def guard(self, rt, node, a):
        return not node.k.is_online(self.target)

    def apply(self, rt, node, a):
        k = node.k
        return [Out(k._replace(online=k.online | (1 << self.target)), None,
                    (Ev("online", self.target, None),))]


class CallEnter(Op):
    """A drain call begins (`drain_all_pages()` entered).  Ghost: no memory access."""
    local = True
    __slots__ = ("what", "zone", "ctx")

    def footprint(self, rt, a):
        return EMPTY

    def __init__(self, what, zone, ctx):
        self.what, self.zone, self.ctx = what, zone, ctx

    def apply(self, rt, node, a):
        raise AssertionError("CallEnter is handled by the runtime")


class CallReturn(Op):
    """The drain call returns.  Ghost."""
    local = True
    __slots__ = ()

    def footprint(self, rt, a):
        return EMPTY

    def apply(self, rt, node, a):
        raise AssertionError("CallReturn is handled by the runtime")
