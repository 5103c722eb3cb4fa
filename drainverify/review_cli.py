"""`drainverify review PATCH... --kernel TREE|page_alloc.c`: the drain before and after.

The patches (a unified diff, `git format-patch` output, or an mbox series) are
applied in order to a private copy (kernelsrc.patch); both sides go through the
kernel front end and are checked in one run on the same configuration; the
report is the verdict diff per property, with the counterexample of every cell
that changed for the worse.  Exit 1 iff a cell that held before is refuted or
unknown after; 2 for bad input (a patch that does not apply, one that changes a
function the model supplies); 0 otherwise -- including a patch that leaves the
drain's code unchanged, which is said, not checked.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2


def add_parser(sub, config_flags):
    r = sub.add_parser("review", help="check the drain before and after a patch (or an mbox series)")
    r.add_argument("patch", nargs="+", help="unified diff, git format-patch file or mbox, applied in order")
    r.add_argument("--kernel", required=True, metavar="TREE|FILE", help="the kernel tree (or page_alloc.c)")
    r.add_argument("--define", metavar="CONFIG_X=V", action="append", help="set a CONFIG_ symbol (repeatable)")
    r.add_argument("--api", help="override the API read from the code (v3.2 ... v6.11)")
    r.add_argument("--property", action="append", help="check this property (repeatable; default all)")
    r.add_argument("--json", metavar="FILE", help='write {"before": ..., "after": ..., "diff": ...}')
    r.add_argument("--html", metavar="DIR", help="write DIR/before/report.html and DIR/after/report.html")
    r.add_argument("--no-proofs", action="store_true", help=argparse_suppress())
    r.add_argument("-j", "--jobs", type=int, default=0, help="parallel sweeps (default: all cores)")
    config_flags(r)
    return r


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS


def cmd_review(a, cfg, pnames, usage_error) -> int:
    from drainverify import matrix, subjects
    from kernelsrc import KernelInputError
    from kernelsrc.kconfig import parse_define
    from kernelsrc.patch import apply, read_patches
    from kernelsrc.review import compare, verdict_diff
    from kernelsrc.source import locate
    from model.format import lanes
    try:
        defines = dict(parse_define(d) for d in a.define or [])
        src = locate(a.kernel)
        patches = read_patches(a.patch)
        root = apply(src, patches)
    except KernelInputError as exc:
        raise usage_error(str(exc)) from None
    after_path = root if src.tree is not None else root / "mm" / "page_alloc.c"
    try:
        for n, p in enumerate(patches, 1):
            print(f"patch {n}/{len(patches)}: {p.subject}")
        try:
            ch = compare(a.kernel, after_path)
        except KernelInputError as exc:
            raise usage_error(str(exc)) from None
        if ch.supplied:
            name, lines = ch.supplied[0]
            raise usage_error(f"the patch changes {name}() (line {lines} after it), which the model supplies "
                              f"({'; '.join(n + '()' for n, _ in ch.supplied[1:]) or 'the drain calls it'}): "
                              f"the check would not see the change")
        if not ch.drain_changed:
            print(f"the patch leaves the drain's code unchanged in {src.display} "
                  f"(comments, whitespace or other functions only): nothing to check")
            return EXIT_OK
        for name, kind, before, after, what in ch.drain:
            print(f"  {what}: {name} ({kind}, lines {before} -> {after})")
        for sym, bv, av in ch.config:
            print(f"  Kconfig: {sym} default {bv} -> {av}")
        try:
            before = subjects.kernel(a.kernel, defines, a.api, None)
            after = subjects.kernel(str(after_path), defines, a.api, None)
        except (KernelInputError, subjects.SubjectError) as exc:
            raise usage_error(str(exc)) from None
        patch_args = " ".join(str(Path(p).resolve()) for p in a.patch)
        before.label = f"before: {src.display}"
        after.label = f"after: {src.display}"
        after.cli = f"review {patch_args} --kernel {Path(a.kernel).resolve()}"
        if before.kernel.shape != after.kernel.shape:
            print(f"  shape: {before.kernel.shape} -> {after.kernel.shape}")
        t0 = time.perf_counter()
        subs = [before, after]
        m = matrix.run([s.spec for s in subs], pnames, cfg, jobs=a.jobs,
                       expected_rows={s.spec: s.expected for s in subs}, proofs=False,
                       cli={s.spec: s.cli for s in subs}, labels={s.spec: s.label for s in subs})
        secs = time.perf_counter() - t0
        b_row, a_row = m.cells[before.label], m.cells[after.label]
        diff = verdict_diff(b_row, a_row)
        regressions = [d for d in diff if d["regression"]]
        _outputs(a, m, subs, diff, ch, patches, pnames, cfg)
        print()
        w = max(len(p) for p in pnames) + 2
        print("property".ljust(w) + "before".ljust(12) + "after")
        for d in diff:
            arrow = "" if not d["changed"] else "  <== regression" if d["regression"] else \
                "  (fixed)" if d["fixed"] else "  (changed)"
            print(d["property"].ljust(w) + _grade(d["before"]).ljust(12) + _grade(d["after"]) + arrow)
        for d in diff:
            if d["regression"]:
                c = a_row[d["property"]]
                print()
                print(f"{d['property']}: {_grade(d['before'])} -> {_grade(d['after'])}")
                if c["counterexample"]:
                    print(lanes(c["counterexample"]))
                else:
                    print(f"  {c.get('reason', '')}")
        print()
        if regressions:
            print(f"{len(regressions)} regression(s): " + ", ".join(f"{d['property']} {_grade(d['before'])} -> "
                                                                  f"{_grade(d['after'])}" for d in regressions)
                  + f" ({secs:.1f}s)")
            return EXIT_REGRESSION
        print(f"no regression: every cell that held before still holds ({secs:.1f}s)")
        return EXIT_OK
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _grade(v: str) -> str:
    return {"refuted": "REFUTED", "unknown": "UNKNOWN"}.get(v, v)


def _outputs(a, m, subs, diff, ch, patches, pnames, cfg):
    if a.json:
        sides = {}
        for side, s in zip(("before", "after"), subs):
            sides[side] = {"variants": {s.label: m.cells[s.label]}, "kernel": {s.label: s.kernel.to_json()}}
        data = dict(sides, diff=diff,
                    patches=[{"source": p.source, "subject": p.subject} for p in patches],
                    changes=[{"name": n, "kind": k, "before": b, "after": af, "what": w}
                             for n, k, b, af, w in ch.drain])
        with open(a.json, "w") as fh:
            json.dump(data, fh, indent=1)
            fh.write("\n")
    if a.html:
        from drainverify import html
        for side, s in zip(("before", "after"), subs):
            data = {"variants": {s.label: m.cells[s.label]}}
            cfg_text = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in cfg.as_dict().items())
            path = html.write(str(Path(a.html) / side), data, pnames, cfg_text, f"{side} the patch", [])
            print(f"wrote {path}", file=sys.stderr)
