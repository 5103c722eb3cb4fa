"""One model step as a Z3 transition: the effect of each kernel action on the state.

Each branch of `op_effect` mirrors one action of `model/kernel.py` under sequential
consistency (the kernel function is named in that action's docstring); `proofs.bmc`
explains the state.  A state here is a dict keyed by tuples (`("cnt", cpu, zone)`,
`("irq", cpu)`, `("at", slot, position)`, `("owed", call, cpu, zone)`, ...), so that
one position's effect is computed by copying and updating a dict of Z3 terms;
`transition` nests those effects in `If`s over (chosen actor, its position), and
moves the one-hot program counters.  The monitors of `entry_snapshot_drained` and
`disabled_pcp_left_empty` are updated in the same order as the model's events: call
entry first, then the action, then call return.

`footprint` / `peephole_por` give the partial-order reduction: which two steps of
different actors commute (neither writes what the other reads, guards and monitors
included), so that only one of their two orders is explored.
"""
from __future__ import annotations

from typing import NamedTuple

import z3

from model import kernel as K

from .automaton import DONE
from .bmc import NONE, UNSPAWNED, State, val

UNSUPPORTED = (K.DirectReclaimEnter, K.RetryAllocation, K.CpuOffline, K.CpuOnline)


def as_map(st: State) -> dict:
    m = {}
    for c, row in enumerate(st.cnt):
        for z, x in enumerate(row):
            m[("cnt", c, z)] = x
            m[("lock", c, z)] = st.lock[c][z]
            m[("pend", c, z)] = st.pend[c][z]
            m[("strad", c, z)] = st.strad[c][z]
    for z in range(len(st.bud)):
        m[("bud", z)], m[("dis", z)], m[("dz", z)] = st.bud[z], st.dis[z], st.dz[z]
    for s, row in enumerate(st.mask):
        for c, x in enumerate(row):
            m[("mask", s, c)] = x
    for c, x in enumerate(st.irq):
        m[("irq", c)] = x
    m[("mutex",)] = st.mutex
    for i, row in enumerate(st.pcs):
        for q, x in row.items():
            m[("at", i, q)] = x
    for k, x in st.wf.items():
        m[("wflag", k)] = x
    for k, rows in st.owed.items():
        for c, row in enumerate(rows):
            for z, x in enumerate(row):
                m[("owed", k, c, z)] = x
    return m


def _min(a, b):
    return z3.If(a <= b, a, b)


def _owed_keys(sysm, c, z):
    return [("owed", k, c, z) for k in sysm.calls]


def op_guard(sysm, op, m, s, cpu, call=None):
    v = sysm.variant
    if isinstance(op, K.FreeHotColdPage) and v.pcp_locked:
        return m[("lock", cpu, sysm.rt.page_zone[op.page])] == NONE
    if isinstance(op, K.RmqueueReadBatch) and v.pcp_locked:
        return m[("lock", cpu, op.zone)] == NONE
    if isinstance(op, K.WaitForHandlers):
        want = {(op.kind, t, call) for t in op.targets}
        return z3.And([z3.Or(m[("at", x.index, DONE)], m[("at", x.index, UNSPAWNED)])
                       for x in sysm.slots if x.aid in want] or [z3.BoolVal(True)])
    if isinstance(op, K.PcpSpinLock):
        return m[("lock", op.target, op.zone)] == NONE
    if isinstance(op, K.MutexLock):
        return m[("mutex",)] == NONE
    return z3.BoolVal(True)


def result_class(sysm, op, rep, m):
    """The condition on the pre-state under which `op` returns `rep`'s class."""
    h = sysm.h
    if isinstance(op, (K.ReadPcpCount, K.DrainPagesZone)):
        x = m[("cnt", op.target, op.zone)]
        return x == 0 if rep == 0 else x != 0
    if isinstance(op, K.CpumaskRead):
        return z3.And([m[("mask", op.slot, c)] == bool(rep >> c & 1) for c in range(h.ncpus)])
    if isinstance(op, K.MutexTrylock):
        free = m[("mutex",)] == NONE
        return free if rep else z3.Not(free)
    if isinstance(op, K.RmqueueReadBatch) and h.batch != 1:
        d = m[("dis", op.zone)]
        return d if rep == 1 else z3.Not(d)
    return z3.BoolVal(True)


