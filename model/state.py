"""The kernel state the drain acts on, as one immutable value.

Abstracts (v3.2 baseline, DESIGN.md §2):

* `struct per_cpu_pages { count, high, batch, lists[] }` per (cpu, zone): `pcp[c][z]`
  is the list of page ids (index 0 is the list head, where a hot free lands and
  where an allocation takes from), `count[c][z]` is `pcp->count`.  The
  migratetype lists are folded into one list: the drain empties all of them alike.
* `high`/`batch` per zone: `zone_pcp_disable()` writes them for every possible CPU
  in one step, and `setup_pageset()` gives all CPUs of a zone the same pair, so one
  pair per zone loses nothing the properties look at.
* the buddy allocator as a set of free page ids per zone (`zone->free_area` without
  orders: only order-0 pages move through pcp lists).
* pages allocated by the task on each CPU (`held[c]`), so a later free can return them.
* shared cpumasks (function-static or boot-allocated masks of some variants) as
  bitmasks; private masks live in the drain's own frame, not here.
* who has IRQs off on each CPU, who holds each `pcp->lock` (v6.0+), who holds
  `pcpu_drain_mutex` (v4.11+), `PF_MEMALLOC` of the task on each CPU.
* under the `tso` memory model, each CPU's FIFO store buffer of `count` and
  `high`/`batch` stores (DESIGN.md §4 race (2)); empty under `sc`.

Page ids are small ints; a page's zone never changes (`page_zone()`), so it is
part of the scenario, not of the state.
"""
from __future__ import annotations

from typing import NamedTuple, Optional


def _set(tup: tuple, i: int, v) -> tuple:
    return tup[:i] + (v,) + tup[i + 1:]


def _set2(tup: tuple, i: int, j: int, v) -> tuple:
    return _set(tup, i, _set(tup[i], j, v))


