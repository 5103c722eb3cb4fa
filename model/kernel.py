"""Atomic kernel actions: every shared-memory access the drain path makes.

An actor (a task on a CPU, an IPI handler, a work item, CPU hotplug) is a Python
generator that *yields* these actions; the scheduler applies each one to the state
atomically and sends its result back.  An action is named actor + verb after the
kernel function it abstracts, and says so in its docstring (DESIGN.md §2, STYLE.md).

Each action has a guard (may it run now?) and an effect returning one or more
outcomes `(state, result, events, spawned actors)`; more than one outcome means the
kernel could go several ways (an allocation that may fail) and the scheduler picks.
Actions marked `local` touch only the actor's own frame (a private cpumask on the
stack, a call marker): they commute with every other step, so the runtime runs them
in the same step as the action before them instead of offering a scheduling point.

Under the `tso` memory model (DESIGN.md §4 race (2)), stores of `pcp->count` by a
free and of `high`/`batch` by `zone_pcp_disable()` enter the storing CPU's FIFO store
buffer; loads forward from the loader's own buffer; actions marked `fence` (IPI send,
`queue_work_on`, mutex operations, atomic bit operations, spinlocks) wait until the
actor's CPU has drained its buffer.  The list itself is written directly: only
`count` is read by other CPUs.
"""
from __future__ import annotations

from typing import NamedTuple

from .allocator import cpumask_alloc_outcomes, gfp_flags
from .events import Ev
from .state import apply_store


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

    def __repr__(self):
        fields = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"{type(self).__name__}({fields})"


def _zn(rt, z) -> str:
    return rt.zone_names[z]


# --- per-cpu page lists: the owner's side ------------------------------------

class FreeHotColdPage(Op):
    """`free_hot_cold_page()` (v3.2; `free_unref_page()` from v4.15): IRQs off (and
    `pcp->lock` from v6.0), page onto the list head, `count++`; if `count >= high`,
    `free_pcppages_bulk(zone, batch)` returns min(count, batch) pages from the list
    tail to buddy (the clamp of 88e8ac11d2ea).  One atomic step under sc."""
    __slots__ = ("page",)

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
            k, ev = _bulk_free(rt, k, c, z, min(cnt, batch), a.call, c, "spill")
            evs.append(ev)
        return [Out(k, None, tuple(evs))]


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


class RmqueueReadBatch(Op):
    """`buffered_rmqueue()` (v3.2; `rmqueue_pcplist()` from v4.13), first half:
    IRQs off (`pcp->lock` too from v6.0), then the load of `pcp->batch` that
    `rmqueue_bulk()` will use.  The refill is a separate step, so another CPU can
    act between the load and the refill (DESIGN.md §4 race (1))."""
    __slots__ = ("zone",)

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


# --- the drain: reading other CPUs, masks, IPIs, work, locks -------------------

class ReadPcpCount(Op):
    """The drain's scan: a plain load of another CPU's `pcp->count` (v4 patch
    `if (pcp->pcp.count)`, v3.4+ `has_pcps`); racy, unlocked unless the actor holds
    that `pcp->lock` (v6.11's loop reads it under the lock)."""
    __slots__ = ("target", "zone")

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def apply(self, rt, node, a):
        k = node.k
        v = k.view_count(a.cpu if a.cpu is not None else self.target, self.target, self.zone)
        locked = k.locks[self.target][self.zone] == a.aid
        return [Out(k, v, (Ev("scan", a.cpu, a.call, target=self.target, zone=self.zone,
                              value=v, locked=locked),))]


class CpumaskPrivate(Op):
    """`cpumask_set_cpu()`/`cpumask_clear_cpu()` on a mask private to this call (on
    the stack or freshly allocated): invisible to other CPUs, so `local`."""
    local = True
    __slots__ = ("op", "target")

    def __init__(self, op, target):
        self.op, self.target = op, target

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("mask", a.cpu, a.call, op=self.op, target=self.target, shared=None),))]


class CpumaskShared(Op):
    """`cpumask_set_cpu()`/`cpumask_clear_cpu()` (atomic `set_bit`/`clear_bit`) on a
    mask shared by all callers: v3.4's function-static `cpus_with_pcps`, v5's
    boot-allocated mask.  A separate step from the count load that decided it."""
    fence = True
    __slots__ = ("op", "slot", "target")

    def __init__(self, op, slot, target):
        self.op, self.slot, self.target = op, slot, target

    def apply(self, rt, node, a):
        k = node.k
        bits = k.masks[self.slot]
        bits = bits | (1 << self.target) if self.op == "set" else bits & ~(1 << self.target)
        return [Out(k.with_mask(self.slot, bits), None,
                    (Ev("mask", a.cpu, a.call, op=self.op, target=self.target,
                        shared=rt.variant.mask_names[self.slot]),))]


