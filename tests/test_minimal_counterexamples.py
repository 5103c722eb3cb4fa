"""The exhaustive driver's first counterexample is the smallest one (issue: minimal
counterexamples under the actor model), and the explored space is pinned."""
from __future__ import annotations

from helpers import first_counterexample


def _size(f):
    s = f.scenario
    return s.ncpus, s.nzones, s.npages, s.ncallers


def test_last_zone_wins_needs_one_cpu_two_zones_one_page():
    """v5-last-zone-wins breaks quiescent_equivalence with 1 CPU, 2 zones, 1 page, 1 call."""
    f, _ = first_counterexample("v5-last-zone-wins", "quiescent_equivalence")
    assert _size(f) == (1, 2, 1, 1)
    assert f.scenario.placement == (("pcp", 0),) and f.scenario.page_zone == (0,)


def test_static_mask_race_needs_two_cpus_one_page_two_callers():
    """v3.4-static-mask breaks entry_snapshot_drained with 2 CPUs, 1 page, 2 overlapping callers."""
    f, _ = first_counterexample("v3.4-static-mask", "entry_snapshot_drained")
    assert (f.scenario.ncpus, f.scenario.npages, f.scenario.ncallers) == (2, 1, 2)


def test_masked_disable_race_needs_two_cpus_two_pages_and_old_batch_two():
    """v4-zalloc-fallback leaves a page on a disabled list with 2 CPUs, 2 pages and batch 2 under sc."""
    f, _ = first_counterexample("v4-zalloc-fallback", "disabled_pcp_left_empty")
    s = f.scenario
    assert (s.ncpus, s.npages, s.ncallers) == (2, 2, 1)
    assert s.batch == 2
    items = sorted(it[0] for prog in s.programs for it in prog)
    assert items == ["alloc", "disable"]


def test_masked_disable_race_disappears_with_batch_one():
    """With an old batch of 1 a refill brings one page and the allocation takes it: under sc no
    page strands within the default bound (DESIGN.md §4: the race needs batch >= 2)."""
    f, r = first_counterexample("v4-zalloc-fallback", "disabled_pcp_left_empty", batch=1, high=4)
    assert f is None and r.scenarios > 0


def test_cpu_off_by_one_needs_one_cpu():
    """mut-cpu-off-by-one breaks quiescent_equivalence on a single CPU."""
    f, _ = first_counterexample("mut-cpu-off-by-one", "quiescent_equivalence")
    assert f.scenario.ncpus == 1


def test_explored_space_of_the_seed_patch_is_pinned():
    """The number of scenarios and distinct states of one small bound is fixed; a change to what is
    reachable changes it on purpose."""
    f, r = first_counterexample("v4-zalloc-fallback", "entry_snapshot_drained", cpus=2, pages=1, callers=1, size=3)
    assert f is None
    assert (r.scenarios, r.states) == PINNED


PINNED = (208, 3224)
