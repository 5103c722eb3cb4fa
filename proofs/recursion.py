"""`no_reclaim_recursion`: an unbounded safety proof with Z3's Horn-clause engine.

Abstracts the call structure around direct reclaim (v3.2 mm/page_alloc.c and its
later shape): `__alloc_pages_nodemask()` -> `get_page_from_freelist()` ->
`__alloc_pages_slowpath()` -> `__alloc_pages_direct_reclaim()`, which sets
`PF_MEMALLOC` around `try_to_free_pages()`, clears it, and -- progress made, retry
failed -- calls `drain_all_pages()` once; the drain's `zalloc_cpumask_var()`
(`kmalloc()` from a slab; a slab miss reaches the page allocator again).  The
allocator's decision is `proofs.allocator` (checked against `model/allocator.py`):
gfp flags of every era in `model.allocator.ERAS` (v3.2 `__GFP_WAIT`; v4.4+
`__GFP_DIRECT_RECLAIM`; `GFP_ATOMIC` as in v4.4-v6.2 and after v6.3), PF_MEMALLOC.

Simplified: what reclaim frees and whether an allocation finds memory are free
choices (any allocation may miss the slab and fail its fast path; reclaim may or may
not make progress); `try_to_free_pages()` may allocate with any gfp mask, but with
PF_MEMALLOC set; any task may start an allocation with any mask.  Nesting depth
counts `__alloc_pages_direct_reclaim()` frames on one task's stack.

Predicates: `Alloc(era, flags, PF_MEMALLOC, depth)` an allocation in progress;
`Reclaim(era, depth)` inside direct reclaim; `Drain(era, OFFSTACK, depth)` inside
`drain_all_pages()`.  The property: `Reclaim(era, depth)` never holds with depth >= 2.
Spacer either returns an inductive invariant (re-checked below by a plain solver,
clause by clause) or a derivation, which is rebuilt with concrete values, printed
as the recursion trace and replayed in the model (`reclaim_drain` scenario).
"""
from __future__ import annotations

from dataclasses import dataclass

import z3

from model import variants
from model.allocator import ERAS, gfp_flags
from model.scenario import Scenario

from . import allocator as A
from .kernel import Proof, Stopwatch, frozen_config, pretty, unknown, DEFAULT_TIMEOUT_MS
from .replay import replay_counterexample

I, B = z3.IntSort(), z3.BoolSort()
ALLOC = z3.Function("Alloc", I, *([B] * len(A.FLAGS)), B, I, B)
RECLAIM = z3.Function("Reclaim", I, I, B)
DRAIN = z3.Function("Drain", I, B, I, B)
NESTED = z3.Function("ReclaimNests", B)
KERNEL_NAMES = {"Alloc": "an allocation (gfp, PF_MEMALLOC) at reclaim depth",
                "Reclaim": "__alloc_pages_direct_reclaim() at depth",
                "Drain": "drain_all_pages() at depth"}
ARG_NAMES = {"Alloc": ("era",) + A.FLAGS + ("PF_MEMALLOC", "depth"), "Reclaim": ("era", "depth"),
             "Drain": ("era", "CONFIG_CPUMASK_OFFSTACK", "depth")}


@dataclass(frozen=True)
class Rule:
    name: str
    text: str           # the clause in kernel terms
    head: tuple         # (pred, args)
    body: tuple         # ((pred, args), ...)
    guard: object


def _alloc(era, g, m, d):
    return (ALLOC, (era,) + tuple(g[f] for f in A.FLAGS) + (m, d))


