"""`quiescent_equivalence` and `misses_only_late_arrivals` for the masked drain.

Kernel code abstracted and simplifications: see `proofs.scan`.  This module turns
the encoding into graded `Proof`s:

* unbounded -- the loop invariants of `proofs.scan` are checked (initiation and
  consecution of the zone loop and of the CPU loop, then the conclusion) with
  NR_CPUS, the number of populated zones, `count`, the loads and the online mask
  all symbolic: an unsat answer to every negated obligation is a proof for every
  size.  The quiescent claim is also checked on pages (an uninterpreted sort: a
  page on a pcp list ends in buddy under the masked drain iff under the broadcast).
* refutation -- when an obligation fails, the same body, loops and claim are
  unrolled at increasing sizes (CPUs, then zones) and `z3.Optimize` picks the
  fewest pages; the model is decoded into a quiescent `Scenario` (one
  `("drain", None)` call) and replayed in the Python model.
"""
from __future__ import annotations

import z3

from model.allocator import gfp_flags
from model.config import ZONE_NAMES
from model.scenario import Scenario
from model import variants

from . import allocator as A
from . import scan as S
from .kernel import (DEFAULT_TIMEOUT_MS, EncodingBug, Obligation, Proof, Stopwatch, check, discharge, frozen_config,
                     satisfied_by, unknown)
from .replay import replay_counterexample

MAX_CPUS, MAX_ZONES, MAX_COUNT = 4, 3, 3
PROPS = ("quiescent_equivalence", "misses_only_late_arrivals")


def _page_claim(sh, env, m):
    """Pages: an uninterpreted sort; a page on a pcp list is counted by its count."""
    Page = z3.DeclareSort("Page")
    p = z3.Const("p", Page)
    on_pcp = z3.Function("on_pcp", Page, z3.BoolSort())
    cpu_of = z3.Function("page_cpu", Page, S.I)
    zone_of = z3.Function("page_zone", Page, S.I)
    pre = z3.ForAll([p], z3.Implies(on_pcp(p), z3.And(0 <= cpu_of(p), cpu_of(p) < env.N, 0 <= zone_of(p),
                                                       zone_of(p) < env.Zn,
                                                       env.count(cpu_of(p), zone_of(p)) >= 1)))
    goal = z3.ForAll([p], z3.And(on_pcp(p), z3.Not(S.drained(sh, env, m, cpu_of(p))))
                     == z3.And(on_pcp(p), z3.Not(env.online(cpu_of(p)))))
    return pre, goal


def obligations(prop: str, sh: S.Shape, env: S.SymEnv) -> list:
    m = z3.Array("m_final", S.I, z3.BoolSort())
    obs = S.loop_obligations(sh, env)
    pre = S.premises(sh, env) + [S.final_mask_premise(sh, env, m)]
    if prop == "quiescent_equivalence":
        pre.append(env.all_cz(lambda c, z: env.read(c, z) == env.count(c, z)))
        ppre, pgoal = _page_claim(sh, env, m)
        # one conclusion per branch of the patch; the fallback branch never looks at the mask
        branches = [("mask allocated", pre + [env.alloc_ok])]
        if sh.allocates:
            branches.append(("allocation failed, fallback", S.premises(sh, env) + [z3.Not(env.alloc_ok)]))
        for what, bpre in branches:
            obs.append(Obligation(f"conclusion ({what}): every count equals the broadcast drain's",
                                  tuple(bpre), S.quiescent_claim(sh, env, m)))
            obs.append(Obligation(f"conclusion ({what}): every page ends where the broadcast drain puts it",
                                  tuple(bpre + [ppre]), pgoal))
    else:
        obs.append(Obligation("conclusion: a CPU not reached read 0 wherever it was scanned", tuple(pre),
                              S.misses_claim(sh, env, m)))
    return obs


def premises_for_test(prop: str, variant: str):
    """The theorem's premises plus its witness (a page on some pcp list), and an
    explicit model of them: (premises, constants, functions) for `satisfied_by`."""
    sh = S.shape_of(variant)
    env = S.SymEnv("_w")
    m = z3.Array("m_w", S.I, z3.BoolSort())
    pre = S.premises(sh, env) + [S.final_mask_premise(sh, env, m)]
    if prop == "quiescent_equivalence":
        pre.append(env.all_cz(lambda c, z: env.read(c, z) == env.count(c, z)))
    pre.append(env.any_cz(lambda c, z: env.count(c, z) > 0))
    consts, funs = env.one_page_machine()
    c = z3.Int("c_w")
    # the mask the loop leaves on that machine (the CPU loop's invariant at its end)
    mask = z3.Lambda([c], z3.And(0 <= c, c < 1, S.cpu_scanned(sh, env, c), S.has_pages(env, c, env.Zn)))
    return pre, consts + [(m, z3.substitute(mask, *consts))], funs


