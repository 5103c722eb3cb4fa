"""Encoding <-> model conformance: Hypothesis draws concrete states and schedules, and
each Z3 encoding must compute exactly what `model/` computes on them."""
from __future__ import annotations

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import variants
from model.allocator import ERAS
from model.explore import Bound, SweepResult, explore_scenario
from model.properties import BY_NAME
from model.runtime import Runtime
from model.scenario import Scenario
from proofs import races as R
from proofs import recursion
from proofs.conform import StepChecker, allocator_differences, scan_differences

SETTINGS = dict(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SCAN_VARIANTS = ("v4-zalloc-fallback", "v5-last-zone-wins", "mut-first-zone-only", "mut-cpu-off-by-one",
                 "mut-no-fallback", "mut-fallback-skips-local", "mut-mask-leak")


@settings(max_examples=80, **SETTINGS)
@given(gfp=st.sampled_from(["GFP_ATOMIC", "GFP_KERNEL"]), era=st.sampled_from(ERAS),
       offstack=st.booleans(), memalloc=st.booleans())
def test_allocator_encoding_decides_like_model_allocator(gfp, era, offstack, memalloc):
    """gfp flags by era, may_direct_reclaim, reserves and every zalloc_cpumask_var() path agree."""
    assert allocator_differences(gfp, era, offstack, memalloc) == []


@st.composite
def quiescent_calls(draw):
    variant = draw(st.sampled_from(SCAN_VARIANTS))
    n, zn = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    caller = draw(st.integers(0, n - 1))
    online = [c == caller or draw(st.booleans()) for c in range(n)]
    counts = [[draw(st.integers(0, 2)) if online[c] else 0 for _ in range(zn)] for c in range(n)]
    return variant, online, counts, caller, draw(st.booleans())


@settings(max_examples=80, **SETTINGS)
@given(quiescent_calls())
def test_scan_encoding_drains_the_cpus_the_model_drains(case):
    """On a lone call, the unrolled scan drains exactly the CPUs the model's drain reaches."""
    variant, online, counts, caller, alloc_ok = case
    assert scan_differences(variant, online, counts, caller, alloc_ok) == []


RACE_CASES = (("v3.4-static-mask", R.ENTRY), ("v4-zalloc-fallback", R.ENTRY), ("v4-zalloc-fallback", R.DISABLED),
              ("v6.0-remote-lock", R.DISABLED), ("v5.11-force-all", R.DISABLED), ("v6.11-locked-count", R.DISABLED),
              ("v5-last-zone-wins", R.DISABLED))
_CHECKERS: dict = {}


def _checker(variant, prop):
    if (variant, prop) not in _CHECKERS:
        v = variants.get(variant)
        h = R.entry_harness(v) if prop == R.ENTRY else R.disabled_harness(v, nzones=2, pages=3, callers=2)
        _CHECKERS[(variant, prop)] = StepChecker(variant, h)
    return _CHECKERS[(variant, prop)]


@st.composite
def harness_runs(draw):
    variant, prop = draw(st.sampled_from(RACE_CASES))
    h = _checker(variant, prop).sysm.h
    progs = draw(st.lists(st.integers(0, len(h.menu) - 1), min_size=h.ncpus, max_size=h.ncpus)
                 .filter(lambda ps: sum(h.is_call(i) for i in ps) <= h.max_callers))
    left = h.pages - sum(1 for i in progs for it in h.menu[i] if it[0] == "free")
    counts = [[0] * h.nzones for _ in range(h.ncpus)]
    bud = [0] * h.nzones
    for _ in range(draw(st.integers(0, max(left, 0)))):
        z = draw(st.integers(0, h.nzones - 1))
        if draw(st.booleans()):
            counts[draw(st.integers(0, h.ncpus - 1))][z] += 1
        else:
            bud[z] += 1
    picks = draw(st.lists(st.integers(0, 6), max_size=40))
    return variant, prop, progs, counts, bud, picks


@settings(max_examples=60, **SETTINGS)
@given(harness_runs())
def test_bmc_transition_takes_the_models_steps(case):
    """Along a schedule the model takes, the encoding enables the same actors, reaches the same
    counts, buddy, masks, holders and owed pages, and gives the same verdicts and witnesses."""
    variant, prop, progs, counts, bud, picks = case
    assert _checker(variant, prop).run(progs, counts, bud, picks) == []


@pytest.mark.parametrize("variant", [n for n, v in variants.CORPUS.items() if v.allocates])
def test_horn_clauses_recurse_exactly_when_the_model_nests_reclaim(variant):
    """Spacer's verdict in the variant's era matches exhaustive exploration of a drain called
    from direct reclaim in the model (every allocation outcome, OFFSTACK=y)."""
    v = variants.get(variant)
    _, res = recursion.solve(recursion.rules(v, recursion.A.era_index(v.era)))
    scn = Scenario(ncpus=1, zone_names=("DMA32",), high=4, batch=2, page_zone=(), placement=(),
                   programs=((("reclaim_drain", None),),))
    prop = BY_NAME["no_reclaim_recursion"]
    rt = Runtime(scn, v, True, "sc", properties=[prop])
    sweep = SweepResult(v.name, True, "sc", Bound())
    explore_scenario(rt, sweep, [prop.name], 0.0, 10_000)
    assert (res == z3.sat) == (prop.name in sweep.findings)


def test_the_lockstep_check_catches_a_wrong_transition(monkeypatch):
    """A broken encoding (a free that forgets count++) is caught: the check is not vacuous."""
    from model import kernel as K
    from proofs import step
    real = step.op_effect

    def broken(sysm, op, m, s, cpu):
        out = real(sysm, op, m, s, cpu)
        if isinstance(op, K.FreeHotColdPage):
            z = sysm.rt.page_zone[op.page]
            out[("cnt", cpu, z)] = m[("cnt", cpu, z)]
        return out

    monkeypatch.setattr(step, "op_effect", broken)
    v = variants.get("v4-zalloc-fallback")
    chk = StepChecker("v4-zalloc-fallback", R.disabled_harness(v))
    free_then_disable = [R.disabled_harness(v).menu.index((("free", 0),)),
                         R.disabled_harness(v).menu.index((("disable", 0),))]
    diffs = chk.run(free_then_disable, [[0], [0]], [0], [0] * 10)
    assert any("count cpu0" in d for d in diffs)
