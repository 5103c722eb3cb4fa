"""`drainverify check --c FILE.c --api ERA [--entry NAME] [--init NAME] [--expect VARIANT]`.

`check_c()` is the whole command.  It builds the file first (a BuildError prints
the compiler's first errors and exits 2), then hands the file to
`drainverify.matrix.run` as the outside implementation `cshim.impl:FILE@ERA...`
(cshim/impl.py): one exhaustive sweep per CONFIG_CPUMASK_OFFSTACK setting (both
only if the file allocates on the drain path), cells graded by the matrix's own
rules, counterexamples replayed in the model with the same C build, printed as
lanes, with a replay command that works from a fresh process.

Expectations: with `expect` (automatic for a file listed in
c_corpus/manifest.json) the row must equal that variant's row in
model/manifest.json; without it the conformance rule of `--impl` applies
(`manifest.impl_row(None)`).  Exit 0 iff every cell matches, 1 otherwise, 2 on
bad input.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from model import manifest, variants
from model.config import Config
from model.format import lanes
from model.properties import NAMES

from . import BuildError, load
from .impl import spec as impl_spec

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2
CORPUS = Path(__file__).resolve().parent.parent / "c_corpus"


def add_c_arguments(parser):
    """The flags `drainverify check` needs for C files (call on its `check` subparser;
    it already has --expect)."""
    g = parser.add_argument_group("C code under the kernel-API shim (cshim, docs/c-shim.md)")
    g.add_argument("--c", metavar="FILE.c", help="check this C file written against the kernel API")
    g.add_argument("--api", help="kernel API era of the file: v3.2, v3.4, v3.19, v4.11, v5.11, v6.0")
    g.add_argument("--entry", default="drain_all_pages", help="the drain function (default drain_all_pages)")
    g.add_argument("--init", help="boot-time setup function run before every explored run")


def corpus_entry(path) -> dict | None:
    """The c_corpus/manifest.json entry of `path`, if it is a corpus file."""
    p = Path(path).resolve()
    if p.parent != CORPUS:
        return None
    files = json.loads((CORPUS / "manifest.json").read_text())["files"]
    return next((e for e in files.values() if e["file"] == p.name), None)


def check_c(path, api, entry="drain_all_pages", init=None, offstack_settings=(False, True), props=None,
            cfg: Config | None = None, jobs: int = 0, expect: str | None = None, era: str | None = None,
            json_path: str | None = None, explain: bool = False, out=print) -> int:
    """Check one C file against the property ladder; print the row; return the exit code."""
    from drainverify import matrix
    offstack = {(False,): "n", (True,): "y"}.get(tuple(offstack_settings), "both")
    cfg = (cfg or Config()).with_(offstack=offstack)
    props = list(props or NAMES)
    entry = entry or "drain_all_pages"
    ce = corpus_entry(path)
    if ce:
        expect = expect or ce["variant"]
        era = era or ce.get("era")
        init = init or ce.get("init")
    if not api:
        print("drainverify: --c needs --api (v3.2, v3.4, v3.19, v4.11, v5.11, v6.0)", file=sys.stderr)
        return EXIT_USAGE
    if expect and expect not in manifest.load():
        print(f"drainverify: --expect {expect!r} is not a variant of model/manifest.json", file=sys.stderr)
        return EXIT_USAGE
    t0 = time.perf_counter()
    try:
        load(path, api, entry, init, era=era).close()      # build now: errors are usage errors
    except BuildError as exc:
        print(f"drainverify: {exc.path} does not build against the {api} shim:", file=sys.stderr)
        for line in exc.errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_USAGE
    vn = variants.load_impl(impl_spec(path, api, entry, init, era)).name
    m = matrix.run([vn], props, cfg, jobs=jobs, expected_rows={vn: manifest.impl_row(expect)})
    secs = time.perf_counter() - t0
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(m.to_json(), fh, indent=1)
            fh.write("\n")
    out(matrix.table(m, props))
    row = m.cells[vn]
    for p, c in row.items():
        if not c["matches"]:
            out(f"MISMATCH {p}: got {c['verdict']}, expected {c['expected']}"
                + (f" ({c.get('reason')})" if c.get("reason") else ""))
    for p, c in row.items():
        if c["counterexample"] and (explain or len(props) <= 3):
            out("")
            out(lanes(c["counterexample"]))
    ok = sum(c["matches"] for c in row.values())
    against = f"the row of {expect} in model/manifest.json" if expect else "the conformance rule"
    out(f"{ok} passed, {len(row) - ok} failed ({secs:.1f}s, {Path(path).name} vs {against})")
    return EXIT_OK if m.all_match else EXIT_MISMATCH


def main(argv=None) -> int:
    """Standalone form: python -m cshim.cli FILE.c --api ERA [...] (the drainverify check flags)."""
    import argparse
    from drainverify.cli import _config, _config_flags
    from model.config import ConfigError
    ap = argparse.ArgumentParser(prog="python -m cshim.cli")
    ap.add_argument("file")
    ap.add_argument("--property", action="append", choices=NAMES)
    ap.add_argument("--json")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--expect", metavar="VARIANT")
    ap.add_argument("-j", "--jobs", type=int, default=0)
    add_c_arguments(ap)
    _config_flags(ap)
    a = ap.parse_args(argv)
    try:
        cfg = _config(a)
    except ConfigError as exc:
        print(f"drainverify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return check_c(a.file, a.api, a.entry, a.init, cfg.offstack_settings(), props=a.property, cfg=cfg,
                   jobs=a.jobs, expect=a.expect, json_path=a.json, explain=a.explain)


if __name__ == "__main__":
    sys.exit(main())
