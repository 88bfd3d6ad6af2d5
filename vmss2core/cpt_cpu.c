/*
 * cpt_cpu.c - vCPU registers from a checkpoint's `cpu` group.
 *
 * Scalar tags (rax[cpu], CR64[cpu][n], IDTR[cpu][n], S[cpu][seg], ...) win
 * over the block forms (gpregs[cpu], CR64[cpu], IDTR[cpu]).  gpregs is read
 * in x86 encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15), the order
 * VMware uses for segment indices too; crash's struct puts rbp before rsp,
 * which we believe is its bug (see the reference sheet, section 4.1).
 */
#include "cpt_load.h"
#include "le.h"

#include <inttypes.h>
#include <string.h>

static const char group_cpu[] = "cpu";

static const char *const gpr_tag[X86_NGPR] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
	"rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

/* Tags that only a 32-bit checkpoint has without their 64-bit counterparts. */
static const char *const reg32_tag[] = { "eip", "eax", "ecx", "edx", "ebx", "esp", "ebp",
	"esi", "edi" };

/* Read t as an integer into *v if t exists; *found says whether it did. */
static struct ck_error *opt_uint(const struct cpt_file *f, const struct cpt_tag *t, uint64_t *v,
				 int *found)
{
	*found = 0;
	if (!t)
		return NULL;
	struct ck_error *err = cpt_read_uint(f, t, v);
	if (!err)
		*found = 1;
	return err;
}

/* IDTR or GDTR: scalar [cpu][0] limit, [cpu][1] base low, [cpu][2] base high; or block [cpu]. */
static struct ck_error *read_dtr(const struct cpt_file *f, const char *name, uint32_t c,
				 uint64_t *base, uint32_t *limit, int *found)
{
	uint64_t lo = 0, hi = 0, lim = 0;
	int has_lo, has_hi, has_lim;
	struct ck_error *err;
	if ((err = opt_uint(f, cpt_find2(f, group_cpu, name, c, 1), &lo, &has_lo)) ||
	    (err = opt_uint(f, cpt_find2(f, group_cpu, name, c, 2), &hi, &has_hi)) ||
	    (err = opt_uint(f, cpt_find2(f, group_cpu, name, c, 0), &lim, &has_lim)))
		return err;
	if (has_lo) {
		*base = (lo & 0xffffffffu) | (hi << 32);
		*limit = (uint32_t)lim;
		*found = 1;
		return NULL;
	}
	const struct cpt_tag *t = cpt_find1(f, group_cpu, name, c);
	*found = 0;
	if (!t)
		return NULL;
	uint8_t b[10];
	if ((err = cpt_read_exact(f, t, b, sizeof(b))))
		return err;
	*limit = (uint32_t)(b[0] | b[1] << 8);
	*base = le64(b + 2);
	*found = 1;
	return NULL;
}

