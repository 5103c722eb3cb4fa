"""Workloads on the model: what the isolated, every-CPU-busy and pressure layouts
make each variant's drain do, as claims on the numbers."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # until pyproject lists `cost`

import pytest

from cost import params, runner, workloads
from cost import variants as cv
from model import variants as corpus

P = params.CostParams()
MASKED = [v for v in cv.DEFAULT_VARIANTS if v != cv.BASELINE]


@pytest.fixture(scope="module")
def isolated():
    return workloads.run_workload("isolated", 64, 2, cv.DEFAULT_VARIANTS, P)


@pytest.fixture(scope="module")
def hackbench():
    return workloads.run_workload("hackbench", 64, 2, cv.DEFAULT_VARIANTS, P)


@pytest.fixture(scope="module")
def pressure():
    return workloads.run_workload("pressure", 64, 2, cv.DEFAULT_VARIANTS, P)


def test_isolated_cpus_are_never_disturbed_by_a_masked_drain_and_all_by_the_broadcast(isolated):
    """With 60 of 64 CPUs isolated and idle, every masked variant wakes none of them, the broadcast all 60."""
    assert isolated["idle_cpus"] == 60
    for vn in MASKED:
        assert isolated["variants"][vn]["expected"]["idle_disturbed"] == 0, vn
    assert isolated["variants"][cv.BASELINE]["expected"]["idle_disturbed"] == 60
    assert isolated["occupancy"]["0"] == 60


def test_every_cpu_having_pages_saves_no_ipi_and_makes_the_allocation_pure_cost(hackbench):
    """Hackbench leaves pages on every CPU: the seed interrupts as many CPUs as the broadcast and only adds cost."""
    assert hackbench["nonempty"] == 64 and "0" not in hackbench["occupancy"]
    seed = hackbench["variants"]["v4-zalloc-fallback"]
    base = hackbench["variants"][cv.BASELINE]
    assert seed["deliveries_saved"] == 0
    assert seed["expected"]["deliveries"] == base["expected"]["deliveries"] == 63
    assert seed["expected"]["mask_allocs"] == 1
    extra = seed["cost_vs_broadcast_ns"]
    assert extra == pytest.approx(seed["expected"]["scans"] * P.scan_ns + P.alloc_ns)
    assert extra > 0
    for vn in ("mel-two-pass", "v3.4-static-mask", "v4.11-wq-mutex"):
        assert hackbench["variants"][vn]["deliveries_saved"] == 0, vn
        assert hackbench["variants"][vn]["cost_vs_broadcast_ns"] > 0, vn


def test_the_pressure_phase_drains_from_direct_reclaim_and_saves_most_ipis(pressure):
    """After the pressure phase an eighth of the CPUs hold pages and the seed's reclaim drain saves ~87% of the IPIs."""
    assert pressure["regime"] == "pressure" and pressure["drain"] == ["reclaim_drain", None]
    assert pressure["nonempty"] == 8
    seed = pressure["variants"]["v4-zalloc-fallback"]
    assert seed["deliveries_saved_pct"] > 85
    assert seed["runs"]["reserve"]["reserve_allocs"] == 1
    assert seed["reserve_pages"] == pytest.approx(1.0)      # slab miss certain, reserves suffice
    lay = workloads.layout("pressure", 64, 2)
    _, _, events, _ = runner.drive(workloads.after_phase(lay), cv.get("v4-zalloc-fallback"), True, "reserve")
    assert [ev.ctx for ev in events if ev.kind == "call"] == ["reclaim"]


def test_exhausted_reserves_make_the_seed_fall_back_to_the_broadcast():
    """If every slab miss under pressure finds the reserves exhausted, the seed's drain is the broadcast."""
    p = replace(P, reserve_fail=1.0)
    r = workloads.run_workload("pressure", 16, 2, [cv.BASELINE, "v4-zalloc-fallback"], p)
    seed = r["variants"]["v4-zalloc-fallback"]
    assert seed["expected"]["fallbacks"] == pytest.approx(1.0)
    assert seed["expected"]["deliveries"] == pytest.approx(15)
    assert seed["deliveries_saved"] == pytest.approx(0)
    assert seed["cost_vs_broadcast_ns"] > 0


def test_a_workload_phase_is_deterministic_for_a_seed():
    """The same workload, size and seed leave the same occupancy."""
    a = workloads.occupancy(workloads.after_phase(workloads.layout("hackbench", 32, 2, seed=3)))
    b = workloads.occupancy(workloads.after_phase(workloads.layout("hackbench", 32, 2, seed=3)))
    assert a == b


@pytest.mark.parametrize("k", range(9))
def test_mel_two_pass_drains_the_pages_the_broadcast_drains(k):
    """Mel's variant moves every pcp page to buddy at every occupancy, like on_each_cpu()."""
    m = runner.sweep_point("mel-two-pass", 8, 2, k, True, "ok")
    b = runner.sweep_point(cv.BASELINE, 8, 2, k, True, "ok")
    assert m.pages_drained == b.pages_drained == k
    assert m.deliveries == (b.deliveries if k > 4 else max(k - 1, 0))


def test_mel_two_pass_stays_out_of_the_corpus():
    """The cost-only variant is not registered in the corpus the property matrix judges."""
    assert "mel-two-pass" not in corpus.CORPUS
    assert cv.get("mel-two-pass").name == "mel-two-pass"


def test_unknown_workload_is_rejected():
    """Asking for a workload that does not exist raises a ValueError naming the known ones."""
    with pytest.raises(ValueError, match="hackbench"):
        workloads.layout("nope", 8, 2)
