/*
 * test_orc.c - the ORC unwinder on synthetic tables and stacks in a fake
 * ck_memory: every sp/bp rule, pt_regs (full, partial, user), stack
 * switches, the frame-pointer fallback, the three entry formats, unsorted
 * tables, bad tables, and stacks that loop or fault (clean stops).
 * The real-guest test is test_orc_guest.c.
 */
#include <stdlib.h>
#include <string.h>

#include "orc.h"
#include "unit.h"

/* Guest layout. */
static const uint64_t TEXT = 0xffffffff81000000ULL, TEXT_LEN = 0x10000;
static const uint64_t TABLE = 0xffffffff82000000ULL;
static const uint64_t STK = 0xffffc90000004000ULL;	/* task stack, 16 KiB */
static const uint64_t IRQ = 0xffffc90000100000ULL;	/* IRQ stack, 16 KiB */
static const uint64_t FAR = 0xffffc90000200000ULL;	/* a third stack */
static const uint64_t NOTAB = 0xffffffffc0001000ULL;	/* kernel code without ORC */

enum { F1 = 0x100, F2 = 0x200, F3 = 0x300, EREGS = 0x400, EPART = 0x500, ER10 = 0x600, ESPIND = 0x700,
	EEND = 0x800, EUNDEF = 0x900, ELOOP = 0xa00, EBAD = 0xb00, ELAST = 0xc00 };

struct region { uint64_t va; size_t len; uint8_t *b; };
struct fake { struct region r[4]; };

static struct ck_error *fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = arg;
	for (int i = 0; i < 4; i++) {
		struct region *r = &f->r[i];
		if (addr >= r->va && addr - r->va <= r->len && len <= r->len - (addr - r->va)) {
			memcpy(buf, r->b + (addr - r->va), len);
			return NULL;
		}
	}
	return ck_error_create(CK_ERR_FAULT, "fake: 0x%llx not mapped", (unsigned long long)addr);
}

static void put64(struct fake *f, uint64_t va, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		if (va >= f->r[i].va && va + 8 <= f->r[i].va + f->r[i].len)
			memcpy(f->r[i].b + (va - f->r[i].va), &v, 8);
}

/* An entry in semantic terms. */
struct ent { uint32_t off; int16_t spo, bpo; uint8_t sp, bp, type; bool sig; };

static uint16_t encode(enum orc_format fmt, const struct ent *e)
{
	unsigned f = e->sp | e->bp << 4;
	if (fmt == ORC_FORMAT_V3)
		return (uint16_t)(f | e->type << 8 | (unsigned)e->sig << 11);
	unsigned endbit = fmt == ORC_FORMAT_V1 ? 10 : 11;
	switch (e->type) {
	case ORC_TYPE_END_OF_STACK: return (uint16_t)(e->bp << 4 | 1u << endbit);	/* sp_reg UNDEFINED */
	case ORC_TYPE_UNDEFINED: return (uint16_t)(e->bp << 4);
	case ORC_TYPE_INVALID: return (uint16_t)(f | 3u << 8);
	}
	f |= (unsigned)(e->type - ORC_TYPE_CALL) << 8;
	if (fmt == ORC_FORMAT_V2)
		f |= (unsigned)e->sig << 10;
	return (uint16_t)f;
}

