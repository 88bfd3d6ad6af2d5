/*
 * test_klog_guest.c - the printk ring of the real Debian guest from
 * testdata/guest.sh small, read through machine_open -> linux_kernel_detect
 * -> kernel_memory -> klog_read, checked against what the guest itself
 * printed on its serial console: every "[ seconds] text" console line is a
 * line of the ring, in the same order.  The kernel-text events found in the
 * ring (klog_events) are checked against the guest's info file (the pids of
 * the module's hung-task reports).
 *
 *   test_klog_guest                   run the checks (protocol: ok/FAIL lines)
 *   test_klog_guest --dmesg [--level] print the ring like crash's `log` [-m]
 *   test_klog_guest --events [FILE]   print the events of the ring (or of FILE), one a line
 *                                     (tests/integration/klog.sh diffs both with crash)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "kernel_memory.h"
#include "klog.h"
#include "klog_events.h"
#include "linux_kernel.h"
#include "unit.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(4 << 20);
	size_t n = buf ? fread(buf, 1, (4 << 20) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* Where a "[%5lu.%06lu] " console prefix starts in line, or NULL. */
static const char *console_prefix(const char *line)
{
	for (const char *p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		const char *q = p + 1;
		while (*q == ' ')
			q++;
		const char *d = q;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q == d || *q != '.')
			continue;
		const char *f = ++q;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q - f == 6 && q[0] == ']' && q[1] == ' ')
			return p;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The ring as console lines: every line of every record with its record's prefix. */
