/*
 * an_khung.c - hung tasks: the kernel's own rule (khung.h) applied to every
 * task at the snapshot, with jiffies and sysctl_hung_task_timeout_secs read
 * from guest memory and HZ inferred from jiffies and the uptime an_kernel.c
 * found.  Each task gets hung / blocked_s / hung_reported (the kernel logged
 * "INFO: task COMM:PID blocked for more than N seconds" for it); all hung
 * tasks make one "hung" finding.
 *
 * No verdict rather than a guess: when jiffies, the timeout or HZ cannot be
 * known, or the detector is disabled (timeout 0: the kernel then never
 * updates last_switch_count/time, so the rule has nothing to go on), the
 * report says why in a warning.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "khung.h"
#include "target_kernel.h"

enum { PIDS_SHOWN = 32 };

/* The kernel reported this task in its log (pid, and comm when the event has one). */
static bool reported(const struct report *r, int64_t pid, const char *comm)
{
	for (size_t i = 0; i < r->nevents; i++) {
		const struct rpt_event *e = &r->events[i];
		if (strcmp(e->kind, "hung-task") == 0 && e->pid == pid && (!e->comm || !comm || !strcmp(e->comm, comm)))
			return true;
	}
	return false;
}

/* A kernel variable of 8 bytes by its symbol. */
static struct ck_error *read_var(struct target *t, const char *name, uint64_t *v)
{
	uint64_t addr;
	if (!kallsyms_address(target_kernel_kallsyms(t), name, &addr))
		return ck_error_create(CK_ERR_INPUT, "no symbol %s in kallsyms", name);
	struct ck_error *err = ck_mem_read_u64(target_kernel_memory(t), addr, v);
	return err ? ck_error_prefix(err, "reading %s", name) : NULL;
}

/* "pids 98, 99, 101" (at most PIDS_SHOWN, then "and N more"); malloc'd, NULL on OOM. */
static char *pid_list(const struct report *r, const size_t *idx, size_t n)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	fprintf(f, "pid%s", n == 1 ? "" : "s");
	for (size_t i = 0; i < n && i < PIDS_SHOWN; i++)
		fprintf(f, "%s %lld", i ? "," : "", (long long)r->threads[idx[i]].tid);
	if (n > PIDS_SHOWN)
		fprintf(f, " and %zu more", n - PIDS_SHOWN);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

static struct ck_error *add_finding(struct report *r, const size_t *hung, size_t n, uint64_t timeout, unsigned hz)
{
	size_t nrep = 0;
	for (size_t i = 0; i < n; i++)
		nrep += r->threads[hung[i]].task.hung_reported;
	char *pids = pid_list(r, hung, n);
	if (!pids)
		return &ck_enomem;
	struct rpt_finding *f = report_add_finding(
		r, "hung", "%zu task%s hung (D, no context switch for at least %" PRIu64 " s = "
		"sysctl_hung_task_timeout_secs; HZ %u): %s; the kernel reported %s%zu of them",
		n, n == 1 ? "" : "s", timeout, hz, pids, nrep == n ? "all " : "", nrep);
	free(pids);
	if (!f)
		return &ck_enomem;
	for (size_t i = 0; i < n; i++) {
		struct ck_error *err = report_finding_add_thread(f, hung[i]);
		if (err)
			return err;
	}
	return NULL;
}

static struct ck_error *hung_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	if (!target_kernel_info(t, NULL) || !target_kernel_kallsyms(t))
		return NULL;
	size_t n = t->ops->nthreads(t);
	if (n > r->nthreads)
		n = r->nthreads;
	bool fields = false;
	for (size_t i = 0; i < n && !fields; i++) {
		const struct target_thread *th = t->ops->thread(t, i);
		fields = th && th->task && th->task->has_hung_fields;
	}
	if (!fields)
		return report_warn(r, "hung tasks: no verdict: this kernel has no hung-task detector "
				      "(task_struct has no last_switch_count/last_switch_time)");
	uint64_t jiffies, timeout;
	struct ck_error *err = read_var(t, "jiffies_64", &jiffies);
	if (err && err->kind != CK_ERR_SYSTEM) {
		ck_error_destroy(err);
		err = read_var(t, "jiffies", &jiffies);
	}
	if (!err)
		err = read_var(t, "sysctl_hung_task_timeout_secs", &timeout);
	if (err)
		return err->kind == CK_ERR_SYSTEM ? err : ck_error_prefix(err, "no hung-task verdict");
	if (!timeout)
		return report_warn(r, "hung tasks: no verdict: the kernel's hung-task detector is disabled "
				      "(sysctl_hung_task_timeout_secs = 0), so it keeps no record to apply its rule to");
	uint64_t tick_nsec = 0;	/* optional: only breaks a tie near 300 s of uptime */
	if ((err = read_var(t, "tick_nsec", &tick_nsec))) {
		if (err->kind == CK_ERR_SYSTEM)
			return err;
		ck_error_destroy(err);
		tick_nsec = 0;
	}
	unsigned hz = khung_infer_hz(jiffies, r->kernel.uptime_s, tick_nsec);
	if (!hz)
		return report_warn(r, "hung tasks: no verdict: HZ unknown (jiffies %" PRIu64 " fit none or more than "
				      "one of HZ 100, 250, 300, 1000 for an uptime of %.1f s, and tick_nsec %" PRIu64
				      " does not decide)", jiffies, r->kernel.uptime_s, tick_nsec);
	uint64_t timeout_j = timeout > UINT64_MAX / hz ? UINT64_MAX : timeout * hz;

	size_t *hung = calloc(n ? n : 1, sizeof(*hung)), nhung = 0;
	if (!hung)
		return &ck_enomem;
	for (size_t i = 0; i < n; i++) {
		const struct target_thread *th = t->ops->thread(t, i);
		const struct target_task *k = th ? th->task : NULL;
		struct rpt_thread *rt = &r->threads[i];
		if (!k || !k->has_hung_fields || !rt->task.present)
			continue;
		struct khung_task kt = { k->kstate, k->nvcsw, k->nivcsw, k->last_switch_count, k->last_switch_time };
		uint64_t blocked;
		bool has_blocked;
		enum khung_why why = khung_check(&kt, jiffies, timeout_j, &blocked, &has_blocked);
		rt->task.has_blocked = has_blocked;
		rt->task.blocked_s = has_blocked ? (double)blocked / hz : 0;
		rt->task.hung = why == KHUNG_HUNG;
		rt->task.hung_reported = reported(r, rt->tid, rt->name);
		if (rt->task.hung)
			hung[nhung++] = i;
	}
	err = nhung ? add_finding(r, hung, nhung, timeout, hz) : NULL;
	free(hung);
	return err;
}

const struct analyzer analyzer_hung = {
	.name = "hung",
	.summary = "hung tasks by the kernel's own rule (D, no context switch for sysctl_hung_task_timeout_secs)",
	.targets = TARGET_KERNEL_IMAGE,
	.run = hung_run,
};
