/* cli.h: what the subcommands of the vsearch CLI share. Each command lives in tools/cmd_<name>.c
 * as `int cmd_<name>(int argc, char **argv)` (argv[0] is the command name) and returns the
 * process exit status (<sysexits.h>: 0 ok, 64 usage, 65 bad data, 66 no input, 74 I/O, 70 bug).
 * stdout carries results only; diagnostics go to stderr through cli_error/cli_warn. */
#ifndef VS_CLI_H
#define VS_CLI_H

#include <stdint.h>

#include "vs_err.h"

int cmd_build(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* The only vs_rc -> exit status mapping. */
int cli_exit_code(vs_rc rc);
/* Prints "vsearch: error: <msg>" to stderr and returns cli_exit_code(e->rc). */
int cli_fail(const vs_err *e);
/* Prints "vsearch: error: <formatted>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "vsearch: warning: <formatted>" to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: prints "vsearch: <formatted>" and "try 'vsearch <cmd> --help'" to stderr; returns 64. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a whole number in [lo, hi]; on failure prints "invalid <what> '<s>': expected a whole
 * number from lo to hi" and returns -1. */
int cli_parse_u64(const char *what, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
/* Parses a finite double in [lo, hi]; same failure behaviour. */
int cli_parse_double(const char *what, const char *s, double lo, double hi, double *out);
/* Writes s[0..n) as a JSON string literal (quoted, escaped; invalid UTF-8 never reaches here). */
#include <stdio.h>
#include <stddef.h>
void cli_json_str(FILE *f, const char *s, size_t n);
/* The index directory: -i DIR if given, else $VSEARCH_INDEX, else "./.vsearch". */
const char *cli_index_dir(const char *opt);

#endif
