/* cmd_delete.c: `vsearch delete DOCID...` — delete documents by external id. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "vsearch.h"

int cmd_delete(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'q': quiet = 1; break;
        case 'h':
            printf("usage: vsearch delete [-i DIR] [-q] DOCID...\n\n"
                   "Delete documents by external id (the id `query` shows), in one atomic commit. Their\n"
                   "passages stop matching at once; they still count in N, df and avglen until a merge\n"
                   "drops them. An id that is not in the index is an error (exit 65) and then nothing\n"
                   "is deleted. A document deleted this way comes back only if its file changes and\n"
                   "is indexed again.\n");
            return 0;
        default: return cli_usage("delete", "bad option");
        }
    }
    if (optind >= argc) return cli_usage("delete", "nothing to delete: give document ids");
    dir = cli_index_dir(dir);
    vs_err err;
    vs_err_clear(&err);
    uint64_t np = 0;
    vs_rc rc = vs_delete(dir, (const char *const *)argv + optind, (size_t)(argc - optind), &np, &err);
    if (rc != VS_OK) return cli_fail(&err);
    if (!quiet) printf("deleted %d documents (%" PRIu64 " passages) from '%s'\n", argc - optind, np, dir);
    return 0;
}