static char **ring_lines(const struct klog *log, size_t *n_ret)
{
	size_t n = 0, cap = 1024;
	char **v = malloc(cap * sizeof(*v));
	for (size_t i = 0; v && i < log->n; i++) {
		const struct klog_record *r = &log->recs[i];
		const char *p = r->text, *end = r->text + r->text_len;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t ll = (size_t)((nl ? nl : end) - p);
			if (n == cap)
				v = realloc(v, (cap *= 2) * sizeof(*v));
			char *s = malloc(ll + 32);
			snprintf(s, ll + 32, "[%5" PRIu64 ".%06" PRIu64 "] %.*s", r->ts_nsec / 1000000000u,
				 r->ts_nsec % 1000000000u / 1000u, (int)ll, p);
			v[n++] = s;
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	*n_ret = n;
	return v;
}

/* One line per event with every field, for diffs between sources. */
static void print_events(const struct klog_events *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct klog_event *v = &e->ev[i];
		printf("%s line=%ld time=%s pid=%ld comm=%s cpu=%d dur=%g ip=%s module=%s summary=%s frames=",
		       v->kind, v->line_no, v->time ? v->time : "-", v->pid, v->comm ? v->comm : "-", v->cpu,
		       v->duration_s, v->ip ? v->ip : "-", v->module ? v->module : "-", v->summary);
		for (size_t f = 0; f < v->nframes; f++)
			printf("%s%s", f ? "," : "", v->frames[f]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	struct unit u = { 0 };
	int dmesg = argc > 1 && !strcmp(argv[1], "--dmesg");
	int with_level = argc > 2 && !strcmp(argv[2], "--level");
	int events = argc > 1 && !strcmp(argv[1], "--events");
	if (events && argc > 2) {
		size_t flen = 0;
		char *text = slurp(argv[2], &flen);
		struct klog_events *e = NULL;
		struct ck_error *err = text ? klog_events_parse(text, flen, &e) : NULL;
		if (e)
			print_events(e);
		klog_events_destroy(e);
		free(text);
		ck_error_destroy(err);
		return e ? 0 : 1;
	}
	const char *root = getenv("COREKIT_ROOT");
	char cmd[4096], gdir[2048] = "", path[4096];
	snprintf(cmd, sizeof(cmd), "'%s/testdata/guest.sh' small", root ? root : ".");
	FILE *p = popen(cmd, "r");
	if (p && fgets(gdir, sizeof(gdir), p))
		gdir[strcspn(gdir, "\n")] = 0;
	int rc = p ? pclose(p) : -1;
	if (rc != 0 || !gdir[0]) {
		printf("FAIL klog_guest_available: testdata/guest.sh small failed\n");
		return 1;
	}

	struct machine m;
	struct linux_kernel k = { 0 };
	machine_init(&m);
	snprintf(path, sizeof(path), "%s/qemu.elf", gdir);
	struct ck_error *err = machine_open(path, NULL, &m, NULL);
	if (!err)
		err = linux_kernel_detect(&m, &k);
	if (err || !k.found || !m.meta.vmcoreinfo) {
		printf("FAIL klog_guest_open: %s\n", err ? err->msg : "no kernel found");
		ck_error_destroy(err);
		machine_deinit(&m);
		return 1;
	}
	struct kernel_memory km;
	kernel_memory_init(&km, &m, &k);
	struct ck_memory mem = kernel_memory_reader(&km);
	struct klog *log = NULL;
	double t0 = now();
	err = klog_read(&mem, m.meta.vmcoreinfo, m.meta.vmcoreinfo_len, &log);
	double dt = now() - t0;
	if (err) {
		printf("FAIL klog_guest_read: %s\n", err->msg);
		ck_error_destroy(err);
		machine_deinit(&m);
		return 1;
	}
	if (events) {
		struct klog_events *e = NULL;
		err = klog_events_from_klog(log, &e);
		if (e)
			print_events(e);
		klog_events_destroy(e);
		ck_error_destroy(err);
		klog_destroy(log);
		machine_deinit(&m);
		return e ? 0 : 1;
	}
	if (dmesg) {
		klog_format_dmesg(stdout, log, with_level);
		klog_destroy(log);
		machine_deinit(&m);
		return 0;
	}
	printf("# klog: %zu records, %" PRIu64 " skipped, %" PRIu64 " warnings, read in %.1f ms\n",
	       log->n, log->skipped, log->warnings, dt * 1e3);

	UNIT_BEGIN(&u, "klog_guest_read");
	CHECK(&u, log->n > 100 && log->warnings == 0 && dt < 2.0);	/* ~10 ms release, shared machine */
	CHECK(&u, log->n && strncmp(log->recs[0].text, "Linux version ", 14) == 0);
	for (size_t i = 1; i < log->n; i++) {
		CHECK(&u, log->recs[i].seq == log->recs[i - 1].seq + 1);
		/* not ts_nsec: CPUs' clocks are not synchronised (real logs go back in time) */
		CHECK(&u, log->recs[i].level >= 0 && log->recs[i].level <= 7 && log->recs[i].facility == 0);
		CHECK(&u, log->recs[i].caller_id >= 0);
	}
	UNIT_END(&u);

	/* Every console line, in order, among the ring's lines. */
	size_t slen = 0, nr = 0, nconsole = 0, matched = 0;
	snprintf(path, sizeof(path), "%s/serial.log", gdir);
	char *serial = slurp(path, &slen);
	char *serial_copy = serial ? strdup(serial) : NULL;
	char **rl = ring_lines(log, &nr);
	UNIT_BEGIN(&u, "klog_guest_serial_lines_in_ring");
	CHECK(&u, serial && rl);
	size_t j = 0;
	for (char *line = serial, *next; serial && rl && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		line[strcspn(line, "\r")] = 0;
		const char *c = console_prefix(line);
		if (!c)
			continue;
		nconsole++;
		size_t at = j;
		while (at < nr && strcmp(rl[at], c) != 0)
			at++;
		if (at == nr) {
			if (!u.failed)
				printf("# console line not in the ring (after ring line %zu): %s\n", j, c);
			CHECK(&u, at < nr);
			continue;
		}
		matched++;
		j = at + 1;
	}
	CHECK(&u, nconsole > 300 && matched == nconsole);
	printf("# %zu console lines, all %zu found in order among %zu ring lines\n", nconsole, matched, nr);
	UNIT_END(&u);

	/* The module's hung-task reports, from the ring and from the console:
	 * info's hung_task_reports lists "comm:pid" of each, in order. */
	char want[256] = "", *info = NULL;
	size_t ilen = 0;
	snprintf(path, sizeof(path), "%s/info", gdir);
	info = slurp(path, &ilen);
	const char *hr = info ? strstr(info, "hung_task_reports=") : NULL;
	if (hr)
		snprintf(want, sizeof(want), "%.*s", (int)strcspn(hr + 18, "\n"), hr + 18);
	struct klog_events *from_ring = NULL, *from_console = NULL, *healthy = NULL;
	err = klog_events_from_klog(log, &from_ring);
	ck_error_destroy(err);
	err = serial_copy ? klog_events_parse(serial_copy, strlen(serial_copy), &from_console) : NULL;
	ck_error_destroy(err);
	UNIT_BEGIN(&u, "klog_guest_hung_task_events");
	CHECK(&u, want[0] && from_ring && from_console);
	for (int which = 0; which < 2 && from_ring && from_console; which++) {
		const struct klog_events *e = which ? from_console : from_ring;
		char got[256] = "";
		size_t gl = 0;
		for (size_t i = 0; i < e->n && gl < sizeof(got) - 64; i++) {
			const struct klog_event *v = &e->ev[i];
			gl += (size_t)snprintf(got + gl, sizeof(got) - gl, "%s%s:%ld", i ? " " : "", v->comm, v->pid);
			CHECK(&u, !strcmp(v->kind, "hung-task") && v->duration_s == 5 && v->uptime_s > 5);
			/* the blocked kthread sits in the scheduler below the module's function */
			CHECK(&u, v->nframes >= 6 && !strcmp(v->frames[0], "__schedule") &&
				  !strcmp(v->frames[1], "schedule") && v->module && !strcmp(v->module, "deadlock"));
			int has_own = 0;
			for (size_t f = 0; f < v->nframes; f++)
				has_own |= !strcmp(v->frames[f], v->comm);
			CHECK(&u, has_own && !strcmp(v->frames[v->nframes - 1], "ret_from_fork"));
		}
		if (strcmp(got, want))
			printf("# %s events: \"%s\", info says \"%s\"\n", which ? "console" : "ring", got, want);
		CHECK(&u, !strcmp(got, want));
	}
	/* the same facts from both sources */
	for (size_t i = 0; from_ring && from_console && i < from_ring->n && i < from_console->n; i++) {
		const struct klog_event *a = &from_ring->ev[i], *b = &from_console->ev[i];
		CHECK(&u, !strcmp(a->time, b->time) && a->nframes == b->nframes);
		for (size_t f = 0; f < a->nframes && f < b->nframes; f++)
			CHECK(&u, !strcmp(a->frames[f], b->frames[f]));
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_guest_healthy_boot_no_events");
	/* the console up to the first report: a whole boot, module load included */
	const char *first = serial_copy ? strstr(serial_copy, "INFO: task ") : NULL;
	err = first ? klog_events_parse(serial_copy, (size_t)(first - serial_copy), &healthy) : NULL;
	ck_error_destroy(err);
	CHECK(&u, first && healthy && healthy->n == 0 && first - serial_copy > 20000);
	UNIT_END(&u);
	klog_events_destroy(from_ring);
	klog_events_destroy(from_console);
	klog_events_destroy(healthy);
	free(info);
	free(serial_copy);

	for (size_t i = 0; rl && i < nr; i++)
		free(rl[i]);
	free(rl);
	free(serial);
	klog_destroy(log);
	machine_deinit(&m);
	return UNIT_EXIT(&u);
}
