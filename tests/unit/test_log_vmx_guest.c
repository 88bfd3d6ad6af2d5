/*
 * test_log_vmx_guest.c - vmware.log "Guest:" lines go through the one
 * kernel-text parser (klog_events.h).
 *
 * No public vmware.log excerpt shows a guest kernel's text: the fact sheet
 * (1.6) records that VMware's "Log kmsg dump on panic" patch sends each kernel
 * log line over GuestRPC's "log" command and that the VMX logs guest log
 * messages as "Guest: TEXT" lines (vmx-08).  So every real kernel-text sample
 * of testdata/log-samples (lnx-*) is wrapped, line by line, into ESXi 8
 * vmware.log lines "TIME In(05) vcpu-0 - Guest: LINE" (the kmsg dump's own
 * "<level>" prefix added to the "[time]" lines, as the patch sends them), and the
 * events must be the ones the same text gives as a plain kernel log, on the
 * same line numbers, with the vmware.log line's time and thread.  The facts
 * of lnx-01 are checked against its NOTE line as well.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_events.h"
#include "log_report.h"
#include "test_log_samples.h"
#include "unit.h"

static const char *const samples[] = {
	"lnx-01-hung-task-jbd2-vmware-scsi-abort.log",
	"lnx-04-soft-lockup-vmware-guest-regs.log",
	"lnx-07-hard-lockup-panic-el7.log",
	"lnx-09-rcu-stall-sched-kthread-starved.log",
	"lnx-10-rcu-stall-plus-soft-lockup-dmesg-T.log",
	"lnx-12-oops-null-deref-vmnet-host.log",
	"lnx-14-oops-null-deref-syslog-prefix.log",
	"lnx-15-panic-fatal-exception-kaslr-reboot.log",
};

/* Each line of text as a vmware.log "Guest:" line; annotation lines stay (and keep the numbering). */
static char *wrap(const char *text, size_t len, size_t *out_len)
{
	size_t cap = len * 2 + 65536, n = 0, line = 0;
	char *out = malloc(cap);
	for (size_t off = 0; out && off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
		if (n + ll + 128 > cap)
			break;
		if (ll && text[off] == '#')
			n += (size_t)snprintf(out + n, cap - n, "%.*s\n", (int)ll, text + off);
		else
			n += (size_t)snprintf(out + n, cap - n, "2024-06-03T22:45:%02zu.%03zuZ In(05) vcpu-0 - Guest: %s%.*s\n",
					      line / 1000 % 60, line % 1000, ll && text[off] == '[' ? "<4>" : "",
					      (int)ll, text + off);
		line++;
		off += ll + 1;
	}
	*out_len = n;
	return out;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_num(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* What the kernel text says must be the same, whichever file it came in. */
static int same_event(const struct log_event *a, const struct log_event *b)
{
	int ok = !strcmp(a->kind, b->kind) && a->line_no == b->line_no && a->pid == b->pid && a->cpu == b->cpu &&
		 same_num(a->duration_s, b->duration_s) && same_num(a->uptime_s, b->uptime_s) &&
		 same_str(a->comm, b->comm) && same_str(a->address, b->address) && same_str(a->ip, b->ip) &&
		 same_str(a->module, b->module) && same_str(a->summary, b->summary) && a->nframes == b->nframes;
	for (size_t i = 0; ok && i < a->nframes; i++)
		ok = !strcmp(a->frames[i], b->frames[i]);
	return ok;
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	if (!root)
		root = ".";
	for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		char name[160];
		snprintf(name, sizeof(name), "guest_lines_%.6s", samples[s]);
		UNIT_BEGIN(&u, name);
		size_t len = 0, wlen = 0;
		char *text = log_sample_text(root, samples[s], &len);
		char *vmx = text ? wrap(text, len, &wlen) : NULL;
		struct log_file *k = NULL, *v = NULL;
		struct ck_error *e1 = text ? log_parse("k.log", text, len, LOG_FMT_NONE, &k) : &ck_enomem;
		struct ck_error *e2 = vmx ? log_parse("vmware.log", vmx, wlen, LOG_FMT_NONE, &v) : &ck_enomem;
		CHECK(&u, !e1 && !e2);
		CHECK(&u, k && v && k->format == LOG_FMT_KERNEL && v->format == LOG_FMT_VMX);
		CHECK(&u, k && v && k->n > 0 && k->n == v->n);
		for (size_t i = 0; k && v && k->n == v->n && i < k->n; i++) {
			CHECK(&u, same_event(&k->ev[i], &v->ev[i]));
			/* where it was logged: the vmware.log line's thread and (zoned) time */
			CHECK(&u, same_str(v->ev[i].thread, "vcpu-0") && v->ev[i].time_utc &&
				  !strncmp(v->ev[i].time_utc, "2024-06-03T22:45:", 17) && v->ev[i].key_kind == LOG_KEY_UTC);
		}
		/* the guest's kernel release is not the vmware.log's (that is the host's) */
		CHECK(&u, v && !v->kernel);
		ck_error_destroy(e1);
		ck_error_destroy(e2);
		log_file_destroy(k);
		log_file_destroy(v);
		free(vmx);
		free(text);
		UNIT_END(&u);
	}

	/* lnx-01's NOTE: hung-task reports for jbd2 (pid 373, 120 s) after the SCSI aborts, a hung verdict */
	UNIT_BEGIN(&u, "guest_lines_lnx01_note_facts_and_verdict");
	size_t len = 0, wlen = 0;
	char *text = log_sample_text(root, samples[0], &len);
	char *vmx = text ? wrap(text, len, &wlen) : NULL;
	struct log_file *v = NULL;
	struct ck_error *err = vmx ? log_parse("vmware.log", vmx, wlen, LOG_FMT_NONE, &v) : &ck_enomem;
	CHECK(&u, !err && v && v->n >= 1);
	CHECK(&u, v && v->n >= 1 && !strcmp(v->ev[0].kind, "hung-task") && same_str(v->ev[0].comm, "jbd2/sda3-8") &&
		  v->ev[0].pid == 373 && v->ev[0].duration_s == 120 && v->ev[0].line_no == 4);
	struct report r;
	report_init(&r);
	r.target_kind = "log";
	CHECK(&u, v && !log_report_add(&r, &v, 1));
	CHECK(&u, r.nfindings == 1 && !strcmp(r.findings[0].kind, "hung") && r.findings[0].signature.present);
	report_deinit(&r);
	ck_error_destroy(err);
	log_file_destroy(v);
	free(vmx);
	free(text);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "guest_lines_of_other_programs_make_no_event");
	/* vmx-08's kind of Guest: line (fact sheet 2.6) */
	const char *mesa = "2023-12-05T17:42:40.666Z In(05) vcpu-0 - Guest: Mesa: 23.1.5\n";
	err = log_parse("vmware.log", mesa, strlen(mesa), LOG_FMT_NONE, &v);
	CHECK(&u, !err && v && v->format == LOG_FMT_VMX && v->n == 0);
	ck_error_destroy(err);
	log_file_destroy(v);
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
