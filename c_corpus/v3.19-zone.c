/*
 * v3.19-zone: drain_all_pages(zone) after 93481ff0e5a0 ("mm: introduce single
 * zone pcplists drain", v3.19).  Our rendering.
 *
 * As v3.4 (one static mask shared by every caller, no lock), but a caller may
 * name one zone: only that zone's counts are looked at, and the IPI handler
 * (the shim's v3.19 drain_local_pages(struct zone *)) drains only that zone.
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

void drain_all_pages(struct zone *zone)
{
	int cpu;
	static cpumask_t cpus_with_pcps;

	for_each_online_cpu(cpu) {
		struct per_cpu_pageset *pcp;
		struct zone *z;
		bool has_pcps = false;

		if (zone) {
			pcp = per_cpu_ptr(zone->pageset, cpu);
			has_pcps = pcp->pcp.count != 0;
		} else {
			for_each_populated_zone(z) {
				pcp = per_cpu_ptr(z->pageset, cpu);
				if (pcp->pcp.count) {
					has_pcps = true;
					break;
				}
			}
		}
		if (has_pcps)
			cpumask_set_cpu(cpu, &cpus_with_pcps);
		else
			cpumask_clear_cpu(cpu, &cpus_with_pcps);
	}
	on_each_cpu_mask(&cpus_with_pcps, (smp_call_func_t)drain_local_pages, zone, 1);
}
