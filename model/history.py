"""Histories: the one record every engine produces and every report reads.

A history is the configuration, the scenario, the initial state, the ordered steps
(each: who was scheduled, the events it produced) and the final state.  It is built
by *replaying* a schedule (a list of choices) in the model, so whatever engine found
the schedule -- the exhaustive driver, Hypothesis, a decoded Z3 model -- the record
and its verdict come from the Python model alone.

The counterexample artifact (`to_artifact`) is the versioned JSON form of a
history plus the property's verdict; it holds everything needed to replay it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .properties import LADDER
from .runtime import Runtime, actor_name
from .scenario import Scenario

SCHEMA = "drainverify.counterexample/1"


@dataclass
class HStep:
    index: int
    choice: tuple
    events: tuple
    signals: tuple
    k: object = None          # the state after the step


@dataclass
class History:
    variant: str
    scenario: Scenario
    offstack: bool
    memory_model: str
    initial: object
    steps: list = field(default_factory=list)
    final: object = None
    final_signals: tuple = ()
    blocked: tuple = ()

    def violations(self, prop: str) -> list[tuple[int, str, dict]]:
        """(step index or -1 for the end, text, data) of every violation of `prop`."""
        out = []
        for st in self.steps:
            out += [(st.index, text, data) for name, kind, text, data in st.signals
                    if name == prop and kind == "violation"]
        out += [(-1, text, data) for name, kind, text, data in self.final_signals
                if name == prop and kind == "violation"]
        return out

    def witnessed(self, prop: str) -> bool:
        """Whether the run reached `prop`'s witness (at a step or at its end)."""
        sigs = [s for st in self.steps for s in st.signals] + list(self.final_signals)
        return any(name == prop and kind == "witness" for name, kind, _, _ in sigs)


class ReplayError(Exception):
    """A schedule that the model cannot follow (a choice that is not enabled)."""


def replay(variant, scenario: Scenario, offstack: bool, memory_model: str, choices,
           props=LADDER, run_to_end: bool = True) -> History:
    """Re-run `choices` in the model and judge every property of `props`.
    With `run_to_end`, once the choices are used up the remaining actors run in
    the fixed order of `Runtime.enabled` (first enabled choice) until nothing is
    left, so the final state is a real end state."""
    rt = Runtime(scenario, variant, offstack, memory_model, properties=props)
    node = rt.initial_node()
    h = History(variant.name, scenario, offstack, memory_model, node.k)
    names = [p.name for p in props]
    i = 0
    for ch in choices:
        enabled = rt.enabled(node)
        if ch not in enabled:
            raise ReplayError(f"step {i + 1}: {actor_name(ch[0])} (outcome {ch[1]}) is not enabled")
        st = rt.step(node, ch)
        i += 1
        h.steps.append(HStep(i, ch, st.events, tuple((names[j], kind, text, data) for j, kind, text, data in st.signals),
                             st.node.k))
        node = st.node
    while run_to_end:
        enabled = rt.enabled(node)
        if not enabled or i > 2000:
            break
        st = rt.step(node, enabled[0])
        i += 1
        h.steps.append(HStep(i, enabled[0], st.events, tuple((names[j], kind, text, data) for j, kind, text, data in st.signals),
                             st.node.k))
        node = st.node
    h.final = node.k
    if not rt.enabled(node):
        h.final_signals = tuple((names[j], kind, text, data) for j, kind, text, data in rt.finish(node))
        h.blocked = tuple(rt.describe_block(a) for a in node.actors)
    return h


# --- JSON ---------------------------------------------------------------------------

def state_json(k, zone_names) -> dict:
    return {
        "online": [c for c in range(k.ncpus) if k.online >> c & 1],
        "pcp": {f"cpu{c}": {zone_names[z]: {"pages": list(k.pcp[c][z]), "count": k.count[c][z]}
                            for z in range(k.nzones)} for c in range(k.ncpus)},
        "high": {zone_names[z]: k.high[z] for z in range(k.nzones)},
        "batch": {zone_names[z]: k.batch[z] for z in range(k.nzones)},
        "buddy": {zone_names[z]: list(k.buddy[z]) for z in range(k.nzones)},
        "allocated": {f"cpu{c}": list(k.held[c]) for c in range(k.ncpus) if k.held[c]},
        "masks": list(k.masks),
        "mutex_held": k.mutex is not None,
        "store_buffers": {f"cpu{c}": [list(s) for s in k.sbuf[c]] for c in range(k.ncpus) if k.sbuf[c]},
    }


def choice_json(ch) -> list:
    aid, outcome = ch
    return [_aid_json(aid), outcome]


def _aid_json(aid):
    return [list(x) if isinstance(x, tuple) else x for x in aid]


def choice_from_json(x) -> tuple:
    aid, outcome = x
    return (tuple(tuple(a) if isinstance(a, list) else a for a in aid), outcome)


def stranded_pages(h: History, prop: str) -> list[int]:
    """Pages the violation is about (its signal's data) that are still on a pcp list
    at the end."""
    named = {p for _, _, data in h.violations(prop) for p in (data or {}).get("pages", ())}
    out = []
    for c, row in enumerate(h.final.pcp):
        for z, lst in enumerate(row):
            out += [p for p in lst if p in named]
    return sorted(set(out))


def to_artifact(h: History, prop: str, config: dict, replay_cmd: str) -> dict:
    from .properties import BY_NAME
    p = BY_NAME[prop]
    viol = h.violations(prop)
    zn = h.scenario.zone_names
    return {
        "schema": SCHEMA,
        "variant": h.variant,
        "property": prop,
        "claim": p.claim,
        "verdict": "refuted" if viol else "not refuted",
        "violation": viol[0][1] if viol else None,
        "violation_step": viol[0][0] if viol else None,
        "configuration": dict(config, offstack="y" if h.offstack else "n", memory_model=h.memory_model,
                              cpus=h.scenario.ncpus, zones=list(zn), pages=h.scenario.npages,
                              high=h.scenario.high, batch=h.scenario.batch),
        "scenario": h.scenario.to_json(),
        "cpus": h.scenario.ncpus,
        "initial_state": state_json(h.initial, zn),
        "steps": [{"index": st.index, "actor": actor_name(st.choice[0]), "choice": choice_json(st.choice),
                   "events": [e.to_json() for e in st.events],
                   "state": state_json(st.k, zn) if st.k is not None else None} for st in h.steps],
        "final_state": state_json(h.final, zn),
        "stranded": stranded_pages(h, prop),
        "blocked": list(h.blocked),
        "replay": replay_cmd,
    }


def from_artifact(art: dict):
    """(variant name, property, scenario, offstack, memory model, choices)."""
    if art.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} artifact (schema {art.get('schema')!r})")
    cfg = art["configuration"]
    scn = Scenario.from_json(art["scenario"])
    choices = [choice_from_json(s["choice"]) for s in art["steps"]]
    return art["variant"], art["property"], scn, cfg["offstack"] == "y", cfg["memory_model"], choices
