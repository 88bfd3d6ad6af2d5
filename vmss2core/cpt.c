/* cpt.c - VMware checkpoint container: header, group table, tag index. */
#include "cpt.h"
#include "le.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RD_BUF = 64 * 1024, NAME_CHUNK = 64 * 1024 };

static const uint32_t known_magics[] = {
	0xbed2bed2, 0xbed3bed3, 0xbad1bad1, 0xbad2bad2,	/* 8-byte block sizes */
	0xbed2bed0, 0xbed0bed0, 0xbed1bed1, 0xbad0bad0,	/* version 0: 4-byte sizes */
};

int cpt_magic_known(uint32_t magic)
{
	for (size_t i = 0; i < sizeof(known_magics) / sizeof(known_magics[0]); i++)
		if (known_magics[i] == magic)
			return 1;
	return 0;
}

struct ck_error *cpt_pread(const struct cpt_file *f, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t got = pread(f->fd, p + done, len - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return ck_error_errno(errno, "%s: read at offset 0x%llx", f->path,
					      (unsigned long long)(off + done));
		if (got == 0)
			return ck_error_at(f->path, (unsigned long long)(off + done), "file ends early");
		done += (size_t)got;
	}
	return NULL;
}

/* A forward-reading buffer over the file, for walking tag streams. */
struct reader {
	const struct cpt_file *f;
	uint8_t *buf;
	uint64_t buf_off;
	size_t buf_len;
};

/* Copy n bytes at off (the caller has checked they lie inside the file). */
static struct ck_error *rd_get(struct reader *r, uint64_t off, void *out, size_t n)
{
	if (off < r->buf_off || off + n > r->buf_off + r->buf_len) {
		uint64_t left = r->f->file_size - off;
		size_t want = left < RD_BUF ? (size_t)left : RD_BUF;
		if (want < n)
			return ck_error_at(r->f->path, (unsigned long long)off, "file ends early");
		struct ck_error *err = cpt_pread(r->f, off, r->buf, want);
		if (err)
			return err;
		r->buf_off = off;
		r->buf_len = want;
	}
	memcpy(out, r->buf + (off - r->buf_off), n);
	return NULL;
}

static char *name_store(struct cpt_file *f, const uint8_t *name, size_t len)
{
	if (f->name_left < len + 1) {
		char **nc = realloc(f->name_chunks, (f->nname_chunks + 1) * sizeof(*nc));
		if (!nc)
			return NULL;
		f->name_chunks = nc;
		char *chunk = malloc(NAME_CHUNK);
		if (!chunk)
			return NULL;
		nc[f->nname_chunks++] = chunk;
		f->name_cur = chunk;
		f->name_left = NAME_CHUNK;
	}
	char *s = f->name_cur;
	memcpy(s, name, len);
	s[len] = 0;
	f->name_cur += len + 1;
	f->name_left -= len + 1;
	return s;
}

static struct ck_error *tag_append(struct cpt_file *f, size_t *cap, const struct cpt_tag *t)
{
	if (f->ntags == *cap) {
		if (f->ntags >= CPT_MAX_TAGS)
			return ck_error_at(f->path, (unsigned long long)t->off,
					   "more than %d tags in the checkpoint", CPT_MAX_TAGS);
		size_t nc = *cap ? *cap * 2 : 256;
		struct cpt_tag *nt = realloc(f->tags, nc * sizeof(*nt));
		if (!nt)
			return &ck_enomem;
		f->tags = nt;
		*cap = nc;
	}
	f->tags[f->ntags++] = *t;
	return NULL;
}

