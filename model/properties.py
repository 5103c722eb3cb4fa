"""The property ladder (DESIGN.md §3): named predicates over histories.

Each property is one class with its stable `name`, its `claim` in kernel words,
what it is `judged_on`, and its `witness`: the situation that must actually be
reached for a "holds" verdict to mean anything (STYLE.md: every "always" has a
"sometimes").  A property is evaluated as a *monitor* folded over a history's
events (`on_event`), its states (`on_state`) and its end (`on_final`): the same
code judges a Hypothesis run, an exhaustive search (where the monitor's small,
hashable state is part of the explored node, so deduplication stays sound) and a
replayed counterexample.  A monitor appends `("violation", text)` or
`("witness", text)` signals; a witness is signalled where the predicate is
actually evaluated on the interesting situation (at the call's return, at the end
of the run), so a call that crashed or never returned reaches no witness and its
property stays `unknown`, not "holds".

`applies(variant, offstack)` returns None when the property applies, or the reason
it is `n/a` (the ingredient it is about is absent).
"""
from __future__ import annotations

from .events import call_name


def _req(rt, zone) -> tuple[int, ...]:
    return tuple(range(rt.nzones)) if zone is None else (zone,)


def _zn(rt, z) -> str:
    return rt.zone_names[z]


def _zones_text(rt, zone) -> str:
    return "any zone" if zone is None else rt.zone_names[zone]


def _page_where(rt, k, page) -> str:
    found = k.where(page)
    if not found:
        return "nowhere"
    f = found[0]
    if f[0] == "pcp":
        return f"pcp[cpu{f[1]}][{_zn(rt, f[2])}]"
    if f[0] == "buddy":
        return f"buddy[{_zn(rt, f[1])}]"
    return f"allocated by cpu{f[1]}"


def _visible_pages(k, c, z):
    """Pages on (c, z)'s list that other CPUs can see: under tso, none while c
    still buffers a count store for that list."""
    if any(s[0] == "count" and s[1] == c and s[2] == z for s in k.sbuf[c]):
        return ()
    return k.pcp[c][z]


def _set_replace(tup, key, value):
    return tuple((key, value) if e[0] == key else e for e in tup)


def _get(tup, key):
    for e in tup:
        if e[0] == key:
            return e[1]
    return None


def _del(tup, key):
    return tuple(e for e in tup if e[0] != key)


class Property:
    name = "?"
    claim = ""
    judged_on = ""
    witness = ""
    #: event kinds on_event looks at (None: all); the runtime skips the others
    kinds = None

    def applies(self, variant, offstack: bool):
        return None

    def judges_scenario(self, scenario) -> bool:
        return True

    def init(self, rt, k):
        return ()

    def on_event(self, rt, m, ev, k, out):
        return m

    def on_state(self, rt, m, node, out, events=()):
        pass

    def on_final(self, rt, m, node, blocked, out):
        pass


class Conservation(Property):
    kinds = frozenset({"drain"})
    name = "conservation"
    claim = ("every page is in exactly one place (buddy, one pcp list, allocated) and each "
             "pcp->count equals its list's length")
    judged_on = "every state outside an IRQs-off section"
    witness = "a drain moved at least one page from a pcp list to buddy"

    def on_event(self, rt, m, ev, k, out):
        if ev.kind == "drain" and ev.pages:
            out.append(("witness", self.witness))
        return m

    # only these events change page placement, counts, or end an IRQs-off section
    _TOUCH = frozenset({"free", "spill", "drain", "refill", "alloc", "offline", "online", "flush", "irq",
                        "handler_done", "pcp_unlock", "crash", "hang"})

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
                out.append(("violation", f"p{p} is in {n} places"))
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
    claim = "every drain call returns (no deadlock, no endless loop, no crash)"
    judged_on = "every call"
    witness = "a drain call returned while another drain call was in flight"

    def on_event(self, rt, m, ev, k, out):
        if ev.kind == "call":
            return m + (ev.call,)
        if ev.kind == "return":
            if len(m) > 1:
                out.append(("witness", self.witness))
            return tuple(c for c in m if c != ev.call)
        if ev.kind in ("crash", "hang"):
            who = f"call {call_name(ev.call)}" if ev.call else f"cpu{ev.cpu}"
            verb = "crashed" if ev.kind == "crash" else "hung"
            out.append(("violation", f"{who} {verb}: {ev.text}"))
        return m

    def on_final(self, rt, m, node, blocked, out):
        if blocked:
            from .runtime import actor_name
            who = "; ".join(rt.describe_block(a) + (f" (call {call_name(a.call)} never returns)" if a.call else "")
                            for a in blocked)
            out.append(("violation", f"deadlock: {who}"))


