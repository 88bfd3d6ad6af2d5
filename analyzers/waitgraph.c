/* waitgraph.c - cycles and chain ends of the wait-for graph (waitgraph.h). */
#include "waitgraph.h"

#include <stdlib.h>

void waitgraph_free(struct waitgraph *g)
{
	free(g->wait_of);
	free(g->next);
	free(g->cycle);
	free(g->root);
	*g = (struct waitgraph){ 0 };
}

static struct ck_error *add_cycle(struct report *r, struct waitgraph *g, size_t v)
{
	size_t len = 0, u = v, start = v;
	do {
		len++;
		if ((size_t)g->next[u] < start)
			start = (size_t)g->next[u];
		u = (size_t)g->next[u];
	} while (u != v);
	struct rpt_cycle *cy = realloc(r->cycles, (r->ncycles + 1) * sizeof(*cy));
	if (!cy)
		return &ck_enomem;
	r->cycles = cy;
	cy = &r->cycles[r->ncycles];
	cy->n = 0;
	if (!(cy->waits = malloc(len * sizeof(size_t))))
		return &ck_enomem;
	long c = (long)r->ncycles++;
	/* start at the smallest thread index for a stable order */
	u = start;
	do {
		cy->waits[cy->n++] = (size_t)g->wait_of[u];
		r->waits[g->wait_of[u]].in_cycle = true;
		g->cycle[u] = c;
		u = (size_t)g->next[u];
	} while (u != start);
	return NULL;
}

struct ck_error *waitgraph_build(struct report *r, struct waitgraph *g)
{
	size_t n = r->nthreads;
	*g = (struct waitgraph){ .n = n };
	g->wait_of = malloc((n + 1) * sizeof(long));
	g->next = malloc((n + 1) * sizeof(long));
	g->cycle = malloc((n + 1) * sizeof(long));
	g->root = malloc((n + 1) * sizeof(long));
	unsigned char *mark = calloc(n + 1, 1);
	if (!g->wait_of || !g->next || !g->cycle || !g->root || !mark) {
		free(mark);
		waitgraph_free(g);
		return &ck_enomem;
	}
	for (size_t i = 0; i < n; i++)
		g->wait_of[i] = g->next[i] = g->cycle[i] = g->root[i] = -1;
	for (size_t k = 0; k < r->nwaits; k++) {
		const struct rpt_wait *w = &r->waits[k];
		if (w->thread >= n || g->wait_of[w->thread] >= 0)
			continue;
		g->wait_of[w->thread] = (long)k;
		if (w->owner >= 0 && (size_t)w->owner < n)
			g->next[w->thread] = w->owner;
	}

	/* 1. cycles: mark 1 = on the current walk, 2 = done */
	struct ck_error *err = NULL;
	for (size_t s = 0; s < n && !err; s++) {
		size_t v = s;
		while (!mark[v]) {
			mark[v] = 1;
			if (g->next[v] < 0)
				break;
			v = (size_t)g->next[v];
		}
		if (mark[v] == 1 && g->next[v] >= 0)
			err = add_cycle(r, g, v);	/* the walk met itself at v */
		for (v = s; mark[v] == 1; v = (size_t)g->next[v]) {
			mark[v] = 2;
			if (g->next[v] < 0)
				break;
		}
	}
	free(mark);
	if (err) {
		waitgraph_free(g);
		return err;
	}

	/* 2. where each path ends: memoised, resolved outwards from the ends */
	size_t *path = malloc((n + 1) * sizeof(size_t));
	if (!path) {
		waitgraph_free(g);
		return &ck_enomem;
	}
	unsigned char *done = calloc(n + 1, 1);
	if (!done) {
		free(path);
		waitgraph_free(g);
		return &ck_enomem;
	}
	for (size_t i = 0; i < n; i++)
		if (g->cycle[i] >= 0)
			done[i] = 1;
	for (size_t s = 0; s < n; s++) {
		size_t len = 0, v = s;
		while (!done[v] && g->next[v] >= 0 && len < n) {
			path[len++] = v;
			v = (size_t)g->next[v];
		}
		/* v is an end (no out-edge), a cycle member or an already-resolved vertex */
		long cyc = g->cycle[v], root = -1;	/* cyc: a member, or a path into a cycle */
		if (cyc < 0 && done[v] && g->next[v] >= 0)
			root = g->root[v];
		else if (cyc < 0 && len)
			root = (long)v;			/* a holder that waits for nothing */
		if (g->next[v] < 0)
			done[v] = 1;
		while (len--) {
			size_t u = path[len];
			g->cycle[u] = cyc;
			g->root[u] = root;
			done[u] = 1;
		}
	}
	free(path);
	free(done);
	return NULL;
}
