/*
 * test_zdump_scan.c - the zdump scanner (zdump_scan.h) and the classifier's
 * zdump rules (input.h) on files built here.
 *
 * No public zdump sample or layout exists, so these files are made from the
 * fact sheet's documented facts only (esxi-zdump-and-logs.md 1.1, 1.5, 6):
 * names vmkernel-zdump.N / NAME-zdump.NNN, ESXi's crypto envelope at offset
 * 4096 (magic "DataTransformEnvelope", version u32 at envelope+508), dump data
 * as zlib/gzip streams, user-world cores as standard ELF cores.  Expected
 * values come from how each file was built (zlib's own compress/gzip output
 * sizes and the offsets they were written at), and the printable runs are
 * checked against binutils' `strings -a -w -n 32 -t d` on the same file.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "unit.h"
#include "zdump_scan.h"

static struct unit u;
static char dir[64];

/* What the text sink saw: runs joined back, with their origin and offset. */
struct seen_run {
	int stream;
	uint64_t off;
	char *text;
	size_t len;
};

struct seen {
	struct seen_run *v;
	size_t n;
	int bad;	/* a continuation without a run before it */
};

static struct ck_error *sink(void *arg, int stream, uint64_t off, const char *p, size_t n, bool first)
{
	struct seen *s = arg;
	if (first) {
		s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
		s->v[s->n++] = (struct seen_run){ .stream = stream, .off = off };
	} else if (!s->n || s->v[s->n - 1].stream != stream ||
		   s->v[s->n - 1].off + s->v[s->n - 1].len != off) {
		s->bad = 1;
		return NULL;
	}
	struct seen_run *r = &s->v[s->n - 1];
	r->text = realloc(r->text, r->len + n + 1);
	memcpy(r->text + r->len, p, n);
	r->len += n;
	r->text[r->len] = 0;
	return NULL;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s->v);
	*s = (struct seen){ 0 };
}

/* A growing file image. */
struct img {
	uint8_t *p;
	size_t n, cap;
};

static size_t put(struct img *m, const void *p, size_t n)
{
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->n, p, n);
	m->n += n;
	return m->n - n;
}

/* xorshift bytes: binary filler that is reproducible; no ESC, which the scanner takes
 * for text (PSOD colours) and strings(1) does not. */
static uint64_t rng = 88172645463325252ull;

static size_t junk(struct img *m, size_t n)
{
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		b[i] = (uint8_t)rng == 0x1b ? 0 : (uint8_t)rng;
	}
	size_t at = put(m, b, n);
	free(b);
	return at;
}

static char *write_img(const char *name, const struct img *m)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	FILE *f = fopen(path, "wb");
	if (!f || (m->n && fwrite(m->p, 1, m->n, f) != m->n))
		abort();
	fclose(f);
	return path;
}

static struct zdump_scan *scan(const char *path, const struct zdump_limits *lim, struct seen *seen)
{
	int fd = open(path, O_RDONLY);
	struct zdump_scan *s = NULL;
	struct ck_error *err = fd >= 0 ? zdump_scan_file(path, fd, lim, sink, seen, &s) : &ck_enomem;
	if (err)
		printf("# scan %s: %s\n", path, err->msg);
	ck_error_destroy(err);
	if (fd >= 0)
		close(fd);
	return s;
}

/* zlib's own output for data: a zlib (gzip = 0) or gzip stream. */
static uint8_t *deflate_all(const void *data, size_t n, int gzip, size_t *out_n)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 6, Z_DEFLATED, gzip ? 16 + 15 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	size_t cap = deflateBound(&z, n);
	uint8_t *out = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_n = z.total_out;
	deflateEnd(&z);
	return out;
}

/* A minimal ELF64 core: header, PT_NOTE, PT_LOAD of 4096 bytes at 4096 (extent 8192);
 * xnum: the program header count in section header 0 (PN_XNUM), as gdb writes many. */
