"""`drainverify cost`: the expected cost of one drain_all_pages() per variant, over
the number of online CPUs and the fraction of CPUs with pcp pages, plus workloads.

    drainverify cost [--ipi-ns NS] [--wakeup-ns NS] [--scan-ns NS] [--alloc-ns NS]
                     [--page-alloc-ns NS] [--slab-miss P] [--pressure-slab-miss P]
                     [--reserve-fail P] [--idle-empty P]
                     [--cpus N] [--zones N] [--offstack y|n] [--occupancy-steps S]
                     [--workload-cpus N,N,...] [--variant V]... [--seed N]
                     [--json OUT] [--plot DIR] [--summary] [-j N] [--cache DIR | --no-cache]

Exit codes: 0 success, 1 the model could not be driven (a deadlock), 2 bad input
(a one-line error on stderr).  `add_parser()` and `cmd_cost()` plug into the
`drainverify` command; `python -m cost.cli ...` runs it on its own.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from . import params as P
from . import report, runner, study
from . import variants as cv

EXIT_OK, EXIT_MODEL, EXIT_USAGE = 0, 1, 2
MAX_CPUS = 4096


class CostUsageError(ValueError):
    """Bad input to `drainverify cost`; the message is one line."""


def _price_flags(p):
    d = P.DEFAULTS
    g = p.add_argument_group("prices (ns of CPU time; sources in docs/cost.md)")
    g.add_argument("--ipi-ns", type=float, default=d.ipi_ns,
                   help=f"per CPU interrupted by IPI or work item (default {d.ipi_ns:g})")
    g.add_argument("--wakeup-ns", type=float, default=d.wakeup_ns,
                   help=f"per idle CPU pulled out of a C-state (default {d.wakeup_ns:g}, Skylake-SP C6)")
    g.add_argument("--scan-ns", type=float, default=d.scan_ns,
                   help=f"per pcp->count load (cpu x zone), shared-mask bit op or remote lock (default {d.scan_ns:g})")
    g.add_argument("--alloc-ns", type=float, default=d.alloc_ns,
                   help=f"per zalloc_cpumask_var()+free on the slab fast path (default {d.alloc_ns:g})")
    g.add_argument("--page-alloc-ns", type=float, default=d.page_alloc_ns,
                   help=f"added per mask allocation that misses the slab (default {d.page_alloc_ns:g})")
    g = p.add_argument_group("probabilities (assumptions; see docs/cost.md)")
    g.add_argument("--slab-miss", type=float, default=d.slab_miss,
                   help=f"slab miss rate of the mask allocation outside pressure (default {d.slab_miss:g})")
    g.add_argument("--pressure-slab-miss", type=float, default=d.pressure_slab_miss,
                   help=f"slab miss rate in the pressure workload (default {d.pressure_slab_miss:g})")
    g.add_argument("--reserve-fail", type=float, default=d.reserve_fail,
                   help=f"a miss under pressure finds the reserves exhausted (default {d.reserve_fail:g})")
    g.add_argument("--idle-empty", type=float, default=d.idle_empty,
                   help=f"share of empty-list CPUs idle in a C-state in the sweep (default {d.idle_empty:g})")


def add_parser(subparsers):
    """Add the `cost` subcommand to a `drainverify` subparsers object."""
    p = subparsers.add_parser(
        "cost", help="expected cost of one drain per variant over CPUs x occupancy (Mel's question)",
        description="When does the masked drain pay?  Counts from the model, prices from published "
                    "measurements (docs/cost.md).")
    _price_flags(p)
    g = p.add_argument_group("configuration")
    g.add_argument("--cpus", type=int, default=MAX_CPUS,
                   help=f"largest number of online CPUs; sampled at powers of two (default {MAX_CPUS})")
    g.add_argument("--zones", type=int, default=2, help="populated zones scanned per CPU (default 2)")
    g.add_argument("--offstack", default="y", help="CONFIG_CPUMASK_OFFSTACK: y (default) or n")
    g.add_argument("--occupancy-steps", type=int, default=8,
                   help="occupancy sampled at i/STEPS up to 256 CPUs (default 8)")
    g.add_argument("--workload-cpus", default="8,64,512",
                   help="CPU counts the workloads run at, comma-separated (default 8,64,512)")
    g.add_argument("--variant", action="append",
                   help=f"price this variant (repeatable; default {', '.join(cv.DEFAULT_VARIANTS)})")
    g.add_argument("--seed", type=int, default=0, help="seed of the workloads' random programs (default 0)")
    g = p.add_argument_group("output")
    g.add_argument("--json", metavar="OUT", help="write the numbers behind every figure as JSON")
    g.add_argument("--plot", metavar="DIR", help="write the figures as PNG and SVG into DIR")
    g.add_argument("--summary", action="store_true", help="print one paragraph a reviewer can paste")
    g.add_argument("-j", "--jobs", type=int, default=0, help="parallel model runs (default: up to 2)")
    g.add_argument("--cache", metavar="DIR", help="cache directory for model counts (default ~/.cache/drainverify)")
    g.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk cache")
    return p


def params_from(a) -> P.CostParams:
    return P.CostParams(ipi_ns=a.ipi_ns, wakeup_ns=a.wakeup_ns, scan_ns=a.scan_ns, alloc_ns=a.alloc_ns,
                        page_alloc_ns=a.page_alloc_ns, slab_miss=a.slab_miss,
                        pressure_slab_miss=a.pressure_slab_miss, reserve_fail=a.reserve_fail,
                        idle_empty=a.idle_empty).validate()


def _int_list(text, flag):
    try:
        vals = [int(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise CostUsageError(f"{flag} takes comma-separated integers, got {text!r}") from None
    if not vals:
        raise CostUsageError(f"{flag} needs at least one CPU count")
    for v in vals:
        if not 1 <= v <= MAX_CPUS:
            raise CostUsageError(f"{flag} values must be between 1 and {MAX_CPUS}, got {v}")
    return vals


def validate(a) -> dict:
    """Check the configuration flags; return them normalised."""
    if a.cpus < 1:
        raise CostUsageError(f"--cpus must be at least 1 (a machine has a boot CPU), got {a.cpus}")
    if a.cpus > MAX_CPUS:
        raise CostUsageError(f"--cpus must be at most {MAX_CPUS}, got {a.cpus}")
    if not 1 <= a.zones <= len(runner.ZONE_NAMES):
        raise CostUsageError(f"--zones must be between 1 and {len(runner.ZONE_NAMES)}, got {a.zones}")
    if a.offstack not in ("y", "n"):
        raise CostUsageError(f"--offstack must be y or n, got {a.offstack!r}")
    if not 1 <= a.occupancy_steps <= 64:
        raise CostUsageError(f"--occupancy-steps must be between 1 and 64, got {a.occupancy_steps}")
    if a.jobs < 0:
        raise CostUsageError(f"-j must not be negative, got {a.jobs}")
    names = list(dict.fromkeys(a.variant or cv.DEFAULT_VARIANTS))
    for n in names:
        if n not in cv.known_names():
            raise CostUsageError(f"unknown variant {n!r}; known: {', '.join(cv.known_names())}")
    jobs = a.jobs or max(1, min(2, os.cpu_count() or 1))
    return {"cpus": a.cpus, "zones": a.zones, "offstack": a.offstack == "y", "steps": a.occupancy_steps,
            "workload_cpus": _int_list(a.workload_cpus, "--workload-cpus"), "vnames": names, "jobs": jobs,
            "seed": a.seed}


def cmd_cost(a) -> int:
    """Run the study and write what was asked for.  Returns the exit code."""
    try:
        prm = params_from(a)
        cfg = validate(a)
    except (P.ParamError, CostUsageError) as exc:
        print(f"drainverify cost: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if a.plot:
        try:
            report._plt()
        except report.PlotUnavailable as exc:
            print(f"drainverify cost: {exc}", file=sys.stderr)
            return EXIT_USAGE
    cache_dir = None if a.no_cache else (a.cache or runner.default_cache_dir())
    t0 = time.perf_counter()
    try:
        result = study.compute(prm, cfg["cpus"], cfg["zones"], cfg["offstack"], cfg["steps"], cfg["vnames"],
                               cfg["workload_cpus"], cfg["jobs"], runner.PointCache(cache_dir), cfg["seed"])
    except runner.CostModelError as exc:
        print(f"drainverify cost: {exc}", file=sys.stderr)
        return EXIT_MODEL
    written = []
    try:
        if a.json:
            with open(a.json, "w") as fh:
                json.dump(result, fh, indent=1)
                fh.write("\n")
            written.append(a.json)
        if a.plot:
            written += [str(p) for p in report.write_plots(result, a.plot)]
    except OSError as exc:
        print(f"drainverify cost: cannot write: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if a.summary:
        print(report.summary(result))
    else:
        print(report.table(result))
        if written:
            print(f"wrote {len(written)} file(s) in {time.perf_counter() - t0:.1f}s: {', '.join(written)}")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"drainverify cost: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def main(argv=None) -> int:
    """`python -m cost.cli ...`: the subcommand without the `drainverify` wrapper."""
    parser = _Parser(prog="drainverify")
    sub = parser.add_subparsers(dest="cmd", parser_class=_Parser)
    add_parser(sub)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "cost":
        args = ["cost"] + args
    try:
        a = parser.parse_args(args)
    except SystemExit as exc:          # argparse: --help (0) or a bad flag (2, already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return cmd_cost(a)


if __name__ == "__main__":
    sys.exit(main())
