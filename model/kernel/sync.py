"""Locks: `pcp->lock` (v6.0+) and `pcpu_drain_mutex` (v4.11+)."""
from __future__ import annotations

from ..events import Ev
from ..footprint import EMPTY  # noqa: F401
from .base import Op, Out


class PcpSpinLock(Op):
    """`spin_lock(&pcp->lock)` (v6.0+, 4b23a68f9536): taken by the owner's alloc and
    free and by a remote drain.  Blocks while another actor holds it."""
    fence = True
    __slots__ = ("target", "zone")

    def footprint(self, rt, a):
        loc = ("K", self.target, self.zone)
        return frozenset({loc}), frozenset({loc})

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def guard(self, rt, node, a):
        return node.k.locks[self.target][self.zone] is None

    def apply(self, rt, node, a):
        return [Out(node.k.with_lock(self.target, self.zone, a.aid), None,
                    (Ev("pcp_lock", a.cpu, a.call, target=self.target, zone=self.zone),))]


class PcpSpinUnlock(Op):
    """`spin_unlock(&pcp->lock)`."""
    fence = True
    __slots__ = ("target", "zone")

    def footprint(self, rt, a):
        return frozenset(), frozenset({("K", self.target, self.zone)})

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def apply(self, rt, node, a):
        return [Out(node.k.with_lock(self.target, self.zone, None), None,
                    (Ev("pcp_unlock", a.cpu, a.call, target=self.target, zone=self.zone),))]


class MutexTrylock(Op):
    """`mutex_trylock(&pcpu_drain_mutex)` (v4.11+): result True if taken."""
    fence = True
    __slots__ = ()

    def footprint(self, rt, a):
        return frozenset({("X",)}), frozenset({("X",)})

    def apply(self, rt, node, a):
        k = node.k
        if k.mutex is None:
            return [Out(k._replace(mutex=a.aid), True, (Ev("mutex", a.cpu, a.call, op="trylock", ok=True),))]
        return [Out(k, False, (Ev("mutex", a.cpu, a.call, op="trylock", ok=False),))]


class MutexLock(Op):
    """`mutex_lock(&pcpu_drain_mutex)`: sleeps until the mutex is free."""
    fence = True
    __slots__ = ()

    def footprint(self, rt, a):
        return frozenset({("X",)}), frozenset({("X",)})

    def guard(self, rt, node, a):
        return node.k.mutex is None

    def apply(self, rt, node, a):
        return [Out(node.k._replace(mutex=a.aid), None, (Ev("mutex", a.cpu, a.call, op="lock", ok=True),))]


class MutexUnlock(Op):
    """`mutex_unlock(&pcpu_drain_mutex)`."""
    fence = True
    __slots__ = ()

    def footprint(self, rt, a):
        return frozenset(), frozenset({("X",)})

    def apply(self, rt, node, a):
        return [Out(node.k._replace(mutex=None), None, (Ev("mutex", a.cpu, a.call, op="unlock", ok=True),))]
