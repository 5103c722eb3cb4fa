/*
 * v4.11-wq-mutex: drain_all_pages(zone) after 0ccce3b92421 ("mm, page_alloc:
 * drain per-cpu pages from workqueue context", v4.11).  Our rendering.
 *
 * Callers are serialised by pcpu_drain_mutex; a NULL-zone caller that finds it
 * taken returns at once (a drain is already under way).  The static mask is
 * built under the mutex; each CPU in it gets a per-CPU work item on
 * mm_percpu_wq, and the caller waits for them all.  The work item drains every
 * zone whatever zone the caller named (the zone was carried only from ~v5.0).
 */
#include <linux/gfp.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

static DEFINE_MUTEX(pcpu_drain_mutex);
static DEFINE_PER_CPU(struct work_struct, pcpu_drain);

static void drain_local_pages_wq(struct work_struct *work)
{
	drain_local_pages(NULL);
}

void drain_all_pages(struct zone *zone)
{
	int cpu;
	static cpumask_t cpus_with_pcps;

	if (WARN_ON_ONCE(!mm_percpu_wq))
		return;
	if (current->flags & PF_WQ_WORKER)
		return;                 /* a worker must not wait for workers */

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
		struct work_struct *work = per_cpu_ptr(&pcpu_drain, cpu);

		INIT_WORK(work, drain_local_pages_wq);
		queue_work_on(cpu, mm_percpu_wq, work);
	}
	for_each_cpu(cpu, &cpus_with_pcps)
		flush_work(per_cpu_ptr(&pcpu_drain, cpu));

	mutex_unlock(&pcpu_drain_mutex);
}
