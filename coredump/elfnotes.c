/* elfnotes.c - vCPUs and VMCOREINFO from a raw ELF note section in memory. */
#include "elfnotes.h"

#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "elfcore_notes.h"
#include "le.h"
#include "vmcoreinfo.h"

enum { MAX_VMCOREINFO = 1 << 20 };

static void set_bit(struct x86_regs *r, int bit)
{
	r->present |= 1ULL << bit;
}

static void set_sel(struct x86_regs *r, int seg, uint64_t v)
{
	r->sel[seg] = (uint16_t)v;
	set_bit(r, REG_SEL_FIRST + seg);
}

static void set_base(struct x86_regs *r, int seg, uint64_t v)
{
	r->seg_base[seg] = v;
	set_bit(r, REG_SEGBASE_FIRST + seg);
}

void elfnote_prstatus_regs(const uint8_t *d, struct x86_regs *r)
{
	const uint8_t *g = d + ELFCORE_PRSTATUS_REGS_OFF;
	for (int i = 0; i < ELFCORE_NREG; i++) {
		uint64_t v = le64(g + 8 * i);
		int slot = elfcore_user_regs_order[i];
		if (slot >= 0) {
			r->gpr[slot] = v;
			set_bit(r, REG_GPR_FIRST + slot);
			continue;
		}
		switch (slot) {
		case ELFCORE_UREG_RIP: r->rip = v; set_bit(r, REG_RIP); break;
		case ELFCORE_UREG_EFLAGS: r->rflags = v; set_bit(r, REG_RFLAGS); break;
		case ELFCORE_UREG_CS: set_sel(r, X86_CS, v); break;
		case ELFCORE_UREG_SS: set_sel(r, X86_SS, v); break;
		case ELFCORE_UREG_DS: set_sel(r, X86_DS, v); break;
		case ELFCORE_UREG_ES: set_sel(r, X86_ES, v); break;
		case ELFCORE_UREG_FS: set_sel(r, X86_FS, v); break;
		case ELFCORE_UREG_GS: set_sel(r, X86_GS, v); break;
		case ELFCORE_UREG_FS_BASE: set_base(r, X86_FS, v); break;
		case ELFCORE_UREG_GS_BASE: set_base(r, X86_GS, v); break;
		default: break;	/* orig_rax */
		}
	}
}

void elfnote_qemu_regs(const uint8_t *d, struct x86_regs *r)
{
	for (int i = 0; i < 16; i++) {
		r->gpr[qemu_gpr_order[i]] = le64(d + QEMU_CPU_RAX + 8 * i);
		set_bit(r, REG_GPR_FIRST + qemu_gpr_order[i]);
	}
	r->rip = le64(d + QEMU_CPU_RIP);
	r->rflags = le64(d + QEMU_CPU_RFLAGS);
	set_bit(r, REG_RIP);
	set_bit(r, REG_RFLAGS);
	for (int i = 0; i < 8; i++) {
		const uint8_t *s = d + QEMU_CPU_SEGS + QEMU_SEG_SIZE * i;
		int seg = qemu_seg_order[i];
		set_sel(r, seg, le32(s + QEMU_SEG_SELECTOR));
		set_base(r, seg, le64(s + QEMU_SEG_BASE));
		r->seg_limit[seg] = le32(s + QEMU_SEG_LIMIT);
		r->seg_flags[seg] = le32(s + QEMU_SEG_FLAGS);
	}
	const uint8_t *gdt = d + QEMU_CPU_SEGS + QEMU_SEG_SIZE * 8, *idt = gdt + QEMU_SEG_SIZE;
	r->gdtr_limit = le32(gdt + QEMU_SEG_LIMIT);
	r->gdtr_base = le64(gdt + QEMU_SEG_BASE);
	r->idtr_limit = le32(idt + QEMU_SEG_LIMIT);
	r->idtr_base = le64(idt + QEMU_SEG_BASE);
	set_bit(r, REG_GDTR);
	set_bit(r, REG_IDTR);
	for (int i = 0; i < 5; i++) {
		r->cr[i] = le64(d + QEMU_CPU_CR + 8 * i);
		if (i != 1)
			set_bit(r, REG_CR0 + i);	/* CR1 does not exist */
	}
}

static int name_is(const uint8_t *name, uint32_t namesz, const char *want)
{
	return namesz == strlen(want) + 1 && memcmp(name, want, namesz) == 0;
}

