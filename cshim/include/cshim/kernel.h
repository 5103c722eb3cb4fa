/*
 * cshim/kernel.h -- the kernel API a drain_all_pages() rendition is written
 * against, force-included (-include) into the user's translation unit; the fake
 * <linux/...> headers include it too, so a file may include them or nothing.
 *
 * Every primitive that touches shared state is a call into the shim runtime
 * (cshim/runtime/), which turns it into one request to the Python model and
 * blocks for the answer: a scheduling point.  Plain field reads and writes are
 * not primitives, with one exception: the first access to a CPU's pcp struct
 * after a scheduling point traps (the page is protected) and becomes a load from
 * the model (a read of ->count is the drain's scan).  See docs/c-shim.md.
 *
 * Abstracted: annotations (__init, __percpu, EXPORT_SYMBOL) vanish; printk and
 * lockdep are no-ops; preempt_disable() and CPU-hotplug locks have no model
 * effect; barriers are compiler barriers (the model is sequentially consistent
 * unless the tso option is chosen, which the shim's own stores ignore).
 */
#ifndef CSHIM_KERNEL_H
#define CSHIM_KERNEL_H

#include <cshim/types.h>
#include "cshim_gen.h"

#ifndef CONFIG_SMP
#define CONFIG_SMP 1
#endif

/* --- Kconfig tests (include/linux/kconfig.h's idea, our spelling): a symbol set
 * to y is defined as 1, so IS_ENABLED(CONFIG_X) is 1 exactly when it is --------- */
#define __cshim_arg_placeholder_1 0,
#define __cshim_take_second(ignored, val, ...) val
#define __cshim_is_defined(x) ___cshim_is_defined(x)
#define ___cshim_is_defined(val) ____cshim_is_defined(__cshim_arg_placeholder_##val)
#define ____cshim_is_defined(arg1_or_junk) __cshim_take_second(arg1_or_junk 1, 0)
#define IS_ENABLED(option) __cshim_is_defined(option)
#define IS_BUILTIN(option) __cshim_is_defined(option)
#define IS_MODULE(option) 0
#define IS_REACHABLE(option) __cshim_is_defined(option)

/* --- annotations ------------------------------------------------------------ */
#define __init
#define __initdata
#define __exit
#define __ref
#define __meminit
#define __read_mostly
#define __percpu
#define __rcu
#define notrace
#define __must_check
#define __cacheline_aligned
#define __cacheline_aligned_in_smp
#define ____cacheline_aligned_in_smp
#define __maybe_unused __attribute__((unused))
#define __always_inline inline __attribute__((always_inline))
#define noinline __attribute__((noinline))
#define EXPORT_SYMBOL(sym) extern int cshim_export_unused
#define EXPORT_SYMBOL_GPL(sym) extern int cshim_export_unused
#define cshim_initcall(fn) static void *cshim_initcall_##fn __attribute__((unused)) = (void *)(fn)
#define early_initcall(fn) cshim_initcall(fn)
#define core_initcall(fn) cshim_initcall(fn)
#define postcore_initcall(fn) cshim_initcall(fn)
#define arch_initcall(fn) cshim_initcall(fn)
#define subsys_initcall(fn) cshim_initcall(fn)
#define device_initcall(fn) cshim_initcall(fn)
#define late_initcall(fn) cshim_initcall(fn)
#define module_init(fn) cshim_initcall(fn)

/* --- compiler ------------------------------------------------------------------- */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define smp_mb() barrier()
#define smp_rmb() barrier()
#define smp_wmb() barrier()
#define mb() barrier()
#define rmb() barrier()
#define wmb() barrier()
#define smp_mb__before_atomic() barrier()
#define smp_mb__after_atomic() barrier()
#define cpu_relax() barrier()
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)
#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1UL << (n))
#define min(a, b) ({ __typeof__(a) _min_a = (a); __typeof__(b) _min_b = (b); _min_a < _min_b ? _min_a : _min_b; })
#define max(a, b) ({ __typeof__(a) _max_a = (a); __typeof__(b) _max_b = (b); _max_a > _max_b ? _max_a : _max_b; })
#define min_t(t, a, b) ({ t _min_a = (a); t _min_b = (b); _min_a < _min_b ? _min_a : _min_b; })
#define max_t(t, a, b) ({ t _max_a = (a); t _max_b = (b); _max_a > _max_b ? _max_a : _max_b; })

