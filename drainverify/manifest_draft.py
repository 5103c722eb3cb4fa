"""`check --write-manifest FILE`: a draft of model/manifest.json for review.

The run is made with every sweep to its end (no early stop, no cut), so the sizes it
pins -- scenarios and distinct states per variant and OFFSTACK setting -- are those
of full sweeps, the numbers the tests assert.  The configuration's rows are redrafted
from the verdicts: a cell whose verdict agrees with the current manifest keeps its
reason; one that changed gets the engine's text, marked for review.  Every other
configuration is copied unchanged.
"""
from __future__ import annotations

import json

from model import manifest


def _verdict(cell) -> str:
    v = cell["verdict"]
    return "holds" if v in manifest.HOLD_GRADES else v


def write_draft(path: str, m, cfg, props) -> str:
    data = json.loads(manifest.PATH.read_text())
    conf = data["configurations"].setdefault(cfg.name, {"bound": cfg.bound_dict(), "covers": "(to write)",
                                                        "does_not_cover": "(to write)", "variants": {}})
    if cfg.extended:
        conf = data["configurations"].setdefault(cfg.label, {"bound": cfg.bound_dict(), "covers": "(to write)",
                                                             "does_not_cover": "(to write)", "variants": {}})
    rows = conf.setdefault("variants", {})
    for vn, row in m.cells.items():
        old = rows.get(vn, {})
        new = {}
        for p in props:
            c = row[p]
            v = _verdict(c)
            prev = old.get(p, {})
            entry = {"verdict": v}
            if v != "holds":
                if prev.get("verdict") == v and prev.get("reason"):
                    entry["reason"] = prev["reason"]
                else:
                    entry["reason"] = f"REVIEW: {c.get('reason') or ''}".strip()
            new[p] = entry
        rows[vn] = dict(old, **new)
    sizes = conf.setdefault("sizes", {})
    for vn, res in getattr(m, "sweeps", {}).items():
        for r in res:
            if r.complete and not r.cancelled:
                sizes.setdefault(vn, {})["y" if r.offstack else "n"] = {"scenarios": r.scenarios, "states": r.states}
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    return path