/* Walk one group's tag stream, appending its tags. */
static struct ck_error *parse_group(struct cpt_file *f, struct reader *r, size_t gi, size_t *cap)
{
	struct cpt_group *g = &f->groups[gi];
	const char *path = f->path;
	uint64_t pos = g->off, end = g->end;
	g->first_tag = f->ntags;
	for (;;) {
		if (pos == end)
			break;	/* the declared size ends the stream without a terminator */
		if (end - pos < 2)
			return ck_error_at(path, (unsigned long long)pos,
					   "group '%s': tag head runs past group end 0x%llx",
					   g->name, (unsigned long long)end);
		uint8_t h[2];
		struct ck_error *err = rd_get(r, pos, h, 2);
		if (err)
			return err;
		if (h[0] == 0 && h[1] == 0)
			break;
		struct cpt_tag t = { 0 };
		t.off = pos;
		t.group = (uint16_t)gi;
		t.size_code = h[0] & 0x3f;
		t.nidx = (uint8_t)((h[0] >> 6) & 3);
		size_t namelen = h[1];
		pos += 2;
		if (end - pos < namelen)
			return ck_error_at(path, (unsigned long long)pos,
					   "group '%s': tag name (%zu bytes) runs past group end 0x%llx",
					   g->name, namelen, (unsigned long long)end);
		uint8_t name[256];
		if ((err = rd_get(r, pos, name, namelen)))
			return err;
		if (memchr(name, 0, namelen))
			return ck_error_at(path, (unsigned long long)pos,
					   "group '%s': tag name contains a NUL byte", g->name);
		if (!(t.name = name_store(f, name, namelen)))
			return &ck_enomem;
		pos += namelen;
		if (end - pos < 4u * t.nidx)
			return ck_error_at(path, (unsigned long long)pos,
					   "tag %s/%s: %d ind%s run%s past group end 0x%llx",
					   g->name, t.name, t.nidx, t.nidx == 1 ? "ex" : "ices",
					   t.nidx == 1 ? "s" : "", (unsigned long long)end);
		uint8_t ib[12];
		if ((err = rd_get(r, pos, ib, 4u * t.nidx)))
			return err;
		for (int i = 0; i < t.nidx; i++)
			t.idx[i] = (uint32_t)le_get(ib + 4 * i, 4);
		pos += 4u * t.nidx;
		char label[384];
		if (t.size_code < CPT_SIZE_COMPRESSED) {
			t.size = t.mem_size = t.size_code;
			if (end - pos < t.size)
				return ck_error_at(path, (unsigned long long)pos,
						   "tag %s: value (%u bytes) runs past group end 0x%llx",
						   cpt_tag_label(f, &t, label, sizeof(label)), t.size_code,
						   (unsigned long long)end);
			t.data_off = pos;
			pos += t.size;
		} else {
			t.flags = CPT_TAG_BLOCK;
			if (t.size_code == CPT_SIZE_COMPRESSED)
				t.flags |= CPT_TAG_COMPRESSED;
			size_t w = (size_t)f->size_width, hl = 2 * w + 2;
			if (end - pos < hl)
				return ck_error_at(path, (unsigned long long)pos,
						   "tag %s: block sizes run past group end 0x%llx",
						   cpt_tag_label(f, &t, label, sizeof(label)),
						   (unsigned long long)end);
			uint8_t bh[18];
			if ((err = rd_get(r, pos, bh, hl)))
				return err;
			t.size = le_get(bh, w);
			t.mem_size = le_get(bh + w, w);
			t.pad_len = (uint16_t)le_get(bh + 2 * w, 2);
			pos += hl;
			if (end - pos < t.pad_len)
				return ck_error_at(path, (unsigned long long)pos,
						   "tag %s: block padding (%u bytes) runs past group end 0x%llx",
						   cpt_tag_label(f, &t, label, sizeof(label)), t.pad_len,
						   (unsigned long long)end);
			pos += t.pad_len;
			if (end - pos < t.size)
				return ck_error_at(path, (unsigned long long)(pos - t.pad_len - hl),
						   "tag %s: block data (0x%llx bytes at 0x%llx) runs past "
						   "group end 0x%llx",
						   cpt_tag_label(f, &t, label, sizeof(label)),
						   (unsigned long long)t.size, (unsigned long long)pos,
						   (unsigned long long)end);
			t.data_off = pos;
			pos += t.size;
		}
		if ((err = tag_append(f, cap, &t)))
			return err;
	}
	g->ntags = f->ntags - g->first_tag;
	return NULL;
}

