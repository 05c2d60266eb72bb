/* test_search.c: the build -> open -> search path through the public API: BM25 scores against
 * hand-computed values, tie order, --by doc, explain, snippets, and (with the shared corpora)
 * Reuters-21578 from XML and SGML with pruned top-10 == exhaustive top-10 on 500 queries. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

#include "vsearch.h"

static char tmpdir[64];

static void write_file(const char *dir, const char *name, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static vs_index *build_open(const char *corpus, const char *ixdir, int unit_doc) {
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    bo.unit_doc = unit_doc;
    vs_build_stats st;
    vs_err err;
    const char *paths[] = { corpus };
    vs_rc rc = vs_build(ixdir, paths, 1, &bo, &st, &err);
    if (rc != VS_OK) fail_msg("build: %s", err.msg);
    vs_index *ix;
    rc = vs_index_open(ixdir, &ix, &err);
    if (rc != VS_OK) fail_msg("open: %s", err.msg);
    return ix;
}

static int and_mode;

static vs_results *search(vs_index *ix, const char *q, uint32_t k, int exhaustive, int by_doc) {
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.and_mode = and_mode;
    so.k = k;
    so.exhaustive = exhaustive;
    so.by_doc = by_doc;
    so.explain = 1;
    vs_results *r;
    vs_err err;
    if (vs_search(ix, q, &so, &r, &err) != VS_OK) fail_msg("search '%s': %s", q, err.msg);
    return r;
}

static int setup_tiny(void **state) {
    (void)state;
    assert_int_equal(tu_mkdtemp(tmpdir, sizeof tmpdir, "search"), 0);
    char c[128];
    snprintf(c, sizeof c, "%s/c", tmpdir);
    mkdir(c, 0755);
    /* Three one-passage documents (title line, blank line, body). Lengths after stopwords:
     * a: "cocoa cocoa rain"      -> 3 terms
     * b: "cocoa export fell"     -> 3 terms ("exports" stems to "export")
     * c: "rain rain rain delay"  -> 4 terms */
    write_file(c, "a.txt", "A\n\nCocoa cocoa and rain.\n");
    write_file(c, "b.txt", "B\n\nCocoa exports fell.\n");
    write_file(c, "c.txt", "C\n\nRain rain rain delay.\n");
    return 0;
}

static int teardown_tiny(void **state) {
    (void)state;
    return tu_rmtree(tmpdir);
}

static void test_bm25_hand_computed(void **state) {
    (void)state;
    char c[128], ix[128];
    snprintf(c, sizeof c, "%s/c", tmpdir);
    snprintf(ix, sizeof ix, "%s/ix", tmpdir);
    vs_index *x = build_open(c, ix, 0);
    vs_results *r = search(x, "cocoa", 10, 0, 0);
    /* N = 3, avglen = 10/3, df(cocoa) = 2: idf = ln(1 + (3 - 2 + 0.5)/(2 + 0.5)) = ln(1.6).
     * a: tf 2, len 3: 2 / (2 + 0.9 * (0.6 + 0.4 * 3 / (10/3))) = 2 / (2 + 0.9 * 0.96) = 2 / 2.864
     * b: tf 1, len 3: 1 / (1 + 0.864) = 1 / 1.864 */
    double idf = log(1.6);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->N, 3);
    assert_true(fabs(r->avglen - 10.0 / 3.0) < 1e-12);
    assert_string_equal(r->hits[0].doc, strcat(strcpy((char[160]){0}, c), "/a.txt"));
    assert_true(fabs(r->hits[0].score - idf * 2.0 / 2.864) < 1e-12);
    assert_true(fabs(r->hits[1].score - idf * 1.0 / 1.864) < 1e-12);
    assert_int_equal(r->hits[0].explain[0].tf, 2);
    assert_int_equal(r->hits[0].explain[0].df, 2);
    assert_true(fabs(r->hits[0].explain[0].idf - idf) < 1e-15);
    assert_true(r->hits[0].explain[0].contribution == r->hits[0].score);
    vs_results_free(r);
    /* Two terms: score is the sum in query-term order; "rain" df = 2 too.
     * c: rain tf 3, len 4: 3 / (3 + 0.9 * (0.6 + 0.4 * 4 * 3 / 10)) = 3 / (3 + 0.9 * 1.08) */
    r = search(x, "rain cocoa", 10, 0, 0);
    assert_int_equal(r->n, 3);
    double a = idf * 1.0 / 1.864 + idf * 2.0 / 2.864;
    double cc = idf * 3.0 / (3.0 + 0.9 * 1.08);
    assert_true(fabs(r->hits[0].score - a) < 1e-12);
    assert_true(strstr(r->hits[0].doc, "a.txt") != NULL);
    assert_true(fabs(r->hits[1].score - cc) < 1e-12);
    assert_string_equal(r->hits[0].snippet, "Cocoa cocoa and rain.");
    assert_int_equal(r->hits[0].n_marks, 3);
    vs_results_free(r);
    /* Nothing indexed for stopwords or unknown words. */
    r = search(x, "the and zebra", 10, 0, 0);
    assert_int_equal(r->n, 0);
    vs_results_free(r);
    vs_index_close(x);
}

