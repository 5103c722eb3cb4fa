"""The price list: what one IPI, one idle wake-up, one count load and one mask
allocation cost, with the source of every default.

Every price is in nanoseconds of CPU time; the cost of a drain is a *sum over
CPUs* (the caller's time plus the time each disturbed CPU loses), not the caller's
latency.  A default that comes from a published measurement names it (URL or
commit, and the arithmetic from the published figure); a default without a
measurement behind it is labelled an assumption.  docs/cost.md repeats the table.

Validation: every price must be a finite number >= 0 and every probability must
lie in [0, 1]; a bad value raises `ParamError` with a one-line message.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields


class ParamError(ValueError):
    """A parameter a user passed is invalid; the message is one line."""


@dataclass(frozen=True)
class Source:
    text: str          # what was measured and how the default follows from it
    ref: str           # URL, commit or Message-ID of what was read
    assumption: bool = False


SOURCES = {
    "ipi_ns": Source(
        "per-target increment of a broadcast smp_call_function_many(cpu_online_mask, f, NULL, 1): "
        "9,282,161,150 ns for 100,000 broadcasts to 79 other vCPUs (Skylake 2.5 GHz, 80-vCPU KVM guest, "
        "x2APIC cluster mode, vanilla) = 92.8 us per broadcast = 1175 ns per target CPU; measured with "
        "Yury Norov's IPI benchmark (NTIMES = 100000). The seed's own test machine was an x86 VM too. "
        "Bare metal is cheaper: Norov's ThunderX2 host (112 CPUs) broadcast is 2106 x a ~30 ns dry run "
        "= ~63 us, ~570 ns per target",
        "Wanpeng Li, 4180bf1b655a 'KVM: X86: Implement \"send IPI\" hypercall' "
        "(https://git.cdn.openwrt.org/?a=commit&h=4180bf1b655a791a0a6ef93a2ffffc762722c782&p=openwrt%2Fstaging%2Fblogic.git); "
        "benchmark: http://lists.infradead.org/pipermail/linux-arm-kernel/2017-December/549374.html"),
    "wakeup_ns": Source(
        "exit latency of C6 on Skylake-SP (skx_cstates: C1 2 us, C1E 10 us, C6 133 us); an idle CPU "
        "the drain IPIs leaves its C-state for nothing when its lists are empty",
        "torvalds/linux drivers/idle/intel_idle.c, skx_cstates[] .exit_latency"),
    "scan_ns": Source(
        "one load of another CPU's pcp->count, priced as a remote-node memory access: 194-202 ns "
        "measured with Intel Memory Latency Checker across QPI on a 4-socket Xeon E7-4800 "
        "(local node 135-136 ns), rounded to 200; an upper bound, as the scan's independent loads can "
        "overlap. The same price is used for a set_bit/clear_bit on a shared mask and for a remote "
        "spin_lock(&pcp->lock) (one cache line each)",
        "https://software.intel.com/en-us/blogs/2014/01/28/memory-latencies-on-intel-xeon-processor-e5-4600-and-e7-4800-product-families"),
    "alloc_ns": Source(
        "zalloc_cpumask_var() + free_cpumask_var() on the SLUB fast path: kmem_cache_alloc+free "
        "'normal fastpath (alloc+free cost): 43 cycles(tsc) 10.834 ns' on an i7-4790K @ 4.00GHz, "
        "rounded to 11 (the zeroing of the mask is not included)",
        "Jesper Dangaard Brouer, fbd02630c6e3 'slub: initial bulk free implementation' "
        "(https://android-kvm.googlesource.com/linux/+/fbd02630c6e3c60feecc4688f5f98b015d264516)"),
    "page_alloc_ns": Source(
        "a slab miss calls the page allocator: Linux 4 KiB frame allocation 94 ns alone and 984 ns "
        "'with all 26 cores allocating in parallel' (LLFree, USENIX ATC '23, as quoted); the contended "
        "figure is used because a miss matters under memory pressure, when every CPU allocates",
        "http://f.osdev.org/viewtopic.php?p=350343 (quoting Wrenger et al., 'LLFree: Scalable and "
        "Optionally-Persistent Page-Frame Allocation')"),
    "slab_miss": Source(
        "probability that a mask allocation outside memory pressure misses the slab and calls the "
        "page allocator: 0, a kmalloc/kfree pair of one size reuses the per-CPU freelist", "", True),
    "pressure_slab_miss": Source(
        "probability of a slab miss during the memory-pressure workload: 1, the worst case Mel "
        "Gorman raised ('it comes at a definite cost of calling into the page allocator again')",
        "", True),
    "reserve_fail": Source(
        "probability that a slab miss under pressure finds the reserves below the min watermark "
        "exhausted too (then the drain falls back to the broadcast): 0", "", True),
    "idle_empty": Source(
        "share of the CPUs with empty pcp lists that are idle in a C-state in the CPUs x occupancy "
        "sweep: 1, an empty list is what a CPU that has not allocated since the last drain (idle, "
        "isolated) shows; the break-even plot also draws 0 (every CPU busy, Mel's case)", "", True),
}

PRICE_FIELDS = ("ipi_ns", "wakeup_ns", "scan_ns", "alloc_ns", "page_alloc_ns")
PROB_FIELDS = ("slab_miss", "pressure_slab_miss", "reserve_fail", "idle_empty")


@dataclass(frozen=True)
class CostParams:
    """Prices (ns) and probabilities of the cost model.  See `SOURCES`."""
    ipi_ns: float = 1175.0         # per CPU the drain is delivered to by IPI or work item
    wakeup_ns: float = 133000.0    # per idle CPU pulled out of its C-state
    scan_ns: float = 200.0         # per pcp->count load (cpu x zone), shared bit op, remote lock
    alloc_ns: float = 11.0         # per zalloc_cpumask_var() + free_cpumask_var() (OFFSTACK=y)
    page_alloc_ns: float = 984.0   # per mask allocation that misses the slab
    slab_miss: float = 0.0
    pressure_slab_miss: float = 1.0
    reserve_fail: float = 0.0
    idle_empty: float = 1.0

    def validate(self) -> "CostParams":
        for f in PRICE_FIELDS:
            v = getattr(self, f)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ParamError(f"--{f.replace('_', '-')} must be a finite number, got {v!r}")
            if v < 0:
                raise ParamError(f"--{f.replace('_', '-')} must not be negative, got {v:g}")
        for f in PROB_FIELDS:
            v = getattr(self, f)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or not 0 <= v <= 1:
                raise ParamError(f"--{f.replace('_', '-')} must be a probability in [0, 1], got {v!r}")
        return self

    def as_dict(self) -> dict:
        return asdict(self)

    def described(self) -> list[dict]:
        """Each parameter with its value, default, source and whether it is an assumption."""
        d = CostParams()
        out = []
        for f in fields(self):
            s = SOURCES[f.name]
            out.append({"name": f.name, "flag": "--" + f.name.replace("_", "-"), "value": getattr(self, f.name),
                        "default": getattr(d, f.name), "assumption": s.assumption, "basis": s.text,
                        "source": s.ref})
        return out


DEFAULTS = CostParams()
