/* kernel_debuginfo.c - the guest kernel's vmlinux for file:line and inline frames. */
#include "kernel_debuginfo.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "x86_paging.h"

/* A vmlinux candidate: its build-id as hex and its kernel-half link range. */
struct vmlinux_facts {
	char build_id[129];
	uint64_t lo, hi;	/* [lo, hi): PT_LOADs at kernel addresses (not the per-CPU one at 0) */
};

/* 0 ok; -1 cannot open (errno); -2 not an ELF with kernel PT_LOADs. */
static int read_facts(const char *path, struct vmlinux_facts *f)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int rc = -2;
	size_t phnum;
	if (e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &phnum) == 0) {
		const void *id = NULL;
		ssize_t n = dwelf_elf_gnu_build_id(e, &id);
		for (ssize_t i = 0; i < n && i < 64; i++)
			snprintf(f->build_id + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
		f->lo = UINT64_MAX;
		for (size_t i = 0; i < phnum && i < 4096; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_vaddr < X86_START_KERNEL_MAP)
				continue;
			if (ph.p_vaddr < f->lo)
				f->lo = ph.p_vaddr;
			if (ph.p_vaddr + ph.p_memsz > f->hi)
				f->hi = ph.p_vaddr + ph.p_memsz;
		}
		if (f->hi > f->lo)
			rc = 0;
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

/* find_elf: the file we chose (module userdata), else libdwfl's build-id search (debuginfod too). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base, char **file_name,
		    Elf **elfp)
{
	const struct kmod_debug *ud = *userdata;
	const char *path = ud ? ud->path : NULL;
	if (!path)
		return dwfl_build_id_find_elf(mod, userdata, name, base, file_name, elfp);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !(*file_name = strdup(path))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Index the units of the vmlinux's DWARF (wherever libdwfl found it); a file
 * that cannot be indexed keeps libdwfl's lookup, with a warning saying why. */
static struct ck_error *index_units(struct kernel_debuginfo *d, Dwfl_Module *m)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(m, &bias);
	const char *mainfile = NULL, *debugfile = NULL;
	dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
	const char *path = debugfile ? debugfile : mainfile;
	if (!dw || !path) {
		(void)dwfl_errno();
		return NULL;	/* no DWARF: nothing to index */
	}
	struct ck_error *err = cu_index_create(path, dw, &d->cus);
	if (!err) {
		d->cus_bias = bias;
		return NULL;
	}
	if (err == &ck_enomem)
		return err;
	struct ck_error *w = strlist_addf(&d->warnings, "vmlinux DWARF not indexed by unit (%s): libdw reads every "
					  "unit header instead", err->msg);
	ck_error_destroy(err);
	return w;
}

