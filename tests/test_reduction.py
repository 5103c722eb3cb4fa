"""The sleep-set reduction changes no verdict and no minimal counterexample anywhere in
the default matrix (slow: two whole matrices; `pytest -m slow tests/test_reduction.py`
or `python -m drainverify.reduction_check`)."""
from __future__ import annotations

import pytest

from drainverify.reduction_check import compare
from model.config import Config


@pytest.mark.slow
def test_the_reduction_changes_no_verdict_and_no_counterexample_of_the_default_matrix():
    diffs, stats = compare(Config())
    assert not diffs, diffs
    assert stats["sleep"]["states"] == stats["none"]["states"]          # sleep sets keep every state
    assert stats["sleep"]["transitions"] < stats["none"]["transitions"]  # and save transitions
