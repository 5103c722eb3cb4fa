"""The variant corpus, by name (DESIGN.md §4)."""
from __future__ import annotations

from .base import Variant
from .history import (V4ZallocFallback, V5LastZoneWins, V32Broadcast, V34StaticMask, V60RemoteLock,
                      V319Zone, V411WqMutex, V511ForceAll, V611LockedCount)
from .mutants import (MutCountNotReset, MutCpuOffByOne, MutFallbackSkipsLocal, MutFirstZoneOnly,
                      MutGfpKernel, MutMaskLeak, MutMutexNotReleased, MutNoFallback)

_CLASSES = (
    V32Broadcast, V4ZallocFallback, V5LastZoneWins, V34StaticMask, V319Zone, V411WqMutex,
    V511ForceAll, V60RemoteLock, V611LockedCount,
    MutGfpKernel, MutNoFallback, MutMaskLeak, MutFirstZoneOnly, MutCpuOffByOne,
    MutFallbackSkipsLocal, MutCountNotReset, MutMutexNotReleased,
)

CORPUS: dict[str, Variant] = {cls.name: cls() for cls in _CLASSES}
NAMES = tuple(CORPUS)


class UnknownVariant(KeyError):
    def __str__(self):
        return self.args[0]


def get(name: str) -> Variant:
    try:
        return CORPUS[name]
    except KeyError:
        raise UnknownVariant(f"unknown variant {name!r}; known: {', '.join(NAMES)}") from None