class CpumaskRead(Op):
    """A load of a shared cpumask: `for_each_cpu()` in `smp_call_function_many()`
    or `cpumask_test_cpu()` for the local run (DESIGN.md §2: the mask is read once
    for the remote send and again for the local test)."""
    __slots__ = ("slot",)

    def __init__(self, slot):
        self.slot = slot

    def apply(self, rt, node, a):
        bits = node.k.masks[self.slot]
        return [Out(node.k, bits, (Ev("mask_read", a.cpu, a.call, shared=rt.variant.mask_names[self.slot],
                                      bits=bits),))]


class SmpCallFunctionMany(Op):
    """`smp_call_function_many(mask, func, info, wait)` (v3.2 kernel/smp.c): queue
    `func(info)` on every online CPU in `targets` other than the caller and IPI
    them.  Sending is a full fence.  The handlers then run on their CPUs as
    separate actors, whenever that CPU has IRQs on."""
    fence = True
    __slots__ = ("targets", "func", "info", "why")

    def __init__(self, targets, func, info, why="mask"):
        self.targets, self.func, self.info, self.why = tuple(targets), func, info, why

    def apply(self, rt, node, a):
        k = node.k
        sent = tuple(t for t in self.targets if k.is_online(t) and t != a.cpu)
        spawn = tuple((("ipi", t, a.call), ("ipi", self.func, self.info), t, a.call) for t in sent)
        ev = Ev("ipi", a.cpu, a.call, targets=sent, func=self.func, info=self.info, why=self.why)
        return [Out(k, sent, (ev,), spawn)]


class WaitForHandlers(Op):
    """`csd_lock_wait()` for every queued handler (`wait=1`), or `flush_work()` for
    every queued work item: blocks until they have run.  The waiting CPU has IRQs on
    and services IPIs sent to it meanwhile."""
    __slots__ = ("kind", "targets")

    def __init__(self, kind, targets):
        self.kind, self.targets = kind, tuple(targets)

    def guard(self, rt, node, a):
        want = {(self.kind, t, a.call) for t in self.targets}
        return not any(x.aid in want for x in node.actors)

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("waited", a.cpu, a.call, via=self.kind, targets=self.targets),))]


class LocalIrq(Op):
    """`local_irq_save()`/`local_irq_restore()` around the caller's own run of the
    handler in `on_each_cpu()`/`on_each_cpu_mask()`: while off, no IPI handler runs
    on this CPU."""
    __slots__ = ("off",)

    def __init__(self, off):
        self.off = off

    def apply(self, rt, node, a):
        return [Out(node.k.with_irq(a.cpu, a.aid if self.off else None), None,
                    (Ev("irq", a.cpu, a.call, off=self.off),))]


class DrainPagesZone(Op):
    """`drain_pages()`'s body for one zone (`free_pcppages_bulk(zone, pcp->count)`
    then `count = 0`) on `target`'s list, executed by the actor: on `target` itself
    with IRQs off (v3.2-v5.x, from an IPI handler, work item or the local run), or
    remotely under `pcp->lock` (v6.0+ `drain_pages_zone(cpu, zone)`).
    `leave_count` is the `mut-count-not-reset` mutant."""
    __slots__ = ("target", "zone", "leave_count")

    def __init__(self, target, zone, leave_count=False):
        self.target, self.zone, self.leave_count = target, zone, leave_count

    def apply(self, rt, node, a):
        k = node.k
        k, ev = _bulk_free(rt, k, self.target, self.zone, len(k.pcp[self.target][self.zone]),
                           a.call, a.cpu, "drain", leave_count=self.leave_count)
        return [Out(k, len(ev.pages), (ev,))]


class PcpSpinLock(Op):
    """`spin_lock(&pcp->lock)` (v6.0+, 4b23a68f9536): taken by the owner's alloc and
    free and by a remote drain.  Blocks while another actor holds it."""
    fence = True
    __slots__ = ("target", "zone")

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

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def apply(self, rt, node, a):
        return [Out(node.k.with_lock(self.target, self.zone, None), None,
                    (Ev("pcp_unlock", a.cpu, a.call, target=self.target, zone=self.zone),))]


class QueueWorkOn(Op):
    """`queue_work_on(cpu, mm_percpu_wq, work)` (v4.11+): the work item runs later
    on `target` in process context (a kworker), between that CPU's IRQs-off
    sections.  A full fence."""
    fence = True
    __slots__ = ("target", "func", "info", "why")

    def __init__(self, target, func, info, why="mask"):
        self.target, self.func, self.info, self.why = target, func, info, why

    def apply(self, rt, node, a):
        spawn = ((("work", self.target, a.call), ("work", self.func, self.info), self.target, a.call),)
        ev = Ev("work", a.cpu, a.call, target=self.target, func=self.func, info=self.info, why=self.why)
        return [Out(node.k, None, (ev,), spawn)]