static struct ck_error *load_vcpu(const struct cpt_file *f, uint32_t c, struct x86_regs *r,
				  int *has64)
{
	struct ck_error *err;
	int found;
	uint64_t v;
	const struct cpt_tag *blk;

	/* General-purpose registers. */
	uint64_t block_gpr[X86_NGPR];
	int have_block = 0;
	if ((blk = cpt_find1(f, group_cpu, "gpregs", c))) {
		uint8_t b[8 * X86_NGPR];
		if ((err = cpt_read_exact(f, blk, b, sizeof(b))))
			return err;
		for (int i = 0; i < X86_NGPR; i++)
			block_gpr[i] = le64(b + 8 * i);
		have_block = 1;
	}
	for (int i = 0; i < X86_NGPR; i++) {
		if ((err = opt_uint(f, cpt_find1(f, group_cpu, gpr_tag[i], c), &v, &found)))
			return err;
		if (found || have_block) {
			r->gpr[i] = found ? v : block_gpr[i];
			r->present |= 1ull << (REG_GPR_FIRST + i);
			*has64 = 1;
		}
	}
	if ((err = opt_uint(f, cpt_find1(f, group_cpu, "rip", c), &r->rip, &found)))
		return err;
	if (found) {
		r->present |= 1ull << REG_RIP;
		*has64 = 1;
	}
	static const char *const flags_tag[] = { "rflags", "RFLAGS", "eflags", "EFLAGS" };
	for (size_t i = 0; i < sizeof(flags_tag) / sizeof(flags_tag[0]); i++) {
		if ((err = opt_uint(f, cpt_find1(f, group_cpu, flags_tag[i], c), &v, &found)))
			return err;
		if (found) {
			r->rflags = v;
			r->present |= 1ull << REG_RFLAGS;
			break;
		}
	}

	/* Control registers: CR64[cpu][n], else block CR64[cpu], else 32-bit CR[cpu][n]. */
	uint64_t block_cr[9];
	int have_crblock = 0;
	if ((blk = cpt_find1(f, group_cpu, "CR64", c))) {
		uint8_t b[72];
		if ((err = cpt_read_exact(f, blk, b, sizeof(b))))
			return err;
		for (int i = 0; i < 9; i++)
			block_cr[i] = le64(b + 8 * i);
		have_crblock = 1;
	}
	for (uint32_t n = 0; n < 5; n++) {
		if (n == 1)
			continue;
		if ((err = opt_uint(f, cpt_find2(f, group_cpu, "CR64", c, n), &v, &found)))
			return err;
		if (found || have_crblock) {
			*has64 = 1;
		} else {
			if ((err = opt_uint(f, cpt_find2(f, group_cpu, "CR", c, n), &v, &found)))
				return err;
			v &= 0xffffffffu;
		}
		if (found || have_crblock) {
			r->cr[n] = found ? v : block_cr[n];
			r->present |= 1ull << (REG_CR0 + n);
		}
	}

	static const char *const efer_tag[] = { "EFER", "efer", "MSR_EFER", "msrEFER" };
	for (size_t i = 0; i < sizeof(efer_tag) / sizeof(efer_tag[0]); i++) {
		if ((err = opt_uint(f, cpt_find1(f, group_cpu, efer_tag[i], c), &r->efer, &found)))
			return err;
		if (found) {
			r->present |= 1ull << REG_EFER;
			break;
		}
	}

	if ((err = read_dtr(f, "IDTR", c, &r->idtr_base, &r->idtr_limit, &found)))
		return err;
	if (found)
		r->present |= 1ull << REG_IDTR;
	if ((err = read_dtr(f, "GDTR", c, &r->gdtr_base, &r->gdtr_limit, &found)))
		return err;
	if (found)
		r->present |= 1ull << REG_GDTR;

	for (uint32_t s = 0; s < X86_NSEG; s++) {
		if ((err = opt_uint(f, cpt_find2(f, group_cpu, "S", c, s), &v, &found)))
			return err;
		if (found) {
			r->sel[s] = (uint16_t)v;
			r->present |= 1ull << (REG_SEL_FIRST + s);
		}
		if ((err = opt_uint(f, cpt_find2(f, group_cpu, "S.base64", c, s), &v, &found)))
			return err;
		if (!found && (err = opt_uint(f, cpt_find2(f, group_cpu, "S.base", c, s), &v, &found)))
			return err;
		if (found) {
			r->seg_base[s] = v;
			r->present |= 1ull << (REG_SEGBASE_FIRST + s);
		}
		if ((err = opt_uint(f, cpt_find2(f, group_cpu, "S.limit", c, s), &v, &found)))
			return err;
		if (found)
			r->seg_limit[s] = (uint32_t)v;
	}
	return NULL;
}

struct ck_error *cpt_cpu_load(const struct cpt_file *f, struct machine *m)
{
	if (!cpt_group(f, group_cpu))
		return ck_error_create(CK_ERR_INPUT, "%s: no cpu group", f->path);
	const struct cpt_tag *t = cpt_find0(f, group_cpu, "cpu:numVCPUs");
	if (!t)
		return ck_error_create(CK_ERR_INPUT, "%s: cpu group: no cpu:numVCPUs tag", f->path);
	uint64_t n;
	struct ck_error *err = cpt_read_uint(f, t, &n);
	if (err)
		return err;
	if (n == 0 || n > 4096)
		return ck_error_at(f->path, (unsigned long long)t->off,
				   "cpu:numVCPUs is %" PRIu64 " (expected 1 to 4096)", n);
	if ((err = machine_set_ncpus(m, (size_t)n)))
		return err;
	m->meta.declared_vcpus = (uint32_t)n;
	int has64 = 0;
	for (uint32_t c = 0; c < n; c++)
		if ((err = load_vcpu(f, c, &m->cpus[c], &has64)))
			return err;	/* the tag label names the vCPU */
	if (!has64) {
		for (size_t i = 0; i < sizeof(reg32_tag) / sizeof(reg32_tag[0]); i++)
			if (cpt_find1(f, group_cpu, reg32_tag[i], 0))
				return ck_error_create(CK_ERR_INPUT, "%s: 32-bit-only checkpoint is "
						       "not supported (cpu group has %s but no 64-bit "
						       "registers)", f->path, reg32_tag[i]);
		if (cpt_find2(f, group_cpu, "CR", 0, 0))
			return ck_error_create(CK_ERR_INPUT, "%s: 32-bit-only checkpoint is not "
					       "supported (cpu group has CR but no 64-bit registers)",
					       f->path);
	}
	return NULL;
}
