/* search.c: the query pipeline — analyze, look terms up in every segment, score with BM25
 * (DESIGN.md §5) using MaxScore with block-max bounds (or exhaustively), keep the top k, then
 * fetch titles, text, snippets and explanations for the hits.
 *
 * Determinism: a hit's score is the sum of its per-term contributions in query-term order, in
 * double precision, computed by contrib() in every path (pruned or exhaustive). Pruning only
 * drops a candidate whose upper bound is below the current k-th score by more than a relative
 * 1e-9, so rounding in the bounds can never drop a hit the exhaustive path would keep (even
 * on a tie, which is broken by external id and then passage number). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ixread.h"
#include "plist.h"
#include "snippet.h"
#include "vsearch.h"

#define MAX_QTERMS 1024

typedef struct qterm {
    char *term;
    size_t len;
    double w;               /* occurrences in the query */
    uint64_t df;            /* over all segments */
    double idf;
} qterm;

typedef struct cand {
    double score;
    uint32_t seg, pid, doc, pno;
    const char *id;
    uint32_t id_len;
} cand;

typedef struct topk {
    cand *h;                /* min-heap: h[0] is the worst kept hit */
    size_t n, k;
} topk;

void vs_search_opts_default(vs_search_opts *o) {
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->k1 = 0.9;
    o->b = 0.4;
    o->snippets = 1;
}

/* The one place a term's BM25 contribution is computed. */
static inline double contrib(double w, double idf, uint32_t tf, uint32_t len, double k1, double b,
                             double avglen) {
    double t = (double)tf;
    return w * idf * (t / (t + k1 * (1.0 - b + b * (double)len / avglen)));
}

/* a ranks before b: higher score, then smaller external id (bytes), then smaller passage no. */
static int better(const cand *a, const cand *b) {
    if (a->score != b->score) return a->score > b->score;
    size_t m = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, m);
    if (c == 0) c = a->id_len < b->id_len ? -1 : (a->id_len > b->id_len);
    if (c != 0) return c < 0;
    return a->pno < b->pno;
}

static void sift_down(topk *t, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < t->n && better(&t->h[w], &t->h[l])) w = l;
        if (r < t->n && better(&t->h[w], &t->h[r])) w = r;
        if (w == i) return;
        cand tmp = t->h[i];
        t->h[i] = t->h[w];
        t->h[w] = tmp;
        i = w;
    }
}

static void sift_up(topk *t, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(&t->h[p], &t->h[i])) return;
        cand tmp = t->h[i];
        t->h[i] = t->h[p];
        t->h[p] = tmp;
        i = p;
    }
}

static void topk_push(topk *t, const cand *c) {
    if (t->n < t->k) {
        t->h[t->n++] = *c;
        sift_up(t, t->n - 1);
    } else if (better(c, &t->h[0])) {
        t->h[0] = *c;
        sift_down(t, 0);
    }
}

static double topk_threshold(const topk *t) {
    return t->n < t->k ? -DBL_MAX : t->h[0].score;
}

/* x is certainly below the threshold (see the file comment). */
static inline int below(double x, double theta) {
    return theta > -DBL_MAX && x < theta - 1e-9 * fabs(theta);
}

typedef struct qctx {
    qterm *q;
    size_t nq;
    vs_index *ix;
    vs_rc rc;
    vs_err *err;
} qctx;

static int on_qtoken(void *ctx, const vs_token *t) {
    qctx *c = ctx;
    for (size_t i = 0; i < c->nq; i++)
        if (c->q[i].len == t->len && memcmp(c->q[i].term, t->term, t->len) == 0) {
            c->q[i].w += 1.0;
            return 0;
        }
    if (c->nq == MAX_QTERMS) {
        c->rc = vs_err_set(c->err, VS_EUSAGE, "query has more than %d distinct terms", MAX_QTERMS);
        return 1;
    }
    qterm *q = &c->q[c->nq];
    q->term = strndup(t->term, t->len);
    if (!q->term) { c->rc = vs_err_set(c->err, VS_ENOMEM, "out of memory"); return 1; }
    q->len = t->len;
    q->w = 1.0;
    c->nq++;
    return 0;
}

