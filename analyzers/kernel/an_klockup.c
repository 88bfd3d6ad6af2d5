/*
 * an_klockup.c - lockups: a vCPU whose task spins.  Either its stack is in a
 * spinlock slow path (the lock address then comes from the vCPU's registers
 * or the callee-saved registers the unwinder recovered, accepted only when
 * the memory there is a held qspinlock / taken qrwlock), or the soft/hard
 * lockup watchdog reported that CPU in the kernel log and the same task is
 * still on it.  How long: from the per-CPU watchdog_touch_ts when readable
 * (the last time the CPU's watchdog work ran) and from the watchdog's report
 * ("stuck for Xs" at t: at least X + (now - t)), the larger lower bound.
 * A qspinlock records no owner: another locked-up CPU that is not itself
 * waiting for a lock is named as the likely holder, never asserted.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "klockup.h"
#include "target_kernel.h"

enum {
	SPIN_FRAMES = 6,		/* a spinning task's lock frames are at the top of its stack */
	UNWIND_FRAMES = 8,
};

#define KERNEL_MIN 0xffff800000000000ull

struct cpu_state {
	long ti;			/* thread index of its task, -1 none */
	enum klockup_spin spin;		/* the slow path its task is in */
	const char *spin_fn;		/* that frame's function (kallsyms, borrowed) */
	const char *where;		/* frame 0's function, borrowed; NULL unknown */
	double touch_stuck_s;		/* now - watchdog_touch_ts, NAN unknown */
};

static bool name_lock(struct kallsyms *ks, uint64_t addr, char **name)
{
	struct ksym s;
	*name = NULL;
	if (!kallsyms_lookup(ks, addr, &s) || !strchr("dDbBrR", s.type) || (s.size && s.offset >= s.size) ||
	    (!s.size && s.offset))
		return true;
	char off[32] = "";
	if (s.offset)
		snprintf(off, sizeof(off), "+0x%" PRIx64, s.offset);
	int n = s.module ? asprintf(name, "%s%s [%s]", s.name, off, s.module) : asprintf(name, "%s%s", s.name, off);
	if (n < 0) {
		*name = NULL;
		return false;
	}
	return true;
}

/* Is the memory at a a lock of this kind that someone holds? */
static bool lock_valid(struct target *t, uint64_t a, enum klockup_spin kind, size_t ncpus)
{
	uint32_t v;
	if (a < KERNEL_MIN || (a & 3))
		return false;
	struct ck_error *err = ck_mem_read_u32(target_kernel_memory(t), a, &v);
	if (err) {
		ck_error_destroy(err);	/* a register that points nowhere: not the lock */
		return false;
	}
	return kind == KLOCKUP_RWLOCK ? klockup_qrwlock_held(v) : klockup_qspinlock_held(v, ncpus);
}

/*
 * Where thread ti spins: the first lock function among its top frames, and
 * the lock from the registers (frame 0: rdi first, the argument) or the
 * callee-saved registers the unwinder recovered for the frames up to the
 * caller of that function.
 */
static struct ck_error *find_spin(struct target *t, size_t ti, size_t ncpus, struct cpu_state *cs, uint64_t *lock)
{
	struct kallsyms *ks = target_kernel_kallsyms(t);
	struct target_frame *fr = NULL;
	size_t nf = 0;
	bool incomplete;
	*lock = 0;
	struct ck_error *err = t->ops->unwind(t, ti, UNWIND_FRAMES, &fr, &nf, &incomplete);
	if (err)
		return err->kind == CK_ERR_SYSTEM ? err : (ck_error_destroy(err), NULL);
	size_t at = nf;
	for (size_t k = 0; k < nf && k < SPIN_FRAMES; k++) {
		struct ksym s;
		/* A return address may be just past its call: look up pc - 1 for callers. */
		if (!kallsyms_lookup(ks, fr[k].activation ? fr[k].pc : fr[k].pc - 1, &s))
			continue;
		if (k == 0)
			cs->where = s.name;
		enum klockup_spin kind = klockup_spin_function(s.name);
		if (kind != KLOCKUP_NOT_SPIN) {
			cs->spin = kind;
			cs->spin_fn = s.name;
			at = k;
			break;
		}
	}
	if (at == nf) {
		free(fr);
		return NULL;
	}
	const struct target_thread *th = t->ops->thread(t, ti);
	if (at == 0 && th) {
		static const int order[] = { X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9, X86_R10, X86_R11,
					     X86_RAX, X86_RBX, X86_RBP, X86_R12, X86_R13, X86_R14, X86_R15 };
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && !*lock; i++)
			if (x86_regs_has(&th->regs, REG_GPR_FIRST + order[i]) &&
			    lock_valid(t, th->regs.gpr[order[i]], cs->spin, ncpus))
				*lock = th->regs.gpr[order[i]];
	}
	for (size_t k = 0; k <= at + 1 && k < nf && !*lock; k++)
		for (int j = 0; j < FRAME_NSAVED && !*lock; j++)
			if ((fr[k].saved_valid >> j & 1) && lock_valid(t, fr[k].saved[j], cs->spin, ncpus))
				*lock = fr[k].saved[j];
	free(fr);
	return NULL;
}

