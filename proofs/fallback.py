"""`fallback_is_broadcast`: both branches of the v4 patch, for every NR_CPUS.

Abstracts the v4 patch's `drain_all_pages()` around its allocation:
`if (likely(zalloc_cpumask_var(&cpus, GFP_ATOMIC))) { scan; on_each_cpu_mask(cpus,
...); free_cpumask_var(cpus); } else on_each_cpu(drain_local_pages, NULL, 1);` with
`zalloc_cpumask_var()` as in `proofs.allocator` (every path the gfp flags of every
era in `model.allocator.ERAS`, OFFSTACK and PF_MEMALLOC allow), `free_cpumask_var()`
a `kfree()` only with OFFSTACK=y, and `on_each_cpu()` reaching every online CPU
(remote ones by IPI, the caller locally).  The mutants change one thing each:
`mut-mask-leak` never frees, `mut-no-fallback` drains nothing on failure,
`mut-fallback-skips-local` falls back to `smp_call_function()` (remote CPUs only).

The masked branch's drain is `quiescent_equivalence` (proved in
`proofs.equivalence`); here the branch structure is what is checked: which branch a
path takes, how many `kfree()`s follow, and who the fallback reaches.  Simplified:
one call, no concurrency; hotplug left out.
"""
from __future__ import annotations

import z3

from model import variants
from model.allocator import gfp_flags
from model.config import ZONE_NAMES
from model.scenario import Scenario

from . import allocator as A
from . import scan as S
from .kernel import (DEFAULT_TIMEOUT_MS, EncodingBug, Obligation, Proof, Stopwatch, admitted, check, discharge,
                     frozen_config, unknown)
from .replay import replay_counterexample

PROP = "fallback_is_broadcast"


class Alloc:
    """The symbolic allocation of one call."""

    def __init__(self, variant, tag=""):
        self.v = variant
        self.era = z3.Int(f"era{tag}")
        self.path = z3.Int(f"zalloc_path{tag}")
        self.offstack = z3.Bool(f"CONFIG_CPUMASK_OFFSTACK{tag}")
        self.memalloc = z3.Bool(f"PF_MEMALLOC{tag}")

    def premises(self):
        g = A.gfp_expr(self.v.gfp, self.era)
        return [A.era_ok(self.era), A.allowed_path(self.path, g, self.era, self.offstack, self.memalloc)]

    def failed(self):
        return A.alloc_failed(self.path)

    def kfrees(self):
        """`free_cpumask_var()` calls that reach `kfree()`."""
        return z3.If(z3.And(z3.Not(self.failed()), self.offstack, z3.BoolVal(self.v.frees_mask)), 1, 0)

    def kmallocs(self):
        return z3.If(z3.And(self.offstack, A.mask_allocated(self.path)), 1, 0)


def fallback_targets(sh, env, c):
    return S.drained_fallback(sh, env, c)


def obligations(variant: str, env, al: Alloc) -> list:
    sh = S.shape_of(variant)
    base = S.premises(sh, env) + al.premises()
    failed = base + [al.failed()]
    return [
        Obligation("OFFSTACK=n: zalloc_cpumask_var() allocates nothing and cannot fail",
                   tuple(base + [z3.Not(al.offstack)]), al.path == A.ONSTACK),
        Obligation("the mask is kfree()d exactly as often as it was kmalloc()ed", tuple(base),
                   al.kfrees() == al.kmallocs()),
        Obligation("allocation failed: the fallback reaches every online CPU", tuple(failed),
                   env.all_cz(lambda c, z: z3.Implies(env.online(c), fallback_targets(sh, env, c)))),
        Obligation("allocation failed: every count equals the broadcast drain's", tuple(failed),
                   env.all_cz(lambda c, z: z3.If(fallback_targets(sh, env, c), 0, env.count(c, z))
                              == z3.If(env.online(c), 0, env.count(c, z)))),
    ]


def premises_for_test(variant: str):
    """Premises of the fallback branch plus its witness (the allocation failed while
    a page sat on a pcp list), and an explicit model of them: v3.2, OFFSTACK=y,
    fault injected, one CPU with one page -> (premises, constants, functions)."""
    env, al = S.SymEnv("_fw"), Alloc(variants.get(variant), "_fw")
    pre = (S.premises(S.shape_of(variant), env) + al.premises() + [al.failed()]
           + [env.any_cz(lambda c, z: env.count(c, z) > 0)])
    consts, funs = env.one_page_machine()
    consts += [(al.era, z3.IntVal(A.era_index("3.2"))), (al.path, z3.IntVal(A.FAULT)),
               (al.offstack, z3.BoolVal(True)), (al.memalloc, z3.BoolVal(False))]
    return pre, consts, funs


