/*
 * v3.4-static-mask: drain_all_pages() as merged for v3.4 (74046494ea68,
 * "mm: only IPI CPUs to drain local pages if they exist").  Our rendering.
 *
 * One cpumask in static storage serves every caller, and nothing serialises
 * callers: each decides per CPU whether any populated zone has pages on that
 * CPU's list and sets or clears the CPU's bit, then IPIs the mask.  Two
 * overlapping callers can clear each other's bits (Mel Gorman, 2012-01-30).
 * Uses the shim's v3.4 drain_local_pages(void *) (every populated zone).
 */
#include <linux/mm.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

void drain_all_pages(void)
{
	int cpu;
	struct per_cpu_pageset *pset;
	struct zone *zone;

	/* static, so no allocation is needed on the direct-reclaim path */
	static cpumask_t cpus_with_pcps;

	for_each_online_cpu(cpu) {
		bool any = false;

		for_each_populated_zone(zone) {
			pset = per_cpu_ptr(zone->pageset, cpu);
			if (pset->pcp.count) {
				any = true;
				break;
			}
		}
		if (any)
			cpumask_set_cpu(cpu, &cpus_with_pcps);
		else
			cpumask_clear_cpu(cpu, &cpus_with_pcps);
	}
	on_each_cpu_mask(&cpus_with_pcps, drain_local_pages, NULL, 1);
}
