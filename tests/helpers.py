"""Small helpers shared by the suite's own tests."""
from __future__ import annotations

from model import variants
from model.explore import Bound, sweep
from model.properties import BY_NAME


def first_counterexample(variant: str, prop: str, offstack: bool = False, **bound):
    """The exhaustive driver's first (minimal) counterexample of one pair, or None."""
    r = sweep(variants.get(variant), Bound(**bound), offstack, props=[BY_NAME[prop]])
    return r.findings.get(prop), r
