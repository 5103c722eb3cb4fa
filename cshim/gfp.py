"""The gfp flags a C file builds its masks from, per era (`model.eras`).

The flag *sets* GFP_ATOMIC and GFP_KERNEL stand for are `model.allocator.gfp_flags`
(one table for the model, its Z3 encoding and the shim); this module only gives
each single flag a bit value of the shim's own (only membership matters to the
allocator), renders them as C `#define`s into every build, and decodes a value the
C code passed back to flag names, so a mask the C code builds is judged by the
same allocator rules as the Python corpus.  The other composites (GFP_NOWAIT,
GFP_NOIO, GFP_NOFS) follow include/linux/gfp.h of each naming (DESIGN.md §2).
"""
from __future__ import annotations

from model import eras
from model.allocator import gfp_flags, reclaim_flag

_COMMON = {"__GFP_DMA": 0x01, "__GFP_HIGHMEM": 0x02, "__GFP_DMA32": 0x04, "__GFP_MOVABLE": 0x08,
           "__GFP_HIGH": 0x20, "__GFP_IO": 0x40, "__GFP_FS": 0x80, "__GFP_NOWARN": 0x200,
           "__GFP_NOFAIL": 0x800, "__GFP_NORETRY": 0x1000, "__GFP_MEMALLOC": 0x2000, "__GFP_COMP": 0x4000,
           "__GFP_ZERO": 0x8000, "__GFP_NOMEMALLOC": 0x10000}


def gfp_bits(era) -> dict[str, int]:
    """Single-bit flag names of the era's naming."""
    naming = eras.get(era).gfp
    bits = dict(_COMMON)
    if naming == "3.2":
        bits.update({"__GFP_WAIT": 0x10, "__GFP_COLD": 0x100, "__GFP_REPEAT": 0x400})
    else:
        bits.update({"__GFP_DIRECT_RECLAIM": 0x10, "__GFP_KSWAPD_RECLAIM": 0x20000})
        if naming == "4.4":
            bits["__GFP_ATOMIC"] = 0x40000
    return bits


def gfp_composites(era) -> dict[str, tuple[str, ...]]:
    e = eras.get(era)
    atomic = tuple(sorted(gfp_flags("GFP_ATOMIC", e)))
    kernel = tuple(sorted(gfp_flags("GFP_KERNEL", e)))
    if e.gfp == "3.2":
        wait = (reclaim_flag(e),)
        return {"GFP_ATOMIC": atomic, "GFP_NOWAIT": (), "GFP_NOIO": wait,
                "GFP_NOFS": wait + ("__GFP_IO",), "GFP_KERNEL": kernel}
    rec = ("__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM")
    return {"__GFP_RECLAIM": rec, "GFP_ATOMIC": atomic, "GFP_NOWAIT": ("__GFP_KSWAPD_RECLAIM",),
            "GFP_NOIO": rec, "GFP_NOFS": rec + ("__GFP_IO",), "GFP_KERNEL": kernel}


def gfp_decode(era, value: int) -> tuple[str, frozenset[str]]:
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


def header_text(era) -> str:
    e = eras.get(era)
    lines = [f"/* gfp flags, {e.gfp} naming (cshim/gfp.py) */"]
    for name, b in gfp_bits(e).items():
        lines.append(f"#define {name} ((gfp_t){b:#x}u)")
    for name, parts in gfp_composites(e).items():
        lines.append(f"#define {name} ((gfp_t)({' | '.join(parts) or '0'}))")
    return "\n".join(lines) + "\n"
