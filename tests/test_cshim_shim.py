"""The shim's semantics: what a C primitive becomes in the model, where C state
lives, and the limits we know of (cshim, docs/c-shim.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

import cshim
from cshim import gfp as eras
from model import eras as model_eras
from model.allocator import gfp_flags
from model.explore import Bound, sweep
from model.format import lanes
from model.history import replay, to_artifact
from model.properties import BY_NAME, LADDER
from model.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "c_corpus"
GOLDEN = Path(__file__).with_name("golden")
ZONES = ("DMA32", "Normal")


def corpus(name, api, **kw):
    return cshim.load(CORPUS / f"{name}.c", api, **kw)


def scenario(ncpus, placement, programs, page_zone=None):
    page_zone = page_zone or tuple(0 for _ in placement)
    return Scenario(ncpus=ncpus, zone_names=ZONES, high=4, batch=2, page_zone=page_zone,
                    placement=placement, programs=programs).validate()


def events(h, kind):
    return [e for st in h.steps for e in st.events if e.kind == kind]


def compile_text(tmp_path, name, text, api, **kw):
    f = tmp_path / f"{name}.c"
    f.write_text(text)
    return cshim.load(f, api, **kw)


# --- building ------------------------------------------------------------------------

def test_the_kernel_headers_a_drain_includes_resolve_to_the_shim(tmp_path):
    """<linux/mm.h>, gfp, cpumask, smp, percpu, mutex and workqueue all build; so does a file with no #include."""
    heads = "".join(f"#include <linux/{h}.h>\n" for h in
                    ("mm", "gfp", "cpumask", "smp", "percpu", "mutex", "workqueue"))
    body = "void drain_all_pages(struct zone *zone)\n{\n\ton_each_cpu((smp_call_func_t)drain_local_pages, zone, 1);\n}\n"
    for name, text in (("with", heads + body), ("without", body)):
        v = compile_text(tmp_path, name, text, "v5.11")   # raises BuildError if it does not build
        assert callable(v.drain_all_pages)
        v.close()


def test_builds_are_cached_by_the_hash_of_source_api_and_shim(tmp_path):
    """Loading the same file again reuses both executables; an edit builds new ones."""
    f = tmp_path / "b.c"
    f.write_text("void drain_all_pages(void)\n{\n\ton_each_cpu(drain_local_pages, NULL, 1);\n}\n")
    cache = tmp_path / "cache"
    first = cshim.load(f, "v3.2", cache=cache)
    again = cshim.load(f, "v3.2", cache=cache)
    assert first.build_for(True).exe == again.build_for(True).exe
    assert len(list(cache.iterdir())) == 2                    # OFFSTACK=n and =y
    f.write_text(f.read_text() + "\n/* edited */\n")
    cshim.load(f, "v3.2", cache=cache)
    assert len(list(cache.iterdir())) == 4
    cshim.load(f, "v3.4", cache=cache)
    assert len(list(cache.iterdir())) == 6


def test_each_era_has_its_own_struct_layout(tmp_path):
    """v6.0 has zone->per_cpu_pageset and pcp->count; code written for v5.11's zone->pageset does not build."""
    body = ("void drain_all_pages(struct zone *zone)\n{\n\tstruct per_cpu_pageset *p = "
            "per_cpu_ptr(zone->pageset, 0);\n\tif (p->pcp.count)\n\t\tdrain_local_pages(zone);\n}\n")
    compile_text(tmp_path, "old", body, "v5.11").close()
    with pytest.raises(cshim.BuildError, match="pageset"):
        compile_text(tmp_path, "new", body, "v6.0")


def test_static_cpumasks_become_model_slots_and_ingredients_follow_the_source():
    """A function-static cpumask_t is a shared slot; flags come from what the entry reaches."""
    v34 = corpus("v3.4-static-mask", "v3.4")
    assert v34.mask_names == ("cpus_with_pcps",) and v34.delivers and not v34.allocates
    v5 = corpus("v5-last-zone-wins", "v3.2", init="setup_cpus_with_pcps")
    assert [k for _, k, _ in v5.build_for(False).registry] == ["m"]       # cpumask_var_t is an array
    assert [k for _, k, _ in v5.build_for(True).registry] == ["p"]        # ... or a pointer set at boot
    assert not v5.allocates                                               # the init's allocation is boot-time
    assert corpus("v4-zalloc-fallback", "v3.2").allocates
    assert not corpus("v4.11-wq-mutex", "v4.11").owes_null_zone
    assert not corpus("v6.0-remote-lock", "v6.0").delivers


