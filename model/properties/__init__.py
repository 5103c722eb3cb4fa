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

from .allocation import FallbackIsBroadcast, NoReclaimRecursion
from .base import Property, broadcast_reference, compare_to_reference  # noqa: F401
from .drain import EntrySnapshotDrained, IpiOnlyWherePages, MissesOnlyLateArrivals, QuiescentEquivalence
from .state import Conservation, DisabledPcpLeftEmpty, Returns, ZoneScoped

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
