"""Environment options (model/environment.py): the free path before 88e8ac11d2ea and
a two-step high/batch update are each harmless, together the hang that commit fixed."""
from __future__ import annotations

import json

import pytest

from drainverify.cli import main

BOTH = ["--env", "no-free-clamp", "--env", "two-step-high-batch"]


def _cell(tmp_path, variant, prop, *flags):
    out = tmp_path / "m.json"
    rc = main(["check", "--variant", variant, "--property", prop, "--size", "3", *flags, "--json", str(out)])
    return rc, json.loads(out.read_text())["variants"][variant][prop]


@pytest.mark.parametrize("flags", [[], ["--env", "no-free-clamp"], ["--env", "two-step-high-batch"]])
def test_each_option_alone_keeps_returns(tmp_path, flags):
    rc, c = _cell(tmp_path, "v5.11-force-all", "returns", *flags)
    assert c["verdict"] == "bounded" and rc == 0, c


def test_both_together_hang_a_free_in_free_pcppages_bulk(tmp_path, capsys):
    """The free reads the new high = 0 with the old batch = 2 while one page is on its list:
    without the clamp, free_pcppages_bulk() spins forever with IRQs off."""
    rc, c = _cell(tmp_path, "v5.11-force-all", "returns", *BOTH)
    assert c["verdict"] == "refuted" and rc == 1
    assert "free_pcppages_bulk()" in c["reason"] and "88e8ac11d2ea" in c["reason"]
    art = c["counterexample"]
    assert art["scenario"]["env"] == ["no-free-clamp", "two-step-high-batch"]
    assert "--env no-free-clamp --env two-step-high-batch" in art["replay"]
    disable = [e for st in art["steps"] for e in st["events"] if e["kind"] == "disable"]
    assert [e["new"] for e in disable][:2] == [[0, 2], [0, 1]]          # high first, then batch
    f = tmp_path / "cex.json"
    f.write_text(json.dumps(art))
    assert main(["replay", str(f)]) == 0
    assert "environment: the free path before 88e8ac11d2ea" in capsys.readouterr().out


def test_an_unknown_option_is_a_one_line_error(capsys):
    assert main(["check", "--env", "no-such-thing", "--variant", "v3.2-broadcast"]) == 2
    err = capsys.readouterr().err
    assert "unknown --env 'no-such-thing'" in err and len(err.strip().splitlines()) == 1