def rules(variant, era_is=None) -> list:
    """The Horn clauses for `variant`'s drain; eras restricted to `era_is` if given."""
    era, d = z3.Ints("era depth")
    g = A.gfp_vars("g")
    m, miss, fastfail, progress, retryfail, off = z3.Bools("PF_MEMALLOC slab_miss fast_fail progress "
                                                           "retry_failed offstack")
    era_c = A.era_ok(era) if era_is is None else era == era_is
    out = [
        Rule("task_alloc", "a task calls the page allocator with any gfp mask",
             _alloc(era, g, m, z3.IntVal(0)), (), era_c),
        Rule("enter_direct_reclaim",
             "slab miss, get_page_from_freelist() fails, __alloc_pages_slowpath() may reclaim "
             "(era's reclaim flag set, PF_MEMALLOC clear): __alloc_pages_direct_reclaim()",
             (RECLAIM, (era, d + 1)), (_alloc(era, g, m, d),),
             z3.And(miss, fastfail, A.may_direct_reclaim(g, era, m))),
        Rule("try_to_free_pages_alloc",
             "try_to_free_pages() runs with PF_MEMALLOC set and allocates with any gfp mask",
             _alloc(era, g, z3.BoolVal(True), d), ((RECLAIM, (era, d)),), z3.BoolVal(True)),
        Rule("reclaim_drains",
             "PF_MEMALLOC cleared, progress made, the retry failed: drain_all_pages()",
             (DRAIN, (era, off, d)), ((RECLAIM, (era, d)),), z3.And(progress, retryfail)),
        Rule("other_drain_callers", "memory hotplug, memory failure, CMA call drain_all_pages()",
             (DRAIN, (era, off, z3.IntVal(0))), (), era_c),
    ]
    if variant.allocates:
        out.append(Rule("drain_allocates_mask",
                        f"drain_all_pages() calls zalloc_cpumask_var({variant.gfp}) with OFFSTACK=y, "
                        f"PF_MEMALLOC clear",
                        _alloc(era, A.gfp_expr(variant.gfp, era), z3.BoolVal(False), d),
                        ((DRAIN, (era, off, d)),), off))
    out.append(Rule("reclaim_nests", "direct reclaim entered while already in direct reclaim",
                    (NESTED, ()), ((RECLAIM, (era, d)),), d >= 2))
    return out


def _app(pred, args):
    return pred(*args) if args else pred()


def solve(rule_list, timeout_ms=DEFAULT_TIMEOUT_MS, query=None, query_vars=()):
    """Spacer on the rules; the query is `ReclaimNests()` unless given (a formula
    over `query_vars`)."""
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    fp.set("timeout", timeout_ms)
    for opt in ("fp.xform.slice", "fp.xform.inline_eager", "fp.xform.inline_linear"):
        fp.set(opt, False)
    fp.register_relation(ALLOC, RECLAIM, DRAIN, NESTED)
    for r in rule_list:
        vs = set()
        for e in [r.guard] + [a for _, args in (r.body + (r.head,)) for a in args]:
            vs |= _consts(e)
        fp.declare_var(*sorted(vs, key=str))
        body = [_app(p, a) for p, a in r.body] + [r.guard]
        fp.rule(_app(*r.head), body, name=r.name)
    if query_vars:
        fp.declare_var(*query_vars)
    res = fp.query(NESTED() if query is None else query)
    return fp, res


def reachable(rule_list, timeout_ms=DEFAULT_TIMEOUT_MS) -> tuple:
    """Show the rules reach what the theorem is about -- else its safety is vacuous:
    a drain called from direct reclaim with the mask off the stack, and an
    allocation made inside direct reclaim.  -> (texts shown, None or why not)."""
    e, d, o, m = z3.Int("q_era"), z3.Int("q_depth"), z3.Bool("q_offstack"), z3.Bool("q_memalloc")
    flags = [z3.Bool(f"q_{f}") for f in A.FLAGS]
    shown = []
    for text, q, vs in (
            ("drain_all_pages() called from direct reclaim with CONFIG_CPUMASK_OFFSTACK=y",
             z3.And(DRAIN(e, o, d), d >= 1, o), (e, d, o)),
            ("an allocation inside direct reclaim", z3.And(ALLOC(e, *flags, m, d), d >= 1), (e, d, m, *flags))):
        _, res = solve(rule_list, timeout_ms, q, vs)
        if res == z3.sat:
            shown.append(text)
        elif res == z3.unsat:
            return tuple(shown), f"the clauses never reach {text}: the safety proof would be vacuous"
        else:
            return tuple(shown), f"could not show the clauses reach {text} (spacer unknown)"
    return tuple(shown), None


