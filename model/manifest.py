"""Expected verdicts as data: `manifest.json` holds named configurations, like a TLA+
`manifest.json`.  Each configuration has its bound (what `check --config NAME`
explores), a sentence on what it covers and what it does not, the expected verdict of
every (variant, property) pair -- `holds`, `refuted` (with a one-line reason) or `n/a`
(with the reason the ingredient is absent), like a litmus test's `Result:` line --
and, per variant and CONFIG_CPUMASK_OFFSTACK setting, the pinned number of scenarios
and distinct states of a full sweep, so a change to what is reachable changes them on
purpose."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .verdicts import HOLDS, Verdict

PATH = Path(__file__).with_name("manifest.json")
HOLD_GRADES = tuple(v.value for v in HOLDS)
DEFAULT_CONFIG = "default"


class UnknownConfiguration(KeyError):
    def __str__(self):
        return self.args[0]


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(PATH.read_text())


def configurations() -> dict:
    return _data()["configurations"]


def configuration(name: str) -> dict:
    try:
        return configurations()[name]
    except KeyError:
        raise UnknownConfiguration(f"unknown configuration {name!r}; known: {', '.join(configurations())}") from None


def load(config: str = DEFAULT_CONFIG) -> dict:
    """variant -> property -> {verdict, reason} of one configuration."""
    return configuration(config)["variants"]


def expected(variant: str, prop: str, config: str = DEFAULT_CONFIG) -> str:
    """'holds', 'refuted' or 'n/a'."""
    return load(config)[variant][prop]["verdict"]


def reason(variant: str, prop: str, config: str = DEFAULT_CONFIG):
    return load(config)[variant][prop].get("reason")


def pinned(config: str, variant: str, offstack: bool):
    """{"scenarios": N, "states": M} of a full sweep, or None if not pinned."""
    return configuration(config).get("sizes", {}).get(variant, {}).get("y" if offstack else "n")


def matches(expected_verdict: str, verdict: str) -> bool:
    """`any` accepts every verdict; `holds or n/a` is what an outside implementation
    without --expect is held to."""
    if expected_verdict == "any":
        return True
    if expected_verdict == "holds or n/a":
        return verdict in HOLDS or verdict == Verdict.NA
    if expected_verdict == "holds":
        return verdict in HOLDS
    return verdict == expected_verdict


def expected_grade(expected_verdict: str, engine_grade: str = "bounded") -> str:
    """The verdict string a matching cell shows (holds -> the engine's grade)."""
    if expected_verdict in ("holds", "holds or n/a"):
        return engine_grade
    if expected_verdict == "any":
        return "any"
    return expected_verdict


def impl_row(expect: str | None, config: str = DEFAULT_CONFIG) -> dict:
    """Expected verdicts of an outside implementation: the row of `expect`, or
    'nothing but ipi_only_where_pages may be refuted'."""
    if expect:
        return {p: c["verdict"] for p, c in load(config)[expect].items()}
    from .properties import NAMES
    return {p: ("any" if p == "ipi_only_where_pages" else "holds or n/a") for p in NAMES}