static const struct ent ents[] = {
	{ 0, 8, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
	{ F1, 16, -16, ORC_REG_SP, ORC_REG_PREV_SP, ORC_TYPE_CALL, false },
	{ F2, 8, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
	{ F3, 16, -16, ORC_REG_BP, ORC_REG_PREV_SP, ORC_TYPE_CALL, false },
	{ EREGS, 0, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_REGS, true },
	{ EPART, 0, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_REGS_PARTIAL, true },
	{ ER10, 0, 0, ORC_REG_R10, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
	{ ESPIND, 8, 0, ORC_REG_SP_INDIRECT, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
	{ EEND, 0, 0, ORC_REG_UNDEFINED, ORC_REG_UNDEFINED, ORC_TYPE_END_OF_STACK, false },
	{ EUNDEF, 0, 0, ORC_REG_UNDEFINED, ORC_REG_UNDEFINED, ORC_TYPE_UNDEFINED, false },
	{ ELOOP, 0, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
	{ EBAD, 8, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_INVALID, false },
	{ ELAST, 8, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
};
enum { NENT = sizeof(ents) / sizeof(ents[0]) };

/* Write the table in fmt, in the order given by perm (NULL: sorted). */
static void write_table(struct fake *f, enum orc_format fmt, const int *perm, int n, const struct ent *es)
{
	uint8_t *ipt = f->r[0].b, *ot = f->r[0].b + 4 * n;
	for (int i = 0; i < n; i++) {
		const struct ent *e = &es[perm ? perm[i] : i];
		int32_t rel = (int32_t)(int64_t)(TEXT + e->off - (TABLE + 4 * (uint64_t)i));
		memcpy(ipt + 4 * i, &rel, 4);
		uint16_t fl = encode(fmt, e);
		memcpy(ot + 6 * i, &e->spo, 2);
		memcpy(ot + 6 * i + 2, &e->bpo, 2);
		memcpy(ot + 6 * i + 4, &fl, 2);
	}
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->r[0] = (struct region){ TABLE, 4096, calloc(1, 4096) };
	f->r[1] = (struct region){ STK, 16384, calloc(1, 16384) };
	f->r[2] = (struct region){ IRQ, 16384, calloc(1, 16384) };
	f->r[3] = (struct region){ FAR, 16384, calloc(1, 16384) };
}

static void fake_free(struct fake *f)
{
	for (int i = 0; i < 4; i++)
		free(f->r[i].b);
}

static struct orc_unwinder *make(struct fake *f, struct ck_memory *mem, enum orc_format fmt, const int *perm)
{
	write_table(f, fmt, perm, NENT, ents);
	*mem = (struct ck_memory){ fake_read, f };
	struct orc_unwinder *u = NULL;
	struct ck_error *err = orc_unwinder_create(mem, fmt, &u);
	if (!err)
		err = orc_add_table(u, TABLE, TABLE + 4 * NENT, NENT, TEXT, TEXT + TEXT_LEN);
	if (err) {
		ck_error_destroy(err);
		orc_unwinder_destroy(u);
		return NULL;
	}
	return u;
}

static struct orc_frame_state at(uint64_t ip, uint64_t sp, uint64_t bp)
{
	struct orc_frame_state st;
	memset(&st, 0, sizeof(st));
	st.ip = ip;
	st.sp = sp;
	st.bp = bp;
	st.bp_valid = true;
	return st;
}

static enum orc_step_kind step(struct orc_unwinder *u, struct orc_frame_state *st, struct orc_step *r)
{
	struct ck_error *err = orc_step(u, st, r);
	if (err) {
		ck_error_destroy(err);
		return (enum orc_step_kind)-1;
	}
	return r->kind;
}

/* pt_regs at va: bp, r10, ip, cs, sp. */
static void put_regs(struct fake *f, uint64_t va, uint64_t bp, uint64_t r10, uint64_t ip, uint64_t cs, uint64_t sp)
{
	put64(f, va + 32, bp);
	put64(f, va + 56, r10);
	put64(f, va + 120, 0x3d);	/* orig_ax */
	put64(f, va + 128, ip);
	put64(f, va + 136, cs);
	put64(f, va + 144, 0x246);
	put64(f, va + 152, sp);
	put64(f, va + 160, cs == 0x10 ? 0x18 : 0x2b);
}

static void test_format(struct unit *u, enum orc_format fmt, const int *perm)
{
	char name[64];
	struct fake f;
	struct ck_memory mem;
	struct orc_step r;
	fake_init(&f);
	struct orc_unwinder *ou = make(&f, &mem, fmt, perm);
	const char *tag = perm ? "_unsorted" : "";

	snprintf(name, sizeof(name), "orc_v%d%s_lookup", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	struct orc_entry_info e;
	CHECK(u, ou != NULL);
	CHECK(u, ou && orc_find(ou, TEXT + F1 + 5, &e) && e.start == TEXT + F1 && e.type == ORC_TYPE_CALL &&
		 e.sp_reg == ORC_REG_SP && e.sp_offset == 16 && e.bp_reg == ORC_REG_PREV_SP && e.bp_offset == -16);
	CHECK(u, ou && orc_find(ou, TEXT + EREGS, &e) && e.type == ORC_TYPE_REGS && e.signal);
	CHECK(u, ou && orc_find(ou, TEXT + EEND + 1, &e) && e.type == ORC_TYPE_END_OF_STACK);
	CHECK(u, ou && orc_find(ou, TEXT + EUNDEF + 1, &e) && e.type == ORC_TYPE_UNDEFINED);
	CHECK(u, ou && orc_find(ou, TEXT + EBAD, &e) && e.type == ORC_TYPE_INVALID);
	CHECK(u, ou && !orc_find(ou, TEXT - 1, &e) && !orc_find(ou, TEXT + TEXT_LEN, &e) && !orc_find(ou, NOTAB, &e));
	UNIT_END(u);
	if (!ou) {
		fake_free(&f);
		return;
	}

	/* A chain of calls: SP rule, PREV_SP bp, BP-based CFA, then the end. */
	snprintf(name, sizeof(name), "orc_v%d%s_call_chain", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	uint64_t S = STK + 0x3000, B1 = S + 0x100;
	put64(&f, S, TEXT + F1 + 0x10);		/* F2's return address */
	put64(&f, S + 8, B1);			/* F1 saved bp */
	put64(&f, S + 16, TEXT + F3 + 0x10);	/* F1's return address */
	put64(&f, B1, 0x1234);			/* F3 saved bp */
	put64(&f, B1 + 8, TEXT + EEND + 4);	/* F3's return address */
	struct orc_frame_state st = at(TEXT + F2 + 5, S, 0x999);
	st.stack_lo = STK, st.stack_hi = STK + 16384;
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + F1 + 0x10 && st.sp == S + 8 && st.bp == 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + F3 + 0x10 && st.sp == S + 24 && st.bp == B1);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + EEND + 4 && st.sp == B1 + 16 && st.bp == 0x1234);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_END && st.ip == TEXT + EEND + 4);
	UNIT_END(u);

	/* A return address right at a function start is looked up at ip - 1; an exact ip is not. */
	snprintf(name, sizeof(name), "orc_v%d%s_signal", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	put64(&f, S, TEXT + F1 + 0x10);
	put64(&f, S + 0x40 + 8, TEXT + ELAST + 1);
	st = at(TEXT + F3, S, S + 0x40);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + F1 + 0x10);	/* F2's rule */
	st = at(TEXT + F3, S, S + 0x40);
	st.signal = true;
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + ELAST + 1 && st.sp == S + 0x50);	/* F3's */
	UNIT_END(u);

	/* A kernel-mode pt_regs (an interrupt): registers reported, bp from them, exact ip next. */
	snprintf(name, sizeof(name), "orc_v%d%s_pt_regs", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	put_regs(&f, S, 0xb0b0, 0x10, TEXT + F2, 0x10, S + 0x200);
	put64(&f, S + 0x200, TEXT + EEND + 1);
	st = at(TEXT + EREGS + 3, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_REGS && r.addr == S && !r.partial && r.orig_ax == 0x3d);
	CHECK(u, st.ip == TEXT + F2 && st.sp == S + 0x200 && st.bp == 0xb0b0 && st.signal);
	CHECK(u, st.regs.gpr[X86_R10] == 0x10 && x86_regs_has(&st.regs, REG_GPR_FIRST + X86_R10));
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + EEND + 1);	/* F2 at its first byte: exact */
	CHECK(u, !x86_regs_has(&st.regs, REG_GPR_FIRST + X86_R10));	/* a call forgets registers */
	CHECK(u, step(ou, &st, &r) == ORC_STEP_END);
	UNIT_END(u);

	/* The user-mode pt_regs at the top of a syscall: the user registers, then the end. */
	snprintf(name, sizeof(name), "orc_v%d%s_user", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	put_regs(&f, S, 0x7ff0, 0, 0x460a63, 0x33, 0x7ffd0000);
	st = at(TEXT + EREGS + 3, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_USER && r.addr == S && st.ip == 0x460a63 && st.sp == 0x7ffd0000);
	CHECK(u, st.bp == 0x7ff0 && st.regs.sel[X86_CS] == 0x33 && st.regs.sel[X86_SS] == 0x2b && r.orig_ax == 0x3d);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_END);
	UNIT_END(u);

	/* A partial pt_regs: the iret frame at the CFA. */
	snprintf(name, sizeof(name), "orc_v%d%s_iret_frame", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	put64(&f, S, TEXT + F2 + 4);
	put64(&f, S + 8, 0x10);
	put64(&f, S + 16, 0x246);
	put64(&f, S + 24, S + 0x100);
	put64(&f, S + 32, 0x18);
	st = at(TEXT + EPART + 1, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_REGS && r.partial && r.addr == S - 128);
	CHECK(u, st.ip == TEXT + F2 + 4 && st.sp == S + 0x100 && st.bp == 0x999 && st.regs.rflags == 0x246);
	UNIT_END(u);

	/* Entry code's R10 base: from a vCPU's registers, not after a call. */
	snprintf(name, sizeof(name), "orc_v%d%s_r10", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	struct x86_regs regs = { 0 };
	regs.rip = TEXT + ER10 + 2;
	regs.gpr[X86_RSP] = S;
	regs.gpr[X86_RBP] = 0x999;
	regs.gpr[X86_R10] = S + 0x48;
	regs.present = (1ULL << REG_NBITS) - 1;
	regs.sel[X86_CS] = 0x10;
	put64(&f, S + 0x40, TEXT + EEND + 1);
	orc_state_from_regs(&regs, STK, STK + 16384, &st);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.ip == TEXT + EEND + 1 && st.sp == S + 0x48);
	st = at(TEXT + ER10 + 2, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP && st.ip == TEXT + ER10 + 2);
	/* A vCPU in user mode is the end at once. */
	regs.sel[X86_CS] = 0x33;
	orc_state_from_regs(&regs, 0, 0, &st);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_END);
	UNIT_END(u);

	/* From the IRQ stack back to the task stack (SP_INDIRECT), and a ping-pong that must stop. */
	snprintf(name, sizeof(name), "orc_v%d%s_stack_switch", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	uint64_t I = IRQ + 0x3ff8;
	put64(&f, I, S - 8);
	put64(&f, S - 8, TEXT + F2 + 1);
	put64(&f, S, TEXT + EEND + 1);
	st = at(TEXT + ESPIND + 1, I, 0x999);
	st.stack_lo = STK, st.stack_hi = STK + 16384;
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && st.sp == S && st.ip == TEXT + F2 + 1 && st.nswitch == 1);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_ORC && step(ou, &st, &r) == ORC_STEP_END);
	/* Leaving the task stack in kernel mode is garbage. */
	put64(&f, S + 0x800, IRQ + 0x100 - 8);
	put64(&f, IRQ + 0x100 - 8, TEXT + F2 + 1);
	st = at(TEXT + ESPIND + 1, S + 0x800, 0x999);
	st.stack_lo = STK, st.stack_hi = STK + 16384;
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP && !strcmp(r.why, "left the task stack"));
	uint64_t X = IRQ + 0x2000, Y = FAR + 0x2000;
	put64(&f, X, Y - 8);
	put64(&f, Y - 8, TEXT + ESPIND + 1);
	put64(&f, Y, X - 8);
	put64(&f, X - 8, TEXT + ESPIND + 1);
	st = at(TEXT + ESPIND + 1, X, 0x999);
	int n = 0;
	while (n < 100 && step(ou, &st, &r) == ORC_STEP_ORC)
		n++;
	CHECK(u, n == ORC_MAX_STACK_SWITCHES && r.kind == ORC_STEP_STOP && !strcmp(r.why, "too many stack switches"));
	UNIT_END(u);

	/* Bad entries and loops stop cleanly, the state untouched. */
	snprintf(name, sizeof(name), "orc_v%d%s_stops", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	put64(&f, S - 8, TEXT + ELOOP + 1);
	st = at(TEXT + ELOOP + 1, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP && !strcmp(r.why, "stack going in the wrong direction"));
	CHECK(u, st.ip == TEXT + ELOOP + 1 && st.sp == S);
	st = at(TEXT + EUNDEF + 1, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP && r.addr == TEXT + EUNDEF + 1);
	st = at(TEXT + EBAD + 1, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP);
	st = at(TEXT + F2 + 1, STK + 16384 + 0x100000, 0x999);	/* unmapped stack */
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP && !strcmp(r.why, "stack not readable"));
	st = at(0, S, 0x999);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_END);
	st = at(TEXT + F3 + 1, S, 0);
	st.bp_valid = false;
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP);
	UNIT_END(u);

	/* Code without ORC: a plausible frame-pointer frame is followed, anything else stops. */
	snprintf(name, sizeof(name), "orc_v%d%s_frame_pointer", (int)fmt, tag);
	UNIT_BEGIN(u, name);
	put64(&f, S + 0x80, S + 0x400);
	put64(&f, S + 0x88, TEXT + F2 + 1);
	st = at(NOTAB + 0x34, S, S + 0x80);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_FP && st.ip == TEXT + F2 + 1 && st.sp == S + 0x90 && st.bp == S + 0x400);
	st = at(NOTAB + 0x34, S, S - 0x10);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP && !strcmp(r.why, "no ORC entry for ip"));
	put64(&f, S + 0x88, 0x400000);	/* a user address is no kernel return address */
	st = at(NOTAB + 0x34, S, S + 0x80);
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP);
	st = at(NOTAB + 0x34, S, S + 0x80);
	st.bp_valid = false;
	CHECK(u, step(ou, &st, &r) == ORC_STEP_STOP);
	UNIT_END(u);

	orc_unwinder_destroy(ou);
	fake_free(&f);
}