def claim(prop, sh, env, m):
    return S.quiescent_claim(sh, env, m) if prop == "quiescent_equivalence" else S.misses_claim(sh, env, m)


def smallest_counterexample(prop: str, sh: S.Shape, timeout_ms=DEFAULT_TIMEOUT_MS, sizes=None):
    """Unroll at (CPUs, zones) in increasing order; fewest pages first, then fewest
    offline CPUs, then the mask allocation succeeding.  -> (env, model) or None."""
    for n, zn in sizes or [(n, zn) for n in range(1, MAX_CPUS + 1) for zn in range(1, MAX_ZONES + 1)]:
        env = S.ConcreteEnv(n, zn, tag=f"_{n}x{zn}", quiescent=True)
        mask = S.unroll(sh, env)
        o = z3.Optimize()
        o.set("timeout", timeout_ms)
        o.add(*S.premises(sh, env), z3.Not(claim(prop, sh, env, mask)))
        o.add(*[env.count(c, z) <= MAX_COUNT for c in range(n) for z in range(zn)])
        o.minimize(z3.Sum([env.count(c, z) for c in range(n) for z in range(zn)]))
        o.minimize(z3.Sum([z3.If(on, 0, 1) for on in env.on]))
        o.maximize(z3.If(env.alloc_ok, 1, 0))
        r = o.check()
        if r == z3.sat:
            return env, o.model()
        if r == z3.unknown:
            return env, None
    return None


def decode(env: S.ConcreteEnv, mdl) -> tuple:
    """(Scenario, alloc_ok, decoded dict) of a concrete Z3 model."""
    ev = lambda e: mdl.eval(e, model_completion=True)
    online = [z3.is_true(ev(o)) for o in env.on]
    counts = [[ev(env.count(c, z)).as_long() for z in range(env.Zn)] for c in range(env.N)]
    caller = ev(env.caller).as_long()
    page_zone, placement = [], []
    for c in range(env.N):
        for z in range(env.Zn):
            for _ in range(counts[c][z]):
                page_zone.append(z)
                placement.append(("pcp", c))
    high = max(4, max((x for row in counts for x in row), default=0) + 1)
    programs = tuple(((("drain", None),) if c == caller else ()) for c in range(env.N))
    offline = sum(1 << c for c, on in enumerate(online) if not on)
    scn = Scenario(ncpus=env.N, zone_names=ZONE_NAMES[: env.Zn], high=high, batch=2,
                   page_zone=tuple(page_zone), placement=tuple(placement), programs=programs, offline=offline)
    ok = z3.is_true(ev(env.alloc_ok))
    return scn, ok, {"cpus": env.N, "zones": env.Zn, "online": online, "count": counts, "caller": caller,
                     "alloc_ok": ok}


def replay_scan_cex(prop: str, variant: str, env, mdl) -> dict:
    scn, ok, dec = decode(env, mdl)
    v = variants.get(variant)
    if ok or not v.allocates:
        return replay_counterexample(variant, prop, scn, False, (), decoded=dec)
    # the allocation failed: OFFSTACK=y and the fault-injection outcome
    idx = A.outcome_index(A.FAULT, gfp_flags(v.gfp, v.era), v.era, True, False)
    caller = dec["caller"]
    return replay_counterexample(variant, prop, scn, True, [(("task", caller), idx)], decoded=dec)


def _machine(sh, env, read: int, alloc_ok: bool):
    """An explicit interpretation of a theorem's premises: one online CPU, one zone,
    count 1, the scan's load `read` (1: quiescent, 0: the page arrived after the load),
    and the mask that load leaves -> (constants, functions) for `satisfied_by`."""
    one, val = z3.IntVal(1), z3.IntVal(read)
    consts = [(env.N, one), (env.Zn, one), (env.caller, z3.IntVal(0)), (env.L, z3.IntVal(0)),
              (env.online_a, z3.K(S.I, z3.BoolVal(True))), (env.alloc_ok, z3.BoolVal(alloc_ok))]
    funs = [(env.count_f, one), (env.read_f, val), (env.late_f, z3.IntVal(0))]
    c = z3.Int("c_machine")
    mask = z3.Lambda([c], z3.And(0 <= c, c < 1, S.cpu_scanned(sh, env, c), S.has_pages(env, c, env.Zn)))
    m = z3.Array("m_final", S.I, z3.BoolSort())          # the final mask of `obligations`
    return consts + [(m, z3.substitute(mask, *consts))], funs


