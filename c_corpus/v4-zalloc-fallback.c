/*
 * v4-zalloc-fallback: the seed, "[PATCH v4 5/5] mm: Only IPI CPUs to drain
 * local pages if they exist" (Gilad Ben-Yossef, 2011-11-22).  Our rendering.
 *
 * A zeroed cpumask is allocated with GFP_ATOMIC on every call (on the stack
 * when CONFIG_CPUMASK_OFFSTACK=n); a CPU's bit is set if any populated zone
 * has pages on its list; only those CPUs are IPI'd.  If the allocation fails
 * the drain falls back to the broadcast of v3.2.
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

void drain_all_pages(void)
{
	int cpu;
	struct zone *zone;
	struct per_cpu_pageset *pcp;
	cpumask_var_t cpus;

	if (likely(zalloc_cpumask_var(&cpus, GFP_ATOMIC))) {
		for_each_online_cpu(cpu) {
			for_each_populated_zone(zone) {
				pcp = per_cpu_ptr(zone->pageset, cpu);
				if (pcp->pcp.count)
					cpumask_set_cpu(cpu, cpus);
			}
		}
		on_each_cpu_mask(cpus, drain_local_pages, NULL, 1);
		free_cpumask_var(cpus);
	} else {
		on_each_cpu(drain_local_pages, NULL, 1);
	}
}
