/*
 * v3.2-broadcast: drain_all_pages() of v3.2 mm/page_alloc.c.  Our rendering.
 *
 * Every online CPU is interrupted, whether or not its per-cpu lists hold a
 * page: the remote CPUs by IPI (the caller waits for them), then the caller
 * itself with IRQs off.  Uses the shim's v3.2 drain_local_pages(void *).
 */
#include <linux/gfp.h>
#include <linux/smp.h>

void drain_all_pages(void)
{
	on_each_cpu(drain_local_pages, NULL, 1);
}