/* --- bugs and messages ------------------------------------------------------------ */
void cshim_bug(const char *file, int line, const char *what) __attribute__((noreturn));
void cshim_warn(const char *file, int line, const char *what);
#define BUG() cshim_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(cond) do { if (unlikely(cond)) cshim_bug(__FILE__, __LINE__, "BUG_ON(" #cond ")"); } while (0)
#define VM_BUG_ON(cond) BUG_ON(cond)
#define WARN_ON(cond) ({ int __cshim_w = !!(cond); \
	if (unlikely(__cshim_w)) cshim_warn(__FILE__, __LINE__, "WARN_ON(" #cond ")"); __cshim_w; })
#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define WARN(cond, ...) WARN_ON(cond)
#define WARN_ONCE(cond, ...) WARN_ON(cond)
#define printk(...) ((void)0)
#define pr_info(...) ((void)0)
#define pr_warn(...) ((void)0)
#define pr_warning(...) ((void)0)
#define pr_err(...) ((void)0)
#define pr_debug(...) ((void)0)
#define pr_notice(...) ((void)0)
#define pr_info_once(...) ((void)0)
#define pr_warn_once(...) ((void)0)
#define might_sleep() do { } while (0)
#define cond_resched() do { } while (0)
#define lockdep_assert_held(l) do { (void)(l); } while (0)
#define lockdep_assert_irqs_disabled() do { } while (0)

/* --- CPUs ---------------------------------------------------------------------------- */
#define NR_CPUS CSHIM_MAX_CPUS
extern unsigned int nr_cpu_ids;
extern struct cpumask cshim_online_mask_storage, cshim_possible_mask_storage;
#define cpu_online_mask ((const struct cpumask *)&cshim_online_mask_storage)
#define cpu_possible_mask ((const struct cpumask *)&cshim_possible_mask_storage)
#define cpu_present_mask cpu_possible_mask
#define cpu_active_mask cpu_online_mask
int cshim_smp_processor_id(void);
#define smp_processor_id() cshim_smp_processor_id()
#define raw_smp_processor_id() cshim_smp_processor_id()
#define preempt_disable() do { } while (0)
#define preempt_enable() do { } while (0)
#define migrate_disable() do { } while (0)
#define migrate_enable() do { } while (0)
#define get_cpu() ({ preempt_disable(); smp_processor_id(); })
#define put_cpu() preempt_enable()
#define get_online_cpus() do { } while (0)
#define put_online_cpus() do { } while (0)
#define cpus_read_lock() do { } while (0)
#define cpus_read_unlock() do { } while (0)
unsigned int num_online_cpus(void);

/* --- cpumasks: shared masks live in the model (KState.masks), private ones here --------- */
#ifdef CONFIG_CPUMASK_OFFSTACK
typedef struct cpumask *cpumask_var_t;
#else
typedef struct cpumask cpumask_var_t[1];
#endif
unsigned long cshim_mask_bits(const struct cpumask *mask);   /* one load of the whole mask */
void cpumask_set_cpu(unsigned int cpu, struct cpumask *dstp);
void cpumask_clear_cpu(int cpu, struct cpumask *dstp);
int cpumask_test_cpu(int cpu, const struct cpumask *cpumask);
void cpumask_clear(struct cpumask *dstp);
void cpumask_setall(struct cpumask *dstp);
void cpumask_copy(struct cpumask *dstp, const struct cpumask *srcp);
bool cpumask_empty(const struct cpumask *srcp);
unsigned int cpumask_weight(const struct cpumask *srcp);
unsigned int cpumask_first(const struct cpumask *srcp);
unsigned int cpumask_next(int n, const struct cpumask *srcp);
bool zalloc_cpumask_var(cpumask_var_t *mask, gfp_t flags);
bool alloc_cpumask_var(cpumask_var_t *mask, gfp_t flags);
void free_cpumask_var(cpumask_var_t mask);

/* for_each_cpu() loads the mask once, when the loop starts */
typedef struct { unsigned long bits; unsigned int next; } cshim_cpu_iter;
static inline unsigned int cshim_iter_next(cshim_cpu_iter *it)
{
	while (it->next < nr_cpu_ids) {
		unsigned int c = it->next++;
		if (it->bits >> c & 1UL)
			return c;
	}
	return nr_cpu_ids;
}
#define for_each_cpu(cpu, mask) \
	for (cshim_cpu_iter __cshim_it = { cshim_mask_bits(mask), 0 }; \
	     ((cpu) = cshim_iter_next(&__cshim_it)) < nr_cpu_ids; )
#define for_each_online_cpu(cpu) for_each_cpu(cpu, cpu_online_mask)
#define for_each_possible_cpu(cpu) for_each_cpu(cpu, cpu_possible_mask)
#define for_each_present_cpu(cpu) for_each_cpu(cpu, cpu_present_mask)

/* --- IPIs ----------------------------------------------------------------------------------- */
int on_each_cpu(smp_call_func_t func, void *info, int wait);
void on_each_cpu_mask(const struct cpumask *mask, smp_call_func_t func, void *info, bool wait);
int smp_call_function(smp_call_func_t func, void *info, int wait);
void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func, void *info, bool wait);
int smp_call_function_single(int cpu, smp_call_func_t func, void *info, int wait);

