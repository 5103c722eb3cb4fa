"""The theorem list: every (property, variant) pair `drainverify prove` checks.

Each row names the encoding that judges it; the expected grade of every row is data
(`proofs/expected.json`), not code.  Each theorem sits next to the mutants its
encoding refutes, so none is vacuous: the scan encoding proves the masked drain
and refutes `v5-last-zone-wins`, `mut-first-zone-only`, `mut-cpu-off-by-one`; the
fallback encoding proves the v4 patch and refutes `mut-mask-leak`,
`mut-no-fallback`, `mut-fallback-skips-local`; the Horn clauses prove the v4 patch
and refute `mut-gfp-kernel`; the BMC refutes the racy drains and bounds the fixes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .kernel import DEFAULT_TIMEOUT_MS, Proof

EXPECTED_PATH = Path(__file__).with_name("expected.json")


@dataclass(frozen=True)
class Theorem:
    prop: str
    variant: str
    encoding: str          # scan | fallback | recursion | bmc

    @property
    def key(self) -> str:
        return f"{self.prop}:{self.variant}"


SCAN = ("v4-zalloc-fallback", "v5-last-zone-wins", "mut-first-zone-only", "mut-cpu-off-by-one")
THEOREMS = (
    *[Theorem("quiescent_equivalence", v, "scan") for v in SCAN],
    *[Theorem("misses_only_late_arrivals", v, "scan") for v in SCAN],
    *[Theorem("fallback_is_broadcast", v, "fallback")
      for v in ("v4-zalloc-fallback", "mut-mask-leak", "mut-no-fallback", "mut-fallback-skips-local")],
    Theorem("no_reclaim_recursion", "v4-zalloc-fallback", "recursion"),
    Theorem("no_reclaim_recursion", "mut-gfp-kernel", "recursion"),
    Theorem("entry_snapshot_drained", "v3.4-static-mask", "bmc"),
    *[Theorem("disabled_pcp_left_empty", v, "bmc")
      for v in ("v4-zalloc-fallback", "v6.0-remote-lock", "v5.11-force-all", "v6.11-locked-count")],
)
#: deeper checks, run by `proofs.bench --deep` (minutes, not seconds)
DEEP = (Theorem("entry_snapshot_drained", "v4-zalloc-fallback", "bmc"),)
BY_KEY = {t.key: t for t in THEOREMS + DEEP}


def expected() -> dict:
    """key -> expected grade."""
    rows = json.loads(EXPECTED_PATH.read_text())["theorems"]
    return {f"{r['property']}:{r['variant']}": r["grade"] for r in rows}


def run(t: Theorem, timeout_ms: int = DEFAULT_TIMEOUT_MS, budget_s: float = 20.0) -> Proof:
    """Grade one theorem -- unless the conformance gate (proofs/gate.py) finds the
    encoding and the model disagree, which is `unknown` whatever the solver says."""
    from .gate import differences
    from .kernel import unknown
    diffs = differences(t.encoding, t.prop, t.variant)
    if diffs:
        return unknown(t.prop, t.variant, f"the encoding and the model disagree (proofs/gate.py): {diffs[0]}"
                       + (f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""),
                       config={"encoding": t.encoding}, timeout_ms=timeout_ms)
    if t.encoding == "scan":
        from . import equivalence
        return equivalence.prove(t.prop, t.variant, timeout_ms)
    if t.encoding == "fallback":
        from . import fallback
        return fallback.prove(t.variant, timeout_ms)
    if t.encoding == "recursion":
        from . import recursion
        return recursion.prove(t.variant, timeout_ms)
    if t.encoding == "bmc":
        from . import races
        return races.prove(t.prop, t.variant, timeout_ms=timeout_ms, budget_s=budget_s)
    raise ValueError(f"unknown encoding {t.encoding!r}")


def run_key(args) -> Proof:
    """Picklable entry point for a process pool: (key, timeout_ms, budget_s)."""
    key, timeout_ms, budget_s = args
    return run(BY_KEY[key], timeout_ms, budget_s)
