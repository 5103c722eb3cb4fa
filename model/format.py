"""Counterexamples for people: one formatter for every engine.

Input is a counterexample artifact (`model.history.to_artifact`); output is the
lanes view: the property and its claim, the configuration, the initial state, one
lane per CPU with kernel-named steps showing only what each step changed, the
final state with the stranded page marked, and the one-line replay command.
"""
from __future__ import annotations

LANE = 50


def event_text(e: dict) -> str:
    k = e["kind"]
    z = e.get("zone_name")
    if k == "call":
        zone = "NULL" if e["zone"] is None else e["zone_name"]
        what = {"drain": f"drain_all_pages({zone})", "disable": f"disable, then drain_all_pages({zone})"}[e["what"]]
        ctx = " from direct reclaim" if e.get("ctx") == "reclaim" else ""
        return f"call {what}{ctx} [{e['call']}]"
    if k == "return":
        return f"return [{e['call']}]"
    if k == "scan":
        lock = " (locked)" if e.get("locked") else ""
        return f"scan cpu{e['target']} {z} count={e['value']}{lock}"
    if k == "mask":
        where = e["shared"] or "mask"
        return f"{where}: {e['op']} cpu{e['target']}"
    if k == "mask_alloc":
        if e["outcome"] == "onstack":
            return "cpumask on the stack (OFFSTACK=n)"
        return f"zalloc_cpumask_var({e['gfp']}): {e['outcome']} ({e['path']})"
    if k == "mask_free":
        return "free_cpumask_var()"
    if k == "ipi":
        tg = ",".join(f"cpu{t}" for t in e["targets"])
        note = " (broadcast)" if e.get("why") == "broadcast" else ("" if tg else ": no remote CPU")
        return f"IPI {{{tg}}}{note}"
    if k == "work":
        return f"queue_work_on(cpu{e['target']})" + (" (forced)" if e.get("why") == "forced" else "")
    if k == "handler":
        return ("IPI handler" if e["via"] == "ipi" else "work item") + f" for {e['call']}"
    if k == "mask_read":
        cpus = ",".join(f"cpu{c}" for c in range(64) if e["bits"] >> c & 1)
        return f"load {e['shared']} = {{{cpus}}}"
    if k == "online_read":
        cpus = ",".join(f"cpu{c}" for c in range(64) if e["bits"] >> c & 1)
        return f"load cpu_online_mask = {{{cpus}}}"
    if k == "waited":
        tg = ",".join(f"cpu{t}" for t in e["targets"])
        what = "IPI handlers" if e["via"] == "ipi" else "work items"
        return f"{what} on {{{tg}}} done" if tg else None
    if k == "irq":
        return "local_irq_save()" if e["off"] else "local_irq_restore()"
    if k == "local_run":
        return f"run {e['func']}() locally"
    if k == "remote_drain":
        return f"drain_pages_zone(cpu{e['target']}, {z})"
    if k == "handler_done":
        return None
    if k in ("drain", "spill"):
        if not e["pages"] and e["count"][0] == e["count"][1] == 0:
            return f"drain pcp[cpu{e['target']}][{z}]: empty"
        pages = ",".join(f"p{p}" for p in e["pages"]) or "no page"
        who = "drain" if k == "drain" else "free_pcppages_bulk"
        c0, c1 = e["count"]
        return f"{who} pcp[cpu{e['target']}][{z}]: {pages} -> buddy, count {c0}->{c1}"
    if k == "free":
        c0, c1 = e["count"]
        return f"free p{e['page']} -> pcp[cpu{e['cpu']}][{z}] count {c0}->{c1}"
    if k == "read_batch":
        return f"alloc {z}: IRQs off, load batch={e['batch']}"
    if k == "refill":
        pages = ",".join(f"p{p}" for p in e["pages"]) or "nothing (buddy empty)"
        c0, c1 = e["count"]
        return f"rmqueue_bulk({e['batch']}): {pages} -> pcp[cpu{e['cpu']}][{z}] count {c0}->{c1}"
    if k == "alloc":
        return f"alloc p{e['page']} from pcp[cpu{e['cpu']}][{z}], IRQs on" if e["page"] is not None \
            else f"alloc {z} fails, IRQs on"
    if k == "disable":
        (h0, b0), (h1, b1) = e["old"], e["new"]
        return f"zone_pcp_disable({z}): high {h0}->{h1}, batch {b0}->{b1}"
    if k == "reclaim_enter":
        return f"enter direct reclaim (depth {e['depth']}, via {e['why']})"
    if k == "reclaim_exit":
        return f"leave direct reclaim (depth {e['depth']})"
    if k == "try_to_free_pages":
        return f"PF_MEMALLOC; try_to_free_pages(): {'progress' if e['progress'] else 'no progress'}; PF_MEMALLOC cleared"
    if k == "retry_alloc":
        return f"retry get_page_from_freelist(): {'ok' if e['ok'] else 'fails'}"
    if k == "mutex":
        if e["op"] == "trylock":
            return f"mutex_trylock(&pcpu_drain_mutex) = {1 if e['ok'] else 0}"
        return f"mutex_{e['op']}(&pcpu_drain_mutex)"
    if k == "pcp_lock":
        return f"spin_lock(pcp[cpu{e['target']}][{z}]->lock)"
    if k == "pcp_unlock":
        return f"spin_unlock(pcp[cpu{e['target']}][{z}]->lock)"
    if k == "offline":
        pages = ",".join(f"p{p}" for p in e["pages"])
        return f"cpu{e['cpu']} offline" + (f", its lists drained: {pages} -> buddy" if pages else "")
    if k == "online":
        return f"cpu{e['cpu']} online"
    if k == "flush":
        s = e["store"]
        zn = e.get("zone_names") or {}
        if s[0] == "count":
            return f"store buffer: count of pcp[cpu{s[1]}][{zn.get(s[2], s[2])}]={s[3]} now visible"
        return f"store buffer: {zn.get(s[1], s[1])} high={s[2]} batch={s[3]} now visible"
    if k in ("crash", "hang"):
        return f"{k.upper()}: {e['text']}"
    return f"{k} {e}"


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
