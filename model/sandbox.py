"""The sandbox outside code runs in: implementations loaded with `--impl`, `--c`
or `--kernel` (docs/implementing.md).

`model.runtime.Runtime` is the semantics of a step and trusts the code it steps:
an exception from one of our own variants is a bug to see, and it propagates.
The loader (`model.variants.load_impl`) hands the runtime an outside
implementation wrapped in `Outside`, whose `sandbox` turns what outside code
can do wrong into an actor's end (`Crash`, with its kind in `why`), which the
`returns` property judges:

* raising (`exception`, or the kind the code reports itself in an exception's
  `why` attribute: the C shim's `signal`, `exit`, `timeout`, `shim`,
  `nondeterministic`);
* running longer than `WATCHDOG_S` between two scheduling points (`watchdog`,
  a SIGALRM timer around each resumption);
* yielding something that is not a kernel action (`garbage`);
* handing the runtime a kernel action that raises when applied (`exception`).

`sys.exit()` inside an implementation is a BaseException and is judged too; code
that kills the process itself (`os._exit`) is contained only by running outside
code in a child process (the C shim always does).
"""
from __future__ import annotations

import signal

from . import kernel as K
from .events import Ev
from .runtime import DONE, Crash

WATCHDOG_S = 5.0          # wall-clock limit for an outside implementation between two yields


class _Watchdog(BaseException):
    pass


def _alarm(signum, frame):
    raise _Watchdog()


class Sandbox:
    def __init__(self, watchdog: float = WATCHDOG_S):
        self.watchdog = watchdog

    def resume(self, resume, a, step: int):
        """`resume(a)` -> (op, generator), with outside code's failures as a Crash."""
        timer = bool(self.watchdog)
        if timer:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.watchdog)
        try:
            op, gen = resume(a)
        except _Watchdog:
            return Crash(f"did not return within {self.watchdog:g} s: no scheduling point (an endless loop?)",
                         "watchdog"), None
        except (Exception, SystemExit) as exc:
            why = getattr(exc, "why", None)          # outside code that reports its own end (cshim)
            if why:
                return Crash(str(exc), why), None
            if isinstance(exc, SystemExit):
                return Crash(f"crashed at step {step}: called sys.exit({exc.code!r})", "exit"), None
            return Crash(f"crashed at step {step}: {type(exc).__name__}: {exc}", "exception"), None
        finally:
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
        if op is not DONE and not isinstance(op, (K.Op, Crash)):
            return Crash(f"yielded {op!r}, which is not a kernel action", "garbage"), None
        return op, gen

    def outcomes(self, outcomes, node, a) -> int:
        try:
            return outcomes(node, a)
        except Exception:
            return 1               # stepping it records the crash

    def run(self, run, base, a, outcome, events):
        try:
            return run(base, a, outcome, events)
        except Exception as exc:
            events.append(Ev("crash", a.cpu, a.call, text=f"a kernel action raised {type(exc).__name__}: {exc}",
                             why="exception"))
            return base, None


class Outside:
    """An outside implementation as the runtime sees it: the implementation's
    attributes and methods, plus the `sandbox` its code runs in."""

    def __init__(self, impl, sandbox: Sandbox | None = None):
        object.__setattr__(self, "impl", impl)
        object.__setattr__(self, "sandbox", sandbox or Sandbox())

    def __getattr__(self, name):
        if name in ("impl", "sandbox"):        # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.impl, name)

    def __reduce__(self):
        return (Outside, (self.impl, self.sandbox))

    def __setattr__(self, name, value):
        setattr(self.impl, name, value)

    def __repr__(self):
        return f"Outside({self.impl!r})"
