/*
 * error.h - errors as values for every corekit library.
 *
 * A fallible function returns `struct ck_error *`: NULL on success, otherwise
 * an error the caller owns and must pass up or free with ck_error_destroy().
 * Results go through trailing out-parameters, written only on success.
 * Libraries never print; the command's main() prints the one-line message
 * and exits with err->kind (see enum ck_error_kind), which doubles as the
 * process exit status.
 *
 * Messages name the thing first: "guest.vmss: offset 0x1234: tag name runs
 * past group end".  Callers add context with ck_error_prefix().
 */
#ifndef COREKIT_ERROR_H
#define COREKIT_ERROR_H

#include <stdarg.h>

enum ck_error_kind {
	CK_ERR_USAGE = 1,	/* bad command line */
	CK_ERR_INPUT = 2,	/* bad or unsupported input file */
	CK_ERR_SYSTEM = 3,	/* I/O error, no space, out of memory */
	CK_ERR_FINDING = 4,	/* analyzers: a --fail-on finding (not a failure of the tool) */
	/*
	 * A guest or process address that cannot be read: not mapped by the
	 * page tables, a physical hole, a page the dump left out.  Not a broken
	 * file: analyzers turn it into a report warning and go on.  Never an exit
	 * status (ck_error_exit_status() maps it to CK_ERR_INPUT).
	 */
	CK_ERR_FAULT = 5,
	/* Interrupted by a signal (errnum holds it): the process exits 128 + signal. */
	CK_ERR_SIGNAL = 128,
};

struct ck_error {
	enum ck_error_kind kind;
	int errnum;		/* errno for CK_ERR_SYSTEM, else 0 */
	char *msg;
};

/* The process exit status for err (CK_ERR_FAULT exits as bad input, CK_ERR_SIGNAL as 128 + signal). */
static inline int ck_error_exit_status(const struct ck_error *err)
{
	if (err->kind == CK_ERR_SIGNAL)
		return 128 + err->errnum;
	return err->kind == CK_ERR_FAULT ? CK_ERR_INPUT : (int)err->kind;
}

/* Out of memory never allocates: this static error is returned instead. */
extern struct ck_error ck_enomem;

struct ck_error *ck_error_create(enum ck_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct ck_error *ck_error_createv(enum ck_error_kind kind, const char *fmt, va_list ap);
/* CK_ERR_SYSTEM error with ": strerror(errnum)" appended. */
struct ck_error *ck_error_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Bad input at a file offset: "PATH: offset 0xOFF: MSG". */
struct ck_error *ck_error_at(const char *path, unsigned long long off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "CONTEXT: " to err's message; returns err (possibly replaced by &ck_enomem). */
struct ck_error *ck_error_prefix(struct ck_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Every mention of from in err's message replaced by to (a temporary's /proc path by the user's name); returns err. */
struct ck_error *ck_error_replace(struct ck_error *err, const char *from, const char *to);
void ck_error_destroy(struct ck_error *err);	/* NULL and &ck_enomem are fine */

#endif
