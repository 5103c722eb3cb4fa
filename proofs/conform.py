"""Encoding <-> model conformance: run an encoding on concrete values and the Python
model on the same values, and list every difference.

No kernel code is abstracted here; this is the bridge `tests/test_proofs_conformance.py`
drives with Hypothesis.  Three bridges:

* `allocator_differences`: `proofs.allocator` vs `model.allocator` on one
  (gfp mask, era, OFFSTACK, PF_MEMALLOC);
* `scan_differences`: the unrolled scan of `proofs.scan` vs a quiescent drain call
  run in the model (which CPUs ran `drain_local_pages()`, the counts after);
* `StepChecker`: the BMC transition of `proofs.step` vs `Runtime.step`, in lockstep
  along a schedule the model takes: the enabled actors before each step, then the
  state after it (counts, buddy, `high`/`batch`, shared masks, IRQ / lock / mutex
  holders, the pages each call still owes), the `entry_snapshot_drained` verdict
  and witness of each step, and `disabled_pcp_left_empty`'s verdict and witness at
  the end.
"""
from __future__ import annotations

import z3

from model import variants
from model.allocator import cpumask_alloc_outcomes, gfp_flags, may_direct_reclaim, may_use_reserves
from model.config import ZONE_NAMES
from model.history import replay
from model.properties import BY_NAME
from model.runtime import Runtime
from model.scenario import Scenario

from . import allocator as A
from . import scan as S
from .bmc import NONE, Sched, State, System, done, initial, num
from .races import DISABLED, ENTRY, final_bad, scenario_of
from .step import as_map, transition


def _true(e) -> bool:
    return z3.is_true(z3.simplify(e))


def allocator_differences(gfp: str, era: str, offstack: bool, memalloc: bool) -> list:
    out = []
    e = z3.IntVal(A.era_index(era))
    g = A.gfp_expr(gfp, e)
    enc_flags = {f for f in A.FLAGS if _true(g[f])}
    if enc_flags != set(gfp_flags(gfp, era)):
        out.append(f"{gfp} in {era}: encoding {sorted(enc_flags)}, model {sorted(gfp_flags(gfp, era))}")
    flags = gfp_flags(gfp, era)
    m = z3.BoolVal(memalloc)
    if _true(A.may_direct_reclaim(g, e, m)) != may_direct_reclaim(flags, era, memalloc):
        out.append(f"may_direct_reclaim({gfp}, {era}, PF_MEMALLOC={memalloc}) differs")
    if _true(A.may_use_reserves(g, m)) != may_use_reserves(flags, memalloc):
        out.append(f"may_use_reserves({gfp}, PF_MEMALLOC={memalloc}) differs")
    enc = {p for p in range(len(A.PATHS)) if _true(A.allowed_path(z3.IntVal(p), g, e, z3.BoolVal(offstack), m))}
    model = {A.model_path(o) for o in cpumask_alloc_outcomes(flags, era, offstack, memalloc)}
    if enc != model:
        out.append(f"zalloc paths ({gfp}, {era}, OFFSTACK={offstack}, PF_MEMALLOC={memalloc}): encoding "
                   f"{sorted(A.PATHS[p] for p in enc)}, model {sorted(A.PATHS[p] for p in model)}")
    for o in cpumask_alloc_outcomes(flags, era, offstack, memalloc):
        if A.PATH_OUTCOME[A.model_path(o)] != o.outcome:
            out.append(f"path {o.path!r}: encoding outcome {A.PATH_OUTCOME[A.model_path(o)]}, model {o.outcome}")
    return out


