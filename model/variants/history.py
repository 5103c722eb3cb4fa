"""The kernel's historical shapes of `drain_all_pages()` (DESIGN.md §4).

Each class is our own rendering of one era's algorithm as a generator of kernel
actions; the docstring names the commit or posting it follows.  Shared masks are
state (`KState.masks`), private masks live in the generator's frame.
"""
from __future__ import annotations

from .. import kernel as K
from .base import Variant, cpus_in, on_each_cpu, on_each_cpu_mask, zones_of


class V32Broadcast(Variant):
    """v3.2 mm/page_alloc.c: `on_each_cpu(drain_local_pages, NULL, 1)`."""
    name = "v3.2-broadcast"
    era = "3.2"
    summary = "on_each_cpu(drain_local_pages): IPI every online CPU"
    source = "v3.2 mm/page_alloc.c"

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield from on_each_cpu(self, rt, cpu, "drain_local_pages", None)


class V4ZallocFallback(Variant):
    """The seed: "[PATCH v4 5/5] mm: Only IPI CPUs to drain local pages if they
    exist" (Gilad Ben-Yossef, 2011-11-22).  `zalloc_cpumask_var(&cpus, GFP_ATOMIC)`;
    set the bit of every online CPU with `count != 0` in some populated zone;
    `on_each_cpu_mask()`; `free_cpumask_var()`.  Allocation failure: `on_each_cpu()`.

    The knobs below are the one-ingredient mutants of `model.variants.mutants`."""
    name = "v4-zalloc-fallback"
    era = "3.2"
    summary = "private zeroed mask from GFP_ATOMIC, broadcast if the allocation fails"
    source = "lkml 2011-11-22 [PATCH v4 5/5]"
    allocates = True
    gfp = "GFP_ATOMIC"
    fallback = "on_each_cpu"          # or "none", or "smp_call_function"
    frees_mask = True
    first_zone_only = False
    skip_last_cpu = False

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        got = yield K.ZallocCpumaskVar(self.gfp, depth)
        if got == "ok":
            online = yield K.ReadOnlineMask()
            cpus = cpus_in(online)
            if self.skip_last_cpu:
                cpus = cpus[:-1]
            mask = 0
            zones = zones_of(rt, None)[:1] if self.first_zone_only else zones_of(rt, None)
            for c in cpus:
                for z in zones:
                    n = yield K.ReadPcpCount(c, z)
                    if n:
                        yield K.CpumaskPrivate("set", c)
                        mask |= 1 << c
            yield from on_each_cpu_mask(self, rt, cpu, mask, "drain_local_pages", None)
            if self.frees_mask:
                yield K.FreeCpumaskVar()
        elif self.fallback == "on_each_cpu":
            yield from on_each_cpu(self, rt, cpu, "drain_local_pages", None)
        elif self.fallback == "smp_call_function":
            yield from on_each_cpu(self, rt, cpu, "drain_local_pages", None, local=False)


class V5LastZoneWins(Variant):
    """"[PATCH v5/v6] mm: only IPI CPUs to drain local pages if they exist" (Jan
    2012, never merged): a mask allocated once at boot, shared by every caller;
    the bit of each CPU is set or cleared *inside* the zone loop, so only the last
    populated zone decides (Milton Miller's review, 2012-01-11)."""
    name = "v5-last-zone-wins"
    era = "3.2"
    summary = "boot-allocated global mask, bit set/cleared per zone: the last zone wins"
    source = "lkml 2012-01 [PATCH v5] + Milton Miller 2012-01-11"
    mask_names = ("cpus_with_pcps",)

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        online = yield K.ReadOnlineMask()
        for c in cpus_in(online):
            for z in zones_of(rt, None):
                n = yield K.ReadPcpCount(c, z)
                yield K.CpumaskShared("set" if n else "clear", 0, c)
        yield from on_each_cpu_mask(self, rt, cpu, 0, "drain_local_pages", None, slot=0)


