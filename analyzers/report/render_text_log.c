/* render_text_log.c - the text report's log parts: events, timeline, the log target, a zdump's facts. */
#include "render.h"
#include "render_text.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* A bundle's report shows its log files' events here; the guest kernel's own
 * ring is in the kernel part of the report. */
static bool log_file_event(const struct report *r, const struct rpt_event *e)
{
	return !r->bundle.present || report_event_log(r, e);
}

static size_t log_file_events(const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nevents; i++)
		n += log_file_event(r, &r->events[i]);
	return n;
}

/* One event on one line: "[time] kind: summary ([VM: ]file:line[ @0xOFF])" and its first frames. */
static void print_log_event(FILE *out, const struct report *r, const struct rpt_event *e, const char *indent)
{
	const char *src = e->source ? text_base_name(e->source) : "?";
	const struct rpt_log *l = report_event_log(r, e);
	fprintf(out, "%s[%s] %s: %s", indent, e->time ? e->time : "-", e->kind, e->summary ? e->summary : "");
	if (e->comm && !(e->summary && strstr(e->summary, e->comm))) {
		fprintf(out, " [%s", e->comm);
		if (e->pid >= 0)
			fprintf(out, ":%lld", (long long)e->pid);
		fprintf(out, "]");
	}
	if (e->signal > 0)
		fprintf(out, " (signal %d%s%s)", e->signal, signal_name(e->signal) ? " " : "",
			signal_name(e->signal) ? signal_name(e->signal) : "");
	if (e->core_file && !(e->summary && strstr(e->summary, e->core_file)))
		fprintf(out, " core %s", e->core_file);
	fprintf(out, " (%s%s%s:%ld", l && l->vm ? l->vm : "", l && l->vm ? ": " : "", src, e->line_no);
	if (e->offset >= 0)
		fprintf(out, " @0x%llx", (unsigned long long)e->offset);
	fprintf(out, ")\n");
	if (e->nframes) {
		fprintf(out, "%s      at", indent);
		for (size_t j = 0; j < e->nframes && j < 4; j++)
			fprintf(out, "%s %s", j ? " <-" : "", e->frames[j]);
		fprintf(out, "%s\n", e->nframes > 4 ? " ..." : "");
	}
}

void text_log_sources(FILE *out, const struct report *r)
{
	for (size_t i = 0; i < r->nlogs; i++) {
		const struct rpt_log *l = &r->logs[i];
		fprintf(out, "log:      %s%s%s: %s", l->vm ? l->vm : "", l->vm ? ": " : "",
			r->bundle.present ? l->source : text_base_name(l->source), l->format ? l->format : "?");
		if (l->product)
			fprintf(out, ", %s%s%s%s%s", l->product, l->version ? " " : "", l->version ? l->version : "",
				l->build ? " " : "", l->build ? l->build : "");
		if (l->kernel)
			fprintf(out, ", kernel %s", l->kernel);
		if (l->host)
			fprintf(out, ", host %s", l->host);
		fprintf(out, "\n");
	}
}

void text_finding_signatures(FILE *out, const struct report *r)
{
	size_t shown = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].signature.present)
			fprintf(out, "%s%s %s", shown++ ? ", " : "signatures: ", r->findings[i].kind,
				r->findings[i].signature.hash);
	if (shown)
		fprintf(out, "\n");
}

void text_log_events(FILE *out, const struct report *r)
{
	size_t np = 0, nev = log_file_events(r);
	for (size_t i = 0; i < r->nevents; i++)
		np += r->events[i].problem && log_file_event(r, &r->events[i]);
	if (np) {
		fprintf(out, "\nproblems, newest first:\n");
		for (size_t i = r->nevents; i > 0; i--)
			if (r->events[i - 1].problem && log_file_event(r, &r->events[i - 1]))
				print_log_event(out, r, &r->events[i - 1], "  ");
	}
	fprintf(out, "\n== timeline: %zu event%s ==\n", nev, nev == 1 ? "" : "s");
	for (size_t i = 0; i < r->nevents; i++)
		if (log_file_event(r, &r->events[i]))
			print_log_event(out, r, &r->events[i], "");
}

/* Target "log", or a bundle with no checkpoint analysed: the logs, the verdict
 * with its problems newest first, then the timeline. */
