/* zdump_scan.c - a zdump front to back: printable runs, zlib/gzip streams (zdump_scan.h); its cores: zdump_core.c. */
#include "zdump_scan_int.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "le.h"
#include "tempfile.h"

enum {
	CHUNK = 1 << 20,	/* file bytes scanned per read */
	LOOK = 64,		/* bytes past a position that identify a header there */
	IN_BLOCK = 1 << 16,	/* compressed bytes per read while inflating */
	OUT_BLOCK = ZDUMP_COPY,	/* inflated bytes per inflate() round */
	PROBE_IN = 2048,	/* compressed bytes inflated without an error that make a stream */
	PROBE_BAD_IN = 256,	/* ... or before an error: damaged, but a stream */
	PROBE_EOF_IN = 64,	/* ... or before the file's end: cut short, but a stream */
};

static const struct zdump_limits defaults = { 256ull << 20, 1ull << 30, 4ull << 30 };

const char *zdump_end_name(enum zdump_end e)
{
	switch (e) {
	case ZDUMP_COMPLETE: return "complete";
	case ZDUMP_TRUNCATED: return "truncated";
	case ZDUMP_BAD_DATA: return "bad-data";
	default: return "capped";
	}
}

/* Text: printable ASCII, white space (as binutils' strings -w has it), and ESC (the PSOD's colours). */
static bool printable(unsigned c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r') || c == 0x1b;
}

/* Whole reads (short only at the end of the file); -1 with errno on error. */
ssize_t zdump_pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

struct ck_error *zdump_read_error(const struct scanner *sc, uint64_t off)
{
	return ck_error_errno(errno, "%s: read at offset 0x%llx", sc->name, (unsigned long long)off);
}

static struct ck_error *emit(struct scanner *sc, struct run *r, const uint8_t *p, size_t n, uint64_t off, bool first)
{
	*r->count += n;
	return sc->text ? sc->text(sc->arg, r->stream, off, (const char *)p, n, first) : NULL;
}

static void run_break(struct run *r)
{
	r->emitting = false;
	r->pend = 0;
}

/* Hold back the start of a run that reaches the end of the bytes seen so far. */
static void hold(struct run *r, const uint8_t *p, size_t n, uint64_t off)
{
	if (!r->pend)
		r->start = off;
	memcpy(r->buf + r->pend, p, n);
	r->pend += n;
}

/* n bytes at origin offset off through run r: printable runs of ZDUMP_MIN_RUN or more go out. */
static struct ck_error *run_feed(struct scanner *sc, struct run *r, const uint8_t *p, size_t n, uint64_t off)
{
	const bool *t = sc->printable;
	struct ck_error *err;
	size_t i = 0;
	if (r->emitting || r->pend) {
		/* the run the previous bytes ended in */
		size_t j = 0;
		while (j < n && t[p[j]])
			j++;
		if (r->emitting) {
			if (j && (err = emit(sc, r, p, j, off, false)))
				return err;
		} else if (r->pend + j >= ZDUMP_MIN_RUN) {
			if ((err = emit(sc, r, (const uint8_t *)r->buf, r->pend, r->start, true)) ||
			    (j && (err = emit(sc, r, p, j, off, false))))
				return err;
			r->emitting = true;
		} else if (j == n) {
			hold(r, p, n, off);
		}
		if (j == n)
			return NULL;
		run_break(r);
		i = j + 1;
	}
	while (i < n) {
		/* a run of ZDUMP_MIN_RUN starting in [i, i + MIN) covers p[i + MIN - 1]: skip whole
		 * blocks while that byte is not text (binary data is skipped MIN bytes at a time) */
		while (i + ZDUMP_MIN_RUN <= n && !t[p[i + ZDUMP_MIN_RUN - 1]])
			i += ZDUMP_MIN_RUN;
		if (i + ZDUMP_MIN_RUN > n) {
			/* fewer bytes left than a run: only one reaching the end matters */
			size_t k = n;
			while (k > i && t[p[k - 1]])
				k--;
			if (k < n)
				hold(r, p + k, n - k, off + k);
			return NULL;
		}
		size_t k = i + ZDUMP_MIN_RUN - 1, j = k + 1;
		while (k > i && t[p[k - 1]])
			k--;
		while (j < n && t[p[j]])
			j++;
		if (j - k >= ZDUMP_MIN_RUN) {
			if ((err = emit(sc, r, p + k, j - k, off + k, true)))
				return err;
			r->emitting = j == n;
		} else if (j == n) {
			hold(r, p + k, n - k, off + k);
		}
		i = j + 1;
	}
	return NULL;
}

