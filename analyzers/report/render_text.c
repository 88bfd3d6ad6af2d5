/* render_text.c - the human-readable report (default output). */
#include "render.h"

#include <errno.h>
#include <string.h>

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void print_loc(FILE *out, const char *file, int line)
{
	if (file && line)
		fprintf(out, " (%s:%d)", base_name(file), line);
	else if (file)
		fprintf(out, " (%s)", base_name(file));
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
		if (f->module)
			fprintf(out, " in %s+0x%llx", f->module, (unsigned long long)f->module_offset);
		fprintf(out, "  [%s]\n", frame_trust_name(f->trust));
	}
	if (t->incomplete)
		fprintf(out, "  ... (unwinding stopped here)\n");
	if (t->unwind_error)
		fprintf(out, "  (no frames: %s)\n", t->unwind_error);
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
	       strcmp(a->kind, b->kind) == 0;
}

static bool same_wait_before(const struct report *r, size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (!r->waits[j].in_cycle && same_wait(r, j, k))
			return true;
	return false;
}

struct ck_error *render_text(FILE *out, const struct report *r, const struct render_options *opt)
{
	const struct rpt_process *p = &r->process;
	bool all = opt && opt->all_threads;
	fprintf(out, "coresummary: %s (%s, %zu thread%s)\n", r->input ? r->input : "?",
		r->target_kind ? r->target_kind : "?", r->nthreads, r->nthreads == 1 ? "" : "s");
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

	fprintf(out, "\n== verdict ==\n");
	if (!r->nfindings && r->target_kind && strcmp(r->target_kind, "kernel-image") == 0)
		fprintf(out, "no verdict: kernel images get vCPU state only so far (see the warning below)\n");
	else if (!r->nfindings)
		fprintf(out, "no crash, no deadlock, no blocked lock waits found\n");
	for (size_t i = 0; i < r->nfindings; i++)
		fprintf(out, "%s: %s\n", r->findings[i].kind, r->findings[i].summary);

	if (r->crash.present) {
		const struct rpt_crash *c = &r->crash;
		fprintf(out, "\n== crash: thread %lld ==\n", (long long)r->threads[c->thread].tid);
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
		fprintf(out, "\n== lock waits ==\n");
		for (size_t c = 0; c < r->ncycles; c++) {
			const struct rpt_cycle *cy = &r->cycles[c];
			fprintf(out, "DEADLOCK cycle %zu (%zu threads):\n", c + 1, cy->n);
			for (size_t k = 0; k < cy->n; k++) {
				const struct rpt_wait *w = &r->waits[cy->waits[k]];
				fprintf(out, "  thread %lld -> %s 0x%llx%s%s%s -> held by thread %lld\n      waits at %s\n",
					(long long)r->threads[w->thread].tid, w->kind, (unsigned long long)w->object,
					w->object_name ? " <" : "", w->object_name ? w->object_name : "",
					w->object_name ? ">" : "", (long long)w->owner_tid, w->frame ? w->frame : "?");
			}
		}
		/* other waits, identical (state, frame) pairs merged unless --all-threads */
		for (size_t k = 0; k < r->nwaits; k++) {
			const struct rpt_wait *w = &r->waits[k];
			const struct rpt_thread *t = &r->threads[w->thread];
			const char *state = t->state ? t->state : w->kind, *frame = w->frame ? w->frame : "?";
			if (w->in_cycle || (!all && same_wait_before(r, k)))
				continue;
			size_t n = 0;
			for (size_t j = k; j < r->nwaits && !all; j++)
				n += !r->waits[j].in_cycle && same_wait(r, j, k);
			if (n > 1) {
				fprintf(out, "%zu threads: %s\n      waits at %s\n      threads: ", n, state, frame);
				size_t shown = 0;
				for (size_t j = k; j < r->nwaits && shown < 16; j++)
					if (!r->waits[j].in_cycle && same_wait(r, j, k))
						fprintf(out, "%s%lld", shown++ ? ", " : "", (long long)r->threads[r->waits[j].thread].tid);
				fprintf(out, "%s\n", n > shown ? ", ..." : "");
			} else {
				fprintf(out, "thread %lld: %s\n      waits at %s\n", (long long)t->tid, state, frame);
			}
		}
	}

	fprintf(out, "\n== threads (%zu, %zu distinct stack%s) ==\n", r->nthreads, r->ngroups,
		r->ngroups == 1 ? "" : "s");
	for (size_t i = 0; i < r->nthreads; i++) {
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
	} else {
		size_t nosym = 0;
		for (size_t i = 0; i < r->nmodules; i++)
			nosym += strcmp(r->modules[i].symbols, "dwarf") != 0;
		fprintf(out, "\nmodules: %zu (%zu without DWARF; --modules lists them)\n", r->nmodules, nosym);
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(out, "warning: %s\n", r->warnings[i]);
	if (fflush(out) || ferror(out))
		return ck_error_errno(errno ? errno : EIO, "writing the report");
	return NULL;
}
