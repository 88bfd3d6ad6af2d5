/*
 * log_text.h - string views for the log parsers: lines are never copied
 * while they are looked at, only the fields an event keeps.
 */
#ifndef COREKIT_LOG_TEXT_H
#define COREKIT_LOG_TEXT_H

#include <ctype.h>
#include <stddef.h>
#include <string.h>

struct lspan {
	const char *p;
	size_t n;
};

static inline struct lspan ls_make(const char *p, size_t n)
{
	return (struct lspan){ p, n };
}

static inline struct lspan ls_cstr(const char *s)
{
	return (struct lspan){ s, strlen(s) };
}

static inline int ls_prefix(struct lspan s, const char *pfx)
{
	size_t n = strlen(pfx);
	return s.n >= n && memcmp(s.p, pfx, n) == 0;
}

static inline struct lspan ls_skip(struct lspan s, size_t k)
{
	k = k < s.n ? k : s.n;
	return (struct lspan){ s.p + k, s.n - k };
}

static inline struct lspan ls_trim(struct lspan s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
		s = ls_skip(s, 1);
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* Position of needle in s, or -1. */
static inline long ls_find(struct lspan s, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= s.n && i <= s.n - n; i++)
		if (memcmp(s.p + i, needle, n) == 0)
			return (long)i;
	return -1;
}

static inline long ls_find_char(struct lspan s, char c)
{
	const char *q = s.n ? memchr(s.p, c, s.n) : NULL;
	return q ? (long)(q - s.p) : -1;
}

static inline long ls_rfind_char(struct lspan s, char c)
{
	for (size_t i = s.n; i > 0; i--)
		if (s.p[i - 1] == c)
			return (long)(i - 1);
	return -1;
}

/* The token at s up to a blank. */
static inline struct lspan ls_token(struct lspan s)
{
	size_t n = 0;
	while (n < s.n && s.p[n] != ' ' && s.p[n] != '\t')
		n++;
	return (struct lspan){ s.p, n };
}

/* Decimal at s, -1 if none (at most 18 digits: no overflow). *used = digits read. */
static inline long long ls_num(struct lspan s, size_t *used)
{
	long long v = 0;
	size_t i = 0;
	for (; i < s.n && i < 18 && isdigit((unsigned char)s.p[i]); i++)
		v = v * 10 + (s.p[i] - '0');
	if (used)
		*used = i;
	return i ? v : -1;
}

/* The decimal right after the first occurrence of key, -1 if none. */
static inline long long ls_num_after(struct lspan s, const char *key)
{
	long at = ls_find(s, key);
	return at < 0 ? -1 : ls_num(ls_skip(s, (size_t)at + strlen(key)), NULL);
}

static inline int ls_eq(struct lspan s, const char *c)
{
	return s.n == strlen(c) && memcmp(s.p, c, s.n) == 0;
}

#endif
