"""One vocabulary: event kinds, verdicts and property names are declared once and
everything that speaks of them uses the declarations."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from model import events, variants
from model.properties import LADDER
from model.runtime import Runtime
from model.scenario import Scenario
from model.verdicts import Verdict

ROOT = Path(__file__).resolve().parent.parent


def test_every_property_names_registered_event_kinds():
    """A typo in a property's `kinds` would silently starve its monitor."""
    for p in LADDER:
        if p.kinds is not None:
            assert p.kinds <= set(events.KINDS), (p.name, sorted(p.kinds - set(events.KINDS)))


def test_the_events_page_is_generated_from_the_registry():
    """docs/events.md is what `python -m model.events` prints (regenerate it after adding a kind)."""
    assert (ROOT / "docs" / "events.md").read_text() == events.docs_table()


def test_the_c_shim_registers_its_kinds_and_conservation_checks_after_them():
    import cshim.ops  # noqa: F401
    for name in ("pcp_store", "mask_store"):
        assert name in events.KINDS
    assert "pcp_store" in events.touching_kinds()


def _walk(v, seed):
    scn = Scenario(ncpus=2, zone_names=("DMA32", "Normal"), high=4, batch=2, page_zone=(0, 1, 1),
                   placement=(("pcp", 0), ("held", 1), ("pcp", 1)),
                   programs=((("drain", None), ("alloc", 0), ("disable", 0)),
                             (("free", 1), ("reclaim_drain", None), ("drain", 1 if v.zone_arg else None))))
    rt = Runtime(scn, v, v.allocates, "sc", properties=LADDER)
    rng = random.Random(seed)
    node, out = rt.initial_node(), []
    for _ in range(300):
        ch = rt.enabled(node)
        if not ch:
            break
        st = rt.step(node, rng.choice(ch))
        out += st.events
        node = st.node
    return out


@pytest.mark.parametrize("name", variants.NAMES)
def test_every_event_the_corpus_emits_is_a_registered_kind_with_its_declared_fields(name):
    """Random walks of every corpus variant: no event of an undeclared kind or with an undeclared field,
    and the counterexample formatter has a text for each."""
    v = variants.get(name)
    seen = set()
    for seed in range(4):
        for ev in _walk(v, seed):
            k = events.kind(ev.kind)
            extra = set(ev.d) - set(k.fields) - {"zone_name", "zone_names"}
            assert not extra, (ev.kind, sorted(extra))
            seen.add(ev.kind)
    assert {"call", "return", "drain"} <= seen


def test_artifacts_carry_only_registered_kinds_and_verdict_words():
    files = sorted((ROOT / "tests" / "regressions").glob("*.json")) + sorted((ROOT / "tests" / "golden").glob("*.json"))
    assert files
    for f in files:
        art = json.loads(f.read_text())
        for st in art.get("steps", ()):
            for e in st["events"]:
                events.kind(e["kind"])


def test_verdict_words_are_the_six_of_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert len(Verdict) == 6
    for v in Verdict:
        assert f"`{v.value}`" in readme, v
