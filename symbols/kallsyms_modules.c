/*
 * kallsyms_modules.c - the kernel's module list and each module's own symbol
 * table (struct mod_kallsyms: Elf64_Sym symtab[num_symtab], strtab, typetab),
 * added to a struct kallsyms.  Struct offsets come from the caller.
 */
#include "kallsyms_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SYM_SIZE = 24,		/* Elf64_Sym */
	SHN_UNDEF_ = 0,
	STT_FUNC_ = 2,
	STB_LOCAL_ = 0,
};

void kallsyms_warnings_free(struct kallsyms_warnings *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->msgs[i]);
	free(w->msgs);
	w->msgs = NULL;
	w->n = 0;
}

static struct ck_error *warn(struct kallsyms_warnings *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct ck_error *warn(struct kallsyms_warnings *w, const char *fmt, ...)
{
	if (!w)
		return NULL;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	char **v = r < 0 ? NULL : realloc(w->msgs, (w->n + 1) * sizeof(*v));
	if (!v) {
		free(r < 0 ? NULL : msg);
		return &ck_enomem;
	}
	w->msgs = v;
	w->msgs[w->n++] = msg;
	return NULL;
}

/* A fault becomes a warning "WHAT: message"; other errors are returned. */
static struct ck_error *soft(struct ck_error *err, struct kallsyms_warnings *w, const char *what)
{
	if (!ck_error_is_fault(err))
		return err;
	struct ck_error *e2 = warn(w, "%s: %s", what, err->msg);
	ck_error_destroy(err);
	return e2;
}

struct msym {
	uint64_t addr;
	uint32_t name;		/* offset in strtab */
	uint32_t seq;
	char type;
};

static int cmp_msym(const void *a, const void *b)
{
	const struct msym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char type_from_info(uint8_t info)
{
	char c = (info & 0xf) == STT_FUNC_ ? 't' : 'd';
	return (info >> 4) == STB_LOCAL_ ? c : (char)(c - 'a' + 'A');
}

/* Linux's module lookups skip unnamed symbols and mapping symbols ($x, .L...). */
static bool skip_name(const char *s)
{
	return !s[0] || s[0] == '$' || (s[0] == '.' && s[1] == 'L');
}

/* Sort one module's symbols and add them with sizes to the next symbol (capped at text end). */
static struct ck_error *add_sorted(struct kallsyms *ks, struct msym *s, size_t n, const char *strtab, int32_t mod,
				   const struct kmodule_info *mi)
{
	qsort(s, n, sizeof(*s), cmp_msym);
	uint64_t tend = mi->text_base + mi->text_size;
	struct ck_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		size_t j = i + 1;
		while (j < n && s[j].addr == s[i].addr)
			j++;
		bool in_text = s[i].addr >= mi->text_base && s[i].addr < tend;
		uint64_t size = j < n ? s[j].addr - s[i].addr : in_text ? tend - s[i].addr : 0;
		if (in_text && size > tend - s[i].addr)
			size = tend - s[i].addr;
		const char *nm = strtab + s[i].name;
		err = ks_add(ks, s[i].addr, size, s[i].type, nm, strlen(nm), mod);
	}
	return err;
}

/* Read a span [off, off + len) of a struct at addr into buf. */
static struct ck_error *read_span(const struct ck_memory *mem, uint64_t addr, uint64_t lo, uint64_t hi, uint8_t *buf)
{
	return ck_mem_read(mem, addr + lo, buf, (size_t)(hi - lo));
}

static struct ck_error *module_symbols(struct kallsyms *ks, const struct ck_memory *mem,
				       const struct kallsyms_module_layout *l, int32_t mod, uint64_t kptr,
				       struct kallsyms_warnings *w)
{
	struct kmodule_info *mi = &ks->mods[mod];
	uint64_t lo = l->ks_symtab, hi = l->ks_symtab + 8;
	uint64_t offs[3] = { l->ks_num_symtab + 4, l->ks_strtab + 8, l->ks_typetab >= 0 ? (uint64_t)l->ks_typetab + 8 : 0 };
	for (int i = 0; i < 3; i++)
		hi = offs[i] > hi ? offs[i] : hi;
	lo = l->ks_num_symtab < lo ? l->ks_num_symtab : lo;
	lo = l->ks_strtab < lo ? l->ks_strtab : lo;
	if (l->ks_typetab >= 0 && (uint64_t)l->ks_typetab < lo)
		lo = (uint64_t)l->ks_typetab;
	uint8_t hdr[256];
	if (hi - lo > sizeof(hdr))
		return ck_error_create(CK_ERR_USAGE, "kallsyms_module_layout: mod_kallsyms fields too far apart");
	struct ck_error *err = read_span(mem, kptr, lo, hi, hdr);
	if (err)
		return soft(err, w, mi->name);
	uint64_t symtab = le64(hdr + (l->ks_symtab - lo)), strtab = le64(hdr + (l->ks_strtab - lo));
	uint64_t typetab = l->ks_typetab >= 0 ? le64(hdr + ((uint64_t)l->ks_typetab - lo)) : 0;
	uint32_t num = le32(hdr + (l->ks_num_symtab - lo));
	if (num > KALLSYMS_MAX_MODULE_SYMS)
		return warn(w, "%s: %u symbols is not plausible", mi->name, num);
	if (num == 0)
		return NULL;
	/* Before allocating by num: the symbol table must end in mapped memory. */
	uint8_t probe;
	err = ck_mem_read(mem, symtab + (uint64_t)num * SYM_SIZE - 1, &probe, 1);
	if (err)
		return soft(err, w, mi->name);

	uint8_t *syms = malloc((size_t)num * SYM_SIZE + 1), *types = malloc((size_t)num + 1);
	struct msym *ms = malloc(((size_t)num + 1) * sizeof(*ms));
	char *str = NULL;
	if (!syms || !types || !ms) {
		err = &ck_enomem;
		goto out;
	}
	err = ck_mem_read(mem, symtab, syms, (size_t)num * SYM_SIZE);
	if (err) {
		err = soft(err, w, mi->name);
		goto out;
	}
	if (typetab) {
		err = ck_mem_read(mem, typetab, types, num);
		if (err) {
			err = soft(err, w, mi->name);
			typetab = 0;
			if (err)
				goto out;
		}
	}
	/* The string table's size is not stored: read up to the last name plus a maximal name. */
	uint64_t maxname = 0;
	for (uint32_t i = 0; i < num; i++)
		if (le32(syms + (size_t)i * SYM_SIZE) > maxname)
			maxname = le32(syms + (size_t)i * SYM_SIZE);
	size_t slen = (size_t)maxname + KALLSYMS_MAX_NAME, got = 0;
	if (slen > ((size_t)16 << 20)) {
		err = warn(w, "%s: string table offset 0x%llx is not plausible", mi->name,
			   (unsigned long long)maxname);
		goto out;
	}
	str = malloc(slen + 1);
	if (!str) {
		err = &ck_enomem;
		goto out;
	}
	err = ks_read_prefix(mem, strtab, str, slen, &got);
	if (err)
		goto out;
	str[got] = 0;
	size_t n = 0, unnamed = 0;
	for (uint32_t i = 1; i < num; i++) {	/* symbol 0 is the ELF null symbol */
		const uint8_t *s = syms + (size_t)i * SYM_SIZE;
		uint32_t name = le32(s);
		if (le_get(s + 6, 2) == SHN_UNDEF_)
			continue;
		if (name >= got || !memchr(str + name, 0, got - name)) {
			unnamed++;
			continue;
		}
		if (skip_name(str + name))
			continue;
		char type = typetab ? (char)types[i] : type_from_info(s[4]);
		ms[n++] = (struct msym){ .addr = le64(s + 8), .name = name, .seq = i, .type = type };
	}
	if (unnamed)
		err = warn(w, "%s: %zu symbol names unreadable", mi->name, unnamed);
	if (!err)
		err = add_sorted(ks, ms, n, str, mod, mi);
	if (!err)
		mi->nsyms = n;
out:
	free(syms);
	free(types);
	free(ms);
	free(str);
	return err;
}

/* The fields of struct module we read, as one span. */
static struct ck_error *layout_span(const struct kallsyms_module_layout *l, uint64_t *lo_ret, uint64_t *hi_ret)
{
	if (l->name_len < 1 || l->name_len > KALLSYMS_MODULE_NAME_MAX)
		return ck_error_create(CK_ERR_USAGE, "kallsyms_module_layout: name_len %d", l->name_len);
	if (l->ks_symtab > 4096 || l->ks_num_symtab > 4096 || l->ks_strtab > 4096 || l->ks_typetab > 4096)
		return ck_error_create(CK_ERR_USAGE, "kallsyms_module_layout: mod_kallsyms offset too large");
	uint64_t ends[][2] = { { l->list, 8 }, { l->name, (uint64_t)l->name_len }, { l->kallsyms, 8 },
			       { l->text_base, 8 }, { l->text_size, 4 },
			       { (uint64_t)l->orc_unwind_ip, l->orc_unwind_ip >= 0 ? 8 : 0 },
			       { (uint64_t)l->orc_unwind, l->orc_unwind >= 0 ? 8 : 0 },
			       { (uint64_t)l->num_orcs, l->num_orcs >= 0 ? 4 : 0 } };
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		if (!ends[i][1])
			continue;
		if (ends[i][0] > 65536)
			return ck_error_create(CK_ERR_USAGE, "kallsyms_module_layout: offset %llu too large",
					       (unsigned long long)ends[i][0]);
		lo = ends[i][0] < lo ? ends[i][0] : lo;
		hi = ends[i][0] + ends[i][1] > hi ? ends[i][0] + ends[i][1] : hi;
	}
	*lo_ret = lo;
	*hi_ret = hi;
	return NULL;
}