static uint64_t tag_hash(uint16_t group, const char *name, int nidx, const uint32_t *idx)
{
	uint64_t h = 0xcbf29ce484222325ull;
#define MIX(b) (h = (h ^ (uint8_t)(b)) * 0x100000001b3ull)
	MIX(group);
	MIX(group >> 8);
	for (const char *p = name; *p; p++)
		MIX(*p);
	MIX(0xff);
	MIX(nidx);
	for (int i = 0; i < nidx; i++) {
		MIX(idx[i]);
		MIX(idx[i] >> 8);
		MIX(idx[i] >> 16);
		MIX(idx[i] >> 24);
	}
#undef MIX
	return h;
}

static int tag_matches(const struct cpt_tag *t, uint16_t group, const char *name, int nidx,
		       const uint32_t *idx)
{
	if (t->group != group || t->nidx != nidx || strcmp(t->name, name) != 0)
		return 0;
	for (int i = 0; i < nidx; i++)
		if (t->idx[i] != idx[i])
			return 0;
	return 1;
}

static struct ck_error *build_hash(struct cpt_file *f)
{
	size_t cap = 16;
	while (cap < 2 * f->ntags)
		cap *= 2;
	f->hash = calloc(cap, sizeof(*f->hash));
	if (!f->hash)
		return &ck_enomem;
	f->hash_cap = cap;
	for (size_t i = 0; i < f->ntags; i++) {
		const struct cpt_tag *t = &f->tags[i];
		size_t slot = (size_t)tag_hash(t->group, t->name, t->nidx, t->idx) & (cap - 1);
		while (f->hash[slot] &&
		       !tag_matches(&f->tags[f->hash[slot] - 1], t->group, t->name, t->nidx, t->idx))
			slot = (slot + 1) & (cap - 1);
		f->hash[slot] = (uint32_t)(i + 1);	/* a duplicate replaces: last wins */
	}
	return NULL;
}

static struct ck_error *read_header(struct cpt_file *f)
{
	uint8_t h[CPT_HEADER_SIZE];
	if (f->file_size < CPT_HEADER_SIZE)
		return ck_error_at(f->path, f->file_size,
				   "file ends inside the 12-byte checkpoint header");
	struct ck_error *err = cpt_pread(f, 0, h, sizeof(h));
	if (err)
		return err;
	f->magic = (uint32_t)le_get(h, 4);
	if (!cpt_magic_known(f->magic))
		return ck_error_at(f->path, 0, "unknown checkpoint magic 0x%08x", f->magic);
	f->size_width = (f->magic & 0xf) == 0 ? 4 : 8;
	uint32_t n = (uint32_t)le_get(h + 8, 4);
	if (n > CPT_MAX_GROUPS)
		return ck_error_at(f->path, 8, "group count %u exceeds the limit of %d", n,
				   CPT_MAX_GROUPS);
	uint64_t table_end = CPT_HEADER_SIZE + (uint64_t)n * CPT_GROUP_DESC_SIZE;
	if (table_end > f->file_size)
		return ck_error_at(f->path, CPT_HEADER_SIZE,
				   "group table (%u entries, ends at 0x%llx) runs past end of file (0x%llx)",
				   n, (unsigned long long)table_end, (unsigned long long)f->file_size);
	f->groups = calloc(n ? n : 1, sizeof(*f->groups));
	if (!f->groups)
		return &ck_enomem;
	f->ngroups = n;
	uint8_t *table = malloc(n ? (size_t)n * CPT_GROUP_DESC_SIZE : 1);
	if (!table)
		return &ck_enomem;
	if ((err = cpt_pread(f, CPT_HEADER_SIZE, table, (size_t)n * CPT_GROUP_DESC_SIZE))) {
		free(table);
		return err;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *d = table + (size_t)i * CPT_GROUP_DESC_SIZE;
		struct cpt_group *g = &f->groups[i];
		g->desc_off = CPT_HEADER_SIZE + (uint64_t)i * CPT_GROUP_DESC_SIZE;
		memcpy(g->name, d, CPT_GROUP_NAME_MAX);
		g->name[CPT_GROUP_NAME_MAX] = 0;
		g->off = le_get(d + 64, 8);
		g->size = le_get(d + 72, 8);
		if (g->off < table_end || g->off > f->file_size) {
			err = ck_error_at(f->path, (unsigned long long)g->desc_off + 64,
					  "group '%s' starts at 0x%llx, outside the tag area 0x%llx-0x%llx",
					  g->name, (unsigned long long)g->off,
					  (unsigned long long)table_end, (unsigned long long)f->file_size);
			break;
		}
		if (g->size > f->file_size - g->off) {
			err = ck_error_at(f->path, (unsigned long long)g->desc_off + 72,
					  "group '%s' (0x%llx bytes at 0x%llx) runs past end of file (0x%llx)",
					  g->name, (unsigned long long)g->size,
					  (unsigned long long)g->off, (unsigned long long)f->file_size);
			break;
		}
		g->end = g->size ? g->off + g->size : f->file_size;
	}
	free(table);
	return err;
}

