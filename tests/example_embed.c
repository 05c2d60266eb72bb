/* example_embed.c: how a C program embeds vsearch — only <vsearch.h> and libvsearch.a.
 * Usage: example_embed INDEX_DIR CORPUS_PATH QUERY
 * Builds an index of CORPUS_PATH in INDEX_DIR, opens it, runs QUERY and prints the hits as
 * "rank<TAB>score<TAB>doc<TAB>passage<TAB>first 60 bytes of the passage". Exit 0 when the
 * query has at least one hit, 1 when none, 2 on error. make test runs it on corpus/. */
#include <stdio.h>
#include <string.h>

#include <vsearch.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s INDEX_DIR CORPUS_PATH QUERY\n", argv[0]);
        return 2;
    }
    vs_err err;
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    vs_build_stats bs;
    const char *paths[] = { argv[2] };
    if (vs_build(argv[1], paths, 1, &bo, &bs, &err) != VS_OK) {
        fprintf(stderr, "build failed: %s\n", err.msg);
        return 2;
    }
    vs_index *ix;
    if (vs_index_open(argv[1], &ix, &err) != VS_OK) {
        fprintf(stderr, "open failed: %s\n", err.msg);
        return 2;
    }
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.k = 3;
    vs_results *r;
    if (vs_search(ix, argv[3], &so, &r, &err) != VS_OK) {
        fprintf(stderr, "search failed: %s\n", err.msg);
        vs_index_close(ix);
        return 2;
    }
    for (size_t i = 0; i < r->n; i++) {
        const vs_hit *h = &r->hits[i];
        printf("%zu\t%.4f\t%s\t%u\t%.60s\n", i + 1, h->score, h->doc, h->passage, h->text);
    }
    int found = r->n > 0;
    vs_results_free(r);
    vs_index_close(ix);
    return found ? 0 : 1;
}
