"""A C rendition as a `model` Variant: generators that relay C requests to the model.

`CVariant` implements the Variant protocol of `model.variants.base`: its
`drain_all_pages`, `disable_then_drain` and `handler(func)` return generators
that yield `model.kernel` actions and receive their results, exactly like the
Python corpus, so `model.explore.sweep` and the property ladder judge C code
with the same machinery.

Each generator drives one C *context* (a drain call on a CPU, a disable+drain, an
IPI handler, a work item).  The C side is deterministic given its context and
the responses it receives, so all runs of one context form a trie: node = the
responses so far, label = the C request at that point.  The trie is shared by
every generator of that context across all scenarios and both schedulers'
re-creations (`model.runtime` rebuilds generators by replaying their result
logs): a generator walks the trie and needs a C process only where the trie has
no label yet.  Then it uses the process it already holds if that one waits at
the parent node, else it spawns a fresh child and replays the path's responses
into it (checking that the child repeats the recorded requests: a file that is
not deterministic is reported, not trusted).

Hand-traced (v3.4-static-mask, cpu0 caller, 2 CPUs, 2 zones): the child's first
request is ONLINE (for_each_online_cpu), the plan yields `ReadOnlineMask` and the
model answers 0b11; the child's read of cpu0's DMA32 `pcp->pcp.count` traps:
SCAN(0, 0) -> `PcpLoad(scan)` -> a `scan` event, answer count 0; ... a
`cpumask_clear_cpu(0, &cpus_with_pcps)` on the registered static mask becomes
`CpumaskShared("clear", slot 0, cpu0)`; `on_each_cpu_mask()` becomes
`CpumaskRead`, `SmpCallFunctionMany(.., "drain_local_pages", None)`, ... and the
model spawns an IPI handler actor whose generator is `handler("drain_local_pages")`:
a child on the target CPU, IRQs off, calling the C function.
"""
from __future__ import annotations

import functools
import os

from model import eras
from model import kernel as K
from model.variants.base import Variant, cpus_in

from . import gfp, proto
from .child import ChildGone, ChildTimeout, Zygote, touch
from .ops import CpumaskSharedStore, FreePcppagesBulk, PcpLoad, PcpStore, WithIrq, ZallocCpumaskVarFlags

DEFAULT_TIMEOUT = 3.0          # below model.runtime.WATCHDOG_S, so the C-side verdict (cached per path) comes first
REMOTE_DRAIN_FUNCS = frozenset({"drain_pages_zone", "drain_pages"})


class CrashedInC(Exception):
    """The C code crashed, hung or misused the shim; str() is the verdict text and
    `why` the kind of end (model.runtime.Crash): signal, exit, watchdog or shim."""

    def __init__(self, text, why="signal"):
        super().__init__(text)
        self.why = why


class Nondeterministic(CrashedInC):
    def __init__(self, text):
        super().__init__(text, "nondeterministic")


class _Node:
    __slots__ = ("req", "kids")

    def __init__(self):
        self.req, self.kids = None, {}


class _Lib:
    """One build with its zygote (started lazily, once per Python process)."""

    def __init__(self, build, timeout):
        self.build, self.timeout = build, timeout
        self.zygote, self.sessions = None, {}

    def spawner(self) -> Zygote:
        if self.zygote is None or self.zygote.pid != os.getpid():
            self.zygote = Zygote(self.build.exe, self.build.registry, self.timeout)
        return self.zygote


class _Walker:
    """One generator's position in a context's trie, and the C child it may hold."""

    def __init__(self, lib, root, spawn):
        self.lib, self.spawn = lib, spawn
        self.nodes, self.path = [root], []
        self.child, self.child_at = None, None

    def request(self) -> proto.Req:
        node = self.nodes[-1]
        if node.req is None:
            node.req = self._fetch()
        return node.req

    def advance(self, resp: int):
        node = self.nodes[-1]
        kid = node.kids.get(resp)
        if kid is None:
            kid = node.kids[resp] = _Node()
        self.nodes.append(kid)
        self.path.append(resp)

    def _fetch(self) -> proto.Req:
        k = len(self.path)
        holds_parent = k > 0 and self.child is not None and self.child.alive and self.child_at is self.nodes[-2]
        try:
            if holds_parent:             # our child waits at the parent node: one round trip
                touch(self.child)
                self.child.send(self.path[-1])
                req = self.child.recv()
            else:
                self.release()
                self.child = self.lib.spawner().spawn(**self.spawn)
                req = self.child.recv()
                for i in range(k):
                    self._check(self.nodes[i], req, i)
                    self.child.send(self.path[i])
                    req = self.child.recv()
            self.child_at = self.nodes[-1]
            if req.op in ("RET", "CRASH", "ERROR"):
                self.release()
            return req
        except ChildTimeout:
            return _synthetic("HANG", f"did not return within {self.lib.timeout:g} s")
        except ChildGone:
            return _synthetic("GONE", f"crashed at step {k}: exited without a word")

    def _check(self, node, req, i):
        if node.req is not None and node.req.key() != req.key():
            self.release()
            raise Nondeterministic(f"the C code is not deterministic: at step {i} it asked {req!r}, "
                                   f"an earlier run asked {node.req!r}")

    def release(self):
        if self.child is not None:
            self.child.kill()
            self.child = self.child_at = None