struct ck_error *cpt_create(const char *path, struct cpt_file **ret)
{
	struct cpt_file *f = calloc(1, sizeof(*f));
	if (!f)
		return &ck_enomem;
	f->fd = -1;
	struct ck_error *err = NULL;
	struct reader r = { .f = f };
	if (!(f->path = strdup(path))) {
		err = &ck_enomem;
		goto fail;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		err = ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM,
				      "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(f->fd, &st) < 0) {
		err = ck_error_errno(errno, "%s: stat", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = ck_error_create(CK_ERR_INPUT, "%s: not a regular file", path);
		goto fail;
	}
	f->file_size = (uint64_t)st.st_size;
	if ((err = read_header(f)))
		goto fail;
	if (!(r.buf = malloc(RD_BUF))) {
		err = &ck_enomem;
		goto fail;
	}
	size_t cap = 0;
	for (size_t i = 0; i < f->ngroups; i++)
		if ((err = parse_group(f, &r, i, &cap)))
			goto fail;
	free(r.buf);
	r.buf = NULL;
	if ((err = build_hash(f)))
		goto fail;
	*ret = f;
	return NULL;
fail:
	free(r.buf);
	cpt_destroy(f);
	return err;
}

void cpt_destroy(struct cpt_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	for (size_t i = 0; i < f->nname_chunks; i++)
		free(f->name_chunks[i]);
	free(f->name_chunks);
	free(f->hash);
	free(f->tags);
	free(f->groups);
	free(f->path);
	free(f);
}

const struct cpt_group *cpt_group(const struct cpt_file *f, const char *name)
{
	for (size_t i = 0; i < f->ngroups; i++)
		if (strcmp(f->groups[i].name, name) == 0)
			return &f->groups[i];
	return NULL;
}

const struct cpt_tag *cpt_find(const struct cpt_file *f, const char *group, const char *name,
			       int nidx, const uint32_t *idx)
{
	const struct cpt_group *g = cpt_group(f, group);
	if (!g || !f->hash_cap || nidx < 0 || nidx > CPT_MAX_INDICES)
		return NULL;
	uint16_t gi = (uint16_t)(g - f->groups);
	size_t slot = (size_t)tag_hash(gi, name, nidx, idx) & (f->hash_cap - 1);
	while (f->hash[slot]) {
		const struct cpt_tag *t = &f->tags[f->hash[slot] - 1];
		if (tag_matches(t, gi, name, nidx, idx))
			return t;
		slot = (slot + 1) & (f->hash_cap - 1);
	}
	return NULL;
}

const struct cpt_tag *cpt_find0(const struct cpt_file *f, const char *group, const char *name)
{
	return cpt_find(f, group, name, 0, NULL);
}

const struct cpt_tag *cpt_find1(const struct cpt_file *f, const char *group, const char *name,
				uint32_t i0)
{
	return cpt_find(f, group, name, 1, &i0);
}

const struct cpt_tag *cpt_find2(const struct cpt_file *f, const char *group, const char *name,
				uint32_t i0, uint32_t i1)
{
	uint32_t idx[2] = { i0, i1 };
	return cpt_find(f, group, name, 2, idx);
}

const struct cpt_tag *cpt_find_any(const struct cpt_file *f, const char *group, const char *name)
{
	const struct cpt_group *g = cpt_group(f, group);
	if (!g)
		return NULL;
	for (size_t i = 0; i < g->ntags; i++)
		if (strcmp(f->tags[g->first_tag + i].name, name) == 0)
			return &f->tags[g->first_tag + i];
	return NULL;
}

const char *cpt_tag_label(const struct cpt_file *f, const struct cpt_tag *t, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->groups[t->group].name, t->name);
	for (int i = 0; i < t->nidx && n >= 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "[%u]", t->idx[i]);
	return buf;
}