static size_t make_core(uint8_t *c, int xnum)
{
	memset(c, 0, 8192 + 64);
	Elf64_Ehdr *e = (Elf64_Ehdr *)c;
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_CORE;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_phoff = 64;
	e->e_ehsize = 64;
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(c + 64);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 176, .p_filesz = 20 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 4096, .p_vaddr = 0x400000, .p_filesz = 4096,
			      .p_memsz = 4096, .p_flags = PF_R };
	for (int i = 0; i < 4096; i++)
		c[4096 + i] = (uint8_t)(i * 7 + 1);
	if (!xnum)
		return 8192;
	e->e_phnum = PN_XNUM;
	e->e_shoff = 8192;
	e->e_shentsize = sizeof(Elf64_Shdr);
	Elf64_Shdr *sh = (Elf64_Shdr *)(c + 8192);
	sh->sh_info = 2;
	sh->sh_size = 1;
	return 8192 + 64;
}

/* The extracted core equals the bytes it was made of. */
static int core_is(const struct zdump_core *c, const uint8_t *want, size_t n)
{
	if (c->size != n || c->elf_size != n)
		return 0;
	uint8_t *b = malloc(n);
	int ok = pread(c->fd, b, n, 0) == (ssize_t)n && !memcmp(b, want, n);
	free(b);
	return ok;
}

static const char log_text[] =
	"2020-10-07T13:07:09.864Z cpu36:1001599386)@BlueScreen: #PF Exception 14 in world 1001599386:fdsAIO IP 0x420017c7c1d2 addr 0xe8\n"
	"2020-10-07T13:07:09.864Z cpu36:1001599386)Code start: 0x420017a00000 VMK uptime: 0:02:13:32.180\n"
	"2020-10-07T13:07:09.865Z cpu36:1001599386)Coredump to disk.\n";

static void test_names(void)
{
	UNIT_BEGIN(&u, "zdump_names");
	char w[64];
	CHECK(&u, input_zdump_name("/var/core/vmkernel-zdump.1", w, sizeof(w)) == ZDUMP_NAME_KERNEL);
	CHECK(&u, input_zdump_name("vmkernel-zdump-081507.10.13.1", w, sizeof(w)) == ZDUMP_NAME_KERNEL);
	CHECK(&u, input_zdump_name("/vmfs/volumes/ds/vm/vmx-zdump.003", w, sizeof(w)) == ZDUMP_NAME_VMX && !strcmp(w, "vmx"));
	CHECK(&u, input_zdump_name("hostd-worker-zdump.000", w, sizeof(w)) == ZDUMP_NAME_USERWORLD &&
		  !strcmp(w, "hostd-worker"));
	CHECK(&u, input_zdump_name("iofilterd-zdump.001", w, sizeof(w)) == ZDUMP_NAME_USERWORLD && !strcmp(w, "iofilterd"));
	/* not zdumps: other counters, tzdata's zdump, a vmkdump_extract output */
	CHECK(&u, input_zdump_name("vpxa-zdump.1", w, sizeof(w)) == ZDUMP_NAME_NONE);
	CHECK(&u, input_zdump_name("vpxa-zdump.0001", w, sizeof(w)) == ZDUMP_NAME_NONE);
	CHECK(&u, input_zdump_name("/usr/sbin/zdump", w, sizeof(w)) == ZDUMP_NAME_NONE);
	CHECK(&u, input_zdump_name("-zdump.000", w, sizeof(w)) == ZDUMP_NAME_NONE);
	CHECK(&u, input_zdump_name("vmkernel-log.1", w, sizeof(w)) == ZDUMP_NAME_NONE);
	/* the classifier: a zdump by name, an ELF file stays ELF, gzip content stays a zdump */
	uint8_t h[4096] = { 0x1f, 0x8b, 8, 0 };
	CHECK(&u, input_classify("vmkernel-zdump.1", -1, h, sizeof(h)).kind == INPUT_ZDUMP);
	memcpy(h, ELFMAG, SELFMAG);
	CHECK(&u, input_classify("vpxa-zdump.000", -1, h, sizeof(h)).kind != INPUT_ZDUMP);
	UNIT_END(&u);
}

