/* fuzz_segment.c: open and query a segment from arbitrary bytes (vs_segment_open_mem, STYLE §8).
 *
 * Each input runs twice: as given (magic, trailer and checksum checks) and with every checksum
 * recomputed by fz_fix_segment() (the structural checks and every reader behind them). For each
 * segment that opens: list the dictionary, look every listed term up again, walk each term's
 * cursor (next, seek, positions, block bounds), read documents, passages and stored text, find
 * documents by id, read the title field (title part of the dictionary, title lengths, each
 * passage's document span), run vs_segment_check, and run searches through an index made of this
 * one segment (BM25 OR and AND, by doc, QL, RM3, the query language with a phrase, +, -, a group
 * and a title: clause; title clauses are added to every search as `query` does).
 *
 * Invariants: nothing crashes or reads outside the buffer (it is an exact-size copy); every
 * failure is VS_ECORRUPT or VS_EVERSION with a message naming the segment; a term the dictionary
 * lists is found by lookup with the same postings metadata; when vs_segment_check accepts the
 * segment, every cursor ends without error, and pruned search returns exactly what exhaustive
 * search returns (DESIGN.md §5) — a segment that passes `vsearch check` must rank correctly. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fuzz_util.h"
#include "ixread.h"
#include "plist.h"
#include "segment.h"
#include "vsearch.h"

#define NAME "seg-fuzz.vsg"
#define MAX_TERMS 32

typedef struct terms {
    char t[MAX_TERMS][VS_MAX_TOKEN * 2 + 1];
    size_t len[MAX_TERMS];
    vs_term_info ti[MAX_TERMS];
    size_t n;
} terms;

static void check_err(vs_rc rc, const vs_err *err, const char *what) {
    if (!(rc == VS_ECORRUPT || rc == VS_EVERSION) || !strstr(err->msg, NAME))
        fprintf(stderr, "%s: rc %d: %s\n", what, (int)rc, err->msg);
    FZ_CHECK(rc == VS_ECORRUPT || rc == VS_EVERSION, what);
    FZ_CHECK(strstr(err->msg, NAME) != NULL, "error message does not name the segment");
}

static int on_term(void *c, const char *t, size_t len, const vs_term_info *ti) {
    terms *ts = c;
    if (len > VS_MAX_TOKEN * 2) return 0;
    memcpy(ts->t[ts->n], t, len);
    ts->t[ts->n][len] = '\0';
    ts->len[ts->n] = len;
    ts->ti[ts->n] = *ti;
    return ++ts->n == MAX_TERMS;
}

static void walk_cursor(vs_segment *s, const vs_term_info *ti, int sound) {
    vs_plist pl;
    uint32_t pos[64];
    if (vs_plist_open(&pl, s, ti) != VS_OK) {
        FZ_CHECK(!sound, "a cursor fails on a checked segment");
        check_err(pl.rc, &pl.err, "cursor open");
        return;
    }
    uint32_t n = 0, prev = 0;
    for (uint32_t d = pl.doc; d != VS_PLIST_END && n < 100000; d = vs_plist_next(&pl), n++) {
        FZ_CHECK(n == 0 || d > prev, "cursor goes backwards");
        prev = d;
        uint32_t mt, ml, last;
        (void)vs_plist_block_bound(&pl, d, &mt, &ml, &last);
        if (n % 3 == 0) (void)vs_plist_positions(&pl, pos, 64);
    }
    if (pl.rc != VS_OK) {
        FZ_CHECK(!sound, "a cursor fails on a checked segment");
        check_err(pl.rc, &pl.err, "cursor walk");
    } else if (sound) {
        FZ_CHECK(n == ti->df, "a cursor on a checked segment does not give df postings");
    }
    /* seeks in growing steps */
    if (vs_plist_open(&pl, s, ti) != VS_OK) return;
    for (uint32_t t = 0, step = 1; pl.doc != VS_PLIST_END; t += step, step *= 2) {
        uint32_t d = vs_plist_seek(&pl, t);
        if (d != VS_PLIST_END) FZ_CHECK(d >= t, "seek lands before its target");
        if (t > UINT32_MAX / 2) break;
    }
    if (sound) FZ_CHECK(pl.rc == VS_OK, "a seek fails on a checked segment");
}

static int same_hits(const vs_results *a, const vs_results *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->hits[i].score != b->hits[i].score || strcmp(a->hits[i].doc, b->hits[i].doc) != 0 ||
            a->hits[i].passage != b->hits[i].passage)
            return 0;
    return 1;
}

static vs_analyzer *plain_an; /* no stemming, no stopwords: dictionary terms analyse to themselves */

