"""The `CONFIG_*` values an extracted drain is built with, each with where it came from.

Rules (in order): `--define CONFIG_X=V` from the user; `CONFIG_SMP=y` (the drain
is an SMP question; fixed); `CONFIG_CPUMASK_OFFSTACK` is explored both ways
(the shim builds each); a symbol the tree's Kconfig files declare takes its
unconditional default (`mm/Kconfig` first, then the few other files that declare
symbols the drain's neighbourhood tests); with no Kconfig at all (a lone file)
a symbol takes the stated default of `STATED` if it has one; anything else is not
set -- the kernel's own rule for a symbol no configuration selects.

A symbol the code uses as a *value* (not only in `#if`/`defined()`) must have
one: if it has none, the run is refused with the symbol, the line that needs it
and the `--define` that would supply it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .source import KernelInputError, Source

KCONFIG_FILES = ("mm/Kconfig", "kernel/Kconfig.preempt", "init/Kconfig", "lib/Kconfig", "arch/x86/Kconfig")

#: stated defaults for a lone file (no Kconfig to read): value, why
STATED = {
    "CONFIG_PCP_BATCH_SCALE_MAX": ("5", "mm/Kconfig's default since it was introduced (v6.7)"),
    "CONFIG_PREEMPT_RT": ("n", "a kernel without PREEMPT_RT"),
    "CONFIG_HOTPLUG_CPU": ("y", "CPU hotplug is part of the model"),
    "CONFIG_NUMA": ("n", "one memory node: nodes are not modelled"),
    "CONFIG_MEMORY_HOTPLUG": ("y", "memory offline (zone_pcp_disable's caller) is a modelled caller"),
    "CONFIG_DEBUG_VM": ("n", "VM_BUG_ON()s compile out, as in production kernels"),
    "CONFIG_LOCKDEP": ("n", "lockdep annotations have no model effect"),
    "CONFIG_PROVE_LOCKING": ("n", "lockdep annotations have no model effect"),
}
FIXED = {"CONFIG_SMP": ("y", "fixed: the drain is an SMP question")}
EXPLORED = {"CONFIG_CPUMASK_OFFSTACK": "explored: each sweep builds both =n and =y"}


@dataclass(frozen=True)
class Value:
    symbol: str
    value: str | None          # "y", "n", a number/string, or None: not set
    origin: str                # where it came from, for the report

    def define(self) -> str | None:
        if self.value in (None, "n"):
            return None
        v = "1" if self.value in ("y", "m") else self.value
        return f"#define {self.symbol} {v}"

    def text(self) -> str:
        shown = "not set" if self.value in (None, "n") else self.value
        return f"{self.symbol}={shown} ({self.origin})"


def parse_define(text: str) -> tuple[str, str]:
    m = re.fullmatch(r"(CONFIG_[A-Za-z0-9_]+)=(.*)", text.strip())
    if not m or not m.group(2):
        raise KernelInputError(f"--define wants CONFIG_NAME=VALUE (y, n, a number or a string), got {text!r}")
    return m.group(1), m.group(2)


def _kconfig_defaults(text: str) -> dict:
    """symbol -> (type, default or None, conditional?) from one Kconfig file."""
    out, cur, typ, default, cond = {}, None, None, None, False

    def flush():
        if cur is not None:
            out.setdefault(f"CONFIG_{cur}", (typ, default, cond))

    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        m = re.match(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$", line)
        if m:
            flush()
            cur, typ, default, cond = m.group(1), None, None, False
            continue
        if cur is None:
            continue
        s = line.strip()
        m = re.match(r"^(bool|tristate|int|hex|string)\b", s)
        if m and typ is None:
            typ = m.group(1)
        m = re.match(r"^def_(bool|tristate)\s+(\S+)(\s+if\b.*)?$", s)
        if m and default is None:
            typ, default, cond = m.group(1), m.group(2), bool(m.group(3))
            continue
        m = re.match(r"^default\s+(\S+)(\s+if\b.*)?$", s)
        if m and (default is None or (cond and not m.group(2))):
            default, cond = m.group(1).strip('"'), bool(m.group(2))
        if re.match(r"^(endmenu|endif|menu|if|choice|endchoice|source)\b", s):
            flush()
            cur = None
    flush()
    return out


def resolve(source: Source, symbols, uses_as_value: dict, defines: dict) -> list[Value]:
    """Values of `symbols`; `uses_as_value`: symbol -> (function, line) needing a value;
    `defines`: the user's --define overrides."""
    kconfig: dict = {}
    read = []
    for rel in KCONFIG_FILES:
        p = source.tree_file(rel)
        if p is None:
            continue
        read.append(rel)
        try:
            for k, v in _kconfig_defaults(p.read_text(errors="replace")).items():
                kconfig.setdefault(k, v + (rel,))
        except OSError:
            continue
    out = []
    for sym in sorted(set(symbols) | set(defines)):
        if sym in defines:
            out.append(Value(sym, defines[sym], "--define"))
        elif sym in FIXED:
            out.append(Value(sym, *FIXED[sym]))
        elif sym in EXPLORED:
            out.append(Value(sym, None, EXPLORED[sym]))
        elif sym in kconfig:
            typ, default, cond, rel = kconfig[sym]
            if default is None:
                why = f"{rel}: {typ or 'symbol'} with no default" + (" (not selected)" if typ != "int" else "")
                out.append(Value(sym, None, why))
            elif default.startswith("CONFIG_") or re.fullmatch(r"[A-Z][A-Z0-9_]*", default):
                out.append(Value(sym, None, f"{rel}: default follows {default}, taken as not set"))
            else:
                out.append(Value(sym, default, f"{rel} default" + (" (conditional)" if cond else "")))
        elif not read and sym in STATED:
            value, why = STATED[sym]
            out.append(Value(sym, value, f"stated default: {why}"))
        else:
            where = f"not declared in {', '.join(read)}" if read else "no Kconfig to read"
            out.append(Value(sym, None, f"{where}: not set"))
    for v in out:
        if v.symbol in uses_as_value and v.value in (None, "n", "y"):
            fn, line = uses_as_value[v.symbol]
            if v.value is None or v.value == "n":
                hint = "; mm/Kconfig of this tree does not declare it" if read and v.symbol not in kconfig else ""
                raise KernelInputError(f"{source.display}:{line}: {fn}() uses {v.symbol} as a value, but it has "
                                       f"none ({v.origin}){hint}; pass --define {v.symbol}=N")
    return out
