/*
 * log_signature.c - the facts of a log event that a finding's signature is
 * built from (log_report.h): what identifies the problem, never what changes
 * from one occurrence to the next (pids, addresses, times, counts).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_report.h"
#include "symbols.h"

enum { SIG_EVENT_FRAMES = 5 };

/*
 * Text without its varying numbers: "0x..." -> "0x#", a run of 8+ hex digits
 * -> "#", a decimal run that starts a token or follows punctuation -> "#"
 * ("kworker/u8:1" -> "kworker/u8:#", "jbd2/sda3-8:373" -> "jbd2/sda3-#:#";
 * digits inside a word such as "jbd2" or "sda3" stay).
 */
static void put_normalized(FILE *m, const char *s)
{
	for (size_t i = 0; s[i];) {
		bool word_start = i == 0 || !isalnum((unsigned char)s[i - 1]);
		if (word_start && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') && isxdigit((unsigned char)s[i + 2])) {
			fputs("0x#", m);
			for (i += 2; isxdigit((unsigned char)s[i]); i++)
				;
			continue;
		}
		size_t h = 0;
		while (word_start && isxdigit((unsigned char)s[i + h]))
			h++;
		if (h >= 8 && !isalnum((unsigned char)s[i + h])) {
			fputc('#', m);
			i += h;
			continue;
		}
		if (word_start && isdigit((unsigned char)s[i])) {
			fputc('#', m);
			while (isdigit((unsigned char)s[i]))
				i++;
			continue;
		}
		fputc(s[i++], m);
	}
}

/* "func+0x1a/0x40" -> "func", normalised; NULL for a bare address. */
static const char *function_of(const char *ip, char *buf, size_t cap)
{
	if (!ip || (ip[0] == '0' && ip[1] == 'x') || !(isalpha((unsigned char)ip[0]) || ip[0] == '_'))
		return NULL;
	char name[256];
	size_t n = strcspn(ip, "+ ");
	snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) - 1 ? n : sizeof(name) - 1), ip);
	sym_normalize_name(name, buf, cap);
	return buf[0] ? buf : NULL;
}

/* Kinds of the kernel-text parser: their thread is only where the text was
 * logged (a vmware.log "Guest:" line's), not part of the problem. */
static bool kernel_text_kind(const char *k)
{
	static const char *const kinds[] = { "hung-task", "soft-lockup", "hard-lockup", "rcu-stall",
					     "oops", "bug", "warning", "panic" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(k, kinds[i]))
			return true;
	return false;
}

char *log_event_facts(const struct rpt_event *e)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (!m)
		return NULL;
	char buf[256];
	fputs(e->kind, m);
	if (e->thread && !kernel_text_kind(e->kind)) {
		fputs(" thread=", m);
		put_normalized(m, e->thread);
	}
	if (e->comm) {
		fputs(" comm=", m);
		put_normalized(m, e->comm);
	}
	if (e->module)
		fprintf(m, " module=%s", e->module);
	const char *fn = function_of(e->ip, buf, sizeof(buf));
	if (fn)
		fprintf(m, " function=%s", fn);
	if (e->signal > 0)
		fprintf(m, " signal=%d", e->signal);
	if (e->channel)
		fprintf(m, " channel=%s", e->channel);
	size_t shown = 0;
	for (size_t i = 0; i < e->nframes && shown < SIG_EVENT_FRAMES; i++) {
		/* names only: a frame that is an address differs with every load address */
		if (!(fn = function_of(e->frames[i], buf, sizeof(buf))))
			continue;
		fprintf(m, "%s%s", shown++ ? "|" : " frames=", fn);
	}
	if (e->summary) {
		fputs(" what=", m);
		put_normalized(m, e->summary);
	}
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
