/*
 * cshim/runtime/prims.c -- the kernel primitives: cpumasks, IPIs, work items,
 * IRQs, pcp locks, the mutex, per-CPU pointers, and the pcp drain bodies.
 *
 * Each one that touches shared state is one request to the model (core.c's
 * request()), i.e. one scheduling point.  Shared state that crosses actors lives
 * in the model: registered shared cpumasks (KState.masks slots, classified by
 * address: static storage or a pointer set at boot), the one mutex
 * (KState.mutex), pcp counts, pcp locks, IRQ state.  Private cpumasks (on the
 * stack or allocated on the drain path) stay here; their updates are reported
 * as local events only.  An IPI or work item ships the sender's per-CPU
 * variables, so the handler sees what the sender stored (v5.11's drain->zone).
 */
#include "runtime.h"

static struct { struct work_struct *work; int cpu; } queued[CSHIM_MAX_CPUS * 4];
static int nqueued;
static const struct mutex *the_mutex;

/* --- CPUs, masks ---------------------------------------------------------------------------- */
int cshim_smp_processor_id(void)
{
	return my_cpu;
}

int in_static(const void *p)
{
	extern char __data_start[], _end[];

	return (const char *)p >= __data_start && (const char *)p < _end;
}

/* >= 0: a shared slot; -1 private; -2 cpu_online_mask; -3 cpu_possible_mask */
static int mclass(const struct cpumask *m)
{
	int i;

	if (m == &cshim_online_mask_storage)
		return -2;
	if (m == &cshim_possible_mask_storage)
		return -3;
	for (i = 0; i < nmregs; i++) {
		if (mregs[i].kind == 'm' && (uintptr_t)m == mregs[i].addr)
			return i;
		if (mregs[i].kind == 'p' && m && (uintptr_t)m == *(uintptr_t *)mregs[i].addr)
			return i;
	}
	if (m && in_static(m))
		fatal("cpumask at %p is in static storage but is not a registered shared mask "
		      "(declare it as a file-scope or function-static cpumask_t/cpumask_var_t)", (void *)m);
	for (i = 0; i < nboot; i++)
		if (boot_allocs[i] == m)
			fatal("a cpumask allocated at boot is used but no registered variable points to it");
	return -1;
}