/*
 * now - watchdog_touch_ts for each CPU: the kernel keeps it in units of
 * 2^30 ns (get_timestamp() = running_clock() >> 30), and the watchdog's work
 * refreshes it every few seconds unless the CPU is stuck.  NAN when the
 * per-CPU variable is missing or unreadable, or the value is not plausible.
 */
static void read_touch_ts(struct target *t, double now_s, struct cpu_state *cs, size_t ncpus)
{
	struct kallsyms *ks = target_kernel_kallsyms(t);
	const struct ck_memory *mem = target_kernel_memory(t);
	uint64_t var, pco;
	if (isnan(now_s) || !kallsyms_address(ks, "watchdog_touch_ts", &var) ||
	    !kallsyms_address(ks, "__per_cpu_offset", &pco))
		return;
	uint64_t now_units = (uint64_t)(now_s * 1e9) >> 30;
	for (size_t c = 0; c < ncpus; c++) {
		uint64_t off, ts;
		struct ck_error *err = ck_mem_read_u64(mem, pco + 8 * c, &off);
		if (!err)
			err = ck_mem_read_u64(mem, var + off, &ts);
		if (err) {
			ck_error_destroy(err);
			continue;
		}
		/* 0: never touched; a value after now: touched since the clock we use (or a reset). */
		if (ts && ts <= now_units)
			cs[c].touch_stuck_s = (double)((now_units - ts) << 30) / 1e9;
	}
}

static double max_known(double a, double b)
{
	return isnan(a) ? b : isnan(b) ? a : a > b ? a : b;
}

/* The text after "CPU N: pid P COMM". */
static struct ck_error *describe(struct report *r, const struct rpt_cpu *rc, const struct cpu_state *cs,
				 const struct klockup_log *lg, const struct rpt_cpu *cpus, size_t ncpus, FILE *f)
{
	(void)r;
	if (rc->spinning) {
		fprintf(f, " spinning on %s ", cs->spin == KLOCKUP_RWLOCK ? "rwlock" : "spinlock");
		if (rc->spinlock)
			fprintf(f, "0x%016" PRIx64 "%s%s%s", rc->spinlock, rc->spinlock_name ? " <" : "",
				rc->spinlock_name ? rc->spinlock_name : "", rc->spinlock_name ? ">" : "");
		else
			fprintf(f, "at an unknown address (no register held a locked %s)",
				cs->spin == KLOCKUP_RWLOCK ? "qrwlock" : "qspinlock");
		fprintf(f, " in %s", cs->spin_fn);
	} else if (rc->thread >= 0) {
		fprintf(f, " running in %s (not in a spinlock slow path)", cs->where ? cs->where : "an unknown function");
	}
	if (!isnan(rc->stuck_s))
		fprintf(f, " for at least %.0f s", rc->stuck_s);
	if (lg->soft && !isnan(lg->report_s))
		fprintf(f, " (soft lockup reported at %.1f s)", lg->report_s);
	else if (lg->soft)
		fprintf(f, " (soft lockup reported)");
	if (lg->hard)
		fprintf(f, " (hard lockup reported)");
	if (!lg->soft && !lg->hard)
		fprintf(f, " (no watchdog report for this CPU)");
	if (!rc->spinning || cs->spin == KLOCKUP_RWLOCK)
		return NULL;
	/* The holder: qspinlock keeps no owner, so only a guess from the other locked-up CPUs. */
	size_t nh = 0, h = 0;
	for (size_t c = 0; c < ncpus; c++)
		if (&cpus[c] != rc && cpus[c].lockup && !cpus[c].spinning) {
			nh++;
			h = c;
		}
	fprintf(f, "; qspinlock records no owner");
	if (nh == 1) {
		const struct rpt_thread *ht = cpus[h].thread >= 0 ? &r->threads[cpus[h].thread] : NULL;
		fprintf(f, " - CPU %d", cpus[h].cpu);
		if (ht)
			fprintf(f, " (pid %lld %s)", (long long)ht->tid, ht->name ? ht->name : "?");
		fprintf(f, " is also locked up, not waiting for a lock, and likely holds it");
	} else if (nh > 1) {
		fprintf(f, " - %zu other CPUs are locked up without waiting for a lock; one of them may hold it", nh);
	}
	return NULL;
}

