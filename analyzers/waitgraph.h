/*
 * waitgraph.h - the wait-for graph over report.waits, one module for every
 * lock kind (pthread objects in process cores, kernel locks in kernel images).
 *
 * Vertices are threads; a wait whose owner is known (rpt_wait.owner >= 0) is
 * an edge from the waiting thread to the owner.  Each thread waits for at
 * most one thing, so every vertex has at most one out-edge: the graph is
 * functional, every cycle is found by one walk per vertex, and every
 * waiting thread's path ends either in a cycle or at a root holder (an owner
 * that does not wait for anything recorded).  waitgraph_build() appends the
 * cycles to report.cycles (marking their waits in_cycle) and says, for every
 * thread, where its path ends; the analyzers turn that into their own words.
 */
#ifndef COREKIT_WAITGRAPH_H
#define COREKIT_WAITGRAPH_H

#include <stddef.h>

#include "error.h"
#include "report.h"

struct waitgraph {
	size_t n;		/* report.nthreads when built */
	long *wait_of;		/* per thread: its index in report.waits, -1 none */
	long *next;		/* per thread: the owner it waits for, -1 none */
	long *cycle;		/* per thread: the cycle its path runs into (index into report.cycles), -1 none */
	long *root;		/* per thread: the root holder its path ends at, -1 none (or in a cycle) */
};

/* A wait added more than once per thread keeps the first.  Errors: &ck_enomem. */
struct ck_error *waitgraph_build(struct report *r, struct waitgraph *g);
void waitgraph_free(struct waitgraph *g);

#endif
