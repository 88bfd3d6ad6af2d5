/* symbols.c - libdwfl-backed symbol resolver with per-PC and per-module caches. */
#include "symbols.h"
#include "debug_inflate.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_index.h"

struct ck_error *sym_dwfl_error(enum ck_error_kind kind, const char *what)
{
	const char *msg = dwfl_errmsg(-1);
	return ck_error_create(kind, "%s: %s", what, msg ? msg : "unknown libdwfl error");
}

/*
 * libdwfl's standard search, except for a module that only a build-id can
 * name (no file, no .gnu_debuglink: the vDSO).  There the standard search's
 * last resort loads libdebuginfod - and with it curl, TLS and Kerberos, 25
 * libraries - even when DEBUGINFOD_URLS is unset or empty, where the client
 * returns at once without looking anywhere; the build-id tree is all that
 * is left to search then.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			  char **debuginfo_file_name)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!file_name && !debuglink_file && (!urls || !*urls))
		return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, NULL, NULL, 0, debuginfo_file_name);
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
					    debuglink_crc, debuginfo_file_name);
}

struct ck_error *sym_config_init(struct sym_config *cfg, const struct sym_options *opt)
{
	memset(cfg, 0, sizeof(*cfg));
	/* "-" disables CRC checks of .gnu_debuglink files (build-ids are checked
	 * instead); then ".debug" next to the binary, then the roots searched by
	 * build-id and by path. */
	const char *dd = opt && opt->debug_dir ? opt->debug_dir : NULL;
	const char *sr = opt && opt->sysroot ? opt->sysroot : NULL;
	int n = asprintf(&cfg->debuginfo_path, "-.debug%s%s%s%s%s:/usr/lib/debug",
			 dd ? ":" : "", dd ? dd : "",
			 sr ? ":" : "", sr ? sr : "", sr ? "/usr/lib/debug" : "");
	if (n < 0) {
		cfg->debuginfo_path = NULL;
		return &ck_enomem;
	}
	if (sr && !(cfg->sysroot = strdup(sr))) {
		free(cfg->debuginfo_path);
		cfg->debuginfo_path = NULL;
		return &ck_enomem;
	}
	cfg->callbacks.find_elf = dwfl_build_id_find_elf;
	cfg->callbacks.find_debuginfo = find_debuginfo;
	cfg->callbacks.section_address = dwfl_offline_section_address;
	cfg->callbacks.debuginfo_path = &cfg->debuginfo_path;
	return NULL;
}

void sym_config_deinit(struct sym_config *cfg)
{
	free(cfg->debuginfo_path);
	free(cfg->sysroot);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- resolver ---- */

struct sym_slot {
	uint64_t key;		/* pc << 1 | activation; 0 = empty slot (pc 0 is stored with key 1 or 2) */
	struct sym_info *info;
};

struct sym_resolver {
	Dwfl *dwfl;
	struct sym_module *mods;	/* sorted by start */
	size_t nmods;
	bool mods_done;
	struct sym_slot *slots;
	size_t nslots, nused;	/* nslots is a power of two */
	struct sym_fallback fb;		/* lookup.fn NULL: none */
	struct sym_module **fb_mods;	/* modules the fallback named, each allocated once */
	size_t nfb_mods;
	struct debug_inflated *inflated;	/* DWARF inflated for libdw (debug_inflate.h) */
	size_t ninflated;
	Dwfl_Module *cus_mod;		/* the module whose units come from cus (borrowed), or NULL */
	struct cu_index *cus;
	uint64_t cus_bias;
};

struct ck_error *sym_resolver_create(Dwfl *dwfl, struct sym_resolver **ret)
{
	struct sym_resolver *r = calloc(1, sizeof(*r));
	if (!r)
		return &ck_enomem;
	r->dwfl = dwfl;
	r->nslots = 1024;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return &ck_enomem;
	}
	*ret = r;
	return NULL;
}

static void info_free(struct sym_info *si)
{
	if (!si)
		return;
	free(si->function);
	free(si->symbol);
	free(si->symbol_name);
	free(si->file);
	for (size_t i = 0; i < si->ninlines; i++) {
		free(si->inlines[i].function);
		free(si->inlines[i].file);
	}
	free(si->inlines);
	free(si);
}

