"""Pricing: counts are affine between the runner's samples, so the break-even found
by interpolation is exact; regimes, prices and SLUB slab orders behave as documented."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # until pyproject lists `cost`

import pytest

from cost import params, pricing, runner, study
from cost import variants as cv

FIELDS = ("deliveries", "idle_disturbed", "scans", "bitops", "pcp_locks", "mask_allocs", "pages_drained",
          "local_runs")


@pytest.mark.parametrize("vn", cv.DEFAULT_VARIANTS)
def test_counts_are_affine_between_the_sampled_occupancies(vn):
    """At 16 CPUs every count at every occupancy equals the interpolation of the sparse samples (no samples at i/s)."""
    n = 16
    full = {k: runner.sweep_point(vn, n, 2, k, True, "ok") for k in range(n + 1)}
    ks = study.occupancy_samples(n, 0, cv.get(vn))
    for f in FIELDS:
        ys = [getattr(full[k], f) for k in ks]
        for k in range(n + 1):
            assert getattr(full[k], f) == pytest.approx(study.interp(list(ks), ys, k)), (vn, f, k)


def test_mel_two_pass_is_sampled_on_both_sides_of_its_threshold():
    """The occupancy axis of Mel's variant brackets the 50%-empty switch."""
    assert {2048, 2049} <= set(study.occupancy_samples(4096, 0, cv.get("mel-two-pass")))
    assert study.occupancy_samples(4096, 0, cv.get("v4-zalloc-fallback")) == (0, 1, 4096)


def test_break_even_interpolates_the_first_crossing():
    """The break-even is where the cost difference first stops being negative."""
    assert pricing.break_even([0, 0.5, 1], [-10, 10, 20])["pays_below"] == pytest.approx(0.25)
    assert pricing.break_even([0, 1], [-1, -1])["pays_below"] == 1.0
    assert pricing.break_even([0, 1], [5, -1])["pays_below"] == 0.0


@pytest.mark.parametrize("ncpus,pages", [(1, 1), (8, 1), (64, 1), (512, 1), (1024, 2), (2048, 4), (4096, 8)])
def test_slab_pages_follow_slub_calculate_order(ncpus, pages):
    """A slab miss for the cpumask takes a slab of SLUB's calculate_order() for its kmalloc size."""
    assert pricing.slab_pages(ncpus) == pages


@pytest.mark.parametrize("regime", pricing.REGIMES)
@pytest.mark.parametrize("m,r", [(0.0, 0.0), (0.3, 0.5), (1.0, 1.0)])
def test_regime_weights_sum_to_one(regime, m, r):
    """The allocator outcome weights of each regime form a probability distribution."""
    p = params.CostParams(slab_miss=m, pressure_slab_miss=m, reserve_fail=r)
    assert sum(w for _, w, _ in pricing.regime_weights(regime, p, True)) == pytest.approx(1.0)
    assert pricing.regime_weights(regime, p, False) == [("ok", 1.0, False)]


def test_cost_scales_with_the_prices():
    """Doubling every price doubles the cost of a run (the model is linear in the prices)."""
    c = runner.sweep_point("v4-zalloc-fallback", 16, 2, 5, True, "ok")
    p = params.CostParams()
    p2 = replace(p, ipi_ns=2 * p.ipi_ns, wakeup_ns=2 * p.wakeup_ns, scan_ns=2 * p.scan_ns, alloc_ns=2 * p.alloc_ns,
                 page_alloc_ns=2 * p.page_alloc_ns)
    assert pricing.run_cost(c, p2, 1.0, True)["total"] == pytest.approx(2 * pricing.run_cost(c, p, 1.0, True)["total"])


def test_a_slab_miss_adds_the_page_allocator_to_the_allocation():
    """An expected slab miss rate adds page_alloc_ns per allocation, weighted by the rate."""
    c = runner.sweep_point("v4-zalloc-fallback", 8, 2, 2, True, "ok")
    p0 = params.CostParams()
    p1 = replace(p0, slab_miss=0.25)
    e0 = pricing.expected({"ok": c}, "normal", p0, True, 8)
    e1 = pricing.expected({"ok": c}, "normal", p1, True, 8)
    assert e1.cost["total"] - e0.cost["total"] == pytest.approx(0.25 * p0.page_alloc_ns)
    assert e1.slab_misses == pytest.approx(0.25)


@pytest.mark.parametrize("bad", [dict(ipi_ns=-1), dict(scan_ns=float("nan")), dict(wakeup_ns=float("inf")),
                                 dict(slab_miss=1.5), dict(reserve_fail=-0.1)])
def test_bad_parameters_are_rejected_with_a_one_line_message(bad):
    """A negative, non-finite price or a probability outside [0, 1] raises ParamError."""
    with pytest.raises(params.ParamError) as exc:
        params.CostParams(**bad).validate()
    assert "\n" not in str(exc.value)


def test_every_default_names_a_source_or_is_labelled_an_assumption():
    """Each parameter documents where its default comes from, or says it is an assumption."""
    for d in params.DEFAULTS.described():
        assert d["basis"]
        assert d["assumption"] or d["source"]
