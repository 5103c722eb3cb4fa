/*
 * cshim/runtime/core.c -- the process side of the shim runtime: the channel to the
 * Python generator, the pcp trap, crash reports, one child per actor, the zygote.
 *
 * One process per build acts as a zygote: it sets up the zones, the protected
 * pcp region and the per-CPU copies once, then forks a fresh child for every
 * actor the Python side runs (a drain call, a disable+drain, an IPI handler, a
 * work item).  A child therefore starts from pristine C static state, runs the
 * file's boot-time init (allocations never fail, never reach the model), then
 * its context; each primitive (prims.c) sends one request over a SOCK_SEQPACKET
 * socket and blocks for the answer (cshim/proto.py).
 *
 * pcp structs: each (cpu, zone) struct fills a two-page slot of a region that is
 * PROT_NONE after every scheduling point; ->count alone is on the first page.
 * The first access to a page traps (SIGSEGV): a read of ->count asks the model
 * for the count (SCAN, the drain's scan), an access to the other page loads
 * high and batch (LOAD); the handler fills the page and opens it.  Writes land
 * in the open page and are sent as STORE requests before the next primitive.
 * A second read of an open page is a plain read of the snapshot: not a
 * scheduling point (docs/c-shim.md).
 *
 * Crashes: SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL send a CRASH request with the
 * signal name before the child dies; BUG_ON() records its location first.
 */
#include "runtime.h"

/* --- process state ------------------------------------------------------------------- */
int chan = -1;
int my_cpu, my_kind, irq_off, booting;
long steps;
char *stack_hi;
unsigned int nr_cpu_ids = 1;
int cshim_nr_zones = 1;
struct cpumask cshim_online_mask_storage, cshim_possible_mask_storage;
struct zone cshim_zones[CSHIM_MAX_ZONES];
struct task_struct task_storage;
struct task_struct *cshim_current = &task_storage;
static struct workqueue_struct wq_storage;
struct workqueue_struct *mm_percpu_wq = &wq_storage;
struct workqueue_struct *system_wq = &wq_storage;

char pcp_region[CSHIM_MAX_ZONES * CSHIM_MAX_CPUS * CSHIM_PCP_SLOT] __attribute__((aligned(CSHIM_PAGE)));
#define SENTINEL (-0x7f3f3f3f)
_Static_assert(offsetof(struct per_cpu_pages, count) == 0, "count opens the slot");
#ifndef CSHIM_HAS_PER_CPU_PAGESET
_Static_assert(sizeof(struct per_cpu_pageset) <= CSHIM_PCP_SLOT, "pageset fits its slot");
#endif
char percpu_copies[CSHIM_MAX_CPUS][PERCPU_MAX] __attribute__((aligned(CSHIM_PAGE)));
char percpu_pristine[CSHIM_MAX_CPUS][PERCPU_MAX];

struct mreg mregs[32];
int nmregs;
void *boot_allocs[32];
int nboot;
unsigned char lock_held[CSHIM_MAX_CPUS][CSHIM_MAX_ZONES];
static char bug_where[256];
static volatile sig_atomic_t in_trap;     /* a fault inside the trap handler is a shim bug: crash */

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

void fatal(const char *fmt, ...)
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
	return (struct per_cpu_pages *)(pcp_region + (size_t)(page / 2) * CSHIM_PCP_SLOT + cshim_pcp_offset);
}


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
			/* read only the fields of the open page: the other one is protected */
			diffs[nd].page = open_pages[i].page;
			diffs[nd].which = which;
			diffs[nd].count = which & 1 ? p->count : 0;
			diffs[nd].high = which & 2 ? p->high : 0;
			diffs[nd].batch = which & 4 ? p->batch : 0;
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

int64_t request(int op, int a, int b, int c, int64_t d, int64_t e, int64_t f,
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
#ifdef CSHIM_HAS_PCP_LOCK
	return 0;               /* pcp->lock era: others may drain this list remotely */
#else
	return cpu == my_cpu && irq_off;
#endif
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

	if (sig != SIGSEGV || addr < pcp_region || addr >= pcp_region + sizeof pcp_region || in_trap)
		crash(sig, addr);
	if (booting)
		fatal("boot-time init touched a per-cpu pageset");
	in_trap = 1;
	off = addr - pcp_region;
	page = off / CSHIM_PAGE;
	slot = page / 2;
	within = off % CSHIM_PCP_SLOT - cshim_pcp_offset;
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
	in_trap = 0;
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	crash(sig, si->si_addr);
}

size_t percpu_size(void)
{
	return __start_cshim_percpu ? (size_t)(__stop_cshim_percpu - __start_cshim_percpu) : 0;
}

char *percpu_base(int cpu)
{
	return cpu == 0 ? __start_cshim_percpu : percpu_copies[cpu];
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

#ifdef CSHIM_HAS_PER_CPU_PAGESET
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
		if (n < (ssize_t)sizeof(struct wire_spawn)) {
			/* the parent is done: outlive no child (SIGCHLD is ignored, so
			 * wait() returns once every child has exited) */
			while (wait(NULL) > 0 || errno == EINTR)
				;
			return 0;
		}
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