static void test_text_against_strings(void)
{
	UNIT_BEGIN(&u, "text_runs_equal_binutils_strings");
	struct img m = { 0 };
	static const char *const texts[] = {
		"short text\n",	/* shorter than a run: left out */
		"exactly thirty-two bytes long...",
		"thirty-one bytes: one too short",	/* unless junk next to it happens to be text */
		"a run of thirty-two bytes, one more\n\tindented line\r\n",
	};
	for (int rep = 0; rep < 400; rep++) {
		junk(&m, 37 + (size_t)rep * 131 % 9000);
		put(&m, texts[rep % 4], strlen(texts[rep % 4]));
		if (rep % 50 == 0)
			put(&m, log_text, sizeof(log_text) - 1);
	}
	/* a run across the scanner's 1 MiB read boundary */
	while (m.n < (1 << 20) - 40)
		junk(&m, 1000 < (1 << 20) - 40 - m.n ? 1000 : (1 << 20) - 40 - m.n);
	put(&m, log_text, sizeof(log_text) - 1);
	junk(&m, 5000);
	char *path = write_img("text-zdump.000", &m);
	struct seen seen = { 0 };
	struct zdump_scan *s = scan(path, NULL, &seen);
	CHECK(&u, s && !seen.bad);
	/* strings: -a whole file, -w whitespace counts as text, -n 32, -t d decimal offsets */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "strings -a -w -n 32 -t d --output-separator='@@END@@' '%s'", path);
	FILE *p = popen(cmd, "r");
	CHECK(&u, p != NULL);
	size_t cap = 1 << 22, len = 0;
	char *out = malloc(cap);
	while (p && len < cap - 1 && (len += fread(out + len, 1, cap - 1 - len, p)) && !feof(p))
		;
	out[len] = 0;
	int rc = p ? pclose(p) : -1;
	CHECK(&u, rc == 0 && len > 0);
	/* each "OFFSET TEXT@@END@@": every run ours, in order, byte for byte; strings' offset is past leading blanks */
	size_t i = 0, total = 0;
	char *q = out;
	for (char *end; q && *q && (end = strstr(q, "@@END@@")); q = end + 7, i++) {
		char *sp;
		while (*q == ' ')
			q++;
		unsigned long long off = strtoull(q, &sp, 10);
		char *str = sp + 1;
		size_t n = (size_t)(end - str);
		total += n;
		if (!(i < seen.n && seen.v[i].stream == -1 && seen.v[i].off == off && seen.v[i].len == n &&
		      !memcmp(seen.v[i].text, str, n)) && !u.failed)
			printf("# run %zu: strings %llu+%zu '%.40s', ours %llu+%zu '%.40s'\n", i, off, n, str,
			       i < seen.n ? (unsigned long long)seen.v[i].off : 0ull, i < seen.n ? seen.v[i].len : 0,
			       i < seen.n ? seen.v[i].text : "");
		CHECK(&u, i < seen.n && seen.v[i].stream == -1 && seen.v[i].off == off && seen.v[i].len == n &&
			  !memcmp(seen.v[i].text, str, n));
	}
	if (!(i == seen.n && i > 200 && s && s->text_bytes == total))
		printf("# strings runs %zu ours %zu, bytes %zu ours %llu\n", i, seen.n, total,
		       s ? (unsigned long long)s->text_bytes : 0ull);
	CHECK(&u, i == seen.n && i > 200 && s && s->text_bytes == total);
	free(out);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	free(m.p);
	UNIT_END(&u);
}

