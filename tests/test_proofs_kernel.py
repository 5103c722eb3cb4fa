"""The proof kernel: grades need their evidence, and a timeout is never a proof."""
from __future__ import annotations

import pytest
import z3

from proofs import equivalence
from proofs.kernel import (Obligation, Proof, discharge, pretty, premises_satisfiable, satisfied_by, unknown)


def test_a_proved_theorem_must_carry_the_invariant_z3_checked():
    """A `proved` value without its invariant or argument cannot be built."""
    with pytest.raises(ValueError):
        Proof("quiescent_equivalence", "v4-zalloc-fallback", "proved")


def test_a_refutation_must_carry_a_counterexample_replayed_in_the_model():
    """A `refuted` value needs a counterexample marked as replayed by the model."""
    with pytest.raises(ValueError):
        Proof("quiescent_equivalence", "v5-last-zone-wins", "refuted")
    with pytest.raises(ValueError):
        Proof("quiescent_equivalence", "v5-last-zone-wins", "refuted", counterexample={"steps": []})
    ok = Proof("quiescent_equivalence", "v5-last-zone-wins", "refuted", counterexample={"replayed": True})
    assert ok.grade == "refuted"


def test_bounded_needs_its_bound_and_unknown_its_reason():
    """`bounded` states its bound; `unknown` says why; other grades do not exist."""
    with pytest.raises(ValueError):
        Proof("p", "v", "bounded")
    with pytest.raises(ValueError):
        Proof("p", "v", "unknown")
    with pytest.raises(ValueError):
        Proof("p", "v", "holds")
    assert unknown("p", "v", "z3 returned unknown (timeout)").grade == "unknown"


def test_a_solver_timeout_is_undecided_not_discharged():
    """An obligation z3 cannot decide in time is reported unknown, never as discharged."""
    x, y, zz = z3.Ints("x y zz")
    fermat = Obligation("no positive cubes add up", (x > 0, y > 0, zz > 0), x * x * x + y * y * y != zz * zz * zz)
    d = discharge([fermat], timeout_ms=50)
    assert not d.ok and d.failed is None and "unknown" in d.unknown


def test_an_undecided_scan_obligation_grades_the_theorem_unknown(monkeypatch):
    """If z3 gives up on an obligation and no concrete counterexample exists, the grade is unknown."""
    from proofs.kernel import Discharge
    monkeypatch.setattr(equivalence, "discharge",
                        lambda obs, t: Discharge(False, None, "conclusion: z3 returned unknown (timeout)", None, 1.0))
    p = equivalence.prove("quiescent_equivalence", "v4-zalloc-fallback")
    assert p.grade == "unknown" and "timeout" in p.reason


def test_unsatisfiable_premises_are_detected_as_vacuous():
    """`premises_satisfiable` reports unsat premises, so a vacuous theorem cannot hide."""
    x = z3.Int("x")
    assert premises_satisfiable([x > 0, x < 0]).status == "unsat"
    assert premises_satisfiable([x > 0]).status == "sat"


def test_invariants_print_in_c_like_infix():
    """Invariants are printed as `depth < 1 || PF_MEMALLOC`, not as s-expressions."""
    d, m = z3.Int("depth"), z3.Bool("PF_MEMALLOC")
    assert pretty(z3.Or(z3.Not(d >= 1), m)) == "depth < 1 || PF_MEMALLOC"


def test_an_explicit_model_that_breaks_a_premise_is_rejected():
    """`satisfied_by` really evaluates the premises: a premise the model violates is unsat."""
    pre, consts, funs = equivalence.premises_for_test("quiescent_equivalence", "v4-zalloc-fallback")
    assert satisfied_by(pre, consts, funs).status == "sat"
    n = next(c for c, _ in consts if str(c) == "N_w")
    assert satisfied_by(pre + [n >= 2], consts, funs).status == "unsat"
