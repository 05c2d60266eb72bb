/* cmd_analyze.c: `vsearch analyze TEXT` — print the terms the analyzer makes of TEXT.
 * With an index present (or -i), its recorded analyzer configuration is used, so the output is
 * exactly what a query against that index searches for. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "cli.h"
#include "manifest.h"

static void help(void) {
    printf("usage: vsearch analyze [options] TEXT\n\n"
           "Print one line per term: position, term, and the original text it came from.\n"
           "Uses the analyzer configuration of the index when there is one.\n\n"
           "  -i, --index DIR      take the configuration from this index\n"
           "      --no-stem        without an index: no stemming\n"
           "      --stopwords FILE without an index: stopword list ('none' for none)\n"
           "  -h, --help           this help\n");
}

typedef struct actx {
    const char *text;
} actx;

static int on_tok(void *ctx, const vs_token *t) {
    actx *a = ctx;
    printf("%u\t%s\t%.*s\n", t->pos, t->term, (int)(t->end - t->start), a->text + t->start);
    return 0;
}

int cmd_analyze(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "no-stem", no_argument, NULL, 'S' },
        { "stem", no_argument, NULL, 's' }, { "stopwords", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL, *stop = NULL;
    int stem = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'S': stem = 0; break;
        case 's': stem = 1; break;
        case 'w': stop = optarg; break;
        case 'h': help(); return 0;
        default: return cli_usage("analyze", "bad option");
        }
    }
    if (optind != argc - 1) return cli_usage("analyze", "give the text as one argument (quote it)");
    vs_err err;
    vs_err_clear(&err);
    vs_manifest m;
    vs_analyze_config cfg;
    int from_index = 0;
    vs_rc rc = vs_manifest_read(cli_index_dir(dir), &m, &err);
    if (rc == VS_OK) {
        cfg = m.acfg;
        memset(&m.acfg, 0, sizeof m.acfg);
        vs_manifest_free(&m);
        from_index = 1;
    } else if (rc == VS_ENOENT && !dir) {
        vs_analyze_config_default(&cfg);
        cfg.stem = stem;
        if (stop && !strcmp(stop, "none")) cfg.stop_default = 0;
        else if (stop && (rc = vs_analyze_config_load_stopwords(&cfg, stop, &err)) != VS_OK) {
            vs_analyze_config_free(&cfg);
            return cli_fail(&err);
        }
    } else {
        return cli_fail(&err);
    }
    if (from_index && (stop || !stem)) cli_warn("using the analyzer configuration of the index; --no-stem/--stopwords ignored");
    vs_analyzer *an;
    rc = vs_analyze_new(&cfg, &an, &err);
    vs_analyze_config_free(&cfg);
    if (rc != VS_OK) return cli_fail(&err);
    actx a = { argv[optind] };
    rc = vs_analyze_text(an, argv[optind], strlen(argv[optind]), 0, on_tok, &a, NULL, NULL);
    vs_analyze_free(an);
    if (rc != VS_OK) return cli_fail(&(vs_err){ rc, "cannot analyze the text" });
    return 0;
}
