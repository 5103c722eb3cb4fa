"""Outside implementations of drain_all_pages(), written only from docs/implementing.md."""
from model import kernel as K
from model.variants.base import Variant, cpus_in, on_each_cpu_mask


class MaskedDrain(Variant):
    """The seed's algorithm without the allocation: a private mask on the stack."""
    era = "3.2"

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        online = yield K.ReadOnlineMask()
        mask = 0
        for c in cpus_in(online):
            for z in range(rt.nzones):
                if (yield K.ReadPcpCount(c, z)):
                    yield K.CpumaskPrivate("set", c)
                    mask |= 1 << c
        yield from on_each_cpu_mask(self, rt, cpu, mask, "drain_local_pages", None)


class Raises(Variant):
    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield K.ReadPcpCount(cpu, 0)
        raise RuntimeError("oops in the drain")


class CallsExit(Variant):
    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield K.ReadPcpCount(cpu, 0)
        raise SystemExit(3)


class NeverYields(Variant):
    def drain_all_pages(self, rt, cpu, zone, depth, force):
        while True:
            pass
        yield  # pragma: no cover


class YieldsGarbage(Variant):
    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield "drain everything please"


class LosesPages(Variant):
    """Corrupts the state: a kernel action of its own that drops pages on the floor."""

    def drain_all_pages(self, rt, cpu, zone, depth, force):
        yield Forget(cpu)


class Forget(K.Op):
    __slots__ = ("cpu",)

    def __init__(self, cpu):
        self.cpu = cpu

    def apply(self, rt, node, a):
        k = node.k
        for z in range(rt.nzones):
            k = k.with_pcp(self.cpu, z, (), 0)
        return [K.Out(k, None, ())]
