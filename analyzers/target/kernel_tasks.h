/*
 * kernel_tasks.h - every task of a Linux guest kernel, read from its memory:
 * the idle task of each CPU (rq->idle; only CPU 0's is on the task list),
 * then every thread of every thread group in task-list order
 * (init_task.tasks, then each leader's signal->thread_head).
 *
 * Every list walk is bounded (KTASKS_MAX) and loop-safe (a task seen twice
 * ends that walk); a fault in the middle gives a warning and the tasks read
 * so far, never a failure or a hang.
 */
#ifndef COREKIT_KERNEL_TASKS_H
#define COREKIT_KERNEL_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kernel_layout.h"
#include "memory.h"
#include "strlist.h"

enum { KTASKS_MAX = 1 << 20, KTASK_COMM_MAX = 64 };

struct ktask {
	uint64_t addr;			/* struct task_struct */
	int64_t pid, tgid;
	char comm[KTASK_COMM_MAX];
	uint32_t state;			/* __state | exit_state, as task_state_index() sees it */
	uint32_t raw_state;		/* __state alone, as the hung-task detector reads it */
	char state_letter;		/* as ps prints it: R S D T t X Z P I */
	uint32_t flags;			/* PF_* */
	int cpu;			/* the CPU it last ran on (or runs on) */
	bool on_cpu;			/* rq->curr of its CPU: running there now */
	bool idle;			/* a CPU's idle task (pid 0) */
	uint64_t stack;			/* task->stack: base of the kernel stack */
	uint64_t thread_sp;		/* task->thread.sp: the saved switch frame */
	uint64_t last_arrival_ns;	/* sched_info.last_arrival (rq clock), 0 unknown */
	/* The hung-task detector's own record (kernel/hung_task.c): the switch
	 * count it last saw and the jiffies when it saw it change; 0 unknown. */
	uint64_t last_switch_time, last_switch_count;
	bool has_hung_fields;		/* the kernel has last_switch_count/time and nvcsw/nivcsw */
	uint64_t nvcsw, nivcsw;
	int64_t since_ran_ns;		/* rq clock of its CPU - last_arrival; -1 unknown; 0 running */
};

struct kcpu {
	uint64_t rq;			/* per-CPU struct rq */
	uint64_t curr, idle;		/* task_structs */
	uint64_t clock_ns;		/* rq->clock */
};

struct ktask_list {
	struct ktask *tasks;
	size_t n, cap;
	struct kcpu *cpus;
	size_t ncpus;
	struct strlist warnings;	/* soft failures */
};

/* Symbols the walk needs, resolved by the caller (kallsyms or vmlinux). */
struct ktask_symbols {
	uint64_t init_task;
	uint64_t runqueues;		/* per-CPU offset of struct rq */
	uint64_t per_cpu_offset;	/* __per_cpu_offset[] */
};

/* Read every task; ncpus from the machine.  Errors are only CK_ERR_SYSTEM. */
struct ck_error *ktasks_read(const struct ck_memory *mem, const struct kernel_layout *l,
			     const struct ktask_symbols *sym, size_t ncpus, struct ktask_list *ret);
void ktasks_free(struct ktask_list *tl);

/* ps's letter for a task_state_index()-style state value. */
char ktask_state_letter(uint32_t state);

#endif