class KState(NamedTuple):
    online: int                                  # bitmask of online CPUs
    pcp: tuple[tuple[tuple[int, ...], ...], ...]  # [cpu][zone] -> page ids, head first
    count: tuple[tuple[int, ...], ...]           # [cpu][zone] -> pcp->count (memory)
    high: tuple[int, ...]                        # [zone]
    batch: tuple[int, ...]                       # [zone]
    buddy: tuple[tuple[int, ...], ...]           # [zone] -> sorted free page ids
    held: tuple[tuple[int, ...], ...]            # [cpu] -> pages allocated by its task
    masks: tuple[int, ...]                       # shared cpumasks, by slot
    irq: tuple[Optional[tuple], ...]             # [cpu] -> actor with IRQs off, or None
    locks: tuple[tuple[Optional[tuple], ...], ...]  # [cpu][zone] -> pcp->lock holder
    mutex: Optional[tuple]                       # pcpu_drain_mutex holder (actor)
    memalloc: int                                # bitmask: PF_MEMALLOC set on cpu's task
    sbuf: tuple[tuple[tuple, ...], ...]          # [cpu] -> pending stores (tso only)

    # -- construction ---------------------------------------------------------
    @classmethod
    def initial(cls, ncpus: int, nzones: int, high: int, batch: int, nmasks: int,
                placement: tuple, page_zone: tuple[int, ...]) -> "KState":
        """Build the state where page i sits at `placement[i]`:
        ("buddy",) | ("pcp", cpu) | ("held", cpu); its zone is page_zone[i]."""
        pcp = [[[] for _ in range(nzones)] for _ in range(ncpus)]
        buddy = [[] for _ in range(nzones)]
        held = [[] for _ in range(ncpus)]
        for page, where in enumerate(placement):
            z = page_zone[page]
            if where[0] == "buddy":
                buddy[z].append(page)
            elif where[0] == "pcp":
                pcp[where[1]][z].append(page)
            else:
                held[where[1]].append(page)
        return cls(
            online=(1 << ncpus) - 1,
            pcp=tuple(tuple(tuple(l) for l in row) for row in pcp),
            count=tuple(tuple(len(l) for l in row) for row in pcp),
            high=(high,) * nzones,
            batch=(batch,) * nzones,
            buddy=tuple(tuple(sorted(b)) for b in buddy),
            held=tuple(tuple(h) for h in held),
            masks=(0,) * nmasks,
            irq=(None,) * ncpus,
            locks=tuple((None,) * nzones for _ in range(ncpus)),
            mutex=None,
            memalloc=0,
            sbuf=((),) * ncpus,
        )

    # -- shape ------------------------------------------------------------------
    @property
    def ncpus(self) -> int:
        return len(self.pcp)

    @property
    def nzones(self) -> int:
        return len(self.buddy)

    def is_online(self, cpu: int) -> bool:
        return bool(self.online >> cpu & 1)

    def online_cpus(self) -> tuple[int, ...]:
        return tuple(c for c in range(self.ncpus) if self.online >> c & 1)

    # -- functional updates -----------------------------------------------------
    def with_pcp(self, cpu: int, zone: int, pages: tuple[int, ...], count: int) -> "KState":
        return self._replace(pcp=_set2(self.pcp, cpu, zone, pages),
                             count=_set2(self.count, cpu, zone, count))

    def with_count(self, cpu: int, zone: int, count: int) -> "KState":
        return self._replace(count=_set2(self.count, cpu, zone, count))

    def with_buddy(self, zone: int, pages) -> "KState":
        return self._replace(buddy=_set(self.buddy, zone, tuple(sorted(pages))))

    def with_held(self, cpu: int, pages: tuple[int, ...]) -> "KState":
        return self._replace(held=_set(self.held, cpu, pages))

    def with_mask(self, slot: int, bits: int) -> "KState":
        return self._replace(masks=_set(self.masks, slot, bits))

    def with_irq(self, cpu: int, holder) -> "KState":
        return self._replace(irq=_set(self.irq, cpu, holder))

    def with_lock(self, cpu: int, zone: int, holder) -> "KState":
        return self._replace(locks=_set2(self.locks, cpu, zone, holder))

    def with_sbuf(self, cpu: int, stores: tuple) -> "KState":
        return self._replace(sbuf=_set(self.sbuf, cpu, stores))

    # -- views ------------------------------------------------------------------
    def committed(self) -> "KState":
        """The state once every store buffer has drained (identity under sc)."""
        st = self
        for cpu in range(self.ncpus):
            for store in st.sbuf[cpu]:
                st = apply_store(st, store)
            st = st.with_sbuf(cpu, ())
        return st

    def view_count(self, reader: int, cpu: int, zone: int) -> int:
        """`pcp->count` of (cpu, zone) as CPU `reader` loads it: its own newest
        buffered store if it has one (store forwarding), else memory."""
        for store in reversed(self.sbuf[reader]):
            if store[0] == "count" and store[1] == cpu and store[2] == zone:
                return store[3]
        return self.count[cpu][zone]

    def view_high_batch(self, reader: int, zone: int) -> tuple[int, int]:
        for store in reversed(self.sbuf[reader]):
            if store[0] == "highbatch" and store[1] == zone:
                return store[2], store[3]
        return self.high[zone], self.batch[zone]

    def where(self, page: int) -> tuple:
        """Every place `page` is found (conservation wants exactly one)."""
        found = []
        for c, row in enumerate(self.pcp):
            for z, lst in enumerate(row):
                if page in lst:
                    found.append(("pcp", c, z))
        for z, b in enumerate(self.buddy):
            if page in b:
                found.append(("buddy", z))
        for c, h in enumerate(self.held):
            if page in h:
                found.append(("held", c))
        return tuple(found)


def apply_store(st: KState, store: tuple) -> KState:
    """Make one buffered store visible in memory (tso)."""
    if store[0] == "count":
        _, cpu, zone, value = store
        return st.with_count(cpu, zone, value)
    if store[0] == "highbatch":
        _, zone, high, batch = store
        return st._replace(high=_set(st.high, zone, high), batch=_set(st.batch, zone, batch))
    raise ValueError(f"unknown store {store!r}")