struct ck_error *cpt_read_uint(const struct cpt_file *f, const struct cpt_tag *t, uint64_t *ret)
{
	char label[384];
	if ((t->flags & CPT_TAG_BLOCK) || t->size < 1 || t->size > 8)
		return ck_error_at(f->path, (unsigned long long)t->off,
				   "tag %s: expected an integer of 1 to 8 bytes, found %s of %llu bytes",
				   cpt_tag_label(f, t, label, sizeof(label)),
				   (t->flags & CPT_TAG_BLOCK) ? "a block" : "a value",
				   (unsigned long long)t->size);
	uint8_t b[8];
	struct ck_error *err = cpt_pread(f, t->data_off, b, (size_t)t->size);
	if (err)
		return err;
	*ret = le_get(b, (size_t)t->size);
	return NULL;
}

struct ck_error *cpt_read_exact(const struct cpt_file *f, const struct cpt_tag *t, void *buf,
				size_t len)
{
	char label[384];
	if (t->flags & CPT_TAG_COMPRESSED)
		return ck_error_at(f->path, (unsigned long long)t->off,
				   "tag %s: compressed values are not supported",
				   cpt_tag_label(f, t, label, sizeof(label)));
	if (t->size != len)
		return ck_error_at(f->path, (unsigned long long)t->off,
				   "tag %s: expected %zu bytes, found %llu",
				   cpt_tag_label(f, t, label, sizeof(label)), len,
				   (unsigned long long)t->size);
	return cpt_pread(f, t->data_off, buf, len);
}

struct ck_error *cpt_read_string(const struct cpt_file *f, const struct cpt_tag *t, size_t max,
				 char **ret)
{
	char label[384];
	if (t->flags & CPT_TAG_COMPRESSED)
		return ck_error_at(f->path, (unsigned long long)t->off,
				   "tag %s: compressed values are not supported",
				   cpt_tag_label(f, t, label, sizeof(label)));
	if (t->size > max)
		return ck_error_at(f->path, (unsigned long long)t->off,
				   "tag %s: %llu bytes is more than the %zu allowed",
				   cpt_tag_label(f, t, label, sizeof(label)),
				   (unsigned long long)t->size, max);
	char *s = malloc((size_t)t->size + 1);
	if (!s)
		return &ck_enomem;
	struct ck_error *err = cpt_pread(f, t->data_off, s, (size_t)t->size);
	if (err) {
		free(s);
		return err;
	}
	s[t->size] = 0;
	*ret = s;
	return NULL;
}
