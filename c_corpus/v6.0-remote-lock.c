/*
 * v6.0-remote-lock: no IPI and no work item; the caller drains each CPU's list
 * itself under pcp->lock (4b23a68f9536 "mm/page_alloc: protect PCP lists with
 * a spinlock", 443c2accd1b6 "mm/page_alloc: remotely drain per-cpu lists").
 * Our rendering.
 *
 * drain_pages_zone() tests pcp->count before taking pcp->lock: a refill that
 * happens under the lock after that test is invisible to it, so even a forced
 * drain (zone_pcp_disable()) can leave pages on a disabled list.
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

static DEFINE_MUTEX(pcpu_drain_mutex);

static void drain_pages_zone(unsigned int cpu, struct zone *zone)
{
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);

	if (pcp->count) {               /* read without the lock */
		unsigned long flags;

		spin_lock_irqsave(&pcp->lock, flags);
		free_pcppages_bulk(zone, pcp->count, pcp, 0);
		spin_unlock_irqrestore(&pcp->lock, flags);
	}
}

static void drain_pages(unsigned int cpu)
{
	struct zone *zone;

	for_each_populated_zone(zone)
		drain_pages_zone(cpu, zone);
}

static void __drain_all_pages(struct zone *zone, bool force_all_cpus)
{
	int cpu;
	static cpumask_t cpus_with_pcps;

	if (unlikely(!mutex_trylock(&pcpu_drain_mutex))) {
		if (!zone)
			return;
		mutex_lock(&pcpu_drain_mutex);
	}

	for_each_online_cpu(cpu) {
		struct per_cpu_pages *pcp;
		struct zone *z;
		bool has_pcps = false;

		if (force_all_cpus) {
			has_pcps = true;
		} else if (zone) {
			pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
			has_pcps = pcp->count != 0;
		} else {
			for_each_populated_zone(z) {
				pcp = per_cpu_ptr(z->per_cpu_pageset, cpu);
				if (pcp->count) {
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

	for_each_cpu(cpu, &cpus_with_pcps) {
		if (zone)
			drain_pages_zone(cpu, zone);
		else
			drain_pages(cpu);
	}

	mutex_unlock(&pcpu_drain_mutex);
}

void drain_all_pages(struct zone *zone)
{
	__drain_all_pages(zone, false);
}
