/*
 * mut-cpu-off-by-one: a one-ingredient mutant of v4-zalloc-fallback (DESIGN.md §4).
 *
 * The scan stops one CPU short: the last online CPU is never looked at.
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
		int last = num_online_cpus() - 1;

		for (cpu = 0; cpu < last; cpu++) {        /* the mutant: should be <= last */
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
