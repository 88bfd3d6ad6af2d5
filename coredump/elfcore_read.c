/*
 * elfcore_read.c - read an x86-64 ELF vmcore into a struct machine.
 *
 * Accepts QEMU dump-guest-memory output (with or without -p, so PN_XNUM),
 * kdump-style cores and corekit's own output.  Physical memory comes from
 * the PT_LOADs' p_paddr: virtual aliases of the same physical range (the -p
 * mappings, our kernel-image and direct-map loads) are taken once, the first
 * time a physical byte is seen in address order.  p_filesz < p_memsz tails
 * read as zeros.  vCPUs come from the NT_PRSTATUS ("CORE") notes and the
 * "QEMU" CPU-state notes, matched by order; a VMCOREINFO note goes to meta.
 */
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "elfcore_notes.h"
#include "elfnotes.h"
#include "format.h"
#include "le.h"
#include "vmcoreinfo.h"

enum {
	MAX_PHDRS = 1 << 22,		/* 4M program headers: far above any real dump */
	MAX_NOTES_BYTES = 64 << 20,
	MAX_VMCOREINFO = 1 << 20,
};

static int elfcore_probe(const char *path, const uint8_t *head, size_t headlen)
{
	(void)path;
	if (headlen < sizeof(Elf64_Ehdr) || memcmp(head, ELFMAG, SELFMAG) != 0)
		return 0;
	/* e_type at offset 16, little-endian for the LSB files we read. */
	uint16_t type = head[EI_DATA] == ELFDATA2MSB ? (uint16_t)(head[16] << 8 | head[17])
						     : (uint16_t)(head[17] << 8 | head[16]);
	return type == ET_CORE;
}

struct load {
	uint64_t paddr, filesz, memsz, off;
	size_t index;
};

static int load_cmp(const void *a, const void *b)
{
	const struct load *x = a, *y = b;
	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static struct ck_error *libelf_error(const char *path, const char *what)
{
	return ck_error_create(CK_ERR_INPUT, "%s: %s: %s", path, what, elf_errmsg(-1));
}

struct notes {
	size_t nprstatus, nqemu;
	char writer[ELFCORE_WRITER_NOTE_MAX];	/* our own writer's note, "" if none */
};

/* Walk every note of every PT_NOTE; with m == NULL only count vCPUs. */
static struct ck_error *walk_notes(Elf *elf, const char *path, size_t phnum, struct notes *cnt,
				   struct machine *m)
{
	struct elfnote_count seen = { 0, 0 };
	struct ck_error *err;
	cnt->writer[0] = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return libelf_error(path, "reading program header");
		if (ph.p_type != PT_NOTE || ph.p_filesz == 0)
			continue;
		if (ph.p_filesz > MAX_NOTES_BYTES)
			return ck_error_at(path, ph.p_offset, "PT_NOTE of %" PRIu64 " bytes is too large",
					   (uint64_t)ph.p_filesz);
		Elf_Data *data = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (!data)
			return ck_error_at(path, ph.p_offset, "unreadable PT_NOTE: %s", elf_errmsg(-1));
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (off < data->d_size) {
			size_t next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
			if (next == 0)
				return ck_error_at(path, ph.p_offset + off, "malformed note");
			const char *name = (const char *)data->d_buf + name_off;
			const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;
			uint64_t at = ph.p_offset + desc_off;
			if (nh.n_namesz == sizeof(ELFCORE_WRITER_NOTE_NAME) &&
			    memcmp(name, ELFCORE_WRITER_NOTE_NAME, sizeof(ELFCORE_WRITER_NOTE_NAME)) == 0 &&
			    nh.n_type == ELFCORE_WRITER_NOTE_TYPE) {
				size_t len = strnlen((const char *)desc, nh.n_descsz);
				if (len >= sizeof(cnt->writer))
					len = sizeof(cnt->writer) - 1;
				memcpy(cnt->writer, desc, len);
				cnt->writer[len] = 0;
			} else if ((err = elfnote_machine(path, at, (const uint8_t *)name, nh.n_namesz, nh.n_type, desc,
							  nh.n_descsz, m, &seen))) {
				return err;
			}
			off = next;
		}
	}
	cnt->nprstatus = seen.nprstatus;
	cnt->nqemu = seen.nqemu;
	return NULL;
}

