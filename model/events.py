"""History events: what one atomic step did, in kernel terms -- and the one registry
of event kinds.

Every engine records the same events; properties fold over them and the
counterexample formatter prints them.  An event names the CPU it happened on
(`cpu`), the drain call it belongs to (`call`, a `(cpu, n)` pair: the n-th call
made by the task on that CPU, or None), its `kind`, and kind-specific fields.

Each kind is declared once, below, with its fields, the lane text the
counterexample formatter prints for it (model/format.py dispatches through
`KINDS`), and what it does to the state: whether it moves pages, changes a
`pcp->count`, or ends a section in which another actor has exclusive access (IRQs
off, a pcp lock held).  Conservation is judged after exactly the steps with such an
event (model/properties/state.py), and tests check that every property's `kinds`
names registered kinds.  Code outside model/ (the C shim) registers its own kinds
with `register()`.  The kinds: see `KINDS` (docs/events.md is generated from it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional


class Ev:
    def __init__(self, kind: str, cpu, call=None, **d):
        self.__dict__.update(d)          # the fields are plain attributes: ev.zone, ev.pages
        self.kind = kind
        self.cpu = cpu
        self.call = call
        self.d = d

    def get(self, name, default=None):
        return self.d.get(name, default)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "cpu": self.cpu,
               "call": None if self.call is None else call_name(self.call)}
        for k, v in self.d.items():
            out[k] = _jsonable(v)
        return out

    def __repr__(self):
        return f"Ev({self.kind}, cpu{self.cpu}, {self.call}, {self.d})"


def call_name(call) -> str:
    return f"cpu{call[0]}#{call[1]}"


def _jsonable(v):
    if isinstance(v, (frozenset, set)):
        return sorted(_jsonable(x) for x in v)
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


@dataclass(frozen=True)
class Kind:
    name: str
    fields: tuple                       # kind-specific fields (besides kind, cpu, call)
    text: Callable[[dict], Optional[str]]   # lane text from the event's JSON (None: not shown)
    doc: str
    moves_pages: bool = False
    changes_count: bool = False
    changes_online: bool = False
    ends_exclusion: bool = False        # IRQs back on, a pcp lock released, an actor gone
    tags: frozenset = field(default_factory=frozenset)

    @property
    def touches_state(self) -> bool:
        """Conservation is judged after a step with an event of this kind."""
        return self.moves_pages or self.changes_count or self.changes_online or self.ends_exclusion


KINDS: dict[str, Kind] = {}


class UnknownKind(KeyError):
    def __str__(self):
        return self.args[0]


_TOUCHING: list = []


def register(kind: Kind) -> Kind:
    if kind.name in KINDS and KINDS[kind.name] != kind:
        raise ValueError(f"event kind {kind.name!r} is already registered differently")
    KINDS[kind.name] = kind
    _TOUCHING.clear()
    return kind


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"unknown event kind {name!r}") from None


def touching_kinds() -> frozenset:
    """The kinds after which conservation is judged."""
    if not _TOUCHING:
        _TOUCHING.append(frozenset(k.name for k in KINDS.values() if k.touches_state))
    return _TOUCHING[0]


# --- the kinds of the model --------------------------------------------------------------

def _cpus(bits) -> str:
    return ",".join(f"cpu{c}" for c in range(64) if bits >> c & 1)


def _tg(targets) -> str:
    return ",".join(f"cpu{t}" for t in targets)


def _call_text(e):
    zone = "NULL" if e["zone"] is None else e["zone_name"]
    what = {"drain": f"drain_all_pages({zone})", "disable": f"disable, then drain_all_pages({zone})"}[e["what"]]
    ctx = " from direct reclaim" if e.get("ctx") == "reclaim" else ""
    return f"call {what}{ctx} [{e['call']}]"


def _mask_alloc_text(e):
    if e["outcome"] == "onstack":
        return "cpumask on the stack (OFFSTACK=n)"
    return f"zalloc_cpumask_var({e['gfp']}): {e['outcome']} ({e['path']})"


def _ipi_text(e):
    tg = _tg(e["targets"])
    note = " (broadcast)" if e.get("why") == "broadcast" else ("" if tg else ": no remote CPU")
    return f"IPI {{{tg}}}{note}"


def _waited_text(e):
    tg = _tg(e["targets"])
    what = "IPI handlers" if e["via"] == "ipi" else "work items"
    return f"{what} on {{{tg}}} done" if tg else None


def _bulk_text(e):
    z = e.get("zone_name")
    if not e["pages"] and e["count"][0] == e["count"][1] == 0:
        return f"drain pcp[cpu{e['target']}][{z}]: empty"
    pages = ",".join(f"p{p}" for p in e["pages"]) or "no page"
    who = "drain" if e["kind"] == "drain" else "free_pcppages_bulk"
    c0, c1 = e["count"]
    return f"{who} pcp[cpu{e['target']}][{z}]: {pages} -> buddy, count {c0}->{c1}"


def _refill_text(e):
    pages = ",".join(f"p{p}" for p in e["pages"]) or "nothing (buddy empty)"
    c0, c1 = e["count"]
    return f"rmqueue_bulk({e['batch']}): {pages} -> pcp[cpu{e['cpu']}][{e.get('zone_name')}] count {c0}->{c1}"


def _alloc_text(e):
    z = e.get("zone_name")
    return f"alloc p{e['page']} from pcp[cpu{e['cpu']}][{z}], IRQs on" if e["page"] is not None \
        else f"alloc {z} fails, IRQs on"


def _disable_text(e):
    (h0, b0), (h1, b1) = e["old"], e["new"]
    return f"zone_pcp_disable({e.get('zone_name')}): high {h0}->{h1}, batch {b0}->{b1}"


def _mutex_text(e):
    if e["op"] == "trylock":
        return f"mutex_trylock(&pcpu_drain_mutex) = {1 if e['ok'] else 0}"
    return f"mutex_{e['op']}(&pcpu_drain_mutex)"


def _offline_text(e):
    pages = ",".join(f"p{p}" for p in e["pages"])
    return f"cpu{e['cpu']} offline" + (f", its lists drained: {pages} -> buddy" if pages else "")


def _flush_text(e):
    s = e["store"]
    zn = e.get("zone_names") or {}
    if s[0] == "count":
        return f"store buffer: count of pcp[cpu{s[1]}][{zn.get(s[2], s[2])}]={s[3]} now visible"
    return f"store buffer: {zn.get(s[1], s[1])} high={s[2]} batch={s[3]} now visible"


for _k in (
    Kind("call", ("what", "zone", "ctx"), _call_text, "a drain call begins (drain_all_pages() entered)"),
    Kind("return", (), lambda e: f"return [{e['call']}]", "the drain call returns"),
    Kind("scan", ("target", "zone", "value", "locked"),
         lambda e: f"scan cpu{e['target']} {e.get('zone_name')} count={e['value']}"
                   + (" (locked)" if e.get("locked") else ""),
         "the drain loads a CPU's pcp->count"),
    Kind("mask", ("op", "target", "shared"), lambda e: f"{e['shared'] or 'mask'}: {e['op']} cpu{e['target']}",
         "cpumask_set_cpu()/cpumask_clear_cpu() on a private or shared mask"),
    Kind("mask_read", ("shared", "bits"), lambda e: f"load {e['shared']} = {{{_cpus(e['bits'])}}}",
         "a load of a shared cpumask"),
    Kind("mask_alloc", ("gfp", "flags", "outcome", "cls", "path", "nested"), _mask_alloc_text,
         "zalloc_cpumask_var(): its outcome, the allocator's path (cls: onstack, slab, fault, reserves, "
         "reclaim, giveup); nested: the failure that ends a nested direct reclaim"),
    Kind("mask_free", ("offstack",), lambda e: "free_cpumask_var()", "free_cpumask_var()"),
    Kind("online_read", ("bits",), lambda e: f"load cpu_online_mask = {{{_cpus(e['bits'])}}}",
         "a load of cpu_online_mask"),
    Kind("ipi", ("targets", "func", "info", "why"), _ipi_text, "smp_call_function_many(): IPIs sent"),
    Kind("work", ("target", "func", "info", "why"),
         lambda e: f"queue_work_on(cpu{e['target']})" + (" (forced)" if e.get("why") == "forced" else ""),
         "queue_work_on() of the drain's work item"),
    Kind("handler", ("via",), lambda e: ("IPI handler" if e["via"] == "ipi" else "work item") + f" for {e['call']}",
         "an IPI handler or work item starts on its CPU"),
    Kind("handler_done", ("via",), lambda e: None, "the handler or work item returns", ends_exclusion=True),
    Kind("waited", ("via", "targets"), _waited_text, "the caller's wait for its handlers or work items ends"),
    Kind("irq", ("off",), lambda e: "local_irq_save()" if e["off"] else "local_irq_restore()",
         "local_irq_save()/local_irq_restore() around the caller's local run", ends_exclusion=True),
    Kind("local_run", ("target", "func"), lambda e: f"run {e['func']}() locally",
         "the caller runs the drain function on its own CPU"),
    Kind("remote_drain", ("target", "zone"),
         lambda e: f"drain_pages_zone(cpu{e['target']}, {e.get('zone_name')})",
         "the caller enters drain_pages_zone() for another CPU's list (v6.0+)"),
    Kind("drain", ("target", "zone", "pages", "count"), _bulk_text,
         "a pcp list drained back to buddy", moves_pages=True, changes_count=True),
    Kind("spill", ("target", "zone", "pages", "count"), _bulk_text,
         "free_pcppages_bulk() from the free path at pcp->high", moves_pages=True, changes_count=True),
    Kind("free", ("page", "zone", "count"),
         lambda e: f"free p{e['page']} -> pcp[cpu{e['cpu']}][{e.get('zone_name')}] count "
                   f"{e['count'][0]}->{e['count'][1]}",
         "free_hot_cold_page(): a page onto the list head", moves_pages=True, changes_count=True),
    Kind("read_batch", ("zone", "batch"), lambda e: f"alloc {e.get('zone_name')}: IRQs off, load batch={e['batch']}",
         "an allocation's load of pcp->batch, IRQs off"),
    Kind("refill", ("zone", "pages", "batch", "count"), _refill_text,
         "rmqueue_bulk(): pages from buddy onto the empty list", moves_pages=True, changes_count=True),
    Kind("alloc", ("zone", "page"), _alloc_text, "an allocation takes a page (IRQs back on)",
         moves_pages=True, changes_count=True),
    Kind("offline", ("pages",), _offline_text, "cpu_down(): the CPU leaves the online mask, its lists drained",
         moves_pages=True, changes_count=True, changes_online=True),
    Kind("online", (), lambda e: f"cpu{e['cpu']} online", "cpu_up()", changes_online=True),
    Kind("disable", ("zone", "old", "new"), _disable_text, "zone_pcp_disable(): high = 0, batch = 1"),
    Kind("reclaim_enter", ("depth", "why"), lambda e: f"enter direct reclaim (depth {e['depth']}, via {e['why']})",
         "__alloc_pages_direct_reclaim() entered"),
    Kind("reclaim_exit", ("depth", "progress"), lambda e: f"leave direct reclaim (depth {e['depth']})",
         "__alloc_pages_direct_reclaim() left"),
    Kind("try_to_free_pages", ("progress", "memalloc"),
         lambda e: f"PF_MEMALLOC; try_to_free_pages(): {'progress' if e['progress'] else 'no progress'}; "
                   f"PF_MEMALLOC cleared",
         "try_to_free_pages() between setting and clearing PF_MEMALLOC"),
    Kind("retry_alloc", ("ok",), lambda e: f"retry get_page_from_freelist(): {'ok' if e['ok'] else 'fails'}",
         "the allocation retried after reclaim"),
    Kind("mutex", ("op", "ok"), _mutex_text, "mutex_trylock/lock/unlock(&pcpu_drain_mutex)"),
    Kind("pcp_lock", ("target", "zone"),
         lambda e: f"spin_lock(pcp[cpu{e['target']}][{e.get('zone_name')}]->lock)", "spin_lock(&pcp->lock)"),
    Kind("pcp_unlock", ("target", "zone"),
         lambda e: f"spin_unlock(pcp[cpu{e['target']}][{e.get('zone_name')}]->lock)", "spin_unlock(&pcp->lock)",
         ends_exclusion=True),
    Kind("flush", ("store",), _flush_text, "tso: the oldest buffered store becomes visible", changes_count=True),
    Kind("crash", ("text", "why"), lambda e: f"CRASH: {e['text']}",
         "the actor crashed (why: exception, exit, signal, garbage, shim, nondeterministic)", ends_exclusion=True),
    Kind("hang", ("text", "why"), lambda e: f"HANG: {e['text']}",
         "the actor did not return (why: step_limit, watchdog, timeout)", ends_exclusion=True),
):
    register(_k)


def docs_table() -> str:
    """docs/events.md: every registered kind (`python -m model.events > docs/events.md`)."""
    _ensure_outside_kinds()
    lines = ["# Event kinds", "",
             "Generated from the registry in `model/events.py` (`python -m model.events > docs/events.md`);",
             "a test keeps it current.  Every event also has `kind`, `cpu` and `call`.  State effects:",
             "M moves pages, C changes a `pcp->count`, O changes the online mask, E ends an exclusive",
             "section (IRQs back on, a pcp lock released, an actor gone); conservation is judged after",
             "a step with any of them.", "",
             "| kind | fields | effects | what it records |", "|---|---|---|---|"]
    for k in sorted(KINDS.values(), key=lambda k: k.name):
        eff = "".join(c for c, on in (("M", k.moves_pages), ("C", k.changes_count), ("O", k.changes_online),
                                      ("E", k.ends_exclusion)) if on) or "-"
        fields = ", ".join(f"`{f}`" for f in k.fields) or "-"
        lines.append(f"| `{k.name}` | {fields} | {eff} | {k.doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _ensure_outside_kinds():
    """The C shim registers its kinds on import."""
    try:
        import cshim.ops  # noqa: F401
    except ImportError:
        pass


if __name__ == "__main__":
    from model.events import docs_table as _table      # the registry outside code registers into
    print(_table(), end="")