class QuiescentEquivalence(Property):
    name = "quiescent_equivalence"
    claim = ("with nothing else running, the drain leaves exactly the state the broadcast drain "
             "of the same zone(s) leaves")
    judged_on = "single calls, no concurrency (allocation failures allowed)"
    witness = "a lone drain call started with a page on a pcp list of the requested zone(s)"

    # judged on every call that starts with nothing else running (no other task or
    # hotplug alive) and stays alone until it returns
    # m: () when not tracking, else (call, zone, expected state)
    def on_event(self, rt, m, ev, k, out):
        if ev.kind == "call" and ev.what == "drain" and not m:
            others = [a for a in rt.live if a.aid[0] in ("task", "hotplug") and a.cpu != ev.cpu]
            if others:
                return m
            req = _req(rt, ev.zone)
            had = any(k.pcp[c][z] for c in k.online_cpus() for z in req)
            return (ev.call, ev.zone, broadcast_reference(k, req), had)
        if not m:
            return m
        if ev.call != m[0]:
            return ()               # something else ran: no longer a quiescent call
        if ev.kind == "return":
            _, zone, exp, had = m
            if had:                 # judged on a call that had something to drain
                out.append(("witness", self.witness))
            diff = compare_to_reference(rt, k, exp)
            if diff:
                out.append(("violation", f"after drain_all_pages({'NULL' if zone is None else _zn(rt, zone)}) "
                                         f"{diff}"))
            return ()
        return m


def broadcast_reference(k, req):
    """The state `on_each_cpu(drain_local_pages)` of zones `req` would leave."""
    pcp, count, buddy = [list(r) for r in k.pcp], [list(r) for r in k.count], list(k.buddy)
    for c in k.online_cpus():
        for z in req:
            buddy[z] = tuple(sorted(buddy[z] + k.pcp[c][z]))
            pcp[c][z] = ()
            count[c][z] = 0
    return (tuple(tuple(r) for r in pcp), tuple(tuple(r) for r in count), tuple(buddy))


def compare_to_reference(rt, k, exp) -> str:
    pcp, count, buddy = exp
    for c in range(k.ncpus):
        for z in range(k.nzones):
            if k.pcp[c][z] != pcp[c][z] or k.count[c][z] != count[c][z]:
                pages = ",".join(f"p{p}" for p in k.pcp[c][z]) or "no page"
                if not pcp[c][z] and k.pcp[c][z]:
                    return (f"pcp[cpu{c}][{_zn(rt, z)}] still holds {pages} (count {k.count[c][z]}); "
                            f"the broadcast drain leaves it empty")
                want = ",".join(f"p{p}" for p in pcp[c][z]) or "no page"
                return (f"pcp[cpu{c}][{_zn(rt, z)}] holds {pages} with count {k.count[c][z]}; the broadcast "
                        f"drain leaves {want} with count {count[c][z]}")
    if tuple(k.buddy) != buddy:
        return "buddy differs from the broadcast drain's"
    return ""


class MissesOnlyLateArrivals(Property):
    kinds = frozenset({"call", "free", "refill", "offline", "scan", "ipi", "work", "drain", "remote_drain", "return"})
    name = "misses_only_late_arrivals"
    claim = ("a CPU the drain does not IPI had no pages in the requested zones when the drain "
             "scanned it: the masked drain empties what the broadcast empties, except pages that "
             "arrived after their CPU was scanned")
    judged_on = "every call that scans or delivers"
    witness = "a page landed on a pcp list while a drain call was in flight"

    # per call: (call, (zone, saw, scanned, targeted, unscanned_had, decided, gone))
    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call":
            return m + ((ev.call, (ev.zone, frozenset(), frozenset(), frozenset(), frozenset(), False, frozenset(),
                                   False)),)
        if kind in ("free", "refill") and m:
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
        elif kind in ("ipi", "work", "drain", "remote_drain"):
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

    def on_event(self, rt, m, ev, k, out):
        active, owed = m
        kind = ev.kind
        if kind == "call":
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
                                         f"{where} when it returns"))
            return (active, owed)
        else:
            return m
        if not owed:
            return m
        owed = tuple((c, s - gone, w) for c, s, w in owed)
        return (active, owed)