def _synthetic(op, text) -> proto.Req:
    r = proto.Req(proto.REQ.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) + text.encode())
    r.op = op
    return r


class _PlanState:
    __slots__ = ("last_remote",)

    def __init__(self):
        self.last_remote = None


def _bits(cpus) -> int:
    out = 0
    for c in cpus:
        out |= 1 << c
    return out


class CVariant(Variant):
    """A C file under the shim, checked like any variant of the corpus."""

    def __init__(self, meta, builds, name, era=None, timeout=DEFAULT_TIMEOUT, summary=None, source=None):
        self.meta = meta
        self.name = name
        self.era = eras.get(era) if era else meta.era        # the model's era (gfp rules)
        self.summary = summary or f"C rendition {os.path.basename(meta.path)} (api {meta.api})"
        self.source = source or meta.path
        self.zone_arg = meta.era.zone_arg
        self.allocates = meta.allocates
        self.delivers = meta.delivers
        self.owes_null_zone = not meta.trylock
        self.pcp_locked = meta.era.pcp_lock
        self.forces = meta.era.force_all_cpus and "__drain_all_pages" in meta.defines
        self._libs = {off: _Lib(b, timeout) for off, b in builds.items()}
        self.mask_names = tuple(n for n, _, _ in next(iter(builds.values())).registry)

    def __getstate__(self):
        raise TypeError("a CVariant holds live processes; load the file again in the other process")

    def close(self):
        """Stop this process's zygotes and children (they restart on the next use)."""
        for lib in self._libs.values():
            if lib.zygote is not None:
                lib.zygote.close()
                lib.zygote = None

    def build_for(self, offstack: bool):
        return self._libs[offstack].build

    # -- the Variant protocol ------------------------------------------------------
    def drain_all_pages(self, rt, cpu, zone, depth, force):
        return self._run(rt, cpu, "call", zone, bool(force), depth=depth, forced=bool(force) and self.forces)

    def disable_then_drain(self, rt, cpu, zone):
        return self._run(rt, cpu, "disable", zone, False, forced=self.forces)

    def handler(self, func):
        return functools.partial(self._handler, func)

    def _handler(self, func, rt, cpu, info):
        lib = self._libs[rt.offstack]
        fn = lib.build.by_name.get(func)
        if fn is None:
            raise CrashedInC(f"cshim: the handler {func!r} is not a function of this build", "shim")
        if isinstance(info, tuple) and info and info[0] == "work":
            _, _, addr, payload = info
            return self._run(rt, cpu, "work", None, False, fn=fn, arg=addr, payload=bytes.fromhex(payload),
                             key=(func, info))
        payload = b""
        if isinstance(info, tuple) and info and info[0] == "percpu":
            _, info, payload = info
            payload = bytes.fromhex(payload)
        if info is None:
            arg_kind, arg = proto.ARG_NULL, 0
        elif isinstance(info, int):
            arg_kind, arg = proto.ARG_ZONE, info
        else:
            arg_kind, arg = proto.ARG_PTR, info[2]
        return self._run(rt, cpu, "ipi", None, False, fn=fn, arg_kind=arg_kind, arg=arg, payload=payload,
                         key=(func, info, payload))

    # -- one context ---------------------------------------------------------------
    def _run(self, rt, cpu, kind, zone, force, fn=0, arg_kind=0, arg=0, payload=b"", depth=0, forced=False,
             key=None):
        lib = self._libs[rt.offstack]
        ncpus, nzones = rt.scenario.ncpus, rt.nzones
        skey = (ncpus, nzones, cpu, kind, zone, force, key)
        root = lib.sessions.get(skey)
        if root is None:
            root = lib.sessions[skey] = _Node()
        spawn = dict(kind=kind, cpu=cpu, ncpus=ncpus, nzones=nzones, zone=zone, force=force, fn=fn,
                     arg_kind=arg_kind, arg=arg, payload=payload)
        w = _Walker(lib, root, spawn)
        st = _PlanState()
        try:
            while True:
                req = w.request()
                if req.op == "RET":
                    return
                resp = yield from self._plan(lib.build, rt, kind, req, st, depth, forced, len(w.path))
                w.advance(resp)
        finally:
            w.release()

    def _plan(self, build, rt, kind, req, st, depth, forced, step):
        op = req.op
        if op == "GONE":
            raise CrashedInC(req.text(), "exit")
        if op == "CRASH":
            raise CrashedInC(f"crashed at step {step}: {req.text()}")
        if op == "HANG":
            raise CrashedInC(req.text(), "timeout")
        if op == "ERROR":
            raise CrashedInC(f"cshim: {req.text()} (at step {step})", "shim")
        if op in ("SCAN", "LOAD"):
            yield from self._remote_marker(build, kind, req, st)
            return (yield PcpLoad(req.a, req.b, op == "SCAN", bool(req.c & proto.F_EXCLUSIVE),
                                  bool(req.c & proto.F_LOCKED)))
        if op == "STORE":
            yield PcpStore(req.a, req.b, count=req.d if req.c & 1 else None, high=req.e if req.c & 2 else None,
                           batch=req.f if req.c & 4 else None)
            return 0
        if op == "ONLINE":
            return (yield K.ReadOnlineMask())
        if op == "MASK_OP":
            what = "set" if req.c else "clear"
            yield K.CpumaskShared(what, req.a, req.b) if req.a >= 0 else K.CpumaskPrivate(what, req.b)
            return 0
        if op == "MASK_READ":
            return (yield K.CpumaskRead(req.a))
        if op == "MASK_WRITE":
            yield CpumaskSharedStore(req.a, req.d)
            return 0
        if op == "IPI":
            info = None if req.a == proto.ARG_NULL else req.f if req.a == proto.ARG_ZONE else \
                ("ptr", build.symbolize(req.f), req.f)
            if req.extra:
                info = ("percpu", info, req.extra.hex())
            why = "forced" if forced else ("broadcast" if req.b == 1 else "mask")
            sent = yield K.SmpCallFunctionMany(cpus_in(req.d), build.symbolize(req.e), info, why=why)
            return _bits(sent)
        if op == "WAIT":
            yield K.WaitForHandlers("ipi" if req.a == 0 else "work", cpus_in(req.d))
            return 0
        if op == "IRQ":
            yield K.LocalIrq(bool(req.a))
            return 0
        if op == "DRAIN_ZONE":
            yield from self._remote_marker(build, kind, req, st)
            return (yield K.DrainPagesZone(req.a, req.b))
        if op == "BULK":
            yield from self._remote_marker(build, kind, req, st)
            leave = not self.meta.era.bulk_updates_count
            return (yield FreePcppagesBulk(req.a, req.b, req.d, leave))
        if op == "LOCK":
            yield from self._remote_marker(build, kind, req, st)
            inner = K.PcpSpinLock(req.a, req.b)
            yield WithIrq(inner, True) if req.c else inner
            return 0
        if op == "UNLOCK":
            inner = K.PcpSpinUnlock(req.a, req.b)
            yield WithIrq(inner, False) if req.c else inner
            return 0
        if op == "WORK":
            info = ("work", build.symbolize(req.f), req.f, req.extra.hex())
            yield K.QueueWorkOn(req.a, build.symbolize(req.e), info, why="forced" if forced else "mask")
            return 0
        if op == "MUTEX_TRY":
            return int(bool((yield K.MutexTrylock())))
        if op == "MUTEX_LOCK":
            yield K.MutexLock()
            return 0
        if op == "MUTEX_UNLOCK":
            yield K.MutexUnlock()
            return 0
        if op == "ZALLOC":
            label, flags = gfp.gfp_decode(self.meta.era, req.d)
            got = yield ZallocCpumaskVarFlags(label, flags, depth)
            return 1 if got == "ok" else 0
        if op == "FREEMASK":
            yield K.FreeCpumaskVar()
            return 0
        if op == "DISABLE":
            yield from K.zone_pcp_disable(rt, req.b)
            return 0
        raise CrashedInC(f"cshim: unknown request {op} (at step {step})", "shim")

    def _remote_marker(self, build, kind, req, st):
        """v6.0+: the caller entering drain_pages_zone()/drain_pages() for a CPU's list is
        the remote drain that replaced the IPI (the model's ghost `RemoteDrainBegin`)."""
        if kind not in ("call", "disable") or not self.meta.era.pcp_lock or st.last_remote == (req.a, req.b):
            return
        if any(build.function_at(pc) in REMOTE_DRAIN_FUNCS for pc in req.stack if pc):
            st.last_remote = (req.a, req.b)
            yield K.RemoteDrainBegin(req.a, req.b)
