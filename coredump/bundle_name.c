/* bundle_name.c - member names: checks, escaping, FRAG suffixes, kinds by name, link resolution. */
#include "bundle_name.h"

#include "bundle_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcasecmp(s + n - k, suf) == 0;
}

/* Is there a ".." between separators, '/' or '\\' (Windows tools write these into zips)? */
static int has_dotdot(const char *s)
{
	for (const char *p = s; (p = strstr(p, ".."));) {
		int start = p == s || p[-1] == '/' || p[-1] == '\\';
		int end = !p[2] || p[2] == '/' || p[2] == '\\';
		if (start && end)
			return 1;
		p += 2;
	}
	return 0;
}

char *bundle_name_clean(const char *raw, const char **why)
{
	*why = NULL;
	if (raw[0] == '/' || raw[0] == '\\') {
		*why = "an absolute name";
		return NULL;
	}
	if (has_dotdot(raw)) {
		*why = "a `..` component";
		return NULL;
	}
	size_t len = strlen(raw);
	if (len > BUNDLE_NAME_MAX) {
		*why = "a name longer than 4096 bytes";
		return NULL;
	}
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *p = raw; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			*why = "a `..` component";
			return NULL;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out[o] = 0;
	if (!o) {
		free(out);
		*why = "an empty name";
		return NULL;
	}
	return out;
}

char *bundle_name_escape(const char *raw)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
		n += *p < 0x20 || *p == 0x7f ? 4 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = 0;
	return out;
}

int bundle_frag_split(const char *name, size_t *base_len, uint64_t *index)
{
	const char *f = strstr(name, ".FRAG-");
	for (const char *next; f && (next = strstr(f + 1, ".FRAG-"));)
		f = next;
	if (!f || f == name)
		return 0;
	const char *d = f + 6;
	size_t nd = strspn(d, "0123456789");
	if (nd < 5 || d[nd] || nd > 18)
		return 0;
	*base_len = (size_t)(f - name);
	*index = strtoull(d, NULL, 10);
	return 1;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Kinds of a file's own name (not where it is). */
static enum bundle_kind kind_of_name(const char *b)
{
	if (has_suffix(b, ".vmx"))
		return BUNDLE_VMX;
	if (has_suffix(b, ".vmss"))
		return BUNDLE_SUSPEND;
	if (has_suffix(b, ".vmsn"))
		return BUNDLE_SNAPSHOT;
	if (has_suffix(b, ".vmem"))
		return BUNDLE_VMEM;
	if (strncmp(b, "vmware", 6) == 0 && has_suffix(b, ".log"))
		return BUNDLE_VM_LOG;
	if (strstr(b, "zdump"))
		return BUNDLE_ZDUMP;
	if (strncmp(b, "vmmcores", 8) == 0 || strcmp(b, "core") == 0 || strncmp(b, "core.", 5) == 0 ||
	    strncmp(b, "vmware-core", 11) == 0 || strncmp(b, "vmware64-core", 13) == 0)
		return BUNDLE_CORE;
	return BUNDLE_OTHER;
}

enum bundle_kind bundle_kind_of(const char *rel, int *gzip)
{
	const char *b = base_name(rel);
	size_t dl = bundle_dir_len(rel);
	*gzip = 0;
	if (bundle_name_is_archive(rel))
		return BUNDLE_ARCHIVE;
	if ((dl == 11 && strncmp(rel, "var/run/log", 11) == 0) || (dl == 7 && strncmp(rel, "var/log", 7) == 0)) {
		*gzip = has_suffix(b, ".gz");
		return BUNDLE_HOST_LOG;
	}
	if (dl == 8 && strncmp(rel, "var/core", 8) == 0)
		return strstr(b, "zdump") ? BUNDLE_ZDUMP : BUNDLE_CORE;
	enum bundle_kind k = kind_of_name(b);
	if (k == BUNDLE_OTHER && has_suffix(b, ".gz")) {
		/* NAME.gz: the kind of NAME, stored compressed (vm-support -Z packs NAME.vmss.gz) */
		char tmp[BUNDLE_NAME_MAX + 1];
		size_t n = strlen(b) - 3;
		if (n > BUNDLE_NAME_MAX)
			return BUNDLE_OTHER;
		memcpy(tmp, b, n);
		tmp[n] = 0;
		k = kind_of_name(tmp);
		*gzip = k != BUNDLE_OTHER;
	}
	if (k == BUNDLE_CORE && has_suffix(b, ".gz"))
		*gzip = 1;
	return k;
}

int bundle_name_is_archive(const char *path)
{
	static const char *const suf[] = { ".tgz", ".tar", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst",
					   ".tbz2", ".txz", ".zip" };
	for (size_t i = 0; i < sizeof(suf) / sizeof(suf[0]); i++)
		if (has_suffix(path, suf[i]))
			return 1;
	return 0;
}

size_t bundle_dir_len(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? (size_t)(s - path) : 0;
}

char *bundle_path_resolve(const char *top, const char *root, const char *dir, const char *target, int *escapes)
{
	*escapes = 0;
	const char *start = target[0] == '/' ? root : dir;
	char *out = malloc(strlen(start) + strlen(target) + 2);
	if (!out)
		return NULL;
	/* the part of out before floor (top without its '/') can never be removed by ".." */
	size_t tl = strlen(top), floor = tl && top[tl - 1] == '/' ? tl - 1 : tl;
	strcpy(out, start);
	size_t o = strlen(out);
	if (o && out[o - 1] == '/')
		out[--o] = 0;
	for (const char *p = target; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o <= floor) {
				free(out);
				*escapes = 1;
				return NULL;
			}
			while (o > floor && out[o - 1] != '/')
				o--;
			if (o > floor)
				o--;	/* the '/' before the removed component */
			out[o] = 0;
			p += n;
			continue;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		out[o] = 0;
		p += n;
	}
	return out;
}

const char *bundle_kind_name(enum bundle_kind k)
{
	static const char *const names[BUNDLE_NKINDS] = {
		[BUNDLE_OTHER] = "other", [BUNDLE_VMX] = "vmx", [BUNDLE_VM_LOG] = "vm-log",
		[BUNDLE_SUSPEND] = "suspend", [BUNDLE_SNAPSHOT] = "snapshot", [BUNDLE_VMEM] = "vmem",
		[BUNDLE_CORE] = "core", [BUNDLE_ZDUMP] = "zdump", [BUNDLE_HOST_LOG] = "host-log",
		[BUNDLE_ARCHIVE] = "archive",
	};
	return (unsigned)k < BUNDLE_NKINDS ? names[k] : "other";
}

void bundle_warnv(struct strlist *w, const char *bundle, const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	ck_error_destroy(strlist_addf(w, "%s: %s", bundle, msg));
	free(msg);
}
