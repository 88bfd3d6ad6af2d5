/* render_text.c - the human-readable report (default output); logs' and zdumps' parts: render_text_log.c. */
#include "render.h"
#include "render_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *text_base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void print_loc(FILE *out, const char *file, int line)
{
	if (file && line)
		fprintf(out, " (%s:%d)", text_base_name(file), line);
	else if (file)
		fprintf(out, " (%s)", text_base_name(file));
}

static void print_frames(FILE *out, const struct rpt_thread *t)
{
	for (size_t i = 0; i < t->nframes; i++) {
		const struct rpt_frame *f = &t->frames[i];
		for (size_t k = 0; k < f->ninlines; k++) {
			const struct rpt_inline *in = &f->inlines[k];
			fprintf(out, "  #%-3zu 0x%016llx  %s", i, (unsigned long long)f->pc,
				in->function ? in->function : "??");
			print_loc(out, in->file, in->line);
			fprintf(out, "  [inline]\n");
		}
		fprintf(out, "  #%-3zu 0x%016llx  ", i, (unsigned long long)f->pc);
		if (f->function) {
			fprintf(out, "%s", f->function);
			if (f->has_function_offset)
				fprintf(out, "+0x%llx", (unsigned long long)f->function_offset);
		} else {
			fprintf(out, "??");
		}
		print_loc(out, f->file, f->line);
		if (f->module) {
			char buf[256];
			fprintf(out, " in %s+0x%llx", rpt_module_label(f->module, buf, sizeof(buf)),
				(unsigned long long)f->module_offset);
		}
		fprintf(out, "  [%s]\n", frame_trust_name(f->trust));
	}
	if (!t->nframes && t->unwind_error)
		fprintf(out, "  (no frames: %s)\n", t->unwind_error);
	else if (t->incomplete)
		fprintf(out, "  ... (unwinding stopped here: %s)\n", t->unwind_error ? t->unwind_error : "reason unknown");
}

static void print_tid_list(FILE *out, const struct report *r, const struct rpt_group *g)
{
	size_t show = g->n < 16 ? g->n : 16;
	for (size_t i = 0; i < show; i++)
		fprintf(out, "%s%lld", i ? ", " : "", (long long)r->threads[g->threads[i]].tid);
	if (show < g->n)
		fprintf(out, ", ... (%zu more)", g->n - show);
}

static bool streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Waits j and k look the same to a reader: same state line and same place. */
static bool same_wait(const struct report *r, size_t j, size_t k)
{
	const struct rpt_wait *a = &r->waits[j], *b = &r->waits[k];
	return streq(r->threads[a->thread].state, r->threads[b->thread].state) && streq(a->frame, b->frame) &&
	       a->kind == b->kind;
}

static bool same_wait_before(const struct report *r, size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (!r->waits[j].in_cycle && same_wait(r, j, k))
			return true;
	return false;
}

/* "pid 92 "dl_ab" [D] cpu 1, last ran 12.3 s ago, task 0xffff..." */
static void print_task_header(FILE *out, const struct rpt_thread *t, const char *lead)
{
	const struct rpt_task *k = &t->task;
	fprintf(out, "\n%spid %lld", lead, (long long)t->tid);
	if (k->tgid != t->tid && !k->idle)
		fprintf(out, " (tgid %lld)", (long long)k->tgid);
	fprintf(out, " \"%s\" [%c]%s cpu %d", t->name ? t->name : "?", k->state ? k->state : '?',
		k->kthread || k->idle ? " kthread" : "", k->cpu);
	if (k->hung)
		fprintf(out, ", HUNG %.1f s%s", k->blocked_s, k->hung_reported ? "" : " (not reported by the kernel)");
	if (k->on_cpu)
		fprintf(out, ", running");
	else if (k->since_ran_ns >= 0)
		fprintf(out, ", last ran %.3f s ago", (double)k->since_ran_ns / 1e9);
	fprintf(out, ", task 0x%llx", (unsigned long long)k->addr);
}

static void print_user_regs(FILE *out, const struct rpt_thread *t)
{
	const struct rpt_task *k = &t->task;
	if (!k->has_user_regs)
		return;
	fprintf(out, "  %s: rip 0x%016llx rsp 0x%016llx", t->nframes ? "user mode" : "running in user mode",
		(unsigned long long)k->user_rip, (unsigned long long)k->user_rsp);
	if (k->syscall_nr >= 0)
		fprintf(out, ", syscall %lld", (long long)k->syscall_nr);
	fprintf(out, "\n");
}

