/*
 * cshim/tail.h -- compiled right after the user's file, in the same translation
 * unit, so it reaches the file's static functions: the era's default drain
 * helpers for the names the file does not define (CSHIM_HAVE_<name> is set by
 * the loader), zone_pcp_disable() for v5.11+, and the three entry points the
 * runtime calls in a fresh child (boot-time init, a drain call, disable+drain).
 *
 * The defaults follow the era's features (model/eras.py; our rendering, not
 * kernel text): without CSHIM_HAS_LOCAL_ZONE_ARG, drain_local_pages(void *)
 * drains every populated zone; with it, it takes a zone; the body of
 * drain_pages_zone() is one model step (DrainPagesZone) until pcp->lock, where
 * the caller drains a remote list under the lock after testing pcp->count
 * without it (443c2accd1b6).
 */

#ifndef CSHIM_HAS_LOCAL_ZONE_ARG
#ifndef CSHIM_HAVE_drain_pages
static void drain_pages(unsigned int cpu)
{
	struct zone *zone;

	for_each_populated_zone(zone)
		cshim_drain_zone(cpu, zone);
}
#endif
#ifndef CSHIM_HAVE_drain_local_pages
static void drain_local_pages(void *arg)
{
	(void)arg;
	drain_pages(smp_processor_id());
}
#endif
#else /* drain_local_pages(struct zone *), v3.19+ */
#ifndef CSHIM_HAVE_drain_pages_zone
#ifdef CSHIM_HAS_PCP_LOCK
static void drain_pages_zone(unsigned int cpu, struct zone *zone)
{
	struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);

	if (pcp->count) {
		unsigned long flags;

		spin_lock_irqsave(&pcp->lock, flags);
		free_pcppages_bulk(zone, pcp->count, pcp, 0);
		spin_unlock_irqrestore(&pcp->lock, flags);
	}
}
#else
static void drain_pages_zone(unsigned int cpu, struct zone *zone)
{
	cshim_drain_zone(cpu, zone);
}
#endif
#endif
#ifndef CSHIM_HAVE_drain_pages
static void drain_pages(unsigned int cpu)
{
	struct zone *zone;

	for_each_populated_zone(zone)
		drain_pages_zone(cpu, zone);
}
#endif
#ifndef CSHIM_HAVE_drain_local_pages
static void drain_local_pages(struct zone *zone)
{
	int cpu = smp_processor_id();

	if (zone)
		drain_pages_zone(cpu, zone);
	else
		drain_pages(cpu);
}
#endif
#endif

#ifndef CSHIM_HAVE_free_pcppages_bulk
#if defined(CSHIM_HAS_BULK_LIST)
static void isolate_pcp_pages(int count, struct per_cpu_pages *src, struct list_head *dst)
{
	(void)dst;
	cshim_bulk_free_pcp(count, src);       /* the pages leave the pcp list (to buddy, in the model) */
}

static void free_pcppages_bulk(struct zone *zone, int count, struct list_head *list)
{
	(void)zone; (void)count; (void)list;   /* already in buddy: isolate_pcp_pages() moved them */
}
#elif defined(CSHIM_HAS_BULK_PINDEX)
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp, int pindex)
{
	(void)pindex;
	cshim_bulk_free(zone, count, pcp);
}
#else
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp)
{
	cshim_bulk_free(zone, count, pcp);
}
#endif
#endif

#ifdef CSHIM_HAS_ZONE_ARG
#define CSHIM_CALL_ENTRY(zone) CSHIM_ENTRY(zone)
#else
#define CSHIM_CALL_ENTRY(zone) ((void)(zone), CSHIM_ENTRY())
#endif

#ifdef CSHIM_HAS_FORCE_ALL_CPUS
void zone_pcp_disable(struct zone *zone)
{
	cshim_disable_write(zone);
#ifdef CSHIM_HAVE___drain_all_pages
	__drain_all_pages(zone, true);
#else
	CSHIM_CALL_ENTRY(zone);
#endif
}

void zone_pcp_enable(struct zone *zone)
{
	(void)zone;     /* restoring high/batch is outside every scenario */
}
#endif

/* a vendor pcp container (kernelsrc/headers.py): the per-CPU slot holds it, and
 * its embedded struct per_cpu_pages sits at this offset in the slot */
#ifdef CSHIM_PCP_CONTAINER
const unsigned long cshim_pcp_offset = offsetof(CSHIM_PCP_CONTAINER, CSHIM_PCP_MEMBER);
_Static_assert(sizeof(CSHIM_PCP_CONTAINER) <= CSHIM_PCP_SLOT, "the vendor pcp container fits its slot");
_Static_assert(offsetof(CSHIM_PCP_CONTAINER, CSHIM_PCP_MEMBER) + sizeof(int) <= CSHIM_PAGE,
	       "the embedded pcp->count stays on the slot's first page");
#else
const unsigned long cshim_pcp_offset = 0;
#endif

void cshim_tail_init(void)
{
#ifdef CSHIM_INIT
	(void)CSHIM_INIT();
#endif
}

void cshim_tail_call(struct zone *zone, int force)
{
#if defined(CSHIM_HAS_FORCE_ALL_CPUS) && defined(CSHIM_HAVE___drain_all_pages)
	if (force) {
		__drain_all_pages(zone, true);
		return;
	}
#endif
	(void)force;
	CSHIM_CALL_ENTRY(zone);
}

void cshim_tail_disable(struct zone *zone)
{
#ifdef CSHIM_HAS_FORCE_ALL_CPUS
	zone_pcp_disable(zone);
#else
	cshim_disable_write(zone);
	CSHIM_CALL_ENTRY(zone);
#endif
}
