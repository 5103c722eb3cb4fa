"""Extracted kernel drains as `--impl` specs: `kernelsrc.impl:UNIT.json`.

`model.variants.load_impl("kernelsrc.impl:/cache/kernel/<hash>.json")` imports this
module and asks for that attribute; the module-level `__getattr__` re-creates the
CVariant of the unit from the cache, so a matrix worker process checks the same
build as the process that prepared it.
"""
from __future__ import annotations


def __getattr__(attr: str):
    if attr.startswith("__"):
        raise AttributeError(attr)
    from .unit import load
    return load(attr)
