/*
 * bundle_open.c - struct bundle: the inventory pass (members registered,
 * small text read, wanted members captured as they stream by), then
 * materialising logical files (a directory's own file, a capture, or one
 * more pass staging every requested file at once), and closing.
 */
#include "bundle_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_name.h"
#include "bundle_stage.h"
#include "bundle_walk.h"
#include "tempfile.h"
#include "vmx.h"

enum { MAX_MEMBERS = 4 << 20 };	/* a bundle listing more is cut there (a warning) */

struct capture {
	char *logical;
	struct spool *sp;	/* NULL once dropped */
};

struct vmx_seen {
	char *dir;
	char *name;		/* displayName, NULL if it has none */
};

struct fview {
	struct bundle_view v;
	char *name;
	int have;
};

struct bundle {
	struct bundle_inventory inv;
	struct walk *walk;
	char *stage_dir;
	char *capture_vm;
	unsigned capture_kinds;
	uint64_t vmem_offset;
	struct bmembers ms;
	uint32_t *hash;		/* whole members by name: index + 1, 0 = empty */
	size_t hash_cap, nhashed;
	struct capture *caps;
	size_t ncaps;
	struct vmx_seen *vmxs;
	size_t nvmxs;
	struct fview *views;	/* per inventory file */
	int limit_warned;
};

const struct bundle_inventory *bundle_inventory(const struct bundle *b)
{
	return &b->inv;
}

static void bwarn(struct bundle *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bwarn(struct bundle *b, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n >= 0)
		ck_error_destroy(strlist_addf(&b->inv.warnings, "%s: %s", b->inv.path, msg));
	free(msg);
}

/* ---- the member table ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* The whole member named name, or -1. */
static long member_lookup(const struct bundle *b, const char *name)
{
	if (!b->hash_cap)
		return -1;
	for (size_t i = hash_str(name) & (b->hash_cap - 1);; i = (i + 1) & (b->hash_cap - 1)) {
		if (!b->hash[i])
			return -1;
		if (strcmp(b->ms.m[b->hash[i] - 1].name, name) == 0)
			return (long)b->hash[i] - 1;
	}
}

static struct ck_error *hash_insert(struct bundle *b, size_t idx)
{
	if (2 * (b->nhashed + 1) > b->hash_cap) {
		size_t cap = b->hash_cap ? 2 * b->hash_cap : 1024;
		uint32_t *h = calloc(cap, sizeof(*h));
		if (!h)
			return &ck_enomem;
		for (size_t i = 0; i < b->hash_cap; i++)
			if (b->hash[i])
				for (size_t j = hash_str(b->ms.m[b->hash[i] - 1].name) & (cap - 1);; j = (j + 1) & (cap - 1))
					if (!h[j]) {
						h[j] = b->hash[i];
						break;
					}
		free(b->hash);
		b->hash = h;
		b->hash_cap = cap;
	}
	for (size_t i = hash_str(b->ms.m[idx].name) & (b->hash_cap - 1);; i = (i + 1) & (b->hash_cap - 1))
		if (!b->hash[i]) {
			b->hash[i] = (uint32_t)idx + 1;
			break;
		}
	b->nhashed++;
	return NULL;
}

static struct ck_error *member_add(struct bundle *b, const struct walk_member *m, size_t *idx_ret)
{
	struct bmembers *ms = &b->ms;
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? 2 * ms->cap : 256;
		struct bmember *n = realloc(ms->m, cap * sizeof(*n));
		if (!n)
			return &ck_enomem;
		ms->m = n;
		ms->cap = cap;
	}
	struct bmember *bm = &ms->m[ms->n];
	*bm = (struct bmember){ .size = m->size, .mtime = m->mtime, .source = m->source, .ordinal = m->ordinal };
	if (!(bm->name = strdup(m->name)) || !(bm->display = strdup(m->display))) {
		free(bm->name);
		return &ck_enomem;
	}
	bm->piece = bundle_frag_split(bm->name, &bm->base_len, &bm->index);
	*idx_ret = ms->n++;
	return bm->piece ? NULL : hash_insert(b, *idx_ret);
}

