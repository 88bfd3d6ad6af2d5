/*
 * klog.c - read the lockless printk ring buffer (Linux 5.10+) from guest
 * memory with VMCOREINFO's offsets only.
 *
 * Facts used (kernel/printk/printk_ringbuffer.[ch]):
 *  - descriptor i of id is descs[id & (2^count_bits - 1)], its info is
 *    infos[same index]; state_var holds the id in bits 0..61 and the state in
 *    bits 62..63 (0 reserved, 1 committed, 2 finalized, 3 reusable);
 *  - ids run from desc_ring.tail_id to head_id (oldest to newest);
 *  - a text block spans lpos [begin, next) of a 2^size_bits data ring; an
 *    odd lpos means "no data"; a block whose end lies in the next wrap was
 *    written at the ring's start and spans [0, index(next)); the block starts
 *    with the descriptor id (unsigned long), then info.text_len bytes of text;
 *  - printk_info has u16 text_len, then u8 facility, then a byte with flags in
 *    bits 0..4 and level in bits 5..7 (not in VMCOREINFO: derived from
 *    text_len's offset when the gap before caller_id leaves room for them).
 */
#include "klog.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmcoreinfo.h"

enum {
	KLOG_MAX_COUNT_BITS = 25,	/* 32 Mi descriptors: a 1 GiB log_buf */
	KLOG_MAX_SIZE_BITS = 31,	/* the kernel's own log_buf_len limit */
	KLOG_MAX_STRUCT = 4096,		/* any exported offset/size beyond this is nonsense */
	KLOG_MAX_BAD_RUN = 4096,	/* give up after this many unreadable descriptors in a row */
};

#define SV_STATE_SHIFT 62
#define SV_ID_MASK ((UINT64_C(1) << SV_STATE_SHIFT) - 1)
enum { DESC_RESERVED, DESC_COMMITTED, DESC_FINALIZED, DESC_REUSABLE };

/* Offsets/sizes from VMCOREINFO; -1 = not exported (only for optional ones). */
struct prb_layout {
	int64_t rb_desc_ring, rb_text_ring, rb_size;
	int64_t dr_count_bits, dr_descs, dr_infos, dr_head_id, dr_tail_id;
	int64_t d_state_var, d_text_lpos, d_size, lpos_begin, lpos_next;
	int64_t tr_size_bits, tr_data;
	int64_t i_seq, i_ts_nsec, i_text_len, i_caller_id, i_size;
	int64_t counter;
};

static const struct {
	const char *key;
	size_t off;
	int required;
} layout_keys[] = {
#define K(key, field, req) { key, offsetof(struct prb_layout, field), req }
	K("OFFSET(printk_ringbuffer.desc_ring)", rb_desc_ring, 1),
	K("OFFSET(printk_ringbuffer.text_data_ring)", rb_text_ring, 1),
	K("SIZE(printk_ringbuffer)", rb_size, 1),
	K("OFFSET(prb_desc_ring.count_bits)", dr_count_bits, 1),
	K("OFFSET(prb_desc_ring.descs)", dr_descs, 1),
	K("OFFSET(prb_desc_ring.infos)", dr_infos, 1),
	K("OFFSET(prb_desc_ring.head_id)", dr_head_id, 1),
	K("OFFSET(prb_desc_ring.tail_id)", dr_tail_id, 1),
	K("OFFSET(prb_desc.state_var)", d_state_var, 1),
	K("OFFSET(prb_desc.text_blk_lpos)", d_text_lpos, 1),
	K("SIZE(prb_desc)", d_size, 1),
	K("OFFSET(prb_data_blk_lpos.begin)", lpos_begin, 1),
	K("OFFSET(prb_data_blk_lpos.next)", lpos_next, 1),
	K("OFFSET(prb_data_ring.size_bits)", tr_size_bits, 1),
	K("OFFSET(prb_data_ring.data)", tr_data, 1),
	K("OFFSET(printk_info.seq)", i_seq, 1),
	K("OFFSET(printk_info.ts_nsec)", i_ts_nsec, 1),
	K("OFFSET(printk_info.text_len)", i_text_len, 1),
	K("OFFSET(printk_info.caller_id)", i_caller_id, 0),
	K("SIZE(printk_info)", i_size, 1),
	K("OFFSET(atomic_long_t.counter)", counter, 0),
#undef K
};