def op_effect(sysm, op, m, s, cpu):
    """The state after `op` (a new dict); the RmqueueRefillTake class is settled here."""
    h, v = sysm.h, sysm.variant
    m = dict(m)
    if isinstance(op, K.FreeHotColdPage):
        z = sysm.rt.page_zone[op.page]
        cnt1 = m[("cnt", cpu, z)] + 1
        hi = z3.If(m[("dis", z)], val(0), val(h.high))
        ba = z3.If(m[("dis", z)], val(1), val(h.batch))
        n = z3.If(cnt1 >= hi, _min(cnt1, ba), val(0))
        m[("cnt", cpu, z)] = cnt1 - n
        m[("bud", z)] = m[("bud", z)] + n
        for key in _owed_keys(sysm, cpu, z):
            m[key] = z3.If(m[key] - n > 0, m[key] - n, val(0))
    elif isinstance(op, K.RmqueueReadBatch):
        m[("pend", cpu, op.zone)] = z3.BoolVal(True)
        m[("irq", cpu)] = val(s)
        if v.pcp_locked:
            m[("lock", cpu, op.zone)] = val(s)
    elif isinstance(op, K.RmqueueRefillTake):
        z = op.zone
        cnt, bud = m[("cnt", cpu, z)], m[("bud", z)]
        take = z3.If(cnt == 0, _min(val(op.batch), bud), val(0))
        len1 = cnt + take
        m[("bud", z)] = bud - take
        m[("cnt", cpu, z)] = z3.If(len1 > 0, len1 - 1, val(0))
        for key in _owed_keys(sysm, cpu, z):
            m[key] = z3.If(len1 > 0, _min(m[key], len1 - 1), m[key])
        m[("irq", cpu)] = val(NONE)
        m[("pend", cpu, z)] = m[("strad", cpu, z)] = z3.BoolVal(False)
        if v.pcp_locked:
            m[("lock", cpu, z)] = val(NONE)
    elif isinstance(op, K.CpumaskShared):
        m[("mask", op.slot, op.target)] = z3.BoolVal(op.op == "set")
    elif isinstance(op, K.LocalIrq):
        m[("irq", cpu)] = val(s) if op.off else val(NONE)
    elif isinstance(op, K.DrainPagesZone):
        if op.leave_count:
            raise ValueError("mut-count-not-reset breaks count == list length; not encoded")
        key = ("cnt", op.target, op.zone)
        m[("bud", op.zone)] = m[("bud", op.zone)] + m[key]
        m[key] = val(0)
        for k in _owed_keys(sysm, op.target, op.zone):
            m[k] = val(0)
    elif isinstance(op, K.PcpSpinLock):
        m[("lock", op.target, op.zone)] = val(s)
    elif isinstance(op, K.PcpSpinUnlock):
        m[("lock", op.target, op.zone)] = val(NONE)
    elif isinstance(op, K.MutexTrylock):
        m[("mutex",)] = z3.If(m[("mutex",)] == NONE, val(s), m[("mutex",)])
    elif isinstance(op, K.MutexLock):
        m[("mutex",)] = val(s)
    elif isinstance(op, K.MutexUnlock):
        m[("mutex",)] = val(NONE)
    elif isinstance(op, K.ZonePcpDisable):
        m[("dis", op.zone)] = z3.BoolVal(True)
        m[("dz", op.zone)] = z3.BoolVal(True)
        for c in range(h.ncpus):
            m[("strad", c, op.zone)] = z3.Or(m[("strad", c, op.zone)], m[("pend", c, op.zone)])
    elif isinstance(op, UNSUPPORTED) or (isinstance(op, K.Op) and op.is_local(sysm.rt)):
        raise ValueError(f"{op!r} is not encoded for the races")
    return m