def test_gfp_flags_decode_to_the_names_the_allocator_judges():
    """GFP_ATOMIC/GFP_KERNEL of each era decode to model.allocator's flag sets."""
    for api in ("v3.2", "v4.11", "v6.0", "v6.11"):
        era = model_eras.named(api)
        bits = eras.gfp_bits(era)
        for name in ("GFP_ATOMIC", "GFP_KERNEL"):
            value = sum(bits[f] for f in eras.gfp_composites(era)[name])
            label, flags = eras.gfp_decode(era, value)
            assert label == name and flags == gfp_flags(name, api[1:])
    assert eras.gfp_decode("3.2", bits_of("3.2", "__GFP_HIGH", "__GFP_NOWARN"))[0] == "__GFP_HIGH|__GFP_NOWARN"


def bits_of(era, *names):
    return sum(eras.gfp_bits(era)[n] for n in names)


# --- what C primitives become -------------------------------------------------------------

def test_an_ipi_runs_the_c_function_on_the_target_cpu_with_the_zone_it_was_given():
    """v3.19: the IPI names drain_local_pages and carries the zone; cpu1's handler drains only that zone."""
    v = corpus("v3.19-zone", "v3.19")
    scn = scenario(2, (("pcp", 1), ("pcp", 1)), ((("drain", 1),), ()), page_zone=(0, 1))
    h = replay(v, scn, False, "sc", [], props=LADDER)
    ipi = events(h, "ipi")
    assert [(e.func, e.info, e.targets) for e in ipi] == [("drain_local_pages", 1, (1,))]
    drains = [(e.cpu, e.target, e.zone, e.pages) for e in events(h, "drain") if e.pages]
    assert drains == [(1, 1, 1, (1,))]
    assert h.final.pcp[1][0] == (0,)                                  # DMA32 untouched


def test_a_work_item_sees_the_zone_its_caller_stored_in_the_per_cpu_struct():
    """v5.11: drain->zone, written by the caller, reaches the worker; v4.11's worker drains every zone."""
    scn = scenario(2, (("pcp", 1), ("pcp", 1)), ((("drain", 1),), ()), page_zone=(0, 1))
    for name, api, zones in (("v5.11-force-all", "v5.11", {1}), ("v4.11-wq-mutex", "v4.11", {0, 1})):
        h = replay(corpus(name, api), scn, False, "sc", [], props=LADDER)
        work = events(h, "work")
        assert [(e.func, e.target) for e in work] == [("drain_local_pages_wq", 1)]
        assert {e.zone for e in events(h, "drain") if e.pages} == zones, name


def test_zone_pcp_disable_runs_the_files_drain_forced_on_every_cpu():
    """v5.11+: the shim's zone_pcp_disable() writes high/batch, then __drain_all_pages(zone, true)."""
    v = corpus("v5.11-force-all", "v5.11")
    h = replay(v, scenario(2, (), ((("disable", 0),), ())), False, "sc", [], props=LADDER)
    assert [e.kind for st in h.steps for e in st.events if e.kind in ("disable", "work")] == \
        ["disable", "work", "work"]
    assert {(e.target, e.why) for e in events(h, "work")} == {(0, "forced"), (1, "forced")}
    assert not events(h, "scan")                                   # force_all_cpus reads no count


def test_c_stores_to_pcp_count_become_model_stores(tmp_path):
    """A file-defined v3.2 drain_pages() that writes pcp->count = 0 keeps every count honest."""
    v = compile_text(tmp_path, "store", """
static void drain_pages(unsigned int cpu)
{
	unsigned long flags;
	struct zone *zone;

	for_each_populated_zone(zone) {
		struct per_cpu_pages *pcp;

		local_irq_save(flags);
		pcp = &per_cpu_ptr(zone->pageset, cpu)->pcp;
		if (pcp->count) {
			free_pcppages_bulk(zone, pcp->count, pcp);
			pcp->count = 0;
		}
		local_irq_restore(flags);
	}
}

void drain_all_pages(void)
{
	on_each_cpu(drain_local_pages, NULL, 1);
}
""", "v3.2")
    h = replay(v, scenario(2, (("pcp", 1),), ((("drain", None),), ())), False, "sc", [], props=LADDER)
    assert [(e.target, e.value) for e in events(h, "pcp_store")] == [(1, (1, 0))]
    assert h.final.count == ((0, 0), (0, 0)) and h.final.buddy[0] == (0,)
    r = sweep(v, Bound(cpus=2, pages=2, callers=1, size=3), False,
              props=[BY_NAME["conservation"], BY_NAME["quiescent_equivalence"]])
    assert not r.findings


