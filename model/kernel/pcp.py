"""Per-cpu page lists: the owner's free and allocation paths, the drain's loads of
`pcp->count`, the drain of one list, and zone_pcp_disable()."""
from __future__ import annotations

from ..events import Ev
from ..footprint import EMPTY  # noqa: F401
from .base import Op, Out, _bulk_free, _set2


class FreeHotColdPage(Op):
    """`free_hot_cold_page()` (v3.2; `free_unref_page()` from v4.15): IRQs off (and
    `pcp->lock` from v6.0), page onto the list head, `count++`; if `count >= high`,
    `free_pcppages_bulk(zone, batch)` returns min(count, batch) pages from the list
    tail to buddy (the clamp of 88e8ac11d2ea).  One atomic step under sc."""
    __slots__ = ("page",)

    def footprint(self, rt, a):
        c, z = a.cpu, rt.page_zone[self.page]
        r = {("HB", z)} | ({("K", c, z)} if rt.variant.pcp_locked else set())
        return frozenset(r), frozenset({("L", c, z), ("C", c, z), ("H", c), ("B", z)})

    def __init__(self, page):
        self.page = page

    def guard(self, rt, node, a):
        k = node.k
        z = rt.page_zone[self.page]
        if rt.variant.pcp_locked and k.locks[a.cpu][z] is not None:
            return False
        return True

    def apply(self, rt, node, a):
        k = node.k
        c, p = a.cpu, self.page
        z = rt.page_zone[p]
        held = tuple(x for x in k.held[c] if x != p)
        lst = (p,) + k.pcp[c][z]
        before = k.view_count(c, c, z)
        cnt = before + 1
        k = k.with_held(c, held)
        evs = [Ev("free", c, a.call, page=p, zone=z, count=(before, cnt))]
        if rt.tso and not rt.variant.pcp_locked:
            # the count store sits in cpu c's store buffer; the list is written.
            # (From v6.0 the free ends with spin_unlock(&pcp->lock), a release the
            # next locker synchronises with, so the store is visible to it.)
            k = k._replace(pcp=_set2(k.pcp, c, z, lst)).with_sbuf(c, k.sbuf[c] + (("count", c, z, cnt),))
        else:
            k = k.with_pcp(c, z, lst, cnt)
        high, batch = k.view_high_batch(c, z)
        if cnt >= high:
            if batch > cnt and "no-free-clamp" in rt.scenario.env:
                # before 88e8ac11d2ea: free_pcppages_bulk(zone, batch) frees the cnt
                # pages there are, then its loop looks for more forever, IRQs off
                k, ev = _bulk_free(rt, k, c, z, cnt, a.call, c, "spill")
                evs.append(ev)
                return [Out(k.with_irq(c, a.aid), ("spin", z, batch, cnt), tuple(evs))]
            k, ev = _bulk_free(rt, k, c, z, min(cnt, batch), a.call, c, "spill")
            evs.append(ev)
        return [Out(k, None, tuple(evs))]


class FreePcppagesBulkSpin(Op):
    """The rest of `free_pcppages_bulk(zone, batch, pcp)` before 88e8ac11d2ea when
    the lists hold fewer than `batch` pages: `while (count)` walks the empty lists
    forever with IRQs off.  Never enabled: the task is stuck, and so is every IPI
    sent to its CPU (environment option no-free-clamp, model/environment.py)."""
    __slots__ = ("zone", "batch", "had")

    def __init__(self, zone, batch, had):
        self.zone, self.batch, self.had = zone, batch, had

    def footprint(self, rt, a):
        return frozenset(), frozenset()

    def guard(self, rt, node, a):
        return False

    def apply(self, rt, node, a):          # pragma: no cover - never enabled
        raise AssertionError("free_pcppages_bulk() spinning is never enabled")


class RmqueueReadBatch(Op):
    """`buffered_rmqueue()` (v3.2; `rmqueue_pcplist()` from v4.13), first half:
    IRQs off (`pcp->lock` too from v6.0), then the load of `pcp->batch` that
    `rmqueue_bulk()` will use.  The refill is a separate step, so another CPU can
    act between the load and the refill (DESIGN.md §4 race (1))."""
    __slots__ = ("zone",)

    def footprint(self, rt, a):
        c, z = a.cpu, self.zone
        locked = {("K", c, z)} if rt.variant.pcp_locked else set()
        return frozenset({("HB", z)} | locked), frozenset({("I", c)} | locked)

    def __init__(self, zone):
        self.zone = zone

    def guard(self, rt, node, a):
        return not (rt.variant.pcp_locked and node.k.locks[a.cpu][self.zone] is not None)

    def apply(self, rt, node, a):
        k = node.k.with_irq(a.cpu, a.aid)
        if rt.variant.pcp_locked:
            k = k.with_lock(a.cpu, self.zone, a.aid)
        batch = k.view_high_batch(a.cpu, self.zone)[1]
        return [Out(k, batch, (Ev("read_batch", a.cpu, a.call, zone=self.zone, batch=batch),))]