static void test_ties_by_external_id(void **state) {
    (void)state;
    char c[128], ix[128];
    snprintf(c, sizeof c, "%s/t", tmpdir);
    snprintf(ix, sizeof ix, "%s/tix", tmpdir);
    mkdir(c, 0755);
    /* identical documents: equal scores, ordered by id (path) bytes, then passage number */
    write_file(c, "b.txt", "T\n\nWheat harvest.\n\nWheat harvest.\n");
    write_file(c, "a.txt", "T\n\nWheat harvest.\n");
    write_file(c, "c.txt", "T\n\nWheat harvest.\n");
    vs_index *x = build_open(c, ix, 0);
    for (int ex = 0; ex < 2; ex++) {
        vs_results *r = search(x, "wheat", 3, ex, 0);
        assert_int_equal(r->n, 3);
        assert_true(strstr(r->hits[0].doc, "/a.txt") != NULL);
        assert_true(strstr(r->hits[1].doc, "/b.txt") != NULL);
        assert_int_equal(r->hits[1].passage, 1);
        assert_true(strstr(r->hits[2].doc, "/b.txt") != NULL);
        assert_int_equal(r->hits[2].passage, 2);
        assert_true(r->hits[0].score == r->hits[2].score);
        vs_results_free(r);
        r = search(x, "wheat", 10, ex, 1); /* by doc: one hit per document, best passage */
        assert_int_equal(r->n, 3);
        assert_int_equal(r->hits[1].passage, 1);
        vs_results_free(r);
    }
    vs_index_close(x);
}

static void test_sample_article(void **state) {
    (void)state;
    char ix[128];
    snprintf(ix, sizeof ix, "%s/sample", tmpdir);
    vs_index *x = build_open("../corpus", ix, 0);
    vs_results *r = search(x, "security cooperation", 10, 0, 0);
    assert_true(r->n >= 1);
    assert_true(strncmp(r->hits[0].text, "Security Cooperation: Countering Regional Threats\nSecurity cooperation was a major theme", 88) == 0);
    assert_string_equal(r->hits[0].title, "Putin In Uzbekistan: Key Highlights & What It Means");
    vs_results_free(r);
    r = search(x, "trade agreements", 1, 0, 0);
    assert_int_equal(r->n, 1);
    assert_non_null(strstr(r->hits[0].text, "trade agreements"));
    vs_results_free(r);
    vs_index_close(x);
}

