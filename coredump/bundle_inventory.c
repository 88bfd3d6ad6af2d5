/*
 * bundle_inventory.c - from the members one walk found to the inventory:
 * logical files (FRAG pieces grouped, gaps and duplicate indices found),
 * hosts (by the directories a host bundle has), VMs (vmInventory.xml, .vmx
 * files, checkpoints) and which file is whose.  Links are resolved by name
 * inside the bundle only.
 */
#include "bundle_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_name.h"
#include "vmx.h"

enum { MAX_LINK_HOPS = 40 };

struct ctx {
	const struct bmembers *ms;
	struct bundle_inventory *inv;
	const char **names;	/* member names, sorted (for lookups and directory tests) */
	size_t nnames;
	const struct blink **links;	/* sorted by name */
	int *file_member;	/* per file: the member holding its text (whole files), -1 */
};

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int link_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct blink *const *)a)->name, (*(const struct blink *const *)b)->name);
}

static const struct blink *link_find(const struct ctx *c, const char *name, size_t len)
{
	size_t lo = 0, hi = c->ms->nlinks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strncmp(c->links[mid]->name, name, len);
		if (r == 0 && c->links[mid]->name[len])
			r = 1;
		if (r == 0)
			return c->links[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Is path a member, a link, or a directory holding members? */
static int path_exists(const struct ctx *c, const char *path)
{
	size_t n = strlen(path), lo = 0, hi = c->nnames;
	if (link_find(c, path, n))
		return 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(c->names[mid], path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nnames && strncmp(c->names[lo], path, n) == 0 && (!c->names[lo][n] || c->names[lo][n] == '/');
}

/* The archive prefix path lies in (the longest one it starts with). */
static const char *top_of(const struct ctx *c, const char *path)
{
	const char *best = "";
	for (size_t i = 0; i < c->ms->nprefixes; i++) {
		const char *p = c->ms->prefixes[i];
		if (strlen(p) > strlen(best) && strncmp(path, p, strlen(p)) == 0)
			best = p;
	}
	return best;
}

/* Length of a host root in path (the part before commands/, etc/vmware/, ...), or -1. */
static long root_len(const char *path)
{
	static const char *const anchors[] = { "commands/", "etc/vmware/", "var/run/log/", "var/log/", "var/core/",
					       "vmfs/volumes/" };
	for (size_t i = 0;;) {
		for (size_t a = 0; a < sizeof(anchors) / sizeof(anchors[0]); a++)
			if (strncmp(path + i, anchors[a], strlen(anchors[a])) == 0)
				return (long)i;
		const char *s = strchr(path + i, '/');
		if (!s)
			return -1;
		i = (size_t)(s - path) + 1;
	}
}

/* The host whose root path lies under (same archive, longest root), or -1. */
static int host_of(const struct ctx *c, const char *path)
{
	const char *top = top_of(c, path);
	int best = -1;
	size_t bl = 0;
	for (size_t i = 0; i < c->inv->nhosts; i++) {
		const char *r = c->inv->hosts[i].root;
		size_t rl = strlen(r);
		if (strncmp(path, r, rl) == 0 && strcmp(top_of(c, r), top) == 0 && (best < 0 || rl > bl)) {
			best = (int)i;
			bl = rl;
		}
	}
	return best;
}

/* path with the bundle's links resolved (by name, inside the bundle), or NULL (a loop, or out of it). */
static char *resolve_links(const struct ctx *c, const char *path)
{
	char *cur = strdup(path);
	for (int hops = 0; cur && hops < MAX_LINK_HOPS; hops++) {
		const struct blink *l = NULL;
		size_t e = 0;
		for (size_t i = 0;; i++) {
			if (cur[i] == '/' || !cur[i]) {
				if ((l = link_find(c, cur, i))) {
					e = i;
					break;
				}
				if (!cur[i])
					break;
			}
		}
		if (!l)
			return cur;
		long rl = root_len(l->name);
		char *root = rl >= 0 ? strndup(l->name, (size_t)rl) : strdup(l->top);
		char *dir = strndup(l->name, bundle_dir_len(l->name));
		int escapes;
		char *t = root && dir ? bundle_path_resolve(l->top, root, dir, l->target, &escapes) : NULL;
		char *next = NULL;
		if (t && asprintf(&next, "%s%s", t, cur + e) < 0)
			next = NULL;
		free(root);
		free(dir);
		free(t);
		free(cur);
		cur = next;
	}
	free(cur);
	return NULL;
}

static struct ck_error *warn(struct bundle_inventory *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct ck_error *warn(struct bundle_inventory *inv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bundle_warnv(&inv->warnings, inv->path, fmt, ap);
	va_end(ap);
	return NULL;
}

/* ---- logical files ---- */

struct slot {
	const char *logical;
	size_t len;
	size_t member;
};

static int slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = strncmp(x->logical, y->logical, n);
	if (r || x->len != y->len)
		return r ? r : (x->len < y->len ? -1 : 1);
	return x->member < y->member ? -1 : x->member > y->member;
}

static int piece_cmp(const void *a, const void *b, const struct bmember *m)
{
	const struct bmember *x = &m[*(const size_t *)a], *y = &m[*(const size_t *)b];
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

/* insertion sort: qsort has no context argument in C11, and piece counts are small */
static void sort_pieces(size_t *idx, size_t n, const struct bmember *m)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && piece_cmp(&idx[j - 1], &idx[j], m) > 0; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* One logical file from its members idx[0..n) (all whole, or all pieces: sorted here). */
static struct ck_error *make_file(struct ctx *c, const char *logical, size_t len, size_t *idx, size_t n,
				  struct bundle_file *f, int *text_member)
{
	const struct bmember *m = c->ms->m;
	size_t npieces = 0;
	for (size_t i = 0; i < n; i++)
		npieces += m[idx[i]].piece;
	*f = (struct bundle_file){ .host = -1, .vm = -1 };
	*text_member = -1;
	if (!(f->path = strndup(logical, len)))
		return &ck_enomem;
	if (npieces && npieces < n) {
		size_t w = 0;
		while (m[idx[w]].piece)
			w++;
		if (asprintf(&f->problem, "stored both whole (%s) and in FRAG pieces", m[idx[w]].display) < 0)
			f->problem = NULL;
		n = 1;	/* list the whole one */
		idx[0] = idx[w];
	} else if (npieces) {
		sort_pieces(idx, n, m);
		for (size_t i = 0; i < n && !f->problem; i++) {
			int r = 0;
			if (i && m[idx[i]].index == m[idx[i - 1]].index)
				r = asprintf(&f->problem, "FRAG index %05llu is stored twice (%s and %s)",
					     (unsigned long long)m[idx[i]].index, m[idx[i - 1]].display, m[idx[i]].display);
			else if (m[idx[i]].index != (i ? m[idx[i - 1]].index + 1 : 0))
				r = asprintf(&f->problem, "FRAG-%05llu is missing (%zu pieces stored, FRAG-%05llu to FRAG-%05llu)",
					     (unsigned long long)(i ? m[idx[i - 1]].index + 1 : 0), n,
					     (unsigned long long)m[idx[0]].index, (unsigned long long)m[idx[n - 1]].index);
			if (r < 0)
				return &ck_enomem;
		}
	} else {
		n = 1;	/* duplicates of a whole file were refused as the walk met them */
		*text_member = (int)idx[0];
	}
	if (!(f->pieces = calloc(n, sizeof(*f->pieces))))
		return &ck_enomem;
	f->mtime = m[idx[0]].mtime;
	for (size_t i = 0; i < n; i++) {
		const struct bmember *b = &m[idx[i]];
		if (!(f->pieces[i].member = strdup(b->display)))
			return &ck_enomem;
		f->pieces[i].size = b->size;
		f->pieces[i].source = b->source;
		f->pieces[i].ordinal = b->ordinal;
		f->size += b->size;
		f->npieces++;
		if (b->damage && !f->problem && asprintf(&f->problem, "member %s cannot be read: %s", b->display,
							 b->damage) < 0)
			return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *build_files(struct ctx *c)
{
	const struct bmembers *ms = c->ms;
	struct slot *s = calloc(ms->n ? ms->n : 1, sizeof(*s));
	size_t *idx = calloc(ms->n ? ms->n : 1, sizeof(*idx));
	struct bundle_inventory *inv = c->inv;
	struct ck_error *err = NULL;
	if (!s || !idx || !(inv->files = calloc(ms->n ? ms->n : 1, sizeof(*inv->files))) ||
	    !(c->file_member = calloc(ms->n ? ms->n : 1, sizeof(int)))) {
		free(s);
		free(idx);
		return &ck_enomem;
	}
	for (size_t i = 0; i < ms->n; i++)
		s[i] = (struct slot){ ms->m[i].name, ms->m[i].piece ? ms->m[i].base_len : strlen(ms->m[i].name), i };
	qsort(s, ms->n, sizeof(*s), slot_cmp);
	for (size_t i = 0; i < ms->n && !err;) {
		size_t j = i;
		while (j < ms->n && s[j].len == s[i].len && strncmp(s[j].logical, s[i].logical, s[i].len) == 0) {
			idx[j - i] = s[j].member;
			j++;
		}
		err = make_file(c, s[i].logical, s[i].len, idx, j - i, &inv->files[inv->nfiles],
				&c->file_member[inv->nfiles]);
		inv->nfiles++;
		i = j;
	}
	free(s);
	free(idx);
	return err;
}

/* ---- hosts ---- */

static const char *text_of(const struct ctx *c, const char *path)
{
	for (size_t i = 0; i < c->inv->nfiles; i++)
		if (c->file_member[i] >= 0 && strcmp(c->inv->files[i].path, path) == 0)
			return c->ms->m[c->file_member[i]].text;
	return NULL;
}

static struct ck_error *build_hosts(struct ctx *c, const char *archive_name)
{
	struct bundle_inventory *inv = c->inv;
	char **roots = calloc(inv->nfiles ? inv->nfiles : 1, sizeof(*roots));
	size_t nroots = 0;
	struct ck_error *err = NULL;
	if (!roots)
		return &ck_enomem;
	for (size_t i = 0; i < inv->nfiles && !err; i++) {
		long rl = root_len(inv->files[i].path);
		if (rl < 0)
			continue;
		size_t k = 0;
		while (k < nroots && (strlen(roots[k]) != (size_t)rl || strncmp(roots[k], inv->files[i].path, (size_t)rl)))
			k++;
		if (k == nroots && !(roots[nroots++] = strndup(inv->files[i].path, (size_t)rl)))
			err = &ck_enomem;
	}
	qsort(roots, nroots, sizeof(*roots), str_ptr_cmp);
	if (!err && nroots && !(inv->hosts = calloc(nroots, sizeof(*inv->hosts))))
		err = &ck_enomem;
	for (size_t i = 0; i < nroots && !err; i++) {
		struct bundle_host *h = &inv->hosts[inv->nhosts++];
		h->root = roots[i];
		roots[i] = NULL;
		char path[BUNDLE_NAME_MAX + 64];
		snprintf(path, sizeof(path), "%scommands/vmware_-vl.txt", h->root);
		const char *t = text_of(c, path);
		if (t && (err = bundle_vl_parse(t, h)))
			break;
		snprintf(path, sizeof(path), "%scommands/uname_-a.txt", h->root);
		if ((t = text_of(c, path)))
			h->hostname = bundle_uname_host(t);
		if (!h->hostname) {
			/* esx-HOST-DATE/: the root's own name, else the archive that holds it */
			size_t rl = strlen(h->root);
			char *dir = rl ? strndup(h->root, rl - 1) : NULL;
			const char *top = top_of(c, h->root);
			char *arch = *top ? strndup(top, strlen(top) - 1) : NULL;
			h->hostname = dir ? bundle_dirname_host(dir) : NULL;
			if (!h->hostname)
				h->hostname = bundle_dirname_host(arch ? arch : archive_name);
			free(dir);
			free(arch);
		}
	}
	for (size_t i = 0; i < nroots; i++)
		free(roots[i]);
	free(roots);
	return err;
}

/* ---- VMs ---- */

static int vm_by_vmx(const struct bundle_inventory *inv, const char *vmx)
{
	for (size_t i = 0; i < inv->nvms; i++)
		if (inv->vms[i].vmx && strcmp(inv->vms[i].vmx, vmx) == 0)
			return (int)i;
	return -1;
}

static int vm_by_dir(const struct bundle_inventory *inv, const char *dir, size_t len)
{
	for (size_t i = 0; i < inv->nvms; i++)
		if (strlen(inv->vms[i].dir) == len && strncmp(inv->vms[i].dir, dir, len) == 0)
			return (int)i;
	return -1;
}

int bundle_file_index(const struct bundle_inventory *inv, const char *path)
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

static struct ck_error *vm_add(struct bundle_inventory *inv, const char *vmx, const char *dir_of, size_t dlen,
			       struct bundle_vm **ret)
{
	struct bundle_vm *n = realloc(inv->vms, (inv->nvms + 1) * sizeof(*n));
	if (!n)
		return &ck_enomem;
	inv->vms = n;
	struct bundle_vm *v = &n[inv->nvms];
	*v = (struct bundle_vm){ .host = -1 };
	if (!(v->dir = strndup(dir_of, dlen)) || (vmx && !(v->vmx = strdup(vmx)))) {
		free(v->dir);
		return &ck_enomem;
	}
	inv->nvms++;
	*ret = v;
	return NULL;
}

/* name: displayName, else the file name without its extension. */
static struct ck_error *vm_names(struct ctx *c, struct bundle_vm *v, const char *named_after)
{
	const char *t = v->vmx ? text_of(c, v->vmx) : NULL;
	if (t) {
		v->name = vmx_value(t, "displayName");
		v->guest_os = vmx_value(t, "guestOS");
	}
	if (!v->name) {
		const char *b = named_after + bundle_dir_len(named_after);
		b += *b == '/';
		size_t n = strlen(b);
		if (n > 3 && strcmp(b + n - 3, ".gz") == 0)
			n -= 3;
		size_t dot = n;
		while (dot > 0 && b[dot - 1] != '.')
			dot--;
		v->name = strndup(b, dot > 1 ? dot - 1 : n);
	}
	return v->name ? NULL : &ck_enomem;
}

static struct ck_error *vms_from_inventory(struct ctx *c)
{
	struct bundle_inventory *inv = c->inv;
	struct ck_error *err = NULL;
	for (size_t h = 0; h < inv->nhosts && !err; h++) {
		char path[BUNDLE_NAME_MAX + 64];
		snprintf(path, sizeof(path), "%setc/vmware/hostd/vmInventory.xml", inv->hosts[h].root);
		const char *xml = text_of(c, path);
		char **cfg = NULL;
		size_t ncfg = 0;
		if (!xml || (err = bundle_vminv_paths(xml, &cfg, &ncfg)))
			continue;
		const char *top = top_of(c, inv->hosts[h].root);
		for (size_t i = 0; i < ncfg && !err; i++) {
			int escapes;
			char *mapped = bundle_path_resolve(top, inv->hosts[h].root, inv->hosts[h].root, cfg[i], &escapes);
			char *vmx = mapped ? resolve_links(c, mapped) : NULL;
			if (!mapped && !escapes)
				err = &ck_enomem;
			else if (!vmx)
				err = warn(inv, "%s: vmxCfgPath %s leads out of the bundle; VM not listed", path, cfg[i]);
			else if (vm_by_vmx(inv, vmx) < 0) {
				struct bundle_vm *v;
				int have = bundle_file_index(inv, vmx) >= 0;
				if (!(err = vm_add(inv, have ? vmx : NULL, vmx, bundle_dir_len(vmx), &v))) {
					v->host = (int)h;
					if (!(v->cfg_path = strdup(cfg[i])))
						err = &ck_enomem;
					if (!err)
						err = vm_names(c, v, vmx);
				}
			}
			free(mapped);
			free(vmx);
		}
		for (size_t i = 0; i < ncfg; i++)
			free(cfg[i]);
		free(cfg);
	}
	return err;
}

static struct ck_error *build_vms(struct ctx *c)
{
	struct bundle_inventory *inv = c->inv;
	struct ck_error *err = vms_from_inventory(c);
	/* a .vmx that vmInventory.xml does not list */
	for (size_t i = 0; i < inv->nfiles && !err; i++) {
		const struct bundle_file *f = &inv->files[i];
		struct bundle_vm *v;
		if (f->kind != BUNDLE_VMX || f->problem || vm_by_vmx(inv, f->path) >= 0)
			continue;
		if (!(err = vm_add(inv, f->path, f->path, bundle_dir_len(f->path), &v)))
			err = vm_names(c, v, f->path);
	}
	/* a directory with a checkpoint and no .vmx */
	for (size_t i = 0; i < inv->nfiles && !err; i++) {
		const struct bundle_file *f = &inv->files[i];
		struct bundle_vm *v;
		size_t dl = bundle_dir_len(f->path);
		if ((f->kind != BUNDLE_SUSPEND && f->kind != BUNDLE_SNAPSHOT) || vm_by_dir(inv, f->path, dl) >= 0)
			continue;
		if (!(err = vm_add(inv, NULL, f->path, dl, &v)))
			err = vm_names(c, v, f->path);
	}
	for (size_t i = 0; i < inv->nvms; i++)
		if (inv->vms[i].host < 0)
			inv->vms[i].host = host_of(c, inv->vms[i].dir);
	return err;
}

/* The VM a file belongs to: the one whose directory holds it (with several, the one it is named after). */
static int vm_of(const struct bundle_inventory *inv, const char *path)
{
	size_t dl = bundle_dir_len(path);
	const char *b = path + dl + (path[dl] == '/');
	int first = -1;
	for (size_t i = 0; i < inv->nvms; i++) {
		const struct bundle_vm *v = &inv->vms[i];
		if (strlen(v->dir) != dl || strncmp(v->dir, path, dl) != 0)
			continue;
		if (first < 0)
			first = (int)i;
		if (v->vmx) {
			const char *vb = v->vmx + dl + (v->vmx[dl] == '/');
			size_t stem = strlen(vb) - 4;	/* ".vmx" */
			if (strncmp(b, vb, stem) == 0)
				return (int)i;
		}
	}
	return first;
}

static struct ck_error *link_warnings(struct ctx *c)
{
	struct ck_error *err = NULL;
	for (size_t i = 0; i < c->ms->nlinks && !err; i++) {
		const struct blink *l = &c->ms->links[i];
		long rl = root_len(l->name);
		char *root = rl >= 0 ? strndup(l->name, (size_t)rl) : strdup(l->top);
		char *dir = strndup(l->name, bundle_dir_len(l->name));
		int escapes = 0;
		char *t = root && dir ? bundle_path_resolve(l->top, root, dir, l->target, &escapes) : NULL;
		char *r = t ? resolve_links(c, t) : NULL;
		char *esc = bundle_name_escape(l->target);
		if (!root || !dir || !esc || (!t && !escapes))
			err = &ck_enomem;
		else if (escapes)
			err = warn(c->inv, "member %s: a symbolic link to %s, out of the bundle; not followed", l->display,
				   esc);
		else if (!r && l->target[0] != '/')
			/* a -> b -> c -> ../..: each hop looks harmless, the chain leaves (or loops) */
			err = warn(c->inv, "member %s: a symbolic link to %s, whose chain of links leads out of the bundle"
				   " or loops; not followed", l->display, esc);
		else if (l->target[0] == '/' && (!r || !path_exists(c, r)))
			err = warn(c->inv, "member %s: a symbolic link to %s, which is not in the bundle; not followed",
				   l->display, esc);
		free(root);
		free(dir);
		free(t);
		free(r);
		free(esc);
	}
	return err;
}

/* A member stored under a symbolic link's name ("link/file"): an extractor would write through the link. */
static struct ck_error *through_link_warnings(struct ctx *c)
{
	struct ck_error *err = NULL;
	for (size_t i = 0; i < c->inv->nfiles && !err; i++) {
		const char *p = c->inv->files[i].path;
		for (size_t k = 0; p[k] && !err; k++) {
			const struct blink *l = p[k] == '/' ? link_find(c, p, k) : NULL;
			if (!l)
				continue;
			char *e = bundle_name_escape(p);
			err = e ? warn(c->inv, "member %s: stored below the symbolic link %s; taken by its name, the link"
				       " not followed", e, l->display) : &ck_enomem;
			free(e);
			break;
		}
	}
	/* and every file that cannot be used: a FRAG gap or duplicate index, a damaged piece */
	for (size_t i = 0; i < c->inv->nfiles && !err; i++) {
		const struct bundle_file *f = &c->inv->files[i];
		char *e = f->problem ? bundle_name_escape(f->path) : NULL;
		if (f->problem)
			err = e ? warn(c->inv, "%s: %s", e, f->problem) : &ck_enomem;
		free(e);
	}
	return err;
}

struct ck_error *bundle_inventory_build(const struct bmembers *ms, const char *archive_name,
					struct bundle_inventory *inv)
{
	struct ctx c = { .ms = ms, .inv = inv };
	struct ck_error *err = NULL;
	c.names = calloc(ms->n ? ms->n : 1, sizeof(*c.names));
	c.links = calloc(ms->nlinks ? ms->nlinks : 1, sizeof(*c.links));
	if (!c.names || !c.links)
		err = &ck_enomem;
	for (size_t i = 0; !err && i < ms->n; i++)
		c.names[c.nnames++] = ms->m[i].name;
	for (size_t i = 0; !err && i < ms->nlinks; i++)
		c.links[i] = &ms->links[i];
	if (!err) {
		qsort(c.names, c.nnames, sizeof(*c.names), str_ptr_cmp);
		qsort(c.links, ms->nlinks, sizeof(*c.links), link_cmp);
		err = build_files(&c);
	}
	if (!err)
		err = build_hosts(&c, archive_name);
	for (size_t i = 0; !err && i < inv->nfiles; i++) {
		struct bundle_file *f = &inv->files[i];
		f->host = host_of(&c, f->path);
		const char *rel = f->host >= 0 ? f->path + strlen(inv->hosts[f->host].root) : f->path;
		f->kind = bundle_kind_of(rel, &f->gzip);
	}
	if (!err)
		err = build_vms(&c);
	for (size_t i = 0; !err && i < inv->nfiles; i++) {
		struct bundle_file *f = &inv->files[i];
		if (f->kind == BUNDLE_HOST_LOG || f->kind == BUNDLE_ARCHIVE || (f->host >= 0 &&
		    strncmp(f->path + strlen(inv->hosts[f->host].root), "var/core/", 9) == 0))
			continue;
		f->vm = vm_of(inv, f->path);
		if (f->vm < 0 && f->kind == BUNDLE_VM_LOG)
			f->kind = BUNDLE_OTHER;	/* vmware.log outside any VM's directory */
	}
	if (!err)
		err = link_warnings(&c);
	if (!err)
		err = through_link_warnings(&c);
	free(c.names);
	free(c.links);
	free(c.file_member);
	return err;
}

void bundle_inventory_free(struct bundle_inventory *inv)
{
	for (size_t i = 0; i < inv->nhosts; i++) {
		struct bundle_host *h = &inv->hosts[i];
		free(h->root);
		free(h->hostname);
		free(h->product);
		free(h->version);
		free(h->build);
		free(h->release);
	}
	free(inv->hosts);
	for (size_t i = 0; i < inv->nvms; i++) {
		struct bundle_vm *v = &inv->vms[i];
		free(v->name);
		free(v->guest_os);
		free(v->dir);
		free(v->vmx);
		free(v->cfg_path);
	}
	free(inv->vms);
	for (size_t i = 0; i < inv->nfiles; i++) {
		struct bundle_file *f = &inv->files[i];
		for (size_t j = 0; j < f->npieces; j++)
			free(f->pieces[j].member);
		free(f->pieces);
		free(f->path);
		free(f->problem);
	}
	free(inv->files);
	strlist_free(&inv->warnings);
	free(inv->path);
	memset(inv, 0, sizeof(*inv));
}
