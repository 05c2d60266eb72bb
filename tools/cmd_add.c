/* cmd_add.c: `vsearch add PATH...` — index files into a new segment of an existing index. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vsearch.h"

static void help(void) {
    printf("usage: vsearch add [options] PATH...\n\n"
           "Index files and directories ('-': JSONL or TREC from standard input) into a new segment\n"
           "of the index, in one atomic commit, with the index's analyzer options. A document whose\n"
           "id is already in the index replaces it; a file indexed before under the same path\n"
           "replaces its old documents, or is skipped when unchanged. Without an index, one is\n"
           "created (default options). Segments are merged by the tiered policy afterwards.\n\n"
           "  -i, --index DIR      index directory (default ./.vsearch or $VSEARCH_INDEX)\n"
           "  -f, --format F       text, trec, jsonl, reuters or smart (default: by extension and content)\n"
           "  -j N                 analysis threads (default 2)\n"
           "      --memory SIZE    memory budget (default 1G)\n"
           "      --progress, --no-progress   progress on stderr (default: when stderr is a tty)\n"
           "      --strict         stop at the first bad record or file (exit 65)\n"
           "  -q, --quiet          no summary line\n"
           "  -h, --help           this help\n");
}

int cmd_add(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "format", required_argument, NULL, 'f' },
        { "strict", no_argument, NULL, 'x' }, { "memory", required_argument, NULL, 'M' },
        { "progress", no_argument, NULL, 'P' }, { "no-progress", no_argument, NULL, 'N' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL;
    int quiet = 0, c, progress = -1;
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:j:qh", opts, NULL)) != -1) {
        int r = cli_build_opt("add", c, optarg, &bo, &progress);
        if (r < 0) return 64;
        if (r > 0) continue;
        switch (c) {
        case 'i': dir = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': help(); return 0;
        default: return cli_usage("add", "bad option");
        }
    }
    if (optind >= argc) return cli_usage("add", "nothing to add: give files or directories");
    dir = cli_index_dir(dir);
    cli_build_setup(&bo, progress);
    vs_build_stats st;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc = vs_add(dir, (const char *const *)argv + optind, (size_t)(argc - optind), &bo, &st, &err);
    cli_build_done();
    if (rc != VS_OK) return cli_fail(&err);
    if (!quiet) cli_build_summary(dir, &st);
    return 0;
}
