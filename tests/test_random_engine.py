"""`check --engine hypothesis`: the matrix from random testing, graded honestly."""
from __future__ import annotations

import json

from drainverify.cli import main


def _row(tmp_path, variant, *extra):
    out = tmp_path / "m.json"
    rc = main(["check", "--engine", "hypothesis", "--variant", variant, "--offstack", "n", "--json", str(out),
               *extra])
    return rc, json.loads(out.read_text())["variants"][variant]


def test_random_testing_grades_no_counterexample_with_its_case_count(tmp_path):
    """A correct drain gets `no counterexample` (with how many cases), never `bounded` or `proved`."""
    rc, row = _row(tmp_path, "v3.2-broadcast", "--cases", "60", "--property", "conservation",
                   "--property", "returns")
    for p in ("conservation", "returns"):
        assert row[p]["verdict"] == "no counterexample", row[p]
        assert row[p]["cases"] >= 60 and "witness reached" in row[p]["detail"]
    assert rc == 0


def test_random_testing_refutes_a_mutant_with_a_replayable_artifact(tmp_path):
    """The count-not-reset mutant breaks conservation; the cell carries a counterexample that
    replays in the model, and --save-regressions keeps it as an ordinary artifact."""
    regs = tmp_path / "regs"
    rc, row = _row(tmp_path, "mut-count-not-reset", "--cases", "60", "--property", "conservation",
                   "--save-regressions", str(regs))
    c = row["conservation"]
    assert c["verdict"] == "refuted" and c["matches"]
    art = c["counterexample"]
    assert art["verdict"] == "refuted" and art["property"] == "conservation"
    saved = list(regs.glob("*.json"))
    assert len(saved) == 1
    assert main(["replay", str(saved[0])]) == 0


def test_an_unreached_witness_is_unknown_not_no_counterexample(tmp_path):
    """Where no case exercises a property its cell is `unknown`, naming the witness and the cases."""
    rc, row = _row(tmp_path, "v6.11-locked-count", "--cases", "5", "--property", "disabled_pcp_left_empty")
    c = row["disabled_pcp_left_empty"]
    assert c["verdict"] == "unknown" and "witness never reached in" in c["reason"], c
    assert rc == 1


def test_the_same_seed_gives_the_same_matrix(tmp_path):
    """Derandomized by --seed: two runs agree cell for cell (cases included)."""
    a = _row(tmp_path, "v3.4-static-mask", "--cases", "40", "--seed", "7")[1]
    b = _row(tmp_path, "v3.4-static-mask", "--cases", "40", "--seed", "7")[1]
    strip = lambda r: {p: {k: v for k, v in c.items() if k != "seconds_row"} for p, c in r.items()}  # noqa: E731
    assert strip(a) == strip(b)


def test_cases_without_the_hypothesis_engine_is_a_usage_error(capsys):
    assert main(["check", "--cases", "10", "--variant", "v3.2-broadcast"]) == 2
    assert "--engine hypothesis" in capsys.readouterr().err
