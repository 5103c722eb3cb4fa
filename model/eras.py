"""Kernel eras as one capability table: what the drain's API and data layout look
like, feature by feature, and from which mainline release each feature holds.

Every part of the suite that depends on "which kernel" asks this table: the model
(gfp flag names, `pcp->lock` on the free and refill paths), the allocator and its
Z3 encoding, the C shim (struct layouts and prototypes, rendered as `CSHIM_*`
macros), and the kernel front end (`kernelsrc`), which *detects* the features from a
real `mm/page_alloc.c` instead of trusting a version string: stable and vendor
trees backport, so an `Era` is a set of features, and a version is only the
name of the set mainline had at that release.

A feature names where it came from (DESIGN.md §7 and the trees read to check it;
versions are the first mainline release carrying it):

    on_each_cpu_mask    v3.4   74046494ea68  drain_all_pages() builds a mask, on_each_cpu_mask()
                               (until v4.11: work items)
    zone_arg            v3.19  93481ff0e5a0  drain_all_pages(struct zone *)
    local_zone_arg      v3.19  93481ff0e5a0  drain_local_pages(struct zone *) (vendor 4.9 trees kept void *)
    gfp_direct_reclaim  v4.4   "distinguish between being unable to sleep, unwilling to sleep
                               and avoiding waking kswapd": __GFP_WAIT split in two
    work_items          v4.11  0ccce3b92421  per-CPU work items on mm_percpu_wq, pcpu_drain_mutex
                               (until v6.0: the remote drain)
    bulk_updates_count  v4.17  "mm/free_pcppages_bulk: update pcp->count inside" (Aaron Lu):
                               before, the caller reset count after free_pcppages_bulk()
    work_zone           v5.1   "enable pcpu_drain with zone capability" (Wei Yang): struct
                               pcpu_drain carries the zone to the work item
    force_all_cpus      v5.11  "disable pcplists during memory offline" (Vlastimil Babka):
                               __drain_all_pages(zone, force_all_cpus), zone_pcp_disable()
    per_cpu_pageset     v5.14  28f836b6777b  zone->per_cpu_pageset points at struct per_cpu_pages
    local_lock          v5.14  "convert per-cpu list protection to local_lock" (Mel Gorman):
                               pagesets.lock, local_lock_irqsave() (until v6.0: pcp->lock)
    bulk_pindex         v5.18  free_pcppages_bulk(zone, count, pcp, pindex) (Mel Gorman, 2022)
    pcp_lock            v6.0   4b23a68f9536  pcp->lock; the caller drains remote lists (443c2accd1b6)
    gfp_no_atomic       v6.3   "mm: discard __GFP_ATOMIC"
    locked_count        v6.11  66eca1021a42  drain_pages_zone() reads pcp->count under pcp->lock
    bulk_list           --     the PREEMPT_RT patchset (and vendor trees carrying it, e.g. 4.9-rt):
                               isolate_pcp_pages() then free_pcppages_bulk(zone, count, list)

Features that are an algorithm rather than an API (work_zone, locked_count) are
here because the corpus names its variants after them and the front end reports
them; the shim's structure depends only on the API features.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Feature:
    name: str
    since: tuple[int, int] | None       # None: never in mainline (a patchset's or vendor's)
    commit: str
    text: str
    api: bool = True          # does the shim's structure depend on it?
    until: tuple | None = None  # the first release without it (the drain moved on)


FEATURES: tuple[Feature, ...] = (
    Feature("on_each_cpu_mask", (3, 4), "74046494ea68", "on_each_cpu_mask() and a mask of CPUs with pages",
            until=(4, 11)),
    Feature("zone_arg", (3, 19), "93481ff0e5a0", "drain_all_pages(struct zone *)"),
    Feature("local_zone_arg", (3, 19), "93481ff0e5a0", "drain_local_pages(struct zone *)"),
    Feature("gfp_direct_reclaim", (4, 4), "", "__GFP_WAIT split into __GFP_DIRECT_RECLAIM|__GFP_KSWAPD_RECLAIM"),
    Feature("work_items", (4, 11), "0ccce3b92421", "per-CPU work items on mm_percpu_wq under pcpu_drain_mutex",
            until=(6, 0)),
    Feature("bulk_updates_count", (4, 17), "", "free_pcppages_bulk() updates pcp->count itself"),
    Feature("work_zone", (5, 1), "", "struct pcpu_drain carries the zone to the work item", api=False,
            until=(6, 0)),
    Feature("force_all_cpus", (5, 11), "", "__drain_all_pages(zone, force_all_cpus); zone_pcp_disable()"),
    Feature("per_cpu_pageset", (5, 14), "28f836b6777b", "zone->per_cpu_pageset points at struct per_cpu_pages (pcp->count)"),
    Feature("local_lock", (5, 14), "", "pagesets.lock: local_lock_irqsave() around pcp list access",
            until=(6, 0)),
    Feature("bulk_pindex", (5, 18), "", "free_pcppages_bulk(zone, count, pcp, pindex)"),
    Feature("pcp_lock", (6, 0), "4b23a68f9536", "pcp->lock; the caller drains remote lists itself (443c2accd1b6)"),
    Feature("gfp_no_atomic", (6, 3), "", "__GFP_ATOMIC discarded: GFP_ATOMIC = __GFP_HIGH|__GFP_KSWAPD_RECLAIM"),
    Feature("locked_count", (6, 11), "66eca1021a42", "drain_pages_zone() reads pcp->count under pcp->lock", api=False),
    Feature("bulk_list", None, "", "PREEMPT_RT patchset: isolate_pcp_pages() onto a private list with IRQs off, "
                                   "then free_pcppages_bulk(zone, count, list) outside"),
)
BY_FEATURE = {f.name: f for f in FEATURES}

#: the mainline releases the corpus and the shim name (`--api vX.Y`): each is the
#: release where a feature (or the seed's era) begins
NAMED = ("3.2", "3.4", "3.19", "4.4", "4.11", "4.17", "5.1", "5.11", "5.14", "5.18", "6.0", "6.3", "6.11")


class UnknownEra(ValueError):
    pass


@dataclass(frozen=True)
class Era:
    """A set of features, with the name of the mainline release it equals (or the
    file it was detected in)."""
    name: str
    features: frozenset

    def __str__(self):
        return self.name

    def has(self, feature: str) -> bool:
        if feature not in BY_FEATURE:
            raise KeyError(f"unknown era feature {feature!r}")
        return feature in self.features

    def __getattr__(self, feature):
        if feature in BY_FEATURE:
            return feature in self.features
        raise AttributeError(feature)

    def with_(self, name: str | None = None, **flags) -> "Era":
        feats = set(self.features)
        for f, on in flags.items():
            if f not in BY_FEATURE:
                raise KeyError(f"unknown era feature {f!r}")
            (feats.add if on else feats.discard)(f)
        return Era(name or self.name, frozenset(feats))

    @property
    def gfp(self) -> str:
        """Which naming of the gfp flags applies: '3.2', '4.4' or '6.3'."""
        if not self.gfp_direct_reclaim:
            return "3.2"
        return "6.3" if self.gfp_no_atomic else "4.4"

    @property
    def api(self) -> str:
        return f"v{self.name}" if self.name[:1].isdigit() else self.name

    def c_defines(self) -> dict[str, int]:
        """The `CSHIM_HAS_<FEATURE>` macros the shim's headers are written against."""
        return {f"CSHIM_HAS_{f.name.upper()}": 1 for f in FEATURES if f.name in self.features}

    def describe(self) -> str:
        return ", ".join(BY_FEATURE[f].text for f in sorted(self.features, key=_order)) or "v3.0 baseline"