static void print_kernel_system(FILE *out, const struct report *r)
{
	const struct rpt_kernel *k = &r->kernel;
	fprintf(out, "\n== system ==\n");
	fprintf(out, "kernel:   Linux %s%s%s%s\n", k->release ? k->release : "?", k->build_id ? " (build-id " : "",
		k->build_id ? k->build_id : "", k->build_id ? ")" : "");
	if (k->vm_name || k->guest_os)
		fprintf(out, "vm:       %s%s%s%s\n", k->vm_name ? k->vm_name : "", k->guest_os ? " (" : "",
			k->guest_os ? k->guest_os : "", k->guest_os ? ")" : "");
	fprintf(out, "machine:  %zu vCPU%s, %llu MiB RAM", k->vcpus, k->vcpus == 1 ? "" : "s",
		(unsigned long long)(k->ram_bytes >> 20));
	if (k->uptime_s == k->uptime_s)	/* not NAN */
		fprintf(out, ", up %.1f s", k->uptime_s);
	fprintf(out, "\n");
	if (k->panicked)
		fprintf(out, "panic:    on CPU %d%s%s\n", k->panic_cpu, k->panic_message ? ": " : "",
			k->panic_message ? k->panic_message : "");
	fprintf(out, "tasks:    %zu:", k->ntasks);
	for (size_t i = 0; report_task_states[i]; i++)
		if (k->state_counts[i])
			fprintf(out, " %zu %c", k->state_counts[i], report_task_states[i]);
	fprintf(out, "\n");
	fprintf(out, "sources:  symbols %s, types %s, unwinder %s\n", k->symbols_source ? k->symbols_source : "?",
		k->types_source ? k->types_source : "?", k->unwinder ? k->unwinder : "?");
	if (k->vmlinux)
		fprintf(out, "vmlinux:  %s\n", k->vmlinux);
	for (size_t i = 0; i < k->ncpus; i++) {
		const struct rpt_cpu *c = &k->cpus[i];
		const struct rpt_thread *t = c->thread >= 0 ? &r->threads[c->thread] : NULL;
		fprintf(out, "cpu %d:    ", c->cpu);
		if (t)
			fprintf(out, "pid %lld \"%s\"%s\n", (long long)t->tid, t->name ? t->name : "?",
				t->task.idle ? " (idle)" : "");
		else
			fprintf(out, "task 0x%llx (not in the task list)\n", (unsigned long long)c->task);
	}
}

/* Events of the guest kernel's own ring (a bundle's log files have theirs in the timeline). */
static size_t kernel_events(const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nevents; i++)
		n += !report_event_log(r, &r->events[i]);
	return n;
}

static void print_kernel_events(FILE *out, const struct report *r)
{
	size_t nk = kernel_events(r);
	if (!nk)
		return;
	fprintf(out, "\n== kernel log: %zu warning%s ==\n", nk, nk == 1 ? "" : "s");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct rpt_event *e = &r->events[i];
		if (report_event_log(r, e))
			continue;
		fprintf(out, "[%s] %s: %s\n", e->time ? e->time : "?", e->kind, e->summary ? e->summary : "");
		if (e->nframes) {
			fprintf(out, "      at");
			for (size_t j = 0; j < e->nframes && j < 4; j++)
				fprintf(out, "%s %s", j ? " <-" : "", e->frames[j]);
			fprintf(out, "\n");
		}
	}
}

/*
 * Kernel tasks: the task on each vCPU and every D task with its own stack,
 * then the rest one per group of identical stacks (all of them with
 * --all-threads).
 */
