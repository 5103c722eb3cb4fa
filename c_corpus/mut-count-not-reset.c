/*
 * mut-count-not-reset: a one-ingredient mutant of v4-zalloc-fallback (DESIGN.md §4).
 *
 * drain_pages() hands the pages back to buddy but leaves pcp->count as it
 * was (v3.2's drain_pages() sets it to 0 after free_pcppages_bulk()).
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

static void drain_pages(unsigned int cpu)
{
	unsigned long flags;
	struct zone *zone;

	for_each_populated_zone(zone) {
		struct per_cpu_pageset *pset;
		struct per_cpu_pages *pcp;

		local_irq_save(flags);
		pset = per_cpu_ptr(zone->pageset, cpu);
		pcp = &pset->pcp;
		/* no "if (pcp->count)" test: with a stale count it would be wrong twice
		 * over; the bulk free hands back min(count, list) pages */
		free_pcppages_bulk(zone, pcp->count, pcp);
		/* the mutant: pcp->count = 0 forgotten */
		local_irq_restore(flags);
	}
}

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
