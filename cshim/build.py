"""Building a C rendition in userspace: no kernel tree, one translation unit.

For a FILE.c written against an era's API (model/eras.py: a named `--api`, or the
features `kernelsrc` detected in a real file) and one
`CONFIG_CPUMASK_OFFSTACK` setting, the build

1. preprocesses FILE.c with the era's headers force-included (`-include
   cshim/kernel.h`; `<linux/*.h>` resolve to the fake headers in
   cshim/include/fake/linux) and scans it (cshim/scan.py): which of the era's helpers
   it defines, its static cpumasks, its call graph;
2. compiles `#include "FILE.c"` followed by cshim/tail.h as one translation unit
   (so the file's static functions and variables are reachable), with
   `-DCSHIM_HAVE_<name>` for each helper the file defines, and links it with the
   era's shim runtime (cshim/runtime/*.c, compiled separately: it includes libc
   headers the kernel macros must not meet);
3. reads the symbol table (`nm`): function addresses name IPI/work handlers and
   program counters; static masks get their addresses (function-static ones are
   `name.N` symbols).

Executables are non-PIE, so every static address is the same in every process.
Builds are cached under `cache_dir()` by a hash of the source, the api, entry,
init, the OFFSTACK setting, every shim file and the compiler's version.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from model import eras

from . import gfp, proto
from .scan import ALLOC_NAMES, DELIVER_NAMES, scan, user_text

HERE = Path(__file__).resolve().parent
INCLUDE = HERE / "include"
RUNTIME = (HERE / "runtime" / "core.c", HERE / "runtime" / "prims.c")
SHIM_FILES = (*RUNTIME, HERE / "runtime" / "runtime.h", INCLUDE / "cshim" / "kernel.h", INCLUDE / "cshim" / "types.h",
              INCLUDE / "cshim" / "tail.h", HERE / "proto.py", HERE / "gfp.py", HERE / "build.py")
OVERRIDABLE = ("drain_local_pages", "drain_pages", "drain_pages_zone", "free_pcppages_bulk", "__drain_all_pages")
CFLAGS = ["-std=gnu11", "-O0", "-fno-omit-frame-pointer", "-fno-pie", "-fno-strict-aliasing",
          "-Wno-unused-function", "-Wno-unused-variable", "-Werror=implicit-function-declaration"]


class BuildError(Exception):
    """The file does not build against the shim; `errors` holds the compiler's first errors."""

    def __init__(self, path, errors):
        self.path = str(path)
        self.errors = list(errors)
        super().__init__(f"{self.path} does not build against the shim:\n" + "\n".join(self.errors))


def cache_dir() -> Path:
    d = os.environ.get("CSHIM_CACHE_DIR")
    return Path(d) if d else Path.home() / ".cache" / "drainverify" / "cshim"


def _gcc_version() -> str:
    try:
        return subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BuildError("gcc", [f"gcc is not available: {exc}"]) from None


def _first_errors(stderr: str, limit: int = 8) -> list[str]:
    lines = [l for l in stderr.splitlines() if l.strip()]
    errs = [l for l in lines if "error" in l or "undefined reference" in l]
    return (errs or lines)[:limit] or ["(the compiler gave no message)"]


def _gen_header(era: eras.Era) -> str:
    feats = "".join(f"#define {k} {v}\n" for k, v in sorted(era.c_defines().items()))
    return ("#ifndef CSHIM_GEN_H\n#define CSHIM_GEN_H\n"
            f"/* era {era.name}: {era.describe()} */\n" + feats + proto.header_text() + gfp.header_text(era)
            + "#endif\n")


@dataclass
class Meta:
    """What the Python side knows about one source file (both OFFSTACK builds)."""
    path: str
    api: str                          # how the era was named (v3.4, or the file it was detected in)
    era: eras.Era
    entry: str
    init: str | None
    defines: tuple                    # overridable names the file defines
    masks: tuple                      # (name, type, in_function) static cpumasks, source order
    allocates: bool
    delivers: bool
    trylock: bool


@dataclass
class Build:
    """One linked executable (one OFFSTACK setting)."""
    exe: str
    offstack: bool
    meta: Meta
    symbols: list = field(default_factory=list)     # (addr, name), sorted
    by_name: dict = field(default_factory=dict)
    registry: tuple = ()                            # (slot name, 'm'|'p', addr)

    def function_at(self, addr: int) -> str | None:
        i = bisect_right(self.symbols, (addr, "\uffff")) - 1
        return self.symbols[i][1] if i >= 0 and addr else None

    def symbolize(self, addr: int) -> str:
        i = bisect_right(self.symbols, (addr, "\uffff")) - 1
        if i < 0:
            return hex(addr)
        base, name = self.symbols[i]
        return name if addr == base else f"{name}+{addr - base:#x}"


def era_of(api) -> eras.Era:
    """The era a file is written against: an Era, or a named api (v3.2 ... v6.11)."""
    if isinstance(api, eras.Era):
        return api
    try:
        return eras.named(api)
    except eras.UnknownEra as exc:
        raise ValueError(str(exc)) from None


