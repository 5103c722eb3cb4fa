"""`drainverify prove`: rows, JSON, expected grades as data, exit codes, bad input."""
from __future__ import annotations

import json

import pytest

from drainverify.cli import build_parser
from proofs import cli, theorems

REQUIRED = {
    "quiescent_equivalence:v4-zalloc-fallback": "proved",
    "quiescent_equivalence:v5-last-zone-wins": "refuted",
    "fallback_is_broadcast:v4-zalloc-fallback": "proved",
    "no_reclaim_recursion:v4-zalloc-fallback": "proved",
    "no_reclaim_recursion:mut-gfp-kernel": "refuted",
    "entry_snapshot_drained:v3.4-static-mask": "refuted",
}


def test_expected_grades_cover_every_theorem_and_the_required_ones():
    """proofs/expected.json has one valid grade per theorem, including the issue's six."""
    exp = theorems.expected()
    assert set(exp) == {t.key for t in theorems.THEOREMS}
    assert set(exp.values()) <= {"proved", "bounded", "refuted", "unknown"}
    for key, grade in REQUIRED.items():
        assert exp[key] == grade


def test_prove_json_holds_each_theorems_grade_and_counterexample(tmp_path, capsys):
    """--json writes property, variant, grade, seconds, bound, invariant, counterexample."""
    out = tmp_path / "prove.json"
    rc = cli.main(["prove", "--only", "quiescent_equivalence:v4-zalloc-fallback",
                   "--only", "quiescent_equivalence:v5-last-zone-wins", "--json", str(out)])
    assert rc == 0
    rows = json.loads(out.read_text())["theorems"]
    assert [(r["variant"], r["grade"]) for r in rows] == [("v4-zalloc-fallback", "proved"),
                                                          ("v5-last-zone-wins", "refuted")]
    for r in rows:
        assert {"property", "variant", "grade", "seconds", "bound", "invariant", "counterexample"} <= set(r)
    assert rows[0]["invariant"] and rows[0]["counterexample"] is None
    assert rows[1]["counterexample"]["schema"] == "drainverify.counterexample/1"
    text = capsys.readouterr().out
    assert "quiescent_equivalence" in text and "2 as expected, 0 not" in text


def test_prove_exits_1_when_a_grade_differs_from_the_expected_one(monkeypatch, capsys):
    """A grade that does not match proofs/expected.json fails the run."""
    monkeypatch.setattr(cli, "expected", lambda: {"quiescent_equivalence:v4-zalloc-fallback": "refuted"})
    assert cli.main(["prove", "--only", "quiescent_equivalence:v4-zalloc-fallback"]) == 1
    assert "expected refuted" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["prove", "--only", "no_such_property:v4-zalloc-fallback"],
                                  ["prove", "--timeout", "0"], ["prove", "--budget", "-1"]])
def test_prove_rejects_bad_input_with_exit_2_and_one_line(argv, capsys):
    """Unknown theorems and non-positive limits are usage errors with a one-line message."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("drainverify prove:") and "\n" not in err


def test_prove_is_a_drainverify_subcommand():
    """`drainverify prove` reaches cmd_prove through drainverify's own parser."""
    parser = build_parser()
    a = parser.parse_args(["prove", "--only", "fallback_is_broadcast:mut-mask-leak"])
    assert a.func is cli.cmd_prove and cli.cmd_prove(a) == 0


def test_the_whole_prove_run_matches_every_expected_grade(tmp_path):
    """Every theorem gets its expected grade; every refutation carries a replayed counterexample."""
    out = tmp_path / "all.json"
    assert cli.main(["prove", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["theorems"]
    assert len(rows) == len(theorems.THEOREMS)
    for r in rows:
        if r["grade"] == "refuted":
            assert r["counterexample"]["replayed"] and r["counterexample"]["verdict"] == "refuted"
