/* cu_index.c - address -> compilation unit through .debug_aranges, one Dwarf per unit (cu_index.h). */
#include "cu_index.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* One .debug_aranges entry, in section order (seq) for a stable sort. */
struct arange {
	uint64_t addr, len;
	uint64_t unit;		/* unit header offset in .debug_info */
	size_t seq;
};

/* Consecutive aranges (by address) of one unit, as libdwfl merges them. */
struct cu_run {
	uint64_t start;
	size_t unit;		/* index into units */
};

struct cu_unit {
	uint64_t off;		/* header offset in .debug_info */
	bool opened;
	enum cu_index_answer state;	/* once opened: FOUND or OTHER */
	Elf *elf;		/* this unit's view of the file: .debug_info is the unit alone */
	Dwarf *dw;
	Dwarf_Die die;
};

struct cu_index {
	char *path;
	char *image;		/* the whole file, mapped read-only */
	size_t size;
	Elf *elf;		/* section table of image */
	bool msb;		/* big-endian file */
	size_t info_ndx;
	uint64_t info_off, info_size;
	uint64_t abbrev_off, abbrev_size;	/* .debug_abbrev, 0 size if none */
	struct cu_run *runs;
	size_t nruns;
	uint64_t last_end;	/* address + length of the highest arange */
	struct cu_unit *units;	/* sorted by off */
	size_t nunits, nopen;
};

/* ---- reading the file ---- */

struct reader {
	const unsigned char *p;
	size_t n, pos;		/* section bytes, read position */
	bool msb;
};

static bool rd(struct reader *r, unsigned width, uint64_t *v)
{
	if (width > r->n - r->pos)
		return false;
	uint64_t x = 0;
	for (unsigned i = 0; i < width; i++) {
		unsigned b = r->p[r->pos + (r->msb ? i : width - 1 - i)];
		x = x << 8 | b;
	}
	r->pos += width;
	*v = x;
	return true;
}

