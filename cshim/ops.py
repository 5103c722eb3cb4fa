"""Kernel actions the C shim needs beyond `model.kernel`, as `Op` subclasses.

They live here (not in model/) because they exist only to give C code a
faithful mapping; each one's events are the model's own kinds, so the property
ladder judges C renditions with exactly the code that judges the Python corpus.

* `PcpLoad`: the first access of C code to a CPU's pcp struct after a
  scheduling point (cshim/runtime/core.c traps it).  A read of `->count` is the
  drain's scan (a `scan` event and the count, as `ReadPcpCount`); a first access
  to `high`/`batch` loads both, packed, without event.  It is `local`
  when nobody else can write that struct now (the actor's own CPU with IRQs off
  before v6.0, or the actor holds its `pcp->lock`): such a load commutes with
  every other step.
* `PcpStore`: a plain C store to `count`/`high`/`batch` (e.g. `pcp->count = 0`
  after `free_pcppages_bulk()` before v4.19), sent before the next primitive.
* `FreePcppagesBulk`: `free_pcppages_bulk(zone, count, pcp)`: min(count, list)
  pages from the tail of the list to buddy; before v4.19 the caller updates
  `pcp->count` itself (so `count` is left for a later `PcpStore`), after it the
  function does.
* `CpumaskSharedStore`: `cpumask_clear()/copy()/setall()` on a shared mask.
* `ZallocCpumaskVarFlags`: `zalloc_cpumask_var()` with the flag set the C code
  passed (decoded from the era's gfp bits), judged by `model.allocator`.
* `WithIrq`: another op with IRQs turned off before it (`spin_lock_irqsave()`)
  or back on after it (`spin_unlock_irqrestore()`), in the same atomic step.
"""
from __future__ import annotations

from model import kernel as K
from model.allocator import cpumask_alloc_outcomes
from model.events import Ev, Kind, register

# the event kinds only C code produces, registered with the model's (model/events.py)
register(Kind("pcp_store", ("target", "zone", "field", "value"),
              lambda e: f"pcp[cpu{e['target']}][{e.get('zone_name')}]->{e['field']}: "
                        f"{e['value'][0]} -> {e['value'][1]}" if e["field"] == "count" else
                        f"pcp[cpu{e['target']}][{e.get('zone_name')}] high={e['value'][0]} batch={e['value'][1]}",
              "a plain C store to pcp->count (or high/batch)", changes_count=True))
register(Kind("mask_store", ("shared", "bits"),
              lambda e: f"{e['shared']} = {{{','.join(f'cpu{c}' for c in range(64) if e['bits'] >> c & 1)}}}",
              "cpumask_clear()/copy()/setall() on a shared mask"))

from .proto import pack_load


class PcpLoad(K.ReadPcpCount):
    __slots__ = ("scan", "excl", "locked")

    def __init__(self, target, zone, scan, excl, locked):
        super().__init__(target, zone)
        self.scan, self.excl, self.locked = scan, excl, locked

    def is_local(self, rt):
        return self.excl

    def footprint(self, rt, a):
        if self.scan:
            return frozenset({("C", self.target, self.zone), ("K", self.target, self.zone)}), frozenset()
        return frozenset({("HB", self.zone)}), frozenset()

    def apply(self, rt, node, a):
        k = node.k
        reader = a.cpu if a.cpu is not None else self.target
        if not self.scan:
            return [K.Out(k, pack_load(*k.view_high_batch(reader, self.zone)), ())]
        v = k.view_count(reader, self.target, self.zone)
        evs = ()
        if not self.excl or self.locked:
            evs = (Ev("scan", a.cpu, a.call, target=self.target, zone=self.zone, value=v,
                      locked=k.locks[self.target][self.zone] == a.aid),)
        return [K.Out(k, v, evs)]