static struct ck_error *set_vmcoreinfo(const char *path, uint64_t at, const uint8_t *desc, uint32_t descsz,
				       struct machine *m)
{
	if (descsz > MAX_VMCOREINFO)
		return ck_error_at(path, at, "VMCOREINFO note of %" PRIu32 " bytes is too large", descsz);
	size_t len = strnlen((const char *)desc, descsz);
	char *text = strndup((const char *)desc, len);
	if (!text)
		return &ck_enomem;
	free(m->meta.vmcoreinfo);
	m->meta.vmcoreinfo_len = vmcoreinfo_strip_crashtime(text, len);
	text[m->meta.vmcoreinfo_len] = 0;
	m->meta.vmcoreinfo = text;
	return NULL;
}

struct ck_error *elfnote_machine(const char *path, uint64_t at, const uint8_t *name, uint32_t namesz, uint32_t type,
				 const uint8_t *desc, uint32_t descsz, struct machine *m, struct elfnote_count *cnt)
{
	if (name_is(name, namesz, "CORE") && type == NT_PRSTATUS) {
		if (descsz < ELFCORE_PRSTATUS_SIZE)
			return ck_error_at(path, at, "NT_PRSTATUS of %" PRIu32 " bytes, expected %d", descsz,
					   ELFCORE_PRSTATUS_SIZE);
		if (m && cnt->nprstatus < m->ncpus)
			elfnote_prstatus_regs(desc, &m->cpus[cnt->nprstatus]);
		cnt->nprstatus++;
	} else if (name_is(name, namesz, "QEMU") && type == 0) {
		if (descsz < QEMU_CPU_STATE_V1_MIN || le32(desc) != 1)
			return ck_error_at(path, at, "QEMU CPU state of %" PRIu32 " bytes, version %" PRIu32
					   "; expected version 1, at least %d bytes", descsz,
					   descsz >= 4 ? le32(desc) : 0, QEMU_CPU_STATE_V1_MIN);
		if (m && cnt->nqemu < m->ncpus)
			elfnote_qemu_regs(desc, &m->cpus[cnt->nqemu]);
		cnt->nqemu++;
	} else if (m && name_is(name, namesz, "VMCOREINFO") && descsz > 0) {
		return set_vmcoreinfo(path, at, desc, descsz, m);
	}
	return NULL;
}

/* One pass over the notes; with fill == 0 only count the vCPU notes. */
static struct ck_error *walk(const char *path, uint64_t off, const uint8_t *buf, size_t len,
			     struct machine *m, int fill, size_t *nprs_ret, size_t *nqemu_ret)
{
	size_t pos = 0;
	struct elfnote_count cnt = { 0, 0 };
	struct ck_error *err;
	while (len - pos >= 12) {
		uint32_t namesz = le32(buf + pos), descsz = le32(buf + pos + 4), type = le32(buf + pos + 8);
		uint64_t name_off = pos + 12, desc_off = name_off + (((uint64_t)namesz + 3) & ~3ULL);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ULL);
		if (desc_off > len || descsz > len - desc_off)
			return ck_error_at(path, off + pos, "note (name %" PRIu32 " bytes, data %" PRIu32
					   " bytes) runs past the end of the notes (0x%zx bytes)",
					   namesz, descsz, len);
		if (namesz == 0 && descsz == 0 && type == 0)
			break;	/* zero padding after the last note */
		if ((err = elfnote_machine(path, off + desc_off, buf + name_off, namesz, type, buf + desc_off, descsz,
					   fill ? m : NULL, &cnt)))
			return err;
		pos = next > len ? len : (size_t)next;	/* the last note's padding may be cut */
	}
	*nprs_ret = cnt.nprstatus;
	*nqemu_ret = cnt.nqemu;
	return NULL;
}

struct ck_error *elfnotes_to_machine(const char *path, uint64_t off, const uint8_t *buf, size_t len,
				     struct machine *m)
{
	size_t nprs, nqemu;
	struct ck_error *err = walk(path, off, buf, len, m, 0, &nprs, &nqemu);
	if (!err && (err = machine_set_ncpus(m, nprs > nqemu ? nprs : nqemu)))
		return err->kind == CK_ERR_INPUT ? ck_error_prefix(err, "%s: offset 0x%" PRIx64, path, off) : err;
	if (!err)
		err = walk(path, off, buf, len, m, 1, &nprs, &nqemu);
	return err;
}
