"""Properties comparing the drain with the broadcast drain: quiescent_equivalence,
misses_only_late_arrivals, entry_snapshot_drained, ipi_only_where_pages."""
from __future__ import annotations

from typing import NamedTuple, Optional

from ..events import call_name
from ..footprint import ANY, EMPTY  # noqa: F401
from .base import (mon, rec_fp, Property, _del, _get, _page_where, _req, _set_replace, _visible_pages, _zn, _zones_text,
                   broadcast_reference, compare_to_reference)


class Quiet(NamedTuple):
    """quiescent_equivalence: the lone call being judged."""
    call: tuple
    zone: Optional[int]
    expected: tuple         # broadcast_reference() of the state at the call
    had_pages: bool         # it started with something to drain (the witness)


class QuiescentEquivalence(Property):
    name = "quiescent_equivalence"
    short = "quiescent"           # its column in the text matrix
    claim = ("with nothing else running, the drain leaves exactly the state the broadcast drain "
             "of the same zone(s) leaves")
    judged_on = "single calls, no concurrency (allocation failures allowed)"
    witness = "a lone drain call started with a page on a pcp list of the requested zone(s)"

    # judged on every call that starts with nothing else running (no other task or
    # hotplug alive) and stays alone until it returns
    # m: () when not tracking, else a Quiet
    def footprint(self, rt, i, m, ev):
        if ev.kind == "call" and ev.what == "drain" and not m:
            return frozenset({mon(i), ("A",), ANY}), frozenset({mon(i)})
        if not m:
            return frozenset({mon(i)}), frozenset()
        return frozenset({mon(i), ANY}), frozenset({mon(i)})

    def on_event(self, rt, m, ev, k, out):
        if ev.kind == "call" and ev.what == "drain" and not m:
            others = [a for a in rt.live if a.aid[0] in ("task", "hotplug") and a.cpu != ev.cpu]
            if others:
                return m
            req = _req(rt, ev.zone)
            had = self.name not in rt.witnessed and any(k.pcp[c][z] for c in k.online_cpus() for z in req)
            return Quiet(ev.call, ev.zone, broadcast_reference(k, req), had)
        if not m:
            return m
        if ev.call != m.call:
            return ()               # something else ran: no longer a quiescent call
        if ev.kind == "return":
            zone, exp = m.zone, m.expected
            if m.had_pages:                 # judged on a call that had something to drain
                out.append(("witness", self.witness))
            diff, pages = compare_to_reference(rt, k, exp)
            if diff:
                out.append(("violation", f"after drain_all_pages({'NULL' if zone is None else _zn(rt, zone)}) "
                                         f"{diff}", {"pages": pages}))
            return ()
        return m


class LateRec(NamedTuple):
    """misses_only_late_arrivals: one call in flight."""
    zone: Optional[int]
    saw: frozenset          # CPUs whose count the scan read non-zero
    scanned: frozenset      # (cpu, zone) pairs scanned
    targeted: frozenset     # CPUs it delivered to (or drained)
    unscanned_had: frozenset   # unscanned CPUs holding pages when it decided
    decided: bool
    gone: frozenset         # CPUs offline at its online-mask load or since
    landed: bool            # a page arrived while it was in flight (the witness)