class V34StaticMask(Variant):
    """v3.4, 74046494ea68 "mm: only IPI CPUs to drain local pages if they exist":
    a function-static `cpumask_t cpus_with_pcps` shared by all callers, no lock;
    per CPU, `has_pcps` over the populated zones, then set or clear its bit."""
    name = "v3.4-static-mask"
    era = "3.4"
    summary = "function-static mask shared by all callers, no lock"
    source = "74046494ea68 (v3.4)"
    mask_names = ("cpus_with_pcps",)

    def scan(self, rt, zone):
        online = yield K.ReadOnlineMask()
        for c in cpus_in(online):
            has = False
            for z in zones_of(rt, zone):
                n = yield K.ReadPcpCount(c, z)
                if n:
                    has = True
                    break
            yield K.CpumaskShared("set" if has else "clear", 0, c)

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield from self.scan(rt, None)
        yield from on_each_cpu_mask(self, rt, cpu, 0, "drain_local_pages", None, slot=0)


class V319Zone(V34StaticMask):
    """v3.19, 93481ff0e5a0 "mm: introduce single zone pcplists drain":
    `drain_all_pages(zone)` checks and drains only that zone; same static mask."""
    name = "v3.19-zone"
    era = "3.19"
    summary = "as v3.4 with a zone argument"
    source = "93481ff0e5a0 (v3.19)"
    zone_arg = True

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield from self.scan(rt, zone)
        yield from on_each_cpu_mask(self, rt, cpu, 0, "drain_local_pages", zone, slot=0)


class V411WqMutex(Variant):
    """v4.11, 0ccce3b92421 "mm, page_alloc: drain per-cpu pages from workqueue
    context": `pcpu_drain_mutex` (a NULL-zone caller that loses the trylock
    returns), a static `cpus_with_pcps` under the mutex, a per-CPU work item on
    `mm_percpu_wq` for each CPU in it, then `flush_work()` each.  The work item ran
    `drain_local_pages(NULL)`: it ignored the zone (fixed by a `struct pcpu_drain`
    carrying it, ~v5.0)."""
    name = "v4.11-wq-mutex"
    era = "4.11"
    summary = "per-CPU work items under pcpu_drain_mutex; the work ignores the zone"
    source = "0ccce3b92421 (v4.11)"
    mask_names = ("cpus_with_pcps",)
    zone_arg = True
    owes_null_zone = False
    work_takes_zone = False
    unlock_on_empty = True

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        got = yield K.MutexTrylock()
        if not got:
            if zone is None:
                return
            yield K.MutexLock()
        online = yield K.ReadOnlineMask()
        for c in cpus_in(online):
            has = force
            if not has:
                for z in zones_of(rt, zone):
                    n = yield K.ReadPcpCount(c, z)
                    if n:
                        has = True
                        break
            yield K.CpumaskShared("set" if has else "clear", 0, c)
        mask = yield K.CpumaskRead(0)
        if not mask and not self.unlock_on_empty:
            return                                  # mut-mutex-not-released
        yield from self.deliver(rt, cpu, zone, mask, force)
        yield K.MutexUnlock()

    def deliver(self, rt, cpu, zone, mask, force):
        targets = cpus_in(mask)
        info = zone if self.work_takes_zone else None
        for c in targets:
            yield K.QueueWorkOn(c, "drain_local_pages_wq", info, why="forced" if force else "mask")
        yield K.WaitForHandlers("work", targets)


class V51PcpuDrain(V411WqMutex):
    """v5.1, "mm, page_alloc: enable pcpu_drain with zone capability" (Wei Yang,
    2018-12): a per-CPU `struct pcpu_drain { zone; work; }` carries the zone to
    the work item, so a zone call drains only that zone.  No `force_all_cpus`
    yet: "disable then drain" is the masked drain of v4.11.  (From v4.17
    `free_pcppages_bulk()` updates `pcp->count` itself; in the model the drain of
    a list always leaves count 0, so that change shows only in C renditions.)"""
    name = "v5.1-pcpu-drain"
    era = "5.1"
    summary = "work items under pcpu_drain_mutex; struct pcpu_drain carries the zone"
    source = "v5.1 struct pcpu_drain (Wei Yang)"
    work_takes_zone = True