struct ck_error *render_log_text(FILE *out, const struct report *r)
{
	size_t nev = log_file_events(r);
	fprintf(out, "coresummary: %s (%s, %zu event%s)\n", r->input ? r->input : "?",
		r->bundle.present ? "bundle" : "log", nev, nev == 1 ? "" : "s");
	if (r->bundle.present)
		render_bundle_text(out, r);
	text_log_sources(out, r);
	fprintf(out, "\n== verdict ==\n");
	if (!r->nfindings)
		fprintf(out, "no problem found: no crash, panic, PSOD, lockup, hang or Tools trouble in %zu event%s\n",
			nev, nev == 1 ? "" : "s");
	for (size_t i = 0; i < r->nfindings; i++)
		fprintf(out, "%s: %s\n", r->findings[i].kind, r->findings[i].summary);
	text_finding_signatures(out, r);
	text_log_events(out, r);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(out, "warning: %s\n", r->warnings[i]);
	if (fflush(out) || ferror(out))
		return ck_error_errno(errno ? errno : EIO, "writing the report");
	return NULL;
}

void text_zdump(FILE *out, const struct report *r)
{
	const struct rpt_zdump *z = &r->zdump;
	fprintf(out, "zdump:    %s zdump", z->kind ? z->kind : "unknown");
	if (z->world)
		fprintf(out, " of %s", z->world);
	fprintf(out, " (by name: %s; by content: %s), %llu bytes\n", z->kind_by_name ? z->kind_by_name : "unknown",
		z->kind_by_content ? (!strcmp(z->kind_by_content, "kernel") ? "kernel (a vmkernel log)" : z->kind_by_content)
				   : "unknown", (unsigned long long)z->size);
	if (z->encrypted) {
		fprintf(out, "encrypted: yes: ESXi's crypto envelope (DataTransformEnvelope");
		if (z->envelope_version)
			fprintf(out, ", version %u", z->envelope_version);
		fprintf(out, ") at 0x1000;\n"
			     "          only the plain 4096-byte header before it was scanned.  Decrypt it on\n"
			     "          the host first: crypto-util envelope extract --offset 4096 ZDUMP OUT\n");
	} else {
		fprintf(out, "encrypted: no (no crypto envelope at 0x1000)\n");
	}
	fprintf(out, "streams:  %zu zlib/gzip stream%s (%llu header%s tried)%s\n", z->nstreams,
		z->nstreams == 1 ? "" : "s", (unsigned long long)z->candidates, z->candidates == 1 ? "" : "s",
		z->nstreams ? ":" : "");
	for (size_t i = 0; i < z->nstreams; i++) {
		const struct rpt_zdump_stream *s = &z->streams[i];
		fprintf(out, "  %s at 0x%llx: %llu -> %llu bytes, %s, %llu bytes of text\n", s->format,
			(unsigned long long)s->offset, (unsigned long long)s->compressed, (unsigned long long)s->inflated,
			s->end, (unsigned long long)s->text_bytes);
	}
	fprintf(out, "cores:    %zu ELF core%s%s\n", z->ncores, z->ncores == 1 ? "" : "s", z->ncores ? ":" : "");
	for (size_t i = 0; i < z->ncores; i++) {
		const struct rpt_zdump_core *c = &z->cores[i];
		if (c->stream >= 0 && (size_t)c->stream < z->nstreams)
			fprintf(out, "  at 0x%llx of the %s stream at 0x%llx", (unsigned long long)c->offset,
				z->streams[c->stream].format, (unsigned long long)z->streams[c->stream].offset);
		else
			fprintf(out, "  at 0x%llx of the file", (unsigned long long)c->offset);
		fprintf(out, ", %llu bytes", (unsigned long long)c->size);
		if (c->elf_size > c->size)
			fprintf(out, " (its headers say %llu: cut short)", (unsigned long long)c->elf_size);
		fprintf(out, "%s%s\n", c->analysed ? ": analysed below" : "", c->error ? ": not analysed (see warnings)" : "");
	}
	fprintf(out, "text:     %llu bytes of printable text carved, %llu of them read as logs\n",
		(unsigned long long)z->text_bytes, (unsigned long long)z->log_text_bytes);
	text_log_sources(out, r);
	fprintf(out, "note:     no public specification of the zdump format exists: this is what its\n"
		     "          content shows (streams, text, ELF cores), not a decoding of its layout;\n"
		     "          on the host, vmkdump_extract gives the official log and cores\n");
}