def _consts(e):
    out, todo = set(), [e]
    while todo:
        x = todo.pop()
        if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(x)
        elif z3.is_app(x):
            todo.extend(x.children())
    return out


def invariant(fp) -> dict:
    """pred name -> its interpretation as a lambda-free formula over Var(i)."""
    return {p.name(): fp.get_cover_delta(-1, p) for p in (ALLOC, RECLAIM, DRAIN)}


def _inst(inv, pred, args):
    if pred is NESTED:
        return z3.BoolVal(False)
    return z3.substitute_vars(inv[pred.name()], *args)


def check_invariant(inv, rule_list, timeout_ms=DEFAULT_TIMEOUT_MS) -> bool:
    """Re-check Spacer's answer with a plain solver: every clause preserves it and
    it excludes nesting (initiation, consecution and safety in one sweep)."""
    for r in rule_list:
        s = z3.Solver()
        s.set("timeout", timeout_ms)
        s.add(*[_inst(inv, p, a) for p, a in r.body], r.guard, z3.Not(_inst(inv, *r.head)))
        if s.check() != z3.unsat:
            return False
    return True


def kernel_terms(inv) -> str:
    parts = []
    for name in ("Alloc", "Reclaim", "Drain"):
        args = [z3.Const(n if n != "era" else "era#", z3.IntSort() if n in ("era", "depth") else z3.BoolSort())
                for n in ARG_NAMES[name]]
        f = z3.simplify(z3.substitute_vars(inv[name], *args))
        parts.append(f"{KERNEL_NAMES[name]} => {pretty(f)}")
    return "; ".join(parts) + "  (every era of model.allocator.ERAS)"


def trace(fp, rule_list, timeout_ms=DEFAULT_TIMEOUT_MS):
    """Concrete values along Spacer's derivation: [(rule, {arg: value})]."""
    names = [n for n in fp.get_rule_names_along_trace() if n in {r.name for r in rule_list}]
    names.reverse()
    by = {r.name: r for r in rule_list}
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    steps, prev = [], None
    for i, n in enumerate(names):
        r = by[n]
        sub = [(c, z3.Const(f"{c}@{i}", c.sort())) for c in _consts_of_rule(r)]
        head = [z3.substitute(a, *sub) if sub else a for a in r.head[1]]
        s.add(z3.substitute(r.guard, *sub) if sub else r.guard)
        if r.body:
            bargs = [z3.substitute(a, *sub) if sub else a for a in r.body[0][1]]
            s.add(*[x == y for x, y in zip(bargs, prev)])
        steps.append((r, head))
        prev = head
    if s.check() != z3.sat:
        return None
    mdl = s.model()
    out = []
    for r, head in steps:
        vals = {}
        if r.head[0] is not NESTED:
            for nm, a in zip(ARG_NAMES[r.head[0].name()], head):
                vals[nm] = mdl.eval(a, model_completion=True)
        out.append((r, vals))
    return out


def _consts_of_rule(r):
    vs = _consts(r.guard)
    for _, args in r.body + (r.head,):
        for a in args:
            vs |= _consts(a)
    return sorted(vs, key=str)


