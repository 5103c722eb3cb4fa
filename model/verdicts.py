"""The six verdicts, defined once (README "Verdicts").

A verdict is one word; what supports it lives in other fields of a cell or proof
(`reason`, `bound`, `states`, `cases`, `counterexample`, ...).  `Verdict` is a str
enum, so it compares and serialises as its word (`Verdict.REFUTED == "refuted"`,
`json.dumps` writes `"refuted"`), and every table that shows verdicts -- the matrix
text, the HTML classes, the manifest's "holds" -- is derived from it.
"""
from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    REFUTED = "refuted"                      # with a counterexample
    BOUNDED = "bounded"                      # exhaustive up to a stated bound
    NO_COUNTEREXAMPLE = "no counterexample"  # random testing, with the number of cases
    PROVED = "proved"                        # unbounded (Z3)
    UNKNOWN = "unknown"                      # with the reason
    NA = "n/a"                               # the ingredient is absent

    def __str__(self):
        return self.value

    @property
    def holds(self) -> bool:
        """A verdict the manifest's `holds` accepts."""
        return self in HOLDS

    @property
    def symbol(self) -> str:
        """How the text matrix shows it."""
        return _SYMBOL[self]

    @property
    def css(self) -> str:
        """The HTML report's class for it."""
        return _CSS[self]


HOLDS = frozenset({Verdict.BOUNDED, Verdict.NO_COUNTEREXAMPLE, Verdict.PROVED})
_SYMBOL = {Verdict.REFUTED: "REFUTED", Verdict.BOUNDED: "bounded", Verdict.NO_COUNTEREXAMPLE: "no cex",
           Verdict.PROVED: "proved", Verdict.UNKNOWN: "UNKNOWN", Verdict.NA: "n/a"}
_CSS = {Verdict.REFUTED: "refuted", Verdict.BOUNDED: "bounded", Verdict.NO_COUNTEREXAMPLE: "nocex",
        Verdict.PROVED: "proved", Verdict.UNKNOWN: "unknown", Verdict.NA: "na"}
#: what a proof (proofs/kernel.py) may grade: not n/a, not random testing
PROOF_GRADES = (Verdict.PROVED, Verdict.BOUNDED, Verdict.REFUTED, Verdict.UNKNOWN)


def verdict(word) -> Verdict:
    """The Verdict of a word (raises ValueError for anything else)."""
    return word if isinstance(word, Verdict) else Verdict(word)