def smallest_counterexample(variant: str, timeout_ms=DEFAULT_TIMEOUT_MS):
    v = variants.get(variant)
    for n in range(1, 4):
        env, al = S.ConcreteEnv(n, 1, tag=f"_f{n}"), Alloc(v, f"_f{n}")
        obs = obligations(variant, env, al)
        o = z3.Optimize()
        o.set("timeout", timeout_ms)
        # replayable: the variant's own era, PF_MEMALLOC clear (the model's task)
        o.add(*S.premises(S.shape_of(variant), env), *al.premises(), al.era == A.era_index(v.era),
              z3.Not(al.memalloc), z3.Or([z3.And(*ob.premises, z3.Not(ob.goal)) for ob in obs]))
        o.add(*[env.count(c, 0) <= 2 for c in range(n)])
        o.minimize(z3.Sum([env.count(c, 0) for c in range(n)]))
        if o.check() == z3.sat:
            return env, al, o.model()
    return None


def replay_cex(variant: str, env, al: Alloc, mdl) -> dict:
    v = variants.get(variant)
    ev = lambda e: mdl.eval(e, model_completion=True)
    online = [z3.is_true(ev(o)) for o in env.on]
    counts = [ev(env.count(c, 0)).as_long() for c in range(env.N)]
    caller, path, off = ev(env.caller).as_long(), ev(al.path).as_long(), z3.is_true(ev(al.offstack))
    page_zone = tuple(0 for c in range(env.N) for _ in range(counts[c]))
    placement = tuple(("pcp", c) for c in range(env.N) for _ in range(counts[c]))
    scn = Scenario(ncpus=env.N, zone_names=ZONE_NAMES[:1], high=4, batch=2, page_zone=page_zone,
                   placement=placement, programs=tuple(((("drain", None),) if c == caller else ())
                                                       for c in range(env.N)),
                   offline=sum(1 << c for c, on in enumerate(online) if not on))
    choices = []
    if off:
        idx = A.outcome_index(path, gfp_flags(v.gfp, v.era), v.era, True, False)
        choices = [(("task", caller), idx)]
    dec = {"cpus": env.N, "online": online, "count": counts, "caller": caller, "path": A.PATHS[path],
           "offstack": "y" if off else "n"}
    return replay_counterexample(variant, PROP, scn, off, choices, decoded=dec)


def prove(variant: str, timeout_ms=DEFAULT_TIMEOUT_MS) -> Proof:
    sw = Stopwatch()
    v = variants.get(variant)
    env, al = S.SymEnv("_f"), Alloc(v, "_f")
    obs = obligations(variant, env, al)
    cfg = {"NR_CPUS": "symbolic (>= 1)", "NR_ZONES": "symbolic (>= 1)", "eras": "all of model.allocator.ERAS",
           "gfp": v.gfp, "offstack": "symbolic", "PF_MEMALLOC": "symbolic"}
    relied = tuple(o.name for o in obs) + (f"quiescent_equivalence x {variant} (the masked branch)",
                                           "proofs.allocator == model.allocator (conformance gate, proofs/gate.py)")
    # what the fallback theorem is about: a failed allocation with a page about, in either OFFSTACK
    failed = next(o for o in obs if o.name.startswith("allocation failed"))
    admits, why = admitted(failed.premises, [
        ("a page on a pcp list", env.any_cz(lambda c, z: env.count(c, z) > 0)),
        ("the mask allocated off the stack (CONFIG_CPUMASK_OFFSTACK=y)", al.offstack)], timeout_ms)
    base = obs[1].premises
    both = [check(list(base) + [al.offstack == b], timeout_ms).status == "sat" for b in (False, True)]
    cfg["offstack"] = "y and n (both admitted)" if all(both) else ("y only" if both[1] else "n only")
    if why:
        return unknown(PROP, variant, f"allocation failed: {why}", sw.seconds, cfg, relied, timeout_ms)
    d = discharge(obs, timeout_ms)
    if d.ok:
        return Proof(PROP, variant, "proved", frozen_config(cfg), relied, sw.seconds, timeout_ms, admits=admits,
                     invariant="no loop: each obligation is checked directly for every NR_CPUS, every "
                               "zalloc_cpumask_var() path allowed in every era (" + "; ".join(o.name for o in obs)
                               + ")", detail=f"{len(obs)} obligations unsat")
    found = smallest_counterexample(variant, timeout_ms)
    if found is None:
        return unknown(PROP, variant, d.unknown or f"obligation '{d.failed}' fails but no replayable "
                       "counterexample up to 3 CPUs", sw.seconds, cfg, relied, timeout_ms)
    try:
        art = replay_cex(variant, *found)
    except EncodingBug as exc:
        return unknown(PROP, variant, f"encoding bug: {exc}", sw.seconds, cfg, relied, timeout_ms)
    return Proof(PROP, variant, "refuted", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                 bound=f"smallest: {found[0].N} CPU(s)", reason=art["violation"], counterexample=art,
                 detail=f"obligation that fails: {d.failed or d.unknown}")