/* Report vmlinux at its runtime range; libdwfl works out the KASLR bias from it. */
static struct ck_error *report(struct kernel_debuginfo *d, const struct linux_kernel *k, const char *path,
			       const struct vmlinux_facts *f, const unsigned char *id, size_t idlen)
{
	if (!(d->dwfl = dwfl_begin(&d->cfg.callbacks)))
		return sym_dwfl_error(CK_ERR_SYSTEM, "dwfl_begin");
	dwfl_report_begin(d->dwfl);
	Dwfl_Module *m = dwfl_report_module(d->dwfl, "vmlinux", f->lo + k->kernel_offset, f->hi + k->kernel_offset);
	if (!m)
		return sym_dwfl_error(CK_ERR_SYSTEM, "reporting vmlinux");
	void **ud = NULL;
	dwfl_module_info(m, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = &d->vmlinux_ud;
	if (path) {
		if (!(d->vmlinux_ud.path = strdup(path)))
			return &ck_enomem;
	} else if (dwfl_module_report_build_id(m, id, idlen, 0) != 0) {
		return sym_dwfl_error(CK_ERR_SYSTEM, "reporting vmlinux's build-id");
	}
	dwfl_report_end(d->dwfl, NULL, NULL);
	Dwarf_Addr bias;
	if (!dwfl_module_getelf(m, &bias)) {
		(void)dwfl_errno();
		dwfl_end(d->dwfl);
		d->dwfl = NULL;
		return NULL;	/* not found (debuginfod too): the caller warns */
	}
	d->vmlinux = true;
	d->vmlinux_mod = m;
	return index_units(d, m);
}

/* An ET_REL module's sections go where the kernel put them; unloaded ones nowhere. */
static int section_address(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			   const char *secname, GElf_Word shndx, const GElf_Shdr *shdr, Dwarf_Addr *addr)
{
	(void)mod, (void)modname, (void)base, (void)shndx, (void)shdr;
	const struct kmod_debug *ud = *userdata;
	uint64_t a = ud && secname ? kernel_moddebug_section(ud, secname) : 0;
	*addr = a ? a : (Dwarf_Addr)-1;
	return 0;
}

struct ck_error *kernel_debuginfo_add_modules(struct kernel_debuginfo *d, const struct ck_memory *mem,
					      struct ktypes *types, const struct kallsyms *ks, const char *release,
					      const char *debug_dir)
{
	struct ck_error *err = kernel_moddebug_find(&d->mods, mem, types, ks, release, debug_dir, &d->warnings);
	if (err || !d->mods.n)
		return err;
	if (!d->dwfl) {
		if (!(d->dwfl = dwfl_begin(&d->cfg.callbacks)))
			return sym_dwfl_error(CK_ERR_SYSTEM, "dwfl_begin");
		dwfl_report_begin(d->dwfl);
	} else {
		dwfl_report_begin_add(d->dwfl);
	}
	for (size_t i = 0; i < d->mods.n; i++) {
		struct kmod_debug *md = &d->mods.mods[i];
		Dwfl_Module *m = dwfl_report_module(d->dwfl, md->name, md->lo, md->hi);
		if (!m) {
			/* overlapping another module's range: keep going without this one */
			if ((err = strlist_addf(&d->warnings, "module %s: libdwfl refused its range: %s", md->name,
						dwfl_errmsg(-1))))
				break;
			continue;
		}
		void **ud = NULL;
		dwfl_module_info(m, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
		*ud = md;
	}
	dwfl_report_end(d->dwfl, NULL, NULL);
	return err;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

struct ck_error *kernel_debuginfo_open(struct kernel_debuginfo *d, const struct linux_kernel *k,
				       const char *build_id, const char *vmlinux, const struct sym_options *opt,
				       uint64_t text_lo, uint64_t text_hi)
{
	memset(d, 0, sizeof(*d));
	struct ck_error *err = sym_config_init(&d->cfg, opt);
	if (err)
		return err;
	d->cfg.callbacks.find_elf = find_elf;
	d->cfg.callbacks.section_address = section_address;
	struct vmlinux_facts f;
	if (vmlinux) {
		int rc = read_facts(vmlinux, &f);
		if (rc == -1)
			return ck_error_create(CK_ERR_INPUT, "%s: cannot read: %s", vmlinux, strerror(errno));
		if (rc == -2)
			return ck_error_create(CK_ERR_INPUT, "%s: not a vmlinux (no kernel-address PT_LOAD)", vmlinux);
		if (!build_id || strcmp(f.build_id, build_id) == 0)
			return report(d, k, vmlinux, &f, NULL, 0);
		return strlist_addf(&d->warnings, "--vmlinux %s ignored: its build-id %s is not the guest kernel's %s", vmlinux,
			    f.build_id[0] ? f.build_id : "(none)", build_id);
	}
	if (!build_id)
		return strlist_addf(&d->warnings, "the guest kernel has no BUILD-ID in VMCOREINFO: no vmlinux looked for "
			    "(give --vmlinux)");
	char *cand[8] = { 0 };
	size_t nc = 0;
	const char *roots[] = { opt ? opt->debug_dir : NULL, "/usr/lib/debug" };
	int ok = 1;
	for (size_t i = 0; i < 2; i++) {
		if (!roots[i] || strlen(build_id) < 3)
			continue;
		ok &= asprintf(&cand[nc++], "%s/.build-id/%.2s/%s.debug", roots[i], build_id, build_id + 2) >= 0;
		ok &= asprintf(&cand[nc++], "%s/.build-id/%.2s/%s", roots[i], build_id, build_id + 2) >= 0;
	}
	ok &= asprintf(&cand[nc++], "/usr/lib/debug/boot/vmlinux-%s", k->osrelease) >= 0;
	ok &= asprintf(&cand[nc++], "/boot/vmlinux-%s", k->osrelease) >= 0;
	ok &= asprintf(&cand[nc++], "/lib/modules/%s/build/vmlinux", k->osrelease) >= 0;
	const char *found = NULL;
	for (size_t i = 0; ok && i < nc && !found && !err; i++) {
		if (!cand[i] || read_facts(cand[i], &f) != 0)
			continue;
		if (strcmp(f.build_id, build_id) == 0)
			found = cand[i];
		else
			err = strlist_addf(&d->warnings, "%s is not the guest kernel's vmlinux (build-id %s, the guest's is %s)", cand[i],
				   f.build_id[0] ? f.build_id : "none", build_id);
	}
	if (!ok)
		err = &ck_enomem;
	if (!err && found)
		err = report(d, k, found, &f, NULL, 0);
	if (!err && !found && getenv("DEBUGINFOD_URLS") && *getenv("DEBUGINFOD_URLS")) {
		unsigned char id[64];
		size_t n = 0;
		for (const char *p = build_id; p[0] && p[1] && n < sizeof(id); p += 2) {
			int hi = hexval(p[0]), lo = hexval(p[1]);
			if (hi < 0 || lo < 0)
				break;
			id[n++] = (unsigned char)(hi << 4 | lo);
		}
		/* Not on disk: libdwfl places what it fetches at the running image's link range. */
		f.lo = text_lo - k->kernel_offset;
		f.hi = text_hi - k->kernel_offset;
		err = text_hi > text_lo ? report(d, k, NULL, &f, id, n) : NULL;
	}
	if (!err && !d->dwfl)
		err = strlist_addf(&d->warnings, "no vmlinux with DWARF for Linux %s (build-id %s): frames have no file:line or "
			   "inline frames (install the kernel's -dbg package, give --vmlinux, or set DEBUGINFOD_URLS)",
			   k->osrelease, build_id);
	for (size_t i = 0; i < nc; i++)
		free(cand[i]);
	return err;
}

void kernel_debuginfo_close(struct kernel_debuginfo *d)
{
	cu_index_destroy(d->cus);
	if (d->dwfl)
		dwfl_end(d->dwfl);
	sym_config_deinit(&d->cfg);
	free(d->vmlinux_ud.path);
	kernel_moddebug_free(&d->mods);
	strlist_free(&d->warnings);
	memset(d, 0, sizeof(*d));
}
