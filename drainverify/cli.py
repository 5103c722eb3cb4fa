"""`drainverify`: the command line.

    drainverify check   [--variant V]... [--property P]... [config flags] [--json F] [-j N]
    drainverify check   --impl MODULE:NAME | --c FILE.c --api ERA  [--expect VARIANT]
    drainverify check   --kernel TREE|page_alloc.c [--define CONFIG_X=V]... [--expect auto|VARIANT]
    drainverify review  PATCH... --kernel TREE|page_alloc.c [--json F] [--html DIR]
    drainverify replay  FILE [--explain]
    drainverify list
    drainverify bench   [--variant V]... [--property P]...
    drainverify cost    [--summary] [--json F] [--plot DIR] [cost flags]
    drainverify prove   [--only PROPERTY:VARIANT]... [--json F]

Exit codes: 0 success (check: every cell matches the manifest), 1 a mismatch or a
replay that did not reproduce, 2 bad input (a one-line error on stderr).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from model import manifest, variants
from model import properties as props_mod
from model.config import Config, ConfigError

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


_BOUND_FLAGS = ("cpus", "zones", "pages", "callers", "ops", "hotplug", "size", "high", "batch", "memory_model")


def _config_flags(p):
    d = Config()
    g = p.add_argument_group("configuration (shared by every command)")
    g.add_argument("--config", default=None, metavar="NAME",
                   help="a named configuration of model/manifest.json: default, hotplug, deep (drainverify list "
                        "--configs); the flags below extend it")
    g.add_argument("--cpus", type=int, default=None, help=f"at most this many CPUs (default {d.cpus})")
    g.add_argument("--zones", type=int, default=None, help=f"populated zones (default {d.zones})")
    g.add_argument("--pages", type=int, default=None, help=f"at most this many pages (default {d.pages})")
    g.add_argument("--callers", type=int, default=None, help=f"at most this many drain calls (default {d.callers})")
    g.add_argument("--ops", type=int, default=None,
                   help=f"at most this many background frees/allocations per scenario (default {d.ops})")
    g.add_argument("--hotplug", type=int, default=None,
                   help=f"CPU hotplug steps per scenario, 0 or 1 (default {d.hotplug})")
    g.add_argument("--size", type=int, default=None,
                   help=f"at most pages + callers + other operations + hotplug steps per scenario (default {d.size})")
    g.add_argument("--high", type=int, default=None, help=f"pcp->high (default {d.high})")
    g.add_argument("--batch", type=int, default=None, help=f"pcp->batch (default {d.batch})")
    g.add_argument("--offstack", default=d.offstack, help="CONFIG_CPUMASK_OFFSTACK: y, n or both (default both)")
    g.add_argument("--memory-model", default=None, help="sc (default) or tso")
    g.add_argument("--seed", type=int, default=d.seed, help="seed for the randomised engines (default 0)")
    g.add_argument("--env", action="append", default=None, metavar="OPTION",
                   help="an environment option (repeatable): no-free-clamp (the free path before 88e8ac11d2ea), "
                        "two-step-high-batch (high and batch stored apart); model/environment.py")
    g.add_argument("--reduction", default=d.reduction,
                   help="none (default) or sleep: sleep sets in the exhaustive driver (same verdicts and "
                        "counterexamples, fewer transitions)")


def _c_flags(parser):
    g = parser.add_argument_group("C code under the kernel-API shim (cshim, docs/c-shim.md)")
    g.add_argument("--c", metavar="FILE.c", action="append", help="check this C file written against the kernel API")
    g.add_argument("--api", help="kernel API era of the file (v3.2 ... v6.11, model/eras.py); with --kernel, "
                                 "overrides the API read from the code")
    g.add_argument("--entry", default="drain_all_pages", help="the drain function (default drain_all_pages)")
    g.add_argument("--init", help="boot-time setup function run before every explored run")


def _config(a) -> Config:
    """The configuration the flags ask for: a named one (--config, else default),
    with every bound flag given explicitly overriding it (and recorded as such)."""
    from model import manifest as mf
    name = getattr(a, "config", None) or mf.DEFAULT_CONFIG
    try:
        bound = dict(mf.configuration(name)["bound"])
    except mf.UnknownConfiguration as exc:
        raise ConfigError(str(exc)) from None
    extended = []
    for f in _BOUND_FLAGS:
        v = getattr(a, f, None)
        if v is not None and v != bound.get(f):
            bound[f] = v
            extended.append(f"--{f.replace('_', '-')} {v}")
    from model.environment import UnknownEnvironment, validate as env_names
    try:
        env = env_names(getattr(a, "env", None))
    except UnknownEnvironment as exc:
        raise ConfigError(str(exc)) from None
    extended += [f"--env {n}" for n in env]
    return Config(**bound, offstack=a.offstack, seed=a.seed, reduction=a.reduction, name=name,
                  extended=tuple(extended), env=env).validate()


_LAZY = {"cost": "expected cost of one drain per variant (Mel's question); docs/cost.md",
         "prove": "Z3 proofs of the thread's claims for every size; proofs/README.md"}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, the subcommands other than `only` whose modules are
    heavy (cost: matplotlib; prove: Z3) are stubs, so a check does not import them."""
    p = _Parser(prog="drainverify", description="Property-based verification of drain_all_pages().")
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)
    c = sub.add_parser("check", help="run the matrix of variants x properties")
    c.add_argument("--variant", action="append", help="check this variant (repeatable; default all)")
    c.add_argument("--property", action="append", help="check this property (repeatable; default all)")
    c.add_argument("--json", metavar="FILE", help="write the matrix and counterexamples as JSON")
    c.add_argument("--impl", metavar="MODULE:NAME", action="append",
                   help="check an outside implementation of the drain (docs/implementing.md)")
    c.add_argument("--expect", metavar="VARIANT|auto",
                   help="with --impl/--c/--kernel: exit 0 iff its row equals VARIANT's manifest row; "
                        "auto (--kernel): the corpus variant whose shape the code has")
    c.add_argument("--kernel", metavar="TREE|FILE", action="append",
                   help="check the drain of a real mm/page_alloc.c (a kernel tree or the file itself)")
    c.add_argument("--define", metavar="CONFIG_X=V", action="append",
                   help="with --kernel: set a CONFIG_ symbol the drain's code tests (repeatable)")
    c.add_argument("--explain", action="store_true", help="print the lanes view of every counterexample")
    c.add_argument("--html", metavar="DIR", help="write DIR/report.html: matrix, timelines, cost figures")
    c.add_argument("--no-cost-figures", action="store_true", help="leave the cost study out of --html")
    c.add_argument("--no-proofs", action="store_true",
                   help="do not upgrade bounded cells to proved with the Z3 theorems (proofs/)")
    c.add_argument("--junit", metavar="FILE", help="write JUnit XML, one test case per cell")
    c.add_argument("--ktap", action="store_true", help="print KTAP instead of the table")
    c.add_argument("--write-manifest", metavar="FILE",
                   help="run every sweep to its end and write model/manifest.json with this configuration's rows "
                        "and pinned sizes redrafted to FILE (for review; the built-in variants only)")
    c.add_argument("--save-regressions", metavar="DIR",
                   help="save every counterexample as DIR/<variant>.<property>.json (see tests/regressions)")
    c.add_argument("--engine", choices=("exhaustive", "hypothesis"), default="exhaustive",
                   help="exhaustive (default: every schedule within the bound) or hypothesis (random "
                        "testing: `no counterexample` in --cases cases per setting)")
    c.add_argument("--cases", type=int, default=None,
                   help="with --engine hypothesis: cases per OFFSTACK setting (default 200)")
    c.add_argument("--shrink", action="store_true", help="with --engine hypothesis: shrink counterexamples")
    c.add_argument("-j", "--jobs", type=int, default=0, help="parallel sweeps (default: all cores)")
    c.add_argument("--executor", metavar="ADDRESS",
                   help="run the sweeps on a Dask cluster (its scheduler's address, tcp://host:port) instead of "
                        "local processes; needs the 'distributed' package (pip install drainverify[dist])")
    _c_flags(c)   # --c FILE.c --api ERA --entry NAME --init NAME
    _config_flags(c)
    r = sub.add_parser("replay", help="replay one counterexample artifact and re-judge it")
    r.add_argument("file")
    r.add_argument("--explain", action="store_true", help="print the lanes view")
    li = sub.add_parser("list", help="list the variants and the property ladder")
    li.add_argument("--configs", action="store_true", help="list the named configurations of model/manifest.json")
    b = sub.add_parser("bench", help="time to the first minimal counterexample of each refuted pair")
    b.add_argument("--variant", action="append")
    b.add_argument("--property", action="append")
    b.add_argument("--spin-dir", metavar="DIR", help="also time SPIN on the Promela models in DIR")
    _config_flags(b)
    from drainverify import review_cli
    review_cli.add_parser(sub, _config_flags)
    if only in (None, "cost"):
        from cost import cli as cost_cli
        cost_cli.add_parser(sub)
    else:
        sub.add_parser("cost", help=_LAZY["cost"])
    if only in (None, "prove"):
        from proofs import cli as proofs_cli
        proofs_cli.add_parser(sub)
    else:
        sub.add_parser("prove", help=_LAZY["prove"])
    return p


