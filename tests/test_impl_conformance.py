"""`check --impl`: outside implementations get verdicts, never a hang or a traceback."""
from __future__ import annotations

import json
import os

import pytest

from drainverify.cli import main

HERE = os.path.dirname(__file__)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(HERE)


def _run(impl, tmp_path, *extra, size=3):
    out = tmp_path / "m.json"
    rc = main(["check", "--impl", f"impls.examples:{impl}", "--offstack", "n", "--size", str(size), "-j", "1",
               "--json", str(out), *extra])
    return rc, json.loads(out.read_text())["variants"][f"impls.examples:{impl}"]


def test_a_correct_masked_drain_conforms_except_for_the_disable_race(tmp_path):
    """A masked drain written from the docs holds everything except disabled_pcp_left_empty, like the seed."""
    rc, row = _run("MaskedDrain", tmp_path, size=4)
    assert row["disabled_pcp_left_empty"]["verdict"] == "refuted"
    assert row["quiescent_equivalence"]["verdict"] == "bounded"
    assert row["entry_snapshot_drained"]["verdict"] == "bounded"
    assert rc == 1


def test_an_implementation_that_raises_is_refuted_on_returns(tmp_path):
    """A raising drain is `returns` refuted with the step and the exception; unjudged cells are unknown."""
    rc, row = _run("Raises", tmp_path)
    assert row["returns"]["verdict"] == "refuted"
    assert "crashed at step" in row["returns"]["reason"] and "RuntimeError: oops" in row["returns"]["reason"]
    assert row["entry_snapshot_drained"]["verdict"] == "unknown"
    assert rc == 1


def test_an_implementation_that_calls_sys_exit_is_refuted_not_obeyed(tmp_path):
    """sys.exit() inside a drain ends that call (`returns` refuted, crash kind `exit`), not the check."""
    rc, row = _run("CallsExit", tmp_path)
    assert row["returns"]["verdict"] == "refuted"
    assert "called sys.exit(3)" in row["returns"]["reason"]
    assert rc == 1


def test_our_own_variants_run_unsandboxed_so_their_bugs_surface():
    """The runtime trusts the corpus: an exception in a built-in variant propagates (a bug to see),
    while the same code loaded as an outside implementation gets a verdict."""
    from model.runtime import Runtime
    from model.sandbox import Outside
    from model.scenario import Scenario
    from impls.examples import Raises
    scn = Scenario(ncpus=2, zone_names=("DMA32",), high=4, batch=2, page_zone=(0,), placement=(("pcp", 1),),
                   programs=((("drain", None),), ()))
    rt = Runtime(scn, Raises(), False)
    node = rt.initial_node()
    with pytest.raises(RuntimeError, match="oops"):
        while rt.enabled(node):
            node = rt.step(node, rt.enabled(node)[0]).node
    rt = Runtime(scn, Outside(Raises()), False)
    node, events = rt.initial_node(), []
    while rt.enabled(node):
        st = rt.step(node, rt.enabled(node)[0])
        node, events = st.node, events + list(st.events)
    assert [e.why for e in events if e.kind == "crash"] == ["exception"]


def test_an_implementation_that_never_yields_is_refuted_not_hung(tmp_path):
    """A drain looping without a scheduling point is cut by the watchdog: `returns` refuted."""
    rc, row = _run("NeverYields", tmp_path)
    assert row["returns"]["verdict"] == "refuted"
    assert "did not return within" in row["returns"]["reason"]
    assert rc == 1


def test_an_implementation_yielding_garbage_is_refuted(tmp_path):
    """Yielding something that is not a kernel action ends the call: `returns` refuted."""
    rc, row = _run("YieldsGarbage", tmp_path)
    assert "not a kernel action" in row["returns"]["reason"]


def test_an_implementation_that_corrupts_the_state_fails_conservation(tmp_path):
    """Dropping pages on the floor is caught by conservation."""
    rc, row = _run("LosesPages", tmp_path)
    assert row["conservation"]["verdict"] == "refuted"


def test_expect_compares_with_a_manifest_row(tmp_path):
    """--expect VARIANT exits 0 iff the row equals that variant's manifest row."""
    rc, _ = _run("MaskedDrain", tmp_path, "--expect", "v3.2-broadcast")
    assert rc == 1


def test_an_implementation_that_cannot_be_imported_exits_2(tmp_path, capsys):
    """An import error is the one case with exit 2 and no verdicts."""
    assert main(["check", "--impl", "impls.nosuch:X"]) == 2
    assert "cannot load impls.nosuch:X" in capsys.readouterr().err
