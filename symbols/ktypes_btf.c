/*
 * ktypes_btf.c - the BTF backend of ktypes.h: a kernel BTF blob from guest
 * memory or a vmlinux's .BTF section, parsed with libbpf.
 *
 * The blob is untrusted, so before libbpf sees it we check the header, the
 * section bounds and that every type record (with its members, enumerators,
 * parameters) lies inside the type section with its names inside the string
 * section; libbpf then never has a reason to warn on stderr.  Type ids that
 * types refer to are checked when followed.  One pass after parsing indexes
 * every named struct, union, enum and typedef, so lookups are hash hits
 * rather than libbpf's linear btf__find_by_name_kind().
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "ktypes_impl.h"

enum { BTF_HDR_MIN = 24, BTF_HDR_MAX = 256, BTF_READ_CHUNK = 64 << 10 };

struct kt_btf {
	struct btf *btf;
	uint32_t ntypes;	/* btf__type_cnt(): valid ids are 0 (void) .. ntypes - 1 */
	struct kt_map names[3];	/* by enum kt_ns */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Bytes after the 12-byte struct btf_type for a kind with vlen entries; -1 for an unknown kind. */
static int64_t btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12 * (int64_t)vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8 * (int64_t)vlen;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* Structural check of a raw BTF blob; errors name what and the byte offset in the blob. */
static struct ck_error *btf_check(const uint8_t *b, size_t len, const char *what)
{
	if (len < BTF_HDR_MIN)
		return ck_error_at(what, 0, "BTF header cut short (%zu bytes)", len);
	if (b[0] == 0xeb && b[1] == 0x9f)
		return ck_error_at(what, 0, "big-endian BTF not supported");
	if (b[0] != 0x9f || b[1] != 0xeb)
		return ck_error_at(what, 0, "no BTF magic (%02x %02x)", b[0], b[1]);
	if (b[2] != 1)
		return ck_error_at(what, 2, "BTF version %u not supported", b[2]);
	uint64_t hdr_len = le32(b + 4), type_off = le32(b + 8), type_len = le32(b + 12);
	uint64_t str_off = le32(b + 16), str_len = le32(b + 20);
	if (hdr_len < BTF_HDR_MIN || hdr_len > BTF_HDR_MAX || hdr_len > len)
		return ck_error_at(what, 4, "bad BTF header length %llu", (unsigned long long)hdr_len);
	for (uint64_t i = BTF_HDR_MIN; i < hdr_len; i++)
		if (b[i])
			return ck_error_at(what, i, "unknown non-zero BTF header field");
	uint64_t body = len - hdr_len;
	if (type_off % 4 || type_off + type_len > body || type_len % 4)
		return ck_error_at(what, 8, "BTF type section [%llu, +%llu) outside the %llu-byte blob",
				   (unsigned long long)type_off, (unsigned long long)type_len,
				   (unsigned long long)body);
	if (str_off + str_len > body || str_len == 0 || str_off < type_off + type_len)
		return ck_error_at(what, 16, "BTF string section [%llu, +%llu) bad or overlapping types",
				   (unsigned long long)str_off, (unsigned long long)str_len);
	const uint8_t *strs = b + hdr_len + str_off;
	if (strs[0] || strs[str_len - 1])
		return ck_error_at(what, hdr_len + str_off, "BTF string section not NUL-delimited");
	const uint8_t *ty = b + hdr_len + type_off;
	uint64_t at = 0, n = 0;
	while (at < type_len) {
		uint64_t pos = hdr_len + type_off + at;
		if (type_len - at < 12)
			return ck_error_at(what, pos, "BTF type %llu cut short", (unsigned long long)n + 1);
		uint32_t name = le32(ty + at), info = le32(ty + at + 4);
		uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
		int64_t extra = btf_extra(kind, vlen);
		if (extra < 0)
			return ck_error_at(what, pos, "BTF type %llu has unknown kind %u", (unsigned long long)n + 1,
					   kind);
		if (name >= str_len)
			return ck_error_at(what, pos, "BTF type %llu name offset %u past strings",
					   (unsigned long long)n + 1, name);
		if ((uint64_t)extra > type_len - at - 12)
			return ck_error_at(what, pos, "BTF type %llu (%u entries) runs past the type section",
					   (unsigned long long)n + 1, vlen);
		/* Names of members, enumerators and parameters (first word of each entry). */
		uint32_t esz = kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION || kind == BTF_KIND_ENUM64 ? 12
			       : kind == BTF_KIND_ENUM || kind == BTF_KIND_FUNC_PROTO		    ? 8
												    : 0;
		for (uint32_t i = 0; esz && i < vlen; i++)
			if (le32(ty + at + 12 + (uint64_t)i * esz) >= str_len)
				return ck_error_at(what, pos, "BTF type %llu entry %u name past strings",
						   (unsigned long long)n + 1, i);
		at += 12 + (uint64_t)extra;
		n++;
	}
	return NULL;
}