static struct ck_error *print_kernel_tasks(FILE *out, const struct report *r, bool all)
{
	bool *shown = calloc(r->nthreads ? r->nthreads : 1, sizeof(*shown));
	if (!shown)
		return &ck_enomem;
	fprintf(out, "\n== tasks (%zu, %zu distinct stack%s) ==\n", r->nthreads, r->ngroups,
		r->ngroups == 1 ? "" : "s");
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->nthreads; i++) {
			const struct rpt_thread *t = &r->threads[i];
			bool pick = pass == 0 ? t->task.on_cpu : t->task.state == 'D';
			if (!pick || shown[i])
				continue;
			shown[i] = true;
			print_task_header(out, t, pass == 0 ? "on its vCPU: " : "");
			fprintf(out, "\n");
			if (t->state)
				fprintf(out, "  state: %s\n", t->state);
			print_frames(out, t);
			print_user_regs(out, t);
		}
	}
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct rpt_thread *t = &r->threads[i];
		if (shown[i])
			continue;
		const struct rpt_group *g = t->group >= 0 ? &r->groups[t->group] : NULL;
		size_t rest = 0;
		for (size_t k = 0; !all && g && k < g->n; k++)
			if (!shown[g->threads[k]])
				rest++;
		print_task_header(out, t, "");
		if (!all && rest > 1) {
			fprintf(out, " - %zu tasks like this:", rest);
			size_t n = 0;
			for (size_t k = 0; k < g->n; k++) {
				size_t j = g->threads[k];
				if (shown[j])
					continue;
				if (n < 16)
					fprintf(out, "%s %lld", n ? "," : "", (long long)r->threads[j].tid);
				n++;
				shown[j] = true;
			}
			if (n > 16)
				fprintf(out, ", ... (%zu more)", n - 16);
		}
		shown[i] = true;
		fprintf(out, "\n");
		print_frames(out, t);
		print_user_regs(out, t);
	}
	free(shown);
	return NULL;
}

struct ck_error *render_text(FILE *out, const struct report *r, const struct render_options *opt)
{
	if ((r->target_kind && strcmp(r->target_kind, "log") == 0) ||
	    (r->bundle.present && !r->kernel.present && !r->nthreads))
		return render_log_text(out, r);
	const struct rpt_process *p = &r->process;
	bool all = opt && opt->all_threads, zdump = r->zdump.present;
	if (zdump) {
		fprintf(out, "coresummary: %s (zdump, %zu event%s, %zu thread%s)\n", r->input ? r->input : "?",
			r->nevents, r->nevents == 1 ? "" : "s", r->nthreads, r->nthreads == 1 ? "" : "s");
		text_zdump(out, r);
	} else {
		fprintf(out, "coresummary: %s (%s, %zu %s%s)\n", r->input ? r->input : "?",
			r->target_kind ? r->target_kind : "?", r->nthreads, r->kernel.present ? "task" : "thread",
			r->nthreads == 1 ? "" : "s");
	}
	if (r->bundle.present)
		render_bundle_text(out, r);
	if (p->present) {
		fprintf(out, "process:  ");
		if (p->pid >= 0)
			fprintf(out, "pid %lld, ", (long long)p->pid);
		fprintf(out, "%s\n", p->executable ? p->executable : "(executable unknown)");
		if (p->command_line)
			fprintf(out, "command:  %s\n", p->command_line);
		if (p->signo) {
			const char *sn = signal_name(p->signo);
			fprintf(out, "signal:   %s (%d)", sn ? sn : "signal", p->signo);
			if (p->has_code) {
				const char *cn = si_code_name(p->signo, p->si_code);
				if (cn)
					fprintf(out, " %s", cn);
				else
					fprintf(out, " code %d", p->si_code);
			}
			if (p->has_addr)
				fprintf(out, ", fault address 0x%llx", (unsigned long long)p->si_addr);
			if (p->sender_pid > 0)
				fprintf(out, ", sent by pid %lld", (long long)p->sender_pid);
			if (p->signo == LSIG_STOP && !r->crash.present)
				fprintf(out, " (stopped to take the core; not a crash)");
			fprintf(out, "\n");
		} else {
			fprintf(out, "signal:   none (core taken from a running process)\n");
		}
	}

	if (r->kernel.present)
		print_kernel_system(out, r);