class MissesOnlyLateArrivals(Property):
    kinds = frozenset({"call", "free", "refill", "offline", "scan", "ipi", "work", "drain", "remote_drain",
                       "local_run", "online_read", "return"})
    name = "misses_only_late_arrivals"
    short = "late-only"           # its column in the text matrix
    claim = ("a CPU the drain does not IPI had no pages in the requested zones when the drain "
             "scanned it: the masked drain empties what the broadcast empties, except pages that "
             "arrived after their CPU was scanned")
    judged_on = "every call that scans or delivers"
    witness = "a page landed on a pcp list while a drain call was in flight"

    # per call: (call, LateRec)
    def footprint(self, rt, i, m, ev):
        kind = ev.kind
        if kind == "call":
            return rec_fp(i, ev.call, order=True)
        if kind in ("free", "refill"):
            if not m or self.name in rt.witnessed:
                return frozenset({mon(i, "order")}), frozenset()
            return frozenset({mon(i)}), frozenset({mon(i)})
        if kind == "offline":
            return frozenset({mon(i)}), frozenset({mon(i)})
        if ev.call is None:
            return EMPTY
        if kind in ("scan", "online_read"):
            return rec_fp(i, ev.call)
        return rec_fp(i, ev.call, reads=(("O",), ("C", "*")), order=kind == "return")

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call":
            return m + ((ev.call, LateRec(ev.zone, frozenset(), frozenset(), frozenset(), frozenset(), False,
                                          frozenset(), False)),)
        if kind in ("free", "refill") and m:
            if self.name in rt.witnessed:      # `landed` only serves the witness
                return m
            return tuple((c, r._replace(landed=True)) for c, r in m)
        if kind == "offline":
            return tuple((c, r._replace(gone=r.gone | {ev.cpu})) for c, r in m)
        rec = _get(m, ev.call) if ev.call is not None else None
        if rec is None:
            return m
        zone, saw, scanned, targeted, unscanned, decided, gone, landed = rec
        if kind == "scan" and ev.zone in _req(rt, zone):
            scanned = scanned | {(ev.target, ev.zone)}
            if ev.value:
                saw = saw | {ev.target}
        elif kind == "online_read":
            # CPUs that come online after this load are not this drain's business
            gone = gone | frozenset(c for c in range(k.ncpus) if not ev.bits >> c & 1)
        elif kind in ("ipi", "work", "drain", "remote_drain", "local_run"):
            if not decided and scanned:
                unscanned = frozenset(c for c in k.online_cpus() for z in _req(rt, zone)
                                      if (c, z) not in scanned and k.count[c][z])
            decided = True
            if kind == "ipi":
                targeted = targeted | set(ev.targets)
            else:
                targeted = targeted | {ev.target}
        elif kind == "return":
            if not decided and scanned:
                unscanned = frozenset(c for c in k.online_cpus() for z in _req(rt, zone)
                                      if (c, z) not in scanned and k.count[c][z])
            missed = sorted((saw | unscanned) - targeted - gone)
            if landed:              # judged on a call a page arrived during
                out.append(("witness", self.witness))
            if missed and scanned:
                c = missed[0]
                how = "its scan saw pages there" if c in saw else "it never scanned it, and it held pages"
                out.append(("violation", f"{call_name(ev.call)} never drained cpu{c} in "
                                         f"{_zones_text(rt, zone)} although {how}"))
            return _del(m, ev.call)
        else:
            return m
        return _set_replace(m, ev.call, LateRec(zone, saw, scanned, targeted, unscanned, decided, gone, landed))


class Owed(NamedTuple):
    """entry_snapshot_drained: what one call owes."""
    call: tuple
    pages: frozenset        # on a pcp list at the call, not allocated or drained since
    overlapped: bool        # owed pages while another call was in flight (the witness)


class EntryState(NamedTuple):
    active: tuple           # calls in flight (kept only until the witness is reached)
    owed: tuple             # Owed, in call order


class EntrySnapshotDrained(Property):
    kinds = frozenset({"call", "drain", "spill", "offline", "alloc", "return"})
    name = "entry_snapshot_drained"
    short = "entry-snap"           # its column in the text matrix
    claim = ("every page on an online CPU's pcp list (requested zones) when the drain is called, "
             "and not allocated since, has gone back to buddy before the call returns")
    judged_on = ("calls owed a complete drain: all calls before v4.11; zone calls from v4.11 "
                 "(a NULL-zone call that loses the trylock returns by design)")
    witness = "a call owed pages while another drain call was in flight"

    def init(self, rt, k):
        return EntryState((), ())

    def footprint(self, rt, i, m, ev):
        kind = ev.kind
        if kind == "alloc" and ev.page is None:
            return EMPTY
        if kind in ("drain", "spill", "offline", "alloc") and not m.owed:
            return frozenset({mon(i)}), frozenset()
        return frozenset({mon(i), ("O",), ("L", "*"), ("B", "*"), ("H", "*"), ("S", "*")}), frozenset({mon(i)})

    def on_event(self, rt, m, ev, k, out):
        active, owed = m
        kind = ev.kind
        if kind == "call":
            if self.name in rt.witnessed:      # `active` and the flags only serve the witness
                if rt.variant.owes_null_zone or ev.zone is not None:
                    req = _req(rt, ev.zone)
                    snap = frozenset(p for c in k.online_cpus() for z in req for p in _visible_pages(k, c, z))
                    owed = owed + (Owed(ev.call, snap, False),)
                return EntryState(active, owed)
            active = active + (ev.call,)
            owed = tuple(Owed(c, s, w or (bool(s) and len(active) > 1)) for c, s, w in owed)
            if rt.variant.owes_null_zone or ev.zone is not None:
                req = _req(rt, ev.zone)
                snap = frozenset(p for c in k.online_cpus() for z in req for p in _visible_pages(k, c, z))
                owed = owed + (Owed(ev.call, snap, bool(snap) and len(active) > 1),)
            return EntryState(active, owed)
        if kind in ("drain", "spill", "offline"):
            gone = set(ev.pages)
        elif kind == "alloc" and ev.page is not None:
            gone = {ev.page}
        elif kind == "return":
            active = tuple(c for c in active if c != ev.call)
            rec = [o for o in owed if o.call == ev.call]
            owed = tuple(o for o in owed if o.call != ev.call)
            if rec and rec[0].overlapped:   # judged on a call owed pages that overlapped another
                out.append(("witness", self.witness))
            if rec and rec[0].pages:
                p = min(rec[0].pages)
                where = _page_where(rt, k, p)
                where = "has vanished" if where == "nowhere" else f"is still on {where}"
                out.append(("violation", f"p{p} was on a pcp list when {call_name(ev.call)} was called and "
                                         f"{where} when it returns", {"pages": (p,)}))
            return EntryState(active, owed)
        else:
            return m
        if not owed:
            return m
        owed = tuple(Owed(c, s - gone, w) for c, s, w in owed)
        return EntryState(active, owed)


