/* test_query.c: the query path as a whole.
 *  - property: for thousands of random queries (1-6 terms, OR and AND, free text and the query
 *    language with phrases, required and excluded clauses; k in {1, 10, 100, 1000}; by passage
 *    and by document), the pruned top-k equals the exhaustive top-k: same hits in the same
 *    order, bit-identical scores. Over a generated news collection (bin/vs-gencorpus) and
 *    Reuters-21578 when the shared corpora are present.
 *    Title clauses (title:word, title:"a b", under +/-/boosts) and --title-weight are mixed in.
 *  - phrases: every phrase query's hits are exactly the passages a brute-force scan of the
 *    analyzed tokens finds (Reuters); every title phrase's hits are exactly the passages of the
 *    documents whose analyzed title has it.
 *  - the query language end to end on the sample article. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

#include "ixread.h"
#include "vsearch.h"

static char tmpdir[64];
static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)rng;
}

static int setup(void **state) {
    (void)state;
    return tu_mkdtemp(tmpdir, sizeof tmpdir, "query");
}

static int teardown(void **state) {
    (void)state;
    return tu_rmtree(tmpdir);
}

static vs_index *build(const char *const *paths, size_t n, const char *name) {
    char ix[160];
    snprintf(ix, sizeof ix, "%s/%s", tmpdir, name);
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    vs_build_stats st;
    vs_err err;
    if (vs_build(ix, paths, n, &bo, &st, &err) != VS_OK) fail_msg("build: %s", err.msg);
    vs_index *x;
    if (vs_index_open(ix, &x, &err) != VS_OK) fail_msg("open: %s", err.msg);
    return x;
}

/* Letters-only words of text appended to words[*nw..max). */
static void add_words(const char *p, const char *end, char words[][32], size_t *nw, size_t max) {
    while (p < end && *nw < max) {
        while (p < end && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) p++;
        size_t n = 0;
        while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
            if (n < 31) words[*nw][n++] = *p;
            p++;
        }
        if (n) { words[*nw][n] = '\0'; (*nw)++; }
    }
}

/* Words of a random passage's title (*nt of them, first), then of its text, as typed. */
static size_t random_words_t(vs_index *ix, char words[][32], size_t max, size_t *nt) {
    vs_buf t = VS_BUF_INIT;
    vs_err err;
    size_t nw = 0;
    for (int tries = 0; tries < 20 && nw < 2; tries++) {
        size_t s = rnd() % ix->n_seg;
        const vs_segment_meta *m = vs_segment_get_meta(ix->seg[s]);
        uint32_t pid = rnd() % m->n_passages;
        vs_passage_info pi;
        vs_doc_info di;
        assert_int_equal(vs_segment_passage(ix->seg[s], pid, &pi, &err), VS_OK);
        assert_int_equal(vs_segment_doc(ix->seg[s], pi.doc, &di, &err), VS_OK);
        nw = 0;
        add_words(di.title, di.title + di.title_len, words, &nw, max / 2);
        *nt = nw;
        assert_int_equal(vs_segment_text(ix->seg[s], pid, &t, &err), VS_OK);
        add_words((const char *)t.p, (const char *)t.p + t.len, words, &nw, max);
    }
    vs_buf_free(&t);
    return nw;
}

static vs_results *run(vs_index *ix, const char *q, const vs_search_opts *so) {
    vs_results *r;
    vs_err err;
    if (vs_search(ix, q, so, &r, &err) != VS_OK) fail_msg("query '%s': %s", q, err.msg);
    return r;
}

