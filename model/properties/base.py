"""Shared pieces of the ladder: the `Property` protocol and small helpers over
monitor state, and the broadcast drain as a reference state."""
from __future__ import annotations

from ..footprint import ANY, EMPTY



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


def mon(i, key="*"):
    """A monitor location: the record `key` of property i's state (or all of it)."""
    return ("m", i, key)


def rec_fp(i, call, reads=(), order=False):
    """Update of one call's record (plus, for append/delete, the records' order)."""
    w = {mon(i, call)} | ({mon(i, "order")} if order else set())
    return frozenset({mon(i, call), *reads}), frozenset(w)


def _del(tup, key):
    return tuple(e for e in tup if e[0] != key)


class Property:
    name = "?"
    short = ""           # its column in the text matrix (at most 10 characters)
    claim = ""
    judged_on = ""
    witness = ""
    #: event kinds on_event looks at (None: all); the runtime skips the others
    kinds = None

    def applies(self, variant, offstack: bool, zones=None):
        return None

    def judges_scenario(self, scenario) -> bool:
        return True

    def init(self, rt, k):
        return ()

    def on_event(self, rt, m, ev, k, out):
        return m

    def footprint(self, rt, i, m, ev):
        """(reads, writes) of this monitor's update on `ev` (model/footprint.py; its
        own state is ("m", i, ...)); by default: its whole state and all of the
        kernel state.  Witness signals need none: the sweep only collects them."""
        mon = ("m", i, "*")
        return frozenset({mon, ANY}), frozenset({mon})

    def state_footprint(self, rt, i, events):
        """(reads, writes) of on_state after a step with these events."""
        return (frozenset({ANY}), frozenset()) if type(self).on_state is not Property.on_state else EMPTY

    def on_state(self, rt, m, node, out, events=()):
        pass

    def on_final(self, rt, m, node, blocked, out):
        pass


def broadcast_reference(k, req):
    """The state `on_each_cpu(drain_local_pages)` of zones `req` would leave."""
    pcp, count, buddy = [list(r) for r in k.pcp], [list(r) for r in k.count], list(k.buddy)
    for c in k.online_cpus():
        for z in req:
            buddy[z] = tuple(sorted(buddy[z] + k.pcp[c][z]))
            pcp[c][z] = ()
            count[c][z] = 0
    return (tuple(tuple(r) for r in pcp), tuple(tuple(r) for r in count), tuple(buddy))


def compare_to_reference(rt, k, exp) -> tuple[str, tuple]:
    """(how the state differs from the broadcast drain's, the pages that says it
    about), ("", ()) if it does not."""
    pcp, count, buddy = exp
    for c in range(k.ncpus):
        for z in range(k.nzones):
            if k.pcp[c][z] != pcp[c][z] or k.count[c][z] != count[c][z]:
                pages = ",".join(f"p{p}" for p in k.pcp[c][z]) or "no page"
                if not pcp[c][z] and k.pcp[c][z]:
                    return (f"pcp[cpu{c}][{_zn(rt, z)}] still holds {pages} (count {k.count[c][z]}); "
                            f"the broadcast drain leaves it empty"), tuple(k.pcp[c][z])
                want = ",".join(f"p{p}" for p in pcp[c][z]) or "no page"
                return (f"pcp[cpu{c}][{_zn(rt, z)}] holds {pages} with count {k.count[c][z]}; the broadcast "
                        f"drain leaves {want} with count {count[c][z]}"), tuple(k.pcp[c][z]) + tuple(pcp[c][z])
    if tuple(k.buddy) != buddy:
        return "buddy differs from the broadcast drain's", ()
    return "", ()