/* --- IRQs and locks ------------------------------------------------------------------------- */
unsigned long cshim_irq_save(void);
void cshim_irq_restore(unsigned long flags);
int cshim_irqs_disabled(void);
#define local_irq_save(flags) do { (flags) = cshim_irq_save(); } while (0)
#define local_irq_restore(flags) cshim_irq_restore(flags)
#define local_irq_disable() ((void)cshim_irq_save())
#define local_irq_enable() cshim_irq_restore(0)
#define irqs_disabled() cshim_irqs_disabled()
unsigned long cshim_spin_lock(spinlock_t *lock, int irq);
void cshim_spin_unlock(spinlock_t *lock, int irq, unsigned long flags);
#define spin_lock(l) ((void)cshim_spin_lock((l), 0))
#define spin_unlock(l) cshim_spin_unlock((l), 0, 0)
#define spin_lock_irq(l) ((void)cshim_spin_lock((l), 1))
#define spin_unlock_irq(l) cshim_spin_unlock((l), 1, 0)
#define spin_lock_irqsave(l, flags) do { (flags) = cshim_spin_lock((l), 1); } while (0)
#define spin_unlock_irqrestore(l, flags) cshim_spin_unlock((l), 1, (flags))
#define spin_lock_init(l) do { (void)(l); } while (0)

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

/* local locks (v5.14, dbbee9d5cd83): on a kernel without PREEMPT_RT they turn IRQs
 * (or preemption) off on this CPU, which is what the model's IRQ state is */
typedef struct { int cshim_unused; } local_lock_t;
#define INIT_LOCAL_LOCK(lockname) { 0 }
#define local_lock_init(l) do { (void)(l); } while (0)
#define local_lock(l) preempt_disable()
#define local_unlock(l) preempt_enable()
#define local_lock_irq(l) local_irq_disable()
#define local_unlock_irq(l) local_irq_enable()
#define local_lock_irqsave(l, flags) local_irq_save(flags)
#define local_unlock_irqrestore(l, flags) local_irq_restore(flags)
/* the PREEMPT_RT patchset's locallock of the same era, when PREEMPT_RT is not set */
#define DEFINE_LOCAL_IRQ_LOCK(lvar) local_lock_t lvar = { 0 }
#define local_irq_lock_init(lvar) do { (void)(lvar); } while (0)

#define DEFINE_MUTEX(name) struct mutex name = { 0 }
#define mutex_init(m) do { (void)(m); } while (0)
int mutex_trylock(struct mutex *lock);
void mutex_lock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);