class DisabledPcpLeftEmpty(Property):
    kinds = frozenset({"call", "read_batch", "disable", "alloc", "scan", "return"})
    name = "disabled_pcp_left_empty"
    claim = ("once disable-then-drain has returned and every operation in flight has finished, "
             "no pcp list of that zone holds a page (what memory offline relies on)")
    judged_on = "disable-then-drain calls"
    witness = "another CPU's allocation loaded the old batch before the disable and refilled after it"
    witness_tso = "the disabling CPU loaded a count whose new value was still in the owner's store buffer"

    def judges_scenario(self, scenario):
        return any(it[0] == "disable" for _, it in scenario.calls)

    # m: (disabled zones returned, pending (cpu, zone) alloc sections, straddling, active disable calls)
    def init(self, rt, k):
        return (frozenset(), frozenset(), frozenset(), ())

    def on_event(self, rt, m, ev, k, out):
        done, pending, straddle, active = m
        kind = ev.kind
        if kind == "call" and ev.what == "disable":
            return (done, pending, straddle, active + ((ev.call, None),))
        if kind == "read_batch":
            return (done, pending | {(ev.cpu, ev.zone)}, straddle, active)
        if kind == "disable":
            active = tuple((c, ev.zone if c == ev.call else z) for c, z in active)
            return (done, pending, straddle | {p for p in pending if p[1] == ev.zone}, active)
        if kind == "alloc":
            key = (ev.cpu, ev.zone)
            if key in straddle:
                done = done | {"witness"}
            return (done, pending - {key}, straddle - {key}, active)
        if kind == "scan" and active and ev.call in dict(active) and rt.tso:
            if k.view_count(ev.target, ev.target, ev.zone) != ev.value:
                done = done | {"witness"}
            return (done, pending, straddle, active)
        if kind == "return" and ev.call in dict(active):
            z = dict(active)[ev.call]
            done = done if z is None else done | {z}
            return (done, pending, straddle, tuple(a for a in active if a[0] != ev.call))
        return m

    def on_final(self, rt, m, node, blocked, out):
        done = m[0]
        zones = sorted(z for z in done if z != "witness")
        if blocked or not zones:
            return
        if "witness" in done:       # judged after an operation straddled the disable
            out.append(("witness", self.witness_tso if rt.tso else self.witness))
        k = node.k.committed()
        for z in zones:
            for c in range(k.ncpus):
                if k.pcp[c][z]:
                    pages = ",".join(f"p{p}" for p in k.pcp[c][z])
                    out.append(("violation", f"{pages} left on pcp[cpu{c}][{_zn(rt, z)}] after "
                                             f"zone_pcp_disable({_zn(rt, z)}) + drain returned"))
                    return


class FallbackIsBroadcast(Property):
    kinds = frozenset({"call", "mask_alloc", "mask_free", "ipi", "drain", "work", "remote_drain", "return"})
    name = "fallback_is_broadcast"
    claim = ("when the mask allocation fails the drain IPIs every online CPU and empties what the "
             "broadcast empties; the mask is freed iff it was allocated")
    judged_on = "variants that allocate"
    witness = "the cpumask allocation failed and the fallback ran"

    def applies(self, variant, offstack):
        if not variant.allocates:
            return "no cpumask is allocated on the drain path"
        if not offstack:
            return "CONFIG_CPUMASK_OFFSTACK=n: the mask is on the stack, nothing can fail"
        return None

    # per call: (call, (outcome, frees, targeted, zone))
    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call":
            return m + ((ev.call, (None, 0, frozenset(), ev.zone)),)
        rec = _get(m, ev.call) if ev.call is not None else None
        if rec is None:
            return m
        outcome, frees, targeted, zone = rec
        if kind == "mask_alloc":
            outcome = "fail" if ev.outcome == "fail" else ("ok" if ev.outcome == "ok" else "onstack")
        elif kind == "mask_free":
            frees += 1
        elif kind == "ipi":
            targeted = targeted | set(ev.targets)
        elif kind in ("drain", "work", "remote_drain"):
            targeted = targeted | {ev.target}
        elif kind == "return":
            name = call_name(ev.call)
            if outcome == "ok" and frees != 1:
                out.append(("violation", f"the cpumask {name} allocated was "
                                         f"{'never freed' if frees == 0 else f'freed {frees} times'}"))
            elif outcome == "fail":
                out.append(("witness", self.witness))
                if frees:
                    out.append(("violation", f"{name} freed a mask whose allocation failed"))
                else:
                    missing = sorted(set(k.online_cpus()) - targeted)
                    if missing:
                        out.append(("violation", f"the cpumask allocation of {name} failed and "
                                                 f"the fallback never drained cpu{missing[0]}; the broadcast "
                                                 f"drains every online CPU"))
            return _del(m, ev.call)
        else:
            return m
        return _set_replace(m, ev.call, (outcome, frees, targeted, zone))