def _names(given, known, get):
    if not given:
        return list(known)
    for g in given:
        get(g)           # raises with a one-line message
    return list(dict.fromkeys(given))


def _subjects(a, cfg):
    """Every subject the flags name (drainverify/subjects.py), in the order given."""
    from drainverify import subjects as S
    out = []
    outside = bool(a.impl or a.c or a.kernel)
    if a.expect and not outside:
        raise UsageError("--expect goes with --impl, --c or --kernel")
    if a.kernel:
        from kernelsrc import KernelInputError
        from kernelsrc.kconfig import parse_define
        defines = dict(parse_define(d) for d in a.define or [])
        for path in a.kernel:
            try:
                out.append(S.kernel(path, defines, a.api, a.expect, cfg.name))
            except KernelInputError as exc:
                raise UsageError(str(exc)) from None
    elif a.define:
        raise UsageError("--define goes with --kernel")
    for path in a.c or []:
        out.append(S.c_file(path, a.api, a.entry, a.init, a.expect, cfg.name))
    for spec in a.impl or []:
        out.append(S.impl(spec, a.expect, cfg.name))
    if not outside:
        out += [S.builtin(n) for n in _names(a.variant, variants.NAMES, variants.get)]
    else:
        out += [S.builtin(n) for n in dict.fromkeys(a.variant or [])]
    return out


