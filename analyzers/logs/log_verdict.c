/* log_verdict.c - findings from log events (rules in log_report.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "log_report.h"
#include "signature.h"

static int is(const struct rpt_event *e, const char *kind)
{
	return strcmp(e->kind, kind) == 0;
}

static int mentions(const struct rpt_event *e, const char *word)
{
	return e->summary && strstr(e->summary, word) != NULL;
}

/* "2026-11-30T06:57:58.697Z" -> milliseconds since the epoch; 0 when absent or not that shape. */
static int utc_ms(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	int frac = 0, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &n) != 6)
		return 0;
	if (s[n] == '.')
		for (int k = 0, scale = 100; k < 3 && s[n + 1 + k] >= '0' && s[n + 1 + k] <= '9'; k++, scale /= 10)
			frac += (s[n + 1 + k] - '0') * scale;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return 1;
}

/*
 * A vmx userworld dump that vm-support asked for (esxi-zdump-and-logs.md
 * §1.2, vmware-checkpoint.md §7.1: -X/-Z dump the hung VM's vmx with
 * vmdumper, then -Z suspends it and waits up to 180 s for the suspend to
 * start): the dump of a vmx (its name, else a vmx-zdump core file) followed
 * within LOG_VMSUPPORT_DUMP_S by a VM's suspend in a vmware.log of the same
 * report.  A collected artefact, not a crash; the event stays in the timeline.
 */
static int requested_vmx_dump(const struct report *r, const struct rpt_event *e)
{
	const char *core = e->core_file ? strrchr(e->core_file, '/') : NULL;
	core = core ? core + 1 : e->core_file;
	int64_t at, t;
	if (!(e->comm ? strcmp(e->comm, "vmx") == 0 : core && strncmp(core, "vmx-zdump", 9) == 0) ||
	    !utc_ms(e->time_utc, &at))
		return 0;
	for (size_t i = 0; i < r->nevents; i++) {
		const struct rpt_event *o = &r->events[i];
		const struct rpt_log *l = report_event_log(r, o);
		if (is(o, "suspend") && l && l->format && !strcmp(l->format, "vmware.log") && utc_ms(o->time_utc, &t) &&
		    t >= at && t - at <= (int64_t)(LOG_VMSUPPORT_DUMP_S * 1000))
			return 1;
	}
	return 0;
}

/* Does event e count for finding kind fk? */
static int counts_for(const struct report *r, const struct rpt_event *e, const char *fk)
{
	if (!strcmp(fk, "crash")) {
		if (is(e, "userworld-dump"))
			return !requested_vmx_dump(r, e);
		if (is(e, "vmx-crash") || is(e, "monitor-panic") || is(e, "unrecoverable-error"))
			return 1;
		if (is(e, "vmx-exit"))
			return e->exit_code > 0;
		if (is(e, "core-dump")) {
			/* a core written with no crash event of its file: something crashed unseen */
			for (size_t i = 0; i < r->nevents; i++) {
				const struct rpt_event *o = &r->events[i];
				if (o->source == e->source && (is(o, "vmx-crash") || is(o, "monitor-panic") ||
							       is(o, "unrecoverable-error") || is(o, "psod") ||
							       is(o, "userworld-dump")))
					return 0;
			}
			return 1;
		}
		return 0;
	}
	if (!strcmp(fk, "panic"))
		return is(e, "psod") || is(e, "oops") || is(e, "bug") || is(e, "panic");
	if (!strcmp(fk, "lockup"))
		return is(e, "soft-lockup") || is(e, "hard-lockup") || is(e, "rcu-stall") ||
		       (is(e, "panic") && (mentions(e, "LOCKUP") || mentions(e, "lockup")));
	if (!strcmp(fk, "hung"))
		return is(e, "hung-task") || (is(e, "stun") && e->duration_s >= LOG_STUN_HUNG_S) ||
		       (is(e, "panic") && mentions(e, "hung_task"));
	if (!strcmp(fk, "tools"))
		return is(e, "tools-heartbeat") ||
		       (is(e, "guestrpc-timeout") && !(e->channel && !strcmp(e->channel, "toolbox-dnd")));
	return 0;
}

static const char *describe(const struct rpt_event *e, char *buf, size_t n)
{
	if (e->summary)
		snprintf(buf, n, "%s", e->summary);
	else
		snprintf(buf, n, "%s", e->kind);
	return buf;
}

static void free_facts(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int has_finding(const struct report *r, const char *kind)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].kind, kind))
			return 1;
	return 0;
}

struct ck_error *log_verdict(struct report *r)
{
	static const char *const order[] = { "crash", "panic", "lockup", "hung", "tools" };
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		const char *fk = order[k];
		char *sum = NULL;
		size_t len = 0, shown = 0, count = 0;
		FILE *m = open_memstream(&sum, &len);
		if (!m)
			return &ck_enomem;
		char prev[512] = "";
		char **facts = calloc(r->nevents + 1, sizeof(*facts));
		if (!facts) {
			fclose(m);
			free(sum);
			return &ck_enomem;
		}
		for (size_t i = 0; i < r->nevents; i++) {
			struct rpt_event *e = &r->events[i];
			if (!report_event_log(r, e) || !counts_for(r, e, fk))
				continue;
			e->problem = true;
			if (!(facts[count++] = log_event_facts(e))) {
				free_facts(facts, count - 1);
				fclose(m);
				free(sum);
				return &ck_enomem;
			}
			char buf[512];
			describe(e, buf, sizeof(buf));
			if (!strcmp(buf, prev))
				continue;	/* the same words again: counted, not repeated */
			if (shown < 4)
				fprintf(m, "%s%s", shown ? "; " : "", buf);
			shown++;
			snprintf(prev, sizeof(prev), "%s", buf);
		}
		if (shown > 4)
			fprintf(m, "; and %zu more", shown - 4);
		if (count > 1)
			fprintf(m, " (%zu events)", count);
		struct rpt_finding *fd = NULL;
		/* a kind the guest kernel's own analysis already reported (a bundle) is not said twice */
		bool said = has_finding(r, fk);
		if (fclose(m) != 0 || (count && !said && !(fd = report_add_finding(r, report_finding_kind(fk, strlen(fk)), "%s", sum)))) {
			free_facts(facts, count);
			free(sum);
			return &ck_enomem;
		}
		free(sum);
		struct ck_error *err = fd ? sig_from_set(&fd->signature, fd->kind, facts, count) : NULL;
		if (!fd)
			free_facts(facts, count);	/* no finding (none, or said already): nothing to hash */
		if (err)
			return err;
	}
	return NULL;
}