class NoReclaimRecursion(Property):
    kinds = frozenset({"call", "return", "mask_alloc", "reclaim_enter"})
    name = "no_reclaim_recursion"
    claim = ("no allocation made on the drain path can enter direct reclaim, so reclaim never "
             "nests")
    judged_on = "calls from the direct-reclaim path"
    witness = "a drain called from direct reclaim allocated its mask through the page allocator's slow path"

    def applies(self, variant, offstack):
        if not variant.allocates:
            return "nothing is allocated on the drain path"
        if not offstack:
            return "CONFIG_CPUMASK_OFFSTACK=n: nothing is allocated on the drain path"
        return None

    def judges_scenario(self, scenario):
        return any(it[0] == "reclaim_drain" for _, it in scenario.calls)

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call" and ev.ctx == "reclaim":
            return m + (ev.call,)
        if kind == "return":
            return tuple(c for c in m if c != ev.call)
        if kind == "mask_alloc" and ev.call in m and "slow path" in ev.path:
            out.append(("witness", self.witness))
        if kind == "reclaim_enter" and ev.depth >= 2:
            out.append(("violation", f"cpu{ev.cpu}: direct reclaim -> drain_all_pages() -> {ev.why} -> "
                                     f"direct reclaim again (nesting depth {ev.depth})"))
        return m


class IpiOnlyWherePages(Property):
    kinds = frozenset({"call", "scan", "mask_alloc", "ipi", "work", "return"})
    name = "ipi_only_where_pages"
    claim = ("outside the allocation-failure fallback and force_all_cpus, a CPU receives the drain "
             "(IPI or work item) only if it held pages in the requested zones when this drain "
             "decided to target it")
    judged_on = "every call"
    witness = "a drain was delivered while another online CPU's lists in the requested zones were empty"

    def applies(self, variant, offstack):
        if not variant.delivers:
            return "sends no IPI or work item: the caller drains remote lists itself"
        return None

    # per call: (call, (zone, saw, scanned cpus, fallback))
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


class ZoneScoped(Property):
    kinds = frozenset({"call", "drain", "return"})
    name = "zone_scoped"
    claim = "a drain for one zone leaves other zones' pcp lists alone"
    judged_on = "zone calls"
    witness = "a zone call ran while another zone's pcp list held pages"

    def applies(self, variant, offstack):
        if not variant.zone_arg:
            return "the API has no zone argument"
        return None

    def judges_scenario(self, scenario):
        return any(it[1] is not None for _, it in scenario.calls if it[0] != "free")

    def on_event(self, rt, m, ev, k, out):
        kind = ev.kind
        if kind == "call" and ev.zone is not None:
            others = any(k.pcp[c][z] for c in range(k.ncpus) for z in range(k.nzones) if z != ev.zone)
            return m + ((ev.call, (ev.zone, others)),)
        if kind == "drain" and ev.pages and ev.call is not None:
            rec = _get(m, ev.call)
            z = rec[0] if rec is not None else None
            if z is not None and ev.zone != z:
                by = f"cpu{ev.cpu}"
                out.append(("violation", f"{call_name(ev.call)} asked to drain {_zn(rt, z)} but {by} drained "
                                         f"pcp[cpu{ev.target}][{_zn(rt, ev.zone)}] "
                                         f"({','.join(f'p{p}' for p in ev.pages)}) for it"))
            return m
        if kind == "return":
            rec = _get(m, ev.call)
            if rec is not None and rec[1]:   # judged on a call with other zones' pages about
                out.append(("witness", self.witness))
            return _del(m, ev.call)
        return m


LADDER = (
    Conservation(), Returns(), QuiescentEquivalence(), MissesOnlyLateArrivals(),
    EntrySnapshotDrained(), DisabledPcpLeftEmpty(), FallbackIsBroadcast(),
    NoReclaimRecursion(), IpiOnlyWherePages(), ZoneScoped(),
)
BY_NAME = {p.name: p for p in LADDER}
NAMES = tuple(BY_NAME)


class UnknownProperty(KeyError):
    def __str__(self):
        return self.args[0]


def get(name: str) -> Property:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownProperty(f"unknown property {name!r}; known: {', '.join(NAMES)}") from None
