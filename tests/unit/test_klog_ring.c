/*
 * test_klog_ring.c - klog_read() on a synthetic printk ring in a fake
 * ck_memory: a writer that follows the kernel's rules (ids, finalized
 * states, 8-byte aligned data blocks that start with their id, blocks that
 * do not fit before the end of the data ring start at its beginning, old
 * records dropped when their data is overwritten or their descriptor is
 * reused) fills a 16-descriptor / 1 KiB ring far past one wrap; then the
 * ring is corrupted in the ways guest memory can be (wild lpos, huge
 * count_bits, far-apart or cyclic ids, lying text_len, unmapped pointers,
 * random bytes) and klog_read() must return what is readable plus warnings,
 * quickly, without an error.  Offsets are those the 6.1 guest exports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "klog.h"
#include "klog_events.h"
#include "unit.h"

static const uint64_t BASE = 0xffff888000000000ULL;
enum {
	MEM_SIZE = 0x10000,
	PRB_SYM = 0x0, RB = 0x100, DESCS = 0x1000, INFOS = 0x2000, DATA = 0x4000,
	COUNT_BITS = 4, COUNT = 1 << COUNT_BITS, SIZE_BITS = 10, DSIZE = 1 << SIZE_BITS,
	D_SIZE = 24, I_SIZE = 88,
};

static const char VMCOREINFO[] =
	"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
	"SYMBOL(prb)=ffff888000000000\n"
	"SIZE(printk_ringbuffer)=88\nOFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\nOFFSET(printk_ringbuffer.fail)=80\n"
	"SIZE(prb_desc_ring)=48\nOFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\nOFFSET(prb_desc_ring.head_id)=24\nOFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\nOFFSET(prb_desc.state_var)=0\nOFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\nOFFSET(prb_data_blk_lpos.begin)=0\nOFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\nOFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\nOFFSET(printk_info.caller_id)=20\nOFFSET(printk_info.dev_info)=24\n"
	"SIZE(prb_data_ring)=32\nOFFSET(prb_data_ring.size_bits)=0\nOFFSET(prb_data_ring.data)=8\n"
	"OFFSET(prb_data_ring.head_lpos)=16\nOFFSET(prb_data_ring.tail_lpos)=24\n"
	"SIZE(atomic_long_t)=8\nOFFSET(atomic_long_t.counter)=0\n";

struct fake {
	uint8_t mem[MEM_SIZE];
	uint64_t nreads;
	/* writer state */
	uint64_t head_id, tail_id, head_lpos, seq;
	uint64_t begin[COUNT];	/* begin lpos of the live record in each descriptor slot */
	int any;
	/* what the live records must read back as */
	char text[COUNT][256];
	int wrapped_live;
};

static struct ck_error *fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = arg;
	f->nreads++;
	if (addr < BASE || addr - BASE > MEM_SIZE || len > MEM_SIZE - (addr - BASE))
		return ck_error_create(CK_ERR_FAULT, "0x%" PRIx64 ": not mapped", addr);
	memcpy(buf, f->mem + (addr - BASE), len);
	return NULL;
}

static void put(struct fake *f, uint64_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		f->mem[off + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const struct fake *f, uint64_t off)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | f->mem[off + (uint64_t)i];
	return v;
}

static void header(struct fake *f)
{
	put(f, PRB_SYM, BASE + RB, 8);
	put(f, RB + 0, COUNT_BITS, 4);
	put(f, RB + 8, BASE + DESCS, 8);
	put(f, RB + 16, BASE + INFOS, 8);
	put(f, RB + 24, f->head_id, 8);
	put(f, RB + 32, f->tail_id, 8);
	put(f, RB + 48, SIZE_BITS, 4);
	put(f, RB + 56, BASE + DATA, 8);
	put(f, RB + 64, f->head_lpos, 8);
}

/* Append one finalized record as the kernel would, dropping what it overwrites. */
static void emit(struct fake *f, const char *text, int level, uint32_t caller)
{
	uint64_t id = f->any ? f->head_id + 1 : 0;
	size_t len = strlen(text);
	uint64_t size = (8 + len + 7) & ~(uint64_t)7;
	uint64_t begin = f->head_lpos, next = begin + size, at = begin & (DSIZE - 1);
	if ((begin >> SIZE_BITS) != ((next - 1) >> SIZE_BITS)) {	/* does not fit: start of next wrap */
		next = ((next >> SIZE_BITS) << SIZE_BITS) + size;
		at = 0;
	}
	/* drop the oldest records whose data or descriptor slot is reused */
	while (f->any && f->tail_id <= f->head_id &&
	       ((next > DSIZE && f->begin[f->tail_id % COUNT] < next - DSIZE) || id - f->tail_id >= COUNT)) {
		put(f, DESCS + (f->tail_id % COUNT) * D_SIZE, 3ULL << 62 | f->tail_id, 8);	/* reusable */
		f->tail_id++;
	}
	uint64_t slot = id % COUNT;
	put(f, DATA + at, id, 8);
	memcpy(f->mem + DATA + at + 8, text, len);
	put(f, DESCS + slot * D_SIZE, 2ULL << 62 | id, 8);	/* finalized */
	put(f, DESCS + slot * D_SIZE + 8, begin, 8);
	put(f, DESCS + slot * D_SIZE + 16, next, 8);
	uint64_t info = INFOS + slot * I_SIZE;
	memset(f->mem + info, 0, I_SIZE);
	put(f, info + 0, f->seq++, 8);
	put(f, info + 8, 1000000000ULL * id + 123456789, 8);
	put(f, info + 16, len, 2);
	f->mem[info + 19] = (uint8_t)(level << 5);
	put(f, info + 20, caller, 4);
	f->begin[slot] = begin;
	snprintf(f->text[slot], sizeof(f->text[slot]), "%s", text);
	if (!f->any)
		f->tail_id = 0;
	f->any = 1;
	f->head_id = id;
	f->head_lpos = next;
	header(f);
}

