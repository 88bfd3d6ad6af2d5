/* kernel_moddebug.c - loaded modules' sections and build-ids, and their .ko files (kernel_moddebug.h). */
#include "kernel_moddebug.h"

#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NOTE_MAX = 4096, SEARCH_DEPTH = 8, SEARCH_ENTRIES = 100000 };

/* Where things are in struct module and its attribute arrays. */
struct mod_offsets {
	uint64_t sect_attrs, nsections, sattrs, selem, sname, saddr;
	uint64_t notes_attrs, nnotes, nattrs, nelem, nname, nsize, npriv;
};

static struct ck_error *offsets(struct ktypes *t, struct mod_offsets *o)
{
	struct ck_error *err;
	int old = 0;
	if ((err = ktypes_has_member(t, "module_sect_attr", "address", &old)))
		return err;
	const char *elem = old ? "module_sect_attr" : "bin_attribute";
	if ((err = ktypes_offsetof(t, "module", "sect_attrs", &o->sect_attrs)) ||
	    (err = ktypes_offsetof(t, "module_sect_attrs", "nsections", &o->nsections)) ||
	    (err = ktypes_offsetof(t, "module_sect_attrs", "attrs", &o->sattrs)) ||
	    (err = ktypes_sizeof(t, elem, &o->selem)) ||
	    (err = ktypes_offsetof(t, elem, old ? "battr.attr.name" : "attr.name", &o->sname)) ||
	    (err = ktypes_offsetof(t, elem, old ? "address" : "private", &o->saddr)) ||
	    (err = ktypes_offsetof(t, "module", "notes_attrs", &o->notes_attrs)) ||
	    (err = ktypes_offsetof(t, "module_notes_attrs", "notes", &o->nnotes)) ||
	    (err = ktypes_offsetof(t, "module_notes_attrs", "attrs", &o->nattrs)) ||
	    (err = ktypes_sizeof(t, "bin_attribute", &o->nelem)) ||
	    (err = ktypes_offsetof(t, "bin_attribute", "attr.name", &o->nname)) ||
	    (err = ktypes_offsetof(t, "bin_attribute", "size", &o->nsize)) ||
	    (err = ktypes_offsetof(t, "bin_attribute", "private", &o->npriv)))
		return err;
	if (!o->selem || !o->nelem)
		return ck_error_create(CK_ERR_INPUT, "module attribute sizes are 0 in the type data");
	return NULL;
}

/* A NUL-terminated string of at most cap-1 bytes at addr (read byte-wise, page faults end it). */
static struct ck_error *read_str(const struct ck_memory *mem, uint64_t addr, char *buf, size_t cap)
{
	struct ck_error *err = ck_mem_read(mem, addr, buf, cap);
	if (err) {
		/* near the end of a page: fall back to a byte at a time */
		ck_error_destroy(err);
		size_t i = 0;
		for (; i + 1 < cap; i++) {
			if ((err = ck_mem_read(mem, addr + i, buf + i, 1)))
				break;
			if (!buf[i])
				return NULL;
		}
		buf[i] = 0;
		return i ? (ck_error_destroy(err), NULL) : err;
	}
	buf[cap - 1] = 0;
	return NULL;
}

/* The build-id in the module's .note.gnu.build-id, as hex. */
static struct ck_error *read_build_id(const struct ck_memory *mem, const struct mod_offsets *o, uint64_t mod,
				      char *hex, size_t cap)
{
	uint64_t na;
	uint32_t n;
	struct ck_error *err;
	hex[0] = 0;
	if ((err = ck_mem_read_u64(mem, mod + o->notes_attrs, &na)) || !na)
		return err ? err : ck_error_create(CK_ERR_INPUT, "no notes in memory");
	if ((err = ck_mem_read_u32(mem, na + o->nnotes, &n)))
		return err;
	for (uint32_t i = 0; i < n && i < 64; i++) {
		uint64_t b = na + o->nattrs + i * o->nelem, name, size, priv;
		char nm[32];
		if ((err = ck_mem_read_u64(mem, b + o->nname, &name)) || (err = read_str(mem, name, nm, sizeof(nm))) ||
		    (err = ck_mem_read_u64(mem, b + o->nsize, &size)) || (err = ck_mem_read_u64(mem, b + o->npriv, &priv)))
			return err;
		if (strcmp(nm, ".note.gnu.build-id") != 0 || size < 16 || size > NOTE_MAX)
			continue;
		uint8_t note[NOTE_MAX];
		if ((err = ck_mem_read(mem, priv, note, size)))
			return err;
		uint32_t namesz = note[0] | note[1] << 8, descsz = note[4] | note[5] << 8;
		uint64_t desc = 12 + ((namesz + 3ULL) & ~3ULL);
		if (namesz != 4 || memcmp(note + 12, "GNU", 4) != 0 || !descsz || descsz > KMOD_BUILD_ID_MAX ||
		    desc + descsz > size || 2 * descsz + 1 > cap)
			return ck_error_create(CK_ERR_INPUT, "malformed .note.gnu.build-id in memory at 0x%llx",
					       (unsigned long long)priv);
		for (uint32_t k = 0; k < descsz; k++)
			snprintf(hex + 2 * k, 3, "%02x", note[desc + k]);
		return NULL;
	}
	return ck_error_create(CK_ERR_INPUT, "no .note.gnu.build-id in memory");
}

