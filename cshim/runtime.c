/*
 * cshim/runtime.c -- the userspace side of the kernel-API shim.
 *
 * One process per build acts as a zygote: it sets up the zones, the protected
 * pcp region and the per-CPU copies once, then forks a fresh child for every
 * actor the Python side runs (a drain call, a disable+drain, an IPI handler, a
 * work item).  A child therefore starts from pristine C static state, runs the
 * file's boot-time init (allocations never fail, never reach the model), then
 * its context; each primitive sends one request over a SOCK_SEQPACKET socket
 * and blocks for the answer (cshim/proto.py).  Shared state that crosses actors
 * lives in the model: registered shared cpumasks (KState.masks), the one mutex
 * (KState.mutex), pcp counts, locks, IRQ state.
 *
 * pcp structs: each (cpu, zone) struct sits on its own page of a region that is
 * PROT_NONE after every scheduling point.  The first access traps (SIGSEGV); the
 * handler asks the model for the struct (a SCAN if it read ->count, else a LOAD),
 * fills the page and opens it.  Writes land in the open page and are sent as
 * STORE requests before the next primitive.  A second read of an open page is a
 * plain read of the snapshot: not a scheduling point (docs/c-shim.md).
 *
 * Crashes: SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL send a CRASH request with the
 * signal name before the child dies; BUG_ON() records its location first.
 */
#define _GNU_SOURCE
#include <cshim/types.h>
#include "cshim_gen.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

/* defined by cshim/tail.h, in the user's translation unit */
void cshim_tail_init(void);
void cshim_tail_call(struct zone *zone, int force);
void cshim_tail_disable(struct zone *zone);

#ifdef CONFIG_CPUMASK_OFFSTACK
typedef struct cpumask *cpumask_var_t;
#else
typedef struct cpumask cpumask_var_t[1];
#endif

#define PF_WQ_WORKER 0x00000020
#define PERCPU_MAX (16 * 1024)
#define NSTACK 4
#define PAYLOAD_MAX (16 * 1024)

/* --- process state ------------------------------------------------------------------- */
static int chan = -1;
static int my_cpu, my_kind, irq_off, booting;
static long steps;
static char *stack_hi;
unsigned int nr_cpu_ids = 1;
int cshim_nr_zones = 1;
struct cpumask cshim_online_mask_storage, cshim_possible_mask_storage;
struct zone cshim_zones[CSHIM_MAX_ZONES];
static struct task_struct task_storage;
struct task_struct *cshim_current = &task_storage;
static struct workqueue_struct wq_storage;
struct workqueue_struct *mm_percpu_wq = &wq_storage;
struct workqueue_struct *system_wq = &wq_storage;

static char pcp_region[CSHIM_MAX_ZONES * CSHIM_MAX_CPUS * CSHIM_PCP_SLOT] __attribute__((aligned(CSHIM_PAGE)));
#define SENTINEL (-0x7f3f3f3f)
_Static_assert(offsetof(struct per_cpu_pages, count) == 0, "count opens the slot");
#if CSHIM_ERA < 60000
_Static_assert(sizeof(struct per_cpu_pageset) <= CSHIM_PCP_SLOT, "pageset fits its slot");
#endif
extern char __start_cshim_percpu[] __attribute__((weak));
extern char __stop_cshim_percpu[] __attribute__((weak));
static char percpu_copies[CSHIM_MAX_CPUS][PERCPU_MAX] __attribute__((aligned(CSHIM_PAGE)));
static char percpu_pristine[CSHIM_MAX_CPUS][PERCPU_MAX];
extern char __data_start[], _end[];

struct mreg { int kind; uintptr_t addr; };        /* 'm': the mask; 'p': a pointer to it */
static struct mreg mregs[32];
static int nmregs;
static void *boot_allocs[32];
static int nboot;
static const struct mutex *the_mutex;
static unsigned char lock_held[CSHIM_MAX_CPUS][CSHIM_MAX_ZONES];
static struct { struct work_struct *work; int cpu; } queued[CSHIM_MAX_CPUS * 4];
static int nqueued;
static char bug_where[256];

