/* vmx.c - values of .vmx configuration text. */
#include "vmx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *vmx_value(const char *vmx, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = vmx; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *end = eol ? eol : line + strlen(line);
		const char *p = line;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if ((size_t)(end - p) > klen && strncasecmp(p, key, klen) == 0) {
			const char *q = p + klen;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < end && *q == '=') {
				q++;
				while (q < end && (*q == ' ' || *q == '\t'))
					q++;
				if (q < end && *q == '"') {
					q++;
					const char *close = memchr(q, '"', (size_t)(end - q));
					if (close) {
						char *v = malloc((size_t)(close - q) + 1), *o = v;
						if (!v)
							return NULL;
						for (const char *s = q; s < close; s++) {
							int h1, h2;
							if (*s == '|' && close - s >= 3 &&
							    (h1 = hexval(s[1])) >= 0 && (h2 = hexval(s[2])) >= 0) {
								*o++ = (char)(h1 * 16 + h2);
								s += 2;
							} else {
								*o++ = *s;
							}
						}
						*o = 0;
						return v;
					}
				}
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}
