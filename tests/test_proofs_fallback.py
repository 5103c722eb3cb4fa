"""`fallback_is_broadcast`: both branches of the v4 patch proved, each mutant refuted by
the same encoding with a counterexample the model replays."""
from __future__ import annotations

import pytest
import z3

from model import variants
from proofs import allocator as A
from proofs import fallback as F
from proofs import scan as S
from proofs.kernel import discharge, satisfied_by


def test_both_branches_of_the_v4_patch_are_proved_for_every_nr_cpus():
    """Mask allocated -> freed once; allocation failed -> every online CPU drained, no kfree."""
    p = F.prove("v4-zalloc-fallback")
    assert p.grade == "proved", p.reason
    assert any("OFFSTACK=n" in r for r in p.relied_on)


@pytest.mark.parametrize("variant,failing,words", [
    ("mut-mask-leak", "the mask is kfree()d exactly as often as it was kmalloc()ed", "never freed"),
    ("mut-no-fallback", "allocation failed: the fallback reaches every online CPU", "never drained"),
    ("mut-fallback-skips-local", "allocation failed: the fallback reaches every online CPU", "never drained"),
])
def test_fallback_encoding_refutes_each_mutant_on_its_own_obligation(variant, failing, words):
    """Each mutant fails the obligation of its ingredient, and the model replays the violation."""
    d = discharge(F.obligations(variant, S.SymEnv("_t"), F.Alloc(variants.get(variant), "_t")))
    assert not d.ok and d.failed == failing
    p = F.prove(variant)
    assert p.grade == "refuted"
    assert p.counterexample["replayed"] and words in p.counterexample["violation"]


def test_failed_allocation_counterexamples_take_the_fault_injection_path():
    """The decoded allocation outcome is replayed as the model's matching scheduler choice."""
    p = F.prove("mut-no-fallback")
    dec = p.counterexample["decoded"]
    assert dec["offstack"] == "y" and dec["path"] in ("fault injected", "slow path gives up")
    kinds = [e["kind"] for st in p.counterexample["steps"] for e in st["events"]]
    assert "mask_alloc" in kinds


def test_offstack_n_never_allocates_and_cannot_fail():
    """With CONFIG_CPUMASK_OFFSTACK=n the only path is the on-stack mask, in every era."""
    al = F.Alloc(variants.get("v4-zalloc-fallback"), "_n")
    s = z3.Solver()
    s.add(*al.premises(), z3.Not(al.offstack), z3.Or(al.failed(), al.kmallocs() == 1))
    assert s.check() == z3.unsat


@pytest.mark.parametrize("variant", ["v4-zalloc-fallback", "mut-mask-leak", "mut-no-fallback",
                                     "mut-fallback-skips-local"])
def test_fallback_premises_are_satisfiable_with_the_allocation_failing(variant):
    """The failing branch is reachable (witness: allocation failed with a page on a list)."""
    pre, consts, funs = F.premises_for_test(variant)
    assert satisfied_by(pre, consts, funs).status == "sat"


def test_the_allocation_can_succeed_through_both_ok_paths_with_gfp_atomic():
    """GFP_ATOMIC may end on the slab/fast path and on the reserves path (premise of branch 1)."""
    al = F.Alloc(variants.get("v4-zalloc-fallback"), "_ok")
    for path in (A.HIT, A.RESERVES):
        s = z3.Solver()
        s.add(*al.premises(), al.path == path)
        assert s.check() == z3.sat
