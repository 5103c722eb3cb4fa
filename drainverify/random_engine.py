"""`drainverify check --engine hypothesis`: the matrix from random testing.

Each (variant, OFFSTACK setting) runs the Hypothesis state machine
(model/stateful.py) with every applicable property at once, for `cases` cases
(derandomized: the same cases every run for the same `--seed`).  A violation
ends that run; its property is graded `refuted` with the run replayed in the
model as an ordinary counterexample artifact (so `--save-regressions DIR`
keeps it, and `drainverify replay` reproduces it), and the remaining
properties run again.  A property with no violation in any setting is graded:

* `no counterexample`, with the number of cases in `cases` -- only if its
  witness was reached in every setting (else nothing tested it);
* `unknown` ("witness never reached in N cases") otherwise;
* `n/a` where its ingredient is absent, as in the exhaustive matrix.

Counterexamples are not shrunk by default (shrinking a state machine costs
seconds to minutes per cell); `--shrink` asks Hypothesis to shrink them.  The
minimal counterexample is the exhaustive engine's (`--engine exhaustive`, the
default).  Hypothesis' sizes: up to `--cpus` CPUs, `--pages` pages and
`--zones` zones; `--hotplug 0` keeps every CPU online.
"""
from __future__ import annotations

import time

from model import manifest, variants
from model.config import Config
from model.properties import BY_NAME
from model.verdicts import Verdict

DEFAULT_CASES = 200


def _run(v, off, props, cfg: Config, cases: int, shrink: bool, replay_cmd: str):
    """(stats key, Violation or None) of one Hypothesis run."""
    from hypothesis import HealthCheck, Phase, seed, settings
    from hypothesis.stateful import run_state_machine_as_test

    from model.stateful import Violation, make_machine
    machine = make_machine(v, off, props, cfg.memory_model, max_cpus=cfg.cpus, max_pages=cfg.pages,
                           max_zones=cfg.zones, hotplug=cfg.hotplug > 0, replay_cmd=replay_cmd)
    machine = seed(cfg.seed)(machine)
    phases = [Phase.generate] + ([Phase.shrink] if shrink else [])
    s = settings(max_examples=cases, database=None, deadline=None, stateful_step_count=25, phases=phases,
                 suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False)
    try:
        run_state_machine_as_test(machine, settings=s)
    except Violation as exc:
        return exc
    return None


def row(vname: str, pnames, cfg: Config, cases: int = DEFAULT_CASES, shrink: bool = False,
        expected_row=None, label=None, cli=None) -> dict:
    """The cells of one variant, graded from random testing."""
    from drainverify.matrix import settings_for
    from model.stateful import STATS, WITNESSES
    v = variants.get(vname)
    which = cli or (f"--impl {vname}" if ":" in vname else f"--variant {vname}")
    replay_cmd = f"drainverify replay FILE  (found by: drainverify check {which} --engine hypothesis " \
                 f"--cases {cases} --seed {cfg.seed})"
    offs = settings_for(v, cfg)
    found: dict = {}
    cases_run = {p: 0 for p in pnames}
    applies = {p: [off for off in offs if BY_NAME[p].applies(v, off, zones=cfg.zones) is None] for p in pnames}
    t0 = time.perf_counter()
    for off in offs:
        todo = [p for p in pnames if off in applies[p] and p not in found]
        while todo:
            key = (v.name, off, cfg.memory_model)
            before = STATS[key]["cases"]
            exc = _run(v, off, [BY_NAME[p] for p in todo], cfg, cases, shrink, replay_cmd)
            n = STATS[key]["cases"] - before
            for p in todo:
                cases_run[p] += n
            if exc is None:
                break
            prop = exc.artifact["property"]
            art = exc.artifact
            if art["verdict"] != "refuted":
                raise AssertionError(f"a Hypothesis counterexample for {vname} x {prop} does not replay in the model")
            if label and label != vname:
                art["subject"] = label
            found[prop] = (off, exc, n)
            todo.remove(prop)
    secs = time.perf_counter() - t0
    cells = {}
    for p in pnames:
        prop = BY_NAME[p]
        exp = expected_row[p] if expected_row is not None else manifest.expected(vname, p, cfg.name)
        if not applies[p]:
            c = {"verdict": Verdict.NA, "reason": prop.applies(v, offs[0], zones=cfg.zones)}
        elif p in found:
            off, exc, n = found[p]
            art = exc.artifact
            c = {"verdict": Verdict.REFUTED, "reason": art["violation"],
                 "detail": f"CONFIG_CPUMASK_OFFSTACK={'y' if off else 'n'}; Hypothesis, found within {n} case(s)"
                           + (", shrunk" if shrink else ", not shrunk"),
                 "counterexample": art, "cases": n}
        elif all(WITNESSES[(v.name, off, cfg.memory_model, p)] for off in applies[p]):
            c = {"verdict": Verdict.NO_COUNTEREXAMPLE, "cases": cases_run[p],
                 "bound": f"Hypothesis, seed {cfg.seed}: <= {cfg.cpus} CPUs, <= {cfg.pages} pages, "
                          f"<= {cfg.zones} zone(s), {cases} cases per OFFSTACK setting",
                 "detail": f"witness reached: {prop.witness}"}
        else:
            c = {"verdict": Verdict.UNKNOWN, "cases": cases_run[p],
                 "reason": f"witness never reached in {cases_run[p]} cases: {prop.witness}"}
        c.setdefault("counterexample", None)
        c["expected"] = manifest.expected_grade(exp, "no counterexample")
        c["matches"] = manifest.matches(exp, c["verdict"])
        c["seconds_row"] = round(secs, 2)
        order = ["verdict", "expected", "matches"]
        cells[p] = {k: c[k] for k in order} | {k: x for k, x in c.items() if k not in order}
    return cells
