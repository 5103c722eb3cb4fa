"""`no_reclaim_recursion` with Horn clauses: GFP_ATOMIC proved safe in every era, the
GFP_KERNEL mutant refuted with a recursion trace the model replays."""
from __future__ import annotations

import pytest
import z3

from model import variants
from model.allocator import ERAS
from proofs import allocator as A
from proofs import recursion as R


def test_gfp_atomic_mask_never_lets_reclaim_nest_in_any_era():
    """Spacer's invariant for v4-zalloc-fallback over all eras re-checks clause by clause."""
    p = R.prove("v4-zalloc-fallback")
    assert p.grade == "proved", p.reason
    assert "PF_MEMALLOC" in p.invariant and "depth < 2" in p.invariant


@pytest.mark.parametrize("era", ERAS)
def test_gfp_atomic_is_safe_and_gfp_kernel_recurses_in_each_era(era):
    """The same clauses, era by era: safe with GFP_ATOMIC, unsafe with GFP_KERNEL."""
    i = A.era_index(era)
    _, safe = R.solve(R.rules(variants.get("v4-zalloc-fallback"), i))
    _, unsafe = R.solve(R.rules(variants.get("mut-gfp-kernel"), i))
    assert safe == z3.unsat and unsafe == z3.sat


def test_gfp_kernel_mask_recursion_is_refuted_with_its_trace():
    """The derivation reads direct reclaim -> drain_all_pages() -> zalloc(GFP_KERNEL) -> reclaim."""
    p = R.prove("mut-gfp-kernel")
    assert p.grade == "refuted"
    trace = p.counterexample["decoded"]["recursion_trace"]
    names = [line.split(":")[0] for line in trace]
    assert names == ["task_alloc", "enter_direct_reclaim", "reclaim_drains", "drain_allocates_mask",
                     "enter_direct_reclaim", "reclaim_nests"]
    assert "depth 2" in p.counterexample["violation"] and p.counterexample["replayed"]


def test_every_clause_body_is_satisfiable():
    """No clause is vacuous: each guard has a model (the premises of the Horn system)."""
    for r in R.rules(variants.get("v4-zalloc-fallback")):
        s = z3.Solver()
        s.add(r.guard)
        assert s.check() == z3.sat, r.name


def test_the_drain_is_reached_from_reclaim_and_allocates_its_mask():
    """Witness: under the v4 clauses a drain at depth 1 allocates with PF_MEMALLOC clear."""
    rules = R.rules(variants.get("v4-zalloc-fallback"))
    fp, res = R.solve(rules)
    assert res == z3.unsat
    inv = R.invariant(fp)
    era, d = z3.Ints("e d")
    # the invariant allows what the reclaim path does (it is not "false")
    s = z3.Solver()
    s.add(z3.substitute_vars(inv["Drain"], era, z3.BoolVal(True), z3.IntVal(1)), A.era_ok(era))
    assert s.check() == z3.sat


def test_spacer_invariant_is_rechecked_not_trusted():
    """A wrong invariant (everything reachable) fails the independent clause-by-clause check."""
    rules = R.rules(variants.get("v4-zalloc-fallback"))
    fp, _ = R.solve(rules)
    bad = {k: z3.BoolVal(True) for k in R.invariant(fp)}
    assert not R.check_invariant(bad, rules)
    assert R.check_invariant(R.invariant(fp), rules)
