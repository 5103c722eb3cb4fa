"""The scan encoding: the masked drain proved for every size, its mutants refuted by the
same encoding with counterexamples the model replays, and the 8192 x 5 check."""
from __future__ import annotations

import json

import pytest

from drainverify.cli import main as drainverify_main
from proofs import equivalence, scale
from proofs import scan as S
from proofs.kernel import discharge, satisfied_by

PROPS = equivalence.PROPS
MUTANTS = ("v5-last-zone-wins", "mut-first-zone-only", "mut-cpu-off-by-one")


@pytest.mark.parametrize("prop", PROPS)
def test_masked_drain_holds_for_every_number_of_cpus_and_zones(prop):
    """v4-zalloc-fallback: every loop obligation and the conclusion are unsat when negated."""
    p = equivalence.prove(prop, "v4-zalloc-fallback")
    assert p.grade == "proved", p.reason
    assert "zone loop" in p.invariant and "every NR_CPUS" in p.invariant


@pytest.mark.parametrize("prop", PROPS)
@pytest.mark.parametrize("variant", MUTANTS)
def test_scan_encoding_refutes_each_one_ingredient_mutant(prop, variant):
    """The same encoding refutes each mutant, and the model reproduces the violation."""
    p = equivalence.prove(prop, variant)
    assert p.grade == "refuted", p.reason
    art = p.counterexample
    assert art["replayed"] and art["verdict"] == "refuted" and art["property"] == prop
    assert art["variant"] == variant and art["scenario"]["programs"]


@pytest.mark.parametrize("variant,failing", [
    ("v5-last-zone-wins", "zone loop: consecution"),
    ("mut-first-zone-only", "cpu loop: consecution, scanned cpu"),
    ("mut-cpu-off-by-one", "conclusion (mask allocated): every count equals the broadcast drain's"),
])
def test_each_mutant_breaks_the_obligation_its_ingredient_touches(variant, failing):
    """The loop invariant fails where the mutant differs: zone body, zone bound, CPU bound."""
    env = S.SymEnv()
    d = discharge(equivalence.obligations("quiescent_equivalence", S.shape_of(variant), env))
    assert not d.ok and d.failed == failing


@pytest.mark.parametrize("variant,cpus,zones", [
    ("v5-last-zone-wins", 1, 2), ("mut-first-zone-only", 1, 2), ("mut-cpu-off-by-one", 1, 1)])
def test_quiescent_counterexamples_are_the_smallest(variant, cpus, zones):
    """Sizes are searched CPUs first, then zones, with the fewest pages: one page suffices."""
    p = equivalence.prove("quiescent_equivalence", variant)
    dec = p.counterexample["decoded"]
    assert (dec["cpus"], dec["zones"]) == (cpus, zones)
    assert sum(map(sum, dec["count"])) == 1


@pytest.mark.parametrize("prop", PROPS)
@pytest.mark.parametrize("variant", ("v4-zalloc-fallback",) + MUTANTS)
def test_every_scan_premise_is_satisfiable_with_a_page_on_a_list(prop, variant):
    """The premises (and the witness: some pcp list holds a page) have a model."""
    pre, consts, funs = equivalence.premises_for_test(prop, variant)
    assert satisfied_by(pre, consts, funs).status == "sat"


def test_z3_counterexample_replays_through_drainverify_replay(tmp_path):
    """The artifact of a Z3 refutation is a model artifact: `drainverify replay` reproduces it."""
    p = equivalence.prove("quiescent_equivalence", "v5-last-zone-wins")
    f = tmp_path / "cex.json"
    f.write_text(json.dumps(p.counterexample))
    assert drainverify_main(["replay", str(f)]) == 0


def test_scan_holds_at_8192_cpus_and_5_zones_in_under_a_second():
    """The array encoding at NR_CPUS = 8192 x 5 zones, construction included, is unsat."""
    r = scale.check("v4-zalloc-fallback", 8192, 5)
    assert r.status == "holds" and r.seconds < 1.0


@pytest.mark.parametrize("variant", MUTANTS + ("mut-no-fallback", "mut-fallback-skips-local"))
def test_scan_mutants_fail_at_8192_cpus(variant):
    """At scale the same encoding finds a CPU whose pages the broadcast would take."""
    r = scale.check(variant, 8192, 5)
    assert r.status == "violated" and r.bad_cpu is not None and r.seconds < 1.0


def test_scale_check_agrees_with_the_unrolled_encoding_at_small_sizes():
    """At 3 CPUs x 2 zones the scale encoding and the unrolled one agree on every variant."""
    for v in ("v4-zalloc-fallback",) + MUTANTS:
        small = scale.check(v, 3, 2).status
        unrolled = equivalence.smallest_counterexample("quiescent_equivalence", S.shape_of(v), sizes=[(3, 2)])
        assert (small == "violated") == (unrolled is not None), v