def analyse(path: Path, api, entry: str, init: str | None, origin: str | None = None) -> tuple[Meta, str]:
    """What the file defines and uses.  `origin`: the file name its `#line` markers
    give (an extracted kernel unit names the user's page_alloc.c)."""
    era = era_of(api)
    gen = Path(tempfile.mkdtemp(prefix="cshim-pp-"))
    try:
        (gen / "cshim_gen.h").write_text(_gen_header(era))
        cmd = ["gcc", "-E", *CFLAGS[:1], f"-I{gen}", f"-I{INCLUDE}", f"-I{INCLUDE / 'fake'}",
               "-include", "cshim/kernel.h", str(path)]
        r = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        shutil.rmtree(gen, ignore_errors=True)
    if r.returncode:
        raise BuildError(path, _first_errors(r.stderr))
    src = scan(user_text(r.stdout, origin or str(path)))
    if not src.defines(entry):
        raise BuildError(path, [f"{path}: the entry function '{entry}' is not defined"])
    if init and not src.defines(init):
        raise BuildError(path, [f"{path}: the init function '{init}' is not defined"])
    roots = [entry, "__drain_all_pages"]
    reach = src.reachable(roots)
    meta = Meta(path=str(path), api=era.api, era=era, entry=entry, init=init,
                defines=tuple(n for n in OVERRIDABLE if src.defines(n)), masks=tuple(src.masks),
                allocates=src.mentions(reach, ALLOC_NAMES), delivers=src.mentions(reach, DELIVER_NAMES),
                trylock=src.mentions(reach, ("mutex_trylock",)))
    return meta, r.stdout


def _key(source: bytes, meta: Meta, offstack: bool, gcc: str) -> str:
    h = hashlib.sha256()
    for part in (source, _gen_header(meta.era).encode(), meta.entry.encode(), (meta.init or "").encode(),
                 b"offstack" if offstack else b"onstack", gcc.encode()):
        h.update(part + b"\0")
    for f in SHIM_FILES:
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def build(meta: Meta, offstack: bool, cache: Path | None = None) -> Build:
    path = Path(meta.path)
    gcc = _gcc_version()
    key = _key(path.read_bytes(), meta, offstack, gcc)
    cache = cache or cache_dir()
    final = cache / key
    if not (final / "meta.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=cache))
        try:
            _compile(path, meta, offstack, work)
            try:
                os.replace(work, final)
            except OSError:
                if not (final / "meta.json").exists():     # lost a race to a non-empty dir
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    info = json.loads((final / "meta.json").read_text())
    symbols = sorted((a, n) for a, n in info["symbols"])
    return Build(exe=str(final / "drain"), offstack=offstack, meta=meta, symbols=symbols,
                 by_name={n: a for a, n in symbols},
                 registry=tuple(tuple(x) for x in info["registry"]))


def _compile(path: Path, meta: Meta, offstack: bool, work: Path):
    (work / "cshim_gen.h").write_text(_gen_header(meta.era))
    defs = [f"-I{work}", f"-I{INCLUDE}"]
    if offstack:
        defs.append("-DCONFIG_CPUMASK_OFFSTACK=1")
    objs = []
    for src in RUNTIME:
        obj = work / (src.stem + ".o")
        rt = subprocess.run(["gcc", "-c", *CFLAGS, *defs, str(src), "-o", str(obj)], capture_output=True, text=True)
        if rt.returncode:
            raise BuildError(f"cshim/runtime/{src.name}", _first_errors(rt.stderr))
        objs.append(str(obj))
    (work / "unit.c").write_text(f'#include "{path}"\n#include <cshim/tail.h>\n')
    user = [f"-DCSHIM_ENTRY={meta.entry}"] + ([f"-DCSHIM_INIT={meta.init}"] if meta.init else [])
    user += [f"-DCSHIM_HAVE_{n}=1" for n in meta.defines]
    cc = subprocess.run(["gcc", *CFLAGS, *defs, f"-I{INCLUDE / 'fake'}", *user, "-include", "cshim/kernel.h",
                         str(work / "unit.c"), *objs, "-no-pie", "-o", str(work / "drain")],
                        capture_output=True, text=True)
    if cc.returncode:
        raise BuildError(path, _first_errors(cc.stderr))
    nm = subprocess.run(["nm", "-n", str(work / "drain")], capture_output=True, text=True, check=True).stdout
    symbols = []
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTdDbBrR":
            symbols.append((int(parts[0], 16), parts[2]))
    registry = []
    for name, typ, _ in meta.masks:
        found = [(a, n) for a, n in symbols if n == name or re.fullmatch(re.escape(name) + r"\.\d+", n)]
        if not found:
            raise BuildError(path, [f"{path}: static cpumask '{name}' has no symbol in the build"])
        kind = "p" if typ == "cpumask_var_t" and offstack else "m"
        for i, (addr, _) in enumerate(found):
            registry.append((name if i == 0 else f"{name}#{i + 1}", kind, addr))
    (work / "meta.json").write_text(json.dumps({"symbols": symbols, "registry": registry}))