/* ---- Reuters: XML and SGML, pruned == exhaustive ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)rng;
}

static vs_index *build_reuters(const char *sub, const char *ext, const char *ixname) {
    const char *corp = tu_corpora();
    char *paths[22];
    for (int i = 0; i < 22; i++) {
        paths[i] = malloc(4200);
        snprintf(paths[i], 4200, "%s/%s/reut2-%03d.%s", corp, sub, i, ext);
    }
    char ix[128];
    snprintf(ix, sizeof ix, "%s/%s", tmpdir, ixname);
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    vs_build_stats st;
    vs_err err;
    vs_rc rc = vs_build(ix, (const char *const *)paths, 22, &bo, &st, &err);
    for (int i = 0; i < 22; i++) free(paths[i]);
    if (rc != VS_OK) fail_msg("build %s: %s", sub, err.msg);
    assert_int_equal(st.docs, 21578);
    vs_index *x;
    if (vs_index_open(ix, &x, &err) != VS_OK) fail_msg("open: %s", err.msg);
    vs_index_stats s;
    assert_int_equal(vs_index_stats_get(x, &s, &err), VS_OK);
    assert_int_equal(s.documents, 21578);
    if (vs_index_check(x, &err) != VS_OK) fail_msg("check: %s", err.msg);
    return x;
}

static void compare_pruned_exhaustive(vs_index *x, int nqueries) {
    /* Queries: 1-4 words taken from the text of random hits for random seed words, so they
     * mix frequent and rare terms the way real queries do. */
    const char *seeds[] = { "oil", "bank", "wheat", "dollar", "shares", "coffee", "gold", "trade",
                            "profit", "japan", "rates", "sugar", "strike", "merger", "crude" };
    char q[512];
    int checked = 0;
    uint64_t work_pruned = 0, work_exhaustive = 0;
    for (int i = 0; i < nqueries; i++) {
        vs_results *s = search(x, seeds[rnd() % 15], 50, 0, 0);
        if (s->n == 0) { vs_results_free(s); continue; }
        const char *t = s->hits[rnd() % s->n].text;
        /* pick words */
        char words[64][32];
        int nw = 0;
        for (const char *p = t; *p && nw < 64;) {
            while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) p++;
            int n = 0;
            while (*p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
                if (n < 31) words[nw][n++] = *p;
                p++;
            }
            if (n) { words[nw][n] = '\0'; nw++; }
        }
        vs_results_free(s);
        if (nw == 0) continue;
        int k = 1 + (int)(rnd() % 4);
        q[0] = '\0';
        for (int j = 0; j < k; j++) {
            strcat(q, words[rnd() % nw]);
            strcat(q, " ");
        }
        int by_doc = (i % 5) == 4;
        and_mode = (i % 3) == 2; /* a third of the queries conjunctive */
        vs_results *a = search(x, q, 10, 0, by_doc), *b = search(x, q, 10, 1, by_doc);
        if (a->n != b->n) fail_msg("query '%s': %zu hits pruned vs %zu exhaustive", q, a->n, b->n);
        for (size_t h = 0; h < a->n; h++) {
            if (strcmp(a->hits[h].doc, b->hits[h].doc) != 0 || a->hits[h].passage != b->hits[h].passage ||
                fabs(a->hits[h].score - b->hits[h].score) > 1e-6)
                fail_msg("query '%s' hit %zu: %s#%u %.9f vs %s#%u %.9f", q, h, a->hits[h].doc, a->hits[h].passage,
                         a->hits[h].score, b->hits[h].doc, b->hits[h].passage, b->hits[h].score);
            assert_true(a->hits[h].score == b->hits[h].score); /* same summation: bit-identical */
        }
        and_mode = 0;
        checked++;
        work_pruned += a->scored;
        work_exhaustive += b->scored;
        vs_results_free(a);
        vs_results_free(b);
    }
    assert_true(checked >= nqueries * 9 / 10);
    /* pruning must actually skip work (else this test proves nothing about it) */
    print_message("postings scored: pruned %llu, exhaustive %llu\n", (unsigned long long)work_pruned,
                  (unsigned long long)work_exhaustive);
    assert_true(work_pruned < work_exhaustive);
}

static void test_reuters_xml(void **state) {
    (void)state;
    TU_SKIP_NO_CORPORA(tu_corpora());
    vs_index *x = build_reuters("reuters21578", "xml", "rxml");
    compare_pruned_exhaustive(x, 500);
    vs_index_close(x);
}

static void test_reuters_sgml(void **state) {
    (void)state;
    TU_SKIP_NO_CORPORA(tu_corpora());
    vs_index *x = build_reuters("reuters21578-sgml", "sgm", "rsgml");
    vs_results *r = search(x, "bahia cocoa", 1, 0, 1);
    assert_int_equal(r->n, 1);
    assert_string_equal(r->hits[0].doc, "1"); /* NEWID 1: BAHIA COCOA REVIEW */
    vs_results_free(r);
    compare_pruned_exhaustive(x, 500);
    vs_index_close(x);
}


/* The title field: BM25 with the title's own statistics (Lucene's per-field N, df, avglen),
 * added to every passage of the document, worked out by hand. */
static vs_results *tsearch(vs_index *ix, const char *q, int syntax, double tw, int and_m) {
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.syntax = syntax;
    so.title_weight = tw;
    so.and_mode = and_m;
    so.k = 100;
    so.explain = 1;
    vs_results *r;
    vs_err err;
    if (vs_search(ix, q, &so, &r, &err) != VS_OK) fail_msg("search '%s': %s", q, err.msg);
    return r;
}