void sym_resolver_destroy(struct sym_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nslots; i++)
		info_free(r->slots[i].info);
	free(r->slots);
	for (size_t i = 0; i < r->nmods; i++) {
		free(r->mods[i].name);
		free(r->mods[i].path);
		free(r->mods[i].debug_file);
		free(r->mods[i].build_id);
	}
	free(r->mods);
	for (size_t i = 0; i < r->nfb_mods; i++) {
		free(r->fb_mods[i]->name);
		free(r->fb_mods[i]);
	}
	free(r->fb_mods);
	for (size_t i = 0; i < r->ninflated; i++)
		debug_inflated_free(&r->inflated[i]);
	free(r->inflated);
	free(r);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct mod_collect {
	struct sym_resolver *r;
	size_t cap;
	bool oom;
};

/*
 * Before libdw opens a module's DWARF: its compressed sections inflated the
 * faster way (debug_inflate.h).  The file is the one the module's symbol
 * table came from - a separate debug file (libc6-dbg's) has both, and
 * libdwfl offers no other way to it before the DWARF is open.  When the
 * DWARF comes from another file, or is open already, nothing changes.
 * Fails (true) only when out of memory.
 */
static bool inflate_dwarf(struct sym_resolver *r, Dwfl_Module *mod)
{
	GElf_Sym sym;
	GElf_Addr addr;
	Elf *elf = NULL;
	if (dwfl_module_getsymtab(mod) <= 0 || !dwfl_module_getsym_info(mod, 0, &sym, &addr, NULL, &elf, NULL) || !elf)
		return false;
	struct debug_inflated d;
	if (!debug_inflate(elf, &d))
		return false;
	struct debug_inflated *n = realloc(r->inflated, (r->ninflated + 1) * sizeof(*n));
	if (!n) {
		/* the Elf points into d now: it stays mapped until the process ends */
		return true;
	}
	r->inflated = n;
	r->inflated[r->ninflated++] = d;
	return false;
}

static int collect_module(Dwfl_Module *mod, void **userdata, const char *name,
			  Dwarf_Addr start, void *arg)
{
	(void)userdata;
	struct mod_collect *mc = arg;
	struct sym_resolver *r = mc->r;
	if (r->nmods == mc->cap) {
		size_t ncap = mc->cap ? mc->cap * 2 : 32;
		struct sym_module *n = realloc(r->mods, ncap * sizeof(*n));
		if (!n) {
			mc->oom = true;
			return DWARF_CB_ABORT;
		}
		r->mods = n;
		mc->cap = ncap;
	}
	struct sym_module *sm = &r->mods[r->nmods];
	memset(sm, 0, sizeof(*sm));
	Dwarf_Addr end = 0;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	sm->start = start;
	sm->end = end;
	sm->name = dup_or_null(name);
	if (name && !sm->name) {
		mc->oom = true;
		return DWARF_CB_ABORT;
	}
	r->nmods++;

	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0 && len <= 64) {
		sm->build_id = malloc((size_t)len * 2 + 1);
		if (!sm->build_id) {
			mc->oom = true;
			return DWARF_CB_ABORT;
		}
		for (int i = 0; i < len; i++)
			sprintf(sm->build_id + 2 * i, "%02x", bits[i]);
	}
	Dwarf_Addr bias;
	sm->has_elf = dwfl_module_getelf(mod, &bias) != NULL;
	if (inflate_dwarf(r, mod)) {
		mc->oom = true;
		return DWARF_CB_ABORT;
	}
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	if (dw)
		sm->status = SYM_DWARF;
	else if (dwfl_module_getsymtab(mod) > 0)
		sm->status = SYM_SYMTAB;
	const char *mainfile = NULL, *debugfile = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
	/* A file libdwfl opened itself from the core's file notes has no
	 * recorded name: it is the module's own (absolute) name. */
	if (!mainfile && sm->has_elf && name && name[0] == '/')
		mainfile = name;
	sm->path = dup_or_null(mainfile);
	sm->debug_file = dup_or_null(debugfile);
	sm->has_cfi = dwfl_module_eh_cfi(mod, &bias) || dwfl_module_dwarf_cfi(mod, &bias);
	/* A failing lookup above leaves an error code behind; drop it. */
	(void)dwfl_errno();
	return DWARF_CB_OK;
}

