"""Properties of the state and of calls returning: conservation, returns,
disabled_pcp_left_empty, zone_scoped."""
from __future__ import annotations

from typing import NamedTuple

from ..events import call_name
from ..footprint import ANY, EMPTY  # noqa: F401
from .base import mon, rec_fp, Property, _del, _get, _zn


class Conservation(Property):
    kinds = frozenset({"drain"})
    name = "conservation"
    short = "conserv"           # its column in the text matrix
    claim = ("every page is in exactly one place (buddy, one pcp list, allocated) and each "
             "pcp->count equals its list's length")
    judged_on = "every state outside an IRQs-off section"
    witness = "a drain moved at least one page from a pcp list to buddy"

    def footprint(self, rt, i, m, ev):
        return EMPTY                   # on_event only signals the witness

    def state_footprint(self, rt, i, events):
        return (frozenset({ANY}), frozenset()) if any(e.kind in self._TOUCH for e in events) else EMPTY

    def on_event(self, rt, m, ev, k, out):
        if ev.kind == "drain" and ev.pages:
            out.append(("witness", self.witness))
        return m

    # only these events change page placement, counts or the online mask, or end a
    # section in which another actor has exclusive access (model/events.py)
    @property
    def _TOUCH(self):
        from ..events import touching_kinds
        return touching_kinds()

    def on_state(self, rt, m, node, out, events=None):
        if events is not None and not any(e.kind in self._TOUCH for e in events):
            return
        k = node.k
        seen: dict = {}
        for c, row in enumerate(k.pcp):
            for z, lst in enumerate(row):
                for p in lst:
                    seen[p] = seen.get(p, 0) + 1
        for b in k.buddy:
            for p in b:
                seen[p] = seen.get(p, 0) + 1
        for h in k.held:
            for p in h:
                seen[p] = seen.get(p, 0) + 1
        for p in range(len(rt.page_zone)):
            n = seen.get(p, 0)
            if n != 1:
                out.append(("violation", f"p{p} is in {n} places", {"pages": (p,)}))
                return
        for c in range(k.ncpus):
            if k.irq[c] is not None or k.sbuf[c]:
                continue
            for z in range(k.nzones):
                if k.locks[c][z] is None and k.count[c][z] != len(k.pcp[c][z]):
                    out.append(("violation",
                                f"pcp[cpu{c}][{_zn(rt, z)}] count={k.count[c][z]} but its list holds "
                                f"{len(k.pcp[c][z])} page(s)"))
                    return


class Returns(Property):
    kinds = frozenset({"call", "return", "crash", "hang"})
    name = "returns"
    short = "returns"           # its column in the text matrix
    claim = "every drain call returns (no deadlock, no endless loop, no crash)"
    judged_on = "every call"
    witness = "a drain call returned while another drain call was in flight"

    # m: the calls in flight, kept only until the witness is reached (crashes and
    # deadlocks are judged without it)
    def footprint(self, rt, i, m, ev):
        if ev.kind in ("crash", "hang") or self.name in rt.witnessed:
            return EMPTY
        return frozenset({mon(i)}), frozenset({mon(i)})

    def on_event(self, rt, m, ev, k, out):
        if ev.kind == "call":
            return m if self.name in rt.witnessed else m + (ev.call,)
        if ev.kind == "return":
            if len(m) > 1:
                out.append(("witness", self.witness))
            return tuple(c for c in m if c != ev.call)
        if ev.kind in ("crash", "hang"):
            who = f"call {call_name(ev.call)}" if ev.call else f"cpu{ev.cpu}"
            verb = "crashed" if ev.kind == "crash" else "hung"
            out.append(("violation", f"{who} {verb}: {ev.text}", {"why": ev.get("why", "exception")}))
        return m

    def on_final(self, rt, m, node, blocked, out):
        if blocked:
            who = "; ".join(rt.describe_block(a) + (f" (call {call_name(a.call)} never returns)" if a.call else "")
                            for a in blocked)
            out.append(("violation", f"deadlock: {who}", {"why": "deadlock"}))


class DisableState(NamedTuple):
    """disabled_pcp_left_empty."""
    returned: frozenset     # zones whose disable-then-drain call has returned
    straddled: bool         # an operation straddled a disable (the witness)
    pending: frozenset      # (cpu, zone) allocations that loaded the batch and have not refilled
    straddling: frozenset   # those of pending that a disable overtook
    active: tuple           # (call, zone it disabled or None) of disable calls in flight