static const struct btf_type *type_at(const struct kt_btf *kb, uint64_t id)
{
	if (id >= kb->ntypes)
		return NULL;
	return btf__type_by_id(kb->btf, (uint32_t)id);
}

static struct ck_error *bad_id(struct ktypes *t, uint64_t id)
{
	return ck_error_create(CK_ERR_INPUT, "%s: BTF type id %llu out of range", t->source, (unsigned long long)id);
}

static struct ck_error *info_depth(struct ktypes *t, uint64_t id, int depth, struct kt_info *in)
{
	const struct kt_btf *kb = t->impl;
	for (; depth < KT_MAX_DEPTH; depth++) {
		memset(in, 0, sizeof(*in));
		in->id = id;
		if (id == 0)
			return NULL;	/* void */
		const struct btf_type *bt = type_at(kb, id);
		if (!bt)
			return bad_id(t, id);
		switch (btf_kind(bt)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = bt->type;
			continue;
		case BTF_KIND_STRUCT:
			in->kind = KT_STRUCT;
			in->size = bt->size;
			return NULL;
		case BTF_KIND_UNION:
			in->kind = KT_UNION;
			in->size = bt->size;
			return NULL;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			in->kind = KT_ENUM;
			in->size = bt->size;
			return NULL;
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
			in->size = bt->size;
			return NULL;
		case BTF_KIND_PTR:
			in->size = 8;	/* x86-64 guests */
			return NULL;
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = btf_array(bt);
			struct kt_info el;
			struct ck_error *err = info_depth(t, a->type, depth + 1, &el);
			if (err)
				return err;
			in->kind = KT_ARRAY;
			in->elem = el.id;
			in->nelems = a->nelems;
			in->size = el.size * a->nelems;	/* both < 2^32: no overflow */
			return NULL;
		}
		default:
			return NULL;
		}
	}
	return ck_error_create(CK_ERR_INPUT, "%s: BTF type chain at id %llu too long (loop?)", t->source,
			       (unsigned long long)id);
}

static struct ck_error *btf_info(struct ktypes *t, uint64_t type, struct kt_info *in)
{
	return info_depth(t, type, 0, in);
}

static struct ck_error *btf_find(struct ktypes *t, enum kt_ns ns, const char *name, uint64_t *type, int *found)
{
	const struct kt_btf *kb = t->impl;
	*found = kt_map_get(&kb->names[ns], name, type);
	return NULL;
}

static struct ck_error *kb_members(struct ktypes *t, uint64_t type, kt_member_fn fn, void *arg)
{
	const struct kt_btf *kb = t->impl;
	const struct btf_type *bt = type_at(kb, type);
	if (!bt)
		return bad_id(t, type);
	if (!btf_is_composite(bt))
		return NULL;
	const struct btf_member *ms = btf_members(bt);
	for (uint32_t i = 0; i < btf_vlen(bt); i++) {
		struct kt_member m = {
			.name = btf__name_by_offset(kb->btf, ms[i].name_off),
			.bit_offset = btf_member_bit_offset(bt, i),
			.bit_size = btf_member_bitfield_size(bt, i),
			.type = ms[i].type,
		};
		if (fn(arg, &m))
			break;
	}
	return NULL;
}

