/* bundle_text.c - the small text files of a bundle: vmInventory.xml, vmware_-vl.txt, uname_-a.txt, directory names. */
#include "bundle_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INVENTORY_VMS = 100000 };

/* XML text between tags with the five entities and &#N; / &#xN; (ASCII only) decoded. */
static char *xml_text(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
		};
		size_t k = 0;
		if (s[i] == '&') {
			for (size_t e = 0; e < sizeof(ents) / sizeof(ents[0]); e++) {
				size_t l = strlen(ents[e].ent);
				if (i + l <= n && memcmp(s + i, ents[e].ent, l) == 0) {
					*o++ = ents[e].c;
					k = l;
					break;
				}
			}
			if (!k && i + 3 < n && s[i + 1] == '#') {
				int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
				char *end;
				unsigned long v = strtoul(s + i + 2 + hex, &end, hex ? 16 : 10);
				if ((size_t)(end - s) < n && *end == ';' && v > 0 && v < 0x80) {
					*o++ = (char)v;
					k = (size_t)(end - (s + i)) + 1;
				}
			}
		}
		if (!k) {
			*o++ = s[i];
			k = 1;
		}
		i += k;
	}
	*o = 0;
	/* trim: paths never start or end with blanks in hostd's file, but hand-edited ones may */
	char *b = out;
	while (isspace((unsigned char)*b))
		b++;
	size_t l = strlen(b);
	while (l && isspace((unsigned char)b[l - 1]))
		b[--l] = 0;
	memmove(out, b, l + 1);
	return out;
}

struct ck_error *bundle_vminv_paths(const char *xml, char ***paths_ret, size_t *n_ret)
{
	static const char open_tag[] = "<vmxCfgPath>", close_tag[] = "</vmxCfgPath>";
	char **paths = NULL;
	size_t n = 0;
	for (const char *p = xml; (p = strstr(p, open_tag)) && n < MAX_INVENTORY_VMS;) {
		p += sizeof(open_tag) - 1;
		const char *e = strstr(p, close_tag);
		if (!e)
			break;
		char **np = realloc(paths, (n + 1) * sizeof(*np));
		char *t = np ? xml_text(p, (size_t)(e - p)) : NULL;
		if (np)
			paths = np;
		if (!t) {
			for (size_t i = 0; i < n; i++)
				free(paths[i]);
			free(paths);
			return &ck_enomem;
		}
		if (*t)
			paths[n++] = t;
		else
			free(t);
		p = e + sizeof(close_tag) - 1;
	}
	*paths_ret = paths;
	*n_ret = n;
	return NULL;
}

/* The first line of text without its newline (malloc'd), and where the next starts. */
static char *line_of(const char *text, const char **next)
{
	const char *e = strchr(text, '\n');
	size_t n = e ? (size_t)(e - text) : strlen(text);
	while (n && (text[n - 1] == '\r' || isspace((unsigned char)text[n - 1])))
		n--;
	*next = e ? e + 1 : text + strlen(text);
	return strndup(text, n);
}

struct ck_error *bundle_vl_parse(const char *text, struct bundle_host *h)
{
	const char *next;
	char *l1 = line_of(text, &next);
	if (!l1)
		return &ck_enomem;
	char *l2 = line_of(next, &next);
	if (!l2) {
		free(l1);
		return &ck_enomem;
	}
	/* "VMware ESXi 7.0.3 build-21930508": the product up to the version, the version, the build */
	const char *ver = NULL, *build = strstr(l1, "build-");
	for (const char *p = l1; *p; p++)
		if (isdigit((unsigned char)*p) && (p == l1 || p[-1] == ' ')) {
			ver = p;
			break;
		}
	struct ck_error *err = NULL;
	if (ver && ver > l1) {
		size_t pl = (size_t)(ver - l1), vl = strcspn(ver, " \t");
		while (pl && l1[pl - 1] == ' ')
			pl--;
		if (!(h->product = strndup(l1, pl)) || !(h->version = strndup(ver, vl)))
			err = &ck_enomem;
	}
	if (!err && build && isdigit((unsigned char)build[6]) &&
	    !(h->build = strndup(build + 6, strspn(build + 6, "0123456789"))))
		err = &ck_enomem;
	if (!err && *l2 && strncmp(l2, "VMware", 6) == 0) {
		h->release = l2;
		l2 = NULL;
	}
	free(l1);
	free(l2);
	return err;
}

char *bundle_uname_host(const char *text)
{
	/* "VMkernel HOSTNAME 7.0.3 #1 SMP Release build-21930508 ..." */
	if (strncmp(text, "VMkernel ", 9) != 0)
		return NULL;
	const char *h = text + 9;
	size_t n = strcspn(h, " \t\r\n");
	return n ? strndup(h, n) : NULL;
}

char *bundle_dirname_host(const char *name)
{
	/* esx-HOST-YYYY-MM-DD--HH.MM-PID: HOST may itself hold '-': the date is found from the right */
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	if (strncmp(b, "esx-", 4) != 0)
		return NULL;
	b += 4;
	const char *date = NULL;
	for (const char *p = b; (p = strchr(p, '-')); p++) {
		/* -YYYY-MM-DD-- */
		int ok = 1;
		static const char shape[] = "-dddd-dd-dd--";
		for (size_t i = 0; ok && i < sizeof(shape) - 1; i++)
			ok = shape[i] == 'd' ? isdigit((unsigned char)p[i]) != 0 : p[i] == shape[i];
		if (ok)
			date = p;
	}
	return date && date > b ? strndup(b, (size_t)(date - b)) : NULL;
}