def scan_differences(variant: str, online: list, counts: list, caller: int, alloc_ok: bool = True) -> list:
    """One quiescent call on `caller`; `counts[c][z]` pages on each list."""
    sh = S.shape_of(variant)
    n, zn = len(online), len(counts[0])
    env = S.ConcreteEnv(n, zn, tag="_conf")
    mask = S.unroll(sh, env)
    last = max(c for c in range(n) if online[c])
    subs = [(env.on[c], z3.BoolVal(online[c])) for c in range(n)]
    subs += [(env.cnt[c][z], z3.IntVal(counts[c][z])) for c in range(n) for z in range(zn)]
    subs += [(env.caller, z3.IntVal(caller)), (env.L, z3.IntVal(last)), (env.alloc_ok, z3.BoolVal(alloc_ok))]
    enc = {c for c in range(n) if _true(z3.substitute(S.drained(sh, env, mask, c), *subs))}
    page_zone = [z for c in range(n) for z in range(zn) for _ in range(counts[c][z])]
    placement = [("pcp", c) for c in range(n) for z in range(zn) for _ in range(counts[c][z])]
    scn = Scenario(ncpus=n, zone_names=ZONE_NAMES[:zn], high=max(4, max(map(max, counts)) + 1), batch=2,
                   page_zone=tuple(page_zone), placement=tuple(placement),
                   programs=tuple(((("drain", None),) if c == caller else ()) for c in range(n)),
                   offline=sum(1 << c for c in range(n) if not online[c])).validate()
    v = variants.get(variant)
    choices = []
    if not alloc_ok:
        if not v.allocates:
            return []
        idx = A.outcome_index(A.FAULT, gfp_flags(v.gfp, v.era), v.era, True, False)
        choices = [(("task", caller), idx)]
    h = replay(v, scn, not alloc_ok, "sc", choices, props=(), run_to_end=True)
    model = {e.target for st in h.steps for e in st.events if e.kind == "drain"}
    out = []
    if enc != model:
        out.append(f"{variant}: encoding drains {sorted(enc)}, model drains {sorted(model)}")
    after = [[0 if c in enc else counts[c][z] for z in range(zn)] for c in range(n)]
    if [list(r) for r in h.final.count] != after:
        out.append(f"{variant}: counts after, encoding {after}, model {[list(r) for r in h.final.count]}")
    return out


