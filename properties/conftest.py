"""`pytest properties/`: the property ladder checked against the whole corpus.

With no options and no environment variables the `ci` Hypothesis profile is used:
derandomized (the same examples every run), bounded, no example database.  Set
DRAINVERIFY_PROFILE=dev for randomized runs that keep failures in
`.hypothesis/` and replay them first next time.  `--variant NAME` (repeatable)
checks only those variants and prints the counterexample of each property they
fail.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from model import variants

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=60, stateful_step_count=25,
    suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False)
settings.register_profile(
    "dev", deadline=None, max_examples=300, stateful_step_count=40, suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False)
settings.load_profile(os.environ.get("DRAINVERIFY_PROFILE", "ci"))

REPORTS: list[str] = []


def pytest_addoption(parser):
    parser.addoption("--variant", action="append", default=None,
                     help="check only this variant (repeatable); prints its counterexamples")


def selected_variants(config) -> list[str]:
    chosen = config.getoption("--variant")
    if not chosen:
        return list(variants.NAMES)
    for name in chosen:
        variants.get(name)
    return chosen


def pytest_generate_tests(metafunc):
    if "variant_name" in metafunc.fixturenames:
        metafunc.parametrize("variant_name", selected_variants(metafunc.config))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.getoption("--variant") and REPORTS:
        terminalreporter.section("counterexamples")
        for text in REPORTS:
            terminalreporter.write_line(text)
            terminalreporter.write_line("")