static struct ck_error *add_finding(struct report *r, struct rpt_cpu *rc, const struct cpu_state *cs,
				    const struct klockup_log *lg)
{
	const struct rpt_thread *th = rc->thread >= 0 ? &r->threads[rc->thread] : NULL;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return &ck_enomem;
	if (th)
		fprintf(f, "CPU %d: pid %lld %s", rc->cpu, (long long)th->tid, th->name ? th->name : "?");
	else if (lg->soft && lg->pid >= 0)
		fprintf(f, "CPU %d: task 0x%" PRIx64 " (not in the task list read from this dump; the watchdog named "
			"pid %lld %s)", rc->cpu, rc->task, (long long)lg->pid, lg->comm ? lg->comm : "?");
	else
		fprintf(f, "CPU %d: task 0x%" PRIx64 " (not in the task list read from this dump)", rc->cpu, rc->task);
	struct ck_error *err = describe(r, rc, cs, lg, r->kernel.cpus, r->kernel.ncpus, f);
	if (fclose(f) || err) {
		free(s);
		return err ? err : &ck_enomem;
	}
	struct rpt_finding *fi = report_add_finding(r, "lockup", "%s", s);
	free(s);
	if (!fi)
		return &ck_enomem;
	return th ? report_finding_add_thread(fi, (size_t)rc->thread) : NULL;
}

static struct ck_error *lockup_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	size_t ncpus = r->kernel.ncpus;
	if (!target_kernel_info(t, NULL) || !target_kernel_kallsyms(t) || !ncpus)
		return NULL;
	struct cpu_state *cs = calloc(ncpus, sizeof(*cs));
	struct klockup_log *lg = calloc(ncpus, sizeof(*lg));
	struct ck_error *err = NULL;
	if (!cs || !lg) {
		err = &ck_enomem;
		goto out;
	}
	klockup_log_init(lg, ncpus);
	for (size_t i = 0; i < r->nevents; i++) {
		const struct rpt_event *e = &r->events[i];
		klockup_log_note(lg, ncpus, e->kind, e->summary, e->cpu, e->pid, e->comm, e->uptime_s, e->duration_s);
	}
	for (size_t c = 0; c < ncpus; c++)
		cs[c].touch_stuck_s = NAN;
	read_touch_ts(t, r->kernel.uptime_s, cs, ncpus);
	for (size_t c = 0; c < ncpus && !err; c++) {
		struct rpt_cpu *rc = &r->kernel.cpus[c];
		cs[c].ti = rc->thread;
		if (rc->thread < 0 || (size_t)rc->thread >= r->nthreads) {
			/* Its task is not in the dump (a cut task list): the watchdog's word still stands. */
			if (lg[c].soft || lg[c].hard) {
				rc->lockup = true;
				rc->soft_reported = lg[c].soft;
				rc->hard_reported = lg[c].hard;
				rc->stuck_s = max_known(cs[c].touch_stuck_s, klockup_stuck_since_report(&lg[c], r->kernel.uptime_s));
			}
			continue;
		}
		const struct rpt_thread *th = &r->threads[rc->thread];
		if (th->task.idle)
			continue;	/* an idle CPU spins in no lock */
		uint64_t lock = 0;
		if ((err = find_spin(t, (size_t)rc->thread, ncpus, &cs[c], &lock)))
			break;
		/* A watchdog report counts while the task it named is still the one on the CPU. */
		bool reported = (lg[c].soft && (lg[c].pid < 0 || lg[c].pid == th->tid)) || lg[c].hard;
		if (cs[c].spin == KLOCKUP_NOT_SPIN && !reported)
			continue;
		rc->lockup = true;
		rc->spinning = cs[c].spin != KLOCKUP_NOT_SPIN;
		rc->spinlock = lock;
		rc->soft_reported = lg[c].soft && (lg[c].pid < 0 || lg[c].pid == th->tid);
		rc->hard_reported = lg[c].hard;
		rc->stuck_s = max_known(cs[c].touch_stuck_s,
					rc->soft_reported ? klockup_stuck_since_report(&lg[c], r->kernel.uptime_s) : NAN);
		if (lock && !name_lock(target_kernel_kallsyms(t), lock, &rc->spinlock_name))
			err = &ck_enomem;
	}
	for (size_t c = 0; c < ncpus && !err; c++)
		if (r->kernel.cpus[c].lockup)
			err = add_finding(r, &r->kernel.cpus[c], &cs[c], &lg[c]);
out:
	free(cs);
	free(lg);
	return err;
}

const struct analyzer analyzer_lockup = {
	.name = "lockup",
	.summary = "lockups: vCPUs spinning in a spinlock slow path or reported by the lockup watchdogs",
	.targets = TARGET_KERNEL_IMAGE,
	.run = lockup_run,
};