/* A ring written well past its first wrap. */
static void fill(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	char t[256];
	for (int i = 0; i < 100; i++) {
		int pad = (i * 37) % 90;
		if (i % 7 == 3)
			snprintf(t, sizeof(t), "record %d first line\nsecond line %*s|", i, pad, "");
		else
			snprintf(t, sizeof(t), "record %d %*s|", i, pad, "");
		emit(f, t, i % 8, i % 5 ? (uint32_t)(100 + i) : 0x80000000u | (uint32_t)(i % 4));
	}
	for (uint64_t id = f->tail_id; id <= f->head_id; id++) {
		uint64_t s = id % COUNT;
		if ((get(f, DESCS + s * D_SIZE + 8) >> SIZE_BITS) != (get(f, DESCS + s * D_SIZE + 16) >> SIZE_BITS))
			f->wrapped_live = 1;
	}
}

static struct ck_error *rd(struct fake *f, const char *vi, struct klog **log)
{
	struct ck_memory m = { fake_read, f };
	return klog_read(&m, vi, strlen(vi), log);
}

/* The records read equal the live records of the writer. */
static int matches_writer(const struct fake *f, const struct klog *log, uint64_t first_id)
{
	if (log->n != f->head_id - first_id + 1)
		return 0;
	for (size_t i = 0; i < log->n; i++) {
		uint64_t id = first_id + i, s = id % COUNT;
		const struct klog_record *r = &log->recs[i];
		if (strcmp(r->text, f->text[s]) || r->text_len != strlen(f->text[s]) ||
		    r->ts_nsec != 1000000000ULL * id + 123456789 || r->seq != get(f, INFOS + s * I_SIZE) ||
		    r->level != (int)(id % 8) || r->facility != 0)
			return 0;
		if (r->caller_id != (int64_t)(id % 5 ? 100 + id : 0x80000000u | (id % 4)))
			return 0;
	}
	return 1;
}