static void test_streams(void)
{
	UNIT_BEGIN(&u, "zlib_and_gzip_streams");
	struct img m = { 0 };
	size_t zn, gn;
	uint8_t *zs = deflate_all(log_text, sizeof(log_text) - 1, 0, &zn);
	uint8_t *gs = deflate_all(log_text, sizeof(log_text) - 1, 1, &gn);
	junk(&m, 3000);
	size_t zoff = put(&m, zs, zn);
	junk(&m, 777);
	size_t goff = put(&m, gs, gn);
	junk(&m, 100);
	/* the same zlib stream cut short by the file's end */
	size_t toff = put(&m, zs, zn - 20);
	char *path = write_img("vmkernel-zdump.1", &m);
	struct seen seen = { 0 };
	struct zdump_scan *s = scan(path, NULL, &seen);
	CHECK(&u, s && s->nstreams == 3 && !s->ncores);
	CHECK(&u, s && s->nstreams == 3 && s->streams[0].offset == zoff && !s->streams[0].gzip &&
		  s->streams[0].in_bytes == zn && s->streams[0].out_bytes == sizeof(log_text) - 1 &&
		  s->streams[0].end == ZDUMP_COMPLETE);
	CHECK(&u, s && s->nstreams == 3 && s->streams[1].offset == goff && s->streams[1].gzip &&
		  s->streams[1].in_bytes == gn && s->streams[1].end == ZDUMP_COMPLETE);
	CHECK(&u, s && s->nstreams == 3 && s->streams[2].offset == toff && s->streams[2].end == ZDUMP_TRUNCATED);
	/* the inflated text, whole, at offset 0 of each stream */
	int found = 0;
	for (size_t i = 0; i < seen.n; i++)
		found += seen.v[i].stream >= 0 && seen.v[i].stream < 2 && seen.v[i].off == 0 &&
			 seen.v[i].len == sizeof(log_text) - 1 && !memcmp(seen.v[i].text, log_text, seen.v[i].len);
	CHECK(&u, found == 2 && !seen.bad);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	/* caps: one stream inflates at most stream_out bytes */
	struct zdump_limits lim = { 64, 1 << 20, 1 << 20 };
	s = scan((path = write_img("capped-zdump.000", &m)), &lim, &seen);
	CHECK(&u, s && s->nstreams >= 1 && s->streams[0].end == ZDUMP_CAPPED && s->streams[0].out_bytes == 64);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	/* a damaged stream: listed as bad data, its text up to the damage kept */
	free(m.p);
	m = (struct img){ 0 };
	char big[1 << 16];
	size_t bn = 0;
	for (int i = 0; bn + 200 < sizeof(big); i++)
		bn += (size_t)snprintf(big + bn, sizeof(big) - bn, "2020-10-07T13:%02d:%02d.%03dZ cpu%d:%d)line %d\n",
				       i / 3600 % 60, i / 60 % 60, i % 1000, i % 48, i * 7919, i);
	free(zs);
	zs = deflate_all(big, bn, 0, &zn);
	zs[zn / 2] ^= 0x55;
	junk(&m, 64);
	put(&m, zs, zn);
	s = scan((path = write_img("bad-zdump.000", &m)), NULL, &seen);
	CHECK(&u, s && s->nstreams == 1 && s->streams[0].end == ZDUMP_BAD_DATA && s->streams[0].out_bytes > 0);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	free(zs);
	free(gs);
	free(m.p);
	UNIT_END(&u);
}