class V511ForceAll(V411WqMutex):
    """v5.11, `__drain_all_pages(zone, force_all_cpus)` from the "disable pcplists
    during memory offline" series (Vlastimil Babka; `zone_pcp_disable()` forces
    every CPU); the work item drains the requested zone (`struct pcpu_drain`)."""
    name = "v5.11-force-all"
    era = "5.11"
    summary = "zone_pcp_disable() forces every CPU; the work item honours the zone"
    source = "v5.11 __drain_all_pages(zone, force_all_cpus)"
    work_takes_zone = True

    def disable_then_drain(self, rt, cpu, zone):
        yield from K.zone_pcp_disable(rt, zone)
        yield from self.drain_all_pages(rt, cpu, zone, depth=0, force=True)


class V514LocalLock(V511ForceAll):
    """v5.14, 28f836b6777b ("mm/page_alloc: split per cpu page lists and zone
    stats") and "convert per-cpu list protection to local_lock" (Mel Gorman):
    `zone->per_cpu_pageset` points at `struct per_cpu_pages`, the owner's list
    accesses run under `local_lock_irqsave(&pagesets.lock)`; still work items,
    still forced by `zone_pcp_disable()`.  On a kernel without PREEMPT_RT the
    local lock turns IRQs off on the owning CPU, which is what the model's IRQs-off
    sections already are: the algorithm is v5.11's, the API is new."""
    name = "v5.14-local-lock"
    era = "5.14"
    summary = "v5.11 on zone->per_cpu_pageset with pagesets.lock (local_lock)"
    source = "28f836b6777b, local_lock (v5.14)"


class V60RemoteLock(V511ForceAll):
    """v6.0, 4b23a68f9536 "mm/page_alloc: protect PCP lists with a spinlock" and
    443c2accd1b6 "mm/page_alloc: remotely drain per-cpu lists": no IPI or work; the
    caller drains each CPU's list itself under `pcp->lock`, but
    `drain_pages_zone()` tests `pcp->count` *before* taking the lock."""
    name = "v6.0-remote-lock"
    era = "6.0"
    summary = "caller drains remote lists under pcp->lock; count tested before the lock"
    source = "4b23a68f9536, 443c2accd1b6 (v6.0)"
    pcp_locked = True
    delivers = False

    def deliver(self, rt, cpu, zone, mask, force):
        for c in cpus_in(mask):
            for z in zones_of(rt, zone):
                yield K.RemoteDrainBegin(c, z)
                yield from self.drain_pages_zone(rt, c, z)

    def drain_pages_zone(self, rt, c, z):
        n = yield K.ReadPcpCount(c, z)
        if n:
            yield K.PcpSpinLock(c, z)
            yield K.DrainPagesZone(c, z)
            yield K.PcpSpinUnlock(c, z)


class V611LockedCount(V60RemoteLock):
    """v6.11, 66eca1021a42 "mm/page_alloc: fix pcp->count race between
    drain_pages_zone() vs __rmqueue_pcplist()": loop { lock; read count; free up to
    it; unlock } while pages remain.  (The per-iteration cap `batch <<
    CONFIG_PCP_BATCH_SCALE_MAX` exceeds every count in these scenarios.)"""
    name = "v6.11-locked-count"
    era = "6.11"
    summary = "reads pcp->count under pcp->lock, in a loop"
    source = "66eca1021a42 (v6.11)"

    def drain_pages_zone(self, rt, c, z):
        while True:
            yield K.PcpSpinLock(c, z)
            n = yield K.ReadPcpCount(c, z)
            if n:
                yield K.DrainPagesZone(c, z)   # frees all n: count -= to_drain -> 0
            yield K.PcpSpinUnlock(c, z)
            break                              # `while (count)` with count now 0
