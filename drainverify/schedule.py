"""Which sweeps run, in what order, on what: the matrix's work as jobs with dependencies.

A row's sweeps are one per CONFIG_CPUMASK_OFFSTACK setting.  When a variant has
both, the `=n` sweep runs first and the `=y` sweep is given, for every property
`=n` refuted, the size of that counterexample (explore.sweep's `cutoffs`): `=y`
searches every scenario no larger -- a smaller or equal counterexample there would
still be found -- and then stops judging that property.  The row's counterexample is
the smallest over both (ties: `=n`), so the output is the same as two full sweeps'
and does not depend on timing; only a cut sweep's state counts are missing
(`cancelled`).  `full=True` (`check --write-manifest`) runs every sweep to its end.

Jobs go to a local process pool, or to any `concurrent.futures` executor
(`--executor`: a Dask cluster's).  Jobs are submitted dependency-first and
biggest-first (allocating variants' sweeps are the largest), so two workers end
together.
"""
from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, wait

from model import variants
from model.explore import scenario_size, sweep
from model.properties import BY_NAME


def job(args):
    """One sweep (runs in a worker): (vname, offstack, cfg, props, cutoffs, full) -> SweepResult."""
    vname, offstack, cfg, props, cutoffs, full = args
    from drainverify.matrix import bound_of
    v = variants.get(vname)
    return vname, offstack, sweep(v, bound_of(cfg), offstack, cfg.memory_model,
                                  props=[BY_NAME[p] for p in props], stop_when_refuted=not full,
                                  cutoffs=None if full else cutoffs, reduce=cfg.reduction == "sleep")


def _weight(vname, settings) -> int:
    v = variants.get(vname)
    return (2 if getattr(v, "allocates", False) else 1) * len(settings)


def run_sweeps(rows: dict, cfg, props, jobs: int = 0, progress=None, full: bool = False, executor=None) -> dict:
    """rows: vname -> settings (tuple of OFFSTACK bools).  Returns vname -> [SweepResult]."""
    props = tuple(props)
    results = {vn: [] for vn in rows}
    first = {vn: s[0] for vn, s in rows.items()}
    later = {vn: s[1:] for vn, s in rows.items()}
    order = sorted(rows, key=lambda vn: (-_weight(vn, rows[vn]), list(rows).index(vn)))

    def follow_up(vn, r):
        cut = {p: scenario_size(f.scenario) for p, f in r.findings.items()}
        return [(vn, off, cfg, props, cut, full) for off in later[vn]]

    jobs = jobs or os.cpu_count() or 1
    if executor is None and (jobs == 1 or sum(len(s) for s in rows.values()) == 1):
        for vn in order:
            vn_, off, r = job((vn, first[vn], cfg, props, {}, full))
            results[vn].append(r)
            if progress:
                progress(vn, off)
            for a in follow_up(vn, r):
                _, off2, r2 = job(a)
                results[vn].append(r2)
                if progress:
                    progress(vn, off2)
        return results
    own = executor is None
    if own:
        from concurrent.futures import ProcessPoolExecutor
        executor = ProcessPoolExecutor(max_workers=jobs)
    try:
        pending = {executor.submit(job, (vn, first[vn], cfg, props, {}, full)) for vn in order}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                vn, off, r = fut.result()
                results[vn].append(r)
                if progress:
                    progress(vn, off)
                if off == first[vn]:
                    pending |= {executor.submit(job, a) for a in follow_up(vn, r)}
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return results