class StepChecker:
    """The BMC transition of one (variant, harness), evaluated step by step."""

    def __init__(self, variant: str, h):
        self.variant = variants.get(variant)
        self.sysm = System(self.variant, h)
        self.cur, nxt = State(self.sysm, 0), State(self.sysm, 1)
        self.sel = Sched(self.sysm, 0)
        self.step = transition(self.sysm, self.cur, nxt, self.sel)
        self.pre, self.post = as_map(self.cur), as_map(nxt)
        self.progs = [num(f"program_cpu{c}") for c in range(h.ncpus)]
        self.solver = z3.SolverFor("QF_BV")
        self.solver.add(*self.step.constraints)

    def _initial(self, progs, counts, bud) -> dict:
        s = z3.SolverFor("QF_BV")
        s.add(*initial(self.sysm, self.cur, self.progs))
        s.add(*[p == i for p, i in zip(self.progs, progs)])
        s.add(*[x == counts[c][z] for c, row in enumerate(self.cur.cnt) for z, x in enumerate(row)])
        s.add(*[x == b for x, b in zip(self.cur.bud, bud)])
        if s.check() != z3.sat:
            raise ValueError("scenario outside the harness")
        m = s.model()
        return {k: m.eval(v, model_completion=True) for k, v in self.pre.items()}

    def _holder(self, value) -> object:
        x = value.as_signed_long()
        return None if x == NONE else self.sysm.slots[x].aid

    def _compare(self, node, vals, mons, where) -> list:
        k, h, out = node.k, self.sysm.h, []
        for c in range(h.ncpus):
            for z in range(h.nzones):
                if vals[("cnt", c, z)].as_long() != k.count[c][z]:
                    out.append(f"{where}: count cpu{c} z{z}")
                if self._holder(vals[("lock", c, z)]) != k.locks[c][z]:
                    out.append(f"{where}: pcp->lock cpu{c} z{z}")
            if self._holder(vals[("irq", c)]) != k.irq[c]:
                out.append(f"{where}: IRQs-off holder cpu{c}")
        for z in range(h.nzones):
            if vals[("bud", z)].as_long() != len(k.buddy[z]):
                out.append(f"{where}: buddy z{z}")
            if z3.is_true(vals[("dis", z)]) != ((k.high[z], k.batch[z]) == (0, 1)):
                out.append(f"{where}: high/batch z{z}")
        for s_, bits in enumerate(k.masks):
            for c in range(h.ncpus):
                if z3.is_true(vals[("mask", s_, c)]) != bool(bits >> c & 1):
                    out.append(f"{where}: shared mask {s_} cpu{c}")
        if self._holder(vals[("mutex",)]) != k.mutex:
            out.append(f"{where}: pcpu_drain_mutex holder")
        for call, snap, _ in mons[0].owed:
            for c in range(h.ncpus):
                for z in range(h.nzones):
                    want = len(set(snap) & set(k.pcp[c][z]))
                    if vals[("owed", call, c, z)].as_long() != want:
                        out.append(f"{where}: pages call {call} owes on cpu{c} z{z}")
        return out

    def run(self, progs, counts, bud, picks) -> list:
        """Follow the model along `picks` (indices into its enabled choices)."""
        scn = scenario_of(self.sysm, progs, counts, bud)
        rt = Runtime(scn, self.variant, False, "sc", properties=[BY_NAME[ENTRY], BY_NAME[DISABLED]])
        node = rt.initial_node()
        vals = self._initial(progs, counts, bud)
        out = self._compare(node, vals, node.mons, "initial")
        straddled = False
        for i, pick in enumerate(picks + [0] * 200):
            where = f"step {i + 1}"
            enabled = rt.enabled(node)
            s = self.solver
            s.push()
            s.add(*[self.pre[key] == v for key, v in vals.items()])
            ok = s.check()
            if ok != z3.sat:
                s.pop()
                return out + [f"{where}: the encoding has no step from the model's state"]
            m = s.model()
            enc_en = {self.sysm.slots[x].aid for x, e in self.step.enabled.items()
                      if z3.is_true(m.eval(e, model_completion=True))}
            s.pop()
            if enc_en != {aid for aid, _ in enabled}:
                return out + [f"{where}: enabled actors, encoding {sorted(map(str, enc_en))}, model "
                              f"{sorted(str(a) for a, _ in enabled)}"]
            if not enabled:
                break
            choice = enabled[pick % len(enabled)]
            x = next(sl.index for sl in self.sysm.slots if sl.aid == choice[0]
                     and z3.is_true(m.eval(self.step.enabled[sl.index], model_completion=True)))
            st = rt.step(node, choice)
            s.push()
            s.add(*[self.pre[key] == v for key, v in vals.items()], self.sel.v == x)
            if s.check() != z3.sat:
                s.pop()
                return out + [f"{where}: the encoding cannot take the model's step {choice}"]
            m = s.model()
            vals = {key: m.eval(v, model_completion=True) for key, v in self.post.items()}
            sig = {(sg.prop, sg.kind) for sg in st.signals}
            if z3.is_true(m.eval(self.step.violation, model_completion=True)) != ((0, "violation") in sig):
                out.append(f"{where}: entry_snapshot_drained verdict")
            if z3.is_true(m.eval(self.step.witness[ENTRY], model_completion=True)) != ((0, "witness") in sig):
                out.append(f"{where}: witness of {ENTRY}")
            straddled = straddled or z3.is_true(m.eval(self.step.witness[DISABLED], model_completion=True))
            s.pop()
            node = st.node
            out += self._compare(node, vals, node.mons, where)
            if out:
                return out
        final = {(sg.prop, sg.kind) for sg in rt.finish(node)}
        st_k = State(self.sysm, 0)
        bad = z3.substitute(final_bad(self.sysm, st_k), *[(self.pre[key], v) for key, v in vals.items()])
        if _true(bad) != ((1, "violation") in final):
            out.append("end: disabled_pcp_left_empty verdict")
        judged = z3.substitute(z3.And(z3.And([done(self.sysm, st_k, x) for x in self.sysm.slots]), z3.Or(st_k.dz)),
                               *[(self.pre[key], v) for key, v in vals.items()])
        if (straddled and _true(judged)) != ((1, "witness") in final):
            out.append("end: witness of disabled_pcp_left_empty")
        return out