static void test_title_bm25_hand_computed(void **state) {
    (void)state;
    char c[128], ix[128];
    snprintf(c, sizeof c, "%s/tt", tmpdir);
    snprintf(ix, sizeof ix, "%s/ttix", tmpdir);
    mkdir(c, 0755);
    /* titles (first line) and their indexed tokens:
     * d1 "Cocoa Prices Rise" -> cocoa price rise (3), two passages
     * d2 "Cocoa and cocoa"   -> cocoa cocoa (2: "and" is a stopword but keeps its position)
     * d3 "Coffee"            -> coffe (1) */
    write_file(c, "d1.txt", "Cocoa Prices Rise\n\nTraders said cocoa rose.\n\nRain helped the crop.\n");
    write_file(c, "d2.txt", "Cocoa and cocoa\n\nNothing here.\n");
    write_file(c, "d3.txt", "Coffee\n\nCocoa futures.\n");
    vs_index *x = build_open(c, ix, 0);
    /* N_T = 3, avgtlen = 6 / 3 = 2, df_T(cocoa) = 2: idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6)
     * d2: tf 2, tlen 2: 2 / (2 + 0.9 * (0.6 + 0.4 * 2 / 2)) = 2 / 2.9
     * d1: tf 1, tlen 3: 1 / (1 + 0.9 * (0.6 + 0.4 * 3 / 2)) = 1 / 2.08, on both passages */
    vs_results *r = tsearch(x, "title:cocoa", 1, 0.0, 0);
    double idf = log(1.6);
    assert_int_equal(r->n, 3);
    assert_non_null(strstr(r->hits[0].doc, "d2.txt"));
    assert_true(fabs(r->hits[0].score - idf * 2.0 / 2.9) < 1e-12);
    assert_non_null(strstr(r->hits[1].doc, "d1.txt"));
    assert_int_equal(r->hits[1].passage, 1);
    assert_non_null(strstr(r->hits[2].doc, "d1.txt"));
    assert_int_equal(r->hits[2].passage, 2);
    assert_true(fabs(r->hits[1].score - idf / 2.08) < 1e-12);
    assert_true(r->hits[1].score == r->hits[2].score);
    const vs_term_explain *e = &r->hits[1].explain[0];
    assert_string_equal(e->term, "title:cocoa");
    assert_true(e->title);
    assert_int_equal(e->tf, 1);
    assert_int_equal(e->df, 2);
    assert_int_equal(e->len, 3);
    assert_int_equal(e->N, 3);
    assert_true(fabs(e->avglen - 2.0) < 1e-15);
    assert_true(e->contribution == r->hits[1].score);
    /* highlighting is the text's: a title clause marks nothing in it */
    assert_int_equal(r->hits[1].n_marks, 0);
    vs_results_free(r);
    /* a title phrase: "cocoa price" only in d1; idf = ln(1.6) + ln(1 + 2.5 / 1.5); d2's
     * "cocoa and cocoa" is not the phrase "cocoa cocoa" (the stopword keeps its position) */
    r = tsearch(x, "title:\"cocoa prices\"", 1, 0.0, 0);
    assert_int_equal(r->n, 2);
    assert_true(fabs(r->hits[0].score - (idf + log(1.0 + 2.5 / 1.5)) / 2.08) < 1e-12);
    vs_results_free(r);
    r = tsearch(x, "title:\"cocoa cocoa\"", 1, 0.0, 0);
    assert_int_equal(r->n, 0);
    vs_results_free(r);
    r = tsearch(x, "title:\"cocoa and cocoa\"", 1, 0.0, 0);
    assert_int_equal(r->n, 1);
    vs_results_free(r);
    /* boost, and a title clause inside boolean structure */
    r = tsearch(x, "title:cocoa^2 -title:rise", 1, 0.0, 0);
    assert_int_equal(r->n, 1);
    assert_true(fabs(r->hits[0].score - 2.0 * idf * 2.0 / 2.9) < 1e-12);
    vs_results_free(r);
    r = tsearch(x, "+title:cocoa +rain", 1, 0.0, 0);
    assert_int_equal(r->n, 1);
    assert_non_null(strstr(r->hits[0].doc, "d1.txt"));
    assert_int_equal(r->hits[0].passage, 2);
    vs_results_free(r);
    /* --title-weight on free text: "cocoa" also scores title:cocoa with weight 0.5; d2 matches
     * through its title alone (its text has no cocoa), with half the title-only score */
    r = tsearch(x, "cocoa", 0, 0.5, 0);
    assert_int_equal(r->n_terms, 2);
    assert_string_equal(r->terms[1], "title:cocoa");
    int seen_d2 = 0;
    for (size_t i = 0; i < r->n; i++) {
        const vs_hit *h = &r->hits[i];
        assert_true(h->explain[0].contribution + h->explain[1].contribution == h->score);
        if (strstr(h->doc, "d2.txt")) {
            seen_d2 = 1;
            assert_true(fabs(h->score - 0.5 * idf * 2.0 / 2.9) < 1e-12);
        }
    }
    assert_true(seen_d2);
    assert_int_equal(r->n, 4); /* d1 (2 passages), d2, d3 */
    vs_results_free(r);
    /* with --and the title clauses stay optional: d2 has no cocoa in its text */
    r = tsearch(x, "cocoa", 0, 0.5, 1);
    assert_int_equal(r->n, 2);
    for (size_t i = 0; i < r->n; i++) assert_null(strstr(r->hits[i].doc, "d2.txt"));
    vs_results_free(r);
    vs_index_close(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bm25_hand_computed),
        cmocka_unit_test(test_ties_by_external_id),
        cmocka_unit_test(test_title_bm25_hand_computed),
        cmocka_unit_test(test_sample_article),
        cmocka_unit_test(test_reuters_xml),
        cmocka_unit_test(test_reuters_sgml),
    };
    return cmocka_run_group_tests_name("search", tests, setup_tiny, teardown_tiny);
}
