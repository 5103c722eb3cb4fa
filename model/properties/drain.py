"""Properties comparing the drain with the broadcast drain: quiescent_equivalence,
misses_only_late_arrivals, entry_snapshot_drained, ipi_only_where_pages."""
from __future__ import annotations

from ..events import call_name
from ..footprint import ANY, EMPTY  # noqa: F401
from .base import (mon, rec_fp, Property, _del, _get, _page_where, _req, _set_replace, _visible_pages, _zn, _zones_text,
                   broadcast_reference, compare_to_reference)


class QuiescentEquivalence(Property):
    name = "quiescent_equivalence"
    claim = ("with nothing else running, the drain leaves exactly the state the broadcast drain "
             "of the same zone(s) leaves")
    judged_on = "single calls, no concurrency (allocation failures allowed)"
    witness = "a lone drain call started with a page on a pcp list of the requested zone(s)"

    # judged on every call that starts with nothing else running (no other task or
    # hotplug alive) and stays alone until it returns
    # m: () when not tracking, else (call, zone, expected state)
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
            return (ev.call, ev.zone, broadcast_reference(k, req), had)
        if not m:
            return m
        if ev.call != m[0]:
            return ()               # something else ran: no longer a quiescent call
        if ev.kind == "return":
            _, zone, exp, had = m
            if had:                 # judged on a call that had something to drain
                out.append(("witness", self.witness))
            diff, pages = compare_to_reference(rt, k, exp)
            if diff:
                out.append(("violation", f"after drain_all_pages({'NULL' if zone is None else _zn(rt, zone)}) "
                                         f"{diff}", {"pages": pages}))
            return ()
        return m


class MissesOnlyLateArrivals(Property):
    kinds = frozenset({"call", "free", "refill", "offline", "scan", "ipi", "work", "drain", "remote_drain",
                       "local_run", "online_read", "return"})
    name = "misses_only_late_arrivals"
    claim = ("a CPU the drain does not IPI had no pages in the requested zones when the drain "
             "scanned it: the masked drain empties what the broadcast empties, except pages that "
             "arrived after their CPU was scanned")
    judged_on = "every call that scans or delivers"
    witness = "a page landed on a pcp list while a drain call was in flight"

    # per call: (call, (zone, saw, scanned, targeted, unscanned_had, decided, gone))
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
            return m + ((ev.call, (ev.zone, frozenset(), frozenset(), frozenset(), frozenset(), False, frozenset(),
                                   False)),)
        if kind in ("free", "refill") and m:
            if self.name in rt.witnessed:      # `landed` only serves the witness
                return m
            return tuple((c, r[:7] + (True,)) for c, r in m)
        if kind == "offline":
            return tuple((c, r[:6] + (r[6] | {ev.cpu},) + r[7:]) for c, r in m)
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
        return _set_replace(m, ev.call, (zone, saw, scanned, targeted, unscanned, decided, gone, landed))


class EntrySnapshotDrained(Property):
    kinds = frozenset({"call", "drain", "spill", "offline", "alloc", "return"})
    name = "entry_snapshot_drained"
    claim = ("every page on an online CPU's pcp list (requested zones) when the drain is called, "
             "and not allocated since, has gone back to buddy before the call returns")
    judged_on = ("calls owed a complete drain: all calls before v4.11; zone calls from v4.11 "
                 "(a NULL-zone call that loses the trylock returns by design)")
    witness = "a call owed pages while another drain call was in flight"

    # m: (active calls, ((call, owed pages), ...))
    def init(self, rt, k):
        return ((), ())

    def footprint(self, rt, i, m, ev):
        kind = ev.kind
        if kind == "alloc" and ev.page is None:
            return EMPTY
        if kind in ("drain", "spill", "offline", "alloc") and not m[1]:
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
                    owed = owed + ((ev.call, snap, False),)
                return (active, owed)
            active = active + (ev.call,)
            owed = tuple((c, s, w or (bool(s) and len(active) > 1)) for c, s, w in owed)
            if rt.variant.owes_null_zone or ev.zone is not None:
                req = _req(rt, ev.zone)
                snap = frozenset(p for c in k.online_cpus() for z in req for p in _visible_pages(k, c, z))
                owed = owed + ((ev.call, snap, bool(snap) and len(active) > 1),)
            return (active, owed)
        if kind in ("drain", "spill", "offline"):
            gone = set(ev.pages)
        elif kind == "alloc" and ev.page is not None:
            gone = {ev.page}
        elif kind == "return":
            active = tuple(c for c in active if c != ev.call)
            rec = [o for o in owed if o[0] == ev.call]
            owed = tuple(o for o in owed if o[0] != ev.call)
            if rec and rec[0][2]:   # judged on a call owed pages that overlapped another
                out.append(("witness", self.witness))
            if rec and rec[0][1]:
                p = min(rec[0][1])
                where = _page_where(rt, k, p)
                where = "has vanished" if where == "nowhere" else f"is still on {where}"
                out.append(("violation", f"p{p} was on a pcp list when {call_name(ev.call)} was called and "
                                         f"{where} when it returns", {"pages": (p,)}))
            return (active, owed)
        else:
            return m
        if not owed:
            return m
        owed = tuple((c, s - gone, w) for c, s, w in owed)
        return (active, owed)


class IpiOnlyWherePages(Property):
    kinds = frozenset({"call", "scan", "mask_alloc", "ipi", "work", "return"})
    name = "ipi_only_where_pages"
    claim = ("outside the allocation-failure fallback and force_all_cpus, a CPU receives the drain "
             "(IPI or work item) only if it held pages in the requested zones when this drain "
             "decided to target it")
    judged_on = "every call"
    witness = "a drain was delivered while another online CPU's lists in the requested zones were empty"

    def applies(self, variant, offstack, zones=None):
        if not variant.delivers:
            return "sends no IPI or work item: the caller drains remote lists itself"
        return None

    # per call: (call, (zone, saw, scanned cpus, fallback))
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
            return m + ((ev.call, (ev.zone, frozenset(), frozenset(), False)),)
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
        return _set_replace(m, ev.call, (zone, saw, scanned, fallback))
