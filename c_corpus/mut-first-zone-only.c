/*
 * mut-first-zone-only: a one-ingredient mutant of v4-zalloc-fallback (DESIGN.md §4).
 *
 * The scan looks at the first populated zone only.
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
				break;          /* the mutant: only the first populated zone */
			}
		}
		on_each_cpu_mask(cpus, drain_local_pages, NULL, 1);
		free_cpumask_var(cpus);
	} else {
		on_each_cpu(drain_local_pages, NULL, 1);
	}
}