static int mod_cmp(const void *a, const void *b)
{
	const struct sym_module *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static struct ck_error *load_modules(struct sym_resolver *r)
{
	if (r->mods_done)
		return NULL;
	struct mod_collect mc = { r, 0, false };
	if (r->dwfl)
		dwfl_getmodules(r->dwfl, collect_module, &mc, 0);
	if (mc.oom)
		return &ck_enomem;
	if (r->nmods)
		qsort(r->mods, r->nmods, sizeof(*r->mods), mod_cmp);
	r->mods_done = true;
	return NULL;
}

struct ck_error *sym_modules(struct sym_resolver *r, const struct sym_module **ret, size_t *n)
{
	struct ck_error *err = load_modules(r);
	if (err)
		return err;
	*ret = r->mods;
	*n = r->nmods;
	return NULL;
}

static const struct sym_module *module_at(const struct sym_resolver *r, uint64_t start)
{
	size_t lo = 0, hi = r->nmods;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->mods[mid].start == start)
			return &r->mods[mid];
		if (r->mods[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint64_t key_of(uint64_t pc, bool activation)
{
	return ((pc << 1) | (activation ? 1 : 0)) + 1;	/* +1: never 0 */
}

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static struct sym_slot *slot_find(struct sym_slot *slots, size_t nslots, uint64_t key)
{
	size_t i = hash64(key) & (nslots - 1);
	while (slots[i].key && slots[i].key != key)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static struct ck_error *grow(struct sym_resolver *r)
{
	size_t n = r->nslots * 2;
	struct sym_slot *s = calloc(n, sizeof(*s));
	if (!s)
		return &ck_enomem;
	for (size_t i = 0; i < r->nslots; i++)
		if (r->slots[i].key)
			*slot_find(s, n, r->slots[i].key) = r->slots[i];
	free(r->slots);
	r->slots = s;
	r->nslots = n;
	return NULL;
}

/* A DIE's display name, malloc'd: its demangled linkage name (the full C++
 * name with parameters, as eu-stack and c++filt print it), else DW_AT_name.
 * *oom is set when a name existed but could not be copied. */
static char *die_name(Dwarf_Die *die, bool *oom)
{
	Dwarf_Attribute attr;
	const char *n = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		n = dwarf_formstring(&attr);
	if (!n && dwarf_attr_integrate(die, DW_AT_name, &attr))
		n = dwarf_formstring(&attr);
	char *d = sym_demangle(n);
	*oom |= n && !d;
	return d;
}

/* DW_AT_call_file/DW_AT_call_line of an inlined_subroutine DIE. */
static void call_site(Dwarf_Die *cudie, Dwarf_Die *die, const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	*file = NULL;
	*line = 0;
	if (dwarf_attr(die, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &v) == 0)
		*line = (int)v;
	Dwarf_Files *files;
	size_t nfiles;
	if (dwarf_attr(die, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &v) == 0 &&
	    dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && v < nfiles)
		*file = dwarf_filesrc(files, v, NULL, NULL);
}

static bool cfi_covers(Dwfl_Module *mod, uint64_t addr)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	Dwarf_Frame *fr = NULL;
	if (cfi && dwarf_cfi_addrframe(cfi, addr - bias, &fr) == 0) {
		free(fr);
		return true;
	}
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, addr - bias, &fr) == 0) {
		free(fr);
		return true;
	}
	return false;
}

void sym_resolver_set_fallback(struct sym_resolver *r, const struct sym_fallback *fb)
{
	r->fb = *fb;
}

void sym_resolver_set_cu_index(struct sym_resolver *r, Dwfl_Module *mod, struct cu_index *ix, uint64_t bias)
{
	r->cus_mod = ix ? mod : NULL;
	r->cus = ix;
	r->cus_bias = bias;
}

/* The unit DIE of addr in mod and the innermost line there: from the module's
 * unit index when it has one and the unit stands alone, else from libdwfl
 * (both search the same aranges the same way). */
static Dwarf_Die *unit_of(struct sym_resolver *r, Dwfl_Module *mod, uint64_t addr, Dwarf_Die *buf,
			  Dwarf_Addr *bias, const char **src, int *line)
{
	if (r->cus && mod == r->cus_mod) {
		enum cu_index_answer a = cu_index_lookup(r->cus, addr - r->cus_bias, buf);
		if (a == CU_INDEX_NONE)
			return NULL;
		if (a == CU_INDEX_FOUND) {
			*bias = r->cus_bias;
			Dwarf_Line *l = dwarf_getsrc_die(buf, addr - r->cus_bias);
			if (l) {
				*src = dwarf_linesrc(l, NULL, NULL);
				dwarf_lineno(l, line);
			}
			return buf;
		}
	}
	Dwfl_Line *dl = dwfl_module_getsrc(mod, addr);
	if (dl)
		*src = dwfl_lineinfo(dl, NULL, line, NULL, NULL, NULL);
	return dwfl_module_addrdie(mod, addr, bias);
}

/* The resolver's module record for a fallback module name (created once). */
static struct ck_error *fallback_module(struct sym_resolver *r, const struct sym_fallback_answer *a,
					const struct sym_module **ret)
{
	for (size_t i = 0; i < r->nfb_mods; i++)
		if (strcmp(r->fb_mods[i]->name, a->module) == 0) {
			*ret = r->fb_mods[i];
			return NULL;
		}
	struct sym_module **nm = realloc(r->fb_mods, (r->nfb_mods + 1) * sizeof(*nm));
	if (!nm)
		return &ck_enomem;
	r->fb_mods = nm;
	struct sym_module *m = calloc(1, sizeof(*m));
	if (!m || !(m->name = strdup(a->module))) {
		free(m);
		return &ck_enomem;
	}
	m->start = a->module_start;
	m->end = a->module_end;
	m->status = SYM_SYMTAB;
	r->fb_mods[r->nfb_mods++] = m;
	*ret = m;
	return NULL;
}

static struct ck_error *fallback_resolve(struct sym_resolver *r, uint64_t pc, uint64_t addr, struct sym_info *si)
{
	struct sym_fallback_answer a = { 0 };
	if (!r->fb.lookup(r->fb.arg, addr, &a))
		return NULL;
	if (a.module) {
		struct ck_error *err = fallback_module(r, &a, &si->module);
		if (err)
			return err;
		si->module_offset = pc - a.module_start;
	}
	if (a.function) {
		if (!(si->function = strdup(a.function)) || !(si->symbol = strdup(a.function)) ||
		    !(si->symbol_name = strdup(a.function)))
			return &ck_enomem;
		si->function_start = a.function_start;
		si->function_offset = pc - a.function_start;
	}
	return NULL;
}

static struct ck_error *resolve(struct sym_resolver *r, uint64_t pc, bool activation,
				struct sym_info **ret)
{
	struct sym_info *si = calloc(1, sizeof(*si));
	if (!si)
		return &ck_enomem;
	si->pc = pc;
	si->activation = activation;
	uint64_t addr = activation || pc == 0 ? pc : pc - 1;
	Dwfl_Module *mod = r->dwfl ? dwfl_addrmodule(r->dwfl, addr) : NULL;
	if (!mod) {
		if (r->dwfl)
			(void)dwfl_errno();
		struct ck_error *err = r->fb.lookup ? fallback_resolve(r, pc, addr, si) : NULL;
		if (err) {
			info_free(si);
			return err;
		}
		*ret = si;
		return NULL;
	}
	Dwarf_Addr mstart = 0;
	dwfl_module_info(mod, NULL, &mstart, NULL, NULL, NULL, NULL, NULL);
	si->module = module_at(r, mstart);
	si->module_offset = pc - mstart;
	/* A names-first fallback means a kernel: ORC unwinds it, CFI coverage is not asked. */
	si->cfi = r->fb.names_first ? false : cfi_covers(mod, addr);

	bool oom = false;
	/* Innermost source location of the address, and its unit. */
	const char *src = NULL;
	int srcline = 0;
	Dwarf_Addr bias = 0;
	Dwarf_Die cubuf;
	Dwarf_Die *cudie = unit_of(r, mod, addr, &cubuf, &bias, &src, &srcline);

	/* DWARF scopes: inlined_subroutine* then the subprogram. */
	Dwarf_Die *scopes = NULL;
	bool indexed = cudie == &cubuf;	/* the unit index's: its own scope walks (cu_index.h) */
	int nscopes = !cudie ? 0 : indexed ? cu_index_getscopes(cudie, addr - bias, &scopes)
					   : dwarf_getscopes(cudie, addr - bias, &scopes);
	if (nscopes > 0) {
		/* dwarf_getscopes can return only part of a nested inline chain; the
		 * DIE-based walk from its innermost result gives all of it. */
		Dwarf_Die *full = NULL;
		int nfull = indexed ? cu_index_scopes_die(&scopes[0], &full) : dwarf_getscopes_die(&scopes[0], &full);
		if (nfull > nscopes) {
			free(scopes);
			scopes = full;
			nscopes = nfull;
		} else {
			free(full);
		}
	}
	const char *cur_file = src;
	int cur_line = srcline;
	char *dwarf_func = NULL;
	Dwarf_Addr dwarf_low = 0;
	bool have_low = false;
	size_t ninl = 0;
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine)
			ninl++;
		else if (tag == DW_TAG_subprogram)
			break;
	}
	if (ninl) {
		si->inlines = calloc(ninl, sizeof(*si->inlines));
		oom |= !si->inlines;
	}
	for (int i = 0; i < nscopes && !oom; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine) {
			struct sym_inline *in = &si->inlines[si->ninlines++];
			in->function = die_name(&scopes[i], &oom);
			in->file = dup_or_null(cur_file);
			in->line = cur_line;
			oom |= cur_file && !in->file;
			call_site(cudie, &scopes[i], &cur_file, &cur_line);
		} else if (tag == DW_TAG_subprogram) {
			dwarf_func = die_name(&scopes[i], &oom);
			if (dwarf_lowpc(&scopes[i], &dwarf_low) == 0 ||
			    dwarf_entrypc(&scopes[i], &dwarf_low) == 0)
				have_low = true;
			break;
		}
	}
	free(scopes);

	/* ELF symbol table: entry address and a name when DWARF has none.  A
	 * names-first fallback answers instead (the symtab scan is linear). */
	struct sym_fallback_answer fa = { 0 };
	bool fb_named = r->fb.lookup && r->fb.names_first && r->fb.lookup(r->fb.arg, addr, &fa) && fa.function;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *symname = fb_named ? NULL : dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (symname) {
		si->symbol = strdup(symname);
		si->symbol_name = sym_demangle(symname);
		oom |= !si->symbol || !si->symbol_name;
	}
	/* the physical frame is named by its DWARF subprogram, else by its ELF symbol */
	if (dwarf_func || si->symbol_name) {
		bool from_dwarf = dwarf_func != NULL;
		si->function = dwarf_func ? dwarf_func : strdup(si->symbol_name);
		dwarf_func = NULL;
		oom |= !si->function;
		if (symname && (!from_dwarf || !have_low || addr - off <= dwarf_low + bias)) {
			si->function_start = addr - off;
		} else if (have_low) {
			si->function_start = dwarf_low + bias;
		}
		if (si->function_start && si->function_start <= pc)
			si->function_offset = pc - si->function_start;
	}
	free(dwarf_func);
	si->file = dup_or_null(cur_file);
	si->line = cur_line;
	oom |= cur_file && !si->file;
	(void)dwfl_errno();
	if (oom) {
		info_free(si);
		return &ck_enomem;
	}
	/* Names from the fallback even where DWARF has the PC (the kernel's own
	 * kallsyms), so that a frame is named the same with and without debug info. */
	const struct sym_fallback_answer a = fa;
	if (fb_named) {
		char *fn = strdup(a.function), *sy = strdup(a.function), *sn = strdup(a.function);
		if (!fn || !sy || !sn) {
			free(fn);
			free(sy);
			free(sn);
			info_free(si);
			return &ck_enomem;
		}
		free(si->function);
		free(si->symbol);
		free(si->symbol_name);
		si->function = fn;
		si->symbol = sy;
		si->symbol_name = sn;
		si->function_start = a.function_start;
		si->function_offset = pc - a.function_start;
	}
	*ret = si;
	return NULL;
}

