/*
 * kernel_layout.h - every structure offset the kernel target needs, looked
 * up once by name through ktypes (BTF or DWARF), never hard-coded, so one
 * binary reads Linux 6.1 and 6.12 alike.  Members that a version lacks are
 * KL_ABSENT and the readers fall back (task_struct.__state vs .state,
 * module.core_layout vs module.mem[MOD_TEXT], thread_info.cpu vs task.cpu).
 */
#ifndef COREKIT_KERNEL_LAYOUT_H
#define COREKIT_KERNEL_LAYOUT_H

#include <stdint.h>

#include "error.h"
#include "kallsyms.h"
#include "ktypes.h"

#define KL_ABSENT UINT64_MAX

struct kernel_layout {
	/* struct task_struct */
	uint64_t task_size;
	uint64_t task_tasks, task_pid, task_tgid, task_comm, task_comm_len;
	uint64_t task_state;		/* __state (5.14+) or state */
	uint64_t task_exit_state, task_flags, task_stack, task_thread_sp;
	uint64_t task_cpu;		/* thread_info.cpu (5.16+) or cpu */
	uint64_t task_on_cpu;
	uint64_t task_signal, task_thread_node;
	uint64_t task_last_switch_time, task_last_switch_count;	/* KL_ABSENT without hung-task support */
	uint64_t task_nvcsw, task_nivcsw;
	uint64_t task_last_arrival;	/* sched_info.last_arrival, KL_ABSENT without SCHED_INFO */
	/* struct signal_struct */
	uint64_t signal_thread_head;
	/* struct rq */
	uint64_t rq_curr, rq_idle, rq_clock;
	/* stack size: THREAD_SIZE, from the kernel's own constant when it has one */
	uint64_t thread_size;
	/* struct module and struct mod_kallsyms, in the form kallsyms takes them */
	struct kallsyms_module_layout module;
	int module_ok;			/* 0: the module layout could not be found */
};

/* Fill l from t; a missing required member is CK_ERR_INPUT naming it. */
struct ck_error *kernel_layout_init(struct kernel_layout *l, struct ktypes *t);

#endif
