/* cmd_build.c: `vsearch build PATH...` — index files and directories, or re-sync an index with
 * them; and the options, progress display and summary line it shares with `vsearch add`. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "source.h"
#include "vsearch.h"

#define MAX_WARNINGS 20 /* warnings printed one by one; the rest are counted */

static unsigned long n_warn;
static int progress_shown;

static void on_warn(void *ctx, const char *msg) {
    (void)ctx;
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        progress_shown = 0;
    }
    if (++n_warn <= MAX_WARNINGS) cli_warn("%s", msg);
}

static void on_progress(void *ctx, const vs_build_progress *p) {
    (void)ctx;
    double mb = (double)p->bytes / 1e6, rate = p->seconds > 0 ? mb / p->seconds : 0;
    char eta[32] = "";
    if (p->total_bytes > p->bytes && rate > 0) {
        unsigned long s = (unsigned long)(((double)(p->total_bytes - p->bytes) / 1e6) / rate);
        snprintf(eta, sizeof eta, "  ETA %lu:%02lu", s / 60, s % 60);
    }
    fprintf(stderr, "\r\033[K%" PRIu64 " documents  %.1f MB  %.1f MB/s%s", p->docs, mb, rate, eta);
    fflush(stderr);
    progress_shown = 1;
}

int cli_parse_size(const char *what, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    uint64_t mul = 1;
    if (end != s && *end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        case 't': case 'T': mul = 1ull << 40; break;
        default: mul = 0;
        }
        end++;
        if (*end == 'i' || *end == 'I') end++;
        if (*end == 'b' || *end == 'B') end++;
    }
    if (end == s || *end || errno || mul == 0 || !(v >= 1) || v * (double)mul > 1e15) {
        fprintf(stderr, "vsearch: invalid %s '%s': expected a size such as 512M or 2G\n", what, s);
        return -1;
    }
    *out = (uint64_t)(v * (double)mul);
    return 0;
}

void cli_build_setup(vs_build_opts *bo, int progress) {
    bo->warn = on_warn;
    if (progress > 0 || (progress < 0 && isatty(2))) bo->progress = on_progress;
    /* A file-size limit (ulimit -f) must fail a write with EFBIG, not kill the process. */
    signal(SIGXFSZ, SIG_IGN);
}

void cli_build_done(void) {
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        progress_shown = 0;
    }
    if (n_warn > MAX_WARNINGS) cli_warn("%lu more warnings not shown", n_warn - MAX_WARNINGS);
}

static void human(char *out, size_t n, uint64_t b) {
    if (b >= 10u << 20) snprintf(out, n, "%.1f MB", (double)b / 1048576.0);
    else if (b >= 10u << 10) snprintf(out, n, "%.1f KB", (double)b / 1024.0);
    else snprintf(out, n, "%" PRIu64 " bytes", b);
}

void cli_build_summary(const char *dir, const vs_build_stats *st) {
    if (st->skipped_records || st->skipped_files || st->invalid_utf8)
        fprintf(stderr, "vsearch: skipped %" PRIu64 " bad record(s) and %" PRIu64 " file(s); replaced %" PRIu64
                        " invalid UTF-8 sequence(s)\n", st->skipped_records, st->skipped_files, st->invalid_utf8);
    char ib[32], rb[32];
    human(ib, sizeof ib, st->index_bytes);
    human(rb, sizeof rb, st->raw_bytes);
    double mbs = st->seconds > 0 ? (double)st->raw_bytes / 1e6 / st->seconds : 0.0;
    double dps = st->seconds > 0 ? (double)st->docs / st->seconds : 0.0;
    double rss = (double)st->peak_rss / 1048576.0;
    char runs[160] = "";
    if (st->spills) snprintf(runs, sizeof runs, ", %" PRIu64 " spilled runs", st->spills);
    if (st->segments_written > 1)
        snprintf(runs + strlen(runs), sizeof runs - strlen(runs), ", %" PRIu64 " segments written", st->segments_written);
    if (st->input_seconds > 0)
        snprintf(runs + strlen(runs), sizeof runs - strlen(runs), "; input %.2f s, postings %.2f s",
                 st->input_seconds, st->terms_seconds);
    if (st->mode == VS_BUILD_UP_TO_DATE) {
        printf("index '%s' is up to date: %" PRIu64 " files unchanged (%.2f s)\n", dir, st->files_unchanged, st->seconds);
        return;
    }
    if (st->mode == VS_BUILD_SYNCED) {
        printf("updated '%s': %" PRIu64 " new, %" PRIu64 " changed, %" PRIu64 " removed, %" PRIu64
               " unchanged files; indexed %" PRIu64 " documents, %" PRIu64 " passages (%s), deleted %" PRIu64
               " documents; %" PRIu64 " segments, %s in %.2f s (%.1f MB/s, %.0f docs/s, peak RSS %.0f MiB%s)\n",
               dir, st->files_new, st->files_changed, st->files_removed, st->files_unchanged, st->docs, st->passages,
               rb, st->docs_deleted, st->segments, ib, st->seconds, mbs, dps, rss, runs);
        return;
    }
    printf("indexed %" PRIu64 " documents, %" PRIu64 " passages, %" PRIu64 " terms, %" PRIu64
           " postings from %" PRIu64 " files (%s) into '%s': %s in %.2f s (%.1f MB/s, %.0f docs/s, peak RSS %.0f MiB%s)\n",
           st->docs, st->passages, st->terms, st->postings, st->files, rb, dir, ib, st->seconds, mbs, dps, rss, runs);
}