class PcpStore(K.Op):
    __slots__ = ("target", "zone", "count", "high", "batch")

    def __init__(self, target, zone, count=None, high=None, batch=None):
        self.target, self.zone, self.count, self.high, self.batch = target, zone, count, high, batch

    def footprint(self, rt, a):
        w = set()
        if self.count is not None:
            w.add(("C", self.target, self.zone))
        if self.high is not None or self.batch is not None:
            w.add(("HB", self.zone))
        return frozenset(), frozenset(w)

    def apply(self, rt, node, a):
        k, t, z = node.k, self.target, self.zone
        evs = []
        if self.count is not None:
            before = k.count[t][z]
            k = k.with_count(t, z, self.count)
            evs.append(Ev("pcp_store", a.cpu, a.call, target=t, zone=z, field="count", value=(before, self.count)))
        if self.high is not None or self.batch is not None:
            high = k.high[z] if self.high is None else self.high
            batch = k.batch[z] if self.batch is None else self.batch
            k = k._replace(high=k.high[:z] + (high,) + k.high[z + 1:], batch=k.batch[:z] + (batch,) + k.batch[z + 1:])
            evs.append(Ev("pcp_store", a.cpu, a.call, target=t, zone=z, field="high/batch", value=(high, batch)))
        return [K.Out(k, 0, tuple(evs))]


class FreePcppagesBulk(K.Op):
    __slots__ = ("target", "zone", "n", "leave_count")

    def __init__(self, target, zone, n, leave_count):
        self.target, self.zone, self.n, self.leave_count = target, zone, n, leave_count

    def footprint(self, rt, a):
        t, z = self.target, self.zone
        return frozenset(), frozenset({("L", t, z), ("C", t, z), ("B", z)})

    def apply(self, rt, node, a):
        k, ev = K._bulk_free(rt, node.k, self.target, self.zone, max(self.n, 0), a.call, a.cpu, "drain",
                             leave_count=self.leave_count)
        return [K.Out(k, len(ev.pages), (ev,))]


class CpumaskSharedStore(K.Op):
    fence = True
    __slots__ = ("slot", "bits")

    def __init__(self, slot, bits):
        self.slot, self.bits = slot, bits

    def footprint(self, rt, a):
        return frozenset(), frozenset({("M", self.slot)})

    def apply(self, rt, node, a):
        return [K.Out(node.k.with_mask(self.slot, self.bits), None,
                      (Ev("mask_store", a.cpu, a.call, shared=rt.variant.mask_names[self.slot], bits=self.bits),))]


class ZallocCpumaskVarFlags(K.ZallocCpumaskVar):
    __slots__ = ("flags",)

    def __init__(self, label, flags, depth=0):
        super().__init__(label, depth)
        self.flags = frozenset(flags)

    def apply(self, rt, node, a):
        k = node.k
        memalloc = bool(k.memalloc >> a.cpu & 1)
        flags = tuple(sorted(self.flags))
        outs = []
        for outcome, path, cls in cpumask_alloc_outcomes(self.flags, rt.variant.era, rt.offstack, memalloc):
            ev = Ev("mask_alloc", a.cpu, a.call, gfp=self.gfp, flags=flags, outcome=outcome, cls=cls, path=path)
            if outcome == "reclaim":
                d = self.depth + 1
                evs = (ev, Ev("reclaim_enter", a.cpu, a.call, depth=d, why=f"zalloc_cpumask_var({self.gfp})"),
                       Ev("reclaim_exit", a.cpu, a.call, depth=d, progress=False),
                       Ev("mask_alloc", a.cpu, a.call, gfp=self.gfp, flags=flags, outcome="fail",
                          cls="reclaim", path="nested direct reclaim made no progress", nested=True))
                outs.append(K.Out(k, "fail", evs))
            else:
                outs.append(K.Out(k, "ok" if outcome in ("ok", "onstack") else "fail", (ev,)))
        return outs


class WithIrq(K.Op):
    __slots__ = ("inner", "off")

    def __init__(self, inner, off):
        self.inner, self.off = inner, off

    @property
    def fence(self):
        return self.inner.fence

    def is_local(self, rt):
        return self.inner.is_local(rt)

    def footprint(self, rt, a):
        r, w = self.inner.footprint(rt, a)
        return r, w | {("I", a.cpu)}

    def guard(self, rt, node, a):
        return self.inner.guard(rt, node, a)

    def outcomes(self, rt, node, a):
        return self.inner.outcomes(rt, node, a)

    def apply(self, rt, node, a):
        holder = a.aid if self.off else None
        return [o._replace(k=o.k.with_irq(a.cpu, holder)) for o in self.inner.apply(rt, node, a)]