unsigned long cshim_mask_bits(const struct cpumask *m)
{
	int c = mclass(m);

	if (c == -3 || (booting && c == -2))
		return cshim_possible_mask_storage.bits[0];
	if (booting || c == -1)
		return m->bits[0];
	if (c == -2)
		return request(CSHIM_OP_ONLINE, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
	return request(CSHIM_OP_MASK_READ, c, 0, 0, 0, 0, 0, NULL, 0, NULL);
}

static void mask_bit(unsigned int cpu, struct cpumask *m, int set)
{
	int c = mclass(m);

	if (cpu >= nr_cpu_ids)
		fatal("cpumask op on cpu%u, beyond nr_cpu_ids=%u", cpu, nr_cpu_ids);
	if (c <= -2)
		fatal("write to cpu_online_mask/cpu_possible_mask");
	if (booting || c == -1) {
		if (set)
			m->bits[0] |= 1UL << cpu;
		else
			m->bits[0] &= ~(1UL << cpu);
		if (booting)
			return;
	}
	request(CSHIM_OP_MASK_OP, c, cpu, set, 0, 0, 0, NULL, 0, NULL);
}

static void mask_store(struct cpumask *m, unsigned long bits)
{
	int c = mclass(m);

	if (c <= -2)
		fatal("write to cpu_online_mask/cpu_possible_mask");
	if (booting || c == -1) {
		memset(m, 0, sizeof *m);
		m->bits[0] = bits;
		return;
	}
	request(CSHIM_OP_MASK_WRITE, c, 0, 0, bits, 0, 0, NULL, 0, NULL);
}

void cpumask_set_cpu(unsigned int cpu, struct cpumask *m) { mask_bit(cpu, m, 1); }
void cpumask_clear_cpu(int cpu, struct cpumask *m) { mask_bit(cpu, m, 0); }
int cpumask_test_cpu(int cpu, const struct cpumask *m) { return cshim_mask_bits(m) >> cpu & 1; }
void cpumask_clear(struct cpumask *m) { mask_store(m, 0); }
void cpumask_setall(struct cpumask *m) { mask_store(m, cshim_possible_mask_storage.bits[0]); }
void cpumask_copy(struct cpumask *d, const struct cpumask *s) { mask_store(d, cshim_mask_bits(s)); }
bool cpumask_empty(const struct cpumask *m) { return cshim_mask_bits(m) == 0; }
unsigned int cpumask_weight(const struct cpumask *m) { return __builtin_popcountl(cshim_mask_bits(m)); }

unsigned int cpumask_next(int n, const struct cpumask *m)
{
	unsigned long bits = cshim_mask_bits(m);
	unsigned int c;

	for (c = n + 1; c < nr_cpu_ids; c++)
		if (bits >> c & 1)
			return c;
	return nr_cpu_ids;
}

unsigned int cpumask_first(const struct cpumask *m) { return cpumask_next(-1, m); }
unsigned int num_online_cpus(void) { return cpumask_weight(&cshim_online_mask_storage); }

#ifdef CONFIG_CPUMASK_OFFSTACK
static void boot_record(void *p)
{
	if (nboot < (int)(sizeof boot_allocs / sizeof boot_allocs[0]))
		boot_allocs[nboot++] = p;
}
#endif

static bool mask_alloc(cpumask_var_t *mask, gfp_t gfp, int zero)
{
#ifdef CONFIG_CPUMASK_OFFSTACK
	struct cpumask *m;

	if (!booting && !request(CSHIM_OP_ZALLOC, 0, 0, 0, gfp, 0, 0, NULL, 0, NULL)) {
		*mask = NULL;
		return false;
	}
	m = malloc(sizeof *m);
	/* boot memory starts empty, as the model's shared masks do; a drain-path
	 * alloc_cpumask_var() gets a recognisable garbage pattern */
	memset(m, zero || booting ? 0 : 0xa5, sizeof *m);
	if (booting)
		boot_record(m);
	*mask = m;
	return true;
#else
	if (!booting)
		request(CSHIM_OP_ZALLOC, 0, 0, 0, gfp, 0, 0, NULL, 0, NULL);
	if (zero)
		memset(*mask, 0, sizeof **mask);
	return true;
#endif
}

bool zalloc_cpumask_var(cpumask_var_t *mask, gfp_t gfp) { return mask_alloc(mask, gfp, 1); }
bool alloc_cpumask_var(cpumask_var_t *mask, gfp_t gfp) { return mask_alloc(mask, gfp, 0); }

void free_cpumask_var(cpumask_var_t mask)
{
#ifdef CONFIG_CPUMASK_OFFSTACK
	if (!mask)
		return;                         /* kfree(NULL) */
	if (!booting)
		request(CSHIM_OP_FREEMASK, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
	free(mask);
#else
	(void)mask;
	if (!booting)
		request(CSHIM_OP_FREEMASK, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
#endif
}

/* --- IPIs and work items ---------------------------------------------------------------------- */
/* the sender's per-CPU variables, shipped with an IPI or work item (empty if pristine) */
static size_t percpu_payload(char *buf)
{
	size_t sz = percpu_size(), n = 0;
	unsigned int c;
	int dirty = 0;

	if (sz * nr_cpu_ids > PAYLOAD_MAX)
		fatal("per-CPU variables (%zu bytes per CPU) are too large to ship with an IPI or work item", sz);

	for (c = 0; c < nr_cpu_ids && sz; c++) {
		memcpy(buf + n, percpu_base(c), sz);
		dirty |= memcmp(buf + n, percpu_pristine[c], sz) != 0;
		n += sz;
	}
	return dirty ? n : 0;
}

static int64_t classify_arg(void *info, int *kind)
{
	int z;

	*kind = CSHIM_ARG_NULL;
	if (!info)
		return 0;
	for (z = 0; z < cshim_nr_zones; z++) {
		if (info == &cshim_zones[z]) {
			*kind = CSHIM_ARG_ZONE;
			return z;
		}
	}
	if (!in_static(info))
		fatal("the info pointer %p handed to an IPI is on the caller's stack or heap: the handler "
		      "runs in another process and cannot read it", info);
	*kind = CSHIM_ARG_PTR;
	return (int64_t)(uintptr_t)info;
}

static unsigned long send_ipi(unsigned long bits, smp_call_func_t func, void *info, int why)
{
	static char buf[PAYLOAD_MAX];
	size_t n = percpu_payload(buf);
	int kind;
	int64_t arg = classify_arg(info, &kind);

	return request(CSHIM_OP_IPI, kind, why, 0, bits, (int64_t)(uintptr_t)func, arg, buf, n, NULL);
}

static void run_local(smp_call_func_t func, void *info)
{
	int was = irq_off;

	if (!was)
		request(CSHIM_OP_IRQ, 1, 0, 0, 0, 0, 0, NULL, 0, NULL);
	irq_off = 1;
	func(info);
	irq_off = was;
	if (!was)
		request(CSHIM_OP_IRQ, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
}

static void wait_ipis(unsigned long sent, int wait)
{
	if (sent && wait)
		request(CSHIM_OP_WAIT, 0, 0, 0, sent, 0, 0, NULL, 0, NULL);
}

int on_each_cpu(smp_call_func_t func, void *info, int wait)
{
	unsigned long online = cshim_mask_bits(&cshim_online_mask_storage);

	wait_ipis(send_ipi(online, func, info, 1), wait);
	run_local(func, info);
	return 0;
}

void on_each_cpu_mask(const struct cpumask *mask, smp_call_func_t func, void *info, bool wait)
{
	int c = mclass(mask);
	unsigned long bits = cshim_mask_bits(mask);

	wait_ipis(send_ipi(bits, func, info, 0), wait);
	if (c >= 0 || c == -2)
		bits = cshim_mask_bits(mask);   /* loaded again for the local test */
	if (bits >> my_cpu & 1)
		run_local(func, info);
}

int smp_call_function(smp_call_func_t func, void *info, int wait)
{
	unsigned long online = cshim_mask_bits(&cshim_online_mask_storage);

	wait_ipis(send_ipi(online, func, info, 1), wait);
	return 0;
}

void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func, void *info, bool wait)
{
	wait_ipis(send_ipi(cshim_mask_bits(mask), func, info, 0), wait);
}

int smp_call_function_single(int cpu, smp_call_func_t func, void *info, int wait)
{
	if (cpu == my_cpu)
		run_local(func, info);
	else
		wait_ipis(send_ipi(1UL << cpu, func, info, 0), wait);
	return 0;
}

bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	static char buf[PAYLOAD_MAX];
	size_t n;
	int i;

	(void)wq;
	for (i = 0; i < nqueued; i++)
		if (queued[i].work == work)
			return false;           /* still pending */
	if (!in_static(work))
		fatal("work item %p is on the stack or heap: the worker runs in another process", (void *)work);
	if (!work->func)
		fatal("queue_work_on() of a work item without a function (INIT_WORK missing)");
	n = percpu_payload(buf);
	request(CSHIM_OP_WORK, cpu, 0, 0, 0, (int64_t)(uintptr_t)work->func, (int64_t)(uintptr_t)work, buf, n, NULL);
	if (nqueued < (int)(sizeof queued / sizeof queued[0])) {
		queued[nqueued].work = work;
		queued[nqueued].cpu = cpu;
		nqueued++;
	}
	return true;
}

bool flush_work(struct work_struct *work)
{
	int i;

	for (i = 0; i < nqueued; i++) {
		if (queued[i].work == work) {
			int cpu = queued[i].cpu;

			queued[i] = queued[--nqueued];
			request(CSHIM_OP_WAIT, 1, 0, 0, 1L << cpu, 0, 0, NULL, 0, NULL);
			return true;
		}
	}
	return false;
}

/* --- IRQs, locks, the mutex ------------------------------------------------------------------ */
unsigned long cshim_irq_save(void)
{
	unsigned long was = irq_off;

	if (!irq_off && !booting)
		request(CSHIM_OP_IRQ, 1, 0, 0, 0, 0, 0, NULL, 0, NULL);
	irq_off = 1;
	return was;
}

void cshim_irq_restore(unsigned long flags)
{
	if (!flags && irq_off && !booting)
		request(CSHIM_OP_IRQ, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
	irq_off = flags ? 1 : 0;
}

int cshim_irqs_disabled(void)
{
	return irq_off;
}

static void locate_pcp(const void *p, const char *what, int *cpu, int *zone)
{
	size_t off;
	int page;

	if ((const char *)p < pcp_region || (const char *)p >= pcp_region + sizeof pcp_region)
		fatal("%s on something other than a per-cpu pageset", what);
	off = (const char *)p - pcp_region;
	page = off / CSHIM_PCP_SLOT;
	*cpu = page % CSHIM_MAX_CPUS;
	*zone = page / CSHIM_MAX_CPUS;
	if ((unsigned)*cpu >= nr_cpu_ids || *zone >= cshim_nr_zones)
		fatal("%s on the pcp of cpu%d zone %d, which does not exist", what, *cpu, *zone);
}

unsigned long cshim_spin_lock(spinlock_t *l, int irq)
{
	unsigned long was = irq_off;
	int cpu, zone;

#ifndef CSHIM_HAS_PCP_LOCK
	fatal("spin_lock(): only pcp->lock (v6.0+) is modelled");
#endif
	locate_pcp(l, "spin_lock()", &cpu, &zone);
	request(CSHIM_OP_LOCK, cpu, zone, irq && !irq_off, 0, 0, 0, NULL, 0, NULL);
	lock_held[cpu][zone] = 1;
	if (irq)
		irq_off = 1;
	return was;
}

void cshim_spin_unlock(spinlock_t *l, int irq, unsigned long flags)
{
	int cpu, zone;

	locate_pcp(l, "spin_unlock()", &cpu, &zone);
	request(CSHIM_OP_UNLOCK, cpu, zone, irq && !flags && irq_off, 0, 0, 0, NULL, 0, NULL);
	lock_held[cpu][zone] = 0;
	if (irq)
		irq_off = flags ? 1 : 0;
}

static void check_mutex(const struct mutex *m)
{
	if (!the_mutex)
		the_mutex = m;
	else if (the_mutex != m)
		fatal("a second mutex: the model has one (pcpu_drain_mutex)");
}

int mutex_trylock(struct mutex *m)
{
	check_mutex(m);
	if (booting)
		return 1;
	return request(CSHIM_OP_MUTEX_TRY, 0, 0, 0, 0, 0, 0, NULL, 0, NULL) != 0;
}

void mutex_lock(struct mutex *m)
{
	check_mutex(m);
	if (!booting)
		request(CSHIM_OP_MUTEX_LOCK, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
}

void mutex_unlock(struct mutex *m)
{
	check_mutex(m);
	if (!booting)
		request(CSHIM_OP_MUTEX_UNLOCK, 0, 0, 0, 0, 0, 0, NULL, 0, NULL);
}

/* --- the pcp lists ----------------------------------------------------------------------------- */
void *cshim_per_cpu_ptr(const void *p, int cpu)
{
	const char *c = p;

	if (cpu < 0 || (unsigned)cpu >= nr_cpu_ids)
		fatal("per_cpu_ptr() for cpu%d, beyond nr_cpu_ids=%u", cpu, nr_cpu_ids);
	if (c >= pcp_region && c < pcp_region + sizeof pcp_region) {
		size_t off = c - pcp_region;
		size_t slot = off / CSHIM_PCP_SLOT, within = off % CSHIM_PCP_SLOT;
		size_t zone = slot / CSHIM_MAX_CPUS;

		return pcp_region + (zone * CSHIM_MAX_CPUS + cpu) * CSHIM_PCP_SLOT + within;
	}
	if (__start_cshim_percpu && c >= __start_cshim_percpu && c < __stop_cshim_percpu)
		return percpu_base(cpu) + (c - __start_cshim_percpu);
	fatal("per_cpu_ptr() on %p, which is not a per-CPU variable", p);
}

void cshim_drain_zone(unsigned int cpu, struct zone *zone)
{
	request(CSHIM_OP_DRAIN_ZONE, cpu, zone->cshim_index, 0, 0, 0, 0, NULL, 0, NULL);
}

void cshim_bulk_free(struct zone *zone, int count, struct per_cpu_pages *pcp)
{
	int cpu, z;

	locate_pcp(pcp, "free_pcppages_bulk()", &cpu, &z);
	if (z != zone->cshim_index)
		fatal("free_pcppages_bulk() with a pcp of another zone");
	request(CSHIM_OP_BULK, cpu, z, 0, count, 0, 0, NULL, 0, NULL);
}

void cshim_bulk_free_pcp(int count, struct per_cpu_pages *pcp)
{
	int cpu, z;

	locate_pcp(pcp, "isolate_pcp_pages()", &cpu, &z);
	request(CSHIM_OP_BULK, cpu, z, 0, count, 0, 0, NULL, 0, NULL);
}

void cshim_disable_write(struct zone *zone)
{
	request(CSHIM_OP_DISABLE, 0, zone->cshim_index, 0, 0, 0, 0, NULL, 0, NULL);
}

