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

const struct bundle_inventory *bundle_inventory(const struct bundle *b)
{
	return &b->inv;
}

static void bwarn(struct bundle *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bwarn(struct bundle *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bundle_warnv(&b->inv.warnings, b->inv.path, fmt, ap);
	va_end(ap);
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

int bundle_capture_peek(struct bundle *b, const char *path, struct bundle_view *view)
{
	for (size_t i = 0; i < b->ncaps; i++) {
		const struct spool *sp = b->caps[i].sp;
		if (!sp || strcmp(b->caps[i].logical, path) != 0)
			continue;
		*view = (struct bundle_view){ .fd = sp->fd, .offset = (off_t)sp->base, .size = sp->size,
					      .name = b->caps[i].logical, .staged = 1, .inflated = sp->inflate };
		snprintf(view->path, sizeof(view->path), "/proc/self/fd/%d", sp->fd);
		return 1;
	}
	return 0;
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
		if (len)	/* zip entries end with an empty block whose pointer is NULL */
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

void bundle_capture_drop(struct capture *c)
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
		uint64_t base = 0;
		if (k == BUNDLE_VMEM && b->vmem_offset_fn)
			base = b->vmem_offset_fn(b->vmem_offset_arg, b, logical) & ~(uint64_t)4095;
		if (k == BUNDLE_VMEM && !base)
			base = b->vmem_offset;
		/* FRAG pieces are placed by their size: out of order they cost no more disk than in order */
		struct ck_error *err = spool_create(b->stage_dir, base, gz ? SPOOL_INFLATE : SPOOL_BY_SIZE, &c->sp);
		if (err) {
			/* staged later, or the failure is reported then */
			ck_error_destroy(err);
			return NULL;
		}
	}
	if (!c->sp)
		return NULL;
	const struct bmember *bm = &b->ms.m[idx];
	struct ck_error *err = spool_piece_begin(c->sp, bm->piece ? bm->index : 0, m->size_known ? m->size : 0);
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
		bundle_capture_drop(c);
		return NULL;
	}
	if (!err)
		err = spool_piece_end(c->sp, m->size_known ? m->size : end);
	if (err) {
		/* bad gzip data is the file's; anything else (no space, pieces not of one size) only ends the capture */
		if (err->kind == CK_ERR_INPUT && c->sp->inflate && !b->ms.m[idx].damage)
			b->ms.m[idx].damage = strdup(err->msg);
		ck_error_destroy(err);
		bundle_capture_drop(c);
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
		size_t warn_from = b->inv.warnings.n;
		struct walk_descent d;
		if (asprintf(&pfx, "%s/", logical) < 0)
			err = &ck_enomem;
		else if (!(err = prefix_add(b, pfx)))
			err = walk_descend(w, m, logical, piece, &d);	/* m is not valid after this */
		free(pfx);
		if (!err && d.cut && !b->in_extra) {
			struct retry *n = realloc(b->retries, (b->nretries + 1) * sizeof(*n));
			if (!n)
				err = &ck_enomem;
			else {
				b->retries = n;
				n[b->nretries++] = (struct retry){ logical, d.id, warn_from, b->inv.warnings.n };
				logical = NULL;
			}
		}
	} else if (!piece && wants_text(m->name)) {
		err = read_text(b, w, m, idx);
	} else if (wants_capture(b, logical, k) && !(b->inv.is_dir && !piece && m->source == 0)) {
		/* (a directory's whole file is used where it is: bundle_materialise) */
		err = capture(b, w, m, logical, k, gz, idx);
	}
	free(logical);
	return err;
}

/* Complete the captures of the VM bundle_pick_vm() picks; drop the rest (freeing their space). */
static void captures_settle(struct bundle *b)
{
	size_t vm = 0;
	struct ck_error *err = b->ncaps ? bundle_pick_vm(&b->inv, b->capture_vm, &vm) : NULL;
	int keep_any = err == NULL;
	ck_error_destroy(err);
	err = NULL;
	for (size_t i = 0; i < b->ncaps; i++) {
		struct capture *c = &b->caps[i];
		int fi = bundle_file_index(&b->inv, c->logical);
		const struct bundle_file *f = fi >= 0 ? &b->inv.files[fi] : NULL;
		if (!c->sp)
			continue;
		if (!keep_any || !f || f->problem || f->vm != (int)vm || (err = spool_finish(c->sp, f->npieces))) {
			ck_error_destroy(err);
			err = NULL;
			bundle_capture_drop(c);
		}
	}
}