/* Remember the last ZDUMP_ELF_ID - 1 bytes seen: a header may straddle two blocks. */
static void keep_tail(struct stream_out *so, const uint8_t *p, size_t n)
{
	if (n >= ZDUMP_ELF_ID - 1) {
		memcpy(so->tail, p + n - (ZDUMP_ELF_ID - 1), ZDUMP_ELF_ID - 1);
		so->ntail = ZDUMP_ELF_ID - 1;
		return;
	}
	size_t old = so->ntail < ZDUMP_ELF_ID - 1 - n ? so->ntail : ZDUMP_ELF_ID - 1 - n;
	memmove(so->tail, so->tail + so->ntail - old, old);
	memcpy(so->tail + old, p, n);
	so->ntail = old + n;
}

/* A core header that starts in the tail and ends in p: its capture begun with the tail's part. */
static struct ck_error *straddling_core(struct scanner *sc, struct stream_out *so, const uint8_t *p, size_t n)
{
	for (size_t j = 0; j < so->ntail; j++) {
		uint8_t w[2 * ZDUMP_ELF_ID];
		size_t a = so->ntail - j, b = n < ZDUMP_ELF_ID ? n : ZDUMP_ELF_ID;
		memcpy(w, so->tail + j, a);
		memcpy(w + a, p, b);
		if (a + b < ZDUMP_ELF_ID || !zdump_core_ident(w))
			continue;
		struct ck_error *err = zdump_capture_begin(sc, so, so->off - a);
		size_t used;
		if (!err && so->cap.core >= 0)
			err = zdump_capture_feed(sc, so, w, a, &used);
		return err;
	}
	return NULL;
}

/* Inflated bytes of stream so (p[0] is at so->off): text runs, and ELF cores copied out. */
static struct ck_error *stream_bytes(struct scanner *sc, struct stream_out *so, const uint8_t *p, size_t n)
{
	struct ck_error *err;
	size_t from = 0;	/* where a core header may start: past one that was no core or found no room */
	while (n) {
		if (so->cap.core >= 0) {
			size_t used;
			if ((err = zdump_capture_feed(sc, so, p, n, &used)))
				return err;
			from = so->cap.core < 0 && !used;	/* dropped at its own header */
			p += used;
			n -= used;
			so->off += used;
			so->ntail = 0;
			continue;
		}
		if (!from && so->ntail) {
			if ((err = straddling_core(sc, so, p, n)))
				return err;
			so->ntail = 0;
			if (so->cap.core >= 0)
				continue;
		}
		size_t at = n;
		for (size_t j = from; j + ZDUMP_ELF_ID <= n; j++)
			if (p[j] == 0x7f && zdump_core_ident(p + j)) {
				at = j;
				break;
			}
		if ((err = run_feed(sc, &so->run, p, at, so->off)))
			return err;
		if (at == n) {
			keep_tail(so, p, n);
			so->off += n;
			return NULL;
		}
		run_break(&so->run);
		if ((err = zdump_capture_begin(sc, so, so->off + at)))
			return err;
		from = so->cap.core < 0;	/* no room for another core: the header is text's */
		p += at;
		n -= at;
		so->off += at;
	}
	return NULL;
}

/*
 * Does the zlib/gzip header at file offset off start a stream?  It must reach
 * its end marker (its checksum verified), or inflate PROBE_IN compressed bytes
 * without an error, or PROBE_BAD_IN before an error, or PROBE_EOF_IN before
 * the file's end, with some output in every case.
 * Random bytes after a header byte pair fail within a few dozen bytes (100
 * at most in 256 MiB of /dev/urandom; they may inflate to a few hundred
 * bytes first, so output proves nothing).  mem: the file's bytes from off
 * already in memory (memlen of them).
 */