static int arange_cmp(const void *a, const void *b)
{
	const struct arange *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Every set of .debug_aranges.  Stricter than libdw where libdw would read a
 * set some other way than the DWARF standard says (it ignores the set length
 * and reads on after the terminator), so that both read the same list.
 */
static struct ck_error *read_aranges(const struct cu_index *x, uint64_t file_off, const unsigned char *p, size_t n,
				     struct arange **ret, size_t *nret)
{
	struct reader r = { p, n, 0, x->msb };
	struct arange *v = NULL;
	size_t nv = 0, cap = 0;
	const char *why = NULL;
	size_t at = 0;
	while (!why && r.pos < n) {
		size_t set = at = r.pos;
		uint64_t len, ver, unit, asz, ssz;
		unsigned offsz = 4;
		if (!rd(&r, 4, &len)) {
			why = "set header cut short";
			break;
		}
		if (len == 0xffffffffu) {
			offsz = 8;
			if (!rd(&r, 8, &len)) {
				why = "set header cut short";
				break;
			}
		} else if (len >= 0xfffffff0u) {
			why = "reserved unit length";
			break;
		}
		if (len > n - r.pos) {
			why = "set runs past the end of the section";
			break;
		}
		size_t end = r.pos + len;
		struct reader s = { p, end, r.pos, x->msb };	/* this set only */
		if (!rd(&s, 2, &ver) || !rd(&s, offsz, &unit) || !rd(&s, 1, &asz) || !rd(&s, 1, &ssz)) {
			why = "set header cut short";
			break;
		}
		if (ver != 2)
			why = "version is not 2";
		else if (asz != 4 && asz != 8)
			why = "address size is not 4 or 8";
		else if (ssz != 0)
			why = "segment selectors are not supported";
		else if (unit >= x->info_size || x->info_size - unit < 4)
			why = "unit offset outside .debug_info";
		if (why)
			break;
		size_t tuple = 2 * asz;
		s.pos += (tuple - (s.pos - set) % tuple) % tuple;
		for (;;) {
			uint64_t a, l;
			at = s.pos;
			if (!rd(&s, (unsigned)asz, &a) || !rd(&s, (unsigned)asz, &l)) {
				why = "no terminating entry before the end of the set";
				break;
			}
			if (a == 0 && l == 0)
				break;
			if (nv == cap) {
				size_t nc = cap ? 2 * cap : 4096;
				struct arange *nvv = realloc(v, nc * sizeof(*v));
				if (!nvv) {
					free(v);
					return &ck_enomem;
				}
				v = nvv;
				cap = nc;
			}
			v[nv] = (struct arange){ a, l, unit, nv };
			nv++;
		}
		if (!why && s.pos != end) {
			at = s.pos;
			why = "bytes after the terminating entry";
		}
		r.pos = end;
	}
	if (why) {
		free(v);
		return ck_error_at(x->path, (unsigned long long)(file_off + at), ".debug_aranges: %s", why);
	}
	*ret = v;
	*nret = nv;
	return NULL;
}

/* Runs and units from the aranges (consumed). */
static struct ck_error *build_runs(struct cu_index *x, struct arange *v, size_t nv)
{
	if (!nv)
		return NULL;
	qsort(v, nv, sizeof(*v), arange_cmp);
	x->last_end = v[nv - 1].addr + v[nv - 1].len;
	uint64_t *offs = malloc(nv * sizeof(*offs));
	x->runs = malloc(nv * sizeof(*x->runs));
	if (!offs || !x->runs) {
		free(offs);
		return &ck_enomem;
	}
	for (size_t i = 0; i < nv; i++)
		offs[i] = v[i].unit;
	qsort(offs, nv, sizeof(*offs), u64_cmp);
	size_t nu = 0;
	for (size_t i = 0; i < nv; i++)
		if (!nu || offs[nu - 1] != offs[i])
			offs[nu++] = offs[i];
	if (!(x->units = calloc(nu, sizeof(*x->units)))) {
		free(offs);
		return &ck_enomem;
	}
	for (size_t i = 0; i < nu; i++)
		x->units[i].off = offs[i];
	x->nunits = nu;
	free(offs);
	for (size_t i = 0; i < nv; i++) {
		if (i && v[i].unit == v[i - 1].unit)
			continue;
		size_t lo = 0, hi = nu;
		while (lo + 1 < hi) {
			size_t mid = (lo + hi) / 2;
			if (x->units[mid].off <= v[i].unit)
				lo = mid;
			else
				hi = mid;
		}
		x->runs[x->nruns++] = (struct cu_run){ v[i].addr, lo };
	}
	return NULL;
}

static bool debug_section(const char *name)
{
	return strncmp(name, ".debug_", 7) == 0 || strncmp(name, ".zdebug_", 8) == 0;
}

/* .debug_info and .debug_aranges of x->elf; every DWARF section must be stored plain. */
static struct ck_error *find_sections(struct cu_index *x, GElf_Shdr *aranges)
{
	size_t shstr;
	bool info = false, ar = false;
	if (elf_getshdrstrndx(x->elf, &shstr) != 0)
		return ck_error_create(CK_ERR_INPUT, "%s: no section name table: %s", x->path, elf_errmsg(-1));
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(x->elf, scn));) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(x->elf, shstr, sh.sh_name) : NULL;
		if (!name || !debug_section(name))
			continue;
		if (name[1] == 'z' || (sh.sh_flags & SHF_COMPRESSED))
			return ck_error_create(CK_ERR_INPUT, "%s: %s is compressed", x->path, name);
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > x->size || sh.sh_size > x->size - sh.sh_offset)
			return ck_error_at(x->path, (unsigned long long)sh.sh_offset, "%s: no data in the file", name);
		if (strcmp(name, ".debug_info") == 0 && !info) {
			info = true;
			x->info_ndx = elf_ndxscn(scn);
			x->info_off = sh.sh_offset;
			x->info_size = sh.sh_size;
		} else if (strcmp(name, ".debug_abbrev") == 0 && !x->abbrev_size) {
			x->abbrev_off = sh.sh_offset;
			x->abbrev_size = sh.sh_size;
		} else if (strcmp(name, ".debug_aranges") == 0 && !ar) {
			ar = true;
			*aranges = sh;
		}
	}
	if (!info || !ar)
		return ck_error_create(CK_ERR_INPUT, "%s: no %s section", x->path, info ? ".debug_aranges" : ".debug_info");
	return NULL;
}

/* same_as's .debug_info is the one found in the file. */
static bool same_file(const struct cu_index *x, Dwarf *same_as)
{
	Elf *e = same_as ? dwarf_getelf(same_as) : NULL;
	if (!same_as)
		return true;
	size_t shstr;
	if (!e || elf_getshdrstrndx(e, &shstr) != 0)
		return false;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstr, sh.sh_name) : NULL;
		if (name && strcmp(name, ".debug_info") == 0)
			return sh.sh_offset == x->info_off && sh.sh_size == x->info_size;
	}
	return false;
}

