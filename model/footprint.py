"""Footprints: which parts of a node a step reads and writes, for the sleep-set
reduction of the exhaustive driver (model/explore.py).

A location is a tuple: ("L", c, z) a pcp list, ("C", c, z) its count, ("B", z)
buddy, ("H", c) the pages cpu c's task holds, ("HB", z) high and batch, ("M", s) a
shared cpumask, ("I", c) who has IRQs off on c, ("K", c, z) a pcp->lock, ("X",) the
drain mutex, ("O",) cpu_online_mask, ("A",) the set of live actors, and ("m", i, ...)
the monitor state of property i (("m", i, x) the record of call x, ("m", i,
"order") the order of its records).  A location ending in "*" stands for every
location it prefixes; ANY = ("*",) for everything.

Two steps of different actors are *independent* at a node when neither writes what
the other reads or writes: then either order reaches the same node, with the same
events and signals, so exploring both orders is redundant.  Footprints are
conservative: an op that does not declare one (an outside implementation's own
op) touches ANY, and so does a monitor that does not declare one.
"""
from __future__ import annotations

ANY = ("*",)
EMPTY = (frozenset(), frozenset())
EVERYTHING = (frozenset({ANY}), frozenset({ANY}))


def _matches(a: tuple, b: tuple) -> bool:
    if a == b:
        return True
    if a[-1] == "*" and b[:len(a) - 1] == a[:-1]:
        return True
    if b[-1] == "*" and a[:len(b) - 1] == b[:-1]:
        return True
    return False


def _overlap(xs, ys) -> bool:
    if not xs or not ys:
        return False
    if not xs.isdisjoint(ys):
        return True
    wild = [x for x in xs if x[-1] == "*"] + [y for y in ys if y[-1] == "*"]
    if not wild:
        return False
    return any(_matches(x, y) for x in xs for y in ys)


def conflict(f1, f2) -> bool:
    r1, w1 = f1
    r2, w2 = f2
    return _overlap(w1, r2) or _overlap(w1, w2) or _overlap(w2, r1)


def union(parts) -> tuple:
    r, w = set(), set()
    for pr, pw in parts:
        r |= pr
        w |= pw
    return frozenset(r), frozenset(w)
