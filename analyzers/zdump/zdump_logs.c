/* zdump_logs.c - carved zdump text into log files, each event at its offset (zdump_logs.h). */
#include "zdump_logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NFMT = LOG_FMT_KERNEL + 1 };

/* Runs of one origin read as one format: the text, and where each run came from. */
struct assembly {
	char *buf;
	size_t len, cap;
	struct zdump_run *map;	/* at: in buf; off: in the origin */
	size_t nmap, mapcap;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 1;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *q = realloc(*p, ncap * size);
	if (!q)
		return 0;
	*p = q;
	*cap = ncap;
	return 1;
}

static struct ck_error *append(struct assembly *a, const char *p, size_t n, uint64_t off)
{
	if (!grow((void **)&a->buf, &a->cap, a->len + n + 1, 1) ||
	    !grow((void **)&a->map, &a->mapcap, a->nmap + 1, sizeof(*a->map)))
		return &ck_enomem;
	a->map[a->nmap++] = (struct zdump_run){ .at = a->len, .off = off };
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	return NULL;
}

/* Each event's line as an offset in the origin: line starts counted once, runs found by bisection. */
static struct ck_error *set_offsets(struct log_file *f, const struct assembly *a)
{
	size_t nlines = 1;
	for (size_t i = 0; i < a->len; i++)
		nlines += a->buf[i] == '\n';
	size_t *start = malloc(nlines * sizeof(*start));
	if (!start)
		return &ck_enomem;
	size_t k = 0;
	start[k++] = 0;
	for (size_t i = 0; i < a->len && k < nlines; i++)
		if (a->buf[i] == '\n')
			start[k++] = i + 1;
	for (size_t i = 0; i < f->n; i++) {
		struct log_event *e = &f->ev[i];
		if (e->line_no < 1 || (size_t)e->line_no > k)
			continue;
		size_t pos = start[e->line_no - 1], lo = 0, hi = a->nmap;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (a->map[mid].at <= pos)
				lo = mid;
			else
				hi = mid;
		}
		if (a->nmap && a->map[lo].at <= pos)
			e->offset = (int64_t)(a->map[lo].off + (pos - a->map[lo].at));
	}
	free(start);
	return NULL;
}

static struct ck_error *add_file(struct zdump_logs *out, const char *source, struct assembly *a, enum log_format fmt)
{
	struct log_file *f = NULL;
	struct log_file **v = realloc(out->files, (out->n + 1) * sizeof(*v));
	if (!v)
		return &ck_enomem;
	out->files = v;
	struct ck_error *err = log_parse(source, a->buf, a->len, fmt, &f);
	if (err)
		return err;
	out->files[out->n++] = f;
	return set_offsets(f, a);
}

/* One origin's runs, sorted into formats, parsed. */
static struct ck_error *read_text(const struct zdump_info *z, const struct zdump_text *t, const char *name,
				  struct zdump_logs *out)
{
	struct assembly as[NFMT] = { { 0 } };
	struct ck_error *err = NULL;
	for (size_t i = 0; i < t->nruns && !err; i++) {
		size_t at = t->runs[i].at, end = i + 1 < t->nruns ? t->runs[i + 1].at : t->len;
		enum log_format fmt = log_sniff(t->buf + at, end - at);
		if (fmt == LOG_FMT_NONE)
			continue;
		out->log_bytes += t->runs[i].len;
		err = append(&as[fmt], t->buf + at, end - at, t->runs[i].off);
	}
	char *source = NULL;
	if (!err) {
		const struct zdump_stream *s = t->stream >= 0 ? &z->scan->streams[t->stream] : NULL;
		int r = s ? asprintf(&source, "%s: %s stream at 0x%llx", name, s->gzip ? "gzip" : "zlib",
				     (unsigned long long)s->offset)
			  : asprintf(&source, "%s: file text", name);
		if (r < 0) {
			source = NULL;
			err = &ck_enomem;
		}
	}
	for (int f = LOG_FMT_VMX; f < NFMT && !err; f++)
		if (as[f].len)
			err = add_file(out, source, &as[f], (enum log_format)f);
	for (int f = 0; f < NFMT; f++) {
		free(as[f].buf);
		free(as[f].map);
	}
	free(source);
	return err;
}

struct ck_error *zdump_logs_read(const struct zdump_info *z, const char *name, struct zdump_logs *out)
{
	*out = (struct zdump_logs){ 0 };
	struct ck_error *err = NULL;
	for (size_t i = 0; i < z->ntexts && !err; i++)
		err = read_text(z, &z->texts[i], name, out);
	return err;
}

void zdump_logs_free(struct zdump_logs *l)
{
	for (size_t i = 0; i < l->n; i++)
		log_file_destroy(l->files[i]);
	free(l->files);
	*l = (struct zdump_logs){ 0 };
}
