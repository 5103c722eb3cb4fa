"""The step granularity the design rests on (DESIGN.md §5): a CPU's count load and the
mask-bit store it leads to are separate steps, so another CPU can act in between --
and with one zone (no second zone's load to hide behind) that gap alone is the v3.4
race."""
from __future__ import annotations

import json

from drainverify.cli import main
from model import variants
from model.runtime import Runtime
from model.scenario import Scenario


def test_another_cpu_steps_between_a_count_load_and_its_bit_store():
    v = variants.get("v3.4-static-mask")
    scn = Scenario(ncpus=2, zone_names=("DMA32",), high=4, batch=2, page_zone=(0,), placement=(("held", 1),),
                   programs=((("drain", None),), (("free", 0),)))
    rt = Runtime(scn, v, False)
    node = rt.initial_node()
    # cpu0 steps until it has loaded cpu0's count; its bit store is not part of that step
    for _ in range(5):
        st = rt.step(node, (("task", 0), 0))
        node = st.node
        kinds = [e.kind for e in st.events]
        if "scan" in kinds:
            assert "mask" not in kinds, kinds
            break
    else:
        raise AssertionError("cpu0 never loaded a count")
    # cpu1 can take a step now, before the store
    assert (("task", 1), 0) in rt.enabled(node)
    node = rt.step(node, (("task", 1), 0)).node
    st = rt.step(node, (("task", 0), 0))
    assert [e.kind for e in st.events] == ["mask"]


def test_the_v3_4_race_with_one_zone(tmp_path):
    """One zone, so only the load-to-store gap is left: entry_snapshot_drained is refuted, and in the
    counterexample the other CPU steps between a scan and that scan's bit store."""
    out = tmp_path / "m.json"
    rc = main(["check", "--variant", "v3.4-static-mask", "--zones", "1",
               "--property", "entry_snapshot_drained", "--json", str(out)])
    assert rc == 0
    c = json.loads(out.read_text())["variants"]["v3.4-static-mask"]["entry_snapshot_drained"]
    assert c["verdict"] == "refuted"
    steps = c["counterexample"]["steps"]
    lanes = [(st["actor"], [e["kind"] for e in st["events"]]) for st in steps]
    gaps = [i for i in range(len(lanes) - 2)
            if "scan" in lanes[i][1] and lanes[i + 1][0] != lanes[i][0]
            and any(a == lanes[i][0] and "mask" in k for a, k in lanes[i + 1:])]
    assert gaps, lanes