static void search_segment(vs_segment *s, const terms *ts, int sound, unsigned pick) {
    vs_index ix;
    memset(&ix, 0, sizeof ix);
    ix.dir = (char *)"(fuzz)";
    ix.seg = &s;
    ix.n_seg = 1;
    ix.N = vs_segment_get_meta(s)->n_passages;
    ix.total_len = vs_segment_get_meta(s)->total_len;
    ix.avglen = ix.N ? (double)ix.total_len / (double)ix.N : 0.0;
    ix.an = plain_an;
    pthread_mutex_init(&ix.an_lock, NULL);
    char q[1024];
    size_t ql = 0;
    for (size_t i = 0; i < ts->n && i < 6; i++) {
        size_t k = (i * 7) % ts->n;
        size_t skip = vs_term_is_title(ts->t[k], ts->len[k]); /* a title term: its word */
        if (ql + ts->len[k] + 2 >= sizeof q) break;
        memcpy(q + ql, ts->t[k] + skip, ts->len[k] - skip);
        ql += ts->len[k] - skip;
        q[ql++] = ' ';
    }
    q[ql] = '\0';
    const char *w[6];
    for (size_t i = 0; i < 6; i++) {
        size_t k = i < ts->n ? i : ts->n - 1;
        w[i] = ts->t[k] + vs_term_is_title(ts->t[k], ts->len[k]);
    }
    /* the same terms in the query language: a phrase, a required and an excluded term, a group */
    char qs[1200];
    if (ts->n >= 6)
        snprintf(qs, sizeof qs, "\"%s %s\" +%s -%s (%s OR %s)^2 title:%s", w[0], w[1], w[2], w[3], w[4], w[5], w[0]);
    else
        snprintf(qs, sizeof qs, "\"%s %s\" title:\"%s %s\"", w[0], w[ts->n - 1], w[0], w[ts->n - 1]);
    static const struct { int and_mode, by_doc, model, rm3, syntax; uint32_t k; } variants[] = {
        { 0, 0, VS_MODEL_BM25, 0, 0, 10 }, { 1, 0, VS_MODEL_BM25, 0, 0, 3 }, { 0, 1, VS_MODEL_BM25, 0, 0, 5 },
        { 0, 0, VS_MODEL_QL, 0, 0, 10 },   { 0, 0, VS_MODEL_BM25, 1, 0, 10 }, { 0, 0, VS_MODEL_BM25, 0, 1, 10 },
        { 1, 1, VS_MODEL_BM25, 0, 1, 4 },
    };
    /* BM25 OR always, and one other variant picked by the input (each costs two searches) */
    size_t nv = sizeof variants / sizeof *variants;
    for (size_t v = 0; v < nv; v = v ? nv : 1 + pick % (nv - 1)) {
        vs_search_opts o;
        vs_search_opts_default(&o);
        o.and_mode = variants[v].and_mode;
        o.by_doc = variants[v].by_doc;
        o.model = variants[v].model;
        o.rm3 = variants[v].rm3;
        o.k = variants[v].k;
        o.syntax = variants[v].syntax;
        const char *query = o.syntax ? qs : q;
        o.explain = v == 0;
        vs_results *a = NULL, *b = NULL;
        vs_err ea, eb;
        vs_rc ra = vs_search(&ix, query, &o, &a, &ea);
        o.exhaustive = 1;
        vs_rc rb = vs_search(&ix, query, &o, &b, &eb);
        if (ra == VS_EUSAGE && rb == VS_EUSAGE && o.syntax) continue; /* a term that is an operator */
        if (ra != VS_OK) check_err(ra, &ea, "search");
        if (rb != VS_OK) check_err(rb, &eb, "exhaustive search");
        if (sound) {
            FZ_CHECK(ra == VS_OK && rb == VS_OK, "search fails on a checked segment");
            FZ_CHECK(same_hits(a, b), "pruned search differs from exhaustive search on a checked segment");
        }
        vs_results_free(a);
        vs_results_free(b);
    }
    pthread_mutex_destroy(&ix.an_lock);
}

