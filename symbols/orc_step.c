/*
 * orc_step.c - one unwind step: find the caller's SP (the CFA) from the ORC
 * entry of ip, then its IP (a return address, or a pt_regs / iret frame
 * saved at the CFA), then its BP; with no entry, a frame-pointer guess.
 * Everything is computed in locals and written to the state only when the
 * whole step succeeded, so a STOP leaves the state as it was.
 */
#include <string.h>

#include "orc_priv.h"

enum {
	PT_REGS_SIZE = 168,	/* struct pt_regs on x86-64 */
	IRET_OFFSET = 128,	/* offsetof(struct pt_regs, ip) */
	IRET_SIZE = 40,		/* ip cs flags sp ss */
	STACK_WINDOW = 16 << 10,	/* THREAD_SIZE: one stack spans no more */
};

static const uint64_t KERNEL_HALF = 0xffff800000000000ULL;

/* struct pt_regs slots (8 bytes each) -> enum x86_gpr. */
static const int8_t pt_regs_gpr[15] = {
	X86_R15, X86_R14, X86_R13, X86_R12, X86_RBP, X86_RBX, X86_R11, X86_R10,
	X86_R9, X86_R8, X86_RAX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
};

const char *orc_step_kind_name(enum orc_step_kind k)
{
	switch (k) {
	case ORC_STEP_ORC: return "orc";
	case ORC_STEP_REGS: return "pt_regs";
	case ORC_STEP_FP: return "frame-pointer";
	case ORC_STEP_USER: return "user";
	case ORC_STEP_END: return "end";
	case ORC_STEP_STOP: return "stop";
	}
	return "?";
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Read len bytes of stack; a fault becomes *fault = addr (the step stops),
 * other errors are passed up.
 */
static struct ck_error *rd(const struct orc_unwinder *u, uint64_t addr, void *buf, size_t len,
			   bool *fault)
{
	struct ck_error *err = ck_mem_read(u->mem, addr, buf, len);
	if (ck_error_is_fault(err)) {
		ck_error_destroy(err);
		*fault = true;
		return NULL;
	}
	return err;
}

static struct ck_error *rd64(const struct orc_unwinder *u, uint64_t addr, uint64_t *v, bool *fault)
{
	uint8_t b[8];
	struct ck_error *err = rd(u, addr, b, 8, fault);
	if (!err && !*fault)
		*v = get64(b);
	return err;
}

static void set_reg(struct x86_regs *r, int gpr, uint64_t v)
{
	r->gpr[gpr] = v;
	r->present |= 1ULL << (REG_GPR_FIRST + gpr);
}

static bool get_reg(const struct x86_regs *r, int gpr, uint64_t *v)
{
	if (!x86_regs_has(r, REG_GPR_FIRST + gpr))
		return false;
	*v = r->gpr[gpr];
	return true;
}

/* The iret frame (ip cs flags sp ss) at p into r. */
static void set_iret(struct x86_regs *r, const uint8_t *p)
{
	r->rip = get64(p);
	r->sel[X86_CS] = (uint16_t)get64(p + 8);
	r->rflags = get64(p + 16);
	r->sel[X86_SS] = (uint16_t)get64(p + 32);
	r->present |= 1ULL << REG_RIP | 1ULL << REG_RFLAGS | 1ULL << (REG_SEL_FIRST + X86_CS) |
		      1ULL << (REG_SEL_FIRST + X86_SS);
	set_reg(r, X86_RSP, get64(p + 24));
}

static bool in_stack(const struct orc_frame_state *st, uint64_t a)
{
	return st->stack_lo < st->stack_hi && a >= st->stack_lo && a < st->stack_hi;
}

static bool user_mode(const struct x86_regs *r)
{
	return x86_regs_has(r, REG_SEL_FIRST + X86_CS) && (r->sel[X86_CS] & 3);
}

static void stop(struct orc_step *r, const char *why, uint64_t addr)
{
	r->kind = ORC_STEP_STOP;
	r->why = why;
	r->addr = addr;
}

/*
 * Is old_sp -> new_sp (in kernel mode) a move up one stack or a stack switch
 * the limits allow?  Sets r to STOP if not; *switched if it is a switch.
 */
static bool direction_ok(const struct orc_frame_state *st, uint64_t new_sp, bool *switched,
			 struct orc_step *r)
{
	uint64_t old_sp = st->sp;
	bool known = st->stack_lo < st->stack_hi, in_old = in_stack(st, old_sp), in_new = in_stack(st, new_sp);
	if (known && in_old && !in_new) {
		stop(r, "left the task stack", new_sp);
		return false;
	}
	uint64_t dist = new_sp > old_sp ? new_sp - old_sp : old_sp - new_sp;
	bool same = known && in_old ? true : (known && in_new) ? false : dist < STACK_WINDOW;
	if (same) {
		if (new_sp <= old_sp) {
			stop(r, "stack going in the wrong direction", new_sp);
			return false;
		}
		*switched = false;
		return true;
	}
	if (st->nswitch >= ORC_MAX_STACK_SWITCHES) {
		stop(r, "too many stack switches", new_sp);
		return false;
	}
	*switched = true;
	return true;
}

/* The kernel's guess for code without ORC: push %rbp; mov %rsp, %rbp. */
static const struct orc_entry_info fp_entry = {
	.sp_reg = ORC_REG_BP, .sp_offset = 16, .bp_reg = ORC_REG_PREV_SP, .bp_offset = -16,
	.type = ORC_TYPE_CALL,
};

static bool fp_plausible(const struct orc_frame_state *st)
{
	if (!st->bp_valid || st->bp % 8 || st->bp < st->sp)
		return false;
	if (st->stack_lo < st->stack_hi && in_stack(st, st->sp))
		return in_stack(st, st->bp) && st->bp + 16 <= st->stack_hi;
	return st->bp - st->sp < STACK_WINDOW;
}

/* The CFA by e's sp rule; r becomes a STOP if it cannot be found. */
static struct ck_error *find_cfa(const struct orc_unwinder *u, const struct orc_frame_state *st,
				 const struct orc_entry_info *e, uint64_t *cfa, struct orc_step *r)
{
	bool fault = false;
	struct ck_error *err = NULL;
	uint64_t v = 0;
	int gpr = -1;
	switch (e->sp_reg) {
	case ORC_REG_SP:
		*cfa = st->sp + (uint64_t)(int64_t)e->sp_offset;
		return NULL;
	case ORC_REG_BP:
	case ORC_REG_BP_INDIRECT:
		if (!st->bp_valid) {
			stop(r, "frame needs the unknown frame pointer", st->ip);
			return NULL;
		}
		*cfa = st->bp + (uint64_t)(int64_t)e->sp_offset;
		if (e->sp_reg == ORC_REG_BP)
			return NULL;
		err = rd64(u, *cfa, &v, &fault);
		if (!err && fault)
			stop(r, "stack not readable", *cfa);
		*cfa = v;
		return err;
	case ORC_REG_SP_INDIRECT:
		err = rd64(u, st->sp, &v, &fault);
		if (!err && fault)
			stop(r, "stack not readable", st->sp);
		*cfa = v + (uint64_t)(int64_t)e->sp_offset;
		return err;
	case ORC_REG_R10: gpr = X86_R10; break;
	case ORC_REG_R13: gpr = X86_R13; break;
	case ORC_REG_DI: gpr = X86_RDI; break;
	case ORC_REG_DX: gpr = X86_RDX; break;
	default:
		stop(r, "bad ORC sp register", st->ip);
		return NULL;
	}
	/* Entry code: the register itself, as saved in the last pt_regs (no offset). */
	if (!get_reg(&st->regs, gpr, cfa))
		stop(r, "frame needs a register that was not saved", st->ip);
	return NULL;
}

struct ck_error *orc_step(struct orc_unwinder *u, struct orc_frame_state *st, struct orc_step *r)
{
	memset(r, 0, sizeof(*r));
	if (user_mode(&st->regs) || st->ip == 0) {
		r->kind = ORC_STEP_END;
		return NULL;
	}
	struct orc_entry_info e;
	bool fp = false;
	if (!orc_find(u, st->signal ? st->ip : st->ip - 1, &e)) {
		if (!fp_plausible(st)) {
			stop(r, "no ORC entry for ip", st->ip);
			return NULL;
		}
		e = fp_entry;
		fp = true;
	} else if (e.type == ORC_TYPE_END_OF_STACK) {
		r->kind = ORC_STEP_END;
		return NULL;
	} else if (e.type == ORC_TYPE_UNDEFINED) {
		stop(r, "ORC entry undefined for ip", st->ip);
		return NULL;
	} else if (e.type == ORC_TYPE_INVALID) {
		stop(r, "bad ORC entry type", st->ip);
		return NULL;
	}

	uint64_t cfa = 0;
	struct ck_error *err = find_cfa(u, st, &e, &cfa, r);
	if (err || r->kind == ORC_STEP_STOP)
		return err;

	/* The caller's ip, sp and registers. */
	struct x86_regs regs = { 0 };
	uint64_t ip = 0, sp = 0;
	bool fault = false;
	uint8_t buf[PT_REGS_SIZE];
	switch (e.type) {
	case ORC_TYPE_CALL:
		err = rd64(u, cfa - 8, &ip, &fault);
		r->addr = cfa - 8;
		sp = cfa;
		break;
	case ORC_TYPE_REGS:
		err = rd(u, cfa, buf, PT_REGS_SIZE, &fault);
		r->addr = cfa;
		if (err || fault)
			break;
		for (int i = 0; i < 15; i++)
			set_reg(&regs, pt_regs_gpr[i], get64(buf + i * 8));
		r->orig_ax = get64(buf + 120);
		set_iret(&regs, buf + IRET_OFFSET);
		break;
	default:	/* REGS_PARTIAL: the iret frame at the CFA */
		err = rd(u, cfa, buf, IRET_SIZE, &fault);
		r->addr = cfa - IRET_OFFSET;
		r->partial = true;
		if (err || fault)
			break;
		/* Registers of a full pt_regs crossed just before stay known (the kernel's prev_regs). */
		regs = st->regs;
		set_iret(&regs, buf);
		break;
	}
	if (err)
		return err;
	if (fault) {
		stop(r, "stack not readable", r->addr);
		return NULL;
	}
	if (e.type != ORC_TYPE_CALL) {
		ip = regs.rip;
		sp = regs.gpr[X86_RSP];
	}

	/* The caller's bp. */
	uint64_t bp = st->bp;
	bool bp_valid = st->bp_valid;
	switch (e.bp_reg) {
	case ORC_REG_UNDEFINED:		/* unchanged, or as a crossed pt_regs saved it */
		if (get_reg(&regs, X86_RBP, &bp))
			bp_valid = true;
		break;
	case ORC_REG_PREV_SP:
		err = rd64(u, cfa + (uint64_t)(int64_t)e.bp_offset, &bp, &fault);
		bp_valid = true;
		break;
	case ORC_REG_BP:
		if (!st->bp_valid) {
			stop(r, "frame needs the unknown frame pointer", st->ip);
			return NULL;
		}
		err = rd64(u, st->bp + (uint64_t)(int64_t)e.bp_offset, &bp, &fault);
		break;
	default:
		stop(r, "bad ORC bp register", st->ip);
		return NULL;
	}
	if (err)
		return err;
	if (fault) {
		stop(r, "stack not readable", e.bp_reg == ORC_REG_BP ? st->bp + (uint64_t)(int64_t)e.bp_offset
								      : cfa + (uint64_t)(int64_t)e.bp_offset);
		return NULL;
	}

	bool crossed = e.type != ORC_TYPE_CALL, switched = false;
	if (crossed && user_mode(&regs)) {
		r->kind = ORC_STEP_USER;
	} else {
		if (!direction_ok(st, sp, &switched, r))
			return NULL;
		if (fp && ip < KERNEL_HALF) {
			stop(r, "no ORC entry for ip", st->ip);
			return NULL;
		}
		r->kind = fp ? ORC_STEP_FP : crossed ? ORC_STEP_REGS : ORC_STEP_ORC;
	}
	if (!crossed)
		r->addr = 0;
	st->ip = ip;
	st->sp = sp;
	st->bp = bp;
	st->bp_valid = bp_valid;
	st->regs = regs;
	st->nswitch += switched;
	/* Before V2 the kernel took the ip below a pt_regs as exact; later the entry says. */
	st->signal = u->fmt == ORC_FORMAT_V1 ? crossed : e.signal;
	return NULL;
}

void orc_state_from_regs(const struct x86_regs *r, uint64_t stack_lo, uint64_t stack_hi,
			 struct orc_frame_state *st)
{
	memset(st, 0, sizeof(*st));
	st->regs = *r;
	st->ip = r->rip;
	st->sp = r->gpr[X86_RSP];
	st->bp = r->gpr[X86_RBP];
	st->bp_valid = x86_regs_has(r, REG_GPR_FIRST + X86_RBP);
	st->signal = true;
	st->stack_lo = stack_lo;
	st->stack_hi = stack_hi;
}

struct ck_error *orc_state_from_switch_frame(struct orc_unwinder *u, uint64_t thread_sp,
					     uint64_t stack_lo, uint64_t stack_hi,
					     struct orc_frame_state *st)
{
	if (thread_sp > UINT64_MAX - ORC_INACTIVE_FRAME_SIZE ||
	    (stack_lo < stack_hi && (thread_sp < stack_lo || thread_sp + ORC_INACTIVE_FRAME_SIZE > stack_hi)))
		return ck_error_create(CK_ERR_FAULT, "orc: thread.sp 0x%llx is not on the task stack",
				       (unsigned long long)thread_sp);
	uint8_t f[ORC_INACTIVE_FRAME_SIZE];
	struct ck_error *err = ck_mem_read(u->mem, thread_sp, f, sizeof(f));
	if (err)
		return ck_error_prefix(err, "orc: switch frame at 0x%llx", (unsigned long long)thread_sp);
	memset(st, 0, sizeof(*st));
	st->ip = get64(f + ORC_INACTIVE_FRAME_RET);
	st->sp = thread_sp + ORC_INACTIVE_FRAME_SIZE;
	st->bp = get64(f + ORC_INACTIVE_FRAME_BP);
	st->bp_valid = true;
	st->stack_lo = stack_lo;
	st->stack_hi = stack_hi;
	return NULL;
}