/* Is source id r or inside it (in the bundle's own walk)? */
static int within_source(const struct bundle *b, uint32_t id, uint32_t r)
{
	for (int depth = 0; depth <= BUNDLE_MAX_NESTING; depth++) {
		if (id == r)
			return 1;
		if (!walk_parent(b->walk, id, &id))
			return 0;
	}
	return 0;
}

/* Forget what a cut-short nested stream gave: its members, links, captures, .vmx names and warnings. */
static void forget(struct bundle *b, const struct retry *r)
{
	size_t pl = strlen(r->logical), k = 0;
	for (size_t i = 0; i < b->ms.n; i++) {
		struct bmember *m = &b->ms.m[i];
		if (within_source(b, m->source, r->source) && strncmp(m->name, r->logical, pl) == 0 &&
		    m->name[pl] == '/') {
			free(m->name);
			free(m->display);
			free(m->text);
			free(m->damage);
			continue;
		}
		b->ms.m[k++] = *m;
	}
	b->ms.n = k;
	k = 0;
	for (size_t i = 0; i < b->ms.nlinks; i++) {
		struct blink *l = &b->ms.links[i];
		if (strncmp(l->name, r->logical, pl) == 0 && l->name[pl] == '/') {
			free(l->name);
			free(l->target);
			free(l->display);
			free(l->top);
			continue;
		}
		b->ms.links[k++] = *l;
	}
	b->ms.nlinks = k;
	k = 0;
	for (size_t i = 0; i < b->ncaps; i++) {
		if (strncmp(b->caps[i].logical, r->logical, pl) == 0 && b->caps[i].logical[pl] == '/') {
			bundle_capture_drop(&b->caps[i]);
			free(b->caps[i].logical);
			continue;
		}
		b->caps[k++] = b->caps[i];
	}
	b->ncaps = k;
	for (size_t i = 0; i < b->nvmxs; i++)
		if (strncmp(b->vmxs[i].dir, r->logical, pl) == 0 && b->vmxs[i].dir[pl] == '/') {
			free(b->vmxs[i].name);
			b->vmxs[i].name = NULL;
			b->vmxs[i].dir[0] = 0;
		}
	struct strlist *w = &b->inv.warnings;
	for (size_t i = r->warn_from; i < r->warn_to && i < w->n; i++)
		free(w->s[i]);
	if (r->warn_to <= w->n) {
		memmove(w->s + r->warn_from, w->s + r->warn_to, (w->n - r->warn_to) * sizeof(*w->s));
		w->n -= r->warn_to - r->warn_from;
	}
	/* the hash holds member indices: build it again */
	free(b->hash);
	b->hash = NULL;
	b->hash_cap = b->nhashed = 0;
}

static struct ck_error *rehash(struct bundle *b)
{
	struct ck_error *err = NULL;
	for (size_t i = 0; i < b->ms.n && !err; i++)
		if (!b->ms.m[i].piece)
			err = hash_insert(b, i);
	return err;
}

static int piece_index_cmp(const void *a, const void *b)
{
	const struct bundle_piece *x = a, *y = b;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;	/* ordinal holds the FRAG index here */
}

/*
 * A FRAG-split nested archive whose pieces were out of order in the bundle:
 * if every piece is there, stage it (the spool takes pieces in any order),
 * forget what its cut-short stream gave, and walk the staged copy instead.
 */