static struct ck_error *link_add(struct bundle *b, const struct walk_member *m, const char *top)
{
	struct bmembers *ms = &b->ms;
	if (ms->nlinks == ms->links_cap) {
		size_t cap = ms->links_cap ? 2 * ms->links_cap : 64;
		struct blink *n = realloc(ms->links, cap * sizeof(*n));
		if (!n)
			return &ck_enomem;
		ms->links = n;
		ms->links_cap = cap;
	}
	struct blink *l = &ms->links[ms->nlinks];
	*l = (struct blink){ 0 };
	if (!(l->name = strdup(m->name)) || !(l->target = strdup(m->link ? m->link : "")) ||
	    !(l->display = strdup(m->display)) || !(l->top = strdup(top))) {
		free(l->name);
		free(l->target);
		free(l->display);
		return &ck_enomem;
	}
	ms->nlinks++;
	return NULL;
}

static struct ck_error *prefix_add(struct bundle *b, const char *prefix)
{
	struct bmembers *ms = &b->ms;
	char **n = realloc(ms->prefixes, (ms->nprefixes + 1) * sizeof(*n));
	if (!n)
		return &ck_enomem;
	ms->prefixes = n;
	return (n[ms->nprefixes] = strdup(prefix)) ? (ms->nprefixes++, NULL) : &ck_enomem;
}

/* The archive prefix of a member name: the longest walked prefix it starts with. */
static const char *prefix_of(const struct bundle *b, const char *name)
{
	const char *best = "";
	for (size_t i = 0; i < b->ms.nprefixes; i++) {
		const char *p = b->ms.prefixes[i];
		if (strlen(p) > strlen(best) && strncmp(name, p, strlen(p)) == 0)
			best = p;
	}
	return best;
}

/* ---- the inventory pass ---- */

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcmp(s + n - k, suf) == 0 && (n == k || suf[0] == '.' || s[n - k - 1] == '/');
}

static int wants_text(const char *name)
{
	return ends_with(name, ".vmx") || ends_with(name, "etc/vmware/hostd/vmInventory.xml") ||
	       ends_with(name, "commands/vmware_-vl.txt") || ends_with(name, "commands/uname_-a.txt");
}

/* The member's content into bm->text (holes as zeros), at most BUNDLE_MAX_TEXT bytes. */
static struct ck_error *read_text(struct bundle *b, struct walk *w, const struct walk_member *m, size_t idx)
{
	if (m->size_known && m->size > BUNDLE_MAX_TEXT) {
		bwarn(b, "member %s: larger than %d bytes; not read", m->display, BUNDLE_MAX_TEXT);
		return NULL;
	}
	char *t = calloc(1, (m->size_known ? m->size : BUNDLE_MAX_TEXT) + 1);
	if (!t)
		return &ck_enomem;
	uint64_t end = 0;
	const void *buf;
	size_t len;
	uint64_t off;
	struct ck_error *err = NULL;
	int r;
	while ((r = walk_read(w, &buf, &len, &off, &err)) > 0) {
		if (off + len > (m->size_known ? m->size : BUNDLE_MAX_TEXT)) {
			bwarn(b, "member %s: more data than %s; not read", m->display,
			      m->size_known ? "its declared size" : "1 MiB");
			free(t);
			return NULL;
		}
		memcpy(t + off, buf, len);
		if (off + len > end)
			end = off + len;
	}
	if (r < 0) {
		bwarn(b, "member %s: cannot be read: %s", m->display, err->msg ? err->msg : "out of memory");
		b->ms.m[idx].damage = strdup(err->msg ? err->msg : "out of memory");
		ck_error_destroy(err);
		free(t);
		return NULL;
	}
	t[m->size_known ? m->size : end] = 0;
	b->ms.m[idx].text = t;
	if (ends_with(m->name, ".vmx")) {
		struct vmx_seen *n = realloc(b->vmxs, (b->nvmxs + 1) * sizeof(*n));
		if (!n)
			return &ck_enomem;
		b->vmxs = n;
		n[b->nvmxs].dir = strndup(m->name, bundle_dir_len(m->name));
		n[b->nvmxs].name = vmx_value(t, "displayName");
		if (!n[b->nvmxs].dir) {
			free(n[b->nvmxs].name);
			return &ck_enomem;
		}
		b->nvmxs++;
	}
	return NULL;
}

