/* render_dot.c - the wait-for graph as Graphviz: thread -> lock -> owner. */
#include "render.h"

#include <errno.h>
#include <string.h>

/* Label text: where a waiter waits, else the owner's innermost function. */
static void dot_escaped(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void thread_node(FILE *out, const struct report *r, int64_t tid, bool cycle, const char *where)
{
	long i = report_thread_by_tid(r, tid);
	const struct rpt_thread *t = i >= 0 ? &r->threads[i] : NULL;
	/* an owner's place: its first frame outside the scheduler (kernel tasks sleep in __schedule) */
	for (size_t f = 0; !where && t && f < t->nframes; f++)
		if (!r->kernel.present || (t->frames[f].function && !strstr(t->frames[f].function, "schedule")))
			where = t->frames[f].function ? t->frames[f].function : rpt_frame_top_name(&t->frames[f]);
	fprintf(out, "  t%lld [shape=box%s label=\"%s %lld", (long long)tid, cycle ? " color=red penwidth=2" : "",
		r->kernel.present ? "pid" : "thread", (long long)tid);
	if (r->kernel.present && t) {
		fputs(" ", out);
		dot_escaped(out, t->name);
		if (t->task.state)
			fprintf(out, " [%c]", t->task.state);
	}
	fputs("\\n", out);
	dot_escaped(out, where);
	fprintf(out, "\"];\n");
}

struct ck_error *render_dot(FILE *out, const struct report *r)
{
	fprintf(out, "digraph waits {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
	/* nodes: every thread that waits or owns, every lock waited on */
	for (size_t k = 0; k < r->nwaits; k++) {
		const struct rpt_wait *w = &r->waits[k];
		thread_node(out, r, r->threads[w->thread].tid, w->in_cycle, w->frame);
		if (w->owner_tid > 0) {
			/* an owner that does not wait itself gets its node once */
			bool done = false;
			for (size_t j = 0; j < r->nwaits; j++)
				done |= r->threads[r->waits[j].thread].tid == w->owner_tid ||
					(j < k && r->waits[j].owner_tid == w->owner_tid);
			if (!done)
				thread_node(out, r, w->owner_tid, false, NULL);
		}
		if (w->kind != LOCK_JOIN) {
			bool seen = false;
			for (size_t j = 0; j < k; j++)
				seen |= r->waits[j].object == w->object && r->waits[j].kind != LOCK_JOIN;
			if (!seen)
				fprintf(out, "  l%llx [shape=ellipse label=\"%s\\n0x%llx%s%s\"];\n",
					(unsigned long long)w->object, lock_kind_name(w->kind), (unsigned long long)w->object,
					w->object_name ? "\\n" : "", w->object_name ? w->object_name : "");
		}
	}
	for (size_t k = 0; k < r->nwaits; k++) {
		const struct rpt_wait *w = &r->waits[k];
		const char *red = w->in_cycle ? " color=red penwidth=2" : "";
		long long tid = (long long)r->threads[w->thread].tid;
		if (w->kind == LOCK_JOIN) {
			if (w->owner_tid > 0)
				fprintf(out, "  t%lld -> t%lld [label=\"joins\"%s];\n", tid, (long long)w->owner_tid, red);
			continue;
		}
		fprintf(out, "  t%lld -> l%llx [label=\"waits\"%s];\n", tid, (unsigned long long)w->object, red);
		bool seen = false;
		for (size_t j = 0; j < k; j++)
			seen |= r->waits[j].object == w->object && r->waits[j].kind != LOCK_JOIN;
		if (!seen && w->owner_tid > 0)
			fprintf(out, "  l%llx -> t%lld [label=\"held by\"%s];\n", (unsigned long long)w->object,
				(long long)w->owner_tid, red);
	}
	fprintf(out, "}\n");
	if (fflush(out) || ferror(out))
		return ck_error_errno(errno ? errno : EIO, "writing the lock graph");
	return NULL;
}
