"""Every counterexample saved in tests/regressions/ replays to the same verdict.

A counterexample becomes a permanent regression with
`drainverify check ... --save-regressions tests/regressions`; each file is one
artifact (docs/artifact.md), replayed here exactly as `drainverify replay` does."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from drainverify.cli import main

FILES = sorted(Path(__file__).with_name("regressions").glob("*.json"))


def test_there_are_regressions_to_replay():
    """The regression directory is not empty (a glob that matches nothing would pass vacuously)."""
    assert len(FILES) >= 3


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_saved_counterexample_still_reproduces(path, capsys):
    """Replaying the saved schedule in today's model gives the recorded violation and final state."""
    art = json.loads(path.read_text())
    assert art["verdict"] == "refuted"
    assert main(["replay", str(path)]) == 0, capsys.readouterr().out
