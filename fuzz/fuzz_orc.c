/*
 * fuzz_orc.c - libFuzzer harness for the ORC unwinder: the input is an ORC
 * table (int32 IPs then 6-byte entries) and a stack, mapped in a fake
 * ck_memory, plus a starting state.  The unwind must end by itself: sp only
 * rises within a stack and stack switches are limited, so the steps are
 * bounded by the mapped bytes; reaching that bound is a loop (abort).
 *
 * Input: [0] format 1..3, [1] flags (1 signal, 2 bp valid, 4 stack bounds,
 * 8 registers from the stack bytes), [2..3] entry count, [4..5] table bytes,
 * [6..7] ip - TEXT, [8..9] sp - STK, [10..11] bp - STK, then the table bytes,
 * then the stack bytes (at most STACK_MAX).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HDR = 12, STACK_MAX = 8192 };
static const uint64_t TEXT = 0xffffffff81000000ULL, TABLE = 0xffffffff82000000ULL,
		      STK = 0xffffc90000004000ULL;

struct region { uint64_t va; size_t len; const uint8_t *b; };
struct fake { struct region r[2]; };

static struct ck_error *fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = arg;
	for (int i = 0; i < 2; i++) {
		const struct region *r = &f->r[i];
		if (addr >= r->va && addr - r->va <= r->len && len <= r->len - (addr - r->va)) {
			memcpy(buf, r->b + (addr - r->va), len);
			return NULL;
		}
	}
	return ck_error_create(CK_ERR_FAULT, "fake: 0x%llx not mapped", (unsigned long long)addr);
}

static unsigned u16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	unsigned fmt = data[0] % 3 + 1, flags = data[1], count = u16(data + 2), tlen = u16(data + 4);
	if (tlen > size - HDR)
		tlen = (unsigned)(size - HDR);
	size_t slen = size - HDR - tlen;
	if (slen > STACK_MAX)
		slen = STACK_MAX;
	struct fake f = { { { TABLE, tlen, data + HDR }, { STK, slen, data + HDR + tlen } } };
	struct ck_memory mem = { fake_read, &f };
	struct orc_unwinder *u = NULL;
	struct ck_error *err = orc_unwinder_create(&mem, (enum orc_format)fmt, &u);
	if (err)
		abort();
	/* The entries follow the IPs; count may be a lie (then the read faults). */
	err = orc_add_table(u, TABLE, TABLE + 4ULL * count, count, TEXT, TEXT + 0x10000);
	if (err && err->kind != CK_ERR_INPUT && err->kind != CK_ERR_FAULT)
		abort();
	ck_error_destroy(err);

	struct orc_frame_state st;
	uint64_t lo = flags & 4 ? STK : 0, hi = flags & 4 ? STK + slen : 0;
	if ((flags & 8) && slen >= 16 * 8) {
		struct x86_regs r = { 0 };
		memcpy(r.gpr, data + HDR + tlen, 16 * 8);
		r.rip = TEXT + u16(data + 6);
		r.gpr[X86_RSP] = STK + u16(data + 8);
		r.gpr[X86_RBP] = STK + u16(data + 10);
		r.sel[X86_CS] = 0x10;
		r.present = (1ULL << REG_NBITS) - 1;
		orc_state_from_regs(&r, lo, hi, &st);
	} else {
		memset(&st, 0, sizeof(st));
		st.ip = TEXT + u16(data + 6);
		st.sp = STK + u16(data + 8);
		st.bp = STK + u16(data + 10);
		st.bp_valid = flags & 2;
		st.signal = flags & 1;
		st.stack_lo = lo;
		st.stack_hi = hi;
	}
	/* Every step reads mapped memory above the last sp, 9 stacks at most. */
	size_t bound = (ORC_MAX_STACK_SWITCHES + 1) * (tlen + slen + 16) + 16, n = 0;
	for (;; n++) {
		if (n > bound)
			abort();	/* an unwind that does not end */
		struct orc_step r;
		err = orc_step(u, &st, &r);
		if (err)
			abort();	/* fake memory only faults, and faults are stops */
		if (r.kind == ORC_STEP_STOP && !r.why)
			abort();	/* a stop always says why */
		if (r.kind == ORC_STEP_END || r.kind == ORC_STEP_STOP || r.kind == ORC_STEP_USER)
			break;
	}
	orc_unwinder_destroy(u);
	return 0;
}