/* Capture this member?  Its kind is wanted, and its directory is not known to be another VM's. */
static int wants_capture(const struct bundle *b, const char *logical, enum bundle_kind k)
{
	if (!(b->capture_kinds & (1u << k)))
		return 0;
	if (!b->capture_vm)
		return 1;
	size_t dl = bundle_dir_len(logical);
	int other = 0;
	for (size_t i = 0; i < b->nvmxs; i++) {
		if (strlen(b->vmxs[i].dir) != dl || strncmp(b->vmxs[i].dir, logical, dl) != 0)
			continue;
		if (b->vmxs[i].name && strcmp(b->vmxs[i].name, b->capture_vm) == 0)
			return 1;
		other = 1;
	}
	return !other;
}

static void capture_drop(struct capture *c)
{
	spool_destroy(c->sp);
	c->sp = NULL;
}

static struct ck_error *capture(struct bundle *b, struct walk *w, const struct walk_member *m, const char *logical,
				enum bundle_kind k, int gz, size_t idx)
{
	struct capture *c = NULL;
	for (size_t i = 0; i < b->ncaps && !c; i++)
		if (strcmp(b->caps[i].logical, logical) == 0)
			c = &b->caps[i];
	if (!c) {
		struct capture *n = realloc(b->caps, (b->ncaps + 1) * sizeof(*n));
		if (!n)
			return &ck_enomem;
		b->caps = n;
		c = &n[b->ncaps];
		*c = (struct capture){ 0 };
		if (!(c->logical = strdup(logical)))
			return &ck_enomem;
		b->ncaps++;
		struct ck_error *err = spool_create(b->stage_dir, k == BUNDLE_VMEM ? b->vmem_offset : 0, gz, &c->sp);
		if (err) {
			/* staged later, or the failure is reported then */
			ck_error_destroy(err);
			return NULL;
		}
	}
	if (!c->sp)
		return NULL;
	const struct bmember *bm = &b->ms.m[idx];
	struct ck_error *err = spool_piece_begin(c->sp, bm->piece ? bm->index : 0);
	const void *buf;
	size_t len;
	uint64_t off, end = 0;
	int r = 0;
	struct ck_error *rerr = NULL;
	while (!err && (r = walk_read(w, &buf, &len, &off, &rerr)) > 0) {
		err = spool_piece_data(c->sp, buf, len, off);
		end = off + len > end ? off + len : end;
	}
	if (!err && r < 0) {
		bwarn(b, "member %s: cannot be read: %s", m->display, rerr->msg ? rerr->msg : "out of memory");
		b->ms.m[idx].damage = strdup(rerr->msg ? rerr->msg : "out of memory");
		ck_error_destroy(rerr);
		capture_drop(c);
		return NULL;
	}
	if (!err)
		err = spool_piece_end(c->sp, m->size_known ? m->size : end);
	if (err) {
		if (err->kind == CK_ERR_INPUT && !b->ms.m[idx].damage)
			b->ms.m[idx].damage = strdup(err->msg);
		ck_error_destroy(err);
		capture_drop(c);
	}
	return NULL;
}