class RmqueueRefillTake(Op):
    """`buffered_rmqueue()`, second half: if the list is empty, `rmqueue_bulk()`
    moves up to `batch` (the value loaded before) pages from buddy onto it; then one
    page is taken from the head; fails if buddy was empty too.  IRQs back on."""
    __slots__ = ("zone", "batch")

    def footprint(self, rt, a):
        c, z = a.cpu, self.zone
        locked = {("K", c, z)} if rt.variant.pcp_locked else set()
        return frozenset(), frozenset({("L", c, z), ("C", c, z), ("B", z), ("H", c), ("I", c)} | locked)

    def __init__(self, zone, batch):
        self.zone, self.batch = zone, batch

    def apply(self, rt, node, a):
        k, c, z = node.k, a.cpu, self.zone
        evs = []
        lst = k.pcp[c][z]
        cnt = k.view_count(c, c, z)
        if not lst:
            take = k.buddy[z][: self.batch]
            k = k.with_buddy(z, k.buddy[z][len(take):])
            lst = tuple(take)
            evs.append(Ev("refill", c, a.call, zone=z, pages=take, batch=self.batch, count=(cnt, cnt + len(take))))
            cnt += len(take)
        page = None
        if lst:
            page, lst = lst[0], lst[1:]
            cnt -= 1
            k = k.with_held(c, k.held[c] + (page,))
        k = k.with_pcp(c, z, lst, cnt).with_irq(c, None)
        if rt.variant.pcp_locked:
            k = k.with_lock(c, z, None)
        evs.append(Ev("alloc", c, a.call, zone=z, page=page))
        return [Out(k, page, tuple(evs))]


class ReadPcpCount(Op):
    """The drain's scan: a plain load of another CPU's `pcp->count` (v4 patch
    `if (pcp->pcp.count)`, v3.4+ `has_pcps`); racy, unlocked unless the actor holds
    that `pcp->lock` (v6.11's loop reads it under the lock)."""
    __slots__ = ("target", "zone")

    def footprint(self, rt, a):
        return frozenset({("C", self.target, self.zone), ("K", self.target, self.zone)}), frozenset()

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def apply(self, rt, node, a):
        k = node.k
        v = k.view_count(a.cpu if a.cpu is not None else self.target, self.target, self.zone)
        locked = k.locks[self.target][self.zone] == a.aid
        return [Out(k, v, (Ev("scan", a.cpu, a.call, target=self.target, zone=self.zone,
                              value=v, locked=locked),))]


class DrainPagesZone(Op):
    """`drain_pages()`'s body for one zone (`free_pcppages_bulk(zone, pcp->count)`
    then `count = 0`) on `target`'s list, executed by the actor: on `target` itself
    with IRQs off (v3.2-v5.x, from an IPI handler, work item or the local run), or
    remotely under `pcp->lock` (v6.0+ `drain_pages_zone(cpu, zone)`).
    `leave_count` is the `mut-count-not-reset` mutant."""
    __slots__ = ("target", "zone", "leave_count")

    def footprint(self, rt, a):
        t, z = self.target, self.zone
        return frozenset(), frozenset({("L", t, z), ("C", t, z), ("B", z)})

    def __init__(self, target, zone, leave_count=False):
        self.target, self.zone, self.leave_count = target, zone, leave_count

    def apply(self, rt, node, a):
        k = node.k
        k, ev = _bulk_free(rt, k, self.target, self.zone, len(k.pcp[self.target][self.zone]),
                           a.call, a.cpu, "drain", leave_count=self.leave_count)
        return [Out(k, len(ev.pages), (ev,))]


class RemoteDrainBegin(Op):
    """The caller enters `drain_pages_zone(cpu, zone)` for another CPU's list (v6.0+:
    the remote drain replaces the IPI).  Ghost: it marks the CPU as targeted."""
    local = True
    __slots__ = ("target", "zone")

    def footprint(self, rt, a):
        return EMPTY

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("remote_drain", a.cpu, a.call, target=self.target, zone=self.zone),))]


def zone_pcp_disable(rt, zone):
    """`zone_pcp_disable(zone)`: one step, or -- environment option
    two-step-high-batch -- `high = 0`, then `batch = 1`, two steps."""
    if "two-step-high-batch" in rt.scenario.env:
        yield ZonePcpDisable(zone, "high")
        yield ZonePcpDisable(zone, "batch")
    else:
        yield ZonePcpDisable(zone)


class ZonePcpDisable(Op):
    """`zone_pcp_disable(zone)` (v5.11, ec6e8c7e0314 series) as one step: `batch = 1`
    and `high = 0` for every possible CPU (`__zone_set_pageset_high_and_batch()`,
    written together: writing them apart in the wrong order is the 2020 hang).  For
    older eras "disable then drain" means the same write (DESIGN.md §2)."""
    __slots__ = ("zone", "part")

    def footprint(self, rt, a):
        return frozenset(), frozenset({("HB", self.zone)})

    def __init__(self, zone, part="both"):
        self.zone = zone
        self.part = part            # both | high | batch (two-step-high-batch)

    def apply(self, rt, node, a):
        k = node.k
        z = self.zone
        old = (k.high[z], k.batch[z])
        new = (0 if self.part != "batch" else old[0], 1 if self.part != "high" else old[1])
        if rt.tso:
            k = k.with_sbuf(a.cpu, k.sbuf[a.cpu] + (("highbatch", z) + new,))
        else:
            k = k._replace(high=k.high[:z] + (new[0],) + k.high[z + 1:], batch=k.batch[:z] + (new[1],) + k.batch[z + 1:])
        return [Out(k, None, (Ev("disable", a.cpu, a.call, zone=z, old=old, new=new),))]
