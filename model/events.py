"""History events: what one atomic step did, in kernel terms.

Every engine records the same events; properties fold over them and the
counterexample formatter prints them.  An event names the CPU it happened on
(`cpu`), the drain call it belongs to (`call`, a `(cpu, n)` pair: the n-th call
made by the task on that CPU, or None), its `kind`, and kind-specific fields.

Kinds: call, return, scan, mask, mask_alloc, mask_free, ipi, work, handler,
handler_done, local_run, drain, free, spill, read_batch, refill, alloc, offline,
online, disable, reclaim_enter, reclaim_exit, try_to_free_pages, mutex, pcp_lock,
pcp_unlock, flush, crash, hang.
"""
from __future__ import annotations


class Ev:
    def __init__(self, kind: str, cpu, call=None, **d):
        self.__dict__.update(d)          # the fields are plain attributes: ev.zone, ev.pages
        self.kind = kind
        self.cpu = cpu
        self.call = call
        self.d = d

    def get(self, name, default=None):
        return self.d.get(name, default)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "cpu": self.cpu,
               "call": None if self.call is None else call_name(self.call)}
        for k, v in self.d.items():
            out[k] = _jsonable(v)
        return out

    def __repr__(self):
        return f"Ev({self.kind}, cpu{self.cpu}, {self.call}, {self.d})"


def call_name(call) -> str:
    return f"cpu{call[0]}#{call[1]}"


def _jsonable(v):
    if isinstance(v, (frozenset, set)):
        return sorted(_jsonable(x) for x in v)
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v