static struct ck_error *probe(struct scanner *sc, uint64_t off, bool gzip, const uint8_t *mem, size_t memlen,
			      bool *ok)
{
	*ok = false;
	if (inflateReset2(&sc->z, gzip ? 16 + 15 : 15) != Z_OK)
		return NULL;
	uint64_t out = 0;
	while (sc->z.total_in < PROBE_IN) {
		if (sc->z.avail_in == 0) {
			uint64_t at = sc->z.total_in;
			if (at < memlen) {
				sc->z.next_in = (Bytef *)(uintptr_t)(mem + at);
				sc->z.avail_in = (uInt)(memlen - at < PROBE_IN ? memlen - at : PROBE_IN);
			} else {
				ssize_t got = zdump_pread_full(sc->fd, sc->in, PROBE_IN, off + at);
				if (got < 0)
					return zdump_read_error(sc, off + at);
				if (got == 0) {
					*ok = out && sc->z.total_in >= PROBE_EOF_IN;	/* cut short by the file's end */
					return NULL;
				}
				sc->z.next_in = sc->in;
				sc->z.avail_in = (uInt)got;
			}
		}
		sc->z.next_out = sc->out;
		sc->z.avail_out = OUT_BLOCK;
		int r = inflate(&sc->z, Z_NO_FLUSH);
		out += OUT_BLOCK - sc->z.avail_out;
		if (r == Z_STREAM_END) {
			*ok = out > 0;
			return NULL;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			*ok = out && sc->z.total_in >= PROBE_BAD_IN;
			return NULL;
		}
	}
	*ok = out > 0;	/* not a gzip header's long name or comment alone */
	return NULL;
}

/* Inflate the stream at file offset off into the sinks; *consumed = its compressed bytes read. */
static struct ck_error *inflate_stream(struct scanner *sc, uint64_t off, bool gzip, uint64_t *consumed)
{
	struct zdump_scan *s = sc->s;
	struct zdump_stream *st = &s->streams[s->nstreams];
	*st = (struct zdump_stream){ .offset = off, .gzip = gzip, .end = ZDUMP_TRUNCATED };
	struct stream_out so = { .k = (int)s->nstreams++, .cap = { .core = -1 } };
	so.run = (struct run){ .stream = so.k, .count = &st->text_bytes };
	struct ck_error *err = NULL;
	if (inflateReset2(&sc->z, gzip ? 16 + 15 : 15) != Z_OK)
		return &ck_enomem;
	bool need_in = true;	/* inflate left no output pending: it wants input */
	for (;;) {
		if (sc->z.avail_in == 0 && need_in) {
			ssize_t got = zdump_pread_full(sc->fd, sc->in, IN_BLOCK, off + sc->z.total_in);
			if (got < 0) {
				err = zdump_read_error(sc, off + sc->z.total_in);
				break;
			}
			if (got == 0)
				break;	/* the file ends inside the stream */
			sc->z.next_in = sc->in;
			sc->z.avail_in = (uInt)got;
		}
		uint64_t room = OUT_BLOCK;
		room = sc->lim->stream_out - st->out_bytes < room ? sc->lim->stream_out - st->out_bytes : room;
		room = sc->lim->total_out - sc->total_out < room ? sc->lim->total_out - sc->total_out : room;
		if (!room) {
			st->end = ZDUMP_CAPPED;
			s->out_capped |= sc->total_out >= sc->lim->total_out;
			break;
		}
		sc->z.next_out = sc->out;
		sc->z.avail_out = (uInt)room;
		int r = inflate(&sc->z, Z_NO_FLUSH);
		size_t have = (size_t)room - sc->z.avail_out;
		need_in = sc->z.avail_out != 0;
		st->out_bytes += have;
		sc->total_out += have;
		if (have && (err = stream_bytes(sc, &so, sc->out, have)))
			break;
		if (r == Z_STREAM_END) {
			st->end = ZDUMP_COMPLETE;
			break;
		}
		if ((r != Z_OK && r != Z_BUF_ERROR) || (r == Z_BUF_ERROR && sc->z.avail_in && !have)) {
			st->end = ZDUMP_BAD_DATA;
			break;
		}
	}
	sc->z.avail_in = 0;
	st->in_bytes = sc->z.total_in;
	*consumed = sc->z.total_in;
	zdump_capture_end(sc, &so);
	return err;
}