class MutexTrylock(Op):
    """`mutex_trylock(&pcpu_drain_mutex)` (v4.11+): result True if taken."""
    fence = True
    __slots__ = ()

    def apply(self, rt, node, a):
        k = node.k
        if k.mutex is None:
            return [Out(k._replace(mutex=a.aid), True, (Ev("mutex", a.cpu, a.call, op="trylock", ok=True),))]
        return [Out(k, False, (Ev("mutex", a.cpu, a.call, op="trylock", ok=False),))]


class MutexLock(Op):
    """`mutex_lock(&pcpu_drain_mutex)`: sleeps until the mutex is free."""
    fence = True
    __slots__ = ()

    def guard(self, rt, node, a):
        return node.k.mutex is None

    def apply(self, rt, node, a):
        return [Out(node.k._replace(mutex=a.aid), None, (Ev("mutex", a.cpu, a.call, op="lock", ok=True),))]


class MutexUnlock(Op):
    """`mutex_unlock(&pcpu_drain_mutex)`."""
    fence = True
    __slots__ = ()

    def apply(self, rt, node, a):
        return [Out(node.k._replace(mutex=None), None, (Ev("mutex", a.cpu, a.call, op="unlock", ok=True),))]


class ZallocCpumaskVar(Op):
    """`zalloc_cpumask_var(&mask, gfp)` (lib/cpumask.c) with the allocator's
    decision of `model.allocator`: one outcome per way the allocation can end.  A
    slow path that may sleep enters direct reclaim (`reclaim_enter` at the caller's
    reclaim depth + 1); the model cuts the nested reclaim short (no progress, the
    allocation fails) -- nesting itself is what `no_reclaim_recursion` forbids."""
    __slots__ = ("gfp", "depth")

    def __init__(self, gfp="GFP_ATOMIC", depth=0):
        self.gfp, self.depth = gfp, depth

    def is_local(self, rt):
        return not rt.offstack

    def outcomes(self, rt, node, a):
        return len(self.apply(rt, node, a))

    def apply(self, rt, node, a):
        k = node.k
        flags = gfp_flags(self.gfp, rt.variant.era)
        memalloc = bool(k.memalloc >> a.cpu & 1)
        outs = []
        for outcome, path in cpumask_alloc_outcomes(flags, rt.variant.era, rt.offstack, memalloc):
            ev = Ev("mask_alloc", a.cpu, a.call, gfp=self.gfp, flags=tuple(sorted(flags)),
                    outcome=outcome, path=path)
            if outcome == "reclaim":
                d = self.depth + 1
                evs = (ev, Ev("reclaim_enter", a.cpu, a.call, depth=d, why=f"zalloc_cpumask_var({self.gfp})"),
                       Ev("reclaim_exit", a.cpu, a.call, depth=d, progress=False),
                       Ev("mask_alloc", a.cpu, a.call, gfp=self.gfp, flags=tuple(sorted(flags)),
                          outcome="fail", path="nested direct reclaim made no progress"))
                outs.append(Out(k, "fail", evs))
            else:
                outs.append(Out(k, "ok" if outcome in ("ok", "onstack") else "fail", (ev,)))
        return outs


class FreeCpumaskVar(Op):
    """`free_cpumask_var(mask)`: `kfree()` with OFFSTACK=y, nothing with =n."""
    local = True
    __slots__ = ()

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("mask_free", a.cpu, a.call, offstack=rt.offstack),))]


class ZonePcpDisable(Op):
    """`zone_pcp_disable(zone)` (v5.11, ec6e8c7e0314 series) as one step: `batch = 1`
    and `high = 0` for every possible CPU (`__zone_set_pageset_high_and_batch()`,
    written together: writing them apart in the wrong order is the 2020 hang).  For
    older eras "disable then drain" means the same write (DESIGN.md §2)."""
    __slots__ = ("zone",)

    def __init__(self, zone):
        self.zone = zone

    def apply(self, rt, node, a):
        k = node.k
        z = self.zone
        old = (k.high[z], k.batch[z])
        if rt.tso:
            k = k.with_sbuf(a.cpu, k.sbuf[a.cpu] + (("highbatch", z, 0, 1),))
        else:
            k = k._replace(high=k.high[:z] + (0,) + k.high[z + 1:], batch=k.batch[:z] + (1,) + k.batch[z + 1:])
        return [Out(k, None, (Ev("disable", a.cpu, a.call, zone=z, old=old, new=(0, 1)),))]


# --- direct reclaim, the caller's side ------------------------------------------