struct ck_error *cu_index_create(const char *path, Dwarf *same_as, struct cu_index **ret)
{
	struct cu_index *x = calloc(1, sizeof(*x));
	if (!x || !(x->path = strdup(path))) {
		free(x);
		return &ck_enomem;
	}
	struct ck_error *err = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = ck_error_errno(errno, "%s", path);
	} else if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		err = ck_error_create(CK_ERR_INPUT, "%s: not a regular ELF file", path);
	} else {
		x->size = (size_t)st.st_size;
		void *m = mmap(NULL, x->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			err = ck_error_errno(errno, "%s: mmap", path);
		else
			x->image = m;
	}
	if (fd >= 0)
		close(fd);
	GElf_Ehdr eh;
	GElf_Shdr ar = { 0 };
	if (!err) {
		elf_version(EV_CURRENT);
		if (!(x->elf = elf_memory(x->image, x->size)) || !gelf_getehdr(x->elf, &eh))
			err = ck_error_create(CK_ERR_INPUT, "%s: not an ELF file: %s", path, elf_errmsg(-1));
		else if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
			err = ck_error_create(CK_ERR_INPUT, "%s: not an executable (libdwfl relocates its DWARF)", path);
	}
	if (!err) {
		x->msb = eh.e_ident[EI_DATA] == ELFDATA2MSB;
		err = find_sections(x, &ar);
	}
	if (!err && !same_file(x, same_as))
		err = ck_error_create(CK_ERR_INPUT, "%s: not the file libdw has open", path);
	struct arange *v = NULL;
	size_t nv = 0;
	if (!err)
		err = read_aranges(x, ar.sh_offset, (const unsigned char *)x->image + ar.sh_offset, ar.sh_size, &v, &nv);
	if (!err)
		err = build_runs(x, v, nv);
	free(v);
	if (err) {
		cu_index_destroy(x);
		return err;
	}
	*ret = x;
	return NULL;
}