/* Replace one KEY=VALUE line of the VMCOREINFO. */
static void vi_set(char *out, size_t cap, const char *key, const char *value)
{
	const char *p = strstr(VMCOREINFO, key);
	const char *e = strchr(p, '\n');
	snprintf(out, cap, "%.*s%s=%s%s", (int)(p - VMCOREINFO), VMCOREINFO, key, value, e);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	struct unit u = { 0 };
	static struct fake f;
	struct klog *log = NULL;
	struct ck_error *err;

	UNIT_BEGIN(&u, "klog_ring_intact_after_wraps");
	fill(&f);
	CHECK(&u, f.head_id == 99 && f.tail_id > 80 && f.wrapped_live);
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->warnings == 0 && matches_writer(&f, log, f.tail_id));
	ck_error_destroy(err);
	if (log) {
		char *buf = NULL;
		size_t blen = 0;
		FILE *mf = open_memstream(&buf, &blen);
		klog_format_dmesg(mf, log, 0);
		fclose(mf);
		/* "[   99.123456] record 99 ..." and a continuation indented by the prefix width */
		CHECK(&u, buf && strstr(buf, "[   99.123456] record 99 "));
		CHECK(&u, buf && strstr(buf, " first line\n               second line "));
		free(buf);
	}
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_wild_lpos");
	fill(&f);
	uint64_t victim = (f.tail_id + 2) % COUNT;
	put(&f, DESCS + victim * D_SIZE + 8, 0x7ffffffffff0ULL, 8);
	put(&f, DESCS + victim * D_SIZE + 16, 0x123ULL << 40, 8);
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->warnings == 1 && log->n == f.head_id - f.tail_id);
	CHECK(&u, log && log->first_warning && strstr(log->first_warning, "lpos"));
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_huge_count_bits");
	static const uint32_t bad_bits[] = { 0, 26, 63, 64, 0xffffffffu };
	for (size_t i = 0; i < sizeof(bad_bits) / sizeof(bad_bits[0]); i++) {
		fill(&f);
		put(&f, RB + 0, bad_bits[i], 4);
		err = rd(&f, VMCOREINFO, &log);
		CHECK(&u, !err && log && log->n == 0 && log->warnings == 1 && f.nreads < 10);
		ck_error_destroy(err);
		klog_destroy(log);
		log = NULL;
	}
	fill(&f);
	put(&f, RB + 48, 60, 4);	/* data ring size_bits */
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->n == 0 && log->warnings == 1);
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_big_ring_bounded_walk");
	/* count_bits 25 is plausible, but only 16 descriptors are mapped: the walk gives up */
	fill(&f);
	put(&f, RB + 0, 25, 4);
	put(&f, RB + 32, f.head_id - 20000000, 8);
	double t0 = now();
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->warnings > 0 && now() - t0 < 5 && f.nreads < 20000);
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_cyclic_ids");
	/* tail after head: the distance wraps around the id space; clamped to one ring */
	fill(&f);
	put(&f, RB + 32, f.head_id + 5, 8);
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->warnings >= 1 && matches_writer(&f, log, f.tail_id));
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	/* every descriptor claims the same id: one record at most, no loop */
	fill(&f);
	for (int s = 0; s < COUNT; s++)
		put(&f, DESCS + (uint64_t)s * D_SIZE, 2ULL << 62 | f.head_id, 8);
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->n == 1 && log->warnings == (uint64_t)(f.head_id - f.tail_id));
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_lying_text_len_and_block_id");
	fill(&f);
	uint64_t s1 = (f.tail_id + 1) % COUNT, s2 = (f.tail_id + 3) % COUNT;
	put(&f, INFOS + s1 * I_SIZE + 16, 0xffff, 2);	/* text_len past its block: cut */
	uint64_t b2 = get(&f, DESCS + s2 * D_SIZE + 8), n2 = get(&f, DESCS + s2 * D_SIZE + 16);
	uint64_t at2 = (b2 >> SIZE_BITS) == ((n2 - 1) >> SIZE_BITS) ? b2 % DSIZE : 0;
	put(&f, DATA + at2, get(&f, DATA + at2) + COUNT, 8);	/* the block names another id */
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->warnings == 2 && log->n == f.head_id - f.tail_id);
	CHECK(&u, log && log->n > 1 && strncmp(log->recs[1].text, f.text[s1], strlen(f.text[s1])) == 0 &&
		  log->recs[1].text_len < 0xffff && log->recs[1].text_len >= strlen(f.text[s1]));
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_unmapped_pointers");
	fill(&f);
	put(&f, RB + 56, 0xdead000000000000ULL, 8);	/* data ring */
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, !err && log && log->n == 0 && log->warnings == f.head_id - f.tail_id + 1);
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	fill(&f);
	put(&f, PRB_SYM, 0x1000, 8);	/* prb itself */
	err = rd(&f, VMCOREINFO, &log);
	CHECK(&u, err && err->kind == CK_ERR_FAULT && !log);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_vmcoreinfo_checks");
	char vi[sizeof(VMCOREINFO) + 64];
	fill(&f);
	static const struct {
		const char *key, *value;
	} bad[] = {
		{ "SYMBOL(prb)", "zz" },
		{ "OFFSET(prb_desc.state_var)", "5000" },
		{ "OFFSET(prb_desc.state_var)", "-8" },
		{ "OFFSET(printk_info.ts_nsec)", "84" },	/* 84 + 8 > SIZE(printk_info) */
		{ "SIZE(printk_ringbuffer)", "40" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vi_set(vi, sizeof(vi), bad[i].key, bad[i].value);
		err = rd(&f, vi, &log);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && !log);
		ck_error_destroy(err);
	}
	err = rd(&f, "OSRELEASE=4.19.0\n", &log);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "5.10") && !log);
	ck_error_destroy(err);
	/* no caller_id exported: records still read, caller unknown */
	vi_set(vi, sizeof(vi), "OFFSET(printk_info.caller_id)", "x");
	err = rd(&f, vi, &log);
	CHECK(&u, !err && log && log->n == f.head_id - f.tail_id + 1 && log->recs[0].caller_id == -1);
	ck_error_destroy(err);
	klog_destroy(log);
	log = NULL;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_ring_random_bytes");
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int crashed_not = 1;
	t0 = now();
	for (int round = 0; round < 300; round++) {
		fill(&f);
		/* scribble over the header, descriptors and infos (and sometimes the data) */
		uint64_t lo = round % 3 == 0 ? RB : DESCS, hi = round % 3 == 2 ? DATA + DSIZE : DATA;
		for (int k = 0; k < 40 + round; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			f.mem[lo + x % (hi - lo)] = (uint8_t)(x >> 32);
		}
		err = rd(&f, VMCOREINFO, &log);
		if (!err && !log)
			crashed_not = 0;
		for (size_t i = 0; log && i < log->n; i++)
			if (strlen(log->recs[i].text) > log->recs[i].text_len)
				crashed_not = 0;
		ck_error_destroy(err);
		klog_destroy(log);
		log = NULL;
	}
	CHECK(&u, crashed_not && now() - t0 < 30);
	UNIT_END(&u);

	return UNIT_EXIT(&u);
}
