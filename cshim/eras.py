"""The kernel eras the shim can stand in for, and each era's gfp flags.

An *api* names the era whose kernel API and struct layouts a C file is written
against: `v3.2` (drain_all_pages(void), zone->pageset, pcp->pcp.count), `v3.4`
(adds on_each_cpu_mask()), `v3.19` (drain_all_pages(struct zone *)), `v4.11`
(mm_percpu_wq, pcpu_drain_mutex), `v5.11` (zone_pcp_disable(), whose drain is
the file's `__drain_all_pages(zone, true)`), `v6.0` (zone->per_cpu_pageset,
pcp->count, pcp->lock; free_pcppages_bulk() takes a pindex).

gfp flags: the names follow include/linux/gfp.h of each era (DESIGN.md §2:
`__GFP_WAIT` until v4.4, then `__GFP_DIRECT_RECLAIM|__GFP_KSWAPD_RECLAIM`;
`GFP_ATOMIC` gains `__GFP_ATOMIC|__GFP_KSWAPD_RECLAIM` in v4.4).  The bit values
are the shim's own (only membership matters to `model.allocator`); they are
rendered into every build as C `#define`s and decoded back to names here, so a
mask the C code builds from flags is judged by the same allocator rules as the
Python corpus.
"""
from __future__ import annotations

APIS = {"v3.2": 30200, "v3.4": 30400, "v3.19": 31900, "v4.11": 41100, "v5.11": 51100, "v6.0": 60000}

# free_pcppages_bulk() updates pcp->count itself from 0a5f4e5b4562 ("mm/free_pcppages_bulk:
# do not hold lock when picking pages to free", v4.19; check the ID); before, the caller did.
BULK_UPDATES_COUNT_FROM = 41900

_COMMON = {"__GFP_DMA": 0x01, "__GFP_HIGHMEM": 0x02, "__GFP_DMA32": 0x04, "__GFP_MOVABLE": 0x08,
           "__GFP_HIGH": 0x20, "__GFP_IO": 0x40, "__GFP_FS": 0x80, "__GFP_NOWARN": 0x200,
           "__GFP_NOFAIL": 0x800, "__GFP_NORETRY": 0x1000, "__GFP_MEMALLOC": 0x2000, "__GFP_COMP": 0x4000,
           "__GFP_ZERO": 0x8000, "__GFP_NOMEMALLOC": 0x10000}


def api_era(api: str) -> int:
    try:
        return APIS[api]
    except KeyError:
        raise ValueError(f"unknown api {api!r}; known: {', '.join(APIS)}") from None


def model_era(api: str) -> str:
    """The `model.allocator` era string of an api ("v3.19" -> "3.19")."""
    api_era(api)
    return api[1:]


def gfp_bits(era: int) -> dict[str, int]:
    """Single-bit flag names of the era."""
    bits = dict(_COMMON)
    if era < 40400:
        bits.update({"__GFP_WAIT": 0x10, "__GFP_COLD": 0x100, "__GFP_REPEAT": 0x400})
    else:
        bits.update({"__GFP_DIRECT_RECLAIM": 0x10, "__GFP_KSWAPD_RECLAIM": 0x20000})
        if era < 60300:
            bits["__GFP_ATOMIC"] = 0x40000
    return bits


def gfp_composites(era: int) -> dict[str, tuple[str, ...]]:
    if era < 40400:
        return {"GFP_ATOMIC": ("__GFP_HIGH",), "GFP_NOWAIT": (), "GFP_NOIO": ("__GFP_WAIT",),
                "GFP_NOFS": ("__GFP_WAIT", "__GFP_IO"), "GFP_KERNEL": ("__GFP_WAIT", "__GFP_IO", "__GFP_FS")}
    atomic = ("__GFP_HIGH", "__GFP_ATOMIC", "__GFP_KSWAPD_RECLAIM") if era < 60300 else \
        ("__GFP_HIGH", "__GFP_KSWAPD_RECLAIM")
    rec = ("__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM")
    return {"__GFP_RECLAIM": rec, "GFP_ATOMIC": atomic, "GFP_NOWAIT": ("__GFP_KSWAPD_RECLAIM",),
            "GFP_NOIO": rec, "GFP_NOFS": rec + ("__GFP_IO",), "GFP_KERNEL": rec + ("__GFP_IO", "__GFP_FS")}


def gfp_decode(era: int, value: int) -> tuple[str, frozenset[str]]:
    """(label, flag names) of a gfp_t value: the label is the composite it equals
    (GFP_ATOMIC, GFP_KERNEL, ...) or the flags joined with '|'."""
    bits = gfp_bits(era)
    names = frozenset(n for n, b in bits.items() if value & b)
    unknown = value & ~sum(bits.values())
    for label, parts in gfp_composites(era).items():
        if not label.startswith("__") and frozenset(parts) == names and not unknown:
            return label, names
    label = "|".join(sorted(names)) or "0"
    if unknown:
        label += f"|{unknown:#x}"
    return label, names


def header_text(era: int) -> str:
    lines = [f"/* gfp flags of era {era} (cshim/eras.py) */"]
    for name, b in gfp_bits(era).items():
        lines.append(f"#define {name} ((gfp_t){b:#x}u)")
    for name, parts in gfp_composites(era).items():
        lines.append(f"#define {name} ((gfp_t)({' | '.join(parts) or '0'}))")
    return "\n".join(lines) + "\n"