static struct ck_error *inventory_visit(void *arg, struct walk *w, const struct walk_member *m)
{
	struct bundle *b = arg;
	if (m->type == WALK_DIR)
		return NULL;
	if (m->type == WALK_SYMLINK)
		return link_add(b, m, prefix_of(b, m->name));
	if (b->ms.n >= MAX_MEMBERS) {
		if (!b->limit_warned)
			bwarn(b, "more than %d members: the rest, from %s on, is not listed", MAX_MEMBERS, m->display);
		b->limit_warned = 1;
		return NULL;
	}
	size_t bl, idx;
	uint64_t findex;
	int piece = bundle_frag_split(m->name, &bl, &findex);
	if (!piece && member_lookup(b, m->name) >= 0) {
		bwarn(b, "member %s: a duplicate name; the first one is used", m->display);
		return NULL;
	}
	if (m->type == WALK_HARDLINK) {
		long t = m->link ? member_lookup(b, m->link) : -1;
		if (t < 0 || strcmp(prefix_of(b, m->link), prefix_of(b, m->name)) != 0) {
			bwarn(b, "member %s: a hard link to %s, not a file of the bundle before it; skipped", m->display,
			      m->link ? m->link : "a name out of the bundle");
			return NULL;
		}
		struct walk_member alias = *m;
		const struct bmember *tm = &b->ms.m[t];
		alias.size = tm->size;
		alias.source = tm->source;
		alias.ordinal = tm->ordinal;
		char *text = tm->text ? strdup(tm->text) : NULL;
		struct ck_error *err = (tm->text && !text) ? &ck_enomem : member_add(b, &alias, &idx);
		if (err)
			free(text);
		else
			b->ms.m[idx].text = text;
		return err;
	}
	struct ck_error *err = member_add(b, m, &idx);
	if (err || m->consumed)
		return err;
	char *logical = strndup(m->name, piece ? bl : strlen(m->name));
	if (!logical)
		return &ck_enomem;
	int gz;
	enum bundle_kind k = bundle_kind_of(logical, &gz);
	if (k == BUNDLE_ARCHIVE && (!piece || findex == 0)) {
		char *pfx = NULL;
		if (asprintf(&pfx, "%s/", logical) < 0)
			err = &ck_enomem;
		else if (!(err = prefix_add(b, pfx)))
			err = walk_descend(w, m, logical, piece);	/* m is not valid after this */
		free(pfx);
	} else if (!piece && wants_text(m->name)) {
		err = read_text(b, w, m, idx);
	} else if (wants_capture(b, logical, k)) {
		err = capture(b, w, m, logical, k, gz, idx);
	}
	free(logical);
	return err;
}

static int file_index(const struct bundle_inventory *inv, const char *path)
{
	size_t lo = 0, hi = inv->nfiles;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(inv->files[mid].path, path);
		if (r == 0)
			return (int)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Complete the captures of the VM bundle_pick_vm() picks; drop the rest (freeing their space). */
static void captures_settle(struct bundle *b)
{
	size_t vm = 0;
	struct ck_error *err = b->ncaps ? bundle_pick_vm(&b->inv, b->capture_vm, &vm) : NULL;
	int keep_any = err == NULL;
	ck_error_destroy(err);
	for (size_t i = 0; i < b->ncaps; i++) {
		struct capture *c = &b->caps[i];
		int fi = file_index(&b->inv, c->logical);
		const struct bundle_file *f = fi >= 0 ? &b->inv.files[fi] : NULL;
		if (!c->sp)
			continue;
		if (!keep_any || !f || f->problem || f->vm != (int)vm || (err = spool_finish(c->sp, f->npieces))) {
			ck_error_destroy(err);
			err = NULL;
			capture_drop(c);
		}
	}
}

static char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return strdup(s ? s + 1 : path);
}