/* A header at file offset off (mem: the bytes from there in memory): *skip = bytes it covers, 0 if nothing. */
static struct ck_error *candidate(struct scanner *sc, uint64_t off, const uint8_t *mem, size_t memlen, uint64_t *skip)
{
	struct zdump_scan *s = sc->s;
	*skip = 0;
	if (memlen >= ZDUMP_ELF_ID && zdump_core_ident(mem))
		return zdump_raw_core(sc, off, skip);
	bool gzip = memlen >= 4 && mem[0] == 0x1f && mem[1] == 0x8b && mem[2] == 8 && !(mem[3] & 0xe0);
	bool zlib = memlen >= 2 && mem[0] == 0x78 && (mem[1] == 0x01 || mem[1] == 0x5e || mem[1] == 0x9c || mem[1] == 0xda);
	if (!gzip && !zlib)
		return NULL;
	if (s->out_capped || s->candidates >= ZDUMP_MAX_CANDIDATES)
		return NULL;
	s->candidates++;
	bool ok;
	struct ck_error *err = probe(sc, off, gzip, mem, memlen, &ok);
	sc->z.avail_in = 0;
	if (err || !ok)
		return err;
	if (s->nstreams >= ZDUMP_MAX_STREAMS) {
		s->streams_dropped++;
		return NULL;
	}
	return inflate_stream(sc, off, gzip, skip);
}

/* The file front to back (up to end): text runs, streams, cores. */
static struct ck_error *scan_raw(struct scanner *sc, uint64_t end)
{
	struct run run = { .stream = -1, .count = &sc->s->text_bytes };
	struct ck_error *err = NULL;
	uint64_t pos = 0;
	while (pos < end && !err) {
		size_t want = end - pos < CHUNK + LOOK ? (size_t)(end - pos) : CHUNK + LOOK;
		ssize_t got = zdump_pread_full(sc->fd, sc->chunk, want, pos);
		if (got < 0)
			return zdump_read_error(sc, pos);
		if (got == 0)
			break;
		size_t limit = (size_t)got, seg = 0;
		if (pos + (uint64_t)got < end && limit > LOOK)
			limit -= LOOK;
		uint64_t next = pos + limit;
		for (size_t i = 0; i < limit; i++) {
			uint8_t c = sc->chunk[i];
			if (c != 0x1f && c != 0x78 && c != 0x7f)
				continue;
			uint64_t skip = 0;
			if ((err = candidate(sc, pos + i, sc->chunk + i, (size_t)got - i, &skip)))
				break;
			if (!skip)
				continue;
			if ((err = run_feed(sc, &run, sc->chunk + seg, i - seg, pos + seg)))
				break;
			run_break(&run);
			next = pos + i + skip;
			seg = limit = i;	/* the rest of this chunk is read again from next */
			break;
		}
		if (!err && limit > seg)
			err = run_feed(sc, &run, sc->chunk + seg, limit - seg, pos + seg);
		pos = next;
	}
	return err;
}

struct ck_error *zdump_scan_file(const char *name, int fd, const struct zdump_limits *lim, zdump_text_fn text,
				 void *arg, struct zdump_scan **ret)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return ck_error_errno(errno, "%s", name);
	struct scanner sc = { .name = name, .fd = fd, .size = st.st_size > 0 ? (uint64_t)st.st_size : 0,
			      .lim = lim ? lim : &defaults, .text = text, .arg = arg };
	struct zdump_scan *s = calloc(1, sizeof(*s));
	sc.s = s;
	for (unsigned c = 0; c < 256; c++)
		sc.printable[c] = printable(c);
	sc.chunk = malloc(CHUNK + LOOK);
	sc.in = malloc(IN_BLOCK);
	sc.out = malloc(OUT_BLOCK);
	struct ck_error *err = NULL;
	if (!s || !sc.chunk || !sc.in || !sc.out || !(s->streams = calloc(ZDUMP_MAX_STREAMS, sizeof(*s->streams))) ||
	    !(s->cores = calloc(ZDUMP_MAX_CORES, sizeof(*s->cores))))
		err = &ck_enomem;
	else if (inflateInit2(&sc.z, 15 + 32) != Z_OK)
		err = &ck_enomem;
	else
		sc.z_ok = true;
	if (!err) {
		s->size = sc.size;
		uint64_t end = sc.size;
		if ((s->encrypted = input_zdump_encrypted(fd))) {
			/* past the plain header only ciphertext: nothing to find there */
			uint8_t v[4];
			if (zdump_read_at(fd, v, 4, ZDUMP_ENVELOPE_OFF + 508) == 0)
				s->envelope_version = le32(v);
			end = ZDUMP_ENVELOPE_OFF;
		}
		err = scan_raw(&sc, end);
	}
	if (sc.z_ok)
		inflateEnd(&sc.z);
	free(sc.chunk);
	free(sc.in);
	free(sc.out);
	if (err) {
		zdump_scan_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

void zdump_scan_destroy(struct zdump_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncores; i++)
		close(s->cores[i].fd);
	free(s->cores);
	free(s->streams);
	free(s);
}
