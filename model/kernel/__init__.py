"""Atomic kernel actions: every shared-memory access the drain path makes.

An actor (a task on a CPU, an IPI handler, a work item, CPU hotplug) is a Python
generator that *yields* these actions; the scheduler applies each one to the state
atomically and sends its result back.  An action is named actor + verb after the
kernel function it abstracts, and says so in its docstring (DESIGN.md §2, STYLE.md).

Each action has a guard (may it run now?) and an effect returning one or more
outcomes `(state, result, events, spawned actors)`; more than one outcome means the
kernel could go several ways (an allocation that may fail) and the scheduler picks.
Actions marked `local` touch only the actor's own frame (a private cpumask on the
stack, a call marker): they commute with every other step, so the runtime runs them
in the same step as the action before them instead of offering a scheduling point.

Under the `tso` memory model (DESIGN.md §4 race (2)), stores of `pcp->count` by a
free and of `high`/`batch` by `zone_pcp_disable()` enter the storing CPU's FIFO store
buffer; loads forward from the loader's own buffer; actions marked `fence` (IPI send,
`queue_work_on`, mutex operations, atomic bit operations, spinlocks) wait until the
actor's CPU has drained its buffer.  The list itself is written directly: only
`count` is read by other CPUs.
"""

from .base import Op, Out, _bulk_free, _set2  # noqa: F401
from .pcp import (FreeHotColdPage, FreePcppagesBulkSpin, RmqueueReadBatch, RmqueueRefillTake, ReadPcpCount,  # noqa: F401
                  DrainPagesZone, RemoteDrainBegin, ZonePcpDisable, zone_pcp_disable)
from .smp import (LocalRun, CpumaskPrivate, CpumaskShared, CpumaskRead, ReadOnlineMask, SmpCallFunctionMany, WaitForHandlers, LocalIrq, QueueWorkOn, HandlerEnter, HandlerExit)  # noqa: F401
from .sync import (PcpSpinLock, PcpSpinUnlock, MutexTrylock, MutexLock, MutexUnlock)  # noqa: F401
from .alloc import (ZallocCpumaskVar, FreeCpumaskVar, DirectReclaimEnter, RetryAllocation, DirectReclaimExit)  # noqa: F401
from .hotplug import (CpuOffline, CpuOnline, CallEnter, CallReturn)  # noqa: F401
