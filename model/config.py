"""Configurations: the sizes and settings a run explores, kept apart from the semantics.

A configuration is a value (CPUs, populated zones, pages, `high`/`batch`,
`CONFIG_CPUMASK_OFFSTACK`, memory model, seed).  The semantics (`model.kernel`,
`model.runtime`) never imports this module's defaults: it receives a `Config`.

Validation follows DESIGN.md §5: what a *user* passes is checked (0 CPUs,
`batch > high`, negative numbers are errors), while states the kernel itself
reaches (`high = 0, batch = 1` after `zone_pcp_disable()`) are produced by the
model's own actions and never pass through here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

#: Zone names in the order `for_each_populated_zone()` visits them in these
#: scenarios.  A configuration with N zones uses the first N names, so names stay
#: stable across sizes (the two-zone default is DMA32 then Normal, as on x86_64).
ZONE_NAMES = ("DMA32", "Normal", "Movable", "DMA", "HighMem")

MEMORY_MODELS = ("sc", "tso")
OFFSTACK_CHOICES = ("y", "n", "both")
REDUCTIONS = ("none", "sleep")


class ConfigError(ValueError):
    """A configuration a user passed is invalid; the message is one line."""


@dataclass(frozen=True)
class Config:
    """Bounds and settings of one exploration.

    cpus, zones, pages, callers: upper bounds for the exhaustive driver and the
    sizes the Hypothesis driver draws from; ops: background frees/allocations per
    scenario; hotplug: CPU hotplug steps per scenario (0 or 1); size bounds pages +
    drain callers + other operations + hotplug steps of one scenario (the exhaustive
    driver's budget).  high/batch: the `pcp->high`/`pcp->batch` every
    per-cpu list starts with (v3.2 `zone_batchsize()`/`setup_pageset()` set them
    per zone; one pair for all zones keeps scenarios small).
    """

    cpus: int = 2
    zones: int = 2
    pages: int = 2
    callers: int = 2
    ops: int = 1
    hotplug: int = 0
    size: int = 4
    high: int = 4
    batch: int = 2
    offstack: str = "both"
    memory_model: str = "sc"
    seed: int = 0
    reduction: str = "none"     # "sleep": sleep sets in the exhaustive driver (same results, fewer transitions)
    env: tuple = ()             # environment options (model/environment.py), sorted
    name: str = "default"       # the named configuration (model/manifest.json) this one is or extends
    extended: tuple = ()        # the flags that depart from it ("--cpus 3", ...)

    def validate(self) -> "Config":
        for name in ("cpus", "zones", "pages", "callers", "ops", "hotplug", "size", "high", "batch", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"--{name} must be an integer, got {value!r}")
            if value < 0:
                raise ConfigError(f"--{name} must not be negative, got {value}")
        if self.cpus == 0:
            raise ConfigError("--cpus must be at least 1 (a machine has a boot CPU)")
        if self.cpus > 64:
            raise ConfigError(f"--cpus {self.cpus} is too large for explicit-state exploration (max 64)")
        if self.zones == 0:
            raise ConfigError("--zones must be at least 1 (drain_all_pages() walks populated zones)")
        if self.zones > len(ZONE_NAMES):
            raise ConfigError(f"--zones must be at most {len(ZONE_NAMES)}, got {self.zones}")
        if self.callers == 0:
            raise ConfigError("--callers must be at least 1 (nothing would call the drain)")
        if self.batch == 0:
            raise ConfigError("--batch must be at least 1 (pcp->batch is never 0)")
        if self.high == 0:
            raise ConfigError("--high must be at least 1 (high = 0 is reached only by zone_pcp_disable())")
        if self.hotplug > 1:
            raise ConfigError(f"--hotplug must be 0 or 1 (CPU hotplug steps per scenario), got {self.hotplug}")
        if self.batch > self.high:
            raise ConfigError(f"--batch {self.batch} > --high {self.high}: the kernel keeps batch <= high")
        if self.offstack not in OFFSTACK_CHOICES:
            raise ConfigError(f"--offstack must be one of y, n, both; got {self.offstack!r}")
        if self.memory_model not in MEMORY_MODELS:
            raise ConfigError(f"--memory-model must be sc or tso; got {self.memory_model!r}")
        if self.reduction not in REDUCTIONS:
            raise ConfigError(f"--reduction must be none or sleep; got {self.reduction!r}")
        from .environment import UnknownEnvironment, validate
        try:
            if validate(self.env) != tuple(self.env):
                raise ConfigError("env must be the sorted, distinct option names")
        except UnknownEnvironment as exc:
            raise ConfigError(str(exc)) from None
        return self

    @property
    def zone_names(self) -> tuple[str, ...]:
        return ZONE_NAMES[: self.zones]

    def offstack_settings(self) -> tuple[bool, ...]:
        return {"y": (True,), "n": (False,), "both": (False, True)}[self.offstack]

    @property
    def label(self) -> str:
        """How reports name it: `deep`, or `default extended by --cpus 3`."""
        return self.name + (f" extended by {' '.join(self.extended)}" if self.extended else "")

    def with_(self, **kw) -> "Config":
        return replace(self, **kw)

    def as_dict(self) -> dict:
        d = {
            "cpus": self.cpus, "zones": self.zones, "pages": self.pages,
            "callers": self.callers, "size": self.size, "high": self.high, "batch": self.batch,
            "offstack": self.offstack, "memory_model": self.memory_model, "seed": self.seed,
        }
        if self.ops != 1:
            d["ops"] = self.ops
        if self.hotplug:
            d["hotplug"] = self.hotplug
        if self.env:
            d["env"] = list(self.env)
        return d

    def bound_dict(self) -> dict:
        """What a named configuration pins (model/manifest.json `configurations`)."""
        return {"cpus": self.cpus, "zones": self.zones, "pages": self.pages, "callers": self.callers,
                "ops": self.ops, "hotplug": self.hotplug, "size": self.size, "high": self.high,
                "batch": self.batch, "memory_model": self.memory_model}