class DirectReclaimEnter(Op):
    """`__alloc_pages_direct_reclaim()` entry (v3.2): `current->flags |= PF_MEMALLOC`
    then `try_to_free_pages()`, then `PF_MEMALLOC` cleared.  Result: whether reclaim
    made progress (`did_some_progress`); both are possible."""
    __slots__ = ("depth",)

    def __init__(self, depth=1):
        self.depth = depth

    def outcomes(self, rt, node, a):
        return 2

    def apply(self, rt, node, a):
        k = node.k
        outs = []
        for progress in (True, False):
            evs = (Ev("reclaim_enter", a.cpu, a.call, depth=self.depth, why="allocation slow path"),
                   Ev("try_to_free_pages", a.cpu, a.call, progress=progress, memalloc="set, then cleared"))
            outs.append(Out(k, progress, evs))
        return outs


class RetryAllocation(Op):
    """`get_page_from_freelist()` retried after reclaim made progress: it may
    succeed (no drain) or fail (then `drain_all_pages()` once and retry)."""
    __slots__ = ()

    def outcomes(self, rt, node, a):
        return 2

    def apply(self, rt, node, a):
        return [Out(node.k, ok, (Ev("retry_alloc", a.cpu, a.call, ok=ok),)) for ok in (False, True)]


class DirectReclaimExit(Op):
    """Leaving `__alloc_pages_direct_reclaim()`."""
    local = True
    __slots__ = ("depth",)

    def __init__(self, depth=1):
        self.depth = depth

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("reclaim_exit", a.cpu, a.call, depth=self.depth, progress=None),))]


# --- CPU hotplug -----------------------------------------------------------------

class CpuOffline(Op):
    """`cpu_down()` as one step: the CPU leaves `cpu_online_mask` and the dead-CPU
    callback (`page_alloc_cpu_notify()` v3.2, `page_alloc_cpu_dead()` v4.10+) drains
    its lists.  Waits until nothing runs or is queued on that CPU (stop_machine)."""
    __slots__ = ("target",)

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

    def __init__(self, target):
        self.target = target

    def guard(self, rt, node, a):
        return not node.k.is_online(self.target)

    def apply(self, rt, node, a):
        k = node.k
        return [Out(k._replace(online=k.online | (1 << self.target)), None,
                    (Ev("online", self.target, None),))]


# --- call markers (ghost steps) ------------------------------------------------------

class CallEnter(Op):
    """A drain call begins (`drain_all_pages()` entered).  Ghost: no memory access."""
    local = True
    __slots__ = ("what", "zone", "ctx")

    def __init__(self, what, zone, ctx):
        self.what, self.zone, self.ctx = what, zone, ctx

    def apply(self, rt, node, a):
        raise AssertionError("CallEnter is handled by the runtime")


class CallReturn(Op):
    """The drain call returns.  Ghost."""
    local = True
    __slots__ = ()

    def apply(self, rt, node, a):
        raise AssertionError("CallReturn is handled by the runtime")


class HandlerEnter(Op):
    """An IPI handler starts on its CPU (`generic_smp_call_function_interrupt()`,
    IRQs off for its whole run) or a kworker picks up a work item
    (`process_one_work()`).  Ghost step merged into the handler's first access; an
    IPI handler may start only while its CPU has IRQs on."""
    local = True
    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind

    def guard(self, rt, node, a):
        return self.kind != "ipi" or node.k.irq[a.cpu] is None

    def apply(self, rt, node, a):
        k = node.k.with_irq(a.cpu, a.aid) if self.kind == "ipi" else node.k
        return [Out(k, None, (Ev("handler", a.cpu, a.call, via=self.kind),))]


class HandlerExit(Op):
    """The handler or work item returns (IRQs back on for an IPI handler)."""
    local = True
    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind

    def apply(self, rt, node, a):
        k = node.k.with_irq(a.cpu, None) if self.kind == "ipi" else node.k
        return [Out(k, None, (Ev("handler_done", a.cpu, a.call, via=self.kind),))]


class ReadOnlineMask(Op):
    """A load of `cpu_online_mask` (`for_each_online_cpu()`, `on_each_cpu()`).
    Only hotplug writes it, so without a hotplug actor the load is `local`."""
    __slots__ = ()

    def is_local(self, rt):
        return not rt.has_hotplug

    def apply(self, rt, node, a):
        return [Out(node.k, node.k.online, (Ev("online_read", a.cpu, a.call, bits=node.k.online),))]


class RemoteDrainBegin(Op):
    """The caller enters `drain_pages_zone(cpu, zone)` for another CPU's list (v6.0+:
    the remote drain replaces the IPI).  Ghost: it marks the CPU as targeted."""
    local = True
    __slots__ = ("target", "zone")

    def __init__(self, target, zone):
        self.target, self.zone = target, zone

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("remote_drain", a.cpu, a.call, target=self.target, zone=self.zone),))]
