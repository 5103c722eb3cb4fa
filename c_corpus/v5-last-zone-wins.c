/*
 * v5-last-zone-wins: "[PATCH v5] mm: only IPI CPUs to drain local pages if
 * they exist" (January 2012, never merged).  Our rendering.
 *
 * The mask is allocated once, at boot (run with --init setup_cpus_with_pcps),
 * and shared by every caller.  The bit of each CPU is set or cleared inside the
 * zone loop, so the last populated zone overrides the others: a CPU whose
 * pages sit in an earlier zone is not IPI'd (Milton Miller, 2012-01-11).
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

static cpumask_var_t cpus_with_pcps;

void drain_all_pages(void)
{
	int cpu;
	struct zone *zone;
	struct per_cpu_pageset *pcp;

	for_each_online_cpu(cpu) {
		for_each_populated_zone(zone) {
			pcp = per_cpu_ptr(zone->pageset, cpu);
			if (pcp->pcp.count)
				cpumask_set_cpu(cpu, cpus_with_pcps);
			else
				cpumask_clear_cpu(cpu, cpus_with_pcps);
		}
	}
	on_each_cpu_mask(cpus_with_pcps, drain_local_pages, NULL, 1);
}

static int __init setup_cpus_with_pcps(void)
{
	BUG_ON(!zalloc_cpumask_var(&cpus_with_pcps, GFP_KERNEL));
	return 0;
}
core_initcall(setup_cpus_with_pcps);