def refill_class(op, rep, m, cpu):
    cnt, bud = m[("cnt", cpu, op.zone)], m[("bud", op.zone)]
    empty = z3.And(cnt == 0, z3.Or(bud == 0, op.batch == 0))
    return empty if rep is None else z3.Not(empty)


def position_effect(sysm, slot, pos, pre: dict):
    """(guard, post, violation, witness) of one step of `slot` at position `pos`."""
    s, cpu = slot.index, slot.cpu
    m = dict(pre)
    guard = [z3.Or(m[("irq", cpu)] == NONE, m[("irq", cpu)] == s)]
    for op in pos.leading:
        if isinstance(op, K.HandlerEnter) and op.kind == "ipi":
            guard.append(m[("irq", cpu)] == NONE)
            m[("irq", cpu)] = val(s)
    op = pos.op
    guard.append(op_guard(sysm, op, m, s, cpu, pos.call))
    if isinstance(op, K.RmqueueRefillTake):
        classes = [refill_class(op, b.rep, m, cpu) for b in pos.branches]
    else:
        classes = [result_class(sysm, op, b.rep, m) for b in pos.branches]
    witness = {"disabled_pcp_left_empty": z3.BoolVal(False), "entry_snapshot_drained": z3.BoolVal(False)}
    if isinstance(op, K.RmqueueRefillTake):
        # a disable came between this allocation's batch load and its refill
        witness["disabled_pcp_left_empty"] = m[("strad", cpu, op.zone)]
    m2 = op_effect(sysm, op, m, s, cpu)
    if pos.enter:
        k, _, zone = pos.enter
        owes = sysm.variant.owes_null_zone or zone is not None
        cells = [(c, z) for c in range(sysm.h.ncpus) for z in range(sysm.h.nzones)]
        # a call entering while others still owe pages: those others now overlap one
        for k2 in sysm.calls:
            if k2 != k:
                m2[("wflag", k2)] = z3.Or(m[("wflag", k2)], *[m[("owed", k2, c, z)] > 0 for c, z in cells])
        for c, z in cells:
            m2[("owed", k, c, z)] = m2[("cnt", c, z)] if (owes and (zone is None or z == zone)) else val(0)
        others = [pre[("at", x.index, q)] for x in sysm.slots if x.aid[0] == "task" and x.index != s
                  for q in x.pids if sysm.pos[q].call is not None and sysm.pos[q].enter is None]
        m2[("wflag", k)] = z3.And(z3.Or([m2[("owed", k, c, z)] > 0 for c, z in cells]),
                                  z3.Or(others or [z3.BoolVal(False)]))
    posts, viols, ewits = [], [], []
    for b in pos.branches:
        mb = dict(m2)
        viol, ewit = z3.BoolVal(False), z3.BoolVal(False)
        for op2 in b.trailing:
            if isinstance(op2, K.HandlerExit) and op2.kind == "ipi":
                mb[("irq", cpu)] = val(NONE)
        if b.returns is not None:
            k = b.returns
            cells = [(c, z) for c in range(sysm.h.ncpus) for z in range(sysm.h.nzones)]
            viol = z3.Or([mb[("owed", k, c, z)] > 0 for c, z in cells])
            ewit = mb[("wflag", k)]        # judged on a call that owed pages and overlapped another
            for c, z in cells:
                mb[("owed", k, c, z)] = val(0)
            mb[("wflag", k)] = z3.BoolVal(False)
        posts.append(mb)
        viols.append(viol)
        ewits.append(ewit)
    post = {}
    for key in posts[0]:
        vals = [p[key] for p in posts]
        out = vals[-1]
        for cl, x in zip(reversed(classes[:-1]), reversed(vals[:-1])):
            out = out if x is out else z3.If(cl, x, out)
        post[key] = out
    viol, ewit = viols[-1], ewits[-1]
    for cl, x, y in zip(reversed(classes[:-1]), reversed(viols[:-1]), reversed(ewits[:-1])):
        viol = z3.If(cl, x, viol)
        ewit = z3.If(cl, y, ewit)
    witness["entry_snapshot_drained"] = ewit
    moves = list(zip(classes, [b.dst for b in pos.branches]))
    return z3.And(guard), post, viol, witness, moves