struct open_page { int page; int v0, v1; };        /* count page: v0 = count; other page: high, batch */
static struct open_page open_pages[CSHIM_MAX_CPUS * CSHIM_MAX_ZONES];
static int nopen;

/* --- the channel ------------------------------------------------------------------------ */
struct wire_req { int32_t i[4]; int64_t q[3]; uint64_t s[NSTACK]; };
struct wire_spawn { int32_t i[8]; int64_t q[2]; };

static void send_req(int op, int a, int b, int c, int64_t d, int64_t e, int64_t f,
		     const uint64_t *stack, const void *extra, size_t n)
{
	struct wire_req h;
	struct iovec iov[2];
	struct msghdr m;

	memset(&h, 0, sizeof h);
	h.i[0] = op; h.i[1] = a; h.i[2] = b; h.i[3] = c;
	h.q[0] = d; h.q[1] = e; h.q[2] = f;
	if (stack)
		memcpy(h.s, stack, sizeof h.s);
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof h;
	iov[1].iov_base = (void *)extra;
	iov[1].iov_len = n;
	memset(&m, 0, sizeof m);
	m.msg_iov = iov;
	m.msg_iovlen = n ? 2 : 1;
	while (sendmsg(chan, &m, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			_exit(0);
	}
}

static int64_t recv_resp(void)
{
	int64_t r;
	ssize_t n;

	do {
		n = recv(chan, &r, sizeof r, 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof r)
		_exit(0);              /* the parent is gone or gave up on us */
	return r;
}

static void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fatal(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	send_req(CSHIM_OP_ERROR, 0, 0, 0, steps, 0, 0, NULL, buf, strlen(buf) + 1);
	_exit(3);
}

/* return addresses of the innermost frames (-O0 keeps frame pointers) */
static void walk_frames(uint64_t *out, int skip, char *fp)
{
	int i = 0;

	memset(out, 0, NSTACK * sizeof *out);
	while (fp && i < NSTACK + skip && fp < stack_hi && fp > stack_hi - (8 << 20) && ((uintptr_t)fp & 7) == 0) {
		char *next = *(char **)fp;
		uint64_t ret = *(uint64_t *)(fp + 8);

		if (i >= skip)
			out[i - skip] = ret;
		i++;
		if (next <= fp)
			break;
		fp = next;
	}
}

static void close_pages(void)
{
	int i;

	for (i = 0; i < nopen; i++)
		mprotect(pcp_region + (size_t)open_pages[i].page * CSHIM_PAGE, CSHIM_PAGE, PROT_NONE);
	nopen = 0;
}

static struct per_cpu_pages *pcp_of_page(int page)
{
	return (struct per_cpu_pages *)(pcp_region + (size_t)(page / 2) * CSHIM_PCP_SLOT);
}

static int64_t request(int op, int a, int b, int c, int64_t d, int64_t e, int64_t f,
		       const void *extra, size_t n, const uint64_t *stack);

/* C-side writes to open pcp pages become STORE requests before the next primitive */
static void flush_stores(void)
{
	struct { int page, which; int64_t count, high, batch; } diffs[CSHIM_MAX_CPUS * CSHIM_MAX_ZONES * 2];
	int i, nd = 0;

	for (i = 0; i < nopen; i++) {
		struct per_cpu_pages *p = pcp_of_page(open_pages[i].page);
		int which;

		if (open_pages[i].page % 2 == 0)
			which = p->count != open_pages[i].v0;
		else
			which = (p->high != open_pages[i].v0) << 1 | (p->batch != open_pages[i].v1) << 2;
		if (which) {
			diffs[nd].page = open_pages[i].page;
			diffs[nd].which = which;
			diffs[nd].count = p->count;
			diffs[nd].high = p->high;
			diffs[nd].batch = p->batch;
			nd++;
		}
	}
	close_pages();
	for (i = 0; i < nd; i++) {
		int slot = diffs[i].page / 2;

		request(CSHIM_OP_STORE, slot % CSHIM_MAX_CPUS, slot / CSHIM_MAX_CPUS, diffs[i].which,
			diffs[i].count, diffs[i].high, diffs[i].batch, NULL, 0, NULL);
	}
}

static int64_t request(int op, int a, int b, int c, int64_t d, int64_t e, int64_t f,
		       const void *extra, size_t n, const uint64_t *stack)
{
	uint64_t frames[NSTACK];
	int64_t r;

	if (booting)
		fatal("boot-time init made a drain-path request (op %d)", op);
	if (op != CSHIM_OP_STORE && nopen)
		flush_stores();
	if (!stack) {
		walk_frames(frames, 0, __builtin_frame_address(0));
		stack = frames;
	}
	send_req(op, a, b, c, d, e, f, stack, extra, n);
	r = recv_resp();
	steps++;
	close_pages();          /* every snapshot is stale after a scheduling point */
	return r;
}

/* --- crashes ------------------------------------------------------------------------------- */
static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGABRT: return "SIGABRT";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	default: return "signal";
	}
}