def cmd_check(a) -> int:
    from drainverify import matrix
    from drainverify.subjects import SubjectError
    cfg = _config(a)
    pnames = _names(a.property, props_mod.NAMES, props_mod.get)
    if a.jobs < 0:
        raise ConfigError("-j must be at least 1")
    if a.engine != "hypothesis" and (a.cases is not None or a.shrink):
        raise UsageError("--cases and --shrink go with --engine hypothesis")
    if a.cases is not None and a.cases < 1:
        raise ConfigError("--cases must be at least 1")
    if a.engine == "hypothesis" and a.write_manifest:
        raise UsageError("--write-manifest pins the exhaustive engine's sizes: drop --engine hypothesis")
    try:
        subs = _subjects(a, cfg)
    except SubjectError as exc:
        for line in exc.details:
            print(f"  {line}", file=sys.stderr)
        raise UsageError(str(exc)) from None
    for s in subs:
        if s.kernel is not None:
            print("\n".join(s.kernel.report_lines()))
            print()
    t0 = time.perf_counter()
    specs = [s.spec for s in subs]
    njobs = sum(len(matrix.settings_for(variants.get(v), cfg)) for v in specs)
    expected_rows = {s.spec: s.expected for s in subs if s.expected is not None} or None
    client = executor = None
    if a.executor:
        client, executor = _dask_executor(a.executor)
    try:
        with _progress(njobs) as tick:
            m = matrix.run(specs, pnames, cfg, jobs=a.jobs, progress=tick, expected_rows=expected_rows,
                           proofs=not a.no_proofs and not a.write_manifest, cli={s.spec: s.cli for s in subs},
                           labels={s.spec: s.label for s in subs}, full=bool(a.write_manifest), executor=executor,
                           engine=a.engine, cases=a.cases or 0, shrink=a.shrink)
    finally:
        if client is not None:
            client.close()
    secs = time.perf_counter() - t0
    data = m.to_json()
    if a.write_manifest:
        from drainverify.manifest_draft import write_draft
        if any(s.kernel is not None or s.spec != s.label for s in subs):
            raise UsageError("--write-manifest drafts rows of the built-in variants only")
        print(f"wrote {write_draft(a.write_manifest, m, cfg, pnames)}", file=sys.stderr)
    kernels = {s.label: dict(s.kernel.to_json(), expected_shape=s.shape, expected_row=s.expected)
               for s in subs if s.kernel is not None}
    if kernels:
        data["kernel"] = kernels
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=False)
            fh.write("\n")
    if a.junit:
        from drainverify.ci_formats import junit
        with open(a.junit, "w") as fh:
            fh.write(junit(data, secs))
    cells = [(vn, p, c) for vn, row in m.cells.items() for p, c in row.items()]
    ok = sum(c["matches"] for _, _, c in cells)
    if a.save_regressions:
        from pathlib import Path
        d = Path(a.save_regressions)
        d.mkdir(parents=True, exist_ok=True)
        for vn, p, c in cells:
            if c["counterexample"]:
                (d / f"{_file_safe(vn)}.{p}.json").write_text(json.dumps(c["counterexample"], indent=1) + "\n")
    if a.html:
        from drainverify import html
        extras = []
        if not a.no_cost_figures:
            extras = _cost_figures()
        path = html.write(a.html, data, pnames, _config_text(cfg),
                          f"{ok} of {len(cells)} cells match the manifest ({secs:.0f}s).", extras)
        print(f"wrote {path}", file=sys.stderr)
    if a.ktap:
        from drainverify.ci_formats import ktap
        print(ktap(data), end="")
        print(f"# {ok} passed, {len(cells) - ok} failed")
        return EXIT_OK if m.all_match else EXIT_MISMATCH
    print(matrix.table(m, pnames))
    from model.format import lanes
    for vn, p, c in cells:
        if not c["matches"]:
            print(f"MISMATCH {vn} x {p}: got {c['verdict']}, expected {c['expected']}"
                  + (f" ({c.get('reason')})" if c.get("reason") else ""))
    if a.explain or len(subs) == 1:
        for vn, p, c in cells:
            if c["counterexample"]:
                print()
                print(lanes(c["counterexample"]))
    for s in subs:
        if s.shape and s.kernel is not None:
            row = m.cells[s.label]
            agree = sum(c["matches"] for c in row.values())
            print(f"{s.label}: shape of {s.shape}: {agree}/{len(row)} cells agree")
    against = "; ".join(dict.fromkeys(s.against for s in subs))
    how = "" if a.engine == "exhaustive" else \
        f"; engine hypothesis, seed {cfg.seed}, {a.cases or random_engine_cases()} cases per setting"
    print(f"{ok} passed, {len(cells) - ok} failed ({secs:.1f}s, matrix vs {against}; configuration {cfg.label}{how})")
    return EXIT_OK if m.all_match else EXIT_MISMATCH


