"""The action protocol: `Op` (guard, outcomes, apply) and `Out`, plus
`free_pcppages_bulk()`, shared by the page-list actions."""
from __future__ import annotations

from typing import NamedTuple

from ..events import Ev
from ..footprint import EMPTY, EVERYTHING  # noqa: F401


class Out(NamedTuple):
    k: object                  # the new KState
    result: object             # what the actor's generator receives
    events: tuple              # Ev, in order
    spawn: tuple = ()          # (aid, spec, cpu, call) of new actors


class Op:
    """One atomic step.  Subclasses set `label` and override guard/apply."""
    local = False
    fence = False
    __slots__ = ()

    def is_local(self, rt) -> bool:
        return self.local

    def guard(self, rt, node, a) -> bool:
        return True

    def outcomes(self, rt, node, a) -> int:
        """How many ways this action can end (the scheduler's extra choices)."""
        return 1

    def apply(self, rt, node, a) -> list[Out]:
        raise NotImplementedError

    def footprint(self, rt, a) -> tuple:
        """(reads, writes) of this op's guard and effect, as model/footprint.py
        locations; an op that does not say touches everything."""
        return EVERYTHING

    def __repr__(self):
        fields = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"{type(self).__name__}({fields})"


def _set2(tup, i, j, v):
    row = tup[i][:j] + (v,) + tup[i][j + 1:]
    return tup[:i] + (row,) + tup[i + 1:]


def _bulk_free(rt, k, cpu, z, n, call, by, kind, leave_count=False):
    """`free_pcppages_bulk(zone, n, pcp)`: min(n, pages on the list) pages from the
    tail of (cpu, z)'s list back to buddy; count drops by what was freed."""
    lst = k.pcp[cpu][z]
    n = min(n, len(lst))
    moved = lst[len(lst) - n:] if n else ()
    keep = lst[: len(lst) - n]
    before = k.view_count(by, cpu, z)
    after = before if leave_count else max(before - n, 0)
    if rt.tso and by == cpu and k.sbuf[cpu]:
        k = k._replace(pcp=_set2(k.pcp, cpu, z, keep)).with_sbuf(cpu, k.sbuf[cpu] + (("count", cpu, z, after),))
    else:
        k = k.with_pcp(cpu, z, keep, after)
    k = k.with_buddy(z, k.buddy[z] + moved)
    return k, Ev(kind, by, call, target=cpu, zone=z, pages=moved, count=(before, after))