def _order(name):
    return [f.name for f in FEATURES].index(name)


def _version(text) -> tuple[int, int]:
    s = str(text).strip()
    s = s[1:] if s[:1] in "vV" else s
    parts = s.split(".")
    try:
        if len(parts) < 2:
            raise ValueError
        return int(parts[0]), int(parts[1])
    except ValueError:
        raise UnknownEra(f"unknown era {text!r}; an era is a kernel version such as v3.4 or 6.11 "
                         f"(named eras: {', '.join('v' + n for n in NAMED)})") from None


@lru_cache(maxsize=None)
def of_version(version) -> Era:
    """The features mainline had at `version` ("3.19", "v6.0", (5, 14))."""
    v = version if isinstance(version, tuple) else _version(version)
    if v < (3, 0):
        raise UnknownEra(f"v{v[0]}.{v[1]} is before the seed's era: drainverify covers v3.0 and later")
    return Era(f"{v[0]}.{v[1]}", frozenset(f.name for f in FEATURES if f.since is not None
                                            and f.since <= v and (f.until is None or v < f.until)))


def get(era) -> Era:
    """An Era from an Era, a version string ("3.2", "v4.11") or a tuple."""
    if isinstance(era, Era):
        return era
    return of_version(era if isinstance(era, tuple) else str(era))


def named(api: str) -> Era:
    """A named era as `--api` spells it (v3.2 ... v6.11); others are refused."""
    v = _version(api)
    name = f"{v[0]}.{v[1]}"
    if name not in NAMED:
        raise UnknownEra(f"unknown api {api!r}; known: {', '.join('v' + n for n in NAMED)}")
    return of_version(v)