static void property(vs_index *ix, int nqueries) {
    static const uint32_t ks[] = { 1, 10, 100, 1000 };
    char words[256][32], q[1024];
    uint64_t pruned = 0, exhaustive = 0;
    for (int i = 0; i < nqueries; i++) {
        size_t ntw = 0;
        size_t nw = random_words_t(ix, words, 256, &ntw);
        if (nw < 2) continue;
        vs_search_opts so;
        vs_search_opts_default(&so);
        so.snippets = 0;
        static const double tws[] = { 0.0, 0.4, 1.7 };
        so.title_weight = tws[rnd() % 3];
        so.k = ks[rnd() % 4];
        so.by_doc = rnd() % 4 == 0;
        int kind = (int)(rnd() % 4); /* 0 OR, 1 AND, 2/3 query language */
        size_t nt = 1 + rnd() % 6;
        q[0] = '\0';
        if (kind < 2) {
            so.and_mode = kind == 1;
            for (size_t j = 0; j < nt; j++) {
                strcat(q, words[rnd() % nw]);
                strcat(q, " ");
            }
        } else {
            so.syntax = 1;
            so.and_mode = kind == 3;
            for (size_t j = 0; j < nt; j++) {
                uint32_t c = rnd() % 6, w = rnd() % nw;
                /* one clause in three on the title field, mostly with the title's words */
                int title = rnd() % 3 == 0;
                if (title && ntw > 0 && rnd() % 4 != 0) w = rnd() % ntw;
                if (title && c == 1 && j == 0) c = 4;
                if (title && c == 1) { strcat(q, "-title:"); strcat(q, words[w]); strcat(q, " "); continue; }
                if (title && c == 2) { strcat(q, "+title:"); strcat(q, words[w]); strcat(q, " "); continue; }
                if (title) strcat(q, "title:");
                if (c == 0 && w + 1 < nw) { /* a phrase of two or three consecutive words */
                    strcat(q, "\"");
                    strcat(q, words[w]);
                    strcat(q, " ");
                    strcat(q, words[w + 1]);
                    if (w + 2 < nw && rnd() % 2) { strcat(q, " "); strcat(q, words[w + 2]); }
                    strcat(q, "\" ");
                    continue;
                }
                if (c == 1 && j > 0) strcat(q, "-");
                if (c == 2) strcat(q, "+");
                strcat(q, words[w]);
                if (c == 3) strcat(q, "^2.5");
                strcat(q, " ");
            }
        }
        vs_results *a = run(ix, q, &so);
        so.exhaustive = 1;
        vs_results *b = run(ix, q, &so);
        if (a->n != b->n) fail_msg("'%s' (k %u, kind %d, by_doc %d): %zu pruned hits vs %zu", q, so.k, kind, so.by_doc, a->n, b->n);
        for (size_t h = 0; h < a->n; h++)
            if (strcmp(a->hits[h].doc, b->hits[h].doc) != 0 || a->hits[h].passage != b->hits[h].passage ||
                a->hits[h].score != b->hits[h].score)
                fail_msg("'%s' (k %u, kind %d) hit %zu: %s#%u %.17g vs %s#%u %.17g", q, so.k, kind, h, a->hits[h].doc,
                         a->hits[h].passage, a->hits[h].score, b->hits[h].doc, b->hits[h].passage, b->hits[h].score);
        pruned += a->scored;
        exhaustive += b->scored;
        vs_results_free(a);
        vs_results_free(b);
    }
    print_message("%d queries: postings scored pruned %llu, exhaustive %llu\n", nqueries,
                  (unsigned long long)pruned, (unsigned long long)exhaustive);
    assert_true(pruned < exhaustive);
}

static void test_property_generated(void **state) {
    (void)state;
    if (access("../bin/vs-gencorpus", X_OK) != 0) {
        print_message("skipped: ../bin/vs-gencorpus not built\n");
        skip();
    }
    char cmd[256], dir[160];
    snprintf(dir, sizeof dir, "%s/gen", tmpdir);
    snprintf(cmd, sizeof cmd, "../bin/vs-gencorpus --format trec --docs 4000 --seed 7 -o %s", dir);
    assert_int_equal(system(cmd), 0);
    const char *paths[] = { dir };
    vs_index *ix = build(paths, 1, "genix");
    property(ix, 2000);
    vs_index_close(ix);
}

static void test_property_reuters(void **state) {
    (void)state;
    const char *c = tu_corpora();
    TU_SKIP_NO_CORPORA(c);
    char p[4200];
    snprintf(p, sizeof p, "%s/reuters21578-sgml", c);
    const char *paths[] = { p };
    vs_index *ix = build(paths, 1, "rix");
    property(ix, 1000);
    vs_index_close(ix);
}

/* ---- phrases against a brute-force scan ---- */

typedef struct toks {
    char **t;
    uint32_t *pos;
    size_t n, cap;
} toks;