/* Enumerator name in one enum type; *found set on a hit. */
static void enum_lookup(const struct kt_btf *kb, const struct btf_type *bt, const char *name, int64_t *val,
			int *found)
{
	uint32_t vlen = btf_vlen(bt);
	if (btf_is_enum(bt)) {
		const struct btf_enum *e = btf_enum(bt);
		for (uint32_t i = 0; i < vlen; i++) {
			const char *n = btf__name_by_offset(kb->btf, e[i].name_off);
			if (n && strcmp(n, name) == 0) {
				/* kflag marks a signed enum; unsigned 32-bit values stay positive. */
				*val = btf_kflag(bt) ? (int64_t)e[i].val : (int64_t)(uint32_t)e[i].val;
				*found = 1;
				return;
			}
		}
	} else if (btf_is_enum64(bt)) {
		const struct btf_enum64 *e = btf_enum64(bt);
		for (uint32_t i = 0; i < vlen; i++) {
			const char *n = btf__name_by_offset(kb->btf, e[i].name_off);
			if (n && strcmp(n, name) == 0) {
				*val = (int64_t)btf_enum64_value(&e[i]);
				*found = 1;
				return;
			}
		}
	}
}

static struct ck_error *btf_enumerator(struct ktypes *t, uint64_t type, int all, const char *name, int64_t *val,
				       int *found)
{
	const struct kt_btf *kb = t->impl;
	*found = 0;
	if (!all) {
		const struct btf_type *bt = type_at(kb, type);
		if (!bt)
			return bad_id(t, type);
		enum_lookup(kb, bt, name, val, found);
		return NULL;
	}
	for (uint32_t id = 1; id < kb->ntypes && !*found; id++) {
		const struct btf_type *bt = btf__type_by_id(kb->btf, id);
		if (bt && btf_is_any_enum(bt))
			enum_lookup(kb, bt, name, val, found);
	}
	return NULL;
}

static void btf_destroy(void *impl)
{
	struct kt_btf *kb = impl;
	if (!kb)
		return;
	for (int i = 0; i < 3; i++)
		kt_map_free(&kb->names[i]);
	btf__free(kb->btf);
	free(kb);
}

static const struct ktypes_ops btf_ops = {
	.find = btf_find,
	.info = btf_info,
	.members = kb_members,
	.enumerator = btf_enumerator,
	.destroy = btf_destroy,
};

/* Index every named struct/union, enum and typedef (the first of a name wins). */
static struct ck_error *btf_index(struct kt_btf *kb)
{
	for (uint32_t id = 1; id < kb->ntypes; id++) {
		const struct btf_type *bt = btf__type_by_id(kb->btf, id);
		if (!bt || !bt->name_off)
			continue;
		int ns;
		switch (btf_kind(bt)) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			ns = KT_NS_STRUCT;
			break;
		case BTF_KIND_TYPEDEF:
			ns = KT_NS_TYPEDEF;
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			ns = KT_NS_ENUM;
			break;
		default:
			continue;
		}
		const char *name = btf__name_by_offset(kb->btf, bt->name_off);
		if (!name || !name[0])
			continue;
		struct ck_error *err = kt_map_add(&kb->names[ns], name, id);
		if (err)
			return err;
	}
	return NULL;
}

