"""The cost model's counts come from the model: re-derived here by stepping
`Runtime.enabled()[0]` literally and counting the events independently."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # until pyproject lists `cost`

import pytest

from cost import params, runner, study
from cost import variants as cv
from model.runtime import Runtime


def literal_run(scn, variant, offstack=True):
    """Step the first enabled choice of `Runtime.enabled` until nothing is enabled."""
    rt = Runtime(scn, variant, offstack, "sc", ())
    node = rt.initial_node()
    events = []
    while True:
        en = rt.enabled(node)
        if not en:
            return node, events
        st = rt.step(node, en[0])
        events.extend(st.events)
        node = st.node


def independent_counts(events, caller=0):
    calls = {ev.call for ev in events if ev.kind == "call"}
    mine = [ev for ev in events if ev.call in calls]
    delivered = set()
    for ev in mine:
        if ev.kind == "ipi":
            delivered.update(ev.targets)
        elif ev.kind == "work":
            delivered.add(ev.target)
    delivered.discard(caller)
    return {
        "deliveries": len(delivered),
        "scans": sum(ev.kind == "scan" for ev in mine),
        "bitops": sum(ev.kind == "mask" and ev.get("shared") is not None for ev in mine),
        "pcp_locks": sum(ev.kind == "pcp_lock" for ev in mine),
        "mask_allocs": sum(ev.kind == "mask_alloc" for ev in mine),
        "pages_drained": sum(len(ev.pages) for ev in mine if ev.kind == "drain"),
    }


@pytest.fixture(scope="module")
def small_result():
    return study.compute(params.CostParams(), cpus=8, zones=2, steps=8, workload_cpus=(8,), jobs=1)


def test_every_sweep_point_in_the_result_is_what_the_model_does(small_result):
    """Each (variant, CPUs, occupancy) point of the result equals a literal first-enabled run of the model."""
    checked = 0
    for vn, per_n in small_result["sweep"].items():
        for n, rows in per_n.items():
            for row in rows:
                scn = runner.sweep_scenario(int(n), 2, row["nonempty"])
                _, events = literal_run(scn, cv.get(vn))
                got = independent_counts(events)
                for k, v in got.items():
                    assert row["counts"][k] == v, (vn, n, row["nonempty"], k)
                checked += 1
    assert checked > 100


def test_sweep_holders_put_the_callers_page_first():
    """The caller holds the first page and the other pages go to the highest-numbered CPUs."""
    assert runner.sweep_holders(8, 0) == ()
    assert runner.sweep_holders(8, 1) == (0,)
    assert runner.sweep_holders(8, 3) == (0, 6, 7)
    assert runner.sweep_holders(8, 8) == tuple(range(8))


def test_the_seed_at_full_occupancy_interrupts_every_other_cpu_and_allocates_once():
    """With a page on every CPU the seed allocates one mask, scans every cpu x zone and IPIs all other CPUs."""
    c = runner.sweep_point("v4-zalloc-fallback", 16, 2, 16, True, "ok")
    assert (c.deliveries, c.scans, c.mask_allocs, c.local_runs, c.pages_drained) == (15, 32, 1, 1, 16)


def test_a_failed_mask_allocation_is_the_broadcast_fallback():
    """Choosing the failing allocator outcome makes the seed fall back to on_each_cpu()."""
    c = runner.sweep_point("v4-zalloc-fallback", 8, 2, 2, True, "fail")
    assert c.mask_alloc_fail == 1 and c.fallbacks == 1 and c.broadcasts == 1
    assert c.deliveries == 7 and c.scans == 0
    assert any("gives up" in p for p in c.alloc_paths)


def test_a_reserve_allocation_is_counted_and_still_masks():
    """The below-watermark outcome allocates from the reserves and IPIs only the CPUs with pages."""
    c = runner.sweep_point("v4-zalloc-fallback", 8, 2, 3, True, "reserve")
    assert c.reserve_allocs == 1 and c.fallbacks == 0 and c.deliveries == 2


def test_offstack_n_allocates_nothing_that_is_priced():
    """With CONFIG_CPUMASK_OFFSTACK=n the mask is on the stack and its allocation costs nothing."""
    from cost.pricing import run_cost
    c = runner.sweep_point("v4-zalloc-fallback", 8, 2, 0, False, "ok")
    assert c.alloc_paths and all("stack" in p for p in c.alloc_paths)
    assert run_cost(c, params.CostParams())["alloc"] == 0


def test_a_variant_that_never_allocates_reuses_its_one_run_for_every_outcome():
    """Outcome classes other than "ok" are not re-run for a drain that never called the allocator."""
    cache = runner.PointCache(None)
    got = runner.run_points([("v3.2-broadcast", 4, 2, 1, True, "ok"), ("v3.2-broadcast", 4, 2, 1, True, "fail")],
                            cache)
    a, b = got.values()
    assert a == b and a.outcome == "none" and cache.misses == 1


def test_counts_survive_the_disk_cache(tmp_path):
    """Counts written to the on-disk cache are read back equal, under the source fingerprint."""
    key = ("v4-zalloc-fallback", 8, 2, 4, True, "ok")
    first = runner.PointCache(tmp_path)
    got = runner.run_points([key], first)[key]
    first.save()
    second = runner.PointCache(tmp_path)
    assert second.get(key) == got
    assert (tmp_path / f"cost-{runner.fingerprint()}.json").exists()


def test_a_1024_cpu_broadcast_interrupts_all_1023_other_cpus():
    """The driver keeps large runs linear: a 1024-CPU broadcast completes with every remote CPU interrupted."""
    c = runner.sweep_point("v3.2-broadcast", 1024, 2, 1024, True, "ok")
    assert c.deliveries == 1023 and c.pages_drained == 1024 and c.ipis == 1023
