/* vsearch.c: the command table and the helpers every subcommand shares (see cli.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "vsearch.h"

static const struct vs_cmd {
    const char *name;
    int (*run)(int, char **);
    const char *help;
} cmds[] = {
    { "build", cmd_build, "index files and directories (recursive), or re-sync with them" },
    { "add", cmd_add, "index files into a new segment of the index" },
    { "delete", cmd_delete, "delete documents by id" },
    { "merge", cmd_merge, "merge segments, dropping deleted documents" },
    { "query", cmd_query, "print the top passages for a query" },
    { "batch", cmd_batch, "run many topics and write a TREC run" },
    { "analyze", cmd_analyze, "print the terms the analyzer makes of a text" },
    { "stats", cmd_stats, "print counts and the size of each part of the index" },
    { "check", cmd_check, "verify every checksum and invariant of an index" },
    { "eval", cmd_eval, "evaluate a TREC run against qrels (trec_eval measures)" },
};

static void usage(FILE *f) {
    fprintf(f, "usage: vsearch <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "\nRun 'vsearch <command> --help' for a command's options.\n"
               "The index is ./.vsearch unless -i DIR or $VSEARCH_INDEX says otherwise.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vsearch 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (!strcmp(argv[1], cmds[i].name)) return cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vsearch: '%s' is not a vsearch command\ntry 'vsearch --help'\n", argv[1]);
    return EX_USAGE;
}

int cli_exit_code(vs_rc rc) {
    switch (rc) {
    case VS_OK: return 0;
    case VS_EUSAGE: return EX_USAGE;
    case VS_ECORRUPT: case VS_EVERSION: case VS_EDATA: return EX_DATAERR;
    case VS_ENOENT: return EX_NOINPUT;
    case VS_EIO: return EX_IOERR;
    default: return EX_SOFTWARE;
    }
}

int cli_fail(const vs_err *e) {
    fprintf(stderr, "vsearch: error: %s\n", e->msg[0] ? e->msg : vs_err_str(e->rc));
    return cli_exit_code(e->rc);
}

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("vsearch: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("vsearch: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("vsearch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\ntry 'vsearch %s --help'\n", cmd);
    va_end(ap);
    return EX_USAGE;
}

int cli_parse_u64(const char *what, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "vsearch: invalid %s '%s': expected a whole number from %llu to %llu\n", what, s,
                (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *what, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "vsearch: invalid %s '%s': expected a number from %g to %g\n", what, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

const char *cli_index_dir(const char *opt) {
    if (opt && *opt) return opt;
    const char *env = getenv("VSEARCH_INDEX");
    if (env && *env) return env;
    return ".vsearch";
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (overlong, surrogate,
 * above U+10FFFF or truncated). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n) return 0;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

/* JSON strings must be Unicode: bytes that are not valid UTF-8 (a file name in Latin-1, say)
 * are written as U+FFFD. */
void cli_json_str(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = utf8_seq((const unsigned char *)s + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", f);
            i++;
            continue;
        }
        if (len > 1) {
            fwrite(s + i, 1, len, f);
            i += len;
            continue;
        }
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
            else fputc(c, f);
        }
        i++;
    }
    fputc('"', f);
}

int cli_search_opt(const char *cmd, int c, const char *arg, struct vs_search_opts *so) {
    uint64_t v;
    switch (c) {
    case 0x101: return cli_parse_double("--k1", arg, 0, 100, &so->k1) == 0 ? 1 : -1;
    case 0x102: return cli_parse_double("--b", arg, 0, 1, &so->b) == 0 ? 1 : -1;
    case 0x103:
        if (!strcmp(arg, "doc")) so->by_doc = 1;
        else if (!strcmp(arg, "passage")) so->by_doc = 0;
        else return cli_usage(cmd, "unknown --by '%s': expected doc or passage", arg), -1;
        return 1;
    case 0x104: so->and_mode = 1; return 1;
    case 0x105:
        if (!strcmp(arg, "bm25")) so->model = VS_MODEL_BM25;
        else if (!strcmp(arg, "ql")) so->model = VS_MODEL_QL;
        else return cli_usage(cmd, "unknown --model '%s': expected bm25 or ql", arg), -1;
        return 1;
    case 0x106: return cli_parse_double("--mu", arg, 1e-3, 1e9, &so->mu) == 0 ? 1 : -1;
    case 0x107: so->rm3 = 1; return 1;
    case 0x108:
        if (cli_parse_u64("--fb-docs", arg, 1, 1000, &v) != 0) return -1;
        so->fb_docs = (uint32_t)v;
        return 1;
    case 0x109:
        if (cli_parse_u64("--fb-terms", arg, 1, 1000, &v) != 0) return -1;
        so->fb_terms = (uint32_t)v;
        return 1;
    case 0x10a: return cli_parse_double("--orig-weight", arg, 0, 1, &so->orig_weight) == 0 ? 1 : -1;
    case 0x10b: so->syntax = 1; return 1;
    case 0x10c: so->syntax = 0; return 1;
    case 0x10d: return cli_parse_double("--title-weight", arg, 0, 1000, &so->title_weight) == 0 ? 1 : -1;
    default: return 0;
    }
}