/* --- per-CPU variables: copies per CPU, one section ------------------------------------------ */
#define DEFINE_PER_CPU(type, name) \
	__typeof__(type) name __attribute__((section("cshim_percpu"), aligned(16)))
#define DEFINE_PER_CPU_ALIGNED(type, name) DEFINE_PER_CPU(type, name)
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name
void *cshim_per_cpu_ptr(const void *ptr, int cpu);
#define per_cpu_ptr(ptr, cpu) ((__typeof__(ptr))cshim_per_cpu_ptr((const void *)(ptr), (cpu)))
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), (cpu)))
#define this_cpu_ptr(ptr) per_cpu_ptr((ptr), smp_processor_id())
#define raw_cpu_ptr(ptr) this_cpu_ptr(ptr)
#define get_cpu_ptr(ptr) this_cpu_ptr(ptr)
#define put_cpu_ptr(ptr) do { (void)(ptr); } while (0)
#define this_cpu_read(var) (*this_cpu_ptr(&(var)))
#define __this_cpu_read(var) this_cpu_read(var)
#define this_cpu_write(var, val) do { *this_cpu_ptr(&(var)) = (val); } while (0)

/* --- the task -------------------------------------------------------------------------------- */
extern struct task_struct *cshim_current;
#define current cshim_current
#define PF_WQ_WORKER 0x00000020
#define PF_MEMALLOC 0x00000800
#define PF_KTHREAD 0x00200000

/* --- workqueues ------------------------------------------------------------------------------- */
extern struct workqueue_struct *mm_percpu_wq;
extern struct workqueue_struct *system_wq;
#define INIT_WORK(_work, _func) do { (_work)->data = 0; (_work)->func = (_func); } while (0)
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
bool flush_work(struct work_struct *work);
#define schedule_work_on(cpu, work) queue_work_on((cpu), system_wq, (work))

/* --- zones and the per-cpu page lists --------------------------------------------------------- */
extern struct zone cshim_zones[CSHIM_MAX_ZONES];
extern int cshim_nr_zones;
#define for_each_populated_zone(zone) \
	for ((zone) = &cshim_zones[0]; (zone) < &cshim_zones[cshim_nr_zones]; (zone)++)
#define for_each_zone(zone) for_each_populated_zone(zone)
#define populated_zone(zone) ((zone) != NULL)
#define zone_idx(zone) ((zone)->cshim_index)

void cshim_drain_zone(unsigned int cpu, struct zone *zone);          /* drain_pages_zone() body */
void cshim_bulk_free(struct zone *zone, int count, struct per_cpu_pages *pcp);
void cshim_bulk_free_pcp(int count, struct per_cpu_pages *pcp);              /* isolate_pcp_pages() */
void cshim_disable_write(struct zone *zone);                          /* high = 0, batch = 1 */

/* The era's drain helpers: the file may define its own (the shim's defaults are
 * defined after the file, only for the names it does not define). */
#ifdef CSHIM_HAS_LOCAL_ZONE_ARG
static void drain_local_pages(struct zone *zone);
#else
static void drain_local_pages(void *arg);
#endif
static void drain_pages(unsigned int cpu);
#if defined(CSHIM_HAS_ZONE_ARG) || defined(CSHIM_HAS_LOCAL_ZONE_ARG)
static void drain_pages_zone(unsigned int cpu, struct zone *zone);
#endif
#if defined(CSHIM_HAS_BULK_LIST)
static void free_pcppages_bulk(struct zone *zone, int count, struct list_head *list);
static void isolate_pcp_pages(int count, struct per_cpu_pages *src, struct list_head *dst);
#elif defined(CSHIM_HAS_BULK_PINDEX)
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp, int pindex);
#else
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp);
#endif
#ifdef CSHIM_HAS_FORCE_ALL_CPUS
void zone_pcp_disable(struct zone *zone);
void zone_pcp_enable(struct zone *zone);
#endif

#endif /* CSHIM_KERNEL_H */
