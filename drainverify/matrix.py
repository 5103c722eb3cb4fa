"""The verification matrix: variants x properties, each cell a graded verdict.

Each (variant, OFFSTACK setting) is one exhaustive sweep (`model.explore`); the
cells of a row are read off it:

* `n/a`     the property's ingredient is absent in every setting run;
* `refuted` some setting found a violation: the smallest counterexample (CPUs,
            pages, callers, steps) is replayed in the model and attached;
* `bounded` no violation within the bound, and the property's witness was reached
            in every applicable setting;
* `unknown` no violation, but the witness was never reached, nothing within the
            bound exercised the property, or the state limit cut the search.

Variants that allocate nothing behave the same under both OFFSTACK settings, so
they are swept once.
"""
from __future__ import annotations

from dataclasses import dataclass

from model import manifest, variants
from model.config import Config
from model.explore import Bound
from model.history import replay, to_artifact
from model.properties import BY_NAME
from model.verdicts import Verdict, verdict


def bound_of(cfg: Config) -> Bound:
    return Bound(cpus=cfg.cpus, pages=cfg.pages, callers=cfg.callers, zones=cfg.zones, ops=cfg.ops,
                 hotplug=cfg.hotplug, high=cfg.high, batch=cfg.batch, size=cfg.size, env=cfg.env)


def settings_for(variant, cfg: Config) -> tuple[bool, ...]:
    s = cfg.offstack_settings()
    return s if variant.allocates else s[:1]


def replay_command(vname, prop, cfg: Config, offstack: bool, scn, cli: str | None = None) -> str:
    which = cli or (f"--impl {vname}" if ":" in vname else f"--variant {vname}")
    cmd = which if which.startswith("review ") else f"check {which}"
    hot = f" --hotplug {cfg.hotplug}" if cfg.hotplug else ""
    ops = f" --ops {cfg.ops}" if cfg.ops != 1 else ""
    ops += "".join(f" --env {n}" for n in cfg.env)
    return (f"drainverify {cmd} --property {prop} --cpus {scn.ncpus} "
            f"--pages {scn.npages} --callers {scn.ncallers} --size {cfg.size} --zones {cfg.zones} --high {cfg.high} "
            f"--batch {cfg.batch} --offstack {'y' if offstack else 'n'} --memory-model {cfg.memory_model}{ops}{hot}")


def counterexample(vname, finding, cfg: Config, offstack: bool, cli: str | None = None, label=None) -> dict:
    v = variants.get(vname)
    h = replay(v, finding.scenario, offstack, cfg.memory_model, finding.choices,
               props=[BY_NAME[finding.prop]], run_to_end=False)
    art = to_artifact(h, finding.prop, cfg.as_dict(),
                      replay_command(vname, finding.prop, cfg, offstack, finding.scenario, cli))
    if label and label != vname:
        art["subject"] = label
    if art["verdict"] != "refuted":
        raise AssertionError(f"counterexample for {vname} x {finding.prop} does not replay in the model")
    return art


def bound_text(cfg: Config, bound) -> str:
    """A cell's bound, naming the configuration it is (or extends)."""
    return f"configuration {cfg.label}: {bound.text()}"


def _size(f):
    s = f.scenario
    return (s.ncpus, s.npages, s.ncallers, len(f.choices))


