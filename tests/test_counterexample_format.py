"""The counterexample artifact and its lanes view: one stable format, pinned verbatim."""
from __future__ import annotations

import json
from pathlib import Path

from drainverify import matrix as mx
from drainverify.cli import main
from model.config import Config
from model.format import lanes

GOLDEN = Path(__file__).with_name("golden")


def _cell(variant, prop, **cfg):
    m = mx.run([variant], [prop], Config(**cfg), jobs=1)
    return m.cells[variant][prop]


def test_static_mask_race_counterexample_is_printed_exactly_so():
    """The lanes view of v3.4-static-mask x entry_snapshot_drained matches the pinned text."""
    art = _cell("v3.4-static-mask", "entry_snapshot_drained", offstack="n")["counterexample"]
    got = lanes(art) + "\n"
    want = (GOLDEN / "v3.4-static-mask.entry_snapshot_drained.txt").read_text()
    assert got == want


def test_artifact_is_versioned_and_complete():
    """The artifact names schema, variant, property, configuration (OFFSTACK, memory model),
    initial state, steps with events, final state, cpus, stranded pages and a replay command."""
    art = _cell("v3.4-static-mask", "entry_snapshot_drained", offstack="n")["counterexample"]
    for key in ("schema", "variant", "property", "configuration", "initial_state", "steps", "final_state",
                "cpus", "replay", "stranded", "violation"):
        assert key in art, key
    assert art["configuration"]["offstack"] == "n" and art["configuration"]["memory_model"] == "sc"
    assert art["stranded"] == [0]
    assert art["replay"].startswith("drainverify check --variant v3.4-static-mask --property entry_snapshot_drained")


def test_replay_reproduces_an_artifact_and_detects_tampering(tmp_path, capsys):
    """`drainverify replay` exits 0 on a recorded counterexample and 1 when the record lies."""
    art = _cell("v4-zalloc-fallback", "disabled_pcp_left_empty", offstack="n")["counterexample"]
    f = tmp_path / "cex.json"
    f.write_text(json.dumps(art))
    assert main(["replay", str(f)]) == 0
    art["violation"] = "something else"
    f.write_text(json.dumps(art))
    assert main(["replay", str(f)]) == 1


def test_same_seed_gives_byte_identical_json(tmp_path):
    """Two runs of check with the same configuration write byte-identical JSON."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    argv = ["check", "--variant", "v5-last-zone-wins", "--variant", "mut-no-fallback", "-j", "2", "--seed", "7",
            "--size", "2"]
    main(argv + ["--json", str(a)])
    main(argv + ["--json", str(b)])
    assert a.read_bytes() == b.read_bytes()
    data = json.loads(a.read_text())
    cell = data["variants"]["mut-no-fallback"]["fallback_is_broadcast"]
    assert cell["verdict"] == "refuted" and cell["matches"] is True
    assert cell["counterexample"]["configuration"]["offstack"] == "y"
