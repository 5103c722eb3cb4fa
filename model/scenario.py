"""Scenarios: who does what, from which initial placement of pages.

A scenario is the *workload* half of a run (the schedule is the other half): the
number of CPUs and zones, where each page starts, and for each CPU the program its
task runs, in order:

    ("free", p)            free page p (held by this task) -> free_hot_cold_page()
    ("alloc", z)           allocate an order-0 page of zone z -> buffered_rmqueue()
    ("drain", z)           call drain_all_pages(z) (z None: every zone / v3.2 API)
    ("reclaim_drain", z)   enter direct reclaim and, if it made progress and the
                           retry failed, call drain_all_pages(z) from there
    ("disable", z)         "disable then drain": zone_pcp_disable(z) (v5.11+) or
                           the same write then the era's drain (DESIGN.md §2)

plus CPU hotplug steps, run by their own actor: ("offline", c), ("online", c).
Scenarios are values; the exhaustive driver enumerates them smallest first, the
Hypothesis driver draws them.
"""
from __future__ import annotations

from dataclasses import dataclass

CALL_ITEMS = ("drain", "reclaim_drain", "disable")


@dataclass(frozen=True)
class Scenario:
    ncpus: int
    zone_names: tuple[str, ...]
    high: int
    batch: int
    page_zone: tuple[int, ...]          # page id -> zone index
    placement: tuple[tuple, ...]        # page id -> ("buddy",) | ("pcp", c) | ("held", c)
    programs: tuple[tuple[tuple, ...], ...]   # cpu -> items
    hotplug: tuple[tuple, ...] = ()
    offline: int = 0                    # bitmask of CPUs offline at the start
    hotplug_possible: bool = False      # cpu_online_mask may change (loads are steps)
    env: tuple = ()                     # environment options (model/environment.py)

    @property
    def npages(self) -> int:
        return len(self.page_zone)

    @property
    def nzones(self) -> int:
        return len(self.zone_names)

    @property
    def calls(self) -> tuple[tuple[int, tuple], ...]:
        return tuple((c, it) for c, prog in enumerate(self.programs) for it in prog if it[0] in CALL_ITEMS)

    @property
    def ncallers(self) -> int:
        return len(self.calls)

    @property
    def quiescent(self) -> bool:
        """Exactly one drain call and nothing else running (DESIGN.md §3)."""
        items = [it for prog in self.programs for it in prog]
        return len(items) == 1 and items[0][0] == "drain" and not self.hotplug

    def validate(self) -> "Scenario":
        """Reject scenarios the kernel could not be in (a bad regression file)."""
        if self.ncpus < 1 or not self.zone_names:
            raise ValueError("scenario needs at least one CPU and one zone")
        if len(self.placement) != len(self.page_zone):
            raise ValueError("placement and page_zone differ in length")
        if len(self.programs) != self.ncpus:
            raise ValueError("one program per CPU")
        from .environment import OPTIONS
        for n in self.env:
            if n not in OPTIONS:
                raise ValueError(f"unknown environment option {n!r}")
        for p, where in enumerate(self.placement):
            if where[0] in ("pcp", "held") and not 0 <= where[1] < self.ncpus:
                raise ValueError(f"page p{p} placed on a CPU that does not exist")
            if where[0] == "pcp" and self.offline >> where[1] & 1:
                raise ValueError(f"page p{p} on the list of offline cpu{where[1]}")
        for c, prog in enumerate(self.programs):
            if prog and self.offline >> c & 1 and ("online", c) not in self.hotplug:
                raise ValueError(f"cpu{c} is offline at the start, never comes online, and has a program to run")
            for it in prog:
                if it[0] == "free" and self.placement[it[1]] != ("held", c):
                    raise ValueError(f"cpu{c} frees p{it[1]} which its task does not hold")
        return self

    def to_json(self) -> dict:
        return {
            "cpus": self.ncpus, "zones": list(self.zone_names), "high": self.high, "batch": self.batch,
            "page_zone": list(self.page_zone),
            "placement": [list(w) for w in self.placement],
            "programs": [[list(it) for it in prog] for prog in self.programs],
            "hotplug": [list(h) for h in self.hotplug],
            "offline": self.offline,
            "hotplug_possible": self.hotplug_possible,
        } | ({"env": list(self.env)} if self.env else {})

    @classmethod
    def from_json(cls, d: dict) -> "Scenario":
        return cls(
            ncpus=d["cpus"], zone_names=tuple(d["zones"]), high=d["high"], batch=d["batch"],
            page_zone=tuple(d["page_zone"]),
            placement=tuple(tuple(w) for w in d["placement"]),
            programs=tuple(tuple(tuple(it) for it in prog) for prog in d["programs"]),
            hotplug=tuple(tuple(h) for h in d.get("hotplug", ())),
            offline=d.get("offline", 0),
            hotplug_possible=d.get("hotplug_possible", False),
            env=tuple(d.get("env", ())),
        ).validate()

    def describe(self) -> str:
        zn = self.zone_names
        parts = []
        for c, prog in enumerate(self.programs):
            if prog:
                parts.append(f"cpu{c}: " + "; ".join(item_text(it, zn) for it in prog))
        for h in self.hotplug:
            parts.append(f"hotplug: {h[0]} cpu{h[1]}")
        return " | ".join(parts) if parts else "(nothing runs)"


def item_text(it: tuple, zn) -> str:
    kind = it[0]
    if kind == "free":
        return f"free p{it[1]}"
    if kind == "alloc":
        return f"alloc {zn[it[1]]}"
    zone = "NULL" if it[1] is None else zn[it[1]]
    if kind == "drain":
        return f"drain_all_pages({zone})"
    if kind == "reclaim_drain":
        return f"direct reclaim -> drain_all_pages({zone})"
    if kind == "disable":
        return f"zone_pcp_disable({zone}) + drain"
    return repr(it)