/* One module: its fields into mods[nmods] (not yet counted). */
static void parse_module(const struct kallsyms_module_layout *l, const uint8_t *b, uint64_t lo, uint64_t addr,
			 struct kmodule_info *mi)
{
	*mi = (struct kmodule_info){ .addr = addr };
	const uint8_t *nm = b + (l->name - lo);
	int i = 0;
	for (; i < l->name_len && nm[i]; i++)
		mi->name[i] = nm[i] > ' ' && nm[i] < 0x7f ? (char)nm[i] : '?';
	mi->name[i] = 0;
	mi->text_base = le64(b + (l->text_base - lo));
	mi->text_size = le32(b + (l->text_size - lo));
	if (l->orc_unwind_ip >= 0)
		mi->orc_unwind_ip = le64(b + ((uint64_t)l->orc_unwind_ip - lo));
	if (l->orc_unwind >= 0)
		mi->orc_unwind = le64(b + ((uint64_t)l->orc_unwind - lo));
	if (l->num_orcs >= 0)
		mi->num_orcs = le32(b + ((uint64_t)l->num_orcs - lo));
}

static struct ck_error *walk(struct kallsyms *ks, const struct ck_memory *mem, uint64_t head,
			     const struct kallsyms_module_layout *l, struct kallsyms_warnings *w)
{
	uint64_t lo = 0, hi = 0, node = 0;
	struct ck_error *err = layout_span(l, &lo, &hi);
	if (err)
		return err;
	uint8_t *b = malloc((size_t)(hi - lo));
	if (!b)
		return &ck_enomem;
	err = ck_mem_read_u64(mem, head, &node);
	if (err) {
		free(b);
		return soft(err, w, "modules list head");
	}
	while (node != head && !err) {
		if (ks->nmods == KALLSYMS_MAX_MODULES) {
			err = warn(w, "module list: more than %d modules, stopped", KALLSYMS_MAX_MODULES);
			break;
		}
		uint64_t addr = node - l->list;
		bool seen = false;
		for (size_t i = 0; i < ks->nmods && !seen; i++)
			seen = ks->mods[i].addr == addr;
		if (seen) {
			err = warn(w, "module list: loops back to 0x%llx, stopped", (unsigned long long)addr);
			break;
		}
		uint64_t next = 0;
		err = read_span(mem, addr, lo, hi, b);
		if (!err)
			next = le64(b + (l->list - lo));
		if (err) {
			char what[64];
			snprintf(what, sizeof(what), "module at 0x%llx", (unsigned long long)addr);
			err = soft(err, w, what);
			break;	/* no next pointer */
		}
		if (ks->nmods == ks->mods_cap) {
			size_t cap = ks->mods_cap ? ks->mods_cap * 2 : 16;
			struct kmodule_info *v = realloc(ks->mods, cap * sizeof(*v));
			if (!v) {
				err = &ck_enomem;
				break;
			}
			ks->mods = v;
			ks->mods_cap = cap;
		}
		struct kmodule_info *mi = &ks->mods[ks->nmods];
		parse_module(l, b, lo, addr, mi);
		int32_t idx = (int32_t)ks->nmods++;
		uint64_t kptr = le64(b + (l->kallsyms - lo));
		if (kptr)
			err = module_symbols(ks, mem, l, idx, kptr, w);
		node = next;
	}
	free(b);
	return err;
}

struct ck_error *kallsyms_add_modules(struct kallsyms *ks, const struct ck_memory *mem, uint64_t modules_head,
				      const struct kallsyms_module_layout *layout, struct kallsyms_warnings *w)
{
	if (ks->modules_added)
		return ck_error_create(CK_ERR_USAGE, "kallsyms_add_modules: modules already added");
	size_t n0 = ks->n, pool0 = ks->pool_len;
	struct ck_error *err = walk(ks, mem, modules_head, layout, w);
	if (!err)
		err = ks_finish(ks);
	if (err) {
		/* Back to vmlinux only: every module symbol was appended after n0. */
		ks->n = n0;
		ks->pool_len = pool0;
		free(ks->mods);
		ks->mods = NULL;
		ks->nmods = ks->mods_cap = 0;
		struct ck_error *e2 = ks_finish(ks);
		ck_error_destroy(e2);
		return err;
	}
	ks->modules_added = true;
	return NULL;
}