static void crash(int sig, void *addr)
{
	char buf[400];

	if (sig == SIGABRT && bug_where[0])
		snprintf(buf, sizeof buf, "SIGABRT: %s", bug_where);
	else if (sig == SIGSEGV || sig == SIGBUS)
		snprintf(buf, sizeof buf, "%s at address %p", signame(sig), addr);
	else
		snprintf(buf, sizeof buf, "%s", signame(sig));
	send_req(CSHIM_OP_CRASH, sig, 0, 0, steps, 0, 0, NULL, buf, strlen(buf) + 1);
	_exit(128 + sig);
}

void cshim_bug(const char *file, int line, const char *what)
{
	const char *base = strrchr(file, '/');

	snprintf(bug_where, sizeof bug_where, "%s at %s:%d", what, base ? base + 1 : file, line);
	abort();
}

void cshim_warn(const char *file, int line, const char *what)
{
	(void)file; (void)line; (void)what;   /* the kernel carries on; so do we */
}

static int is_exclusive(int cpu, int zone)
{
	if (lock_held[cpu][zone])
		return 1;
	return CSHIM_ERA < 60000 && cpu == my_cpu && irq_off;
}

/* the pcp trap: first access to a (cpu, zone) page since the last scheduling point */
static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char *addr = si->si_addr;
	size_t off, within;
	int page, slot, cpu, zone, write, flags;
	uint64_t stack[NSTACK];
	struct per_cpu_pages *p;
	struct open_page *o;

	if (sig != SIGSEGV || addr < pcp_region || addr >= pcp_region + sizeof pcp_region)
		crash(sig, addr);
	if (booting)
		fatal("boot-time init touched a per-cpu pageset");
	off = addr - pcp_region;
	page = off / CSHIM_PAGE;
	slot = page / 2;
	within = off % CSHIM_PCP_SLOT;
	cpu = slot % CSHIM_MAX_CPUS;
	zone = slot / CSHIM_MAX_CPUS;
	if ((unsigned)cpu >= nr_cpu_ids || zone >= cshim_nr_zones)
		fatal("access to the pcp of cpu%d zone %d, which does not exist in this scenario", cpu, zone);
	if (within >= offsetof(struct per_cpu_pages, lists) &&
	    within < offsetof(struct per_cpu_pages, lists) + sizeof(((struct per_cpu_pages *)0)->lists))
		fatal("pcp->lists is not modelled: free pages with free_pcppages_bulk()");
	write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	flags = (is_exclusive(cpu, zone) ? CSHIM_F_EXCLUSIVE : 0) | (lock_held[cpu][zone] ? CSHIM_F_LOCKED : 0) |
		(irq_off ? CSHIM_F_IRQ_OFF : 0);
	stack[0] = uc->uc_mcontext.gregs[REG_RIP];
	walk_frames(stack + 1, 0, (char *)uc->uc_mcontext.gregs[REG_RBP]);
	p = pcp_of_page(page);
	if (page % 2 == 0) {
		/* pcp->count: a read is a load from the model (the scan); a store needs no load */
		int64_t v = write ? SENTINEL : request(CSHIM_OP_SCAN, cpu, zone, flags, 0, 0, 0, NULL, 0, stack);

		mprotect(pcp_region + (size_t)page * CSHIM_PAGE, CSHIM_PAGE, PROT_READ | PROT_WRITE);
		p->count = v;
		o = &open_pages[nopen++];
		o->v0 = v;
	} else {
		int64_t r = request(CSHIM_OP_LOAD, cpu, zone, flags, 0, 0, 0, NULL, 0, stack);

		mprotect(pcp_region + (size_t)page * CSHIM_PAGE, CSHIM_PAGE, PROT_READ | PROT_WRITE);
		p->high = r & ((1L << CSHIM_LOAD_SHIFT) - 1);
		p->batch = (r >> CSHIM_LOAD_SHIFT) & ((1L << CSHIM_LOAD_SHIFT) - 1);
		o = &open_pages[nopen++];
		o->v0 = p->high;
		o->v1 = p->batch;
	}
	o->page = page;
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	crash(sig, si->si_addr);
}

