/*
 * cli.h - what every corekit command says the same way: the version line
 * ("PROG (corekit) VERSION") and option errors ("PROG: unknown option '-x'
 * (try --help)").  Commands call these from main(); libraries never print.
 */
#ifndef COREKIT_CLI_H
#define COREKIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

void cli_print_version(FILE *out, const char *prog);

/*
 * Report a getopt_long() failure: c is what it returned (':' missing
 * argument, '?' unknown option; use an optstring starting with ':'), argv and
 * optind as getopt left them.  Returns the usage exit status (1).
 */
int cli_option_error(const char *prog, int c, char *const argv[], int optind_now, int optopt_now);

/* Comma-separated name lists (--disable, --fail-on): is name in list? */
bool cli_list_has(const char *list, const char *name);
/* Is every item of list known?  If not, *bad gets a malloc'd copy of the first unknown one. */
typedef bool cli_name_known_fn(const char *s, size_t len);
bool cli_list_check(const char *list, cli_name_known_fn *known, char **bad);

/* Print "PROG: MSG (try --help)" and return the usage exit status (1). */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