static struct ck_error *read_sections(const struct ck_memory *mem, const struct mod_offsets *o, uint64_t mod,
				      struct kmod_debug *d)
{
	uint64_t sa;
	uint32_t n;
	struct ck_error *err;
	if ((err = ck_mem_read_u64(mem, mod + o->sect_attrs, &sa)) || !sa)
		return err ? err : ck_error_create(CK_ERR_INPUT, "no section attributes in memory");
	if ((err = ck_mem_read_u32(mem, sa + o->nsections, &n)))
		return err;
	if (n > KMOD_SECTIONS_MAX)
		return ck_error_create(CK_ERR_INPUT, "%u sections (more than %d: not a module)", n, KMOD_SECTIONS_MAX);
	if (!(d->secs = calloc(n ? n : 1, sizeof(*d->secs))))
		return &ck_enomem;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t b = sa + o->sattrs + i * o->selem, name, addr;
		struct kmod_section *s = &d->secs[d->nsecs];
		if ((err = ck_mem_read_u64(mem, b + o->sname, &name)) ||
		    (err = read_str(mem, name, s->name, sizeof(s->name))) ||
		    (err = ck_mem_read_u64(mem, b + o->saddr, &addr)))
			return err;
		if (strncmp(s->name, ".init", 5) == 0 || !addr)
			continue;	/* freed after loading */
		s->addr = addr;
		d->nsecs++;
	}
	return NULL;
}