struct ck_error *ktypes_open_btf_blob(const void *buf, size_t len, const char *what, struct ktypes **ret)
{
	if (len > KTYPES_BTF_MAX)
		return ck_error_create(CK_ERR_INPUT, "%s: BTF blob of %zu bytes is larger than %u", what, len,
				       KTYPES_BTF_MAX);
	struct ck_error *err = btf_check(buf, len, what);
	if (err)
		return err;
	struct kt_btf *kb = calloc(1, sizeof(*kb));
	if (!kb)
		return &ck_enomem;
	errno = 0;
	kb->btf = btf__new(buf, (uint32_t)len);
	if (!kb->btf) {
		int e = errno;
		btf_destroy(kb);
		if (e == ENOMEM)
			return &ck_enomem;
		return ck_error_create(CK_ERR_INPUT, "%s: libbpf rejects the BTF blob (error %d)", what, e);
	}
	kb->ntypes = btf__type_cnt(kb->btf);
	err = btf_index(kb);
	if (err) {
		btf_destroy(kb);
		return err;
	}
	return ktypes_create(&btf_ops, what, kb, ret);
}

struct ck_error *ktypes_open_btf_memory(const struct ck_memory *mem, uint64_t start, uint64_t stop,
					struct ktypes **ret)
{
	if (stop <= start || stop - start > KTYPES_BTF_MAX)
		return ck_error_create(CK_ERR_INPUT, "BTF at 0x%llx..0x%llx: bad extent (at most %u bytes)",
				       (unsigned long long)start, (unsigned long long)stop, KTYPES_BTF_MAX);
	size_t len = (size_t)(stop - start);
	/*
	 * Pre-faulted in one call: page by page, first-touch faults of a 5 MiB
	 * buffer cost more than parsing it on a virtualized host.
	 */
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return &ck_enomem;
	struct ck_error *err = NULL;
	for (size_t at = 0; at < len && !err; at += BTF_READ_CHUNK) {
		size_t n = len - at < BTF_READ_CHUNK ? len - at : BTF_READ_CHUNK;
		err = ck_mem_read(mem, start + at, buf + at, n);
	}
	if (err) {
		munmap(buf, len);
		return ck_error_prefix(err, "reading BTF at 0x%llx (%zu bytes)", (unsigned long long)start, len);
	}
	err = ktypes_open_btf_blob(buf, len, "btf (guest memory)", ret);
	munmap(buf, len);
	/* Blob offsets in the message; the guest address says where the blob was. */
	return err && err != &ck_enomem ? ck_error_prefix(err, "BTF at 0x%llx", (unsigned long long)start) : err;
}

/* The .BTF section of an ELF file: *found 0 if it has none. */
static struct ck_error *elf_btf(const char *path, struct ktypes **ret, int *found)
{
	*found = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_errno(errno, "%s", path);
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	struct ck_error *err = NULL;
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0)
		err = ck_error_create(CK_ERR_INPUT, "%s: not an ELF file: %s", path, elf_errmsg(-1));
	for (Elf_Scn *scn = NULL; !err && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".BTF") != 0 || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_size > KTYPES_BTF_MAX) {
			err = ck_error_at(path, sh.sh_offset, ".BTF section of %llu bytes is too large",
					  (unsigned long long)sh.sh_size);
			break;
		}
		Elf_Data *d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size) {
			err = ck_error_at(path, sh.sh_offset, "cannot read .BTF section: %s", elf_errmsg(-1));
			break;
		}
		*found = 1;
		err = ktypes_open_btf_blob(d->d_buf, d->d_size, "btf (vmlinux)", ret);
		if (err)
			err = ck_error_prefix(err, "%s", path);
		break;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

struct ck_error *ktypes_open_vmlinux_btf(const char *path, struct ktypes **ret)
{
	int found;
	struct ck_error *err = elf_btf(path, ret, &found);
	if (!err && !found)
		err = ck_error_create(CK_ERR_INPUT, "%s: no .BTF section", path);
	return err;
}

struct ck_error *ktypes_open_vmlinux(const char *path, struct ktypes **ret)
{
	int found;
	struct ck_error *err = elf_btf(path, ret, &found);
	if (err || found)
		return err;
	return ktypes_open_dwarf(path, ret);
}
