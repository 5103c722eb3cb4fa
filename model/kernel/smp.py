"""Cross-CPU machinery: cpumasks, `cpu_online_mask`, IPIs (kernel/smp.c), IRQ
sections, work items (mm_percpu_wq), handler entry and exit."""
from __future__ import annotations

from ..events import Ev
from ..footprint import EMPTY  # noqa: F401
from .base import Op, Out


class CpumaskPrivate(Op):
    """`cpumask_set_cpu()`/`cpumask_clear_cpu()` on a mask private to this call (on
    the stack or freshly allocated): invisible to other CPUs, so `local`."""
    local = True
    __slots__ = ("op", "target")

    def footprint(self, rt, a):
        return EMPTY

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

    def footprint(self, rt, a):
        return frozenset({("M", self.slot)}), frozenset({("M", self.slot)})

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

    def footprint(self, rt, a):
        return frozenset({("M", self.slot)}), frozenset()

    def __init__(self, slot):
        self.slot = slot

    def apply(self, rt, node, a):
        bits = node.k.masks[self.slot]
        return [Out(node.k, bits, (Ev("mask_read", a.cpu, a.call, shared=rt.variant.mask_names[self.slot],
                                      bits=bits),))]


class ReadOnlineMask(Op):
    """A load of `cpu_online_mask` (`for_each_online_cpu()`, `on_each_cpu()`).
    Only hotplug writes it, so without a hotplug actor the load is `local`."""
    __slots__ = ()

    def footprint(self, rt, a):
        return frozenset({("O",)}), frozenset()

    def is_local(self, rt):
        return not rt.has_hotplug

    def apply(self, rt, node, a):
        return [Out(node.k, node.k.online, (Ev("online_read", a.cpu, a.call, bits=node.k.online),))]


class SmpCallFunctionMany(Op):
    """`smp_call_function_many(mask, func, info, wait)` (v3.2 kernel/smp.c): queue
    `func(info)` on every online CPU in `targets` other than the caller and IPI
    them.  Sending is a full fence.  The handlers then run on their CPUs as
    separate actors, whenever that CPU has IRQs on."""
    fence = True
    __slots__ = ("targets", "func", "info", "why")

    def footprint(self, rt, a):
        return frozenset({("O",)}), frozenset({("A",)})

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

    def footprint(self, rt, a):
        return frozenset({("A",)}), frozenset()

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

    def footprint(self, rt, a):
        return frozenset(), frozenset({("I", a.cpu)})

    def __init__(self, off):
        self.off = off

    def apply(self, rt, node, a):
        return [Out(node.k.with_irq(a.cpu, a.aid if self.off else None), None,
                    (Ev("irq", a.cpu, a.call, off=self.off),))]


class QueueWorkOn(Op):
    """`queue_work_on(cpu, mm_percpu_wq, work)` (v4.11+): the work item runs later
    on `target` in process context (a kworker), between that CPU's IRQs-off
    sections.  A full fence."""
    fence = True
    __slots__ = ("target", "func", "info", "why")

    def footprint(self, rt, a):
        return frozenset(), frozenset({("A",)})

    def __init__(self, target, func, info, why="mask"):
        self.target, self.func, self.info, self.why = target, func, info, why

    def apply(self, rt, node, a):
        spawn = ((("work", self.target, a.call), ("work", self.func, self.info), self.target, a.call),)
        ev = Ev("work", a.cpu, a.call, target=self.target, func=self.func, info=self.info, why=self.why)
        return [Out(node.k, None, (ev,), spawn)]


class HandlerEnter(Op):
    """An IPI handler starts on its CPU (`generic_smp_call_function_interrupt()`,
    IRQs off for its whole run) or a kworker picks up a work item
    (`process_one_work()`).  Ghost step merged into the handler's first access; an
    IPI handler may start only while its CPU has IRQs on."""
    local = True
    __slots__ = ("kind",)

    def footprint(self, rt, a):
        return (frozenset({("I", a.cpu)}), frozenset({("I", a.cpu)})) if self.kind == "ipi" else EMPTY

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

    def footprint(self, rt, a):
        return (frozenset(), frozenset({("I", a.cpu)})) if self.kind == "ipi" else EMPTY

    def __init__(self, kind):
        self.kind = kind

    def apply(self, rt, node, a):
        k = node.k.with_irq(a.cpu, None) if self.kind == "ipi" else node.k
        return [Out(k, None, (Ev("handler_done", a.cpu, a.call, via=self.kind),))]


class LocalRun(Op):
    """The caller runs the drain function on its own CPU (the local part of
    `on_each_cpu()`/`on_each_cpu_mask()`).  Ghost: it records that this CPU
    received the drain, whatever the function then finds on its lists."""
    local = True
    __slots__ = ("func",)

    def footprint(self, rt, a):
        return EMPTY

    def __init__(self, func):
        self.func = func

    def apply(self, rt, node, a):
        return [Out(node.k, None, (Ev("local_run", a.cpu, a.call, target=a.cpu, func=self.func),))]
