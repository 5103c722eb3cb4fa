"""The Hypothesis state machine against the manifest.

For each variant and each OFFSTACK setting that matters to it, the properties the
manifest expects to hold are checked together and must find no counterexample in
the profile's number of cases (the witnesses random testing reached are printed;
that every witness is reached is asserted on the exhaustive driver, see
test_exhaustive_manifest.py).  Each property expected to fail is then checked alone:
random testing must refute at least half of them, and every counterexample it finds
must replay in the model.  Which races it misses within the CI budget (a specific
workload *and* a specific interleaving) is printed; the exhaustive driver refutes
every one of them.  In the CI profile a found failure is reported unshrunk
(shrinking a state machine costs tens of seconds per pair); the minimal
counterexample is the exhaustive driver's.  DRAINVERIFY_PROFILE=dev shrinks.
"""
from __future__ import annotations

import os

from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conftest import REPORTS, selected_variants
from model.stateful import STATS, WITNESSES, Violation, make_machine
from drainverify.matrix import settings_for
from model import manifest, variants
from model.config import Config
from model.properties import LADDER

CI = os.environ.get("DRAINVERIFY_PROFILE", "ci") == "ci"
FLOOR = 0.5          # share of expected failures random testing must find


def _settings(variant):
    return settings_for(variant, Config())     # OFFSTACK settings that matter to it


def test_no_counterexample_to_properties_expected_to_hold(variant_name):
    """Random workloads and schedules never violate a property the manifest says holds.  Runs
    may take CPUs down and up only for the properties the manifest's `hotplug` configuration
    also says hold (CPU hotplug refutes ipi_only_where_pages of the work-item drains)."""
    v = variants.get(variant_name)
    for off in _settings(v):
        props = [p for p in LADDER if manifest.expected(variant_name, p.name) == "holds"
                 and p.applies(v, off) is None]
        with_hotplug = [p for p in props if manifest.expected(variant_name, p.name, "hotplug") == "holds"]
        for group, hotplug in ((with_hotplug, True), ([p for p in props if p not in with_hotplug], False)):
            if not group:
                continue
            key = (variant_name, off, "sc")
            before = dict(STATS[key])
            run_state_machine_as_test(make_machine(v, off, group, hotplug=hotplug))
            cases = STATS[key]["cases"] - before.get("cases", 0)
            steps = STATS[key]["steps"] - before.get("steps", 0)
            reached = [p.name for p in group if WITNESSES[key + (p.name,)]]
            print(f"{variant_name} OFFSTACK={'y' if off else 'n'}{'' if hotplug else ', no hotplug'}: no "
                  f"counterexample in {cases} cases ({steps} steps) for {len(group)} properties; "
                  f"witnesses reached: {', '.join(reached) or 'none'}")
            assert cases > 0


def refute(variant_name, prop):
    v = variants.get(variant_name)
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([] if CI else [Phase.shrink])
    for off in _settings(v):
        if prop.applies(v, off) is not None:
            continue
        try:
            run_state_machine_as_test(make_machine(v, off, [prop]),
                                      settings=settings(max_examples=200, phases=phases))
        except Violation as exc:
            return exc
    return None


def test_random_testing_refutes_most_expected_failures(request):
    """Hypothesis alone refutes at least half of the (variant, property) pairs the manifest says
    fail, and each of its counterexamples replays in the model as a refutation."""
    found, missed = [], []
    for vn in selected_variants(request.config):
        for prop in [p for p in LADDER if manifest.expected(vn, p.name) == "refuted"]:
            exc = refute(vn, prop)
            if exc is None:
                missed.append(f"{vn} x {prop.name}")
                continue
            art = exc.artifact
            assert art["verdict"] == "refuted" and art["property"] == prop.name, f"{vn} x {prop.name}"
            found.append(f"{vn} x {prop.name}")
            REPORTS.append(str(exc))
    print(f"random testing refuted {len(found)} of {len(found) + len(missed)} expected failures")
    print("missed within the budget (the exhaustive driver refutes them): " + "; ".join(missed))
    total = len(found) + len(missed)
    assert total == 0 or len(found) >= FLOOR * total, f"only {len(found)} of {total}: missed {missed}"