class Step(NamedTuple):
    constraints: list        # tie the next state to the current one under the choice
    violation: object        # entry_snapshot_drained violated at this step
    witness: dict            # property -> its witness reached at this step
    any_enabled: object      # some actor is enabled at the current state
    enabled: dict            # slot -> that actor is enabled at the current state
    nexts: dict              # state key -> its next value (a term over the current state)


def transition(sysm, cur: State, nxt: State, sel) -> Step:
    """One model step from `cur` to `nxt` under the choice `sel`: an actor slot, or
    stutter once no actor is enabled (the run ended)."""
    pre = as_map(cur)
    post_vars = as_map(nxt)
    cases, chosen, viol, wit = [], [], [], []
    enabled = {}
    arrive = {}                  # (slot, place) -> conditions under which the slot moves there
    for slot in sysm.slots:
        for pid in slot.pids:
            here = pre[("at", slot.index, pid)]
            cond = z3.And(sel.is_(slot.index), here)
            g, post, v, w, moves = position_effect(sysm, slot, sysm.pos[pid], pre)
            chosen.append(z3.And(cond, g))
            enabled.setdefault(slot.index, []).append(z3.And(here, g))
            cases.append((cond, post))
            viol.append(z3.And(cond, v))
            wit.append({p: z3.And(cond, e) for p, e in w.items()})
            for cl, dst in moves:
                arrive.setdefault((slot.index, dst), []).append(z3.And(cond, cl))
            for aid, spec, _, _ in sysm.pos[pid].spawns:
                x = sysm.slot_of[(aid, spec)]
                arrive.setdefault((x, sysm.slots[x].roots[spec]), []).append(cond)
                arrive.setdefault((x, "spawned"), []).append(cond)
    enabled = {x: z3.Or(e) for x, e in enabled.items()}
    any_enabled = z3.Or(list(enabled.values()))
    out = [sel.exactly_one(), z3.Or(z3.Or(chosen), z3.And(sel.is_(sel.stutter), z3.Not(any_enabled)))]
    nexts = {}
    for key, var in post_vars.items():
        if key[0] == "at":
            _, x, q = key
            if q == UNSPAWNED:
                stay = z3.Not(z3.Or(arrive.get((x, "spawned"), [z3.BoolVal(False)])))
            elif q == DONE:
                stay = z3.BoolVal(True)
            else:
                stay = z3.Not(sel.is_(x))
            nv = z3.Or(z3.And(pre[key], stay), *arrive.get((x, q), []))
        else:
            nv = pre[key]
            for cond, post in reversed(cases):
                if post[key] is not pre[key]:
                    nv = z3.If(cond, post[key], nv)
        nexts[key] = nv
        out.append(var == nv)
    witness = {p: z3.Or([w[p] for w in wit]) for p in (wit[0] if wit else {})}
    return Step(out, z3.Or(viol), witness, any_enabled, enabled, nexts)


# --- footprints, for the partial-order reduction ----------------------------------------------