/* LEB128 as DWARF stores it; at most 10 bytes (64 bits). */
static bool leb(struct reader *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 70 && r->pos < r->n; shift += 7) {
		unsigned char b = r->p[r->pos++];
		if (shift < 64)
			x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static bool foreign_form(uint64_t form)
{
	switch (form) {
	case DW_FORM_ref_addr:
	case DW_FORM_indirect:
	case DW_FORM_ref_sig8:
	case DW_FORM_ref_sup4:
	case DW_FORM_ref_sup8:
	case DW_FORM_strp_sup:
	case DW_FORM_GNU_ref_alt:
	case DW_FORM_GNU_strp_alt:
		return true;
	default:
		return false;
	}
}

/*
 * The abbreviation table at off in .debug_abbrev uses no form that points
 * outside the unit and no DW_TAG_imported_unit (whose children libdw's scope
 * walks visit in place: cu_index_scopes_die relies on there being none).
 * Read here rather than through dwarf_getabbrevattr, which in libdw 0.188
 * fails on the last attribute of some abbreviations.
 */
static bool self_contained(const struct cu_index *x, uint64_t off)
{
	if (off >= x->abbrev_size)
		return false;
	struct reader r = { (const unsigned char *)x->image + x->abbrev_off, x->abbrev_size, off, x->msb };
	for (;;) {
		uint64_t code, tag, children, name, form, value;
		if (!leb(&r, &code))
			return false;
		if (code == 0)
			return true;	/* end of the table */
		if (!leb(&r, &tag) || !rd(&r, 1, &children) || tag == DW_TAG_imported_unit)
			return false;
		do {
			if (!leb(&r, &name) || !leb(&r, &form))
				return false;
			if (form == DW_FORM_implicit_const && !leb(&r, &value))
				return false;
			if (foreign_form(form))
				return false;
		} while (name || form);
	}
}

/* Open unit u as a Dwarf whose .debug_info is u alone; u->state says whether it can answer. */
static void unit_open(struct cu_index *x, struct cu_unit *u)
{
	u->opened = true;
	u->state = CU_INDEX_OTHER;
	struct reader r = { (const unsigned char *)x->image + x->info_off, x->info_size, u->off, x->msb };
	uint64_t len;
	if (!rd(&r, 4, &len))
		return;
	if (len == 0xffffffffu ? !rd(&r, 8, &len) : len >= 0xfffffff0u)
		return;
	if (len > x->info_size - r.pos)
		return;
	Elf *e = elf_memory(x->image, x->size);
	Elf_Scn *scn = e ? elf_getscn(e, x->info_ndx) : NULL;
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	/* libdw keeps this descriptor: narrowed to the unit, it sees no other unit */
	if (!d || d->d_buf != x->image + x->info_off || d->d_size != x->info_size) {
		if (e)
			elf_end(e);
		return;
	}
	d->d_buf = (char *)d->d_buf + u->off;
	d->d_size = r.pos + len - u->off;
	Dwarf *dw = dwarf_begin_elf(e, DWARF_C_READ, NULL);
	Dwarf_CU *cu = NULL;
	Dwarf_Half version;
	uint8_t type = 0;
	Dwarf_Die cudie, sub;
	Dwarf_Off next, abbrev;
	size_t hsize;
	if (dw && dwarf_get_units(dw, NULL, &cu, &version, &type, &cudie, &sub) == 0 && type == DW_UT_compile &&
	    dwarf_tag(&cudie) == DW_TAG_compile_unit &&
	    dwarf_next_unit(dw, 0, &next, &hsize, NULL, &abbrev, NULL, NULL, NULL, NULL) == 0 &&
	    self_contained(x, abbrev)) {
		u->elf = e;
		u->dw = dw;
		u->die = cudie;
		u->state = CU_INDEX_FOUND;
		x->nopen++;
		return;
	}
	(void)dwarf_errno();
	if (dw)
		dwarf_end(dw);
	elf_end(e);
}

enum cu_index_answer cu_index_lookup(struct cu_index *x, uint64_t addr, Dwarf_Die *cudie)
{
	/* libdwfl's search: the run with the greatest start <= addr, and past
	 * the last run no further than the end of the highest arange */
	size_t lo = 0, hi = x->nruns;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint64_t start = x->runs[mid].start;
		if (addr < start) {
			hi = mid;
			continue;
		}
		if (addr > start) {
			if (mid + 1 < x->nruns) {
				if (addr >= x->runs[mid + 1].start) {
					lo = mid + 1;
					continue;
				}
			} else if (addr > x->last_end) {
				break;
			}
		}
		struct cu_unit *u = &x->units[x->runs[mid].unit];
		if (!u->opened)
			unit_open(x, u);
		if (u->state == CU_INDEX_FOUND)
			*cudie = u->die;
		return u->state;
	}
	return CU_INDEX_NONE;
}

/* The DIEs libdw's scope walks descend into (libdw_visit_scopes.c). */
static bool may_have_scopes(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_compile_unit:
	case DW_TAG_module:
	case DW_TAG_lexical_block:
	case DW_TAG_with_stmt:
	case DW_TAG_catch_block:
	case DW_TAG_try_block:
	case DW_TAG_entry_point:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
		return true;
	default:
		return false;
	}
}

int cu_index_scopes_die(Dwarf_Die *die, Dwarf_Die **ret)
{
	Dwarf_Die cur;
	if (!dwarf_diecu(die, &cur, NULL, NULL))
		return -1;
	Dwarf_Off target = dwarf_dieoffset(die);
	Dwarf_Die *chain = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			Dwarf_Die *c = realloc(chain, nc * sizeof(*c));
			if (!c) {
				rc = -1;
				break;
			}
			chain = c;
			cap = nc;
		}
		chain[n++] = cur;
		if (dwarf_dieoffset(&cur) == target) {
			rc = n > 1 ? (int)n : 0;	/* libdw visits the unit DIE's children, never itself */
			break;
		}
		/* the last child at or before the target: DIEs are stored in the order
		 * libdw visits them, and a subtree ends where its next sibling starts */
		Dwarf_Die child, next;
		if ((rc = dwarf_child(&cur, &child)) != 0) {
			rc = rc < 0 ? -1 : 0;
			break;
		}
		while ((rc = dwarf_siblingof(&child, &next)) == 0 && dwarf_dieoffset(&next) <= target)
			child = next;
		if (rc < 0)
			break;
		rc = 0;
		if (dwarf_dieoffset(&child) > target ||
		    (dwarf_dieoffset(&child) != target && (!may_have_scopes(&child) || !dwarf_haschildren(&child))))
			break;	/* libdw's walk does not reach the target: no scopes */
		cur = child;
	}
	if (rc <= 0) {
		free(chain);
		return rc;
	}
	for (size_t i = 0; i < n / 2; i++) {
		Dwarf_Die t = chain[i];
		chain[i] = chain[n - 1 - i];
		chain[n - 1 - i] = t;
	}
	*ret = chain;
	return rc;
}

