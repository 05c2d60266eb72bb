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
int cmd_add(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_merge(int argc, char **argv);
/* Shared by build and add (cmd_build.c): sizes like 512M; -j, --memory, --progress,
 * --no-progress, -f, --strict (returns 1 handled, 0 not one of these, -1 after a usage error);
 * warning/progress callbacks; the summary line. */
struct vs_build_opts;
struct vs_build_stats;
int cli_parse_size(const char *what, const char *s, uint64_t *out);
int cli_build_opt(const char *cmd, int c, const char *arg, struct vs_build_opts *bo, int *progress);
void cli_build_setup(struct vs_build_opts *bo, int progress);
void cli_build_done(void);
void cli_build_summary(const char *dir, const struct vs_build_stats *st);

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
/* Ranking options shared by query and batch: put CLI_SEARCH_OPTIONS in the getopt_long table and
 * pass every option to cli_search_opt() first. It returns 1 when it handled the option, 0 when
 * the option is not one of these, and -1 after printing a usage error (exit 64). */
#define CLI_SEARCH_OPTIONS                                                                    \
    { "k1", required_argument, NULL, 0x101 }, { "b", required_argument, NULL, 0x102 },        \
    { "by", required_argument, NULL, 0x103 }, { "and", no_argument, NULL, 0x104 },            \
    { "model", required_argument, NULL, 0x105 }, { "mu", required_argument, NULL, 0x106 },    \
    { "rm3", no_argument, NULL, 0x107 }, { "fb-docs", required_argument, NULL, 0x108 },       \
    { "fb-terms", required_argument, NULL, 0x109 },                                           \
    { "orig-weight", required_argument, NULL, 0x10a }, { "syntax", no_argument, NULL, 0x10b },  \
    { "bag-of-words", no_argument, NULL, 0x10c }, { "title-weight", required_argument, NULL, 0x10d }
#define CLI_SEARCH_HELP                                                                                 \
    "      --by doc        best passage per document (passage: every passage, the default)\n"         \
    "      --and           every term must occur in a hit (default: any term)\n"                       \
    "      --k1 X, --b X   BM25 parameters (default 0.9 and 0.4)\n"                                    \
    "      --model M       bm25 (default) or ql (query likelihood, Dirichlet smoothing)\n"             \
    "      --mu X          QL Dirichlet prior (default 1000)\n"                                        \
    "      --rm3           RM3 pseudo-relevance feedback (--fb-docs 10 --fb-terms 10 --orig-weight 0.5)\n" \
    "      --syntax        query language: \"phrase\", +must, -not, AND OR NOT, ( ), word^2\n"          \
    "      --bag-of-words  plain text: every word is a term (no operators)\n"                         \
    "      --title-weight W  each word or phrase also scores in the title field with weight W\n"      \
    "                      (default 0.4; 0 turns it off; the query language has title:word)\n"
struct vs_search_opts;
int cli_search_opt(const char *cmd, int c, const char *arg, struct vs_search_opts *so);
/* The index directory: -i DIR if given, else $VSEARCH_INDEX, else "./.vsearch". */
const char *cli_index_dir(const char *opt);

#endif