static void hex_of(const void *id, ssize_t n, char *hex, size_t cap)
{
	hex[0] = 0;
	for (ssize_t i = 0; i < n && (size_t)(2 * i + 2) < cap; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
}

/* 1: path is an ELF whose build-id is want (and *d gets section sizes); 0: not it; -1 unreadable. */
static int matches(const char *path, const char *want, struct kmod_debug *d, char *got, size_t gcap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int rc = 0;
	got[0] = 0;
	if (e && elf_kind(e) == ELF_K_ELF) {
		const void *id = NULL;
		ssize_t n = dwelf_elf_gnu_build_id(e, &id);
		hex_of(id, n, got, gcap);
		rc = n > 0 && strcmp(got, want) == 0;
		size_t shstr;
		for (Elf_Scn *scn = NULL; rc == 1 && elf_getshdrstrndx(e, &shstr) == 0 && (scn = elf_nextscn(e, scn));) {
			GElf_Shdr sh;
			const char *nm = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstr, sh.sh_name) : NULL;
			for (size_t i = 0; nm && i < d->nsecs; i++)
				if (strcmp(d->secs[i].name, nm) == 0 && (sh.sh_flags & SHF_ALLOC))
					d->secs[i].size = sh.sh_size;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

/* Module names use '_' and '-' interchangeably in file names. */
static int same_modname(const char *file, const char *mod)
{
	size_t n = strlen(mod);
	if (strlen(file) != n + 3 || strcmp(file + n, ".ko") != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char a = file[i] == '-' ? '_' : file[i], b = mod[i] == '-' ? '_' : mod[i];
		if (a != b)
			return 0;
	}
	return 1;
}

/* The *.ko files under the module trees named like a loaded module, collected
 * once per run (one walk, not one per module). */
struct ko_index {
	char **paths;
	size_t n, cap;
	char (*names)[KALLSYMS_MODULE_NAME_MAX + 1];	/* the loaded modules' names, '-' as '_', sorted */
	size_t nnames;
};

/* name with '-' as '_' (at most the first len bytes), as same_modname() compares them */
static void modname_key(const char *name, size_t len, char *key)
{
	size_t i = 0;
	for (; i < len && i < KALLSYMS_MODULE_NAME_MAX && name[i]; i++)
		key[i] = name[i] == '-' ? '_' : name[i];
	key[i] = 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* file (NAME.ko) is named like a loaded module */
static bool wanted(const struct ko_index *x, const char *file)
{
	size_t len = strlen(file);
	char key[KALLSYMS_MODULE_NAME_MAX + 1];
	if (len < 4 || len - 3 > KALLSYMS_MODULE_NAME_MAX)
		return false;
	modname_key(file, len - 3, key);
	return bsearch(key, x->names, x->nnames, sizeof(x->names[0]), key_cmp) != NULL;
}

static struct ck_error *ko_index_init(struct ko_index *x, const struct kallsyms *ks)
{
	memset(x, 0, sizeof(*x));
	size_t n = kallsyms_nmodules(ks);
	if (!(x->names = calloc(n ? n : 1, sizeof(x->names[0]))))
		return &ck_enomem;
	for (size_t i = 0; i < n; i++)
		modname_key(kallsyms_module(ks, i)->name, SIZE_MAX, x->names[i]);
	qsort(x->names, n, sizeof(x->names[0]), key_cmp);
	x->nnames = n;
	return NULL;
}

static void ko_index_free(struct ko_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->paths[i]);
	free(x->paths);
	free(x->names);
	memset(x, 0, sizeof(*x));
}

/* What the directory entry is, from its d_type when the file system gives it
 * (no stat per entry: the two module trees hold ~10,000 files), else stat:
 * a .ko counts through a symlink, a directory is entered only if it is one. */
static bool entry_is(const char *path, const struct dirent *de, bool ko, mode_t *mode)
{
	struct stat st;
	if (de->d_type == DT_REG || de->d_type == DT_DIR) {
		*mode = de->d_type == DT_REG ? S_IFREG : S_IFDIR;
		return true;
	}
	if (de->d_type != DT_UNKNOWN && !(ko && de->d_type == DT_LNK))
		return false;
	if ((ko ? stat(path, &st) : lstat(path, &st)) != 0)
		return false;
	*mode = st.st_mode & S_IFMT;
	return true;
}

static struct ck_error *ko_index_walk(struct ko_index *x, const char *dir, int depth, size_t *budget)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return NULL;
	struct dirent *de;
	struct ck_error *err = NULL;
	while (!err && (de = readdir(dp)) && *budget > 0) {
		(*budget)--;
		if (de->d_name[0] == '.')
			continue;
		size_t len = strlen(de->d_name);
		bool ko = len > 3 && strcmp(de->d_name + len - 3, ".ko") == 0;
		if (ko && !wanted(x, de->d_name) && (depth <= 0 || de->d_type == DT_REG || de->d_type == DT_LNK))
			continue;	/* no loaded module's file, and not a directory */
		if (!ko && (depth <= 0 || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)))
			continue;
		char *p = NULL;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
			err = &ck_enomem;
			break;
		}
		mode_t mode = 0;
		if (!entry_is(p, de, ko, &mode)) {
			free(p);
			continue;
		}
		if (ko && S_ISREG(mode) && wanted(x, de->d_name)) {
			if (x->n == x->cap) {
				size_t cap = x->cap ? 2 * x->cap : 256;
				char **v = realloc(x->paths, cap * sizeof(*v));
				if (!v) {
					free(p);
					err = &ck_enomem;
					break;
				}
				x->paths = v;
				x->cap = cap;
			}
			x->paths[x->n++] = p;
			continue;
		}
		if (depth > 0 && S_ISDIR(mode) && !(ko && de->d_type == DT_LNK))
			err = ko_index_walk(x, p, depth - 1, budget);
		free(p);
	}
	closedir(dp);
	return err;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The .ko of module d with build-id want; NULL *path if none matched. */
static struct ck_error *find_ko(struct kmod_debug *d, const char *want, const struct ko_index *x,
				const char *debug_dir, struct strlist *warnings)
{
	char *cand[16] = { 0 };
	size_t nc = 0;
	const char *roots[] = { debug_dir, "/usr/lib/debug" };
	struct ck_error *err = NULL;
	for (size_t i = 0; i < 2 && !err; i++) {
		if (!roots[i])
			continue;
		if (asprintf(&cand[nc++], "%s/.build-id/%.2s/%s.debug", roots[i], want, want + 2) < 0 ||
		    asprintf(&cand[nc++], "%s/.build-id/%.2s/%s", roots[i], want, want + 2) < 0)
			err = &ck_enomem;
	}
	if (!err && debug_dir && asprintf(&cand[nc++], "%s/%s.ko", debug_dir, d->name) < 0)
		err = &ck_enomem;
	for (size_t i = 0; i < x->n && !err && nc < sizeof(cand) / sizeof(cand[0]); i++)
		if (same_modname(base_name(x->paths[i]), d->name) && !(cand[nc++] = strdup(x->paths[i])))
			err = &ck_enomem;
	char got[2 * KMOD_BUILD_ID_MAX + 1];
	for (size_t i = 0; i < nc && !err && !d->path; i++) {
		int rc = cand[i] ? matches(cand[i], want, d, got, sizeof(got)) : -1;
		if (rc == 1)
			d->path = cand[i], cand[i] = NULL;
		else if (rc == 0)
			err = strlist_addf(warnings, "module %s: %s is another build (build-id %s, the loaded module's is %s)",
					   d->name, cand[i], got[0] ? got : "none", want);
	}
	for (size_t i = 0; i < nc; i++)
		free(cand[i]);
	return err;
}

struct ck_error *kernel_moddebug_find(struct kernel_moddebug *md, const struct ck_memory *mem, struct ktypes *types,
				      const struct kallsyms *ks, const char *release, const char *debug_dir,
				      struct strlist *warnings)
{
	memset(md, 0, sizeof(*md));
	size_t n = ks ? kallsyms_nmodules(ks) : 0;
	if (!n)
		return NULL;
	struct mod_offsets o;
	struct ck_error *err = types ? offsets(types, &o) : ck_error_create(CK_ERR_INPUT, "no type information");
	if (err) {
		struct ck_error *w = err->kind == CK_ERR_SYSTEM ? NULL
				     : strlist_addf(warnings, "module DWARF not looked for: %s", err->msg);
		if (err->kind == CK_ERR_SYSTEM)
			return err;
		ck_error_destroy(err);
		return w;
	}
	if (!(md->mods = calloc(n, sizeof(*md->mods))))
		return &ck_enomem;
	struct ko_index index;
	if ((err = ko_index_init(&index, ks)))
		return err;
	const char *trees[] = { "/usr/lib/debug/lib/modules", "/lib/modules" };
	size_t budget = SEARCH_ENTRIES;
	for (size_t i = 0; i < 2 && !err && release; i++) {
		char *dir = NULL;
		if (asprintf(&dir, "%s/%s", trees[i], release) < 0)
			err = &ck_enomem;
		else
			err = ko_index_walk(&index, dir, SEARCH_DEPTH, &budget);
		free(dir);
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct kmodule_info *mi = kallsyms_module(ks, i);
		struct kmod_debug *d = &md->mods[md->n];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", mi->name);
		char want[2 * KMOD_BUILD_ID_MAX + 1];
		struct ck_error *e = read_sections(mem, &o, mi->addr, d);
		if (!e)
			e = read_build_id(mem, &o, mi->addr, want, sizeof(want));
		if (!e)
			e = find_ko(d, want, &index, debug_dir, warnings);
		if (e) {
			err = e->kind == CK_ERR_SYSTEM ? e
			      : strlist_addf(warnings, "module %s: no DWARF: %s", d->name, e->msg);
			if (e->kind != CK_ERR_SYSTEM)
				ck_error_destroy(e);
		} else if (!d->path) {
			err = strlist_addf(warnings, "module %s: no .ko with build-id %s found (give --debug-dir DIR "
					   "holding %s.ko)", d->name, want, d->name);
		}
		if (!d->path) {
			free(d->secs);
			continue;
		}
		d->lo = UINT64_MAX;
		for (size_t k = 0; k < d->nsecs; k++) {
			const struct kmod_section *s = &d->secs[k];
			if (!s->size)
				continue;	/* not allocated in the file (.symtab copies) */
			if (s->addr < d->lo)
				d->lo = s->addr;
			if (s->addr + s->size > d->hi)
				d->hi = s->addr + s->size;
		}
		if (d->hi <= d->lo) {
			err = strlist_addf(warnings, "module %s: %s has no loaded allocated sections", d->name, d->path);
			free(d->path);
			free(d->secs);
			continue;
		}
		md->n++;
	}
	ko_index_free(&index);
	return err;
}

void kernel_moddebug_free(struct kernel_moddebug *md)
{
	for (size_t i = 0; i < md->n; i++) {
		free(md->mods[i].path);
		free(md->mods[i].secs);
	}
	free(md->mods);
	memset(md, 0, sizeof(*md));
}

uint64_t kernel_moddebug_section(const struct kmod_debug *d, const char *secname)
{
	for (size_t i = 0; i < d->nsecs; i++)
		if (strcmp(d->secs[i].name, secname) == 0)
			return d->secs[i].addr;
	return 0;
}