	fprintf(out, "\n== verdict ==\n");
	if (!r->nfindings && r->kernel.present) {
		size_t d = r->kernel.state_counts[2];	/* 'D' in report_task_states */
		fprintf(out, "no deadlock, no blocked lock chain, no hung task, no lockup, no panic; %zu task%s in D state",
			d, d == 1 ? "" : "s");
		if (kernel_events(r))
			fprintf(out, "; the kernel logged %zu warning%s (below)", kernel_events(r),
				kernel_events(r) == 1 ? "" : "s");
		fprintf(out, "\n");
	} else if (!r->nfindings && r->target_kind && strcmp(r->target_kind, "kernel-image") == 0)
		fprintf(out, "no verdict: no analysable Linux kernel in this image (see the warning below)\n");
	else if (!r->nfindings && zdump && !r->nevents && !p->present)
		fprintf(out, "nothing found: no log event in the carved text, no ELF core to analyse\n");
	else if (!r->nfindings && zdump)
		fprintf(out, "no problem found: %s%zu log event%s in the carved text, none a crash, panic, PSOD,"
			" lockup, hang or Tools trouble\n", p->present ? "no crash or deadlock in the core; " : "",
			r->nevents, r->nevents == 1 ? "" : "s");
	else if (!r->nfindings)
		fprintf(out, "no crash, no deadlock, no blocked lock waits found\n");
	/* the worst first: what killed it, then what stopped it, then what follows from that */
	static const char *const rank[] = { "panic", "crash", "deadlock", "lockup", "blocked", "hung" };
	for (size_t k = 0; k <= sizeof(rank) / sizeof(rank[0]); k++)
		for (size_t i = 0; i < r->nfindings; i++) {
			const char *kind = r->findings[i].kind;
			bool ranked = false;
			for (size_t j = 0; j < sizeof(rank) / sizeof(rank[0]); j++)
				ranked |= strcmp(kind, rank[j]) == 0;
			if (k < sizeof(rank) / sizeof(rank[0]) ? strcmp(kind, rank[k]) == 0 : !ranked)
				fprintf(out, "%s: %s\n", kind, r->findings[i].summary);
		}
	if (zdump)
		text_finding_signatures(out, r);

	if (r->crash.present) {
		const struct rpt_crash *c = &r->crash;
		const struct rpt_thread *ct = &r->threads[c->thread];
		if (r->kernel.present) {
			/* a kernel image: the task that oopsed, on the CPU that panicked */
			fprintf(out, "\n== %s: pid %lld \"%s\"", r->kernel.panicked ? "panic" : "oops", (long long)ct->tid,
				ct->name ? ct->name : "?");
			if (ct->task.present && ct->task.cpu >= 0)
				fprintf(out, " on CPU %d", ct->task.cpu);
			fprintf(out, " ==\n");
		} else {
			fprintf(out, "\n== crash: thread %lld ==\n", (long long)ct->tid);
		}
		fprintf(out, "reason:   %s\n", c->reason ? c->reason : "?");
		if (c->assertion)
			fprintf(out, "message:  %s\n", c->assertion);
		if (c->instruction)
			fprintf(out, "faulting instruction: %s\n", c->instruction);
		for (size_t i = 0; i < c->ndisasm; i++)
			fprintf(out, "%s 0x%016llx  %-24s %s\n", c->disasm[i].is_pc ? "=>" : "  ",
				(unsigned long long)c->disasm[i].addr, c->disasm[i].bytes, c->disasm[i].text);
		/* abort()/assert: the registers are libc's pthread_kill's, not the caller's (JSON keeps them) */
		bool libc_regs = c->kind && (strcmp(c->kind, "abort") == 0 || strcmp(c->kind, "assert") == 0);
		for (size_t i = 0; i < c->nregs && !libc_regs; i++)
			fprintf(out, "%-7s 0x%016llx%s", c->regs[i].name, (unsigned long long)c->regs[i].value,
				(i % 3 == 2 || i + 1 == c->nregs) ? "\n" : "   ");
	}

	if (r->nwaits) {
		/* kernel tasks are pids; the holder of a read-held rwsem is only the kernel's hint */
		const char *unit = r->kernel.present ? "pid" : "thread", *units = r->kernel.present ? "tasks" : "threads";
		fprintf(out, "\n== lock waits ==\n");
		for (size_t c = 0; c < r->ncycles; c++) {
			const struct rpt_cycle *cy = &r->cycles[c];
			fprintf(out, "DEADLOCK cycle %zu (%zu %s):\n", c + 1, cy->n, units);
			for (size_t k = 0; k < cy->n; k++) {
				const struct rpt_wait *w = &r->waits[cy->waits[k]];
				const struct rpt_thread *t = &r->threads[w->thread];
				fprintf(out, "  %s %lld", unit, (long long)t->tid);
				if (r->kernel.present)
					fprintf(out, " \"%s\"", t->name ? t->name : "?");
				fprintf(out, " -> %s%s%s%s 0x%llx%s%s%s -> held by %s%s %lld\n      waits at %s\n",
					lock_kind_name(w->kind),
					w->mode ? " (" : "", w->mode ? w->mode : "", w->mode ? ")" : "",
					(unsigned long long)w->object, w->object_name ? " <" : "",
					w->object_name ? w->object_name : "", w->object_name ? ">" : "",
					w->owner_hint ? "readers, last taken by " : "", unit, (long long)w->owner_tid,
					w->frame ? w->frame : "?");
			}
		}
		/* other waits, identical (state, frame) pairs merged unless --all-threads */
		for (size_t k = 0; k < r->nwaits; k++) {
			const struct rpt_wait *w = &r->waits[k];
			const struct rpt_thread *t = &r->threads[w->thread];
			const char *state = t->state ? t->state : lock_kind_name(w->kind), *frame = w->frame ? w->frame : "?";
			if (w->in_cycle || (!all && same_wait_before(r, k)))
				continue;
			size_t n = 0;
			for (size_t j = k; j < r->nwaits && !all; j++)
				n += !r->waits[j].in_cycle && same_wait(r, j, k);
			if (n > 1) {
				fprintf(out, "%zu %s: %s\n      waits at %s\n      %s: ", n, units, state, frame,
					r->kernel.present ? "pids" : "threads");
				size_t shown = 0;
				for (size_t j = k; j < r->nwaits && shown < 16; j++)
					if (!r->waits[j].in_cycle && same_wait(r, j, k))
						fprintf(out, "%s%lld", shown++ ? ", " : "", (long long)r->threads[r->waits[j].thread].tid);
				fprintf(out, "%s\n", n > shown ? ", ..." : "");
			} else {
				fprintf(out, "%s %lld", unit, (long long)t->tid);
				if (r->kernel.present)
					fprintf(out, " \"%s\"", t->name ? t->name : "?");
				fprintf(out, ": %s\n      waits at %s\n", state, frame);
			}
		}
	}

