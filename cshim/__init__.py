"""Real kernel C under the spec: a userspace kernel-API shim with controlled interleavings.

    v = cshim.load("c_corpus/v3.4-static-mask.c", "v3.4")
    model.explore.sweep(v, Bound(), offstack=False)

`load()` builds FILE.c against the shim of one kernel era (cshim/eras.py) and
returns a `model` Variant named after the file's stem: every shim primitive is a
scheduling point of the model's scheduler, so the exhaustive driver, the property
ladder and the counterexample formatter treat the C code exactly like the Python
corpus.  `cshim.impl:PATH@API...` names a C file wherever drainverify takes an
outside implementation (`check --impl`, `matrix.run`, `replay`).

What is abstracted and what is simplified: docs/c-shim.md.  The layers: `build`
(gcc, one translation unit, cache, symbols), `scan` (what the file defines, its
static cpumasks), `child` (processes, watchdog), `variant` (the response trie and
the request -> action plan), `ops` (the few actions the model lacks), `impl`,
`corpus` (c_corpus/ and its manifest); `drainverify check --c` is the command
(drainverify/subjects.py), cshim an adapter below it; the C side is `runtime/` (channel, pcp trap,
primitives) and `include/` (the kernel API of each era).
"""
from __future__ import annotations

from pathlib import Path

from .build import BuildError, analyse, build, cache_dir
from .variant import DEFAULT_TIMEOUT, CrashedInC, CVariant

__all__ = ["load", "BuildError", "CrashedInC", "CVariant", "cache_dir"]


def load(path, api, entry: str = "drain_all_pages", init: str | None = None, *, era=None,
         timeout: float = DEFAULT_TIMEOUT, cache: Path | None = None, name: str | None = None,
         origin: str | None = None, summary: str | None = None) -> CVariant:
    """Build FILE.c (both CONFIG_CPUMASK_OFFSTACK settings) and return it as a Variant.

    api: the era of the API and struct layouts, a named one (v3.2 ... v6.11,
    model/eras.py) or a `model.eras.Era` (what kernelsrc detects).  entry: the drain function (`drain_all_pages(void)` before
    v3.19, `drain_all_pages(struct zone *)` after).  init: a boot-time setup
    function run in every child before its context (its allocations never fail
    and never reach the model).  era: the model era for gfp rules if it differs
    from the api (e.g. "6.11").  timeout: the wall-clock watchdog of one C step.
    Raises BuildError (with the compiler's first errors) if it does not build.
    The variant comes in the sandbox outside code runs in (model/sandbox.py)."""
    p = Path(path).resolve()
    if not p.is_file():
        raise BuildError(path, [f"{path}: no such file"])
    try:
        meta, _ = analyse(p, api, entry, init, origin=origin)
    except ValueError as exc:
        raise BuildError(path, [str(exc)]) from None
    builds = {off: build(meta, off, cache) for off in (False, True)}
    from model.sandbox import Outside
    return Outside(CVariant(meta, builds, name or p.stem, era=era, timeout=timeout, summary=summary))