/*
 * Whether dwarf_haspc can find an address range on die: it reads
 * DW_AT_high_pc (and DW_AT_low_pc) through DW_AT_abstract_origin and
 * DW_AT_specification, and DW_AT_ranges; with none of those attributes it
 * answers 0.  Asked of the abbreviation only, which is cheaper than decoding
 * the attributes of each of a unit's thousands of type DIEs.
 */
static bool may_have_pc(Dwarf_Die *die)
{
	return dwarf_hasattr(die, DW_AT_high_pc) || dwarf_hasattr(die, DW_AT_ranges) ||
	       dwarf_hasattr(die, DW_AT_abstract_origin) || dwarf_hasattr(die, DW_AT_specification);
}

/* Append die to a growing array. */
static bool push(Dwarf_Die **v, size_t *n, size_t *cap, const Dwarf_Die *die)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		Dwarf_Die *nv = realloc(*v, nc * sizeof(**v));
		if (!nv)
			return false;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *die;
	return true;
}

int cu_index_getscopes(Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **ret)
{
	/* libdw's first walk: into the first child containing pc, level by level */
	Dwarf_Die *path = NULL, cur = *cudie, c;
	size_t n = 0, cap = 0, inl = 0;
	if (!push(&path, &n, &cap, &cur))
		goto libdw;
	for (;;) {
		int rc = dwarf_child(&cur, &c), has = 0;
		while (rc == 0 && (has = may_have_pc(&c) ? dwarf_haspc(&c, pc) : 0) == 0)
			rc = dwarf_siblingof(&c, &c);
		if (rc < 0 || has < 0)
			goto libdw;	/* libdw may stop or go on: let it say */
		if (rc > 0)
			break;		/* no child contains pc: cur is the innermost scope */
		if (!push(&path, &n, &cap, &c))
			goto libdw;
		if (dwarf_tag(&c) == DW_TAG_inlined_subroutine)
			inl = n - 1;
		if (!may_have_scopes(&c) || !dwarf_haschildren(&c))
			break;
		cur = c;
	}
	if (n == 1) {
		free(path);
		return 0;	/* no scope contains pc */
	}
	/* innermost first, up to the deepest inlined instance (or the unit DIE) */
	size_t keep = n - inl;
	for (size_t i = 0; i < n / 2; i++) {
		Dwarf_Die t = path[i];
		path[i] = path[n - 1 - i];
		path[n - 1 - i] = t;
	}
	if (!inl) {
		*ret = path;
		return (int)n;
	}
	/* then the scopes around the inline's abstract definition, which libdw
	 * finds by walking the scopes around the instance, then the whole unit */
	Dwarf_Attribute attr;
	Dwarf_Die origin, *outer = NULL;
	int no = dwarf_formref_die(dwarf_attr(&path[keep - 1], DW_AT_abstract_origin, &attr), &origin)
			 ? cu_index_scopes_die(&origin, &outer)
			 : -1;
	if (no <= 0)
		goto libdw;
	n = keep;
	for (int i = 1; i < no; i++)
		if (!push(&path, &n, &cap, &outer[i])) {
			free(outer);
			goto libdw;
		}
	free(outer);
	*ret = path;
	return (int)n;
libdw:
	free(path);
	(void)dwarf_errno();
	return dwarf_getscopes(cudie, pc, ret);
}

size_t cu_index_units_open(const struct cu_index *x)
{
	return x->nopen;
}

void cu_index_destroy(struct cu_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nunits; i++) {
		if (x->units[i].dw)
			dwarf_end(x->units[i].dw);
		if (x->units[i].elf)
			elf_end(x->units[i].elf);
	}
	free(x->units);
	free(x->runs);
	if (x->elf)
		elf_end(x->elf);
	if (x->image)
		munmap(x->image, x->size);
	free(x->path);
	free(x);
}
