"""From a kernel path to a checkable Variant: parse, extract, detect, configure, build.

`prepare(PATH)` runs the front end and returns a `Prepared` holding everything the
report prints (functions and their lines, what the model supplies, detected
features with evidence, CONFIG values, the matched shape) and the *unit*: the
extracted drain as a C file in the cache, preceded by the CONFIG defines and
no-op tracepoints, with `#line` markers so every line keeps its number in the
user's file.  The unit is then built by the C shim against the detected era
(`cshim.load`); a build error is turned into a one-line refusal naming the
construct and its line.

`spec(prepared)` is the `--impl` spec of the unit (`kernelsrc.impl:...`), so a
matrix worker process re-creates the same Variant from the cache.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from model import eras

from . import detect as detect_mod
from . import kconfig, shape
from .extract import ENVIRONMENT_SUMMARY, Extract, blanked, extract
from . import headers
from .parse import parse
from .source import KernelInputError, Source, locate

SCHEMA = "drainverify.kernel-unit/1"


def cache_dir() -> Path:
    from cshim import cache_dir as c
    return c().parent / "kernel"


@dataclass
class Prepared:
    source: Source
    extract: Extract
    detected: detect_mod.Detected
    config: list
    shape: str
    shape_why: str
    unit: Path
    spec: str
    header_items: list = field(default_factory=list)     # (name, header path, line) taken from the tree

    @property
    def era(self) -> eras.Era:
        return self.detected.era

    def report_lines(self) -> list[str]:
        ex, src = self.extract, self.source
        out = [f"kernel: {src.path}" + (f" (tree {src.tree})" if src.tree else "")]
        out.append("  from the file: " + ", ".join(f"{f.name}() lines {f.lines_text()}" for f in ex.functions))
        if ex.macros:
            seen = {}
            for m in ex.macros:
                seen.setdefault(m.name, []).append(m.lines_text())
            out.append("  its macros: " + ", ".join(f"{n} ({', '.join(ls)})" for n, ls in seen.items()))
        if ex.decls:
            out.append("  its definitions: " + ", ".join(f"{'/'.join(d.names)} (line {d.lines_text()})"
                                                        for d in ex.decls))
        if self.header_items:
            out.append("  from the tree's headers: " + ", ".join(f"{n} ({p}:{l})" for n, p, l in self.header_items))
        calls = ", ".join(f"{n}()" for n in ex.supplied)
        out.append(f"  from the model: {ENVIRONMENT_SUMMARY}" + (f" (the drain calls {calls})" if calls else ""))
        if ex.hooks:
            out.append("  no-ops (tracepoints, vendor hooks with no module attached): " + ", ".join(ex.hooks))
        out.append("  detected API:")
        out += [f"    {line}" for line in self.detected.lines()]
        out.append("  config: " + "; ".join(v.text() for v in self.config))
        out.append(f"  shape: {self.shape} ({self.shape_why})")
        return out

    def to_json(self) -> dict:
        ex = self.extract
        return {
            "file": str(self.source.path), "tree": str(self.source.tree) if self.source.tree else None,
            "name": self.source.display,
            "functions": [{"name": f.name, "lines": [f.line, f.last_line]} for f in ex.functions],
            "macros": [{"name": m.name, "lines": [m.line, m.last_line]} for m in ex.macros],
            "definitions": [{"names": list(d.names), "lines": [d.line, d.last_line]} for d in ex.decls],
            "from_headers": [{"name": n, "header": p, "line": l} for n, p, l in self.header_items],
            "model_supplies": ENVIRONMENT_SUMMARY, "model_functions_called": dict(ex.supplied),
            "no_ops": list(ex.hooks),
            "detected": [{"feature": n, "present": on, "evidence": why} for n, on, why in self.detected.evidence],
            "config": [{"symbol": v.symbol, "value": v.value, "origin": v.origin} for v in self.config],
            "shape": self.shape, "shape_reason": self.shape_why,
        }


def _value_uses(ex: Extract) -> dict:
    """CONFIG_* used as a value in kept C (not in #if, defined() or IS_ENABLED())."""
    from .parse import strip_comments
    out = {}
    for it in ex.functions + ex.macros:
        text = strip_comments(ex.parsed.src[it.start:it.end]).decode("utf-8", "replace")
        for m in re.finditer(r"\bCONFIG_\w+", text):
            before = text[max(0, m.start() - 20):m.start()]
            if re.search(r"(defined|IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)\s*\(\s*$", before):
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            if text[line_start:m.start()].lstrip().startswith("#"):
                continue
            out.setdefault(m.group(), (it.name, it.line + text.count("\n", 0, m.start())))
    return out


def prepare(path, defines: dict | None = None, api: str | None = None) -> Prepared:
    src = locate(path)
    parsed = parse(src.text, str(src.path))
    ex = extract(src, parsed)
    override = eras.named(api) if api else None
    det = detect_mod.detect(ex, override)
    config = kconfig.resolve(src, ex.configs, _value_uses(ex), defines or {})
    name, why = shape.match(ex, det)
    resolved = headers.Resolved()
    tried: set = set()
    for _ in range(8):
        unit = _write_unit(src, ex, config, resolved.text())
        meta = {"schema": SCHEMA, "unit": str(unit), "origin": str(src.path.resolve()), "name": src.display,
                "era": {"name": det.era.name, "features": sorted(det.era.features)}}
        text = json.dumps(meta, indent=1) + "\n"
        side = unit.with_name(f"{unit.stem}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json")
        if not side.exists():
            tmp = side.with_suffix(f".tmp{id(text)}")
            tmp.write_text(text)
            tmp.replace(side)
        prep = Prepared(src, ex, det, config, name, why, unit, f"kernelsrc.impl:{side}", resolved.report())
        errors = build(prep)
        if errors is None:
            return prep
        have = ex.names() | {n for n, _, _, _ in resolved.items}
        new, seen = [], {(rel, line) for _, rel, line, _ in resolved.items}
        for n in headers.missing_names(errors):
            if n in tried:
                continue
            tried.add(n)
            for it in headers.lookup(src, n, have):
                if it[0] not in have and (it[1], it[2]) not in seen:
                    seen.add((it[1], it[2]))
                    new.append(it)
        if not new:
            raise KernelInputError(explain_build_error(prep, errors))
        resolved.items += new
        resolved.container = headers.container_of_pcp(resolved.items)
        det = detect_mod.detect(ex, override, resolved.text())
        name, why = shape.match(ex, det)
    raise KernelInputError(explain_build_error(prep, errors))


def _write_unit(src: Source, ex: Extract, config, header_text: str) -> Path:
    pre = [f"/* drainverify: the drain of {src.display}, extracted by kernelsrc; lines keep their numbers */"]
    pre += [d for d in (v.define() for v in config) if d]
    pre += [f"#define {h}(...) do {{ }} while (0)" for h in ex.hooks]
    if header_text:
        pre.append(header_text)
    body = blanked(src.text, ex.kept)
    text = "\n".join(pre) + f'\n#line 1 "{src.path.resolve()}"\n' + body + "\n"
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256(text.encode()).hexdigest()[:20]
    unit = d / f"{h}.c"
    if not unit.exists():
        tmp = unit.with_suffix(f".tmp{id(text)}")
        tmp.write_text(text)
        tmp.replace(unit)
    return unit


_GCC = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?:\d+:)?\s*(?P<kind>error|fatal error|warning):\s*(?P<msg>.*)$")