struct ck_error *sym_lookup(struct sym_resolver *r, uint64_t pc, bool activation,
			    const struct sym_info **ret)
{
	struct ck_error *err = load_modules(r);
	if (err)
		return err;
	uint64_t key = key_of(pc, activation);
	struct sym_slot *s = slot_find(r->slots, r->nslots, key);
	if (s->key) {
		*ret = s->info;
		return NULL;
	}
	if ((r->nused + 1) * 2 > r->nslots) {
		if ((err = grow(r)))
			return err;
		s = slot_find(r->slots, r->nslots, key);
	}
	struct sym_info *si;
	if ((err = resolve(r, pc, activation, &si)))
		return err;
	s->key = key;
	s->info = si;
	r->nused++;
	*ret = si;
	return NULL;
}

struct find_sym {
	const char *name;
	uint64_t addr;
};

static int find_sym_cb(Dwfl_Module *mod, void **userdata, const char *mname,
		       Dwarf_Addr start, void *arg)
{
	(void)userdata;
	(void)mname;
	(void)start;
	struct find_sym *fs = arg;
	int n = dwfl_module_getsymtab(mod);
	for (int i = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *nm = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
		if (nm && a && strcmp(nm, fs->name) == 0 && GELF_ST_TYPE(sym.st_info) == STT_OBJECT) {
			fs->addr = a;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

uint64_t sym_find_symbol(struct sym_resolver *r, const char *name)
{
	struct find_sym fs = { name, 0 };
	if (!r->dwfl)
		return 0;
	dwfl_getmodules(r->dwfl, find_sym_cb, &fs, 0);
	(void)dwfl_errno();
	return fs.addr;
}

struct ck_error *sym_data_name(struct sym_resolver *r, uint64_t addr, char **ret)
{
	*ret = NULL;
	Dwfl_Module *mod = dwfl_addrmodule(r->dwfl, addr);
	GElf_Sym sym;
	GElf_Off off = 0;
	const char *name = mod ? dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL) : NULL;
	(void)dwfl_errno();
	if (!name || !*name || (off && off >= sym.st_size))
		return NULL;
	int n = off ? asprintf(ret, "%s+%llu", name, (unsigned long long)off) : asprintf(ret, "%s", name);
	if (n < 0) {
		*ret = NULL;
		return &ck_enomem;
	}
	return NULL;
}

char *sym_demangle(const char *name)
{
	if (!name)
		return NULL;
	if (strncmp(name, "_Z", 2) != 0)
		return strdup(name);
	/* "_ZN3foo3barEv@@VER_1": the version is not part of the mangled name */
	size_t n = strcspn(name, "@");
	char *bare = strndup(name, n);
	if (!bare)
		return NULL;
	/* c++filt's own flags: parameters, const/volatile, no abbreviations */
	char *d = cplus_demangle(bare, DMGL_PARAMS | DMGL_ANSI | DMGL_VERBOSE);
	if (d) {
		free(bare);
		return d;
	}
	free(bare);
	return strdup(name);	/* not a valid mangled name: as it is */
}

void sym_normalize_name(const char *name, char *buf, size_t cap)
{
	if (!cap)
		return;
	buf[0] = 0;
	if (!name)
		return;
	while (*name == '_')
		name++;
	if (strncmp(name, "GI_", 3) == 0) {	/* glibc internal alias __GI___foo */
		name += 3;
		while (*name == '_')
			name++;
	}
	size_t n = strcspn(name, "@");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, name, n);
	buf[n] = 0;
	/* a demangled clone: "foo(int) [clone .constprop.0]" */
	char *cl = strstr(buf, " [clone .");
	if (cl)
		*cl = 0;
	/* GCC clone suffixes: foo.constprop.0, foo.isra.0, foo.part.0, foo.cold */
	static const char *const sfx[] = { ".constprop", ".isra", ".part", ".cold", ".lto_priv" };
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		char *p = strstr(buf, sfx[i]);
		if (p && p != buf)
			*p = 0;
	}
}