def trace_text(steps) -> list:
    lines = []
    for r, vals in steps:
        flags = [f for f in A.FLAGS if z3.is_true(vals.get(f, z3.BoolVal(False)))]
        what = {"Alloc": lambda: f"allocation gfp={'|'.join(flags) or '0'} PF_MEMALLOC="
                                 f"{int(z3.is_true(vals['PF_MEMALLOC']))} depth={vals['depth']}",
                "Reclaim": lambda: f"in direct reclaim, depth={vals['depth']}",
                "Drain": lambda: f"in drain_all_pages(), OFFSTACK={'y' if z3.is_true(vals['CONFIG_CPUMASK_OFFSTACK']) else 'n'}, "
                                 f"depth={vals['depth']}"}
        name = r.head[0].name()
        era = vals.get("era")
        state = what[name]() if name in what else "reclaim nests: depth >= 2"
        lines.append(f"{r.name}: {r.text} -> {state}" + (f" [era {ERAS[era.as_long()]}]" if era is not None else ""))
    return lines


def prove(variant_name: str, timeout_ms=DEFAULT_TIMEOUT_MS, all_eras: bool = True) -> Proof:
    prop = "no_reclaim_recursion"
    v = variants.get(variant_name)
    sw = Stopwatch()
    era_is = None if all_eras else A.era_index(v.era)
    rl = rules(v, era_is)
    cfg = {"eras": "all of model.allocator.ERAS" if all_eras else str(v.era), "gfp": getattr(v, "gfp", None),
           "offstack": "y and n", "engine": "z3 Fixedpoint (spacer)"}
    relied = tuple(r.name for r in rl) + ("proofs.allocator == model.allocator (conformance gate, proofs/gate.py)",)
    fp, res = solve(rl, timeout_ms)
    if res == z3.unsat:
        admits, why = reachable(rl, timeout_ms)
        if why:
            return unknown(prop, variant_name, why, sw.seconds, cfg, relied, timeout_ms)
        inv = invariant(fp)
        if not check_invariant(inv, rl, timeout_ms):
            return unknown(prop, variant_name, "Spacer's invariant did not re-check clause by clause",
                           sw.seconds, cfg, relied, timeout_ms)
        return Proof(prop, variant_name, "proved", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                     invariant=kernel_terms(inv), admits=admits,
                     detail="Spacer invariant re-checked: initiation, consecution, safety")
    if res != z3.sat:
        return unknown(prop, variant_name, f"spacer returned unknown ({fp.reason_unknown()})", sw.seconds,
                       cfg, relied, timeout_ms)
    # unsafe: rebuild the derivation in the variant's own era and replay it
    fp2, res2 = solve(rules(v, A.era_index(v.era)), timeout_ms)
    steps = trace(fp2, rules(v, A.era_index(v.era)), timeout_ms) if res2 == z3.sat else None
    if not steps:
        return unknown(prop, variant_name, f"recursion found in some era but not rebuilt in era {str(v.era)}",
                       sw.seconds, cfg, relied, timeout_ms)
    lines = trace_text(steps)
    art = _replay_recursion(v, lines)
    return Proof(prop, variant_name, "refuted", frozen_config(cfg), relied, sw.seconds, timeout_ms,
                 bound=f"derivation of {len(lines)} clauses in era {str(v.era)}", reason=art["violation"],
                 counterexample=art, detail=" | ".join(lines))


def _replay_recursion(v, lines) -> dict:
    """The derivation as a model schedule: cpu0 enters direct reclaim (progress), the
    retry fails, the drain's zalloc_cpumask_var() takes the slow path into reclaim."""
    scn = Scenario(ncpus=1, zone_names=("DMA32",), high=4, batch=2, page_zone=(), placement=(),
                   programs=((("reclaim_drain", None),),))
    flags = gfp_flags(v.gfp, v.era)
    idx = A.outcome_index(A.RECLAIM, flags, v.era, True, False)
    task = ("task", 0)
    choices = [(task, 0), (task, 0), (task, idx)]   # progress=True, retry ok=False, reclaim
    return replay_counterexample(v.name, "no_reclaim_recursion", scn, True, choices,
                                 decoded={"recursion_trace": lines})