static int err_kind(struct ck_error *err)
{
	int k = err ? (int)err->kind : 0;
	ck_error_destroy(err);
	return k;
}

int main(void)
{
	struct unit u = { 0 };

	UNIT_BEGIN(&u, "orc_format_for_release");
	CHECK(&u, orc_format_for_release("4.19.0-27-amd64") == ORC_FORMAT_V1);
	CHECK(&u, orc_format_for_release("6.1.0-57-amd64") == ORC_FORMAT_V1);
	CHECK(&u, orc_format_for_release("6.2.16") == ORC_FORMAT_V1);
	CHECK(&u, orc_format_for_release("6.3.13") == ORC_FORMAT_V2);
	CHECK(&u, orc_format_for_release("6.4.0") == ORC_FORMAT_V3);
	CHECK(&u, orc_format_for_release("6.12.9+bpo-amd64") == ORC_FORMAT_V3);
	CHECK(&u, orc_format_for_release("7.0") == ORC_FORMAT_V3);
	CHECK(&u, orc_format_for_release("junk") == ORC_FORMAT_V3 && orc_format_for_release(NULL) == ORC_FORMAT_V3);
	UNIT_END(&u);

	static const int shuffled[NENT] = { 12, 3, 0, 7, 1, 11, 5, 9, 2, 10, 4, 8, 6 };
	for (int fmt = ORC_FORMAT_V1; fmt <= ORC_FORMAT_V3; fmt++)
		test_format(&u, (enum orc_format)fmt, NULL);
	test_format(&u, ORC_FORMAT_V1, shuffled);
	test_format(&u, ORC_FORMAT_V3, shuffled);

	/* A gap filler at the same IP as a real entry sorts first: the real one is found. */
	UNIT_BEGIN(&u, "orc_duplicate_ip_weak_first");
	for (int fmt = ORC_FORMAT_V1; fmt <= ORC_FORMAT_V3; fmt++) {
		struct fake f;
		fake_init(&f);
		struct ent two[3] = {
			{ F1, 16, -16, ORC_REG_SP, ORC_REG_PREV_SP, ORC_TYPE_CALL, false },
			{ F1, 0, 0, ORC_REG_UNDEFINED, ORC_REG_UNDEFINED, ORC_TYPE_UNDEFINED, false },
			{ 0, 8, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_CALL, false },
		};
		write_table(&f, (enum orc_format)fmt, NULL, 3, two);
		struct ck_memory mem = { fake_read, &f };
		struct orc_unwinder *ou = NULL;
		struct orc_entry_info e;
		CHECK(&u, !err_kind(orc_unwinder_create(&mem, (enum orc_format)fmt, &ou)));
		CHECK(&u, !err_kind(orc_add_table(ou, TABLE, TABLE + 12, 3, TEXT, TEXT + TEXT_LEN)));
		CHECK(&u, orc_find(ou, TEXT + F1 + 1, &e) && e.type == ORC_TYPE_CALL && e.sp_offset == 16);
		CHECK(&u, orc_find(ou, TEXT + 1, &e) && e.sp_offset == 8);
		orc_unwinder_destroy(ou);
		fake_free(&f);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "orc_bad_tables");
	{
		struct fake f;
		fake_init(&f);
		write_table(&f, ORC_FORMAT_V1, NULL, NENT, ents);
		struct ck_memory mem = { fake_read, &f };
		struct orc_unwinder *ou = NULL;
		CHECK(&u, err_kind(orc_unwinder_create(&mem, (enum orc_format)7, &ou)) == CK_ERR_USAGE);
		CHECK(&u, !err_kind(orc_unwinder_create(&mem, ORC_FORMAT_V1, &ou)));
		CHECK(&u, err_kind(orc_add_table(ou, TABLE, TABLE + 4 * NENT, 0, TEXT, TEXT + 1)) == CK_ERR_INPUT);
		CHECK(&u, err_kind(orc_add_table(ou, TABLE, TABLE + 4 * NENT, ORC_MAX_ENTRIES + 1ULL, TEXT, TEXT + 1)) ==
			  CK_ERR_INPUT);
		CHECK(&u, err_kind(orc_add_table(ou, UINT64_MAX - 8, TABLE, 4, TEXT, TEXT + 1)) == CK_ERR_INPUT);
		CHECK(&u, err_kind(orc_add_table(ou, TABLE, TABLE + 4 * NENT, NENT, TEXT + 1, TEXT)) == CK_ERR_INPUT);
		CHECK(&u, err_kind(orc_add_table(ou, TABLE, TABLE + 4 * NENT, NENT, 0, 1ULL << 40)) == CK_ERR_INPUT);
		/* Runs off the mapped table page: a fault, nothing added. */
		CHECK(&u, err_kind(orc_add_table(ou, TABLE, TABLE + 4 * NENT, 1000, TEXT, TEXT + TEXT_LEN)) == CK_ERR_FAULT);
		CHECK(&u, err_kind(orc_add_vmlinux(ou, TABLE, TABLE + 4 * NENT, TABLE + 4 * NENT,
						   TABLE + 4 * NENT + 6 * (NENT - 1), TEXT, TEXT + TEXT_LEN)) == CK_ERR_INPUT);
		CHECK(&u, err_kind(orc_add_vmlinux(ou, TABLE, TABLE + 4 * NENT + 2, TABLE + 4 * NENT,
						   TABLE + 10 * NENT, TEXT, TEXT + TEXT_LEN)) == CK_ERR_INPUT);
		struct orc_entry_info e;
		CHECK(&u, !orc_find(ou, TEXT + F1, &e));
		CHECK(&u, !err_kind(orc_add_vmlinux(ou, TABLE, TABLE + 4 * NENT, TABLE + 4 * NENT,
						    TABLE + 10 * NENT, TEXT, TEXT + TEXT_LEN)));
		CHECK(&u, orc_find(ou, TEXT + F1, &e) && e.start == TEXT + F1);
		orc_unwinder_destroy(ou);
		fake_free(&f);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "orc_switch_frame");
	{
		struct fake f;
		fake_init(&f);
		struct ck_memory mem = { fake_read, &f };
		struct orc_unwinder *ou = NULL;
		struct orc_frame_state st;
		uint64_t tsp = STK + 0x3e00;
		put64(&f, tsp + ORC_INACTIVE_FRAME_BP, 0xabcd);
		put64(&f, tsp + ORC_INACTIVE_FRAME_RET, TEXT + F2 + 7);
		CHECK(&u, !err_kind(orc_unwinder_create(&mem, ORC_FORMAT_V1, &ou)));
		CHECK(&u, !err_kind(orc_state_from_switch_frame(ou, tsp, STK, STK + 16384, &st)));
		CHECK(&u, st.ip == TEXT + F2 + 7 && st.sp == tsp + 56 && st.bp == 0xabcd && st.bp_valid && !st.signal);
		CHECK(&u, st.regs.present == 0 && st.stack_lo == STK && st.nswitch == 0);
		CHECK(&u, err_kind(orc_state_from_switch_frame(ou, STK + 16384 - 8, STK, STK + 16384, &st)) == CK_ERR_FAULT);
		CHECK(&u, err_kind(orc_state_from_switch_frame(ou, 0x1000, 0, 0, &st)) == CK_ERR_FAULT);
		orc_unwinder_destroy(ou);
		fake_free(&f);
	}
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
