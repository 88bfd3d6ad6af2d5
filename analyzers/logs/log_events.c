/*
 * log_events.c - the log library's front: content sniffing, reading a file,
 * one loop over the lines that hands each line to its family's parser, the
 * event helpers those parsers share, and timeline order.
 */
#include "log_events.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_parse.h"

const char *log_format_name(enum log_format f)
{
	switch (f) {
	case LOG_FMT_VMX: return "vmware.log";
	case LOG_FMT_VMKERNEL: return "vmkernel.log";
	case LOG_FMT_HOSTD: return "hostd.log";
	case LOG_FMT_KERNEL: return "kernel-log";
	default: return NULL;
	}
}

/* Annotation lines of published excerpts ("# NOTE: ...", "## ESXi 6.0"): never log text.
 * "#PF Exception 14 ..." (no blank after the hashes) is log text. */
static int is_annotation(struct lspan l)
{
	size_t i = 0;
	while (i < l.n && l.p[i] == '#')
		i++;
	return i && (i == l.n || l.p[i] == ' ');
}

/* Next line of text at *off (without "\r\n"); 0 at the end. */
static int next_line(const char *text, size_t len, size_t *off, struct lspan *l)
{
	if (*off >= len)
		return 0;
	const char *nl = memchr(text + *off, '\n', len - *off);
	size_t n = nl ? (size_t)(nl - (text + *off)) : len - *off;
	*l = ls_make(text + *off, n);
	while (l->n && (l->p[l->n - 1] == '\r' || l->p[l->n - 1] == '\n'))
		l->n--;
	*off += n + 1;
	return 1;
}

enum log_format log_sniff(const char *text, size_t len)
{
	size_t cnt[5] = { 0 }, lines = 0, off = 0;
	struct lspan l;
	if (len > LOG_SNIFF_BYTES)
		len = LOG_SNIFF_BYTES;
	if (memchr(text, 0, len))
		return LOG_FMT_NONE;	/* binary */
	while (lines < 400 && next_line(text, len, &off, &l)) {
		l = ls_trim(l);
		if (!l.n || is_annotation(l))
			continue;
		lines++;
		if (log_vmk_shape(l))
			cnt[LOG_FMT_VMKERNEL]++;
		else if (log_hostd_shape(l))
			cnt[LOG_FMT_HOSTD]++;
		else if (log_vmx_shape(l))
			cnt[LOG_FMT_VMX]++;
		else if (log_kernel_shape(l))
			cnt[LOG_FMT_KERNEL]++;
	}
	enum log_format best = LOG_FMT_NONE;
	size_t total = 0;
	for (int f = LOG_FMT_VMX; f <= LOG_FMT_KERNEL; f++) {
		total += cnt[f];
		if (cnt[f] > cnt[best])
			best = (enum log_format)f;
	}
	/* Most lines must be log lines: a README quoting one log line is no log. */
	return best != LOG_FMT_NONE && total * 2 >= lines ? best : LOG_FMT_NONE;
}

enum log_format log_sniff_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return LOG_FMT_NONE;
	struct stat st;
	enum log_format f = LOG_FMT_NONE;
	char *buf = malloc(LOG_SNIFF_BYTES);
	if (buf && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		ssize_t n = pread(fd, buf, LOG_SNIFF_BYTES, 0);
		if (n > 0)
			f = log_sniff(buf, (size_t)n);
	}
	free(buf);
	close(fd);
	return f;
}

char *log_dup(struct log_file *f, struct lspan s)
{
	char *d = malloc(s.n + 1);
	if (!d) {
		f->oom = true;
		return NULL;
	}
	if (s.n)
		memcpy(d, s.p, s.n);
	d[s.n] = 0;
	return d;
}

void log_set(struct log_file *f, char **field, struct lspan s)
{
	free(*field);
	*field = log_dup(f, s);
}

void log_info(struct log_file *f, char **field, struct lspan s)
{
	s = ls_trim(s);
	if (!*field && s.n)
		*field = log_dup(f, s);
}

void log_summary(struct log_file *f, struct log_event *e, const char *pfx, struct lspan s)
{
	size_t a = strlen(pfx);
	char *d = malloc(a + s.n + 1);
	if (!d) {
		f->oom = true;
		return;
	}
	memcpy(d, pfx, a);
	if (s.n)
		memcpy(d + a, s.p, s.n);
	d[a + s.n] = 0;
	free(e->summary);
	e->summary = d;
}

void log_add_frame(struct log_file *f, struct log_event *e, struct lspan s)
{
	if (!e || e->nframes >= LOG_MAX_FRAMES || !s.n)
		return;
	if (!e->frames && !(e->frames = calloc(LOG_MAX_FRAMES, sizeof(*e->frames)))) {
		f->oom = true;
		return;
	}
	char *d = log_dup(f, s);
	if (d)
		e->frames[e->nframes++] = d;
}

struct log_event *log_event_new(struct log_ctx *c, const char *kind)
{
	struct log_file *f = c->f;
	if (f->n >= LOG_MAX_EVENTS) {
		f->dropped++;
		return NULL;
	}
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;
		struct log_event *v = realloc(f->ev, ncap * sizeof(*v));
		if (!v) {
			f->oom = true;
			return NULL;
		}
		f->ev = v;
		f->cap = ncap;
	}
	struct log_event *e = &f->ev[f->n++];
	*e = (struct log_event){ .kind = kind, .line_no = c->line_no, .uptime_s = c->uptime_s, .pid = -1,
				 .cpu = -1, .world = -1, .cartel = -1, .signal = -1, .exit_code = -1,
				 .duration_s = NAN, .offset = -1, .key_kind = c->key_kind, .key_ms = c->key_ms };
	e->text = log_dup(f, c->raw);
	if (c->time.n)
		e->time = log_dup(f, c->time);
	if (c->time_utc[0])
		e->time_utc = log_dup(f, ls_cstr(c->time_utc));
	return e;
}

