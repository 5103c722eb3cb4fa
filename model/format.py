"""Counterexamples for people: one formatter for every engine.

Input is a counterexample artifact (`model.history.to_artifact`); output is the
lanes view: the property and its claim, the configuration, the initial state, one
lane per CPU with kernel-named steps showing only what each step changed, the
final state with the stranded page marked, and the one-line replay command.
"""
from __future__ import annotations

LANE = 50


def event_text(e: dict) -> str | None:
    """The lane text of one event (its kind's, model/events.py; None: not shown)."""
    from .events import KINDS
    k = KINDS.get(e["kind"])
    if k is None:
        return f"{e['kind']} {e}"
    return k.text(e)


def _with_zone_names(art: dict) -> list:
    zn = art["configuration"]["zones"]
    steps = []
    for st in art["steps"]:
        evs = []
        for e in st["events"]:
            e = dict(e)
            if e.get("zone") is not None and isinstance(e.get("zone"), int):
                e["zone_name"] = zn[e["zone"]]
            elif "zone" in e:
                e["zone_name"] = None
            if e["kind"] == "flush":
                e["zone_names"] = dict(enumerate(zn))
            evs.append(e)
        steps.append((st, evs))
    return steps


def step_lanes(art: dict) -> list:
    """Per step: (step, one list of (text, event kind) per CPU lane, IPI/work arrows
    (from cpu, to cpu)).  Shared by the text lanes view and the HTML timeline."""
    ncpu = art["cpus"]
    hotplug = bool(art["scenario"].get("hotplug"))
    rows = []
    for st, evs in _with_zone_names(art):
        cols = [[] for _ in range(ncpu)]
        arrows = []
        for e in evs:
            if e["kind"] == "online_read" and not hotplug:
                continue        # a constant load without hotplug: noise
            t = event_text(e)
            if t is None:
                continue
            c = e["cpu"] if e["cpu"] is not None else 0
            cols[c].append((t, e["kind"]))
            if e["kind"] == "ipi":
                arrows += [(c, t2) for t2 in e["targets"]]
            elif e["kind"] == "work":
                arrows.append((c, e["target"]))
        if not any(cols):      # a step with nothing to print still gets its row
            aid = st["choice"][0]
            c = aid[1] if aid[0] in ("task", "ipi", "work", "flush") and isinstance(aid[1], int) else 0
            cols[c].append((f"({st['actor']} steps)", "none"))
        rows.append((st, cols, arrows))
    return rows


def state_text(s: dict, mark=()) -> list[str]:
    lines = []
    for cpu, zones in s["pcp"].items():
        parts = []
        for zname, v in zones.items():
            if v["pages"] or v["count"]:
                pages = ",".join(f"p{p}" + ("  <-- stranded" if p in mark else "") for p in v["pages"]) or "-"
                parts.append(f"{zname} [{pages}] count={v['count']}")
        online = int(cpu[3:]) in s["online"]
        lines.append(f"  pcp {cpu}{'' if online else ' (offline)'}: " + ("; ".join(parts) or "empty"))
    lines.append("  buddy: " + "; ".join(f"{z} [{','.join(f'p{p}' for p in v) or '-'}]" for z, v in s["buddy"].items()))
    if s.get("allocated"):
        lines.append("  allocated: " + "; ".join(f"{c} [{','.join(f'p{p}' for p in v)}]" for c, v in s["allocated"].items()))
    hb = "; ".join(f"{z} high={s['high'][z]} batch={s['batch'][z]}" for z in s["high"])
    lines.append(f"  {hb}")
    if s.get("mutex_held"):
        lines.append("  pcpu_drain_mutex held")
    return lines


def lanes(art: dict) -> str:
    cfg = art["configuration"]
    ncpu = art["cpus"]
    out = []
    out.append(f"{art['property']} {art['verdict']} on {art.get('subject') or art['variant']}")
    out.append(f"  claim: {art['claim']}")
    if art.get("violation"):
        where = "at the end" if art.get("violation_step") == -1 else f"at step {art['violation_step']}"
        out.append(f"  violated {where}: {art['violation']}")
    out.append(f"config: {cfg['cpus']} CPU(s), zones {' '.join(cfg['zones'])}, {cfg['pages']} page(s), "
               f"high={cfg['high']} batch={cfg['batch']}, CONFIG_CPUMASK_OFFSTACK={cfg['offstack']}, "
               f"memory model {cfg['memory_model']}")
    env = art["scenario"].get("env")
    if env:
        from .environment import text
        out.append(f"environment: {text(env)}")
    from .scenario import Scenario
    out.append("workload: " + Scenario.from_json(art["scenario"]).describe())
    out.append("initial state:")
    out += state_text(art["initial_state"])
    header = "step | " + " | ".join(f"cpu{c}".ljust(LANE) for c in range(ncpu))
    out.append(header.rstrip())
    out.append("-" * len(header.rstrip()))
    vstep = art.get("violation_step")
    for st, lanes_, _ in step_lanes(art):
        cols = [[t for t, _ in lane] for lane in lanes_]
        height = max(1, max(len(c) for c in cols))
        for row in range(height):
            label = f"{st['index']:>4}" if row == 0 else "    "
            cells = []
            for c in range(ncpu):
                t = cols[c][row] if row < len(cols[c]) else ""
                cells.append(t.ljust(LANE))
            line = f"{label} | " + " | ".join(cells)
            if row == 0 and st["index"] == vstep:
                line = line.rstrip() + "   <== violation"
            out.append(line.rstrip())
    final_label = "final state" if vstep == -1 else "state at the violation"
    out.append(f"{final_label}:")
    out += state_text(art["final_state"], mark=set(art.get("stranded", ())))
    if art.get("blocked"):
        out.append("blocked: " + "; ".join(art["blocked"]))
    out.append(f"replay: {art['replay']}")
    return "\n".join(out)