static void visit(const uint8_t *data, size_t size) {
    vs_segment *s = NULL;
    vs_err err;
    vs_rc rc = vs_segment_open_mem(data, size, NAME, &s, &err);
    if (rc != VS_OK) {
        check_err(rc, &err, "open");
        FZ_CHECK(s == NULL, "failed open returns a segment");
        return;
    }
    const vs_segment_meta *mt = vs_segment_get_meta(s);
    vs_err cerr;
    vs_rc crc = vs_segment_check(s, &cerr);
    if (crc != VS_OK) check_err(crc, &cerr, "check");
    int sound = crc == VS_OK;
    static terms ts;
    ts.n = 0;
    rc = vs_segment_terms(s, on_term, &ts, &err);
    if (rc != VS_OK) {
        FZ_CHECK(!sound, "listing terms fails on a checked segment");
        check_err(rc, &err, "terms");
    }
    for (size_t i = 0; i < ts.n; i++) {
        vs_term_info ti;
        int found = 0;
        rc = vs_segment_lookup(s, ts.t[i], ts.len[i], &ti, &found, &err);
        if (rc != VS_OK) {
            FZ_CHECK(!sound, "lookup fails on a checked segment");
            check_err(rc, &err, "lookup");
            continue;
        }
        if (sound) {
            FZ_CHECK(found, "a listed term is not found on a checked segment");
            const vs_term_info *a = &ts.ti[i];
            FZ_CHECK(ti.df == a->df && ti.cf == a->cf && ti.post_off == a->post_off && ti.post_len == a->post_len &&
                     ti.pos_off == a->pos_off && ti.pos_len == a->pos_len && ti.max_tf == a->max_tf &&
                     ti.min_len == a->min_len, "lookup and listing disagree");
        }
        if (i < 16) walk_cursor(s, &ts.ti[i], sound);
        if (i % 4) continue;
        /* near misses: a prefix and an extension */
        int f2;
        if (ts.len[i] > 1) rc = vs_segment_lookup(s, ts.t[i], ts.len[i] - 1, &ti, &f2, &err);
        char ext[VS_MAX_TOKEN * 2 + 2];
        memcpy(ext, ts.t[i], ts.len[i]);
        ext[ts.len[i]] = '~';
        rc = vs_segment_lookup(s, ext, ts.len[i] + 1, &ti, &f2, &err);
    }
    vs_buf text = VS_BUF_INIT;
    for (uint32_t d = 0; d < mt->n_docs && d < 16; d++) {
        vs_doc_info di;
        if ((rc = vs_segment_doc(s, d, &di, &err)) != VS_OK) {
            FZ_CHECK(!sound, "a document fails on a checked segment");
            check_err(rc, &err, "doc");
            continue;
        }
        uint32_t doc;
        int found;
        rc = vs_segment_find_doc(s, di.id, di.id_len, &doc, &found, &err);
        if (rc != VS_OK) check_err(rc, &err, "find_doc");
        if (sound) FZ_CHECK(rc == VS_OK && found, "a document is not found by its id on a checked segment");
    }
    for (uint32_t p = 0; p < mt->n_passages && p < 16; p++) {
        vs_passage_info pi;
        if ((rc = vs_segment_passage(s, p, &pi, &err)) != VS_OK) check_err(rc, &err, "passage");
        if ((rc = vs_segment_text(s, p, &text, &err)) != VS_OK) check_err(rc, &err, "text");
        if (sound) FZ_CHECK(rc == VS_OK, "stored text fails on a checked segment");
    }
    vs_buf_free(&text);
    /* the title field: its part of the dictionary, title lengths, the document span of passages */
    uint64_t tt, tpost, tpos;
    if ((rc = vs_segment_title_part(s, &tt, &tpost, &tpos, &err)) != VS_OK) check_err(rc, &err, "title part");
    if (sound) FZ_CHECK(rc == VS_OK && tt <= mt->n_terms, "title part fails or exceeds the terms on a checked segment");
    for (uint32_t d = 0; d < mt->n_docs && d < 16; d++) {
        uint32_t tl;
        if ((rc = vs_segment_tlen(s, d, &tl, &err)) != VS_OK) check_err(rc, &err, "tlen");
        if (sound) FZ_CHECK(rc == VS_OK, "a title length fails on a checked segment");
    }
    for (uint32_t p = 0; p < mt->n_passages && p < 16; p++) {
        uint32_t first, end, tl;
        if ((rc = vs_segment_doc_span(s, p, &first, &end, &tl, &err)) != VS_OK) check_err(rc, &err, "doc span");
        if (sound) FZ_CHECK(rc == VS_OK && first <= p && p < end && end <= mt->n_passages,
                            "a passage's document span fails or misses it on a checked segment");
    }
    uint32_t tl0;
    (void)vs_segment_tlen(s, mt->n_docs, &tl0, &err);
    (void)vs_segment_passage(s, mt->n_passages, &(vs_passage_info){ 0 }, &err);
    (void)vs_segment_doc(s, mt->n_docs, &(vs_doc_info){ 0 }, &err);
    if (ts.n > 0) search_segment(s, &ts, sound, (unsigned)(size * 31 + ts.n));
    vs_segment_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!plain_an) {
        vs_analyze_config c;
        vs_analyze_config_default(&c);
        c.stem = 0;
        c.stop_default = 0;
        if (vs_analyze_new(&c, &plain_an, NULL) != VS_OK) abort();
    }
    uint8_t *b = malloc(size ? size : 1);
    if (!b) return 0;
    memcpy(b, data, size);
    visit(b, size);
    if (fz_fix_segment(b, size)) visit(b, size);
    free(b);
    return 0;
}
