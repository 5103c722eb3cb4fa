/*
 * v5.14-local-lock: the v5.11 drain on the v5.14 layout.  Our rendering,
 * against the v5.14 API: zone->per_cpu_pageset points at struct per_cpu_pages
 * (pcp->count, no per_cpu_pageset wrapper), and the owner's accesses to its
 * lists run under the per-CPU local lock pagesets.lock, which on a kernel
 * without PREEMPT_RT turns IRQs off on that CPU.  Still work items, still
 * forced by zone_pcp_disable() (the shim's, which calls
 * __drain_all_pages(zone, true)); free_pcppages_bulk() takes three arguments and
 * updates count itself.
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

struct pagesets {
	local_lock_t lock;
};
static DEFINE_PER_CPU(struct pagesets, pagesets) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

struct pcpu_drain {
	struct zone *zone;
	struct work_struct work;
};

static DEFINE_MUTEX(pcpu_drain_mutex);
static DEFINE_PER_CPU(struct pcpu_drain, pcpu_drain);

static void drain_pages_zone(unsigned int cpu, struct zone *zone)
{
	unsigned long flags;
	struct per_cpu_pages *pcp;

	local_lock_irqsave(&pagesets.lock, flags);
	pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
	if (pcp->count)
		free_pcppages_bulk(zone, pcp->count, pcp);
	local_unlock_irqrestore(&pagesets.lock, flags);
}

static void drain_pages(unsigned int cpu)
{
	struct zone *zone;

	for_each_populated_zone(zone)
		drain_pages_zone(cpu, zone);
}

void drain_local_pages(struct zone *zone)
{
	int cpu = smp_processor_id();

	if (zone)
		drain_pages_zone(cpu, zone);
	else
		drain_pages(cpu);
}

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
