/*
 * mut-fallback-skips-local: a one-ingredient mutant of v4-zalloc-fallback (DESIGN.md §4).
 *
 * The fallback uses smp_call_function(): the remote CPUs are drained,
 * the calling CPU is not.
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
		smp_call_function(drain_local_pages, NULL, 1);   /* the mutant: remote CPUs only */
	}
}
