"""C files as `--impl` specs: `cshim.impl:PATH@API[@init=NAME][@entry=NAME][@era=E]`.

`model.variants.load_impl("cshim.impl:c_corpus/v3.4-static-mask.c@v3.4")` imports
this module and asks it for that attribute; the module-level `__getattr__`
builds the file (cached) and returns its Variant.  So every place that names an
outside implementation -- `drainverify check --impl SPEC [--expect VARIANT]`,
`drainverify.matrix.run([SPEC], ...)` in any worker process, `drainverify replay`
of a C counterexample (its artifact records the spec) -- checks C code exactly
like the Python corpus, with no further wiring.  PATH is taken relative to the
current directory; `@` may not occur in it.
"""
from __future__ import annotations

MODULE = "cshim.impl"


def spec(path, api: str, entry: str = "drain_all_pages", init: str | None = None, era: str | None = None) -> str:
    """The impl spec of a C file."""
    s = f"{MODULE}:{path}@{api}"
    if entry and entry != "drain_all_pages":
        s += f"@entry={entry}"
    if init:
        s += f"@init={init}"
    if era:
        s += f"@era={era}"
    return s


def parse(attr: str) -> dict:
    path, *parts = attr.split("@")
    if not parts:
        raise AttributeError(f"{MODULE}:{attr}: want PATH@API, e.g. c_corpus/v3.4-static-mask.c@v3.4")
    out = {"path": path, "api": parts[0], "entry": "drain_all_pages", "init": None, "era": None}
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key not in ("entry", "init", "era") or not value:
            raise AttributeError(f"{MODULE}:{attr}: unknown option {p!r} (entry=, init=, era=)")
        out[key] = value
    return out


def __getattr__(attr: str):
    if attr.startswith("__"):
        raise AttributeError(attr)
    from . import load
    a = parse(attr)
    return load(a["path"], a["api"], a["entry"], a["init"], era=a["era"])
