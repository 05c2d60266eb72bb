/* vs_lat.c: vsearch timed by the peers' harness (peerbench.h), so that vsearch and the peer
 * engines go through the very same timing code, query file and statistics — including the
 * 2-word phrase queries, which bench/qbench.c does not run.
 *
 *   vs_lat [-r REPS] [-n NAME] INDEX_DIR QUERIES.tsv
 *
 * Per type: term and or -> vs_search on the words as free text (and: so.and_mode = 1);
 * phrase -> so.syntax = 1 on "w1 w2" (quoted, as bench/queries-reuters.tsv writes it; as bench/qbench.c
 * does). BM25 at vsearch's defaults (k1 0.9, b 0.4),
 * pruned (MaxScore / block-max), snippets off; the ids of the hits are in the vs_results, which
 * is freed inside the timed call (vs_search allocates it; the peers' results are freed inside
 * their calls too). Public API only (<vsearch.h>, libvsearch.a). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vsearch.h>

#include "peerbench.h"

typedef struct vctx {
    vs_index *ix;
    char buf[4096];
} vctx;

static size_t vs_one(void *ctx, const char *type, const char *text, unsigned k) {
    vctx *c = ctx;
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.snippets = 0;
    so.k = k;
    const char *q = text;
    if (strcmp(type, "and") == 0) {
        so.and_mode = 1;
    } else if (strcmp(type, "phrase") == 0) {
        so.syntax = 1; /* the file writes a phrase "w1 w2", quotes included */
        if (text[0] != '"') {
            snprintf(c->buf, sizeof c->buf, "\"%s\"", text);
            q = c->buf;
        }
    }
    vs_results *r;
    vs_err err;
    if (vs_search(c->ix, q, &so, &r, &err) != VS_OK) pb_die(q, err.msg);
    size_t n = r->n;
    vs_results_free(r);
    return n;
}

int main(int argc, char **argv) {
    const char *name = "unnamed";
    int reps = 10, c;
    while ((c = getopt(argc, argv, "r:n:")) != -1) {
        switch (c) {
        case 'r': reps = atoi(optarg); break;
        case 'n': name = optarg; break;
        default:
            fprintf(stderr, "usage: vs_lat [-r REPS] [-n NAME] INDEX_DIR QUERIES.tsv\n");
            return 64;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: vs_lat [-r REPS] [-n NAME] INDEX_DIR QUERIES.tsv\n");
        return 64;
    }
    vctx v;
    vs_err err;
    if (vs_index_open(argv[optind], &v.ix, &err) != VS_OK) pb_die(argv[optind], err.msg);
    pb_latency("vsearch", name, argv[optind + 1], reps, vs_one, &v);
    vs_index_close(v.ix);
    return 0;
}