struct ck_error *bundle_open(const char *path, const struct bundle_options *opts, struct bundle **ret)
{
	struct bundle_options o = opts ? *opts : (struct bundle_options){ 0 };
	struct bundle *b = calloc(1, sizeof(*b));
	struct stat st;
	struct ck_error *err = NULL;
	if (!b)
		return &ck_enomem;
	if (stat(path, &st) < 0) {
		free(b);
		return ck_error_create(errno == ENOENT || errno == ENOTDIR ? CK_ERR_INPUT : CK_ERR_SYSTEM,
				       "%s: cannot open: %s", path, strerror(errno));
	}
	b->inv.is_dir = S_ISDIR(st.st_mode);
	b->capture_kinds = o.capture_kinds;
	b->vmem_offset = o.vmem_offset;
	if (!(b->inv.path = strdup(path)) || !(b->stage_dir = strdup(o.stage_dir ? o.stage_dir : tempfile_dir())) ||
	    (o.capture_vm && !(b->capture_vm = strdup(o.capture_vm))))
		err = &ck_enomem;
	if (!err)
		err = prefix_add(b, "");
	if (!err)
		err = walk_create(path, b->inv.is_dir, &b->walk);
	if (!err)
		err = walk_run(b->walk, inventory_visit, b, &b->inv.warnings);
	char *name = err ? NULL : base_of(path);
	if (!err && !name)
		err = &ck_enomem;
	if (!err)
		err = bundle_inventory_build(&b->ms, name, &b->inv);
	free(name);
	if (!err && !(b->views = calloc(b->inv.nfiles ? b->inv.nfiles : 1, sizeof(*b->views))))
		err = &ck_enomem;
	if (err) {
		bundle_close(b);
		return err;
	}
	captures_settle(b);
	*ret = b;
	return NULL;
}

/* ---- materialising ---- */

