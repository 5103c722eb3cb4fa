/*
 * cshim/types.h -- the kernel data structures the drain path touches, laid out
 * per era (CSHIM_ERA = major*10000 + minor*100: 30200 for v3.2 ... 60000 for v6.0).
 *
 * Shared by the user's translation unit (through cshim/kernel.h) and by the shim
 * runtime (cshim/runtime/*.c, which also include libc headers); so this header
 * defines types only, never a macro that could clash with libc.
 *
 * Simplified: struct zone carries only the per-cpu pageset pointer and a name;
 * struct per_cpu_pages keeps count/high/batch and a placeholder for the lists
 * (pages themselves live in the Python model, reached through primitives).
 */
#ifndef CSHIM_TYPES_H
#define CSHIM_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifndef CSHIM_ERA
#error "CSHIM_ERA must be defined (cshim builds set it from the --api era)"
#endif

#define CSHIM_MAX_CPUS 64
#define CSHIM_MAX_ZONES 5
#define CSHIM_PAGE 4096

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;

struct list_head {
	struct list_head *next, *prev;
};

typedef struct {
	int cshim_owner;        /* never read: who holds it lives in the model */
} spinlock_t;

struct cpumask {
	unsigned long bits[CSHIM_MAX_CPUS / (8 * sizeof(unsigned long))];
};
typedef struct cpumask cpumask_t;

#define CSHIM_PCP_LISTS 3

/*
 * The shim's layout of struct per_cpu_pages: member order is free in C, so
 * ->count sits alone on the first page of a two-page slot and the rest on the
 * second.  The runtime protects both pages after every scheduling point; the
 * first access to the count page is a load of pcp->count (a read of it is the
 * drain's scan), the first access to the other page loads high and batch.
 */
#define CSHIM_PCP_SLOT (2 * CSHIM_PAGE)

#if CSHIM_ERA >= 60000
/* v5.14+ (28f836b6777b): zone->per_cpu_pageset points at struct per_cpu_pages;
 * v5.19/v6.0 (4b23a68f9536) added pcp->lock. */
struct per_cpu_pages {
	int count;
	char cshim_pad[CSHIM_PAGE - sizeof(int)];
	spinlock_t lock;
	int high;
	int batch;
	short free_factor;
	short expire;
	struct list_head lists[CSHIM_PCP_LISTS];
};
#else
/* v3.2 .. v5.13: zone->pageset points at struct per_cpu_pageset { pcp; stats } */
struct per_cpu_pages {
	int count;
	char cshim_pad[CSHIM_PAGE - sizeof(int)];
	int high;
	int batch;
	struct list_head lists[CSHIM_PCP_LISTS];
};

struct per_cpu_pageset {
	struct per_cpu_pages pcp;
	s8 stat_threshold;
	s8 vm_stat_diff[8];
};
#endif

struct zone {
#if CSHIM_ERA >= 60000
	struct per_cpu_pages *per_cpu_pageset;
#else
	struct per_cpu_pageset *pageset;
#endif
	const char *name;
	int cshim_index;
	spinlock_t lock;         /* zone->lock: not modelled, any use is refused */
	unsigned long present_pages;
};

struct mutex {
	int cshim_unused;        /* the holder lives in the model (KState.mutex) */
};

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	unsigned long data;
	work_func_t func;
};

struct workqueue_struct {
	int cshim_unused;
};

struct task_struct {
	unsigned int flags;
	int pid;
	char comm[16];
};

typedef void (*smp_call_func_t)(void *info);

#endif /* CSHIM_TYPES_H */
