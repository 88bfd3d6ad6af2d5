/*
 * test_report.c - renderers on a hand-built report: JSON schema rules
 * (version, nulls, 0x-padded hex addresses, escaping, well-formedness),
 * the text verdict/threads/crash sections and the dot graph.
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "report.h"
#include "unit.h"

static char *render(int which, const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct render_options o = { false, true, "coresummary test" };
	struct ck_error *err = which == 0 ? render_json(f, r, &o) : which == 1 ? render_text(f, r, &o) : render_dot(f, r);
	fclose(f);
	if (err) {
		ck_error_destroy(err);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Minimal JSON well-formedness: balanced brackets outside strings, valid escapes. */
static bool json_ok(const char *s)
{
	int depth = 0;
	bool in = false;
	for (const char *p = s; *p; p++) {
		if (in) {
			if (*p == '\\') {
				p++;
				if (!strchr("\"\\/bfnrtu", *p))
					return false;
			} else if (*p == '"') {
				in = false;
			} else if ((unsigned char)*p < 0x20) {
				return false;
			}
			continue;
		}
		if (*p == '"')
			in = true;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		if (depth < 0)
			return false;
	}
	return depth == 0 && !in;
}

static void build(struct report *r)
{
	report_init(r);
	r->input = "test.core";
	r->target_kind = "process-core";
	r->process.present = true;
	r->process.pid = 77;
	r->process.executable = strdup("/bin/prog");
	r->process.signo = 11;
	r->process.has_code = true;
	r->process.si_code = 1;
	r->process.has_addr = true;
	r->process.si_addr = 0x10;
	r->nthreads = 2;
	r->threads = calloc(2, sizeof(*r->threads));
	for (int i = 0; i < 2; i++) {
		struct rpt_thread *t = &r->threads[i];
		t->tid = 77 + i;
		t->group = i;
		t->frames = calloc(1, sizeof(*t->frames));
		t->nframes = 1;
		t->frames[0].pc = 0x4011d0 + (uint64_t)i;
		t->frames[0].trust = TRUST_CONTEXT;
		t->frames[0].module = strdup("prog");
		t->frames[0].module_offset = 0x11d0;
		t->frames[0].function = strdup(i ? "weird\"name\n" : "sum_list");
		t->frames[0].has_function_offset = true;
		t->frames[0].function_offset = 7;
		t->frames[0].file = strdup("/src/crash.c");
		t->frames[0].line = 18;
		if (!i) {
			t->frames[0].inlines = calloc(1, sizeof(struct rpt_inline));
			t->frames[0].ninlines = 1;
			t->frames[0].inlines[0].function = strdup("node_value");
			t->frames[0].inlines[0].file = strdup("/src/crash.c");
			t->frames[0].inlines[0].line = 13;
		}
	}
	r->threads[0].crashed = true;
	r->ngroups = 2;
	r->groups = calloc(2, sizeof(*r->groups));
	for (size_t g = 0; g < 2; g++) {
		r->groups[g].threads = malloc(sizeof(size_t));
		r->groups[g].threads[0] = g;
		r->groups[g].n = 1;
	}
	r->crash.present = true;
	r->crash.kind = "null-deref";
	r->crash.reason = strdup("NULL pointer dereference");
	r->crash.pc = 0x4011d0;
	r->crash.instruction = strdup("mov eax, dword ptr [rax + 0x10]");
	struct rpt_wait *w = report_add_wait(r);
	w->thread = 1;
	w->kind = LOCK_MUTEX;
	w->futex = w->object = 0x601040;
	w->owner = 1;
	w->owner_tid = 78;
	w->frame = strdup("worker (w.c:3)");
	w->in_cycle = true;
	r->cycles = calloc(1, sizeof(*r->cycles));
	r->ncycles = 1;
	r->cycles[0].waits = calloc(1, sizeof(size_t));
	r->cycles[0].n = 1;
	report_add_finding(r, "crash", "thread %d crashed", 77);
	report_add_finding(r, "deadlock", "1 thread in a cycle");
	report_warn(r, "analyzer x: %s", "could not read");
}

int main(void)
{
	struct unit u = { 0 };
	struct report r;
	build(&r);

	UNIT_BEGIN(&u, "report json schema rules");
	char *j = render(0, &r);
	CHECK(&u, j != NULL);
	if (j) {
		CHECK(&u, strncmp(j, "{\"schema\":\"corekit.coresummary\",\"schema_version\":2,", 51) == 0);
		CHECK(&u, json_ok(j));
		CHECK(&u, strstr(j, "\"pc\":\"0x00000000004011d0\""));
		CHECK(&u, strstr(j, "\"address\":\"0x0000000000000010\""));
		CHECK(&u, strstr(j, "\"code_name\":\"SEGV_MAPERR\""));
		CHECK(&u, strstr(j, "\"weird\\\"name\\n\""));
		CHECK(&u, strstr(j, "\"inlines\":[{\"function\":\"node_value\""));
		CHECK(&u, strstr(j, "\"assertion\":null"));
		CHECK(&u, strstr(j, "\"signature\":null"));
		CHECK(&u, strstr(j, "\"cycles\":[{\"tids\":[78],\"objects\":[\"0x0000000000601040\"]"));
		CHECK(&u, strstr(j, "\"trust\":\"context\""));
		CHECK(&u, strstr(j, "\"warnings\":[\"analyzer x: could not read\"]"));
	}
	free(j);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "report text sections");
	char *t = render(1, &r);
	CHECK(&u, t != NULL);
	if (t) {
		CHECK(&u, strstr(t, "== verdict ==\ncrash: thread 77 crashed\ndeadlock: 1 thread in a cycle\n"));
		CHECK(&u, strstr(t, "signal:   SIGSEGV (11) SEGV_MAPERR, fault address 0x10"));
		CHECK(&u, strstr(t, "node_value (crash.c:13)  [inline]"));
		CHECK(&u, strstr(t, "sum_list+0x7 (crash.c:18) in [prog]+0x11d0  [context]"));
		CHECK(&u, strstr(t, "DEADLOCK cycle 1 (1 threads)"));
		CHECK(&u, strstr(t, "thread 77 [crashed]"));
		CHECK(&u, strstr(t, "warning: analyzer x: could not read"));
	}
	free(t);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "report dot graph");
	char *d = render(2, &r);
	CHECK(&u, d && strncmp(d, "digraph waits {", 15) == 0);
	CHECK(&u, d && strstr(d, "t78 -> l601040 [label=\"waits\" color=red penwidth=2]"));
	CHECK(&u, d && strstr(d, "l601040 -> t78 [label=\"held by\""));
	free(d);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "report helpers");
	CHECK(&u, report_thread_by_tid(&r, 78) == 1 && report_thread_by_tid(&r, 5) == -1);
	char *desc = rpt_frame_describe(&r.threads[0].frames[0]);
	CHECK(&u, desc && strcmp(desc, "node_value (crash.c:13)") == 0);
	free(desc);
	CHECK(&u, strcmp(signal_name(6), "SIGABRT") == 0 && signal_name(99) == NULL);
	CHECK(&u, strcmp(si_code_name(11, 2), "SEGV_ACCERR") == 0 && strcmp(si_code_name(6, -6), "SI_TKILL") == 0);
	report_deinit(&r);
	struct report empty;
	report_init(&empty);
	char *e = render(0, &empty);
	CHECK(&u, e && json_ok(e) && strstr(e, "\"process\":null") && strstr(e, "\"threads\":[]"));
	free(e);
	report_deinit(&empty);
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
