"""Expected verdicts as data: `manifest.json` holds, for every (variant, property)
pair, `holds`, `refuted` (with a one-line reason) or `n/a` (with the reason the
ingredient is absent), like a litmus test's `Result:` line or a TLA+ manifest."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).with_name("manifest.json")
HOLD_GRADES = ("bounded", "no counterexample", "proved")


@lru_cache(maxsize=1)
def load() -> dict:
    return json.loads(PATH.read_text())["variants"]


def expected(variant: str, prop: str) -> str:
    """'holds', 'refuted' or 'n/a'."""
    return load()[variant][prop]["verdict"]


def reason(variant: str, prop: str):
    return load()[variant][prop].get("reason")


def matches(expected_verdict: str, verdict: str) -> bool:
    """`any` accepts every verdict; `holds or n/a` is what an outside implementation
    without --expect is held to."""
    if expected_verdict == "any":
        return True
    if expected_verdict == "holds or n/a":
        return verdict in HOLD_GRADES or verdict == "n/a"
    if expected_verdict == "holds":
        return verdict in HOLD_GRADES
    return verdict == expected_verdict


def expected_grade(expected_verdict: str, engine_grade: str = "bounded") -> str:
    """The verdict string a matching cell shows (holds -> the engine's grade)."""
    if expected_verdict in ("holds", "holds or n/a"):
        return engine_grade
    if expected_verdict == "any":
        return "any"
    return expected_verdict


def impl_row(expect: str | None) -> dict:
    """Expected verdicts of an outside implementation: the row of `expect`, or
    'nothing but ipi_only_where_pages may be refuted'."""
    if expect:
        return {p: c["verdict"] for p, c in load()[expect].items()}
    from .properties import NAMES
    return {p: ("any" if p == "ipi_only_where_pages" else "holds or n/a") for p in NAMES}
