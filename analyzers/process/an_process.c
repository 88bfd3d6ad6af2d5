/* an_process.c - executable, command line, pid, fatal signal, modules. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const char *status_name(enum sym_status s)
{
	return s == SYM_DWARF ? "dwarf" : s == SYM_SYMTAB ? "symtab" : "none";
}

static struct ck_error *process_run(struct target *t, const struct analyzer_options *opt,
				    struct report *r)
{
	(void)opt;
	const struct target_process *p = t->ops->process ? t->ops->process(t) : NULL;
	if (p) {
		struct rpt_process *rp = &r->process;
		rp->present = true;
		rp->pid = p->pid;
		rp->executable = dup_or_null(p->executable);
		rp->command_line = dup_or_null(p->command_line);
		if ((p->executable && !rp->executable) || (p->command_line && !rp->command_line))
			return &ck_enomem;
		rp->signo = p->has_siginfo ? p->si_signo : p->cursig;
		if (p->has_siginfo) {
			rp->has_code = true;
			rp->si_code = p->si_code;
			/* si_addr is meaningful only for faults raised by the kernel */
			rp->has_addr = p->si_code > 0 && (p->si_signo == LSIG_SEGV || p->si_signo == LSIG_BUS ||
							   p->si_signo == LSIG_ILL || p->si_signo == LSIG_FPE ||
							   p->si_signo == LSIG_TRAP);
			rp->si_addr = p->si_addr;
			rp->sender_pid = p->si_pid;
		}
	}
	const struct sym_module *mods;
	size_t n;
	struct ck_error *err = sym_modules(t->ops->symbols(t), &mods, &n);
	if (err)
		return err;
	r->modules = calloc(n ? n : 1, sizeof(*r->modules));
	if (!r->modules)
		return &ck_enomem;
	for (size_t i = 0; i < n; i++) {
		struct rpt_module *m = &r->modules[r->nmodules++];
		m->name = dup_or_null(mods[i].name);
		m->path = dup_or_null(mods[i].path);
		m->debug_file = dup_or_null(mods[i].debug_file);
		m->build_id = dup_or_null(mods[i].build_id);
		m->start = mods[i].start;
		m->end = mods[i].end;
		m->symbols = status_name(mods[i].status);
		if ((mods[i].name && !m->name) || (mods[i].path && !m->path) ||
		    (mods[i].debug_file && !m->debug_file) || (mods[i].build_id && !m->build_id))
			return &ck_enomem;
	}
	/* what the target could not find: the reason for every `??` frame */
	const char *const *warns = NULL;
	size_t nw = 0;
	if (t->ops->warnings && (err = t->ops->warnings(t, &warns, &nw)))
		return err;
	for (size_t i = 0; i < nw; i++)
		if ((err = report_warn(r, "%s", warns[i])))
			return err;
	return NULL;
}

const struct analyzer analyzer_process = {
	.name = "process",
	.summary = "executable, command line, pid, fatal signal, modules with build-ids and symbol status",
	.targets = TARGET_PROCESS_CORE,
	.run = process_run,
};