int cli_build_opt(const char *cmd, int c, const char *arg, vs_build_opts *bo, int *progress) {
    uint64_t v;
    switch (c) {
    case 'j':
        if (cli_parse_u64("-j", arg, 1, 64, &v) != 0) return -1;
        bo->threads = (unsigned)v;
        return 1;
    case 'M':
        if (cli_parse_size("--memory", arg, &v) != 0) return -1;
        if (v < (4u << 20)) {
            fprintf(stderr, "vsearch: invalid --memory '%s': at least 4M\n", arg);
            return -1;
        }
        bo->memory = v;
        return 1;
    case 'P': *progress = 1; return 1;
    case 'N': *progress = 0; return 1;
    case 'f': {
        int f = vs_format_parse(arg);
        if (f < 0) return cli_usage(cmd, "unknown format '%s': expected text, trec, jsonl, reuters or smart", arg), -1;
        bo->format = f;
        return 1;
    }
    case 'x': bo->strict = 1; return 1;
    default: return 0;
    }
}

static void help(void) {
    printf("usage: vsearch build [options] PATH...\n\n"
           "Index files and directories (recursively; '-' reads JSONL or TREC from standard input).\n"
           "Without an index, or with other analyzer options than the index's, or with --replace,\n"
           "a new index replaces whatever was there, atomically. Otherwise the index is brought in\n"
           "line with the files: new and changed files are indexed (size and mtime, then a content\n"
           "hash, decide), documents of changed and removed files are deleted, unchanged files are\n"
           "not read; nothing changed means nothing written.\n\n"
           "  -i, --index DIR      index directory (default ./.vsearch or $VSEARCH_INDEX)\n"
           "  -f, --format F       text, trec, jsonl, reuters or smart (default: by extension and content)\n"
           "      --unit U         passage (default) or doc: index whole documents as single units\n"
           "      --stem, --no-stem   English Snowball stemming (default on)\n"
           "      --stopwords FILE    stopword list, one word per line; 'none' for no stopwords\n"
           "      --max-words N    split paragraphs longer than N words (default 250)\n"
           "      --replace        build a new index even if one exists\n"
           "  -j N                 analysis threads (default 2); the index is the same for any N\n"
           "      --memory SIZE    memory budget, peak RSS (default 1G; e.g. 256M): sorted runs are\n"
           "                       spilled to the index directory beyond it, and a collection\n"
           "                       too large for one segment in it is written as several\n"
           "      --progress, --no-progress   progress on stderr (default: when stderr is a tty)\n"
           "      --strict         stop at the first bad record or file (exit 65) instead of skipping it\n"
           "  -q, --quiet          no summary line\n"
           "  -h, --help           this help\n");
}

int cmd_build(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "format", required_argument, NULL, 'f' },
        { "unit", required_argument, NULL, 'u' }, { "stem", no_argument, NULL, 's' },
        { "no-stem", no_argument, NULL, 'S' }, { "stopwords", required_argument, NULL, 'w' },
        { "max-words", required_argument, NULL, 'm' }, { "strict", no_argument, NULL, 'x' },
        { "replace", no_argument, NULL, 'R' }, { "memory", required_argument, NULL, 'M' },
        { "progress", no_argument, NULL, 'P' }, { "no-progress", no_argument, NULL, 'N' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL;
    int quiet = 0, c, progress = -1;
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:j:qh", opts, NULL)) != -1) {
        uint64_t v;
        int r = cli_build_opt("build", c, optarg, &bo, &progress);
        if (r < 0) return 64;
        if (r > 0) continue;
        switch (c) {
        case 'i': dir = optarg; break;
        case 'u':
            if (!strcmp(optarg, "doc")) bo.unit_doc = 1;
            else if (!strcmp(optarg, "passage")) bo.unit_doc = 0;
            else return cli_usage("build", "unknown unit '%s': expected passage or doc", optarg);
            break;
        case 's': bo.stem = 1; break;
        case 'S': bo.stem = 0; break;
        case 'w':
            if (!strcmp(optarg, "none")) { bo.stop_default = 0; bo.stopwords_file = NULL; }
            else bo.stopwords_file = optarg;
            break;
        case 'm':
            if (cli_parse_u64("--max-words", optarg, 10, 100000, &v) != 0) return 64;
            bo.max_words = (uint32_t)v;
            break;
        case 'R': bo.replace = 1; break;
        case 'q': quiet = 1; break;
        case 'h': help(); return 0;
        default: return cli_usage("build", "bad option");
        }
    }
    if (optind >= argc) return cli_usage("build", "nothing to index: give files or directories");
    dir = cli_index_dir(dir);
    cli_build_setup(&bo, progress);
    vs_build_stats st;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc = vs_build(dir, (const char *const *)argv + optind, (size_t)(argc - optind), &bo, &st, &err);
    cli_build_done();
    if (rc != VS_OK) return cli_fail(&err);
    if (!quiet) cli_build_summary(dir, &st);
    else if (st.skipped_records || st.skipped_files || st.invalid_utf8)
        fprintf(stderr, "vsearch: skipped %" PRIu64 " bad record(s) and %" PRIu64 " file(s); replaced %" PRIu64
                        " invalid UTF-8 sequence(s)\n", st.skipped_records, st.skipped_files, st.invalid_utf8);
    return 0;
}