/* Per-segment scorer state. */
typedef struct scorer {
    vs_segment *s;
    uint32_t seg;
    size_t nc;                  /* cursors (terms present in this segment) */
    vs_plist *pl;               /* nc cursors, sorted by ub ascending */
    size_t *qi;                 /* cursor -> query term index */
    double *ub, *prefix;
    double *c;                  /* per query term contribution of the candidate */
} scorer;

static vs_rc cand_fill(vs_segment *s, uint32_t seg, uint32_t pid, double score, cand *out, vs_err *err) {
    vs_passage_info pi;
    vs_doc_info di;
    vs_rc rc = vs_segment_passage(s, pid, &pi, err);
    if (rc == VS_OK) rc = vs_segment_doc(s, pi.doc, &di, err);
    if (rc != VS_OK) return rc;
    out->score = score;
    out->seg = seg;
    out->pid = pid;
    out->doc = pi.doc;
    out->pno = pi.pno;
    out->id = di.id;
    out->id_len = di.id_len;
    return VS_OK;
}

typedef struct bydoc {
    int have;
    cand best;
} bydoc;

static vs_rc offer(topk *t, bydoc *bd, int by_doc, const cand *c) {
    if (!by_doc) {
        topk_push(t, c);
        return VS_OK;
    }
    if (bd->have && bd->best.seg == c->seg && bd->best.doc == c->doc) {
        if (c->score > bd->best.score) bd->best = *c;
        return VS_OK;
    }
    if (bd->have) topk_push(t, &bd->best);
    bd->best = *c;
    bd->have = 1;
    return VS_OK;
}

