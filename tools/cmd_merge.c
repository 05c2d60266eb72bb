/* cmd_merge.c: `vsearch merge [--max-segments N]` — merge segments, dropping deleted documents. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "vsearch.h"

int cmd_merge(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "max-segments", required_argument, NULL, 'n' },
        { "memory", required_argument, NULL, 'M' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL;
    int quiet = 0, c;
    uint64_t max = 1;
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:n:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'n':
            if (cli_parse_u64("--max-segments", optarg, 1, 1000000, &max) != 0) return 64;
            break;
        case 'M':
            if (cli_parse_size("--memory", optarg, &bo.memory) != 0) return 64;
            break;
        case 'q': quiet = 1; break;
        case 'h':
            printf("usage: vsearch merge [-i DIR] [--max-segments N] [--memory SIZE] [-q]\n\n"
                   "Rewrite every segment that has deleted documents without them, then merge the\n"
                   "smallest segments until at most N remain (default 1). Each merge is an atomic\n"
                   "commit; readers keep the snapshot they opened.\n");
            return 0;
        default: return cli_usage("merge", "bad option");
        }
    }
    if (optind != argc) return cli_usage("merge", "unexpected argument '%s'", argv[optind]);
    dir = cli_index_dir(dir);
    vs_err err;
    vs_err_clear(&err);
    vs_build_stats st;
    vs_rc rc = vs_merge(dir, (uint32_t)max, &bo, &st, &err);
    if (rc != VS_OK) return cli_fail(&err);
    if (!quiet)
        printf("merged '%s': %" PRIu64 " merges, %" PRIu64 " segments, %" PRIu64 " documents, %" PRIu64
               " passages, %.1f MB in %.2f s (peak RSS %.0f MiB)\n", dir, st.merges, st.segments, st.docs, st.passages,
               (double)st.index_bytes / 1048576.0, st.seconds, (double)st.peak_rss / 1048576.0);
    return 0;
}