	if (r->kernel.present) {
		print_kernel_events(out, r);
		struct ck_error *err = print_kernel_tasks(out, r, all);
		if (err)
			return err;
	}
	if (!r->kernel.present && (!zdump || p->present))
		fprintf(out, "\n== threads (%zu, %zu distinct stack%s) ==\n", r->nthreads, r->ngroups,
			r->ngroups == 1 ? "" : "s");
	for (size_t i = 0; i < r->nthreads && !r->kernel.present; i++) {
		const struct rpt_thread *t = &r->threads[i];
		const struct rpt_group *g = t->group >= 0 ? &r->groups[t->group] : NULL;
		if (!all && g && g->threads[0] != i)
			continue;
		fprintf(out, "\nthread %lld%s", (long long)t->tid, t->crashed ? " [crashed]" : "");
		if (t->name)
			fprintf(out, " \"%s\"", t->name);
		if (!all && g && g->n > 1) {
			fprintf(out, " - %zu threads like this: ", g->n);
			print_tid_list(out, r, g);
		}
		fprintf(out, "\n");
		bool same_state = true;	/* a group's state is shown when all members share it */
		for (size_t k = 1; !all && g && k < g->n && same_state; k++)
			same_state = streq(r->threads[g->threads[k]].state, t->state);
		if (t->state && same_state)
			fprintf(out, "  state: %s\n", t->state);
		print_frames(out, t);
	}
	if (zdump && r->nevents)
		text_log_events(out, r);

	if (r->signature.present) {
		fprintf(out, "\n== signature ==\n%s %s, from:\n", r->signature.kind, r->signature.hash);
		for (size_t i = 0; i < r->signature.nframes; i++)
			fprintf(out, "  %s\n", r->signature.frames[i]);
	}

	if (opt && opt->show_modules) {
		fprintf(out, "\n== modules (%zu) ==\n", r->nmodules);
		for (size_t i = 0; i < r->nmodules; i++) {
			const struct rpt_module *m = &r->modules[i];
			fprintf(out, "0x%016llx-0x%016llx %-7s %s %s%s%s\n", (unsigned long long)m->start,
				(unsigned long long)m->end, m->symbols, m->build_id ? m->build_id : "-",
				m->name ? m->name : "?", m->debug_file ? " debug=" : "",
				m->debug_file ? m->debug_file : "");
		}
	} else if (!zdump || p->present) {
		size_t nosym = 0;
		for (size_t i = 0; i < r->nmodules; i++)
			nosym += strcmp(r->modules[i].symbols, "dwarf") != 0;
		fprintf(out, "\nmodules: %zu (%zu without DWARF; --modules lists them)\n", r->nmodules, nosym);
	}
	if (r->bundle.present) {
		fprintf(out, "\n== logs ==\n");
		text_log_sources(out, r);
		text_log_events(out, r);
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(out, "warning: %s\n", r->warnings[i]);
	if (fflush(out) || ferror(out))
		return ck_error_errno(errno ? errno : EIO, "writing the report");
	return NULL;
}
