"""The variant corpus, by name (DESIGN.md §4)."""
from __future__ import annotations

from .base import Variant
from .history import (V4ZallocFallback, V5LastZoneWins, V32Broadcast, V34StaticMask, V51PcpuDrain, V60RemoteLock,
                      V319Zone, V411WqMutex, V511ForceAll, V514LocalLock, V611LockedCount)
from .mutants import (MutCountNotReset, MutCpuOffByOne, MutFallbackSkipsLocal, MutFirstZoneOnly,
                      MutGfpKernel, MutMaskLeak, MutMutexNotReleased, MutNoFallback)

_CLASSES = (
    V32Broadcast, V4ZallocFallback, V5LastZoneWins, V34StaticMask, V319Zone, V411WqMutex,
    V51PcpuDrain, V511ForceAll, V514LocalLock, V60RemoteLock, V611LockedCount,
    MutGfpKernel, MutNoFallback, MutMaskLeak, MutFirstZoneOnly, MutCpuOffByOne,
    MutFallbackSkipsLocal, MutCountNotReset, MutMutexNotReleased,
)

CORPUS: dict[str, Variant] = {cls.name: cls() for cls in _CLASSES}
NAMES = tuple(CORPUS)


class UnknownVariant(KeyError):
    def __str__(self):
        return self.args[0]


class ImplLoadError(Exception):
    """An outside implementation (`module:Name`) could not be loaded at all."""


_IMPLS: dict = {}


def load_impl(spec: str) -> Variant:
    """Import `module:Name` (module importable from the current directory or
    PYTHONPATH); Name is a Variant subclass or instance (docs/implementing.md).
    Returns it wrapped in the sandbox outside code runs in (model/sandbox.py)."""
    from ..sandbox import Outside
    import importlib
    import os
    import sys
    if spec in _IMPLS:
        return _IMPLS[spec]
    mod_name, _, attr = spec.partition(":")
    if not mod_name or not attr:
        raise ImplLoadError(f"--impl wants module:Name, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(mod_name)
        obj = getattr(mod, attr)
    except Exception as exc:
        raise ImplLoadError(f"cannot load {spec}: {type(exc).__name__}: {exc}") from None
    try:
        impl = obj() if isinstance(obj, type) else obj
    except Exception as exc:
        raise ImplLoadError(f"cannot instantiate {spec}: {type(exc).__name__}: {exc}") from None
    if isinstance(impl, Outside):          # a loader that sandboxed it already (cshim.load)
        impl = impl.impl
    if not callable(getattr(impl, "drain_all_pages", None)):
        raise ImplLoadError(f"{spec} has no drain_all_pages(rt, cpu, zone, depth, force) generator method")
    if not isinstance(impl, Variant):
        # borrow the protocol's defaults (flags, handler table, disable-then-drain)
        impl.__class__ = type(type(impl).__name__, (type(impl), Variant), {})
    impl.name = spec
    _IMPLS[spec] = Outside(impl)
    return _IMPLS[spec]


def get(name: str) -> Variant:
    if ":" in name:
        return load_impl(name)
    try:
        return CORPUS[name]
    except KeyError:
        raise UnknownVariant(f"unknown variant {name!r}; known: {', '.join(NAMES)}") from None