static int collect(void *ctx, const vs_token *t) {
    toks *k = ctx;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->t = realloc(k->t, k->cap * sizeof *k->t);
        k->pos = realloc(k->pos, k->cap * sizeof *k->pos);
    }
    k->t[k->n] = strndup(t->term, t->len);
    k->pos[k->n] = t->pos;
    k->n++;
    return 0;
}

static void toks_free(toks *k) {
    for (size_t i = 0; i < k->n; i++) free(k->t[i]);
    free(k->t);
    free(k->pos);
}

static void test_phrases_brute_force(void **state) {
    (void)state;
    const char *c = tu_corpora();
    TU_SKIP_NO_CORPORA(c);
    char p[4200];
    snprintf(p, sizeof p, "%s/reuters21578-sgml", c);
    const char *paths[] = { p };
    vs_index *ix = build(paths, 1, "rix2");
    vs_err err;
    /* analyze every passage once */
    const vs_segment_meta *m = vs_segment_get_meta(ix->seg[0]);
    toks *all = calloc(m->n_passages, sizeof *all);
    vs_buf t = VS_BUF_INIT;
    for (uint32_t pid = 0; pid < m->n_passages; pid++) {
        assert_int_equal(vs_segment_text(ix->seg[0], pid, &t, &err), VS_OK);
        assert_int_equal(vs_index_analyze(ix, (const char *)t.p, t.len, collect, &all[pid], &err), VS_OK);
    }
    vs_buf_free(&t);
    int checked = 0, with_hits = 0;
    for (int i = 0; i < 150; i++) {
        /* a phrase of 2-3 consecutive analyzed tokens of a random passage */
        uint32_t pid = rnd() % m->n_passages;
        toks *k = &all[pid];
        size_t len = 2 + rnd() % 2;
        if (k->n < len + 1) continue;
        size_t at = rnd() % (k->n - len);
        char q[512] = "\"";
        for (size_t j = 0; j < len; j++) {
            if (j) strcat(q, " ");
            strcat(q, k->t[at + j]);
        }
        strcat(q, "\"");
        uint32_t off[3];
        for (size_t j = 0; j < len; j++) off[j] = k->pos[at + j] - k->pos[at];
        /* brute force: passages with tokens t0@p, t1@p+off1, ... */
        uint8_t *want = calloc(m->n_passages, 1);
        size_t nwant = 0;
        for (uint32_t x = 0; x < m->n_passages; x++) {
            toks *y = &all[x];
            for (size_t a = 0; a < y->n && !want[x]; a++) {
                if (strcmp(y->t[a], k->t[at]) != 0) continue;
                size_t ok = 1;
                for (size_t j = 1; j < len && ok; j++) {
                    ok = 0;
                    for (size_t b = a + 1; b < y->n && y->pos[b] <= y->pos[a] + off[j]; b++)
                        if (y->pos[b] == y->pos[a] + off[j] && strcmp(y->t[b], k->t[at + j]) == 0) ok = 1;
                }
                if (ok) want[x] = 1;
            }
            nwant += want[x];
        }
        /* The analyzer positions are what the query's phrase offsets come from too, so the
         * query text "t0 t1" analyzes to offsets 0, 1, ... only when the scanned tokens were
         * adjacent: skip phrases whose tokens had a stopword gap. */
        int adjacent = 1;
        for (size_t j = 0; j < len; j++) adjacent &= off[j] == j;
        /* and the query's words must analyze back to the same terms (a stem such as "it",
         * from "its", is a stopword when typed) */
        toks back = { 0 };
        assert_int_equal(vs_index_analyze(ix, q, strlen(q), collect, &back, &err), VS_OK);
        int same = back.n == len;
        for (size_t j = 0; same && j < len; j++) same = strcmp(back.t[j], k->t[at + j]) == 0 && back.pos[j] == j;
        toks_free(&back);
        if (!adjacent || !same) { free(want); continue; }
        vs_search_opts so;
        vs_search_opts_default(&so);
        so.syntax = 1;
        so.snippets = 0;
        so.title_weight = 0; /* the text's phrase matches only */
        so.k = 100000;
        vs_results *r = run(ix, q, &so);
        if (r->n != nwant) fail_msg("%s: %zu hits, brute force finds %zu", q, r->n, nwant);
        for (size_t h = 0; h < r->n; h++) {
            /* map hit -> passage id: doc's first passage + pno - 1 */
            uint32_t d;
            int found;
            assert_int_equal(vs_segment_find_doc(ix->seg[0], r->hits[h].doc, strlen(r->hits[h].doc), &d, &found, &err), VS_OK);
            vs_doc_info di;
            assert_int_equal(vs_segment_doc(ix->seg[0], d, &di, &err), VS_OK);
            uint32_t hp = di.first_passage + r->hits[h].passage - 1;
            if (!want[hp]) fail_msg("%s: hit %s#%u is not a phrase match", q, r->hits[h].doc, r->hits[h].passage);
        }
        with_hits += r->n > 0;
        checked++;
        vs_results_free(r);
        free(want);
    }
    print_message("phrases checked: %d (%d with hits)\n", checked, with_hits);
    assert_true(checked >= 50);
    for (uint32_t pid = 0; pid < m->n_passages; pid++) toks_free(&all[pid]);
    free(all);
    vs_index_close(ix);
}