class DisabledPcpLeftEmpty(Property):
    kinds = frozenset({"call", "read_batch", "disable", "alloc", "scan", "return"})
    name = "disabled_pcp_left_empty"
    short = "disabled"           # its column in the text matrix
    claim = ("once disable-then-drain has returned and every operation in flight has finished, "
             "no pcp list of that zone holds a page (what memory offline relies on)")
    judged_on = "disable-then-drain calls"
    witness = "another CPU's allocation loaded the old batch before the disable and refilled after it"
    witness_tso = "the disabling CPU loaded a count whose new value was still in the owner's store buffer"

    def judges_scenario(self, scenario):
        return any(it[0] == "disable" for _, it in scenario.calls)

    def init(self, rt, k):
        return DisableState(frozenset(), False, frozenset(), frozenset(), ())

    def footprint(self, rt, i, m, ev):
        kind = ev.kind
        if kind == "call" and ev.what != "disable" or kind == "scan" and not rt.tso:
            return EMPTY
        if kind in ("read_batch", "alloc") and self.name in rt.witnessed:
            return frozenset({mon(i)}), frozenset()
        return frozenset({mon(i), ("C", "*")}), frozenset({mon(i)})

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call" and ev.what == "disable":
            return m._replace(active=m.active + ((ev.call, None),))
        if kind == "read_batch":
            if self.name in rt.witnessed:      # pending/straddling only serve the witness
                return m
            return m._replace(pending=m.pending | {(ev.cpu, ev.zone)})
        if kind == "disable":
            return m._replace(active=tuple((c, ev.zone if c == ev.call else z) for c, z in m.active),
                              straddling=m.straddling | {p for p in m.pending if p[1] == ev.zone})
        if kind == "alloc":
            key = (ev.cpu, ev.zone)
            return m._replace(straddled=m.straddled or key in m.straddling, pending=m.pending - {key},
                              straddling=m.straddling - {key})
        if kind == "scan" and m.active and ev.call in dict(m.active) and rt.tso:
            if self.name not in rt.witnessed and k.view_count(ev.target, ev.target, ev.zone) != ev.value:
                return m._replace(straddled=True)
            return m
        if kind == "return" and ev.call in dict(m.active):
            z = dict(m.active)[ev.call]
            return m._replace(returned=m.returned if z is None else m.returned | {z},
                              active=tuple(a for a in m.active if a[0] != ev.call))
        return m

    def on_final(self, rt, m, node, blocked, out):
        zones = sorted(m.returned)
        if blocked or not zones:
            return
        if m.straddled:             # judged after an operation straddled the disable
            out.append(("witness", self.witness_tso if rt.tso else self.witness))
        k = node.k.committed()
        for z in zones:
            for c in range(k.ncpus):
                if k.pcp[c][z]:
                    pages = ",".join(f"p{p}" for p in k.pcp[c][z])
                    out.append(("violation", f"{pages} left on pcp[cpu{c}][{_zn(rt, z)}] after "
                                             f"zone_pcp_disable({_zn(rt, z)}) + drain returned",
                                {"pages": tuple(k.pcp[c][z])}))
                    return


class ZoneRec(NamedTuple):
    """zone_scoped: one zone call in flight."""
    zone: int
    others_held: bool       # another zone's list held pages at the call (the witness)


class ZoneScoped(Property):
    kinds = frozenset({"call", "drain", "return"})
    name = "zone_scoped"
    short = "zone"           # its column in the text matrix
    claim = "a drain for one zone leaves other zones' pcp lists alone"
    judged_on = "zone calls"
    witness = "a zone call ran while another zone's pcp list held pages"

    def applies(self, variant, offstack, zones=None):
        if not variant.zone_arg:
            return "the API has no zone argument"
        if zones == 1:
            return "one populated zone: there is no other zone's list to leave alone"
        return None

    def judges_scenario(self, scenario):
        return any(it[1] is not None for _, it in scenario.calls if it[0] != "free")

    def footprint(self, rt, i, m, ev):
        if ev.kind == "call":
            if ev.zone is None:
                return EMPTY
            return rec_fp(i, ev.call, reads=() if self.name in rt.witnessed else (("L", "*"),), order=True)
        if ev.kind == "drain":
            return (frozenset({mon(i, ev.call)}), frozenset()) if ev.pages and ev.call is not None else EMPTY
        return rec_fp(i, ev.call, order=True)

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call" and ev.zone is not None:
            others = self.name not in rt.witnessed and \
                any(k.pcp[c][z] for c in range(k.ncpus) for z in range(k.nzones) if z != ev.zone)
            return m + ((ev.call, ZoneRec(ev.zone, others)),)
        if kind == "drain" and ev.pages and ev.call is not None:
            rec = _get(m, ev.call)
            z = rec.zone if rec is not None else None
            if z is not None and ev.zone != z:
                by = f"cpu{ev.cpu}"
                out.append(("violation", f"{call_name(ev.call)} asked to drain {_zn(rt, z)} but {by} drained "
                                         f"pcp[cpu{ev.target}][{_zn(rt, ev.zone)}] "
                                         f"({','.join(f'p{p}' for p in ev.pages)}) for it"))
            return m
        if kind == "return":
            rec = _get(m, ev.call)
            if rec is not None and rec.others_held:   # judged on a call with other zones' pages about
                out.append(("witness", self.witness))
            return _del(m, ev.call)
        return m