def explain_build_error(prep_or_src, errors: list[str]) -> str:
    """The first compiler error as one line naming the construct and its line."""
    src = prep_or_src.source if hasattr(prep_or_src, "source") else prep_or_src
    for line in errors:
        m = _GCC.match(line.strip())
        if not m or m.group("kind") == "warning":
            continue
        msg, ln = m.group("msg"), m.group("line")
        where = f"{src.display}:{ln}" if m.group("file").endswith(src.path.name) else f"{m.group('file')}:{ln}"
        name = re.search(r"[‘'`]([^’'`]+)[’'`]", msg)
        if name and re.search(r"implicit declaration|undeclared|unknown type name|has no member|incomplete type|"
                              r"undefined type|storage size", msg):
            if src.tree is None:
                return (f"{where}: the drain uses {name.group(1)}, which is not defined in the file and not "
                        f"supplied by the model; if the tree's headers define it, pass the tree instead of the "
                        f"lone file ({msg})")
            return (f"{where}: the drain uses {name.group(1)}, which neither the file, the tree's headers nor the "
                    f"model supplies ({msg})")
        return f"{where}: the extracted drain does not build: {msg}"
    return f"{src.display}: the extracted drain does not build: " + (errors[0] if errors else "no message")


def build(prep: Prepared) -> list | None:
    """Build the unit now (both OFFSTACK settings), so errors come before any run;
    returns the compiler's error lines, or None once it builds."""
    import cshim
    try:
        v = load(prep.spec)
    except cshim.BuildError as exc:
        return exc.errors
    v.close()
    return None


def load(spec_path: str):
    """The CVariant of a unit's sidecar JSON (what `kernelsrc.impl` resolves)."""
    import cshim
    p = spec_path.split(":", 1)[1] if spec_path.startswith("kernelsrc.impl:") else spec_path
    meta = json.loads(Path(p).read_text())
    era = eras.Era(meta["era"]["name"], frozenset(meta["era"]["features"]))
    return cshim.load(meta["unit"], era, "drain_all_pages", None, origin=meta["origin"], name=meta["name"],
                      summary=f"the drain of {meta['name']}")