def random_engine_cases() -> int:
    from drainverify.random_engine import DEFAULT_CASES
    return DEFAULT_CASES


def cmd_review(a) -> int:
    from drainverify import review_cli
    cfg = _config(a)
    if a.jobs < 0:
        raise ConfigError("-j must be at least 1")
    return review_cli.cmd_review(a, cfg, _names(a.property, props_mod.NAMES, props_mod.get), UsageError)


def _dask_executor(address: str):
    """A concurrent.futures executor on the Dask cluster at `address`."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--executor needs Dask's distributed package: pip install 'distributed>=2024.1'") from None
    try:
        client = Client(address, timeout=5)
    except Exception as exc:
        raise UsageError(f"--executor {address}: cannot reach a Dask scheduler there ({type(exc).__name__}: "
                         f"{exc})") from None
    return client, client.get_executor()


def _file_safe(name: str) -> str:
    import re
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "subject"


def _config_text(cfg) -> str:
    return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in cfg.as_dict().items())


def _cost_figures():
    try:
        from cost import params as cp, report, study
        return report.figures_for_html(study.compute(cp.CostParams()))
    except Exception as exc:  # the report still renders; say why the figures are missing
        return [("Cost study unavailable", f"<p>{type(exc).__name__}: {exc}</p>")]


class _progress:
    """A rich progress bar on a terminal; nothing when stdout is not a TTY."""

    def __init__(self, total):
        self.total = total
        self.bar = None

    def __enter__(self):
        if sys.stdout.isatty():
            from rich.progress import Progress
            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("sweeping variants", total=self.total)
        return self.tick

    def tick(self, vname, offstack):
        if self.bar is not None:
            self.bar.update(self.task, advance=1,
                            description=f"{vname} OFFSTACK={'y' if offstack else 'n'}")

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


def cmd_replay(a) -> int:
    from model.format import lanes
    from model.history import from_artifact, replay, to_artifact, ReplayError
    try:
        with open(a.file) as fh:
            art = json.load(fh)
        if "variants" in art and "schema" not in art:
            raise ValueError("this is a check --json matrix; pass one counterexample artifact")
        vname, prop, scn, offstack, mm, choices = from_artifact(art)
        v = variants.get(vname)
        p = props_mod.get(prop)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"drainverify replay: cannot read {a.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        h = replay(v, scn, offstack, mm, choices, props=[p], run_to_end=False)
    except ReplayError as exc:
        print(f"drainverify replay: the schedule does not replay: {exc}")
        return EXIT_MISMATCH
    again = to_artifact(h, prop, art["configuration"], art.get("replay", ""))
    same_verdict = again["verdict"] == art["verdict"] and again["violation"] == art["violation"]
    same_final = again["final_state"] == art["final_state"]
    if a.explain:
        print(lanes(again))
    if same_verdict and same_final:
        print(f"reproduced: {prop} {again['verdict']} on {vname} ({len(choices)} steps)")
        return EXIT_OK
    print(f"NOT reproduced: recorded {art['verdict']} ({art['violation']}), replay gives "
          f"{again['verdict']} ({again['violation']}){'' if same_final else '; final state differs'}")
    return EXIT_MISMATCH


def cmd_list(a) -> int:
    if getattr(a, "configs", False):
        for name, c in manifest.configurations().items():
            b = c["bound"]
            print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in b.items()))
            print(f"  covers: {c['covers']}")
            print(f"  does not cover: {c['does_not_cover']}")
            pinned = sum(1 for v in c.get("sizes", {}).values() for _ in v)
            print(f"  pinned sizes: {pinned} sweep(s)" if pinned else "  pinned sizes: none yet")
        return EXIT_OK
    print("variants:")
    for name, v in variants.CORPUS.items():
        print(f"  {name:26s} {v.summary}  [{v.source}]")
    print("properties:")
    for p in props_mod.LADDER:
        print(f"  {p.name:26s} {p.claim}")
    return EXIT_OK


def cmd_bench(a) -> int:
    from drainverify.bench import run_bench
    cfg = _config(a)
    vnames = _names(a.variant, variants.NAMES, variants.get)
    pnames = _names(a.property, props_mod.NAMES, props_mod.get)
    rc = run_bench(vnames, pnames, cfg)
    if a.spin_dir:
        from drainverify.bench import spin_times
        print()
        print("SPIN, end to end (spin -a, gcc -O2 -DSAFETY, ./pan):")
        for name, secs, verdict in spin_times(a.spin_dir):
            print(f"  {name:24s} {secs:6.2f} s  {verdict}")
    return rc


def _cmd_cost(a):
    from cost import cli as cost_cli
    return cost_cli.cmd_cost(a)


def _cmd_prove(a):
    from proofs import cli as proofs_cli
    return proofs_cli.cmd_prove(a)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    first = next((x for x in args if not x.startswith("-")), None)
    parser = build_parser(only=first if first in ("check", "replay", "list", "bench", "review", "cost", "prove")
                          else None)
    try:
        a = parser.parse_args(args)
        if a.cmd is None:
            parser.print_help()
            return EXIT_USAGE
        return {"check": cmd_check, "replay": cmd_replay, "list": cmd_list, "bench": cmd_bench, "review": cmd_review,
                "cost": _cmd_cost, "prove": _cmd_prove}[a.cmd](a)
    except (UsageError, ConfigError, variants.UnknownVariant, props_mod.UnknownProperty,
            variants.ImplLoadError) as exc:
        print(f"drainverify: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
