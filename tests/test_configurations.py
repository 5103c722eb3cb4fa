"""Named configurations (model/manifest.json): what each covers, how flags extend them,
and that hotplug and deep reach bugs the default bound cannot."""
from __future__ import annotations

import json

from drainverify.cli import main
from model import manifest, variants
from model.properties import NAMES


def test_every_configuration_says_what_it_covers_and_has_every_row():
    """Each named configuration has a bound, a covers/does-not-cover sentence, and an
    expected verdict for every (variant, property) pair, refutations with a reason."""
    assert {"default", "hotplug", "deep"} <= set(manifest.configurations())
    for name, c in manifest.configurations().items():
        assert c["covers"] and c["does_not_cover"] and c["bound"]
        assert sorted(c["variants"]) == sorted(variants.NAMES), name
        for v, row in c["variants"].items():
            assert sorted(row) == sorted(NAMES), (name, v)
            for p, cell in row.items():
                assert cell["verdict"] in ("holds", "refuted", "n/a"), (name, v, p)
                if cell["verdict"] != "holds":
                    assert cell.get("reason") and "REVIEW" not in cell["reason"], (name, v, p)


def test_every_property_is_refuted_by_some_variant_of_the_corpus():
    """No property passes everywhere: each is expected to fail on at least one variant of the
    default configuration (and properties/test_exhaustive_manifest.py checks that it does)."""
    rows = manifest.configuration("default")["variants"]
    for p in NAMES:
        assert any(row[p]["verdict"] == "refuted" for row in rows.values()), p


def test_list_configs_names_each_with_what_it_covers(capsys):
    assert main(["list", "--configs"]) == 0
    out = capsys.readouterr().out
    for name in ("default", "hotplug", "deep"):
        assert f"{name}: cpus=" in out
    assert out.count("covers:") >= 3 and "does not cover: sc only" in out


def test_flags_extend_the_named_configuration_and_the_report_says_so(capsys, tmp_path):
    """A cell's bound text names its configuration; a flag that departs from it is named."""
    js = tmp_path / "m.json"
    assert main(["check", "--config", "deep", "--variant", "v3.2-broadcast", "--property", "returns", "--pages", "1",
                 "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert "configuration deep extended by --pages 1" in out
    cell = json.loads(js.read_text())["variants"]["v3.2-broadcast"]["returns"]
    assert cell["bound"].startswith("configuration deep extended by --pages 1: cpus<=3, zones=1, pages<=1")


def test_an_unknown_configuration_is_one_line_and_exit_2(capsys):
    assert main(["check", "--config", "huge", "--property", "returns"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown configuration 'huge'" in err


def test_hotplug_refutes_a_drain_that_keeps_a_stale_copy_of_the_online_mask(capsys):
    """Bounded in the default configuration, refuted with CPU hotplug: a CPU that comes
    online after the copy was taken is never scanned."""
    impl = "tests.impls.depth:StaleOnlineCopy"
    assert main(["check", "--impl", impl, "--property", "entry_snapshot_drained"]) == 0
    capsys.readouterr()
    assert main(["check", "--impl", impl, "--property", "entry_snapshot_drained", "--config", "hotplug"]) == 1
    out = capsys.readouterr().out
    assert "hotplug: online cpu1" in out and "cpu1 online" in out
    assert "is still on pcp[cpu1][DMA32] when it returns" in out


def test_hotplug_shows_a_work_item_queued_to_an_offline_cpu(capsys):
    """The v4.11..v5.19 static mask keeps the bit of a CPU that went offline (the loop
    over online CPUs no longer clears it): the next call queues it a work item."""
    assert main(["check", "--variant", "v5.11-force-all", "--property", "ipi_only_where_pages",
                 "--config", "hotplug"]) == 0          # refuted, as the hotplug row expects
    out = capsys.readouterr().out
    assert "cpu1 offline" in out and "queue_work_on(cpu1)" in out
    assert manifest.expected("v5.11-force-all", "ipi_only_where_pages", "hotplug") == "refuted"
    assert manifest.expected("v5.11-force-all", "ipi_only_where_pages", "default") == "holds"


def test_deep_refutes_a_drain_with_room_for_two_targets(capsys):
    """Bounded with two CPUs, refuted with three: the third CPU with pages is skipped."""
    impl = "tests.impls.depth:TwoTargets"
    assert main(["check", "--impl", impl, "--property", "quiescent_equivalence"]) == 0
    capsys.readouterr()
    assert main(["check", "--impl", impl, "--property", "quiescent_equivalence", "--config", "deep"]) == 1
    out = capsys.readouterr().out
    assert "pcp[cpu2][DMA32] still holds p2" in out and "3 CPU(s)" in out