void log_event_free(struct log_event *e)
{
	char *s[] = { e->text, e->time, e->time_utc, e->thread, e->comm, e->address, e->ip,
		      e->module, e->core_file, e->summary, e->channel };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(s[i]);
	for (size_t i = 0; i < e->nframes; i++)
		free(e->frames[i]);
	free(e->frames);
}

void log_file_destroy(struct log_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		log_event_free(&f->ev[i]);
	free(f->ev);
	free(f->source);
	free(f->product);
	free(f->version);
	free(f->build);
	free(f->kernel);
	free(f->host);
	free(f);
}

/* Events before the file's first dated line take that line's time (else they
 * would sort after every dated event). */
static size_t inherit_key(struct log_file *f, const struct log_ctx *c, size_t from)
{
	if (c->key_kind == LOG_KEY_NONE)
		return from;
	for (size_t i = from; i < f->n; i++)
		if (f->ev[i].key_kind == LOG_KEY_NONE) {
			f->ev[i].key_kind = c->key_kind;
			f->ev[i].key_ms = c->key_ms;
		}
	return f->n;
}

/* VMware families: every line to the parser of its shape, the file's own format first. */
static void parse_vmware(struct log_file *f, const char *text, size_t len, struct log_vmx *vmx,
			 struct log_vmk *vmk)
{
	struct log_ctx c = { .f = f };
	size_t off = 0, unkeyed = 0;
	struct lspan l;
	for (; next_line(text, len, &off, &l) && !f->oom; unkeyed = inherit_key(f, &c, unkeyed)) {
		c.line_no++;
		if (is_annotation(l) || !ls_trim(l).n)
			continue;
		c.raw = l;
		c.time = ls_make(NULL, 0);
		c.time_utc[0] = 0;
		c.uptime_s = NAN;
		if (f->format == LOG_FMT_VMX) {
			if (!log_vmx_line(vmx, &c) && !log_hostd_line(&c) && !log_vmk_line(vmk, &c, 0))
				continue;
		} else if (!log_vmk_line(vmk, &c, 0) && !log_hostd_line(&c) && !log_vmx_line(vmx, &c)) {
			log_vmk_line(vmk, &c, 1);	/* PSOD screen text has no prefix */
		}
	}
	c.raw = ls_make(NULL, 0);
	log_vmk_finish(vmk, &c);
	log_vmx_finish(vmx, &c);
}

struct ck_error *log_parse(const char *source, const char *text, size_t len, enum log_format fmt,
			   struct log_file **ret)
{
	if (fmt == LOG_FMT_NONE)
		fmt = log_sniff(text, len);
	if (fmt == LOG_FMT_NONE)
		return ck_error_create(CK_ERR_INPUT, "%s: not a log this version reads (vmware.log, vmkernel.log, "
				       "hostd.log, guest kernel text)", source);
	struct log_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->source = strdup(source))) {
		free(f);
		return &ck_enomem;
	}
	f->format = fmt;
	struct ck_error *err = NULL;
	if (fmt == LOG_FMT_KERNEL) {
		/* comment lines blanked (line numbers kept) so no fact comes from them */
		char *copy = malloc(len + 1);
		if (!copy) {
			log_file_destroy(f);
			return &ck_enomem;
		}
		memcpy(copy, text, len);
		size_t off = 0;
		struct lspan l;
		while (next_line(copy, len, &off, &l))
			if (is_annotation(l))
				memset((char *)l.p, ' ', l.n);
		err = log_kernel_parse(f, copy, len);
		free(copy);
	} else {
		struct log_vmx *vmx = log_vmx_new();
		struct log_vmk *vmk = log_vmk_new();
		if (vmx && vmk)
			parse_vmware(f, text, len, vmx, vmk);
		else
			f->oom = true;
		log_vmx_free(vmx);
		log_vmk_free(vmk);
	}
	if (!err)
		log_years_finish(f);
	if (!err && f->oom)
		err = &ck_enomem;
	if (err) {
		log_file_destroy(f);
		return err;
	}
	*ret = f;
	return NULL;
}

struct ck_error *log_read(const char *path, struct log_file **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_errno(errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ck_error_create(CK_ERR_INPUT, "%s: not a regular file", path);
	}
	size_t len = st.st_size > LOG_MAX_FILE ? LOG_MAX_FILE : (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf) {
		close(fd);
		return &ck_enomem;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	struct ck_error *err = log_parse(path, buf, got, LOG_FMT_NONE, ret);
	if (!err)
		(*ret)->truncated = (uint64_t)st.st_size > got;
	free(buf);
	return err;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

int log_events_compare(const struct log_event *a, size_t fa, const struct log_event *b, size_t fb)
{
	int ua = a->key_kind == LOG_KEY_UTC, ub = b->key_kind == LOG_KEY_UTC;
	if (ua != ub)
		return ub - ua;	/* UTC-keyed first */
	int c;
	if (ua && (c = cmp_i64(a->key_ms, b->key_ms)))
		return c;
	if ((c = cmp_i64((int64_t)fa, (int64_t)fb)))
		return c;
	/* no UTC: within the file by its own clock (year-less dates, uptime) */
	if (!ua && ((c = cmp_i64(a->key_kind, b->key_kind)) || (c = cmp_i64(a->key_ms, b->key_ms))))
		return c;
	return cmp_i64(a->line_no, b->line_no);
}