static void test_cores(void)
{
	UNIT_BEGIN(&u, "elf_cores_raw_and_in_streams");
	uint8_t core[8192 + 64], xcore[8192 + 64];
	size_t cn = make_core(core, 0), xn = make_core(xcore, 1);
	struct img m = { 0 };
	junk(&m, 4097);
	size_t raw_off = put(&m, core, cn);
	junk(&m, 50);
	/* in a stream: after text, its header straddling inflate's 1 MiB output blocks */
	struct img in = { 0 };
	while (in.n < (1 << 20) - 7)
		put(&in, log_text, (1 << 20) - 7 - in.n < sizeof(log_text) - 1 ? (1 << 20) - 7 - in.n : sizeof(log_text) - 1);
	size_t in_off = put(&in, xcore, xn);
	put(&in, "\0", 1);
	put(&in, log_text, sizeof(log_text) - 1);
	size_t zn;
	uint8_t *zs = deflate_all(in.p, in.n, 0, &zn);
	size_t zoff = put(&m, zs, zn);
	char *path = write_img("vpxa-zdump.000", &m);
	struct seen seen = { 0 };
	struct zdump_scan *s = scan(path, NULL, &seen);
	CHECK(&u, s && s->ncores == 2 && s->nstreams == 1);
	CHECK(&u, s && s->ncores == 2 && s->cores[0].stream == -1 && s->cores[0].offset == raw_off &&
		  core_is(&s->cores[0], core, cn));
	CHECK(&u, s && s->ncores == 2 && s->nstreams == 1 && s->cores[1].stream == 0 && s->cores[1].offset == in_off &&
		  s->streams[0].offset == zoff && core_is(&s->cores[1], xcore, xn));
	/* the text after the core in the stream is carved again */
	int after = 0;
	for (size_t i = 0; i < seen.n; i++)
		after |= seen.v[i].stream == 0 && seen.v[i].off == in_off + xn + 1 &&
			 seen.v[i].len == sizeof(log_text) - 1;
	CHECK(&u, after);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	/* a core cut short by the file's end: extracted as far as it goes, its headers' extent told */
	free(m.p);
	m = (struct img){ 0 };
	junk(&m, 10);
	put(&m, core, 5000);
	s = scan((path = write_img("cut-zdump.000", &m)), NULL, &seen);
	CHECK(&u, s && s->ncores == 1 && s->cores[0].size == 5000 && s->cores[0].elf_size == cn);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	/* an ELF header whose program headers are not a core's: no core */
	((Elf64_Ehdr *)core)->e_phentsize = 32;
	free(m.p);
	m = (struct img){ 0 };
	put(&m, "xx", 2);
	put(&m, core, cn);
	s = scan((path = write_img("notcore-zdump.000", &m)), NULL, &seen);
	CHECK(&u, s && s->ncores == 0);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	free(zs);
	free(in.p);
	free(m.p);
	UNIT_END(&u);
}

static void test_encrypted(void)
{
	UNIT_BEGIN(&u, "encrypted_envelope_at_4096");
	struct img m = { 0 };
	char hdr[4096];
	memset(hdr, 'H', sizeof(hdr));
	put(&m, hdr, sizeof(hdr));
	uint8_t env[4096] = "DataTransformEnvelope";
	env[508] = 2;	/* version, u32 little-endian at 508 */
	put(&m, env, sizeof(env));
	/* a zlib stream in the ciphertext part is not looked for */
	size_t zn;
	uint8_t *zs = deflate_all(log_text, sizeof(log_text) - 1, 0, &zn);
	put(&m, zs, zn);
	char *path = write_img("vmkernel-zdump.2", &m);
	struct seen seen = { 0 };
	struct zdump_scan *s = scan(path, NULL, &seen);
	CHECK(&u, s && s->encrypted && s->envelope_version == 2 && s->nstreams == 0 && s->text_bytes == 4096);
	int fd = open(path, O_RDONLY);
	CHECK(&u, input_zdump_encrypted(fd));
	/* the envelope names it a zdump whatever the file is called */
	uint8_t h[4096];
	CHECK(&u, pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
		  input_classify("case-1234.bin", fd, h, sizeof(h)).kind == INPUT_ZDUMP);
	close(fd);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	free(zs);
	free(m.p);
	UNIT_END(&u);
}

static void test_random_is_nothing(void)
{
	UNIT_BEGIN(&u, "random_bytes_give_no_stream_or_core");
	struct img m = { 0 };
	junk(&m, 4 << 20);
	char *path = write_img("junk-zdump.000", &m);
	struct seen seen = { 0 };
	struct zdump_scan *s = scan(path, NULL, &seen);
	/* hundreds of zlib-looking byte pairs are tried; none is a stream */
	CHECK(&u, s && s->nstreams == 0 && s->ncores == 0 && s->candidates > 100 && !seen.bad);
	seen_free(&seen);
	zdump_scan_destroy(s);
	free(path);
	free(m.p);
	/* an empty file */
	m = (struct img){ 0 };
	s = scan((path = write_img("empty-zdump.000", &m)), NULL, &seen);
	CHECK(&u, s && s->size == 0 && !s->nstreams && !s->ncores && !seen.n);
	zdump_scan_destroy(s);
	free(path);
	UNIT_END(&u);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_zdump.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_names();
	test_text_against_strings();
	test_streams();
	test_cores();
	test_encrypted();
	test_random_is_nothing();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return UNIT_EXIT(&u);
}