static struct ck_error *retry_nested(struct bundle *b, const struct retry *r)
{
	size_t pl = strlen(r->logical), n = 0;
	struct bundle_piece *pieces = calloc(b->ms.n ? b->ms.n : 1, sizeof(*pieces));
	if (!pieces)
		return &ck_enomem;
	for (size_t i = 0; i < b->ms.n; i++) {
		const struct bmember *m = &b->ms.m[i];
		if (m->piece && m->base_len == pl && strncmp(m->name, r->logical, pl) == 0)
			pieces[n++] = (struct bundle_piece){ .size = m->size, .source = m->source, .ordinal = m->index };
	}
	qsort(pieces, n, sizeof(*pieces), piece_index_cmp);
	int complete = n > 0;
	for (size_t i = 0; i < n && complete; i++)
		complete = pieces[i].ordinal == i;
	/* now the real locators, in index order */
	for (size_t i = 0; i < b->ms.n && complete; i++) {
		const struct bmember *m = &b->ms.m[i];
		if (m->piece && m->base_len == pl && strncmp(m->name, r->logical, pl) == 0)
			pieces[m->index].ordinal = m->ordinal;
	}
	if (!complete) {
		free(pieces);
		return NULL;	/* a gap: the logical file says so; what the stream gave stays */
	}
	struct bundle_file f = { .path = r->logical, .pieces = pieces, .npieces = n };
	const struct bundle_file *fp = &f;
	struct spool *sp = NULL;
	struct ck_error *err = bundle_stage_files(b, &fp, 1, 0, &sp);
	free(pieces);
	if (err) {
		/* keep what the stream gave, with one more warning */
		bwarn(b, "member %s: its FRAG pieces are out of order and it cannot be staged: %s", r->logical, err->msg);
		ck_error_destroy(err);
		return NULL;
	}
	forget(b, r);
	struct extra_walk *x = realloc(b->extras, (b->nextras + 1) * sizeof(*x));
	char path[32], *prefix = NULL;
	if (!x || asprintf(&prefix, "%s/", r->logical) < 0) {
		spool_destroy(sp);
		return &ck_enomem;
	}
	b->extras = x;
	x = &x[b->nextras];
	x->fd = spool_take_fd(sp);
	spool_destroy(sp);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", x->fd);
	x->w = NULL;
	err = walk_create(path, 0, (uint32_t)(b->nextras + 1) * EXTRA_BASE, prefix, &x->w);
	free(prefix);
	if (err) {
		close(x->fd);
		return err;
	}
	b->nextras++;
	if (!(err = rehash(b))) {
		b->in_extra = 1;
		err = walk_run(x->w, inventory_visit, b, &b->inv.warnings);
		b->in_extra = 0;
	}
	if (err && err->kind == CK_ERR_INPUT) {
		bwarn(b, "member %s: %s", r->logical, err->msg);
		ck_error_destroy(err);
		err = NULL;
	}
	return err;
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
	b->vmem_offset_fn = o.vmem_offset_fn;
	b->vmem_offset_arg = o.vmem_offset_arg;
	if (!(b->inv.path = strdup(path)) || !(b->stage_dir = strdup(o.stage_dir ? o.stage_dir : tempfile_dir())) ||
	    (o.capture_vm && !(b->capture_vm = strdup(o.capture_vm))))
		err = &ck_enomem;
	if (!err)
		err = prefix_add(b, "");
	if (!err)
		err = walk_create(path, b->inv.is_dir, 0, "", &b->walk);
	if (!err)
		err = walk_run(b->walk, inventory_visit, b, &b->inv.warnings);
	/* later ones first: each forgets a stretch of warnings */
	for (size_t i = b->nretries; !err && i > 0; i--)
		err = retry_nested(b, &b->retries[i - 1]);
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
		bundle_capture_drop(&b->caps[i]);
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
	for (size_t i = 0; i < b->nretries; i++)
		free(b->retries[i].logical);
	free(b->retries);
	for (size_t i = 0; i < b->nextras; i++) {
		walk_destroy(b->extras[i].w);
		close(b->extras[i].fd);
	}
	free(b->extras);
	bundle_inventory_free(&b->inv);
	walk_destroy(b->walk);
	free(b->stage_dir);
	free(b->capture_vm);
	free(b);
}
