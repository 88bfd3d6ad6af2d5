/*
 * an_kernel.c - the guest kernel's own facts for the report: release,
 * build-id, uptime, vCPUs and the task on each, RAM, the checkpoint's VM
 * name and guest OS, the symbol/type/unwind sources, task counts by state,
 * panic state, and the target's warnings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "target_kernel.h"
#include "vmcoreinfo.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct ck_error *copy_warnings(struct target *t, struct report *r)
{
	const char *const *w = NULL;
	size_t n = 0;
	struct ck_error *err = t->ops->warnings ? t->ops->warnings(t, &w, &n) : NULL;
	for (size_t i = 0; !err && i < n; i++)
		err = report_warn(r, "%s", w[i]);
	return err;
}

static size_t state_index(char c)
{
	const char *p = strchr(report_task_states, c);
	return p && c ? (size_t)(p - report_task_states) : strlen(report_task_states) - 1;
}

static struct ck_error *kernel_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	struct ck_error *err = copy_warnings(t, r);
	if (err)
		return err;
	const struct machine *m = NULL;
	const struct linux_kernel *k = target_kernel_info(t, &m);
	if (!k)
		return NULL;	/* a machine image without an analysable kernel: the vCPUs only */
	struct rpt_kernel *rk = &r->kernel;
	rk->present = true;
	rk->release = dup_or_null(k->osrelease);
	rk->banner = dup_or_null(m->meta.kernel_banner);
	rk->vm_name = dup_or_null(m->meta.vm_name);
	rk->guest_os = dup_or_null(m->meta.guest_os);
	rk->source_format = dup_or_null(m->meta.source_format);
	size_t blen = 0;
	const char *bid = m->meta.vmcoreinfo ? vmcoreinfo_get(m->meta.vmcoreinfo, m->meta.vmcoreinfo_len,
							      "BUILD-ID", &blen) : NULL;
	if (bid && blen)
		rk->build_id = strndup(bid, blen);
	if ((k->osrelease[0] && !rk->release) || (m->meta.kernel_banner && !rk->banner) ||
	    (bid && blen && !rk->build_id))
		return &ck_enomem;
	rk->vcpus = m->ncpus;
	rk->ram_bytes = machine_ram_bytes(m);
	rk->symbols_source = target_kernel_vmlinux(t) ? "kallsyms (guest memory) + vmlinux DWARF"
						      : "kallsyms (guest memory)";
	rk->vmlinux = dup_or_null(target_kernel_vmlinux(t));
	if (target_kernel_vmlinux(t) && !rk->vmlinux)
		return &ck_enomem;
	struct ktypes *ty = target_kernel_types(t);
	rk->types_source = ty ? ktypes_source(ty) : NULL;
	rk->unwinder = "orc";
	rk->panic_cpu = -1;
	rk->uptime_s = NAN;

	const struct ktask_list *tl = target_kernel_tasks(t);
	uint64_t clock = 0;
	rk->cpus = calloc(tl->ncpus ? tl->ncpus : 1, sizeof(*rk->cpus));
	if (!rk->cpus)
		return &ck_enomem;
	for (size_t c = 0; c < tl->ncpus; c++) {
		struct rpt_cpu *rc = &rk->cpus[rk->ncpus++];
		rc->cpu = (int)c;
		rc->task = tl->cpus[c].curr;
		rc->thread = -1;
		for (size_t i = 0; i < tl->n && i < r->nthreads; i++)
			if (tl->tasks[i].addr == rc->task)
				rc->thread = (long)i;
		if (tl->cpus[c].clock_ns > clock)
			clock = tl->cpus[c].clock_ns;
	}
	if (clock)
		rk->uptime_s = (double)clock / 1e9;	/* rq->clock: nanoseconds since boot */
	rk->ntasks = tl->n;
	for (size_t i = 0; i < tl->n; i++)
		rk->state_counts[state_index(tl->tasks[i].state_letter)]++;

	/* panic_cpu is -1 until a CPU enters panic(). */
	uint64_t pc_addr;
	struct kallsyms *ks = target_kernel_kallsyms(t);
	uint32_t pcpu;
	if (ks && kallsyms_address(ks, "panic_cpu", &pc_addr)) {
		err = ck_mem_read_u32(target_kernel_memory(t), pc_addr, &pcpu);
		if (err && err->kind == CK_ERR_SYSTEM)
			return err;
		if (!err && (int32_t)pcpu >= 0) {
			rk->panicked = true;
			rk->panic_cpu = (int32_t)pcpu;
		}
		ck_error_destroy(err);
	}
	return NULL;
}

const struct analyzer analyzer_kernel = {
	.name = "kernel",
	.summary = "guest kernel: release, build-id, uptime, vCPUs and their tasks, task states, panic state",
	.targets = TARGET_KERNEL_IMAGE,
	.run = kernel_run,
};