def cell(vname, prop, results, cfg: Config, expected_row=None, cli=None, label=None) -> dict:
    v = variants.get(vname)
    p = BY_NAME[prop]
    exp = expected_row[prop] if expected_row is not None else manifest.expected(vname, prop, cfg.name)
    reasons = [p.applies(v, r.offstack, zones=r.bound.zones) for r in results]
    if all(x is not None for x in reasons):
        c = {"verdict": Verdict.NA, "reason": reasons[0]}
    else:
        found = [(r, r.findings[prop]) for r in results if prop in r.findings]
        app = [r for r, why in zip(results, reasons) if why is None]
        states = sum(r.states for r in app)
        if found:
            r, f = min(found, key=lambda rf: _size(rf[1]))
            art = counterexample(vname, f, cfg, r.offstack, cli, label)
            cut = [x for x in results if prop in x.cancelled]
            c = {"verdict": Verdict.REFUTED, "reason": f.text,
                 "detail": f"CONFIG_CPUMASK_OFFSTACK={'y' if r.offstack else 'n'}; found after "
                           f"{f.found_after_scenarios + 1} scenario(s), {f.found_after_states} state(s)"
                           + "".join(f"; the OFFSTACK={'y' if x.offstack else 'n'} sweep of it was cancelled "
                                     f"past the size of this counterexample" for x in cut),
                 "counterexample": art}
        elif any(prop in r.cancelled for r in app):
            raise AssertionError(f"{vname} x {prop}: a sweep was cut for a property no sweep refuted")
        elif any(r.stopped for r in app):
            c = {"verdict": Verdict.UNKNOWN, "reason": "not judged: the search stopped: " +
                 next(r.stopped for r in app if r.stopped), "bound": bound_text(cfg, app[0].bound)}
        elif not all(prop in r.judged for r in app):
            c = {"verdict": Verdict.UNKNOWN, "reason": "no scenario within the bound exercises this property",
                 "bound": bound_text(cfg, app[0].bound)}
        elif not all(prop in r.witnesses for r in app):
            c = {"verdict": Verdict.UNKNOWN, "reason": f"witness never reached: {p.witness}",
                 "bound": bound_text(cfg, app[0].bound), "states": states}
        elif any(r.truncated for r in app):
            c = {"verdict": Verdict.UNKNOWN, "reason": "the state or time limit cut the search",
                 "bound": bound_text(cfg, app[0].bound), "states": states}
        else:
            c = {"verdict": Verdict.BOUNDED, "bound": bound_text(cfg, app[0].bound),
                 "states": states, "schedules": sum(r.schedules for r in app),
                 "scenarios": sum(r.scenarios for r in app),
                 "detail": f"witness reached: {p.witness}"}
    c.setdefault("counterexample", None)
    c["expected"] = manifest.expected_grade(exp, "bounded")
    c["matches"] = manifest.matches(exp, c["verdict"])
    if not c["matches"] and exp == "refuted" and expected_row is None:
        c["expected_reason"] = manifest.reason(vname, prop, cfg.name)
    order = ["verdict", "expected", "matches"]
    return {k: c[k] for k in order} | {k: v for k, v in c.items() if k not in order}


def apply_proofs(cells: dict, cfg: Config) -> None:
    """Upgrade `bounded` cells to `proved` where a Z3 theorem proves the property
    for every size (proofs/expected.json lists which); a proof that does not come
    out `proved` (a timeout is `unknown`) leaves the cell `bounded` and says why."""
    import json
    from pathlib import Path
    try:
        exp = json.loads((Path(__file__).resolve().parent.parent / "proofs" / "expected.json").read_text())
        unbounded = {f"{r['property']}:{r['variant']}" for r in exp["theorems"] if r["grade"] == "proved"}
    except Exception:
        unbounded = None
    if unbounded is not None and not any(c["verdict"] == "bounded" and f"{p}:{vn}" in unbounded
                                         for vn, row in cells.items() for p, c in row.items()):
        return                          # nothing to upgrade: Z3 is not even imported
    try:
        from proofs.kernel import DEFAULT_TIMEOUT_MS
        from proofs.theorems import expected, run_key
        unbounded = {k for k, g in expected().items() if g == "proved"}
    except Exception as exc:  # the matrix stands without the proofs
        for row in cells.values():
            for c in row.values():
                if c["verdict"] == "bounded":
                    c["proof"] = f"proofs unavailable: {type(exc).__name__}"
        return
    for vn, row in cells.items():
        for prop, c in row.items():
            key = f"{prop}:{vn}"
            if c["verdict"] != "bounded" or key not in unbounded:
                continue
            try:
                pr = run_key((key, DEFAULT_TIMEOUT_MS, 20.0))
            except Exception as exc:
                c["proof"] = f"proof failed to run: {type(exc).__name__}: {exc}"
                continue
            if pr.grade == Verdict.PROVED:
                c["verdict"] = Verdict.PROVED
                c["proof"] = f"Z3, every size: {pr.invariant}"
                c["matches"] = manifest.matches(manifest.expected(vn, prop, cfg.name), "proved") \
                    if vn in manifest.load(cfg.name) else c["matches"]
            else:
                c["proof"] = f"Z3 gave {pr.grade}: {pr.reason or pr.bound or ''}"