# --- state across actors and runs ---------------------------------------------------------

def test_a_held_mutex_and_a_set_mask_bit_do_not_leak_into_the_next_run():
    """Shared C statics live in the model state, so every run starts from KState.initial."""
    v = corpus("mut-mutex-not-released", "v5.11")
    alone = scenario(1, (), ((("drain", 0),),))
    first = replay(v, alone, False, "sc", [], props=LADDER)
    assert first.final.mutex is not None                           # returned holding it
    second = replay(v, alone, False, "sc", [], props=LADDER)
    assert [e.ok for e in events(second, "mutex")][:1] == [True]
    v34 = corpus("v3.4-static-mask", "v3.4")
    h = replay(v34, scenario(1, (("pcp", 0),), ((("drain", None),),)), False, "sc", [], props=LADDER)
    assert h.final.masks == (1,)
    h2 = replay(v34, scenario(1, (), ((("drain", None),),)), False, "sc", [], props=LADDER)
    assert [e.bits for e in events(h2, "mask_read")] == [0, 0]


def test_a_c_counterexample_replays_identically_and_reads_like_the_python_one():
    """v3.4's minimal entry_snapshot_drained counterexample from C is the golden Python one, line for line."""
    v = corpus("v3.4-static-mask", "v3.4")
    f = sweep(v, Bound(), False, props=[BY_NAME["entry_snapshot_drained"]]).findings["entry_snapshot_drained"]
    arts = [to_artifact(replay(v, f.scenario, False, "sc", f.choices, props=[BY_NAME[f.prop]], run_to_end=False),
                        f.prop, {}, "replay") for _ in range(2)]
    assert arts[0] == arts[1]
    got = lanes(arts[0]).splitlines()
    want = (GOLDEN / "v3.4-static-mask.entry_snapshot_drained.txt").read_text().splitlines()
    assert got[1:-1] == want[1:-1]                      # all but the title and the replay line


# --- known gaps ---------------------------------------------------------------------------

def test_fixme_a_plain_reread_of_pcp_count_is_not_a_scheduling_point(tmp_path):
    """Today the second plain load of a remote pcp->count returns the first one's value, so a
    free landing between the two loads is never explored and this BUG_ON never fires; the
    right answer is `returns` refuted (each shared load a scheduling point)."""
    v = compile_text(tmp_path, "reread", """
void drain_all_pages(void)
{
	int cpu;
	struct zone *zone;

	for_each_online_cpu(cpu) {
		for_each_populated_zone(zone) {
			struct per_cpu_pageset *pset = per_cpu_ptr(zone->pageset, cpu);
			int first = pset->pcp.count;
			int again = pset->pcp.count;

			BUG_ON(first != again);
		}
	}
	on_each_cpu(drain_local_pages, NULL, 1);
}
""", "v3.2")
    r = sweep(v, Bound(cpus=2, pages=1, callers=1, ops=1, size=3), False, props=[BY_NAME["returns"]])
    assert "returns" in r.judged and "returns" not in r.findings


def test_fixme_a_plain_static_variable_is_private_to_each_call(tmp_path):
    """Today each call and each handler runs from the boot image, so two overlapping callers
    never see each other's store to a plain static and this BUG_ON never fires; the right
    answer is `returns` refuted (plain statics are shared memory too)."""
    v = compile_text(tmp_path, "busy", """
static int in_progress;

void drain_all_pages(void)
{
	BUG_ON(in_progress);
	in_progress = 1;
	on_each_cpu(drain_local_pages, NULL, 1);
	in_progress = 0;
}
""", "v3.2")
    r = sweep(v, Bound(cpus=2, pages=0, callers=2, ops=0, size=2), False, props=[BY_NAME["returns"]])
    assert "returns" in r.judged and "returns" not in r.findings


def test_an_unregistered_static_mask_is_refused_rather_than_privatised(tmp_path):
    """A cpumask inside a static struct is shared memory the loader did not see: the shim stops."""
    v = compile_text(tmp_path, "boxed", """
static struct {
	int n;
	cpumask_t m;
} box;

void drain_all_pages(void)
{
	cpumask_set_cpu(0, &box.m);
	on_each_cpu_mask(&box.m, drain_local_pages, NULL, 1);
}
""", "v3.2")
    f = sweep(v, Bound(cpus=1, pages=0, callers=1, size=1), False, props=[BY_NAME["returns"]]).findings["returns"]
    assert "cshim: cpumask at" in f.text and "not a registered shared mask" in f.text
