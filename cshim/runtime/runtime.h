/*
 * cshim/runtime/runtime.h -- what core.c and prims.c share (not seen by user code).
 *
 * The runtime is linked with the user's translation unit, so every name it
 * exports is prefixed (cshim_rt_*) through the macros below: a file may well
 * define its own `steps` or `booting`.
 */
#ifndef CSHIM_RUNTIME_H
#define CSHIM_RUNTIME_H

#define _GNU_SOURCE
#include <cshim/types.h>
#include "cshim_gen.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef CONFIG_CPUMASK_OFFSTACK
typedef struct cpumask *cpumask_var_t;
#else
typedef struct cpumask cpumask_var_t[1];
#endif

#define PF_WQ_WORKER 0x00000020
#define PERCPU_MAX (16 * 1024)
#define NSTACK 4
#define PAYLOAD_MAX (16 * 1024)

#define chan cshim_rt_chan
#define my_cpu cshim_rt_my_cpu
#define my_kind cshim_rt_my_kind
#define irq_off cshim_rt_irq_off
#define booting cshim_rt_booting
#define steps cshim_rt_steps
#define stack_hi cshim_rt_stack_hi
#define task_storage cshim_rt_task_storage
#define pcp_region cshim_rt_pcp_region
#define percpu_copies cshim_rt_percpu_copies
#define percpu_pristine cshim_rt_percpu_pristine
#define mregs cshim_rt_mregs
#define nmregs cshim_rt_nmregs
#define boot_allocs cshim_rt_boot_allocs
#define nboot cshim_rt_nboot
#define lock_held cshim_rt_lock_held
#define request cshim_rt_request
#define fatal cshim_rt_fatal
#define in_static cshim_rt_in_static
#define percpu_size cshim_rt_percpu_size
#define percpu_base cshim_rt_percpu_base

struct mreg { int kind; uintptr_t addr; };        /* 'm': the mask; 'p': a pointer to it */
struct open_page { int page; int v0, v1; };       /* count page: v0 = count; other page: high, batch */

extern int chan, my_cpu, my_kind, irq_off, booting;
extern long steps;
extern char *stack_hi;
extern struct task_struct task_storage;
extern char pcp_region[CSHIM_MAX_ZONES * CSHIM_MAX_CPUS * CSHIM_PCP_SLOT];
extern char percpu_copies[CSHIM_MAX_CPUS][PERCPU_MAX];
extern char percpu_pristine[CSHIM_MAX_CPUS][PERCPU_MAX];
extern struct mreg mregs[32];
extern int nmregs;
extern void *boot_allocs[32];
extern int nboot;
extern unsigned char lock_held[CSHIM_MAX_CPUS][CSHIM_MAX_ZONES];
extern unsigned int nr_cpu_ids;
extern const unsigned long cshim_pcp_offset;      /* tail.h: where struct per_cpu_pages sits in a slot */
extern int cshim_nr_zones;
extern struct cpumask cshim_online_mask_storage, cshim_possible_mask_storage;
extern struct zone cshim_zones[CSHIM_MAX_ZONES];
extern char __start_cshim_percpu[] __attribute__((weak));
extern char __stop_cshim_percpu[] __attribute__((weak));

/* core.c */
int64_t request(int op, int a, int b, int c, int64_t d, int64_t e, int64_t f,
		const void *extra, size_t n, const uint64_t *stack);
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
size_t percpu_size(void);
char *percpu_base(int cpu);
/* prims.c */
int in_static(const void *p);

/* cshim/tail.h, in the user's translation unit */
void cshim_tail_init(void);
void cshim_tail_call(struct zone *zone, int force);
void cshim_tail_disable(struct zone *zone);

#endif /* CSHIM_RUNTIME_H */
