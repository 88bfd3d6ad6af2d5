/* kernel_layout.c - the kernel target's structure offsets, by name through ktypes. */
#include "kernel_layout.h"

#include <string.h>

/* Offset of the first member path of alts[] that exists; KL_ABSENT if none. */
static struct ck_error *first_of(struct ktypes *t, const char *sname, const char *const *alts, uint64_t *off)
{
	*off = KL_ABSENT;
	for (; *alts; alts++) {
		int has = 0;
		struct ck_error *err = ktypes_has_member(t, sname, *alts, &has);
		if (err)
			return err;
		if (has)
			return ktypes_offsetof(t, sname, *alts, off);
	}
	return NULL;
}

#define ALTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* A member that must exist. */
static struct ck_error *need(struct ktypes *t, const char *sname, const char *member, uint64_t *off)
{
	return ktypes_offsetof(t, sname, member, off);
}

static struct ck_error *module_layout(struct kernel_layout *l, struct ktypes *t)
{
	struct kallsyms_module_layout *m = &l->module;
	uint64_t v = 0;
	struct ck_error *err;
	memset(m, 0, sizeof(*m));
	if ((err = need(t, "module", "list", &m->list)) || (err = need(t, "module", "name", &m->name)) ||
	    (err = ktypes_member_size(t, "module", "name", &v)) ||
	    (err = need(t, "module", "kallsyms", &m->kallsyms)))
		return err;
	m->name_len = (int)v;
	/* 6.4+: mem[MOD_TEXT]; before: core_layout. */
	if ((err = first_of(t, "module", ALTS("mem[MOD_TEXT].base", "core_layout.base"), &m->text_base)))
		return err;
	if ((err = first_of(t, "module", ALTS("mem[MOD_TEXT].size", "core_layout.text_size"), &m->text_size)))
		return err;
	if (m->text_base == KL_ABSENT || m->text_size == KL_ABSENT)
		return ck_error_create(CK_ERR_INPUT, "struct module has neither mem[MOD_TEXT] nor core_layout");
	uint64_t a, b, c;
	if ((err = first_of(t, "module", ALTS("arch.orc_unwind_ip"), &a)) ||
	    (err = first_of(t, "module", ALTS("arch.orc_unwind"), &b)) ||
	    (err = first_of(t, "module", ALTS("arch.num_orcs"), &c)))
		return err;
	m->orc_unwind_ip = a == KL_ABSENT ? -1 : (int64_t)a;
	m->orc_unwind = b == KL_ABSENT ? -1 : (int64_t)b;
	m->num_orcs = c == KL_ABSENT ? -1 : (int64_t)c;
	if ((err = need(t, "mod_kallsyms", "symtab", &m->ks_symtab)) ||
	    (err = need(t, "mod_kallsyms", "num_symtab", &m->ks_num_symtab)) ||
	    (err = need(t, "mod_kallsyms", "strtab", &m->ks_strtab)))
		return err;
	if ((err = first_of(t, "mod_kallsyms", ALTS("typetab"), &a)))
		return err;
	m->ks_typetab = a == KL_ABSENT ? -1 : (int64_t)a;
	return NULL;
}

struct ck_error *kernel_layout_init(struct kernel_layout *l, struct ktypes *t)
{
	struct ck_error *err;
	memset(l, 0, sizeof(*l));
	const char *ts = "task_struct";
	if ((err = ktypes_sizeof(t, ts, &l->task_size)) ||
	    (err = need(t, ts, "tasks", &l->task_tasks)) || (err = need(t, ts, "pid", &l->task_pid)) ||
	    (err = need(t, ts, "tgid", &l->task_tgid)) || (err = need(t, ts, "comm", &l->task_comm)) ||
	    (err = ktypes_member_size(t, ts, "comm", &l->task_comm_len)) ||
	    (err = need(t, ts, "exit_state", &l->task_exit_state)) || (err = need(t, ts, "flags", &l->task_flags)) ||
	    (err = need(t, ts, "stack", &l->task_stack)) || (err = need(t, ts, "thread.sp", &l->task_thread_sp)) ||
	    (err = need(t, ts, "signal", &l->task_signal)) || (err = need(t, ts, "thread_node", &l->task_thread_node)) ||
	    (err = first_of(t, ts, ALTS("__state", "state"), &l->task_state)) ||
	    (err = first_of(t, ts, ALTS("thread_info.cpu", "cpu"), &l->task_cpu)) ||
	    (err = first_of(t, ts, ALTS("on_cpu"), &l->task_on_cpu)) ||
	    (err = first_of(t, ts, ALTS("last_switch_time"), &l->task_last_switch_time)) ||
	    (err = first_of(t, ts, ALTS("last_switch_count"), &l->task_last_switch_count)) ||
	    (err = first_of(t, ts, ALTS("nvcsw"), &l->task_nvcsw)) ||
	    (err = first_of(t, ts, ALTS("nivcsw"), &l->task_nivcsw)) ||
	    (err = first_of(t, ts, ALTS("sched_info.last_arrival"), &l->task_last_arrival)) ||
	    (err = need(t, "signal_struct", "thread_head", &l->signal_thread_head)) ||
	    (err = need(t, "rq", "curr", &l->rq_curr)) || (err = need(t, "rq", "idle", &l->rq_idle)) ||
	    (err = need(t, "rq", "clock", &l->rq_clock)))
		return ck_error_prefix(err, "kernel types (%s)", ktypes_source(t));
	if (l->task_state == KL_ABSENT || l->task_cpu == KL_ABSENT)
		return ck_error_create(CK_ERR_INPUT, "kernel types (%s): task_struct has no __state/state or cpu",
				       ktypes_source(t));
	/* x86-64 THREAD_SIZE is 16 KiB (32 KiB with KASAN); the kernel exports no constant for it. */
	l->thread_size = 16384;
	err = module_layout(l, t);
	if (err && err->kind != CK_ERR_INPUT)
		return err;
	l->module_ok = !err;
	ck_error_destroy(err);
	return NULL;
}
