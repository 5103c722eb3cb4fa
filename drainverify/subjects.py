"""What `check` judges: one list of subjects, whatever they came from.

A subject is a built-in variant, an outside Python implementation (`--impl`), a C
file under the shim (`--c`) or the drain of a real kernel file (`--kernel`).  Each
becomes the same thing -- a spec `model.variants.get()` resolves in any process,
a row label, an expected row and a way to name it in a replay command -- so every
flag of `check` (`--json`, `--html`, `--junit`, `--ktap`, `--save-regressions`,
`-j`) works for all of them through one path (drainverify/cli.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model import manifest, variants


class SubjectError(Exception):
    """Bad input for a subject; str() is one line (extra lines in `details`)."""

    def __init__(self, text, details=()):
        super().__init__(text)
        self.details = list(details)


@dataclass
class Subject:
    spec: str                        # what model.variants.get() resolves
    label: str                       # the row name in tables, JSON and reports
    expected: dict | None            # expected row (None: model/manifest.json's row of spec)
    against: str                     # what the row is compared with, in words
    cli: str                         # how a replay command names it
    kernel: object = None            # kernelsrc.unit.Prepared for --kernel
    shape: str | None = None         # the corpus variant the row is compared with, if any
    extra: dict = field(default_factory=dict)


def builtin(name: str, config: str = "default") -> Subject:
    variants.get(name)
    return Subject(name, name, None, "model/manifest.json", f"--variant {name}")


def _expect_row(expect: str | None, config: str = "default"):
    if expect:
        if expect not in manifest.load(config):
            raise SubjectError(f"--expect {expect!r} is not a variant of model/manifest.json "
                               f"(known: {', '.join(manifest.load(config))}; with --kernel also 'auto')")
        return manifest.impl_row(expect, config), f"the row of {expect}"
    return manifest.impl_row(None), "the conformance rule"


def impl(spec: str, expect: str | None, config: str = "default") -> Subject:
    if expect == "auto":
        raise SubjectError("--expect auto goes with --kernel (it matches the code's shape to a corpus variant)")
    v = variants.load_impl(spec)
    row, against = _expect_row(expect, config)
    return Subject(v.name, spec, row, against, f"--impl {spec}", shape=expect)


def c_file(path: str, api: str | None, entry: str, init: str | None, expect: str | None,
           config: str = "default") -> Subject:
    import cshim
    from cshim.corpus import corpus_entry
    from cshim.impl import spec as impl_spec
    era = None
    ce = corpus_entry(path)
    if ce:
        expect = ce["variant"] if expect in (None, "auto") else expect
        api = api or ce["api"]
        era = ce.get("era")
        init = init or ce.get("init")
    if expect == "auto":
        raise SubjectError("--expect auto goes with --kernel or a file of c_corpus/; name a variant for --c")
    if not api:
        raise SubjectError("--c needs --api (v3.2, v3.4, v3.19, v4.11, v4.17, v5.1, v5.11, v5.14, v5.18, v6.0, "
                           "v6.3, v6.11), or use --kernel for a real page_alloc.c")
    if not Path(path).is_file():
        raise SubjectError(f"--c {path}: no such file")
    row, against = _expect_row(expect, config)
    try:
        cshim.load(path, api, entry, init, era=era).close()     # build now: errors are usage errors
    except cshim.BuildError as exc:
        raise SubjectError(f"{exc.path} does not build against the {api} shim", exc.errors) from None
    spec = impl_spec(path, api, entry, init, era)
    v = variants.load_impl(spec)
    cli = f"--c {path} --api {api}" + (f" --entry {entry}" if entry != "drain_all_pages" else "") + \
        (f" --init {init}" if init else "")
    return Subject(v.name, Path(path).name, row, against + f" ({Path(path).name})", cli, shape=expect)


def kernel(path: str, defines: dict, api: str | None, expect: str | None, config: str = "default") -> Subject:
    from kernelsrc.unit import prepare
    prep = prepare(path, defines, api)
    if expect == "auto":
        row, against = manifest.impl_row(prep.shape, config), f"shape of {prep.shape}"
        shape = prep.shape
    else:
        row, against = _expect_row(expect, config)
        shape = expect
    v = variants.load_impl(prep.spec)
    cli = f"--kernel {Path(path).resolve()}" + "".join(f" --define {k}={val}" for k, val in defines.items()) + \
        (f" --api {api}" if api else "")
    return Subject(v.name, prep.source.display, row, against, cli, kernel=prep, shape=shape)
