/* error.c - construction and destruction of struct ck_error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ck_error ck_enomem = { CK_ERR_SYSTEM, 12, "out of memory" };

struct ck_error *ck_error_createv(enum ck_error_kind kind, const char *fmt, va_list ap)
{
	struct ck_error *err = malloc(sizeof(*err));
	if (!err)
		return &ck_enomem;
	if (vasprintf(&err->msg, fmt, ap) < 0) {
		free(err);
		return &ck_enomem;
	}
	err->kind = kind;
	err->errnum = 0;
	return err;
}

struct ck_error *ck_error_create(enum ck_error_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct ck_error *err = ck_error_createv(kind, fmt, ap);
	va_end(ap);
	return err;
}

struct ck_error *ck_error_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	char *what = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &ck_enomem;
	struct ck_error *err = ck_error_create(CK_ERR_SYSTEM, "%s: %s", what, strerror(errnum));
	free(what);
	if (err != &ck_enomem)
		err->errnum = errnum;
	return err;
}

struct ck_error *ck_error_at(const char *path, unsigned long long off, const char *fmt, ...)
{
	va_list ap;
	char *what = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &ck_enomem;
	struct ck_error *err = ck_error_create(CK_ERR_INPUT, "%s: offset 0x%llx: %s", path, off, what);
	free(what);
	return err;
}

struct ck_error *ck_error_prefix(struct ck_error *err, const char *fmt, ...)
{
	if (!err || err == &ck_enomem)
		return err;
	va_list ap;
	char *ctx = NULL, *msg = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&ctx, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&msg, "%s: %s", ctx, err->msg) < 0) {
		free(ctx);
		return err;	/* keep the original message rather than lose it */
	}
	free(ctx);
	free(err->msg);
	err->msg = msg;
	return err;
}

void ck_error_destroy(struct ck_error *err)
{
	if (!err || err == &ck_enomem)
		return;
	free(err->msg);
	free(err);
}

struct ck_error *ck_error_replace(struct ck_error *err, const char *from, const char *to)
{
	if (!err || err == &ck_enomem || !*from)
		return err;
	size_t fl = strlen(from), tl = strlen(to), at = 0;
	for (char *p; (p = strstr(err->msg + at, from));) {
		size_t pre = (size_t)(p - err->msg), rest = strlen(p + fl);
		char *msg = malloc(pre + tl + rest + 1);
		if (!msg)
			break;	/* keep the message with from rather than lose it */
		memcpy(msg, err->msg, pre);
		memcpy(msg + pre, to, tl);
		memcpy(msg + pre + tl, p + fl, rest + 1);
		free(err->msg);
		err->msg = msg;
		at = pre + tl;
	}
	return err;
}
