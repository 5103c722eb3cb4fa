"""Every Z3 counterexample goes back through the Python model (DESIGN.md §5).

A decoded counterexample is a `model.scenario.Scenario` (the pages and programs the
Z3 model chose), the `CONFIG_CPUMASK_OFFSTACK` setting and a schedule prefix (the
choices the Z3 model made: which actor stepped, which outcome an allocation had).
`replay_counterexample` re-runs it with `model.history.replay` -- after the prefix
the remaining actors run in the model's fixed order -- judges the property with
the model's own monitor, and returns the model's counterexample artifact
(`model.history.to_artifact`).  If the model does not reproduce the violation the
encoding is wrong, and `EncodingBug` says so.
"""
from __future__ import annotations

from model import variants
from model.history import ReplayError, replay, to_artifact
from model.properties import BY_NAME

from .kernel import EncodingBug


def prove_cmd(prop: str, variant: str) -> str:
    return f"drainverify prove --only {prop}:{variant}"


def replay_counterexample(variant: str, prop: str, scenario, offstack: bool, choices=(),
                          decoded: dict | None = None, engine: str = "z3") -> dict:
    """Replay a decoded Z3 counterexample in the model; return its artifact with
    `replayed: True`, or raise EncodingBug."""
    v = variants.get(variant)
    scenario.validate()
    try:
        h = replay(v, scenario, offstack, "sc", list(choices), props=[BY_NAME[prop]], run_to_end=True)
    except ReplayError as exc:
        raise EncodingBug(f"{prop} x {variant}: the Z3 schedule is not a schedule of the model: {exc}") from None
    viol = h.violations(prop)
    if not viol:
        raise EncodingBug(f"{prop} x {variant}: the Z3 counterexample ({scenario.describe()}) does not "
                          f"violate {prop} in the model")
    cfg = {"engine": engine, "cpus": scenario.ncpus, "zones": scenario.nzones, "pages": scenario.npages,
           "callers": scenario.ncallers, "high": scenario.high, "batch": scenario.batch,
           "offstack": "y" if offstack else "n", "memory_model": "sc"}
    art = to_artifact(h, prop, cfg, prove_cmd(prop, variant))
    art["replayed"] = True
    art["engine"] = engine
    art["schedule_from_solver"] = len(list(choices))
    if decoded is not None:
        art["decoded"] = decoded
    return art