static struct ck_error *view_name(const struct bundle *b, const struct bundle_file *f, int inflated, char **ret)
{
	int n = b->inv.is_dir ? asprintf(ret, "%s/%s%s", b->inv.path, f->path, inflated ? " (decompressed)" : "")
			      : asprintf(ret, "%s: %s%s", b->inv.path, f->path, inflated ? " (decompressed)" : "");
	if (n < 0) {
		*ret = NULL;
		return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *view_set(struct bundle *b, size_t fi, int fd, off_t offset, uint64_t size, int staged,
				 int inflated)
{
	struct fview *v = &b->views[fi];
	struct ck_error *err = view_name(b, &b->inv.files[fi], inflated, &v->name);
	if (err) {
		close(fd);
		return err;
	}
	v->v = (struct bundle_view){ .fd = fd, .offset = offset, .size = size, .name = v->name, .staged = staged,
				     .inflated = inflated };
	snprintf(v->v.path, sizeof(v->v.path), "/proc/self/fd/%d", fd);
	v->have = 1;
	return NULL;
}

struct need {
	uint32_t source;
	uint64_t ordinal;
	size_t req;		/* index into the request */
	uint64_t piece;
};

static int need_cmp(const void *a, const void *b)
{
	const struct need *x = a, *y = b;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

struct stage_pass {
	struct bundle *b;
	struct need *needs;
	size_t nneeds, left;
	struct spool **sps;		/* per request; NULL if not staged in this pass */
	struct ck_error **errs;		/* per request */
	uint32_t *srcs;			/* archives to walk into: sources of needs and their parents */
	size_t nsrcs;
};

static int src_wanted(const struct stage_pass *p, uint32_t id)
{
	for (size_t i = 0; i < p->nsrcs; i++)
		if (p->srcs[i] == id)
			return 1;
	return 0;
}

static struct ck_error *stage_visit(void *arg, struct walk *w, const struct walk_member *m)
{
	struct stage_pass *p = arg;
	if (m->type != WALK_FILE || m->consumed)
		return NULL;
	struct need key = { m->source, m->ordinal, 0, 0 };
	struct need *n = bsearch(&key, p->needs, p->nneeds, sizeof(key), need_cmp);
	if (!n) {
		uint32_t id;
		size_t bl;
		uint64_t idx;
		int piece = bundle_frag_split(m->name, &bl, &idx);
		if (walk_nested_id(w, m->source, m->ordinal, &id) && src_wanted(p, id)) {
			char *logical = strndup(m->name, piece ? bl : strlen(m->name));
			struct ck_error *err = logical ? walk_descend(w, m, logical, piece) : &ck_enomem;
			free(logical);
			return err;
		}
		return NULL;
	}
	while (n > p->needs && need_cmp(n - 1, &key) == 0)
		n--;
	struct need *end = n;
	while (end < p->needs + p->nneeds && need_cmp(end, &key) == 0)
		end++;
	for (struct need *x = n; x < end; x++)
		if (!p->errs[x->req] && (p->errs[x->req] = spool_piece_begin(p->sps[x->req], x->piece)))
			p->errs[x->req] = ck_error_prefix(p->errs[x->req], "%s: member %s", p->b->inv.path, m->display);
	const void *buf;
	size_t len;
	uint64_t off, top = 0;
	struct ck_error *rerr = NULL;
	int r;
	while ((r = walk_read(w, &buf, &len, &off, &rerr)) > 0) {
		top = off + len > top ? off + len : top;
		for (struct need *x = n; x < end; x++)
			if (!p->errs[x->req] && (p->errs[x->req] = spool_piece_data(p->sps[x->req], buf, len, off)))
				p->errs[x->req] = ck_error_prefix(p->errs[x->req], "%s: member %s", p->b->inv.path,
								  m->display);
	}
	for (struct need *x = n; x < end; x++) {
		if (r < 0 && !p->errs[x->req])
			p->errs[x->req] = ck_error_create(CK_ERR_INPUT, "%s: member %s cannot be read: %s", p->b->inv.path,
							  m->display, rerr->msg ? rerr->msg : "out of memory");
		if (!p->errs[x->req] && (p->errs[x->req] = spool_piece_end(p->sps[x->req], m->size_known ? m->size : top)))
			p->errs[x->req] = ck_error_prefix(p->errs[x->req], "%s: member %s", p->b->inv.path, m->display);
		p->left--;
	}
	ck_error_destroy(rerr);
	return p->left ? NULL : WALK_STOP;
}

static struct ck_error *src_add(struct stage_pass *p, uint32_t id)
{
	while (!src_wanted(p, id)) {
		uint32_t *n = realloc(p->srcs, (p->nsrcs + 1) * sizeof(*n));
		if (!n)
			return &ck_enomem;
		p->srcs = n;
		n[p->nsrcs++] = id;
		if (!walk_parent(p->b->walk, id, &id))
			break;
	}
	return NULL;
}

/* Stage requests todo[0..n) (indices into files) in one pass. */
static struct ck_error *stage_pass(struct bundle *b, const struct bundle_file *const *files, const size_t *todo,
				   size_t n, unsigned flags)
{
	struct stage_pass p = { .b = b };
	struct ck_error *err = NULL;
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += files[todo[i]]->npieces;
	p.needs = calloc(total ? total : 1, sizeof(*p.needs));
	p.sps = calloc(n, sizeof(*p.sps));
	p.errs = calloc(n, sizeof(*p.errs));
	if (!p.needs || !p.sps || !p.errs)
		err = &ck_enomem;
	for (size_t i = 0; i < n && !err; i++) {
		const struct bundle_file *f = files[todo[i]];
		int inflate = f->gzip && (flags & BUNDLE_INFLATE);
		err = spool_create(b->stage_dir, 0, inflate, &p.sps[i]);
		for (size_t j = 0; j < f->npieces && !err; j++) {
			p.needs[p.nneeds++] = (struct need){ f->pieces[j].source, f->pieces[j].ordinal, i, j };
			if (f->pieces[j].source)
				err = src_add(&p, f->pieces[j].source);
		}
	}
	if (!err) {
		p.left = p.nneeds;
		qsort(p.needs, p.nneeds, sizeof(*p.needs), need_cmp);
		err = walk_run(b->walk, stage_visit, &p, NULL);
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct bundle_file *f = files[todo[i]];
		struct ck_error *e = p.errs[i];
		p.errs[i] = NULL;
		if (!e && (e = spool_finish(p.sps[i], f->npieces)))
			e = ck_error_prefix(e, "%s: %s", b->inv.path, f->path);
		if (e) {
			err = e;
			break;
		}
		size_t fi = (size_t)(f - b->inv.files);
		err = view_set(b, fi, spool_take_fd(p.sps[i]), 0, p.sps[i]->size, 1, p.sps[i]->inflate);
	}
	for (size_t i = 0; i < n; i++) {
		if (p.sps)
			spool_destroy(p.sps[i]);
		if (p.errs)
			ck_error_destroy(p.errs[i]);
	}
	free(p.needs);
	free(p.sps);
	free(p.errs);
	free(p.srcs);
	return err;
}

struct ck_error *bundle_materialise(struct bundle *b, const struct bundle_file *const *files, size_t n,
				    unsigned flags, struct bundle_view *views)
{
	size_t *todo = calloc(n ? n : 1, sizeof(*todo)), ntodo = 0;
	struct ck_error *err = todo ? NULL : &ck_enomem;
	for (size_t i = 0; i < n && !err; i++) {
		const struct bundle_file *f = files[i];
		if (f < b->inv.files || f >= b->inv.files + b->inv.nfiles) {
			err = ck_error_create(CK_ERR_SYSTEM, "bundle_materialise: not a file of this bundle");
			break;
		}
		size_t fi = (size_t)(f - b->inv.files);
		int inflate = f->gzip && (flags & BUNDLE_INFLATE);
		struct fview *v = &b->views[fi];
		if (f->problem) {
			err = ck_error_create(CK_ERR_INPUT, "%s: %s: %s", b->inv.path, f->path, f->problem);
			break;
		}
		if (v->have && v->v.inflated == inflate)
			continue;
		if (v->have) {
			close(v->v.fd);
			free(v->name);
			*v = (struct fview){ 0 };
		}
		struct capture *c = NULL;
		for (size_t k = 0; k < b->ncaps && !c; k++)
			if (b->caps[k].sp && b->caps[k].sp->complete && strcmp(b->caps[k].logical, f->path) == 0 &&
			    b->caps[k].sp->inflate == inflate)
				c = &b->caps[k];
		if (c) {
			struct spool *sp = c->sp;
			err = view_set(b, fi, spool_take_fd(sp), (off_t)sp->base, sp->size, 1, inflate);
			capture_drop(c);
			continue;
		}
		int fd;
		if (b->inv.is_dir && f->npieces == 1 && f->pieces[0].source == 0 && !inflate &&
		    !(err = walk_open_file(b->walk, f->path, &fd))) {
			struct stat st;
			err = fstat(fd, &st) < 0 ? ck_error_errno(errno, "%s/%s", b->inv.path, f->path)
						: view_set(b, fi, fd, 0, (uint64_t)st.st_size, 0, 0);
			continue;
		}
		if (err)
			break;
		size_t k = 0;
		while (k < ntodo && files[todo[k]] != f)
			k++;
		if (k == ntodo)
			todo[ntodo++] = i;
	}
	if (!err && ntodo)
		err = stage_pass(b, files, todo, ntodo, flags);
	free(todo);
	for (size_t i = 0; i < n && !err; i++)
		views[i] = b->views[files[i] - b->inv.files].v;
	return err;
}

void bundle_close(struct bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; b->views && i < b->inv.nfiles; i++)
		if (b->views[i].have) {
			close(b->views[i].v.fd);
			free(b->views[i].name);
		}
	free(b->views);
	for (size_t i = 0; i < b->ncaps; i++) {
		capture_drop(&b->caps[i]);
		free(b->caps[i].logical);
	}
	free(b->caps);
	for (size_t i = 0; i < b->nvmxs; i++) {
		free(b->vmxs[i].dir);
		free(b->vmxs[i].name);
	}
	free(b->vmxs);
	for (size_t i = 0; i < b->ms.n; i++) {
		free(b->ms.m[i].name);
		free(b->ms.m[i].display);
		free(b->ms.m[i].text);
		free(b->ms.m[i].damage);
	}
	free(b->ms.m);
	for (size_t i = 0; i < b->ms.nlinks; i++) {
		free(b->ms.links[i].name);
		free(b->ms.links[i].target);
		free(b->ms.links[i].display);
		free(b->ms.links[i].top);
	}
	free(b->ms.links);
	for (size_t i = 0; i < b->ms.nprefixes; i++)
		free(b->ms.prefixes[i]);
	free(b->ms.prefixes);
	free(b->hash);
	bundle_inventory_free(&b->inv);
	walk_destroy(b->walk);
	free(b->stage_dir);
	free(b->capture_vm);
	free(b);
}
