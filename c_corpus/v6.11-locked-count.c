/*
 * v6.11-locked-count: the v6.0 remote drain with 66eca1021a42 ("mm/page_alloc:
 * fix pcp->count race between drain_pages_zone() vs __rmqueue_pcplist()",
 * v6.11).  Our rendering; written against the v6.0 API (api v6.0, era 6.11).
 *
 * drain_pages_zone() reads pcp->count only under pcp->lock, and loops (a
 * bounded batch per iteration) until the list it saw is empty; since v6.2 the
 * pcp lock is taken without disabling IRQs.
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

static DEFINE_MUTEX(pcpu_drain_mutex);

#define CONFIG_PCP_BATCH_SCALE_MAX 5

static void drain_pages_zone(unsigned int cpu, struct zone *zone)
{
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
	int count;

	do {
		spin_lock(&pcp->lock);
		count = pcp->count;     /* read under the lock */
		if (count) {
			int to_drain = min(count, pcp->batch << CONFIG_PCP_BATCH_SCALE_MAX);

			free_pcppages_bulk(zone, to_drain, pcp, 0);
			count -= to_drain;
		}
		spin_unlock(&pcp->lock);
	} while (count);
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
