/* cmd_build.c: `vsearch build PATH...` — index files and directories. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "source.h"
#include "vsearch.h"

#define MAX_WARNINGS 20 /* warnings printed one by one; the rest are counted */

static void help(void) {
    printf("usage: vsearch build [options] PATH...\n\n"
           "Index files and directories (recursively) into the index directory, replacing the\n"
           "index that was there atomically.\n\n"
           "  -i, --index DIR      index directory (default ./.vsearch or $VSEARCH_INDEX)\n"
           "  -f, --format F       text, trec, jsonl, reuters or smart (default: by extension and content)\n"
           "      --unit U         passage (default) or doc: index whole documents as single units\n"
           "      --stem, --no-stem   English Snowball stemming (default on)\n"
           "      --stopwords FILE    stopword list, one word per line; 'none' for no stopwords\n"
           "      --max-words N    split paragraphs longer than N words (default 250)\n"
           "      --strict         stop at the first bad record or file (exit 65) instead of skipping it\n"
           "  -q, --quiet          no summary line\n"
           "  -h, --help           this help\n");
}

static unsigned long n_warn;

static void on_warn(void *ctx, const char *msg) {
    (void)ctx;
    if (++n_warn <= MAX_WARNINGS) cli_warn("%s", msg);
}

static void human(char *out, size_t n, uint64_t b) {
    if (b >= 10u << 20) snprintf(out, n, "%.1f MB", b / 1048576.0);
    else if (b >= 10u << 10) snprintf(out, n, "%.1f KB", b / 1024.0);
    else snprintf(out, n, "%" PRIu64 " bytes", b);
}

int cmd_build(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "format", required_argument, NULL, 'f' },
        { "unit", required_argument, NULL, 'u' }, { "stem", no_argument, NULL, 's' },
        { "no-stem", no_argument, NULL, 'S' }, { "stopwords", required_argument, NULL, 'w' },
        { "max-words", required_argument, NULL, 'm' }, { "strict", no_argument, NULL, 'x' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL;
    int quiet = 0, c;
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    bo.warn = on_warn;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:qh", opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'i': dir = optarg; break;
        case 'f': {
            int f = vs_format_parse(optarg);
            if (f < 0) return cli_usage("build", "unknown format '%s': expected text, trec, jsonl, reuters or smart", optarg);
            bo.format = f;
            break;
        }
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
        case 'x': bo.strict = 1; break;
        case 'q': quiet = 1; break;
        case 'h': help(); return 0;
        default: return cli_usage("build", "bad option");
        }
    }
    if (optind >= argc) return cli_usage("build", "nothing to index: give files or directories");
    dir = cli_index_dir(dir);
    vs_build_stats st;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc = vs_build(dir, (const char *const *)argv + optind, (size_t)(argc - optind), &bo, &st, &err);
    if (n_warn > MAX_WARNINGS) cli_warn("%lu more warnings not shown", n_warn - MAX_WARNINGS);
    if (rc != VS_OK) return cli_fail(&err);
    if (st.skipped_records || st.skipped_files || st.invalid_utf8)
        fprintf(stderr, "vsearch: skipped %" PRIu64 " bad record(s) and %" PRIu64 " file(s); replaced %" PRIu64
                        " invalid UTF-8 sequence(s)\n", st.skipped_records, st.skipped_files, st.invalid_utf8);
    if (!quiet) {
        char ib[32], rb[32];
        human(ib, sizeof ib, st.index_bytes);
        human(rb, sizeof rb, st.raw_bytes);
        printf("indexed %" PRIu64 " documents, %" PRIu64 " passages, %" PRIu64 " terms, %" PRIu64
               " postings from %" PRIu64 " files (%s) into '%s': %s in %.2f s (%.1f MB/s)\n",
               st.docs, st.passages, st.terms, st.postings, st.files, rb, dir, ib, st.seconds,
               st.seconds > 0 ? st.raw_bytes / 1048576.0 / st.seconds : 0.0);
    }
    return 0;
}
