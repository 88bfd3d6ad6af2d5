/*
 * target_open.c - pick the target kind for an input file.
 *
 * An ELF core with an NT_PRPSINFO note and no VMCOREINFO note is a process
 * core; any other ELF core (a kernel vmcore, a QEMU dump) and every input a
 * machine format claims (.vmss, debug.guest) is a machine image.  A file
 * that fails to open gets the error of the reader whose format it is; only a
 * file no reader claims gets the generic message.
 */
#include "target.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "log_events.h"

enum { KIND_UNKNOWN, KIND_PROCESS, KIND_MACHINE };

static int elf_core_kind(int fd)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	size_t phnum;
	int kind = KIND_UNKNOWN;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || eh.e_type != ET_CORE ||
	    elf_getphdrnum(e, &phnum) != 0)
		goto out;
	bool prpsinfo = false, vmcoreinfo = false, notes_ok = false;
	for (size_t i = 0; i < phnum && i < 65536; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE || ph.p_filesz > (1u << 30))
			continue;
		Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (!d)
			continue;
		notes_ok = true;
		size_t off = 0, name_off, desc_off, next;
		GElf_Nhdr nh;
		while (off < d->d_size && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const char *name = (const char *)d->d_buf + name_off;
			if (nh.n_namesz == 5 && memcmp(name, "CORE", 5) == 0 && nh.n_type == NT_PRPSINFO)
				prpsinfo = true;
			if (nh.n_namesz == 11 && memcmp(name, "VMCOREINFO", 11) == 0)
				vmcoreinfo = true;
			off = next;
		}
	}
	/* Unreadable notes: let the process-core reader name the problem. */
	kind = notes_ok && (vmcoreinfo || !prpsinfo) ? KIND_MACHINE : KIND_PROCESS;
out:
	if (e)
		elf_end(e);
	return kind;
}

struct ck_error *target_open(const char *path, const struct target_core_options *opt, struct target **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int kind = KIND_UNKNOWN;
	if (fd >= 0) {
		kind = elf_core_kind(fd);
		close(fd);
	}
	if (kind == KIND_MACHINE)
		return target_machine_open(path, opt, ret);
	if (kind == KIND_PROCESS)
		return target_core_open(path, opt, ret);
	/*
	 * Not an ELF core: the error must come from the format the file is
	 * (a truncated .vmss gets the checkpoint reader's offset, a missing
	 * .vmem is named), so ask which format claims it before opening.
	 */
	const struct machine_format *fmt = NULL;
	struct ck_error *err = machine_probe(path, &fmt);
	if (err)
		return err;
	if (fmt)
		return target_machine_open(path, opt, ret);
	unsigned char magic[4];
	bool elf = false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		elf = pread(fd, magic, 4, 0) == 4 && memcmp(magic, ELFMAG, 4) == 0;
		close(fd);
	}
	if (elf)	/* an ELF file that is no core: the ELF reader says what it is */
		return target_core_open(path, opt, ret);
	if (log_sniff_path(path) != LOG_FMT_NONE)	/* a text log, by its content */
		return target_log_open(path, ret);
	return ck_error_create(CK_ERR_INPUT, "%s: not a process core, ELF vmcore, VMware checkpoint "
			       "(.vmss/.vmsn), debug.guest file or log", path);
}
