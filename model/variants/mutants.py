"""Deliberate one-ingredient mutants (DESIGN.md §4): each changes one thing in a
correct variant, and each must be refuted on at least the property it targets."""
from __future__ import annotations

from .history import V4ZallocFallback, V511ForceAll


class MutGfpKernel(V4ZallocFallback):
    """The mask allocated with GFP_KERNEL: may sleep, so from the direct-reclaim
    path it can enter direct reclaim again (the seed's worry, made true)."""
    name = "mut-gfp-kernel"
    summary = "v4 patch with zalloc_cpumask_var(GFP_KERNEL)"
    source = "mutant of v4-zalloc-fallback"
    gfp = "GFP_KERNEL"


class MutNoFallback(V4ZallocFallback):
    """Allocation failure: return without draining anything."""
    name = "mut-no-fallback"
    summary = "v4 patch, allocation failure drains nothing"
    source = "mutant of v4-zalloc-fallback"
    fallback = "none"


class MutMaskLeak(V4ZallocFallback):
    """The mask is never freed."""
    name = "mut-mask-leak"
    summary = "v4 patch without free_cpumask_var()"
    source = "mutant of v4-zalloc-fallback"
    frees_mask = False


class MutFirstZoneOnly(V4ZallocFallback):
    """The scan looks at the first populated zone only."""
    name = "mut-first-zone-only"
    summary = "v4 patch scanning only the first populated zone"
    source = "mutant of v4-zalloc-fallback"
    first_zone_only = True


class MutCpuOffByOne(V4ZallocFallback):
    """The scan skips the last online CPU."""
    name = "mut-cpu-off-by-one"
    summary = "v4 patch whose scan skips the last online CPU"
    source = "mutant of v4-zalloc-fallback"
    skip_last_cpu = True


class MutFallbackSkipsLocal(V4ZallocFallback):
    """The fallback uses `smp_call_function()`: remote CPUs only."""
    name = "mut-fallback-skips-local"
    summary = "v4 patch falling back to smp_call_function() (not the local CPU)"
    source = "mutant of v4-zalloc-fallback"
    fallback = "smp_call_function"


class MutCountNotReset(V4ZallocFallback):
    """`drain_pages()` moves the pages to buddy but leaves `pcp->count`."""
    name = "mut-count-not-reset"
    summary = "v4 patch whose drain leaves pcp->count"
    source = "mutant of v4-zalloc-fallback"
    leave_count = True


class MutMutexNotReleased(V511ForceAll):
    """`__drain_all_pages()` returns early, still holding `pcpu_drain_mutex`, when
    no CPU had pages (a forgotten unlock on an early-return path)."""
    name = "mut-mutex-not-released"
    summary = "v5.11 returning with pcpu_drain_mutex held when no CPU had pages"
    source = "mutant of v5.11-force-all"
    unlock_on_empty = False
