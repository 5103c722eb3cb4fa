"""`drainverify prove`: run every Z3 theorem and compare its grade with the expected one.

    drainverify prove [--only PROPERTY:VARIANT]... [--json FILE] [--timeout MS]
                      [--budget S] [-j N] [--explain]

One row per theorem: property, variant, grade (`proved`, `bounded`, `refuted`,
`unknown`), the bound or the invariant, seconds.  Exit 0 iff every grade matches
`proofs/expected.json`, 1 otherwise, 2 on bad input.  Wire it into the main CLI
with `add_parser(subparsers)` and dispatch `prove` to `cmd_prove`; standalone:
`python -m proofs.cli prove ...`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from .kernel import DEFAULT_TIMEOUT_MS
from .theorems import BY_KEY, THEOREMS, expected, run_key

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers):
    p = subparsers.add_parser("prove", help="Z3 proofs and refutations: equivalence, fallback, "
                                            "no recursion, races")
    p.add_argument("--only", action="append", metavar="PROPERTY:VARIANT",
                   help="run this theorem only (repeatable; default: all)")
    p.add_argument("--json", metavar="FILE", help="write {\"theorems\": [...]} as JSON")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_MS,
                   help=f"solver timeout per query in ms (default {DEFAULT_TIMEOUT_MS}); a timeout is unknown")
    p.add_argument("--budget", type=float, default=20.0,
                   help="seconds one bounded model check may take before it reports the bound reached")
    p.add_argument("-j", "--jobs", type=int, default=1, help="theorems run in parallel (default 1; 0: all cores)")
    p.add_argument("--explain", action="store_true", help="print the lanes view of every counterexample")
    p.set_defaults(func=cmd_prove)
    return p


def _keys(only) -> list:
    if not only:
        return [t.key for t in THEOREMS]
    for k in only:
        if k not in BY_KEY:
            raise ValueError(f"unknown theorem {k!r}; known: {', '.join(BY_KEY)}")
    return list(dict.fromkeys(only))


def run_all(keys, timeout_ms=DEFAULT_TIMEOUT_MS, budget_s=20.0, jobs=0) -> list:
    """Proofs in the order of `keys`; the bounded model checks start first."""
    work = [(k, timeout_ms, budget_s) for k in keys]
    order = sorted(work, key=lambda w: BY_KEY[w[0]].encoding != "bmc")
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(work) == 1:
        done = {w[0]: run_key(w) for w in order}
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as ex:
            done = dict(zip([w[0] for w in order], ex.map(run_key, order)))
    return [done[k] for k in keys]


def _short(text, n=72) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 3] + "..."


def table(proofs, exp) -> str:
    lines = [f"{'property':27s} {'variant':26s} {'grade':8s} {'seconds':>8s}  bound / invariant"]
    for p in proofs:
        key = f"{p.prop}:{p.variant}"
        mark = "" if exp.get(key) == p.grade else f"  <-- expected {exp.get(key, 'no expectation')}"
        what = p.bound if p.grade != "proved" else p.invariant
        if p.grade == "unknown":
            what = p.reason
        lines.append(f"{p.prop:27s} {p.variant:26s} {p.grade:8s} {p.seconds:8.3f}  {_short(what)}{mark}")
    return "\n".join(lines)


def to_json(proofs, exp) -> dict:
    rows = []
    for p in proofs:
        r = p.row()
        key = f"{p.prop}:{p.variant}"
        r["expected"] = exp.get(key)
        r["matches"] = exp.get(key) == p.grade
        rows.append(r)
    return {"schema": "drainverify.proofs/1", "theorems": rows}


def cmd_prove(args) -> int:
    try:
        keys = _keys(args.only)
        if args.timeout <= 0 or args.budget <= 0 or args.jobs < 0:
            raise ValueError("--timeout and --budget must be positive, -j not negative")
    except ValueError as exc:
        print(f"drainverify prove: {exc}", file=sys.stderr)
        return EXIT_USAGE
    t0 = time.perf_counter()
    proofs = run_all(keys, args.timeout, args.budget, args.jobs)
    secs = time.perf_counter() - t0
    exp = expected()
    print(table(proofs, exp))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(to_json(proofs, exp), fh, indent=1)
            fh.write("\n")
    if args.explain:
        from model.format import lanes
        for p in proofs:
            if p.counterexample:
                print()
                print(lanes(p.counterexample))
    bad = [p for p in proofs if exp.get(f"{p.prop}:{p.variant}") != p.grade]
    print(f"{len(proofs) - len(bad)} as expected, {len(bad)} not ({secs:.1f}s, vs proofs/expected.json)")
    return EXIT_OK if not bad else EXIT_MISMATCH


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="drainverify")
    sub = parser.add_subparsers(dest="cmd")
    add_parser(sub)
    a = parser.parse_args(argv)
    if a.cmd is None:
        parser.print_help()
        return EXIT_USAGE
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
