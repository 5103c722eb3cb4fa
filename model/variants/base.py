"""The drain variant protocol and the kernel helpers variants are written with.

A variant is an object with:

* `name`, `era` (kernel version whose rules apply: gfp flag names, pcp locking),
  `summary` (one line), `source` (commit or list message it follows);
* `mask_names`: shared cpumasks it uses (function-static or boot-allocated);
* ingredient flags the property ladder reads: `zone_arg` (the API takes a zone),
  `allocates` (allocates a cpumask on the drain path), `delivers` (sends IPIs or
  work items, as opposed to draining remote lists itself), `owes_null_zone`
  (False from v4.11: a NULL-zone caller that loses the trylock returns by design);
* generator methods `drain_all_pages(rt, cpu, zone, depth, force)`,
  `disable_then_drain(rt, cpu, zone)` and `handler(func)` returning the generator
  function an IPI or work item runs on its target CPU.

Generators yield actions from `model.kernel` and receive their results.  The same
protocol is what an outside implementation follows (docs/implementing.md).
"""
from __future__ import annotations

from .. import kernel as K


def cpus_in(bits: int) -> tuple[int, ...]:
    out, c = [], 0
    while bits >> c:
        if bits >> c & 1:
            out.append(c)
        c += 1
    return tuple(out)


def zones_of(rt, zone) -> tuple[int, ...]:
    """`for_each_populated_zone()` when zone is NULL, else just that zone."""
    return tuple(range(rt.nzones)) if zone is None else (zone,)


class Variant:
    name = "?"
    era = "3.2"
    summary = ""
    source = ""
    mask_names: tuple[str, ...] = ()
    zone_arg = False
    allocates = False
    delivers = True
    owes_null_zone = True
    pcp_locked = False
    leave_count = False

    # -- the handler every IPI / work item runs ----------------------------------
    def handler(self, func):
        return {"drain_local_pages": self.drain_local_pages,
                "drain_local_pages_wq": self.drain_local_pages_wq}[func]

    def drain_local_pages(self, rt, cpu, zone):
        """`drain_local_pages(zone)`: `drain_pages(cpu)` (every zone, v3.2) or
        `drain_pages_zone(cpu, zone)` (v3.19+ with a zone), each zone with IRQs off."""
        for z in zones_of(rt, zone):
            yield K.DrainPagesZone(cpu, z, leave_count=self.leave_count)

    def drain_local_pages_wq(self, rt, cpu, zone):
        yield from self.drain_local_pages(rt, cpu, zone)

    def disable_then_drain(self, rt, cpu, zone):
        """Before v5.11 there is no zone_pcp_disable(): the same write, then the
        era's own drain (`drain_all_pages()`, or `(zone)` from v3.19)."""
        yield from K.zone_pcp_disable(rt, zone)
        yield from self.drain_all_pages(rt, cpu, zone if self.zone_arg else None, depth=0, force=False)

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        raise NotImplementedError

    def row(self) -> dict:
        return {"name": self.name, "era": str(self.era), "summary": self.summary, "source": self.source}


# --- kernel/smp.c helpers ------------------------------------------------------------

def local_run(variant, rt, cpu, func, info):
    """The caller runs `func(info)` itself with IRQs off (`on_each_cpu*()`)."""
    yield K.LocalIrq(True)
    yield K.LocalRun(func)
    yield from variant.handler(func)(rt, cpu, info)
    yield K.LocalIrq(False)


def on_each_cpu(variant, rt, cpu, func, info, local=True):
    """`on_each_cpu(func, info, 1)` (v3.2): IPI every other online CPU and wait,
    then run `func` locally with IRQs off.  `local=False` is `smp_call_function()`
    (remote CPUs only)."""
    online = yield K.ReadOnlineMask()
    sent = yield K.SmpCallFunctionMany(cpus_in(online), func, info, why="broadcast")
    if sent:
        yield K.WaitForHandlers("ipi", sent)
    if local:
        yield from local_run(variant, rt, cpu, func, info)


def on_each_cpu_mask(variant, rt, cpu, mask, func, info, slot=None):
    """`on_each_cpu_mask(mask, func, info, 1)` (v3.4 kernel/smp.c): IPI the online
    CPUs of the mask other than the caller, wait, then run `func` locally iff the
    caller's bit is set when tested.  A shared mask (`slot`) is loaded for the send
    and loaded again for the local test."""
    if slot is not None:
        mask = yield K.CpumaskRead(slot)
    sent = yield K.SmpCallFunctionMany(cpus_in(mask), func, info, why="mask")
    if sent:                    # smp_call_function_many() returns at once when none
        yield K.WaitForHandlers("ipi", sent)
    if slot is not None:
        mask = yield K.CpumaskRead(slot)
    if mask >> cpu & 1:
        yield from local_run(variant, rt, cpu, func, info)