def _admits(sh, env, premises, cond, read, alloc_ok, timeout_ms):
    """'sat' | 'unsat' | 'unknown' for premises AND cond: first on an explicit machine
    (constructive, no quantified search), then by the solver."""
    consts, funs = _machine(sh, env, read, alloc_ok)
    if satisfied_by(list(premises) + [cond], consts, funs, timeout_ms).status == "sat":
        return "sat"
    return check(list(premises) + [cond], timeout_ms).status


def premise_checks(prop: str, sh, env, obs, timeout_ms=DEFAULT_TIMEOUT_MS):
    """(config entries derived from the conclusions' premises, what they admit, why not).

    The printed `reads` is what the solver was given: `arbitrary (concurrent)` only if
    the premises admit a load that differs from its count, `count (quiescent)` only if
    they imply every load reads its count.  The concurrent theorem must admit such a
    load, every conclusion a page on a pcp list, and the fallback conclusion a failed
    allocation."""
    concl = [o for o in obs if o.name.startswith("conclusion")]
    page = env.any_cz(lambda c, z: env.count(c, z) > 0)
    stale = env.any_cz(lambda c, z: env.read(c, z) != env.count(c, z))
    cfg, admits = {}, []
    r = _admits(sh, env, concl[0].premises, stale, 0, True, timeout_ms)
    if r == "unknown":
        return cfg, (), "could not decide what the premises say of the count loads (z3 unknown)"
    cfg["reads"] = "arbitrary (concurrent): the premises admit a load != its count" if r == "sat" else \
        "count (quiescent): the premises imply every load reads its count"
    for o in concl:
        ok = "fallback" not in o.name
        conds = [("a page on a pcp list", page, 1)]
        if prop == "misses_only_late_arrivals":
            conds.append(("a count load that differs from the count (a concurrent free or drain)", stale, 0))
        if not ok:
            conds.append(("the cpumask allocation failing", z3.Not(env.alloc_ok), 1))
        for text, cond, read in conds:
            r = _admits(sh, env, o.premises, cond, read, ok, timeout_ms)
            head = o.name.split(":")[0]
            if r == "unsat":
                return cfg, tuple(admits), f"{head}: the premises exclude {text}: the theorem would be weaker " \
                                           "than stated"
            if r != "sat":
                return cfg, tuple(admits), f"{head}: could not show the premises admit {text} (z3 unknown)"
            if f"{head}: {text}" not in admits:
                admits.append(f"{head}: {text}")
    return cfg, tuple(admits), None


def prove(prop: str, variant: str, timeout_ms=DEFAULT_TIMEOUT_MS) -> Proof:
    sw = Stopwatch()
    sh = S.shape_of(variant)
    env = S.SymEnv()
    obs = obligations(prop, sh, env)
    cfg = {"NR_CPUS": "symbolic (>= 1)", "NR_ZONES": "symbolic (>= 1)", "count": "uninterpreted",
           "hotplug": "none during the call", "offstack": "y and n (alloc_ok symbolic)"}
    derived, admits, why = premise_checks(prop, sh, env, obs, timeout_ms)
    cfg.update(derived)
    relied = tuple(o.name for o in obs)
    if why:
        return unknown(prop, variant, why, sw.seconds, cfg, relied, timeout_ms)
    d = discharge(obs, timeout_ms)
    if d.ok:
        return Proof(prop, variant, "proved", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                     invariant=S.INVARIANT_TEXT, detail=f"{len(obs)} obligations unsat", admits=admits)
    # an obligation failed or was undecided: only a replayed concrete run refutes
    failed = d.failed or f"undecided: {d.unknown}"
    found = smallest_counterexample(prop, sh, timeout_ms)
    if found is None or found[1] is None:
        if d.unknown:
            return unknown(prop, variant, d.unknown, sw.seconds, cfg, relied, timeout_ms)
        why = "no counterexample up to 4 CPUs x 3 zones" if found is None else "z3 unknown while unrolling"
        return unknown(prop, variant, f"obligation '{failed}' fails, but {why}", sw.seconds, cfg, relied,
                       timeout_ms)
    try:
        art = replay_scan_cex(prop, variant, *found)
    except EncodingBug as exc:
        return unknown(prop, variant, f"encoding bug: {exc}", sw.seconds, cfg, relied, timeout_ms)
    return Proof(prop, variant, "refuted", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                 bound=f"smallest: {found[0].N} CPU(s) x {found[0].Zn} zone(s)", reason=art["violation"],
                 counterexample=art, detail=f"obligation that fails: {failed}")