class IpiRec(NamedTuple):
    """ipi_only_where_pages: one call in flight."""
    zone: Optional[int]
    saw: frozenset          # CPUs whose count the scan read non-zero
    scanned: frozenset      # CPUs scanned (any requested zone)
    fallback: bool          # its mask allocation failed


class IpiOnlyWherePages(Property):
    kinds = frozenset({"call", "scan", "mask_alloc", "ipi", "work", "return"})
    name = "ipi_only_where_pages"
    short = "ipi-only"           # its column in the text matrix
    claim = ("outside the allocation-failure fallback and force_all_cpus, a CPU receives the drain "
             "(IPI or work item) only if it held pages in the requested zones when this drain "
             "decided to target it")
    judged_on = "every call"
    witness = "a drain was delivered while another online CPU's lists in the requested zones were empty"

    def applies(self, variant, offstack, zones=None):
        if not variant.delivers:
            return "sends no IPI or work item: the caller drains remote lists itself"
        return None

    # per call: (call, IpiRec)
    def footprint(self, rt, i, m, ev):
        kind = ev.kind
        if ev.call is None:
            return EMPTY
        if kind in ("call", "return"):
            return rec_fp(i, ev.call, order=True)
        if kind in ("scan", "mask_alloc"):
            return rec_fp(i, ev.call)
        return frozenset({mon(i, ev.call), ("L", "*"), ("C", "*"), ("O",)}), frozenset()

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call":
            return m + ((ev.call, IpiRec(ev.zone, frozenset(), frozenset(), False)),)
        rec = _get(m, ev.call) if ev.call is not None else None
        if rec is None:
            return m
        zone, saw, scanned, fallback = rec
        req = _req(rt, zone)
        if kind == "scan":
            if ev.zone in req:
                scanned = scanned | {ev.target}
                if ev.value:
                    saw = saw | {ev.target}
        elif kind == "mask_alloc" and ev.outcome == "fail":
            fallback = True
        elif kind in ("ipi", "work"):
            targets = ev.targets if kind == "ipi" else (ev.target,)
            if fallback or ev.why == "forced":
                return m
            if any(not any(k.pcp[c][z] for z in req) for c in k.online_cpus() if c != ev.cpu):
                out.append(("witness", self.witness))
            for t in targets:
                if t == ev.cpu:
                    continue
                if t in scanned:
                    ok = t in saw
                else:
                    ok = any(k.count[t][z] for z in req)
                if not ok:
                    via = "an IPI" if kind == "ipi" else "a work item"
                    out.append(("violation", f"{call_name(ev.call)} sent {via} to cpu{t}, which held no pages "
                                             f"in {_zones_text(rt, zone)} when {call_name(ev.call)} decided"))
                    break
            return m
        elif kind == "return":
            return _del(m, ev.call)
        else:
            return m
        return _set_replace(m, ev.call, IpiRec(zone, saw, scanned, fallback))
