/*
 * v5.1-pcpu-drain: drain_all_pages(zone) once a per-CPU struct pcpu_drain
 * carries the zone to the work item ("mm, page_alloc: enable pcpu_drain with
 * zone capability", v5.1).  Our rendering, against the v5.1 API.
 *
 * As v4.11 (mutex, static mask, one work item per CPU with pages, then a flush
 * of each), but the work item drains only the zone the caller named.  Since
 * v4.17 free_pcppages_bulk() updates pcp->count itself, so drain_pages_zone()
 * no longer resets it.  No force_all_cpus: "disable then drain" is this masked
 * drain.
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

struct pcpu_drain {
	struct zone *zone;
	struct work_struct work;
};

static DEFINE_MUTEX(pcpu_drain_mutex);
static DEFINE_PER_CPU(struct pcpu_drain, pcpu_drain);

static void drain_pages_zone(unsigned int cpu, struct zone *zone)
{
	unsigned long flags;
	struct per_cpu_pageset *pset;

	local_irq_save(flags);
	pset = per_cpu_ptr(zone->pageset, cpu);
	if (pset->pcp.count)
		free_pcppages_bulk(zone, pset->pcp.count, &pset->pcp);   /* updates count (v4.17+) */
	local_irq_restore(flags);
}

static void drain_local_pages_wq(struct work_struct *work)
{
	struct pcpu_drain *drain = container_of(work, struct pcpu_drain, work);

	preempt_disable();
	drain_local_pages(drain->zone);
	preempt_enable();
}

void drain_all_pages(struct zone *zone)
{
	int cpu;
	static cpumask_t cpus_with_pcps;

	if (WARN_ON_ONCE(!mm_percpu_wq))
		return;

	if (unlikely(!mutex_trylock(&pcpu_drain_mutex))) {
		if (!zone)
			return;
		mutex_lock(&pcpu_drain_mutex);
	}

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

	for_each_cpu(cpu, &cpus_with_pcps) {
		struct pcpu_drain *drain = per_cpu_ptr(&pcpu_drain, cpu);

		drain->zone = zone;
		INIT_WORK(&drain->work, drain_local_pages_wq);
		queue_work_on(cpu, mm_percpu_wq, &drain->work);
	}
	for_each_cpu(cpu, &cpus_with_pcps)
		flush_work(&per_cpu_ptr(&pcpu_drain, cpu)->work);

	mutex_unlock(&pcpu_drain_mutex);
}