@dataclass
class Matrix:
    cells: dict          # variant -> prop -> cell
    config: Config
    sweeps: dict = None  # variant -> [SweepResult] (the sizes --write-manifest pins)

    def to_json(self) -> dict:
        return {"variants": self.cells}

    @property
    def all_match(self) -> bool:
        return all(c["matches"] for row in self.cells.values() for c in row.values())


def run(vnames, props, cfg: Config, jobs: int = 0, progress=None, expected_rows=None,
        proofs: bool = False, cli=None, labels=None, full: bool = False, executor=None,
        engine: str = "exhaustive", cases: int = 0, shrink: bool = False) -> Matrix:
    """Sweep every (variant, OFFSTACK setting) and grade each cell.  `expected_rows`:
    spec -> expected row (default: model/manifest.json); `cli`: spec -> how a replay
    command names it; `labels`: spec -> the row's name in the result; `full`: every
    sweep to its end (no early stop, no cut: the counts the manifest pins);
    `executor`: a concurrent.futures executor to run the sweeps on (default: a local
    process pool of `jobs` workers; drainverify/schedule.py).  engine="hypothesis":
    the cells come from random testing, `cases` per setting (drainverify/random_engine.py)."""
    cli, labels = cli or {}, labels or {}
    if engine == "hypothesis":
        from drainverify import random_engine
        cells = {}
        for vn in dict.fromkeys(vnames):
            cells[labels.get(vn, vn)] = random_engine.row(
                vn, props, cfg, cases or random_engine.DEFAULT_CASES, shrink, (expected_rows or {}).get(vn),
                labels.get(vn), cli.get(vn))
            if progress:
                for off in settings_for(variants.get(vn), cfg):
                    progress(vn, off)
        return Matrix(cells, cfg, None)
    from drainverify.schedule import run_sweeps
    rows = {vn: settings_for(variants.get(vn), cfg) for vn in dict.fromkeys(vnames)}
    results = run_sweeps(rows, cfg, props, jobs=jobs, progress=progress, full=full, executor=executor)
    cells = {}
    for vn in vnames:
        rs = sorted(results[vn], key=lambda r: r.offstack)
        row = (expected_rows or {}).get(vn)
        cells[labels.get(vn, vn)] = {p: cell(vn, p, rs, cfg, row, cli.get(vn), labels.get(vn)) for p in props}
    if proofs:
        apply_proofs(cells, cfg)
    return Matrix(cells, cfg, {labels.get(vn, vn): rs for vn, rs in results.items()})




def table(m: Matrix, props) -> str:
    cols = [BY_NAME[p].short or p[:10] for p in props]
    w = max(len(v) for v in m.cells) + 1
    cw = max(10, max(len(c) for c in cols) + 1)
    lines = ["variant".ljust(w) + "".join(c.ljust(cw) for c in cols)]
    for vn, row in m.cells.items():
        line = vn.ljust(w)
        for p in props:
            c = row[p]
            s = verdict(c["verdict"]).symbol + ("" if c["matches"] else "!")
            line += s.ljust(cw)
        lines.append(line.rstrip())
    lines.append("")
    lines.append("legend: " + ", ".join(f"{a} = {p}" for p, a in zip(props, cols)))
    lines.append("'!' marks a cell that differs from model/manifest.json")
    return "\n".join(lines)
