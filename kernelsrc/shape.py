"""Which corpus variant a real drain has the shape of (for `--expect auto`).

The shape is read from the detected features and the drain's own calls, never
from a version: a backport of the 6.11 locked-count loop into a 6.1 stable tree
has the shape of `v6.11-locked-count`.  The corpus variant's row in
model/manifest.json is then what the file's verdicts are compared with
("shape of v6.11-locked-count: 10/10 cells agree").
"""
from __future__ import annotations

import re

from .detect import Detected
from .extract import Extract


def match(ex: Extract, det: Detected) -> tuple[str, str]:
    """(variant name, why) of the corpus shape the code has."""
    e = det.era
    text = ex.drain_text()
    if re.search(r"\b(z?alloc_cpumask_var)\s*\(", text):
        return "v4-zalloc-fallback", "allocates its cpumask on the drain path and falls back to a broadcast"
    if e.pcp_lock:
        if e.locked_count:
            return "v6.11-locked-count", "drains remote lists under pcp->lock, reading count under the lock"
        return "v6.0-remote-lock", "drains remote lists under pcp->lock, reading count before taking it"
    if e.work_items:
        if e.force_all_cpus:
            if e.per_cpu_pageset or e.local_lock:
                return "v5.14-local-lock", ("work items under pcpu_drain_mutex, force_all_cpus, "
                                            "zone->per_cpu_pageset with local_lock")
            return "v5.11-force-all", "work items under pcpu_drain_mutex, zone_pcp_disable() forces every CPU"
        if e.work_zone:
            return "v5.1-pcpu-drain", "work items under pcpu_drain_mutex; struct pcpu_drain carries the zone"
        return "v4.11-wq-mutex", "work items under pcpu_drain_mutex; the work item ignores the zone"
    if e.on_each_cpu_mask or re.search(r"\bcpus_with_pcps\b", text):
        if e.zone_arg:
            return "v3.19-zone", "a static cpus_with_pcps shared by unlocked callers, zone argument"
        return "v3.4-static-mask", "a static cpus_with_pcps shared by unlocked callers"
    return "v3.2-broadcast", "on_each_cpu(): every online CPU"