def footprint(sysm, slot, pos) -> tuple[frozenset, frozenset]:
    """(keys read, keys written) by one step of `slot` at `pos`, guards and monitors included."""
    h, cpu, s = sysm.h, slot.cpu, slot.index
    owed = lambda c, z: {("owed", k, c, z) for k in sysm.calls}
    r, w = {("irq", cpu), ("pc", s)}, {("pc", s)}       # ("pc", slot): all of its one-hot places
    for op in pos.leading + tuple(x for b in pos.branches for x in b.trailing):
        if isinstance(op, (K.HandlerEnter, K.HandlerExit)) and op.kind == "ipi":
            w.add(("irq", cpu))
    op = pos.op
    if isinstance(op, (K.FreeHotColdPage, K.RmqueueReadBatch, K.RmqueueRefillTake)):
        z = sysm.rt.page_zone[op.page] if isinstance(op, K.FreeHotColdPage) else op.zone
        rw = {("cnt", cpu, z), ("bud", z), ("dis", z), ("lock", cpu, z), ("irq", cpu), ("pend", cpu, z),
              ("strad", cpu, z)} | owed(cpu, z)
        r |= rw
        w |= rw - {("dis", z)}
    elif isinstance(op, K.ReadPcpCount):
        r.add(("cnt", op.target, op.zone))
    elif isinstance(op, K.DrainPagesZone):
        rw = {("cnt", op.target, op.zone), ("bud", op.zone)} | owed(op.target, op.zone)
        r |= rw
        w |= rw
    elif isinstance(op, K.CpumaskShared):
        w.add(("mask", op.slot, op.target))
    elif isinstance(op, K.CpumaskRead):
        r |= {("mask", op.slot, c) for c in range(h.ncpus)}
    elif isinstance(op, K.WaitForHandlers):
        r |= {("pc", x.index) for x in sysm.slots if x.aid[0] == op.kind and x.aid[2] == pos.call}
    elif isinstance(op, K.LocalIrq):
        w.add(("irq", cpu))
    elif isinstance(op, (K.PcpSpinLock, K.PcpSpinUnlock)):
        r.add(("lock", op.target, op.zone))
        w.add(("lock", op.target, op.zone))
    elif isinstance(op, (K.MutexTrylock, K.MutexLock, K.MutexUnlock)):
        r.add(("mutex",))
        w.add(("mutex",))
    elif isinstance(op, K.ZonePcpDisable):
        w |= {("dis", op.zone), ("dz", op.zone)}
        w |= {(x, c, op.zone) for x in ("pend", "strad") for c in range(h.ncpus)}
    for aid, spec, _, _ in pos.spawns:
        w.add(("pc", sysm.slot_of[(aid, spec)]))
    cells = [(c, z) for c in range(h.ncpus) for z in range(h.nzones)]
    if pos.enter:
        r |= {("cnt", c, z) for c, z in cells} | {("owed", k, c, z) for k in sysm.calls for c, z in cells}
        r |= {("pc", x.index) for x in sysm.slots if x.aid[0] == "task"}
        w |= {("owed", pos.enter[0], c, z) for c, z in cells} | {("wflag", k) for k in sysm.calls}
    for b in pos.branches:
        if b.returns is not None:
            w |= {("owed", b.returns, c, z) for c, z in cells} | {("wflag", b.returns)}
    r |= w
    return frozenset(r), frozenset(w)


def independent(fa, fb) -> bool:
    (ra, wa), (rb, wb) = fa, fb
    return not (wa & rb) and not (wb & ra)


def peephole_por(sysm, prev: State, mid: State, sel_a, sel_b) -> list:
    """Of two adjacent independent steps by different actors, allow only the order
    with the lower slot first (peephole partial-order reduction: every run is
    equivalent, swap by swap, to one that obeys this, reaching the same states and
    the same per-step verdicts)."""
    pairs = _independent_pairs(sysm)
    out = []
    for a in sysm.slots:
        for b in sysm.slots:
            if b.index >= a.index:
                continue
            for p in a.pids:
                qs = pairs.get((a.index, p, b.index))
                if qs:
                    out.append(z3.Not(z3.And(sel_a.is_(a.index), prev.at(a.index, p), sel_b.is_(b.index),
                                             z3.Or([mid.at(b.index, q) for q in qs]))))
    return out


def _independent_pairs(sysm) -> dict:
    """(slot a, position p, slot b) -> positions of b independent of a's step at p."""
    cached = getattr(sysm, "_por_pairs", None)
    if cached is not None:
        return cached
    fps = {(x.index, p): footprint(sysm, x, sysm.pos[p]) for x in sysm.slots for p in x.pids}
    pairs = {}
    for a in sysm.slots:
        for b in sysm.slots[: a.index]:
            for p in a.pids:
                qs = [q for q in b.pids if independent(fps[(a.index, p)], fps[(b.index, q)])]
                if qs:
                    pairs[(a.index, p, b.index)] = qs
    sysm._por_pairs = pairs
    return pairs
