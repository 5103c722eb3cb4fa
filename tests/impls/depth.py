"""Drains whose bugs the default bound cannot see: they need CPU hotplug or a third CPU
(written only from docs/implementing.md)."""
from model import kernel as K
from model.variants.base import Variant, cpus_in, on_each_cpu_mask


class StaleOnlineCopy(Variant):
    """The masked drain, but the CPUs it scans come from a copy of cpu_online_mask taken
    at its first call and kept in a shared mask: a CPU that comes online later is never
    scanned, so pages freed on it are never drained."""
    era = "3.2"
    mask_names = ("online_copy",)

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield K.MutexLock()                   # the copy is made whole before anyone reads it
        copy = yield K.CpumaskRead(0)
        if not copy:
            copy = yield K.ReadOnlineMask()
            for c in cpus_in(copy):
                yield K.CpumaskShared("set", 0, c)
        yield K.MutexUnlock()
        mask = 0
        for c in cpus_in(copy):
            for z in range(rt.nzones):
                if (yield K.ReadPcpCount(c, z)):
                    yield K.CpumaskPrivate("set", c)
                    mask |= 1 << c
                    break
        yield from on_each_cpu_mask(self, rt, cpu, mask, "drain_local_pages", None)


class TwoTargets(Variant):
    """The masked drain with room for two targets: a third CPU with pages is skipped."""
    era = "3.2"

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        online = yield K.ReadOnlineMask()
        mask, n = 0, 0
        for c in cpus_in(online):
            for z in range(rt.nzones):
                if (yield K.ReadPcpCount(c, z)):
                    if n < 2:
                        yield K.CpumaskPrivate("set", c)
                        mask |= 1 << c
                        n += 1
                    break
        yield from on_each_cpu_mask(self, rt, cpu, mask, "drain_local_pages", None)
