/* vmcoreinfo.c - parse and validate the Linux VMCOREINFO text. */
#include "vmcoreinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Length of the line starting at p (without its '\n'), bounded by end. */
static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

const char *vmcoreinfo_get(const char *text, size_t len, const char *key, size_t *vlen_ret)
{
	size_t klen = strlen(key);
	const char *end = text + len;
	for (const char *p = text; p < end;) {
		size_t n = line_len(p, end);
		if (n > klen && p[klen] == '=' && memcmp(p, key, klen) == 0) {
			*vlen_ret = n - klen - 1;
			return p + klen + 1;
		}
		p += n + 1;
	}
	return NULL;
}

/* Copy a value into a NUL-terminated buffer for strtoull/strtoll; 0 if it cannot fit. */
static int copy_value(const char *v, size_t vlen, char *buf, size_t bufsz)
{
	if (!v || vlen == 0 || vlen >= bufsz)
		return 0;
	memcpy(buf, v, vlen);
	buf[vlen] = 0;
	errno = 0;
	return 1;
}

int vmcoreinfo_get_hex(const char *text, size_t len, const char *key, uint64_t *ret)
{
	size_t vlen;
	const char *v = vmcoreinfo_get(text, len, key, &vlen);
	char buf[32], *end;
	if (!copy_value(v, vlen, buf, sizeof(buf)) || buf[0] == '-' || buf[0] == '+')
		return 0;
	unsigned long long x = strtoull(buf, &end, 16);
	if (errno || *end || end == buf)
		return 0;
	*ret = x;
	return 1;
}

int vmcoreinfo_get_dec(const char *text, size_t len, const char *key, int64_t *ret)
{
	size_t vlen;
	const char *v = vmcoreinfo_get(text, len, key, &vlen);
	char buf[32], *end;
	if (!copy_value(v, vlen, buf, sizeof(buf)))
		return 0;
	long long x = strtoll(buf, &end, 10);
	if (errno || *end || end == buf)
		return 0;
	*ret = x;
	return 1;
}

const char *vmcoreinfo_check(const char *text, size_t len)
{
	if (len == 0)
		return "empty";
	const char *end = text + len;
	for (const char *p = text; p < end;) {
		size_t n = line_len(p, end);
		if (n == 0) {
			if (p + 1 < end)
				return "empty line";
			break;
		}
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p)
			return "a line is not KEY=VALUE";
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];
			if (c < 0x20 || c > 0x7e)
				return "non-printable byte";
			if (p + i < eq && c == ' ')
				return "space in a key";
		}
		p += n + 1;
	}
	size_t vlen;
	const char *os = vmcoreinfo_get(text, len, "OSRELEASE", &vlen);
	if (!os || vlen == 0 || vlen > 64)
		return "no usable OSRELEASE";
	int64_t pagesize;
	if (!vmcoreinfo_get_dec(text, len, "PAGESIZE", &pagesize) || pagesize < 512 ||
	    (pagesize & (pagesize - 1)))
		return "PAGESIZE missing or not a power of two";
	uint64_t u;
	if (!vmcoreinfo_get_hex(text, len, "SYMBOL(swapper_pg_dir)", &u))
		return "no SYMBOL(swapper_pg_dir)";
	if (!vmcoreinfo_get_hex(text, len, "KERNELOFFSET", &u))
		return "no KERNELOFFSET";
	int64_t s;
	if (!vmcoreinfo_get_dec(text, len, "NUMBER(phys_base)", &s))
		return "no NUMBER(phys_base)";
	return NULL;
}

size_t vmcoreinfo_strip_crashtime(char *text, size_t len)
{
	static const char key[] = "CRASHTIME=";
	size_t out = 0;
	for (size_t in = 0; in < len;) {
		const char *nl = memchr(text + in, '\n', len - in);
		size_t n = nl ? (size_t)(nl - (text + in)) + 1 : len - in;	/* with its '\n' */
		if (!(n >= sizeof(key) - 1 && memcmp(text + in, key, sizeof(key) - 1) == 0)) {
			memmove(text + out, text + in, n);
			out += n;
		}
		in += n;
	}
	return out;
}