/* Physical runs from PT_LOADs, each physical byte once (first load in paddr order). */
static struct ck_error *add_loads(Elf *elf, const char *path, int file, off_t fsize, size_t phnum,
				  GElf_Ehdr *eh, struct machine *m, int *vmcore_like)
{
	size_t nload = 0;
	struct load *loads = calloc(phnum ? phnum : 1, sizeof(*loads));
	if (!loads)
		return &ck_enomem;
	struct ck_error *err = NULL;
	int nonzero_paddr = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph)) {
			err = libelf_error(path, "reading program header");
			goto out;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		uint64_t at = eh->e_phoff + (uint64_t)i * eh->e_phentsize;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > (uint64_t)fsize ||
		    ph.p_filesz > (uint64_t)fsize - ph.p_offset) {
			err = ck_error_at(path, at, "PT_LOAD %zu (paddr 0x%" PRIx64 ", file 0x%" PRIx64
					  "+0x%" PRIx64 ") runs past end of file (size 0x%llx)", i,
					  (uint64_t)ph.p_paddr, (uint64_t)ph.p_offset, (uint64_t)ph.p_filesz,
					  (unsigned long long)fsize);
			goto out;
		}
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr) {
			err = ck_error_at(path, at, "PT_LOAD %zu wraps the physical address space", i);
			goto out;
		}
		nonzero_paddr |= ph.p_paddr != 0;
		loads[nload++] = (struct load){ ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_offset, i };
	}
	*vmcore_like = nonzero_paddr || nload <= 1;
	qsort(loads, nload, sizeof(*loads), load_cmp);
	uint64_t covered = 0;	/* physical bytes below this are taken */
	int any = 0;
	for (size_t i = 0; i < nload; i++) {
		const struct load *l = &loads[i];
		uint64_t start = l->paddr, end = l->paddr + l->memsz;
		if (any && start < covered)
			start = covered;
		if (start >= end)
			continue;
		uint64_t fend = l->paddr + l->filesz;
		if (start < fend &&
		    (err = machine_add_run(m, start, fend - start, MEM_RUN_FILE, file,
					   (off_t)(l->off + (start - l->paddr)))))
			goto out;
		uint64_t zstart = start > fend ? start : fend;
		if (zstart < end && (err = machine_add_run(m, zstart, end - zstart, MEM_RUN_ZERO, -1, 0)))
			goto out;
		covered = end;
		any = 1;
	}
out:
	free(loads);
	return err;
}

static struct ck_error *elfcore_open(const char *path, const char *companion, struct machine *m)
{
	(void)companion;
	int file;
	struct ck_error *err = machine_add_file(m, path, &file);
	if (err)
		return err;
	const struct machine_file *mf = &m->files[file];
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ck_error_create(CK_ERR_SYSTEM, "libelf: %s", elf_errmsg(-1));
	Elf *elf = elf_begin(mf->fd, ELF_C_READ, NULL);
	if (!elf)
		return libelf_error(path, "not an ELF file");
	GElf_Ehdr eh;
	size_t phnum;
	struct notes cnt;
	int vmcore_like = 1;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = libelf_error(path, "not an ELF file");
	} else if (gelf_getclass(elf) != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		err = ck_error_at(path, 0, "ELF core for machine %u class %d; only x86-64 (EM_X86_64,"
				  " ELFCLASS64) is supported", eh.e_machine, gelf_getclass(elf));
	} else if (eh.e_type != ET_CORE) {
		err = ck_error_at(path, 0x10, "ELF type %u is not ET_CORE", eh.e_type);
	} else if (elf_getphdrnum(elf, &phnum) != 0) {
		err = libelf_error(path, "reading the program header count");
	} else if (phnum > MAX_PHDRS) {
		err = ck_error_at(path, 0x38, "%zu program headers is more than the %d supported",
				  phnum, MAX_PHDRS);
	} else if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > (uint64_t)mf->size ||
		   phnum > ((uint64_t)mf->size - eh.e_phoff) / sizeof(Elf64_Phdr)) {
		err = ck_error_at(path, eh.e_phoff, "%zu program headers of %u bytes do not fit in the file",
				  phnum, eh.e_phentsize);
	} else if (!(err = walk_notes(elf, path, phnum, &cnt, NULL)) &&
		   !(err = machine_set_ncpus(m, cnt.nprstatus > cnt.nqemu ? cnt.nprstatus : cnt.nqemu)) &&
		   !(err = walk_notes(elf, path, phnum, &cnt, m)) &&
		   !(err = add_loads(elf, path, file, mf->size, phnum, &eh, m, &vmcore_like))) {
		if (!vmcore_like && !cnt.nqemu && !m->meta.vmcoreinfo)
			err = ck_error_at(path, 0, "every PT_LOAD has physical address 0: a process core,"
					  " not a VM memory dump");
		else if (m->nruns == 0)
			err = ck_error_at(path, 0, "no PT_LOAD segments: no memory in this core");
		else
			err = machine_finish_runs(m);
	}
	elf_end(elf);
	if (err)
		return err;
	if (cnt.writer[0]) {
		if (asprintf(&m->meta.source_format, "ELF vmcore (written by %s)", cnt.writer) < 0)
			m->meta.source_format = NULL;
	} else {
		m->meta.source_format = strdup(cnt.nqemu ? "ELF core (QEMU dump-guest-memory)" : "ELF core");
	}
	if (!m->meta.source_format)
		return &ck_enomem;
	m->meta.ram_bytes = machine_ram_bytes(m);
	m->meta.declared_vcpus = (uint32_t)m->ncpus;
	return NULL;
}

const struct machine_format elfcore_format = {
	.name = "elf",
	.probe = elfcore_probe,
	.open = elfcore_open,
};