static vs_rc run_segment(scorer *sc, qterm *q, size_t nq, const vs_search_opts *o, double avglen,
                         topk *t, bydoc *bd, uint64_t *scored, vs_err *err) {
    (void)nq;
    vs_segment *s = sc->s;
    size_t n = sc->nc;
    const double k1 = o->k1, b = o->b;
    /* e: first essential cursor. Cursors [0, e) have prefix[e-1] below the threshold. */
    size_t e = 0;
    vs_rc rc = VS_OK;
    for (;;) {
        double theta = topk_threshold(t);
        if (bd->have) {
            /* the pending document is not in the heap yet; its score does not raise theta */
        }
        if (!o->exhaustive)
            while (e < n && below(sc->prefix[e], theta)) e++;
        if (e >= n) break;
        uint32_t d = VS_PLIST_END;
        for (size_t i = e; i < n; i++)
            if (sc->pl[i].doc < d) d = sc->pl[i].doc;
        if (d == VS_PLIST_END) break;
        uint32_t len;
        if ((rc = vs_segment_plen(s, d, &len, err)) != VS_OK) return rc;
        for (size_t i = 0; i < nq; i++) sc->c[i] = 0.0;
        double upper = e ? sc->prefix[e - 1] : 0.0;
        for (size_t i = e; i < n; i++) {
            vs_plist *pl = &sc->pl[i];
            if (pl->doc == d) {
                double x = contrib(q[sc->qi[i]].w, q[sc->qi[i]].idf, vs_plist_tf(pl), len, k1, b, avglen);
                sc->c[sc->qi[i]] = x;
                upper += x;
                vs_plist_next(pl);
                (*scored)++;
            }
        }
        int pruned = 0;
        for (size_t j = e; j-- > 0;) {
            if (below(upper, theta)) { pruned = 1; break; }
            vs_plist *pl = &sc->pl[j];
            uint32_t bt, bl, last;
            if (!vs_plist_block_bound(pl, d, &bt, &bl, &last)) { upper -= sc->ub[j]; continue; }
            double bub = contrib(q[sc->qi[j]].w, q[sc->qi[j]].idf, bt, bl, k1, b, avglen) * (1.0 + 1e-9);
            if (bub > sc->ub[j]) bub = sc->ub[j];
            upper += bub - sc->ub[j];
            if (below(upper, theta)) { pruned = 1; break; }
            if (vs_plist_seek(pl, d) == d) {
                double x = contrib(q[sc->qi[j]].w, q[sc->qi[j]].idf, vs_plist_tf(pl), len, k1, b, avglen);
                sc->c[sc->qi[j]] = x;
                upper += x - bub;
                (*scored)++;
            } else {
                upper -= bub;
            }
        }
        if (pruned || below(upper, theta)) continue;
        double score = 0.0;
        for (size_t i = 0; i < nq; i++) score += sc->c[i];
        if (!o->by_doc && t->n == t->k && score < t->h[0].score) continue;
        cand c;
        if ((rc = cand_fill(s, sc->seg, d, score, &c, err)) != VS_OK) return rc;
        if ((rc = offer(t, bd, o->by_doc, &c)) != VS_OK) return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (sc->pl[i].rc != VS_OK) {
            *err = sc->pl[i].err;
            return sc->pl[i].rc;
        }
    return VS_OK;
}

/* Conjunctive evaluation: leapfrog intersection over the cursors (rarest first, they are
 * sorted by ub which tracks idf), skipping candidates whose block-max bound is below theta. */
static vs_rc run_segment_and(scorer *sc, qterm *q, size_t nq, const vs_search_opts *o, double avglen,
                             topk *t, bydoc *bd, uint64_t *scored, vs_err *err) {
    vs_segment *s = sc->s;
    size_t n = sc->nc;
    const double k1 = o->k1, b = o->b;
    vs_rc rc = VS_OK;
    if (n < nq) return VS_OK; /* a term is absent from this segment: no passage has them all */
    /* Cursors are sorted by ub ascending; the last one (highest bound, usually the rarest term)
     * drives the intersection. */
    uint32_t d = sc->pl[n - 1].doc;
    while (d != VS_PLIST_END) {
        size_t i;
        int moved = 0;
        for (i = n; i-- > 0;) {
            uint32_t x = vs_plist_seek(&sc->pl[i], d);
            if (x != d) { d = x; moved = 1; break; }
        }
        if (d == VS_PLIST_END) break;
        if (moved) continue; /* a cursor moved past d: its position is the next candidate */
        double theta = topk_threshold(t);
        if (!o->exhaustive && theta > -DBL_MAX) {
            double bound = 0.0;
            uint32_t next = VS_PLIST_END;
            for (size_t j = 0; j < n; j++) {
                uint32_t bt, bl, last;
                if (!vs_plist_block_bound(&sc->pl[j], d, &bt, &bl, &last)) { bound = -1; break; }
                double u = contrib(q[sc->qi[j]].w, q[sc->qi[j]].idf, bt, bl, k1, b, avglen) * (1.0 + 1e-9);
                bound += u < sc->ub[j] ? u : sc->ub[j];
                if (last < next) next = last;
            }
            if (bound < 0) break;
            if (below(bound, theta)) {
                /* no passage up to the end of the shortest current block can make it */
                d = next == VS_PLIST_END ? VS_PLIST_END : next + 1;
                if (d == 0) break;
                continue;
            }
        }
        uint32_t len;
        if ((rc = vs_segment_plen(s, d, &len, err)) != VS_OK) return rc;
        for (size_t k = 0; k < nq; k++) sc->c[k] = 0.0;
        for (size_t j = 0; j < n; j++)
            sc->c[sc->qi[j]] = contrib(q[sc->qi[j]].w, q[sc->qi[j]].idf, vs_plist_tf(&sc->pl[j]), len, k1, b, avglen);
        *scored += n;
        double score = 0.0;
        for (size_t k = 0; k < nq; k++) score += sc->c[k];
        if (o->by_doc || t->n < t->k || score >= t->h[0].score) {
            cand c;
            if ((rc = cand_fill(s, sc->seg, d, score, &c, err)) != VS_OK) return rc;
            if ((rc = offer(t, bd, o->by_doc, &c)) != VS_OK) return rc;
        }
        d = vs_plist_next(&sc->pl[n - 1]);
    }
    for (size_t j = 0; j < n; j++)
        if (sc->pl[j].rc != VS_OK) {
            *err = sc->pl[j].err;
            return sc->pl[j].rc;
        }
    return VS_OK;
}

static int cmp_cand_rank(const void *a, const void *b) {
    const cand *x = a, *y = b;
    return better(x, y) ? -1 : (better(y, x) ? 1 : 0);
}

static char *dupn(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void vs_results_free(vs_results *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        vs_hit *h = &r->hits[i];
        free((char *)h->doc);
        free((char *)h->title);
        free((char *)h->path);
        free((char *)h->text);
        free((char *)h->snippet);
        free((void *)h->marks);
        free((void *)h->explain);
    }
    free(r->hits);
    for (size_t i = 0; i < r->n_terms; i++) free((char *)r->terms[i]);
    free((void *)r->terms);
    free((char *)r->query);
    free(r);
}

static vs_rc fill_hit(vs_index *ix, const cand *c, qterm *q, size_t nq, const vs_search_opts *o,
                      vs_results *r, vs_hit *h, vs_buf *text, vs_err *err) {
    vs_segment *s = ix->seg[c->seg];
    vs_doc_info di;
    vs_passage_info pi;
    vs_rc rc = vs_segment_doc(s, c->doc, &di, err);
    if (rc == VS_OK) rc = vs_segment_passage(s, c->pid, &pi, err);
    if (rc != VS_OK) return rc;
    h->score = c->score;
    h->passage = c->pno;
    h->len = pi.len;
    h->doc = dupn(di.id, di.id_len);
    h->title = dupn(di.title, di.title_len);
    h->path = dupn(di.path, di.path_len);
    if (!h->doc || !h->title || !h->path) return vs_err_set(err, VS_ENOMEM, "out of memory");
    if (o->snippets) {
        if ((rc = vs_segment_text(s, c->pid, text, err)) != VS_OK) return rc;
        h->text = dupn((const char *)text->p, text->len);
        if (!h->text) return vs_err_set(err, VS_ENOMEM, "out of memory");
        if ((rc = vs_snippet_make(ix, h->text, text->len, r->terms, r->n_terms, h, err)) != VS_OK) return rc;
    }
    if (o->explain) {
        vs_term_explain *ex = calloc(nq ? nq : 1, sizeof *ex);
        if (!ex) return vs_err_set(err, VS_ENOMEM, "out of memory");
        h->explain = ex;
        for (size_t i = 0; i < nq; i++) {
            ex[i].term = r->terms[i];
            ex[i].weight = q[i].w;
            ex[i].df = (uint32_t)q[i].df;
            ex[i].idf = q[i].idf;
            vs_term_info ti;
            int found = 0;
            if ((rc = vs_segment_lookup(s, q[i].term, q[i].len, &ti, &found, err)) != VS_OK) return rc;
            if (!found) continue;
            vs_plist pl;
            if (vs_plist_open(&pl, s, &ti) != VS_OK) { *err = pl.err; return pl.rc; }
            if (vs_plist_seek(&pl, c->pid) == c->pid) {
                ex[i].tf = vs_plist_tf(&pl);
                ex[i].contribution = contrib(q[i].w, q[i].idf, ex[i].tf, pi.len, o->k1, o->b, ix->avglen);
            }
            if (pl.rc != VS_OK) { *err = pl.err; return pl.rc; }
        }
    }
    return VS_OK;
}

vs_rc vs_search(vs_index *ix, const char *query, const vs_search_opts *o, vs_results **out, vs_err *err) {
    *out = NULL;
    if (o->k == 0) return vs_err_set(err, VS_EUSAGE, "k must be at least 1");
    if (!(o->k1 >= 0) || !(o->b >= 0 && o->b <= 1) || !isfinite(o->k1))
        return vs_err_set(err, VS_EUSAGE, "BM25 parameters out of range (k1 >= 0, 0 <= b <= 1)");
    vs_results *r = calloc(1, sizeof *r);
    qterm *q = calloc(MAX_QTERMS, sizeof *q);
    if (!r || !q || !(r->query = strdup(query))) {
        free(q);
        vs_results_free(r);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    qctx qc = { .q = q, .ix = ix, .rc = VS_OK, .err = err };
    vs_rc rc = vs_index_analyze(ix, query, strlen(query), on_qtoken, &qc, err);
    if (rc == VS_OK) rc = qc.rc;
    size_t nq = qc.nq;
    r->N = ix->N;
    r->avglen = ix->avglen;
    r->n_terms = nq;
    const char **terms = calloc(nq ? nq : 1, sizeof *terms);
    if (!terms && rc == VS_OK) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t i = 0; terms && i < nq; i++) terms[i] = q[i].term; /* r owns the strings now */
    r->terms = terms;
    /* Global df and idf. */
    vs_term_info *tis = NULL;
    int *found = NULL;
    if (rc == VS_OK && nq) {
        tis = calloc(nq * ix->n_seg + 1, sizeof *tis);
        found = calloc(nq * ix->n_seg + 1, sizeof *found);
        if (!tis || !found) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == VS_OK && i < nq; i++) {
        for (size_t s = 0; rc == VS_OK && s < ix->n_seg; s++) {
            rc = vs_segment_lookup(ix->seg[s], q[i].term, q[i].len, &tis[i * ix->n_seg + s], &found[i * ix->n_seg + s], err);
            if (rc == VS_OK && found[i * ix->n_seg + s]) q[i].df += tis[i * ix->n_seg + s].df;
        }
        double N = (double)ix->N, df = (double)q[i].df;
        q[i].idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
    }
    topk t = { .k = o->k };
    bydoc bd = { 0 };
    if (rc == VS_OK) {
        t.h = calloc(o->k < 65536 ? o->k : 65536, sizeof *t.h);
        if (o->k > 65536) {
            cand *big = realloc(t.h, (size_t)o->k * sizeof *t.h);
            if (big) t.h = big;
            else { free(t.h); t.h = NULL; }
        }
        if (!t.h) rc = vs_err_set(err, VS_ENOMEM, "out of memory for k = %u hits", o->k);
    }
    scorer sc;
    memset(&sc, 0, sizeof sc);
    if (rc == VS_OK && nq) {
        sc.pl = malloc(nq * sizeof *sc.pl);
        sc.qi = malloc(nq * sizeof *sc.qi);
        sc.ub = malloc(nq * sizeof *sc.ub);
        sc.prefix = malloc(nq * sizeof *sc.prefix);
        sc.c = malloc(nq * sizeof *sc.c);
        if (!sc.pl || !sc.qi || !sc.ub || !sc.prefix || !sc.c) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    for (size_t s = 0; rc == VS_OK && nq && s < ix->n_seg; s++) {
        sc.s = ix->seg[s];
        sc.seg = (uint32_t)s;
        sc.nc = 0;
        for (size_t i = 0; rc == VS_OK && i < nq; i++) {
            if (!found[i * ix->n_seg + s]) continue;
            const vs_term_info *ti = &tis[i * ix->n_seg + s];
            size_t c = sc.nc;
            if (vs_plist_open(&sc.pl[c], sc.s, ti) != VS_OK) { *err = sc.pl[c].err; rc = sc.pl[c].rc; break; }
            sc.qi[c] = i;
            sc.ub[c] = contrib(q[i].w, q[i].idf, ti->max_tf, ti->min_len, o->k1, o->b, ix->avglen) * (1.0 + 1e-9);
            /* insertion sort by ub ascending (ties: query order) */
            while (c > 0 && sc.ub[c - 1] > sc.ub[c]) {
                vs_plist tp = sc.pl[c]; sc.pl[c] = sc.pl[c - 1]; sc.pl[c - 1] = tp;
                size_t tq = sc.qi[c]; sc.qi[c] = sc.qi[c - 1]; sc.qi[c - 1] = tq;
                double tu = sc.ub[c]; sc.ub[c] = sc.ub[c - 1]; sc.ub[c - 1] = tu;
                c--;
            }
            sc.nc++;
        }
        if (rc != VS_OK) break;
        double acc = 0;
        for (size_t i = 0; i < sc.nc; i++) sc.prefix[i] = acc += sc.ub[i];
        rc = o->and_mode ? run_segment_and(&sc, q, nq, o, ix->avglen, &t, &bd, &r->scored, err)
                         : run_segment(&sc, q, nq, o, ix->avglen, &t, &bd, &r->scored, err);
        if (rc == VS_OK && bd.have) {
            topk_push(&t, &bd.best);
            bd.have = 0;
        }
    }
    if (rc == VS_OK) {
        qsort(t.h, t.n, sizeof *t.h, cmp_cand_rank);
        r->hits = calloc(t.n ? t.n : 1, sizeof *r->hits);
        if (!r->hits) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        vs_buf text = VS_BUF_INIT;
        for (size_t i = 0; rc == VS_OK && i < t.n; i++) {
            r->n = i + 1;
            rc = fill_hit(ix, &t.h[i], q, nq, o, r, &r->hits[i], &text, err);
        }
        vs_buf_free(&text);
    }
    free(t.h);
    free(sc.pl);
    free(sc.qi);
    free(sc.ub);
    free(sc.prefix);
    free(sc.c);
    free(tis);
    free(found);
    if (rc != VS_OK) {
        if (!r->terms) for (size_t i = 0; i < nq; i++) free(q[i].term);
        free(q);
        vs_results_free(r);
        return rc;
    }
    free(q);
    *out = r;
    return VS_OK;
}
