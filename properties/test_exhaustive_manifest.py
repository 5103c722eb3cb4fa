"""Every (variant, property) cell of the exhaustive driver against model/manifest.json.

The exhaustive driver explores every scenario within the default bound (see
`drainverify check --help`) and every schedule of each; a cell expected to hold must
come out `bounded` with its witness reached, a cell expected to fail must be
`refuted` with a minimal counterexample that replays in the model.
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import REPORTS, selected_variants
from drainverify import matrix as mx
from model import manifest
from model.config import Config
from model.format import lanes
from model.properties import NAMES

_CACHE: dict = {}
_SWEEPS: dict = {}


def _run(names, **kw):
    m = mx.run(names, NAMES, Config(), **kw)
    _CACHE.update(m.cells)
    _SWEEPS.update(m.sweeps)


@pytest.fixture(scope="session")
def rows(request):
    def get(name):
        if name not in _CACHE:
            if os.environ.get("PYTEST_XDIST_WORKER"):
                _run([name], jobs=1)
            else:
                _run(selected_variants(request.config))
        return _CACHE[name]
    return get


def test_exhaustive_verdicts_match_the_manifest(variant_name, rows):
    """Each property's exhaustive verdict on this variant is the one the manifest records."""
    row = rows(variant_name)
    lines, bad = [], []
    for prop, cell in row.items():
        lines.append(f"{variant_name} x {prop}: {cell['verdict']} "
                     f"({cell.get('reason') or cell.get('detail') or ''}"
                     f"{'; states ' + str(cell['states']) if cell.get('states') else ''})")
        if not cell["matches"]:
            bad.append(f"{prop}: got {cell['verdict']}, manifest says {manifest.expected(variant_name, prop)}")
        if cell["counterexample"]:
            REPORTS.append(lanes(cell["counterexample"]))
    print("\n".join(lines))
    assert not bad, "; ".join(bad)


def test_refutations_carry_a_minimal_counterexample_that_replays(variant_name, rows, tmp_path):
    """Every refuted cell has a counterexample artifact that `drainverify replay` reproduces."""
    from drainverify.cli import main
    for prop, cell in rows(variant_name).items():
        if cell["verdict"] == "refuted":
            art = cell["counterexample"]
            assert art and art["verdict"] == "refuted" and art["violation"], prop
            assert art["schema"] == "drainverify.counterexample/1"
            f = tmp_path / f"{prop}.json"
            f.write_text(json.dumps(art))
            assert main(["replay", str(f)]) == 0, prop


def test_complete_sweeps_explore_exactly_the_pinned_scenarios_and_states(variant_name, rows):
    """A sweep that ran to its end explores the number of scenarios and distinct states
    model/manifest.json pins for the default configuration: a change to what is
    reachable changes them on purpose (check --write-manifest drafts the update)."""
    rows(variant_name)
    checked = 0
    for r in _SWEEPS[variant_name]:
        if not r.complete or r.cancelled:
            continue                  # stopped early or cut: its counts are not a full sweep's
        pin = manifest.pinned("default", variant_name, r.offstack)
        assert pin is not None, f"no pinned size for {variant_name} OFFSTACK={'y' if r.offstack else 'n'}"
        assert {"scenarios": r.scenarios, "states": r.states} == pin, f"OFFSTACK={'y' if r.offstack else 'n'}"
        checked += 1
    assert checked, f"no sweep of {variant_name} ran to its end"


def test_holding_cells_reached_their_witness(variant_name, rows):
    """A cell that holds was judged on at least one state where its witness was reached."""
    for prop, cell in rows(variant_name).items():
        if cell["verdict"] == "bounded":
            assert "witness reached" in cell["detail"], prop
            assert cell["states"] > 0
