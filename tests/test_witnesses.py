"""Witnesses are selective: a run without a property's situation leaves its witness
unreached, and the matrix then says `unknown`, never a pass.

(The matrix tests check that every witness *is* reached within the default bound;
these check that it can stay unreached, so a witness reported on every run -- which
would turn every `unknown` below into `bounded` -- fails here.)"""
from __future__ import annotations

import json

import pytest

from drainverify.cli import main
from model import variants
from model.allocator import cpumask_alloc_outcomes, gfp_flags
from model.history import replay
from model.properties import BY_NAME, NAMES
from model.scenario import Scenario

# property -> (variant, the flags that leave its situation out of the bound)
WITHOUT = {
    "conservation": ("v3.2-broadcast", ["--pages", "0"]),                 # nothing to move
    "returns": ("v3.2-broadcast", ["--callers", "1"]),                    # no call overlaps another
    "quiescent_equivalence": ("v3.2-broadcast", ["--pages", "0"]),        # nothing to drain
    "misses_only_late_arrivals": ("v4-zalloc-fallback", ["--ops", "0"]),  # no page lands mid-call
    "entry_snapshot_drained": ("v4-zalloc-fallback", ["--callers", "1"]),
    "disabled_pcp_left_empty": ("v4-zalloc-fallback", ["--ops", "0"]),    # no allocation to straddle
    "ipi_only_where_pages": ("v4-zalloc-fallback", ["--cpus", "1"]),      # no other CPU to spare
    "zone_scoped": ("v3.19-zone", ["--pages", "0"]),                      # no other zone's pages
}


@pytest.mark.parametrize("prop", sorted(WITHOUT))
def test_a_bound_without_the_situation_grades_unknown(prop, tmp_path):
    v, flags = WITHOUT[prop]
    out = tmp_path / "m.json"
    main(["check", "--variant", v, "--property", prop, *flags, "--json", str(out)])
    c = json.loads(out.read_text())["variants"][v][prop]
    assert c["verdict"] == "unknown", c
    assert c["reason"] == f"witness never reached: {BY_NAME[prop].witness}"


def _one_call(variant, what="drain", pages=1, second=None):
    v = variants.get(variant)
    progs = ((what, None),) if what != "disable" else (("disable", 0),)
    return v, Scenario(ncpus=2, zone_names=("DMA32", "Normal"), high=4, batch=2, page_zone=(0,) * pages,
                       placement=(("pcp", 1),) * pages, programs=(progs, second or ()))


def _alloc_choice(v, cls):
    outs = cpumask_alloc_outcomes(gfp_flags(v.gfp, v.era), v.era, True, False)
    return [(("task", 0), next(i for i, o in enumerate(outs) if o.cls == cls))]


# property -> (run without the situation, run with it): (variant, scenario, offstack, choices)
def _runs(prop):
    if prop == "fallback_is_broadcast":
        v, s = _one_call("v4-zalloc-fallback")
        return (v, s, True, _alloc_choice(v, "slab")), (v, s, True, _alloc_choice(v, "fault"))
    if prop == "no_reclaim_recursion":
        v, s = _one_call("v4-zalloc-fallback", "reclaim_drain")
        v2 = variants.get("v4-zalloc-fallback")
        # the reclaim path's first step is the reclaim itself (progress), then the retry, then the drain
        from model.history import replay as _r
        h = _r(v2, s, True, "sc", [], props=[BY_NAME[prop]], run_to_end=True)
        first = [st.choice for st in h.steps]
        k = next(i for i, st in enumerate(h.steps) if any(e.kind == "mask_alloc" for e in st.events))
        outs = cpumask_alloc_outcomes(gfp_flags(v.gfp, v.era), v.era, True, False)
        slow = next(i for i, o in enumerate(outs) if o.cls == "reserves")
        return (v, s, True, first[:k + 1]), (v, s, True, first[:k] + [(first[k][0], slow)])
    variant, flags = WITHOUT[prop]
    v = variants.get(variant)
    if "--pages" in flags:
        _, without = _one_call(variant, pages=0)
        _, with_ = _one_call(variant, pages=1) if prop != "zone_scoped" else \
            (v, Scenario(ncpus=2, zone_names=("DMA32", "Normal"), high=4, batch=2, page_zone=(1,),
                         placement=(("pcp", 1),), programs=((("drain", 0),), ())))
        if prop == "zone_scoped":
            without = Scenario(ncpus=2, zone_names=("DMA32", "Normal"), high=4, batch=2, page_zone=(),
                               placement=(), programs=((("drain", 0),), ()))
        return (v, without, False, []), (v, with_, False, [])
    if "--callers" in flags:
        _, without = _one_call(variant)
        _, with_ = _one_call(variant, second=(("drain", None),))
        # cpu1's call takes its first step, then cpu0's runs to its end inside it
        return (v, without, False, []), (v, with_, False, [(("task", 1), 0)])
    if "--cpus" in flags:
        one = Scenario(ncpus=1, zone_names=("DMA32",), high=4, batch=2, page_zone=(0,), placement=(("pcp", 0),),
                       programs=((("drain", None),),))
        two = Scenario(ncpus=3, zone_names=("DMA32",), high=4, batch=2, page_zone=(0,), placement=(("pcp", 1),),
                       programs=((("drain", None),), (), ()))      # cpu2's lists are empty
        return (v, one, False, []), (v, two, False, [])
    return None


@pytest.mark.parametrize("prop", NAMES)
def test_a_run_without_the_situation_leaves_the_witness_unreached(prop):
    """And the same run with it reaches it (so the check itself can tell)."""
    runs = _runs(prop)
    if runs is None:       # the situation needs a specific interleaving: the bound test above covers it
        assert prop in WITHOUT
        return
    (v, s, off, ch), (v2, s2, off2, ch2) = runs
    p = BY_NAME[prop]
    assert not replay(v, s, off, "sc", ch, props=[p], run_to_end=True).witnessed(prop)
    assert replay(v2, s2, off2, "sc", ch2, props=[p], run_to_end=True).witnessed(prop)
