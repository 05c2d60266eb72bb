/* cmd_check.c: `vsearch check` — verify every checksum and invariant of an index. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "vsearch.h"

int cmd_check(int argc, char **argv) {
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
            printf("usage: vsearch check [-i DIR] [-q]\n\nVerify every checksum and structural invariant of the index.\n"
                   "Exit 0 when it is sound, 65 when it is damaged or inconsistent, 66 when there is none.\n");
            return 0;
        default: return cli_usage("check", "bad option");
        }
    }
    if (optind != argc) return cli_usage("check", "unexpected argument '%s'", argv[optind]);
    dir = cli_index_dir(dir);
    vs_err err;
    vs_err_clear(&err);
    vs_index *ix;
    vs_rc rc = vs_index_open(dir, &ix, &err);
    if (rc != VS_OK) return cli_fail(&err);
    rc = vs_index_check(ix, &err);
    vs_index_close(ix);
    if (rc != VS_OK) return cli_fail(&err);
    if (!quiet) printf("index '%s' is sound\n", dir);
    return 0;
}
