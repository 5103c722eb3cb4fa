"""Races by bounded model checking over the model's own generators: the racy drains
refuted at their minimal length (replayed in the model), the fixes bounded-verified."""
from __future__ import annotations

import pytest
import z3

from model import variants
from proofs import races as R
from proofs.bmc import Sched, State, System, initial, num
from proofs.step import footprint, independent, transition
from tests.helpers import first_counterexample

REFUTED = [("v3.4-static-mask", R.ENTRY, 10), ("v4-zalloc-fallback", R.DISABLED, 6),
           ("v6.0-remote-lock", R.DISABLED, 10)]


def _harness(variant, prop):
    v = variants.get(variant)
    return R.entry_harness(v) if prop == R.ENTRY else R.disabled_harness(v)


@pytest.mark.parametrize("variant,prop,length", REFUTED)
def test_racy_drains_are_refuted_at_the_minimal_length_and_replayed(variant, prop, length):
    """BMC finds the violation at its minimal length; the decoded schedule replays in the model."""
    p = R.prove(prop, variant)
    assert p.grade == "refuted", p.reason
    art = p.counterexample
    assert art["replayed"] and art["decoded"]["length"] == length
    assert art["schedule_from_solver"] == length


@pytest.mark.parametrize("variant,prop,length", REFUTED)
def test_bmc_minimal_length_agrees_with_the_exhaustive_explorer(variant, prop, length):
    """The model's breadth-first explorer, on the same sizes, finds a schedule of the same length."""
    f, _ = first_counterexample(variant, prop, cpus=2, zones=1, pages=2, callers=2, ops=1, size=5)
    assert f is not None and len(f.choices) == length


@pytest.mark.parametrize("variant", ["v5.11-force-all", "v6.11-locked-count"])
def test_fixed_drains_leave_disabled_lists_empty_in_every_interleaving(variant):
    """Every interleaving of every scenario of the harness, with the straddling witness reached."""
    p = R.prove(R.DISABLED, variant, budget_s=600.0)   # the bound, not the clock, ends it
    assert p.grade == "bounded", p.reason
    assert "every interleaving" in p.bound and "witness reached" in p.detail


def test_completeness_bound_is_never_exceeded():
    """At the static bound no actor is enabled in any run: the BMC really covers every run."""
    sysm = System(variants.get("v4-zalloc-fallback"), _harness("v4-zalloc-fallback", R.DISABLED))
    bound = R.completeness_bound(sysm)
    s = z3.SolverFor("QF_BV")
    progs = [num(f"program_cpu{c}") for c in range(sysm.h.ncpus)]
    states = [State(sysm, 0)]
    s.add(*initial(sysm, states[0], progs))
    for k in range(1, bound + 2):
        states.append(State(sysm, k))
        step = transition(sysm, states[k - 1], states[k], Sched(sysm, k - 1))
        s.add(*step.constraints)
    s.add(step.any_enabled)           # something still enabled at state `bound`
    assert s.check() == z3.unsat


@pytest.mark.parametrize("variant,prop", [(v, p) for v, p, _ in REFUTED]
                         + [("v5.11-force-all", R.DISABLED), ("v6.11-locked-count", R.DISABLED)])
def test_every_race_harness_has_a_satisfiable_initial_state(variant, prop):
    """The premises of the BMC (programs, pages, idle CPUs) have a model."""
    sysm = System(variants.get(variant), _harness(variant, prop))
    s = z3.SolverFor("QF_BV")
    s.add(*initial(sysm, State(sysm, 0), [num(f"p{c}") for c in range(sysm.h.ncpus)]))
    assert s.check() == z3.sat


def test_an_action_the_encoding_lacks_is_reported_unknown_not_proved():
    """mut-count-not-reset breaks count == list length; the BMC says so instead of answering."""
    p = R.prove(R.DISABLED, "mut-count-not-reset")
    assert p.grade == "unknown" and "not encodable" in p.reason


def test_partial_order_reduction_only_swaps_independent_steps():
    """A free and a load of the same count conflict; loads of different lists commute."""
    sysm = System(variants.get("v4-zalloc-fallback"), _harness("v4-zalloc-fallback", R.DISABLED))
    fps = {}
    for slot in sysm.slots:
        for pid in slot.pids:
            op = sysm.pos[pid].op
            fps.setdefault((type(op).__name__, slot.cpu, getattr(op, "target", None)), footprint(sysm, slot,
                                                                                               sysm.pos[pid]))
    free_on_cpu0 = fps[("FreeHotColdPage", 0, None)]
    cpu1_loads_cpu0 = fps[("ReadPcpCount", 1, 0)]
    cpu0_loads_cpu1 = fps[("ReadPcpCount", 0, 1)]
    assert not independent(free_on_cpu0, cpu1_loads_cpu0)
    assert independent(cpu1_loads_cpu0, cpu0_loads_cpu1)