/* title:"a b" against a brute-force scan of the analyzed titles: the hits (by document) are
 * exactly the documents with passages whose title has the phrase (Reuters TITLE elements). */
static void test_title_phrases_brute_force(void **state) {
    (void)state;
    const char *c = tu_corpora();
    TU_SKIP_NO_CORPORA(c);
    char p[4200];
    snprintf(p, sizeof p, "%s/reuters21578-sgml", c);
    const char *paths[] = { p };
    vs_index *ix = build(paths, 1, "rix3");
    vs_err err;
    vs_segment *sg = ix->seg[0];
    const vs_segment_meta *m = vs_segment_get_meta(sg);
    toks *all = calloc(m->n_docs, sizeof *all);
    uint8_t *has = calloc(m->n_docs, 1);
    uint64_t ntitled = 0;
    for (uint32_t d = 0; d < m->n_docs; d++) {
        vs_doc_info di;
        assert_int_equal(vs_segment_doc(sg, d, &di, &err), VS_OK);
        has[d] = di.n_passages > 0;
        assert_int_equal(vs_index_analyze(ix, di.title, di.title_len, collect, &all[d], &err), VS_OK);
        uint32_t tl;
        assert_int_equal(vs_segment_tlen(sg, d, &tl, &err), VS_OK);
        assert_int_equal(tl, has[d] ? all[d].n : 0); /* TLENS = analyzed title tokens */
        ntitled += has[d] && all[d].n > 0;
    }
    assert_int_equal(ix->NT, ntitled);
    assert_true(ntitled > 15000);
    int checked = 0, multi = 0;
    for (int i = 0; i < 200; i++) {
        uint32_t d0 = rnd() % m->n_docs;
        toks *k = &all[d0];
        size_t len = 1 + rnd() % 3;
        if (!has[d0] || k->n < len) continue;
        size_t at = rnd() % (k->n - len + 1);
        int adjacent = 1;
        for (size_t j = 1; j < len; j++) adjacent &= k->pos[at + j] == k->pos[at] + j;
        if (!adjacent) continue;
        char q[600] = "title:\"";
        for (size_t j = 0; j < len; j++) {
            if (j) strcat(q, " ");
            strcat(q, k->t[at + j]);
        }
        strcat(q, "\"");
        toks back = { 0 };
        assert_int_equal(vs_index_analyze(ix, q + 6, strlen(q + 6), collect, &back, &err), VS_OK);
        int same = back.n == len;
        for (size_t j = 0; same && j < len; j++) same = strcmp(back.t[j], k->t[at + j]) == 0 && back.pos[j] == j;
        toks_free(&back);
        if (!same) continue;
        uint8_t *want = calloc(m->n_docs, 1);
        size_t nwant = 0;
        for (uint32_t d = 0; d < m->n_docs; d++) {
            toks *y = &all[d];
            if (!has[d]) continue;
            for (size_t a = 0; a + len <= y->n && !want[d]; a++) {
                size_t j = 0;
                while (j < len && strcmp(y->t[a + j], k->t[at + j]) == 0 && y->pos[a + j] == y->pos[a] + j) j++;
                if (j == len) want[d] = 1;
            }
            nwant += want[d];
        }
        vs_search_opts so;
        vs_search_opts_default(&so);
        so.syntax = 1;
        so.snippets = 0;
        so.by_doc = 1;
        so.title_weight = 0;
        so.k = 100000;
        vs_results *r = run(ix, q, &so);
        if (r->n != nwant) fail_msg("%s: %zu documents, brute force finds %zu", q, r->n, nwant);
        for (size_t h = 0; h < r->n; h++) {
            uint32_t d;
            int found;
            assert_int_equal(vs_segment_find_doc(sg, r->hits[h].doc, strlen(r->hits[h].doc), &d, &found, &err), VS_OK);
            if (!want[d]) fail_msg("%s: %s does not have it in its title", q, r->hits[h].doc);
        }
        vs_results_free(r);
        free(want);
        checked++;
        multi += len > 1;
    }
    print_message("title phrases checked: %d (%d of 2-3 words)\n", checked, multi);
    assert_true(checked >= 100 && multi >= 40);
    /* Reuters' "BAHIA COCOA REVIEW" is found through its title */
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.syntax = 1;
    so.by_doc = 1;
    so.k = 1000;
    vs_results *r = run(ix, "title:cocoa", &so);
    int bahia = 0;
    for (size_t h = 0; h < r->n; h++) bahia |= strcmp(r->hits[h].title, "BAHIA COCOA REVIEW") == 0;
    assert_true(bahia);
    vs_results_free(r);
    for (uint32_t d = 0; d < m->n_docs; d++) toks_free(&all[d]);
    free(all);
    free(has);
    vs_index_close(ix);
}