static struct ck_error *layout_read(const char *vi, size_t vilen, struct prb_layout *l)
{
	for (size_t i = 0; i < sizeof(layout_keys) / sizeof(layout_keys[0]); i++) {
		int64_t v = -1;
		if (!vmcoreinfo_get_dec(vi, vilen, layout_keys[i].key, &v)) {
			if (layout_keys[i].required)
				return ck_error_create(CK_ERR_INPUT, "VMCOREINFO: no %s (no lockless printk ring: kernel older than 5.10?)",
						       layout_keys[i].key);
			v = -1;
		} else if (v < 0 || v > KLOG_MAX_STRUCT) {
			return ck_error_create(CK_ERR_INPUT, "VMCOREINFO: %s=%" PRId64 " out of range",
					       layout_keys[i].key, v);
		}
		memcpy((char *)l + layout_keys[i].off, &v, sizeof(v));
	}
	if (l->counter < 0)
		l->counter = 0;	/* atomic_long_t is { long counter; } */
	/* Every field read must lie inside its struct. */
	int ok = l->rb_size >= 0 &&
		 l->rb_desc_ring + l->dr_count_bits + 4 <= l->rb_size &&
		 l->rb_desc_ring + l->dr_descs + 8 <= l->rb_size &&
		 l->rb_desc_ring + l->dr_infos + 8 <= l->rb_size &&
		 l->rb_desc_ring + l->dr_head_id + l->counter + 8 <= l->rb_size &&
		 l->rb_desc_ring + l->dr_tail_id + l->counter + 8 <= l->rb_size &&
		 l->rb_text_ring + l->tr_size_bits + 4 <= l->rb_size &&
		 l->rb_text_ring + l->tr_data + 8 <= l->rb_size &&
		 l->d_state_var + 8 <= l->d_size &&
		 l->d_text_lpos + l->lpos_begin + 8 <= l->d_size &&
		 l->d_text_lpos + l->lpos_next + 8 <= l->d_size &&
		 l->i_seq + 8 <= l->i_size && l->i_ts_nsec + 8 <= l->i_size &&
		 l->i_text_len + 2 <= l->i_size &&
		 (l->i_caller_id < 0 || l->i_caller_id + 4 <= l->i_size);
	if (!ok)
		return ck_error_create(CK_ERR_INPUT, "VMCOREINFO: printk ring offsets do not fit their SIZE()");
	return NULL;
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t x = 0;
	for (int i = n - 1; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

/* The walk's state: geometry read from the guest, already range-checked. */
struct ring {
	const struct ck_memory *mem;
	const struct prb_layout *l;
	uint64_t descs, infos, data;
	unsigned count_bits, size_bits;
};

static void warn(struct klog *log, const char *why)
{
	if (!log->warnings++)
		log->first_warning = why;
}

/* Non-fault errors end the walk; faults become a warning. */
static struct ck_error *soft(struct klog *log, struct ck_error *err, const char *why)
{
	if (!ck_error_is_fault(err))
		return err;
	ck_error_destroy(err);
	warn(log, why);
	return NULL;
}

static struct ck_error *append(struct klog *log, size_t *cap, const struct klog_record *r)
{
	if (log->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct klog_record *p = realloc(log->recs, ncap * sizeof(*p));
		if (!p)
			return &ck_enomem;
		log->recs = p;
		*cap = ncap;
	}
	log->recs[log->n++] = *r;
	return NULL;
}

/*
 * The text of descriptor id from its block [begin, next): *text_ret gets a
 * malloc'ed copy (NULL + warning when unreadable; "" for a data-less block).
 */
static struct ck_error *read_text(const struct ring *g, struct klog *log, uint64_t id, uint64_t begin,
				  uint64_t next, size_t text_len, char **text_ret, size_t *len_ret)
{
	*text_ret = NULL;
	*len_ret = 0;
	if ((begin & 1) || (next & 1)) {	/* data-less record (failed or empty) */
		*text_ret = strdup("");
		return *text_ret ? NULL : &ck_enomem;
	}
	uint64_t size = UINT64_C(1) << g->size_bits, mask = size - 1;
	uint64_t idx, blen;
	if (begin != next && (begin >> g->size_bits) == ((next - 1) >> g->size_bits) && next - begin <= size) {
		idx = begin & mask;
		blen = next - begin;
	} else if (((begin + size) >> g->size_bits) == (next >> g->size_bits)) {
		idx = 0;
		blen = next & mask;
	} else {
		warn(log, "text block lpos begin/next inconsistent");
		return NULL;
	}
	if (blen < 8 || idx + blen > size) {
		warn(log, "text block too small or past the data ring");
		return NULL;
	}
	if (text_len > blen - 8) {
		warn(log, "text_len larger than its data block (cut)");
		text_len = (size_t)(blen - 8);
	}
	uint8_t *buf = malloc(8 + text_len + 1);
	if (!buf)
		return &ck_enomem;
	struct ck_error *err = ck_mem_read(g->mem, g->data + idx, buf, 8 + text_len);
	if (err) {
		free(buf);
		return soft(log, err, "text block unreadable");
	}
	if ((get_le(buf, 8) & SV_ID_MASK) != id) {
		free(buf);
		warn(log, "text block belongs to another descriptor");
		return NULL;
	}
	memmove(buf, buf + 8, text_len);
	buf[text_len] = 0;
	*text_ret = (char *)buf;
	*len_ret = text_len;
	return NULL;
}

/* One descriptor; *good = 0 when it was unreadable or held another id (corruption). */
static struct ck_error *read_one(const struct ring *g, struct klog *log, size_t *cap, uint64_t id, int *good)
{
	const struct prb_layout *l = g->l;
	uint64_t i = id & ((UINT64_C(1) << g->count_bits) - 1);
	uint8_t d[KLOG_MAX_STRUCT], info[KLOG_MAX_STRUCT];
	*good = 0;
	struct ck_error *err = ck_mem_read(g->mem, g->descs + i * (uint64_t)l->d_size, d, (size_t)l->d_size);
	if (err)
		return soft(log, err, "descriptor unreadable");
	uint64_t sv = get_le(d + l->d_state_var, 8);
	unsigned state = (unsigned)(sv >> SV_STATE_SHIFT);
	if ((sv & SV_ID_MASK) != id) {
		warn(log, "descriptor holds another id");
		return NULL;
	}
	*good = 1;
	if (state != DESC_COMMITTED && state != DESC_FINALIZED) {
		log->skipped++;
		return NULL;
	}
	err = ck_mem_read(g->mem, g->infos + i * (uint64_t)l->i_size, info, (size_t)l->i_size);
	if (err)
		return soft(log, err, "printk_info unreadable");
	struct klog_record r = {
		.seq = get_le(info + l->i_seq, 8),
		.ts_nsec = get_le(info + l->i_ts_nsec, 8),
		.level = -1, .facility = -1, .caller_id = -1,
	};
	size_t text_len = (size_t)get_le(info + l->i_text_len, 2);
	int64_t end = l->i_caller_id >= 0 ? l->i_caller_id : l->i_size;
	if (l->i_text_len + 4 <= end) {
		r.facility = info[l->i_text_len + 2];
		r.level = info[l->i_text_len + 3] >> 5;
	}
	if (l->i_caller_id >= 0)
		r.caller_id = (int64_t)get_le(info + l->i_caller_id, 4);
	uint64_t begin = get_le(d + l->d_text_lpos + l->lpos_begin, 8);
	uint64_t next = get_le(d + l->d_text_lpos + l->lpos_next, 8);
	err = read_text(g, log, id, begin, next, text_len, &r.text, &r.text_len);
	if (err)
		return err;
	if (!r.text)
		return NULL;	/* warned */
	err = append(log, cap, &r);
	if (err)
		free(r.text);
	return err;
}

struct ck_error *klog_read(const struct ck_memory *mem, const char *vmcoreinfo, size_t vmcoreinfo_len,
			   struct klog **ret)
{
	struct prb_layout l;
	uint64_t prb_sym, prb;
	struct ck_error *err = layout_read(vmcoreinfo, vmcoreinfo_len, &l);
	if (err)
		return err;
	if (!vmcoreinfo_get_hex(vmcoreinfo, vmcoreinfo_len, "SYMBOL(prb)", &prb_sym))
		return ck_error_create(CK_ERR_INPUT, "VMCOREINFO: no SYMBOL(prb) (kernel older than 5.10?)");
	err = ck_mem_read_u64(mem, prb_sym, &prb);
	if (err)
		return ck_error_prefix(err, "printk ring pointer prb");
	uint8_t hdr[KLOG_MAX_STRUCT];
	err = ck_mem_read(mem, prb, hdr, (size_t)l.rb_size);
	if (err)
		return ck_error_prefix(err, "printk ring at 0x%" PRIx64, prb);

	struct klog *log = calloc(1, sizeof(*log));
	if (!log)
		return &ck_enomem;
	const uint8_t *dr = hdr + l.rb_desc_ring, *tr = hdr + l.rb_text_ring;
	struct ring g = {
		.mem = mem, .l = &l,
		.descs = get_le(dr + l.dr_descs, 8),
		.infos = get_le(dr + l.dr_infos, 8),
		.data = get_le(tr + l.tr_data, 8),
		.count_bits = (unsigned)get_le(dr + l.dr_count_bits, 4),
		.size_bits = (unsigned)get_le(tr + l.tr_size_bits, 4),
	};
	uint64_t head = get_le(dr + l.dr_head_id + l.counter, 8) & SV_ID_MASK;
	uint64_t tail = get_le(dr + l.dr_tail_id + l.counter, 8) & SV_ID_MASK;
	if (g.count_bits == 0 || g.count_bits > KLOG_MAX_COUNT_BITS ||
	    g.size_bits < 4 || g.size_bits > KLOG_MAX_SIZE_BITS) {
		warn(log, "printk ring geometry (count_bits/size_bits) out of range");
		*ret = log;
		return NULL;
	}
	uint64_t count = UINT64_C(1) << g.count_bits;
	uint64_t n = ((head - tail) & SV_ID_MASK) + 1;
	if (n > count) {
		warn(log, "head_id and tail_id further apart than the ring");
		n = count;
		tail = (head - (count - 1)) & SV_ID_MASK;
	}
	size_t cap = 0;
	uint64_t bad_run = 0;
	for (uint64_t k = 0; k < n; k++) {
		int good;
		err = read_one(&g, log, &cap, (tail + k) & SV_ID_MASK, &good);
		if (err) {
			klog_destroy(log);
			return err;
		}
		bad_run = good ? 0 : bad_run + 1;
		if (bad_run >= KLOG_MAX_BAD_RUN) {
			warn(log, "too many unreadable descriptors in a row: walk stopped");
			break;
		}
	}
	*ret = log;
	return NULL;
}

void klog_destroy(struct klog *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++)
		free(log->recs[i].text);
	free(log->recs);
	free(log);
}

void klog_format_dmesg(FILE *f, const struct klog *log, int with_level)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct klog_record *r = &log->recs[i];
		char pfx[64];
		int w = snprintf(pfx, sizeof(pfx), "[%5" PRIu64 ".%06" PRIu64 "] ", r->ts_nsec / 1000000000u,
				 r->ts_nsec % 1000000000u / 1000u);
		fputs(pfx, f);
		if (with_level && r->level >= 0) {
			int lw = fprintf(f, "<%d>", r->level);
			w += lw > 0 ? lw : 0;
		}
		const char *p = r->text, *end = r->text + r->text_len;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			fwrite(p, 1, (size_t)((nl ? nl : end) - p), f);
			fputc('\n', f);
			if (!nl)
				break;
			p = nl + 1;
			fprintf(f, "%*s", w, "");
		}
	}
}
