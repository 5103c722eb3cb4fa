"""What a patch changes in the drain, and the verdict diff it causes.

`compare(before, after)` reads both sides with the front end and says which of
the drain's constructs changed (comments and whitespace do not count), and
whether the patch touches a function the model supplies (`MODEL_SUPPLIES`): the
model would not see that change, so the review refuses rather than pass it
silently.  `verdict_diff()` pairs the two rows cell by cell; a regression is a
cell that held before (`bounded`, `no counterexample`, `proved`) and is
`refuted` or `unknown` after.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from model.manifest import HOLD_GRADES

from .extract import MODEL_SUPPLIES, extract
from .parse import parse, strip_comments
from .source import KernelInputError, locate


def _norm(src: bytes, it) -> str:
    return " ".join(strip_comments(src[it.start:it.end]).decode("utf-8", "replace").split())


@dataclass
class Changes:
    drain: list = field(default_factory=list)      # (name, kind, before lines, after lines, what)
    supplied: list = field(default_factory=list)   # (name, lines after)
    config: list = field(default_factory=list)     # Kconfig changes that reach the drain

    @property
    def drain_changed(self) -> bool:
        return bool(self.drain or self.config)


def _items(ex):
    out = {}
    for it in ex.items:
        out.setdefault((it.kind, it.names), []).append(it)
    return out


def compare(before_path, after_path) -> Changes:
    b_src, a_src = locate(before_path), locate(after_path)
    b_p, a_p = parse(b_src.text, str(b_src.path)), parse(a_src.text, str(a_src.path))
    ch = Changes()
    for name in MODEL_SUPPLIES:
        bt = [_norm(b_p.src, i) for i in b_p.functions(name)]
        at = [_norm(a_p.src, i) for i in a_p.functions(name)]
        if bt != at:
            its = a_p.functions(name) or b_p.functions(name)
            ch.supplied.append((name, its[0].lines_text() if its else "?"))
    try:
        b_ex = extract(b_src, b_p)
    except KernelInputError as exc:
        raise KernelInputError(f"before the patch: {exc}") from None
    try:
        a_ex = extract(a_src, a_p)
    except KernelInputError as exc:
        raise KernelInputError(f"after the patch: {exc}") from None
    bi, ai = _items(b_ex), _items(a_ex)
    for key in sorted(set(bi) | set(ai), key=lambda k: (k[0], k[1])):
        bt = [_norm(b_p.src, i) for i in bi.get(key, [])]
        at = [_norm(a_p.src, i) for i in ai.get(key, [])]
        if bt == at:
            continue
        kind, names = key
        before = ", ".join(i.lines_text() for i in bi.get(key, [])) or "-"
        after = ", ".join(i.lines_text() for i in ai.get(key, [])) or "-"
        what = "added" if not bt else "removed" if not at else "changed"
        ch.drain.append(("/".join(names), kind, before, after, what))
    for sym in sorted(b_ex.configs | a_ex.configs):
        bv, av = _kconfig_default(b_src, sym), _kconfig_default(a_src, sym)
        if bv != av:
            ch.config.append((sym, bv, av))
    return ch


def _kconfig_default(src, sym):
    from .kconfig import KCONFIG_FILES, _kconfig_defaults
    for rel in KCONFIG_FILES:
        p = src.tree_file(rel)
        if p is not None:
            d = _kconfig_defaults(p.read_text(errors="replace"))
            if sym in d:
                return d[sym][:2]
    return None


def verdict_diff(before_row: dict, after_row: dict) -> list[dict]:
    out = []
    for prop, b in before_row.items():
        a = after_row[prop]
        held = b["verdict"] in HOLD_GRADES
        reg = held and a["verdict"] in ("refuted", "unknown")
        fixed = b["verdict"] == "refuted" and a["verdict"] in HOLD_GRADES
        out.append({"property": prop, "before": b["verdict"], "after": a["verdict"], "regression": reg,
                    "fixed": fixed, "changed": b["verdict"] != a["verdict"]})
    return out