static void test_language_on_sample(void **state) {
    (void)state;
    const char *paths[] = { "../corpus" };
    vs_index *ix = build(paths, 1, "sample");
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.syntax = 1;
    so.k = 100;
    vs_results *r = run(ix, "\"security cooperation\"", &so);
    assert_true(r->n >= 3);
    for (size_t i = 0; i < r->n; i++) {
        char *low = strdup(r->hits[i].text);
        for (char *p = low; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        assert_non_null(strstr(low, "security cooperation"));
        free(low);
    }
    vs_results_free(r);
    r = run(ix, "+uzbekistan +trade -energy", &so);
    for (size_t i = 0; i < r->n; i++) {
        assert_null(strstr(r->hits[i].text, "energy"));
        assert_non_null(strstr(r->hits[i].text, "Uzbekistan"));
    }
    vs_results_free(r);
    /* "security" alone vs boosted: same hits, scores scale by the boost */
    so.k = 5;
    vs_results *a = run(ix, "security", &so), *b = run(ix, "security^2.5", &so);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) assert_true(fabs(b->hits[i].score - 2.5 * a->hits[i].score) < 1e-9);
    vs_results_free(a);
    vs_results_free(b);
    /* malformed */
    vs_err err;
    assert_int_equal(vs_search(ix, "(trade", &so, &r, &err), VS_EUSAGE);
    assert_string_equal(err.msg, "unbalanced '(': no matching ')' at position 1");
    /* the title field: every passage of the article (its title has Putin), whatever its text */
    so.k = 1000;
    so.title_weight = 0;
    r = run(ix, "title:putin", &so);
    vs_results *all = run(ix, "title:uzbekistan OR uzbekistan OR NOT zzzz", &so);
    assert_true(r->n > 10);
    for (size_t i = 0; i < r->n; i++) assert_int_equal(r->hits[i].passage, i + 1);
    vs_results_free(r);
    vs_results_free(all);
    r = run(ix, "title:\"putin in uzbekistan\"", &so);
    assert_true(r->n > 10);
    vs_results_free(r);
    r = run(ix, "title:\"uzbekistan putin\"", &so);
    assert_int_equal(r->n, 0);
    vs_results_free(r);
    vs_index_close(ix);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_language_on_sample),
        cmocka_unit_test(test_property_generated),
        cmocka_unit_test(test_property_reuters),
        cmocka_unit_test(test_phrases_brute_force),
        cmocka_unit_test(test_title_phrases_brute_force),
    };
    return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