/* --- CPUs, masks ---------------------------------------------------------------------------- */
int cshim_smp_processor_id(void)
{
	return my_cpu;
}

static int in_static(const void *p)
{
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

static void boot_record(void *p)
{
	if (nboot < (int)(sizeof boot_allocs / sizeof boot_allocs[0]))
		boot_allocs[nboot++] = p;
}

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
static size_t percpu_size(void)
{
	return __start_cshim_percpu ? (size_t)(__stop_cshim_percpu - __start_cshim_percpu) : 0;
}

static char *percpu_base(int cpu)
{
	return cpu == 0 ? __start_cshim_percpu : percpu_copies[cpu];
}

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

	if (CSHIM_ERA < 60000)
		fatal("spin_lock(): only pcp->lock (v6.0+) is modelled");
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

void cshim_disable_write(struct zone *zone)
{
	request(CSHIM_OP_DISABLE, 0, zone->cshim_index, 0, 0, 0, 0, NULL, 0, NULL);
}

/* --- a child: one actor ------------------------------------------------------------------------ */
static void install_handlers(void)
{
	static char altstack[64 * 1024];
	stack_t ss;
	struct sigaction sa;

	ss.ss_sp = altstack;
	ss.ss_size = sizeof altstack;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sa.sa_sigaction = on_fault;
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sa.sa_sigaction = on_crash;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	signal(SIGCHLD, SIG_DFL);
}

static void check_boot_masks(void)
{
	int i;

	for (i = 0; i < nmregs; i++) {
		const struct cpumask *m = (const struct cpumask *)mregs[i].addr;

		if (mregs[i].kind == 'p')
			m = *(const struct cpumask **)mregs[i].addr;
		if (m && m->bits[0])
			fatal("boot-time init left bits set in shared mask slot %d: the model starts every "
			      "shared mask empty", i);
	}
}

static void child_main(const struct wire_spawn *s, const char *payload, size_t n)
{
	int kind = s->i[0];
	struct zone *zone = s->i[4] >= 0 ? &cshim_zones[s->i[4]] : NULL;
	char here;

	stack_hi = &here + 4096;
	install_handlers();
	my_cpu = s->i[1];
	nr_cpu_ids = s->i[2];
	cshim_nr_zones = s->i[3];
	my_kind = kind;
	cshim_possible_mask_storage.bits[0] = nr_cpu_ids >= 64 ? ~0UL : (1UL << nr_cpu_ids) - 1;
	cshim_online_mask_storage = cshim_possible_mask_storage;
	irq_off = kind == CSHIM_KIND_IPI;
	task_storage.flags = kind == CSHIM_KIND_WORK ? PF_WQ_WORKER : 0;
	task_storage.pid = 100 + my_cpu;

	booting = 1;
	cshim_tail_init();
	check_boot_masks();
	booting = 0;
	if (n && n == percpu_size() * nr_cpu_ids) {
		unsigned int c;

		for (c = 0; c < nr_cpu_ids; c++)
			memcpy(percpu_base(c), payload + c * percpu_size(), percpu_size());
	}

	switch (kind) {
	case CSHIM_KIND_CALL:
		cshim_tail_call(zone, s->i[5]);
		break;
	case CSHIM_KIND_DISABLE:
		cshim_tail_disable(zone);
		break;
	case CSHIM_KIND_IPI: {
		smp_call_func_t func = (smp_call_func_t)(uintptr_t)s->q[0];
		void *arg = s->i[6] == CSHIM_ARG_ZONE ? (void *)&cshim_zones[s->q[1]] : (void *)(uintptr_t)s->q[1];

		func(arg);
		break;
	}
	case CSHIM_KIND_WORK: {
		work_func_t func = (work_func_t)(uintptr_t)s->q[0];

		func((struct work_struct *)(uintptr_t)s->q[1]);
		break;
	}
	default:
		break;          /* probe: init only */
	}
	if (nopen)
		flush_stores();
	send_req(CSHIM_OP_RET, 0, 0, 0, steps, 0, 0, NULL, NULL, 0);
	_exit(0);
}

/* --- the zygote ----------------------------------------------------------------------------------- */
static void parse_registry(const char *spec)
{
	const char *p = spec;

	while (p && *p && *p != '-' && nmregs < (int)(sizeof mregs / sizeof mregs[0])) {
		char kind;
		unsigned long addr;
		int used;

		if (sscanf(p, "%c:%lx%n", &kind, &addr, &used) != 2)
			break;
		mregs[nmregs].kind = kind;
		mregs[nmregs].addr = addr;
		nmregs++;
		p += used;
		if (*p == ',')
			p++;
	}
}

static void setup(void)
{
	int z, c;
	static const char *names[CSHIM_MAX_ZONES] = { "DMA32", "Normal", "Movable", "DMA", "HighMem" };

	for (z = 0; z < CSHIM_MAX_ZONES; z++) {
		void *base = pcp_region + (size_t)z * CSHIM_MAX_CPUS * CSHIM_PCP_SLOT;

#if CSHIM_ERA >= 60000
		cshim_zones[z].per_cpu_pageset = base;
#else
		cshim_zones[z].pageset = base;
#endif
		cshim_zones[z].name = names[z];
		cshim_zones[z].cshim_index = z;
	}
	if (percpu_size() > PERCPU_MAX) {
		fprintf(stderr, "cshim: per-CPU variables exceed %d bytes\n", PERCPU_MAX);
		exit(2);
	}
	for (c = 0; c < CSHIM_MAX_CPUS && percpu_size(); c++) {
		if (c)
			memcpy(percpu_copies[c], __start_cshim_percpu, percpu_size());
		memcpy(percpu_pristine[c], percpu_base(c), percpu_size());
	}
	mprotect(pcp_region, sizeof pcp_region, PROT_NONE);
}

static void send_fd(int ctl, int fd, int pid)
{
	struct msghdr m;
	struct iovec iov;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr *cm;
	int32_t v = pid;

	memset(&m, 0, sizeof m);
	memset(cbuf, 0, sizeof cbuf);
	iov.iov_base = &v;
	iov.iov_len = sizeof v;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof cbuf;
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	sendmsg(ctl, &m, MSG_NOSIGNAL);
}

int main(int argc, char **argv)
{
	static char msg[sizeof(struct wire_spawn) + PAYLOAD_MAX];
	int ctl;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CONTROL_FD MASKS\n", argv[0]);
		return 2;
	}
	ctl = atoi(argv[1]);
	parse_registry(argv[2]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 0;
	signal(SIGCHLD, SIG_IGN);          /* children are reaped by the kernel */
	setup();
	for (;;) {
		ssize_t n;
		int sv[2];
		pid_t pid;

		do {
			n = recv(ctl, msg, sizeof msg, 0);
		} while (n < 0 && errno == EINTR);
		if (n < (ssize_t)sizeof(struct wire_spawn))
			return 0;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(ctl);
			close(sv[0]);
			chan = sv[1];
			child_main((const struct wire_spawn *)msg, msg + sizeof(struct wire_spawn),
				   n - sizeof(struct wire_spawn));
		}
		close(sv[1]);
		send_fd(ctl, sv[0], pid);
		close(sv[0]);
	}
}
