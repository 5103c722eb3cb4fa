"""The C renditions of the corpus (c_corpus/) under the shim give exactly the verdicts
the Python variants have in model/manifest.json.

Each file is checked through `drainverify.matrix.run` as the outside
implementation `cshim.impl:FILE@API...`, with the default Bound (2 CPUs, 2 zones,
pages + callers + other operations <= 4) and both CONFIG_CPUMASK_OFFSTACK
settings for the files that allocate: the same cells, grading and counterexample
replay as `drainverify check`.  No reduced bound: smaller ones lose refutations
the manifest records (e.g. size 3 misses every v3.4 race), so the full sweep is
the test.  The default run checks one file per API era (CORE, about a minute on two
cores); `pytest -m slow tests/test_cshim_corpus.py` checks the rest of the corpus.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import cshim
from cshim.impl import spec
from drainverify import matrix
from model import manifest, variants
from model.config import Config
from model.properties import NAMES

CORPUS = Path(__file__).resolve().parent.parent / "c_corpus"
FILES = json.loads((CORPUS / "manifest.json").read_text())["files"]
# biggest sweeps first, so the two workers finish together
ORDER = sorted(FILES, key=lambda n: (not variants.get(FILES[n]["variant"]).allocates, n))
# one file per API era and shim path (the default run); the mutants of the seed and the
# unmerged v5 posting are checked by the slow run (pytest -m slow tests/test_cshim_corpus.py)
CORE = ("v3.2-broadcast", "v4-zalloc-fallback", "v3.4-static-mask", "v3.19-zone", "v4.11-wq-mutex",
        "v5.1-pcpu-drain", "v5.11-force-all", "v5.14-local-lock", "v6.0-remote-lock", "v6.11-locked-count")
REST = tuple(n for n in ORDER if n not in CORE)


def _spec(name):
    e = FILES[name]
    return spec(CORPUS / e["file"], e["api"], e["entry"], e["init"], e.get("era"))


_ROWS: dict = {}


@pytest.fixture(scope="module")
def rows():
    def get(name):
        if name not in _ROWS:
            group = [n for n in ORDER if (n in CORE) == (name in CORE)]
            specs = {n: _spec(n) for n in group}
            expected = {s: manifest.impl_row(FILES[n]["variant"]) for n, s in specs.items()}
            m = matrix.run(list(specs.values()), NAMES, Config(), jobs=2, expected_rows=expected)
            _ROWS.update({n: m.cells[s] for n, s in specs.items()})
        return _ROWS[name]
    return get


def _grouped(names):
    return [n if n in CORE else pytest.param(n, marks=pytest.mark.slow) for n in names]


def test_the_c_corpus_covers_the_kernel_history_and_names_only_corpus_variants():
    """Every variant of the kernel's history (model/variants/history.py) has exactly one C
    rendition, named after it; every C file renders a variant of the corpus.  (A rendition
    of a new mutant is welcome but not required: docs/contributing.md.)"""
    from model.variants import history
    named = [e["variant"] for e in FILES.values()]
    assert len(named) == len(set(named)) and set(named) <= set(variants.NAMES)
    kernel = {n for n, v in variants.CORPUS.items() if type(v).__module__ == history.__name__}
    assert kernel and kernel <= set(named), sorted(kernel - set(named))
    assert all(name == e["variant"] and (CORPUS / e["file"]).is_file() for name, e in FILES.items())


@pytest.mark.parametrize("name", ORDER)
def test_each_c_rendition_has_the_ingredients_of_its_python_variant(name):
    """API shape, allocation, delivery, NULL-zone debt, pcp locking and shared masks match."""
    e = FILES[name]
    c = cshim.load(CORPUS / e["file"], e["api"], e["entry"], e["init"], era=e.get("era"))
    py = variants.get(e["variant"])
    for flag in ("zone_arg", "allocates", "delivers", "owes_null_zone", "pcp_locked"):
        assert getattr(c, flag) == getattr(py, flag), flag
    assert len(c.mask_names) == len(py.mask_names)
    c.close()


@pytest.mark.parametrize("name", _grouped(ORDER))
def test_each_c_rendition_matches_its_python_variants_manifest_row(name, rows):
    """Each of the ten cells equals the manifest's verdict for the Python variant of the same name."""
    row = rows(name)
    bad = [f"{p}: got {c['verdict']} ({c.get('reason', '')}), manifest says {c['expected']}"
           for p, c in row.items() if not c["matches"]]
    assert not bad, "; ".join(bad)
    for p, c in row.items():
        if c["verdict"] == "refuted":
            art = c["counterexample"]
            assert art["verdict"] == "refuted" and art["variant"] == _spec(name), p
