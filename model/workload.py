"""What the task on each CPU runs: frees, allocations and drain calls.

Each scenario item (`model.scenario`) becomes a short generator of kernel actions.
The drain itself comes from the variant under test; everything around it (the
free and alloc paths, the direct-reclaim path that calls the drain) is the same
for every variant, in the form of the variant's era.
"""
from __future__ import annotations

from . import kernel as K


def free_page(rt, cpu, page):
    """`free_hot_cold_page()` (v3.2) of a page this task holds."""
    r = yield K.FreeHotColdPage(page)
    if r is not None and r[0] == "spin":          # environment option no-free-clamp
        yield K.FreePcppagesBulkSpin(*r[1:])


def alloc_page(rt, cpu, zone):
    """`buffered_rmqueue()` (v3.2) for one order-0 page of `zone`: load `batch`
    with IRQs off, then refill if empty and take one, still IRQs off."""
    batch = yield K.RmqueueReadBatch(zone)
    yield K.RmqueueRefillTake(zone, batch)


def drain_call(rt, cpu, zone, depth=0):
    yield K.CallEnter("drain", zone, "reclaim" if depth else "plain")
    yield from rt.variant.drain_all_pages(rt, cpu, zone, depth=depth, force=False)
    yield K.CallReturn()


def reclaim_then_drain(rt, cpu, zone):
    """`__alloc_pages_direct_reclaim()` (v3.2): PF_MEMALLOC around
    `try_to_free_pages()`, cleared again; no progress -> return; else retry the
    allocation and, if it fails, `drain_all_pages()` once (PF_MEMALLOC already
    clear: only the drain's own gfp flags can stop a recursion into reclaim)."""
    progress = yield K.DirectReclaimEnter(1)
    if progress:
        ok = yield K.RetryAllocation()
        if not ok:
            yield from drain_call(rt, cpu, zone, depth=1)
    yield K.DirectReclaimExit(1)


def disable_then_drain(rt, cpu, zone):
    # the call requests what the era's drain drains: the zone from v3.19, else all
    yield K.CallEnter("disable", zone if rt.variant.zone_arg else None, "plain")
    yield from rt.variant.disable_then_drain(rt, cpu, zone)
    yield K.CallReturn()


def task_program(rt, cpu, spec):
    for item in spec[1]:
        kind = item[0]
        if kind == "free":
            yield from free_page(rt, cpu, item[1])
        elif kind == "alloc":
            yield from alloc_page(rt, cpu, item[1])
        elif kind == "drain":
            yield from drain_call(rt, cpu, item[1])
        elif kind == "reclaim_drain":
            yield from reclaim_then_drain(rt, cpu, item[1])
        elif kind == "disable":
            yield from disable_then_drain(rt, cpu, item[1])
        else:
            raise ValueError(f"unknown scenario item {item!r}")
