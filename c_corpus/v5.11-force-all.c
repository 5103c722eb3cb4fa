/*
 * v5.11-force-all: __drain_all_pages(zone, force_all_cpus) from the "disable
 * pcplists during memory offline" series (Vlastimil Babka, v5.11).  Our
 * rendering.
 *
 * As v4.11, but the work item carries the zone (struct pcpu_drain), and
 * zone_pcp_disable() -- the shim's, which writes high = 0 and batch = 1 and
 * then calls __drain_all_pages(zone, true) -- queues the drain on every online
 * CPU without looking at the racy counts.
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

static void drain_local_pages_wq(struct work_struct *work)
{
	struct pcpu_drain *drain = container_of(work, struct pcpu_drain, work);

	preempt_disable();
	drain_local_pages(drain->zone);
	preempt_enable();
}

static void __drain_all_pages(struct zone *zone, bool force_all_cpus)
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

		if (force_all_cpus) {
			has_pcps = true;        /* the count test races; the caller needs every CPU */
		} else if (zone) {
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

void drain_all_pages(struct zone *zone)
{
	__drain_all_pages(zone, false);
}
