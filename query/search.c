/* search.c: the query pipeline — analyze, look terms up in every segment, score (BM25 as in
 * DESIGN.md §5, or Lucene's Dirichlet query likelihood) with MaxScore over block-max bounds (or
 * exhaustively), keep the top k, optionally expand the query with RM3 and search again, then
 * fetch titles, text, snippets and explanations for the hits.
 *
 * Determinism: a hit's score is the sum of its per-term contributions in query-term order, in
 * double precision, computed by term_score() in every path (pruned, conjunctive, exhaustive).
 * Pruning only drops a candidate whose upper bound is below the current k-th score by more
 * than a relative 1e-9, so rounding in the bounds can never drop a hit the exhaustive path
 * keeps (even on a tie, which is broken by external id and then passage number).
 *
 * Both models' per-term scores grow with tf and shrink with the passage length, so the
 * (max tf, min length) pair stored per block and per list bounds either of them. */
#include <ctype.h>
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
    double w;               /* weight: occurrences in the query, or the RM3 weight */
    uint64_t df, cf;        /* over all segments */
    double idf;             /* BM25 idf */
    double pc;              /* QL collection probability */
} qterm;

typedef struct model {
    int kind;
    double k1, b, avglen, mu;
} model;

/* The one place a term's contribution is computed. */
static inline double term_score(const model *m, const qterm *q, uint32_t tf, uint32_t len) {
    double t = (double)tf;
    if (m->kind == VS_MODEL_QL) {
        /* Lucene's LMDirichletSimilarity: log(1 + tf / (mu p)) + log(mu / (len + mu)), floored at 0 */
        double s = q->w * (log(1.0 + t / (m->mu * q->pc)) + log(m->mu / ((double)len + m->mu)));
        return s > 0.0 ? s : 0.0;
    }
    return q->w * q->idf * (t / (t + m->k1 * (1.0 - m->b + m->b * (double)len / m->avglen)));
}

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
    o->model = VS_MODEL_BM25;
    o->mu = 1000.0;
    o->fb_docs = 10;
    o->fb_terms = 10;
    o->orig_weight = 0.5;
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

static double topk_threshold(const topk *t) { return t->n < t->k ? -DBL_MAX : t->h[0].score; }

/* x is certainly below the threshold (see the file comment). */
static inline int below(double x, double theta) {
    return theta > -DBL_MAX && x < theta - 1e-9 * fabs(theta);
}

static int cmp_cand_rank(const void *a, const void *b) {
    const cand *x = a, *y = b;
    return better(x, y) ? -1 : (better(y, x) ? 1 : 0);
}

/* ---- query terms ---- */

typedef struct qlist {
    qterm *q;
    size_t n;
    vs_rc rc;
    vs_err *err;
} qlist;

static void qlist_free(qlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->q[i].term);
    free(l->q);
    l->q = NULL;
    l->n = 0;
}

/* Adds weight w to term t (appending it if new); keeps first-occurrence order. */
static vs_rc qlist_add(qlist *l, const char *t, size_t len, double w, vs_err *err) {
    for (size_t i = 0; i < l->n; i++)
        if (l->q[i].len == len && memcmp(l->q[i].term, t, len) == 0) {
            l->q[i].w += w;
            return VS_OK;
        }
    if (l->n == MAX_QTERMS) return vs_err_set(err, VS_EUSAGE, "query has more than %d distinct terms", MAX_QTERMS);
    if (!l->q && !(l->q = calloc(MAX_QTERMS, sizeof *l->q))) return vs_err_set(err, VS_ENOMEM, "out of memory");
    qterm *q = &l->q[l->n];
    memset(q, 0, sizeof *q);
    if (!(q->term = strndup(t, len))) return vs_err_set(err, VS_ENOMEM, "out of memory");
    q->len = len;
    q->w = w;
    l->n++;
    return VS_OK;
}

static int on_qtoken(void *ctx, const vs_token *t) {
    qlist *l = ctx;
    l->rc = qlist_add(l, t->term, t->len, 1.0, l->err);
    return l->rc != VS_OK;
}

/* Per-term dictionary entries of every segment, and global statistics. */
typedef struct lookup {
    vs_term_info *ti;       /* nq x n_seg */
    int *found;
} lookup;

static vs_rc lookup_terms(vs_index *ix, qterm *q, size_t nq, lookup *lk, vs_err *err) {
    size_t ns = ix->n_seg;
    lk->ti = calloc(nq * ns + 1, sizeof *lk->ti);
    lk->found = calloc(nq * ns + 1, sizeof *lk->found);
    if (!lk->ti || !lk->found) return vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t i = 0; i < nq; i++) {
        q[i].df = q[i].cf = 0;
        for (size_t s = 0; s < ns; s++) {
            vs_rc rc = vs_segment_lookup(ix->seg[s], q[i].term, q[i].len, &lk->ti[i * ns + s], &lk->found[i * ns + s], err);
            if (rc != VS_OK) return rc;
            if (lk->found[i * ns + s]) {
                q[i].df += lk->ti[i * ns + s].df;
                q[i].cf += lk->ti[i * ns + s].cf;
            }
        }
        double N = (double)ix->N, df = (double)q[i].df;
        q[i].idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
        q[i].pc = ((double)q[i].cf + 1.0) / ((double)ix->total_len + 1.0);
    }
    return VS_OK;
}

static void lookup_free(lookup *lk) {
    free(lk->ti);
    free(lk->found);
    lk->ti = NULL;
    lk->found = NULL;
}

/* ---- scoring ---- */

typedef struct scorer {
    vs_segment *s;
    uint32_t seg;
    size_t nc;                  /* cursors (terms present in this segment) */
    vs_plist *pl;               /* nc cursors, sorted by ub ascending */
    size_t *qi;                 /* cursor -> query term index */
    double *ub, *prefix;
    double *c;                  /* per query term contribution of the candidate */
} scorer;

typedef struct bydoc {
    int have;
    cand best;
} bydoc;

typedef struct run {
    vs_index *ix;
    qterm *q;
    size_t nq;
    const vs_search_opts *o;
    model m;
    topk t;
    bydoc bd;
    uint64_t scored;
} run;

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

/* Hands a scored passage to the top-k (by document: passages of one document are contiguous
 * in id order, so the best of the current document is held until the document changes). */
static void offer(run *r, const cand *c) {
    if (!r->o->by_doc) {
        topk_push(&r->t, c);
        return;
    }
    bydoc *bd = &r->bd;
    if (bd->have && bd->best.seg == c->seg && bd->best.doc == c->doc) {
        if (c->score > bd->best.score) bd->best = *c;
        return;
    }
    if (bd->have) topk_push(&r->t, &bd->best);
    bd->best = *c;
    bd->have = 1;
}

static vs_rc accept(run *r, scorer *sc, uint32_t d, vs_err *err) {
    if (vs_index_is_deleted(r->ix, sc->seg, d)) return VS_OK;
    double score = 0.0;
    for (size_t i = 0; i < r->nq; i++) score += sc->c[i];
    if (!r->o->by_doc && r->t.n == r->t.k && score < r->t.h[0].score) return VS_OK;
    cand c;
    vs_rc rc = cand_fill(sc->s, sc->seg, d, score, &c, err);
    if (rc == VS_OK) offer(r, &c);
    return rc;
}

/* Disjunctive: MaxScore. Cursors [0, e) are non-essential: together they cannot reach theta. */
static vs_rc run_or(run *r, scorer *sc, vs_err *err) {
    size_t n = sc->nc, e = 0;
    const qterm *q = r->q;
    for (;;) {
        double theta = topk_threshold(&r->t);
        if (!r->o->exhaustive)
            while (e < n && below(sc->prefix[e], theta)) e++;
        if (e >= n) break;
        uint32_t d = VS_PLIST_END;
        for (size_t i = e; i < n; i++)
            if (sc->pl[i].doc < d) d = sc->pl[i].doc;
        if (d == VS_PLIST_END) break;
        uint32_t len;
        vs_rc rc = vs_segment_plen(sc->s, d, &len, err);
        if (rc != VS_OK) return rc;
        for (size_t i = 0; i < r->nq; i++) sc->c[i] = 0.0;
        double upper = e ? sc->prefix[e - 1] : 0.0;
        for (size_t i = e; i < n; i++) {
            vs_plist *pl = &sc->pl[i];
            if (pl->doc == d) {
                double x = term_score(&r->m, &q[sc->qi[i]], vs_plist_tf(pl), len);
                sc->c[sc->qi[i]] = x;
                upper += x;
                vs_plist_next(pl);
                r->scored++;
            }
        }
        int pruned = 0;
        for (size_t j = e; j-- > 0;) {
            if (below(upper, theta)) { pruned = 1; break; }
            vs_plist *pl = &sc->pl[j];
            uint32_t bt, bl, last;
            if (!vs_plist_block_bound(pl, d, &bt, &bl, &last)) { upper -= sc->ub[j]; continue; }
            double bub = term_score(&r->m, &q[sc->qi[j]], bt, bl) * (1.0 + 1e-9);
            if (bub > sc->ub[j]) bub = sc->ub[j];
            upper += bub - sc->ub[j];
            if (below(upper, theta)) { pruned = 1; break; }
            if (vs_plist_seek(pl, d) == d) {
                double x = term_score(&r->m, &q[sc->qi[j]], vs_plist_tf(pl), len);
                sc->c[sc->qi[j]] = x;
                upper += x - bub;
                r->scored++;
            } else {
                upper -= bub;
            }
        }
        if (pruned || below(upper, theta)) continue;
        if ((rc = accept(r, sc, d, err)) != VS_OK) return rc;
    }
    return VS_OK;
}

/* Conjunctive: leapfrog intersection driven by the cursor with the highest bound (usually the
 * rarest term), skipping whole blocks whose combined bound is below theta. */
static vs_rc run_and(run *r, scorer *sc, vs_err *err) {
    size_t n = sc->nc;
    const qterm *q = r->q;
    if (n < r->nq) return VS_OK; /* a term is absent from this segment: no passage has them all */
    uint32_t d = sc->pl[n - 1].doc;
    while (d != VS_PLIST_END) {
        int moved = 0;
        for (size_t i = n; i-- > 0;) {
            uint32_t x = vs_plist_seek(&sc->pl[i], d);
            if (x != d) { d = x; moved = 1; break; }
        }
        if (d == VS_PLIST_END) break;
        if (moved) continue;
        double theta = topk_threshold(&r->t);
        if (!r->o->exhaustive && theta > -DBL_MAX) {
            double bound = 0.0;
            uint32_t next = VS_PLIST_END;
            for (size_t j = 0; j < n; j++) {
                uint32_t bt, bl, last;
                if (!vs_plist_block_bound(&sc->pl[j], d, &bt, &bl, &last)) { bound = -1; break; }
                double u = term_score(&r->m, &q[sc->qi[j]], bt, bl) * (1.0 + 1e-9);
                bound += u < sc->ub[j] ? u : sc->ub[j];
                if (last < next) next = last;
            }
            if (bound < 0) break;
            if (below(bound, theta)) {
                /* nothing up to the end of the shortest current block can make it */
                if (next == VS_PLIST_END) break;
                d = next + 1;
                continue;
            }
        }
        uint32_t len;
        vs_rc rc = vs_segment_plen(sc->s, d, &len, err);
        if (rc != VS_OK) return rc;
        for (size_t k = 0; k < r->nq; k++) sc->c[k] = 0.0;
        for (size_t j = 0; j < n; j++)
            sc->c[sc->qi[j]] = term_score(&r->m, &q[sc->qi[j]], vs_plist_tf(&sc->pl[j]), len);
        r->scored += n;
        if ((rc = accept(r, sc, d, err)) != VS_OK) return rc;
        d = vs_plist_next(&sc->pl[n - 1]);
    }
    return VS_OK;
}

/* Runs q over every segment into r->t (unsorted heap). */
static vs_rc retrieve(run *r, const lookup *lk, vs_err *err) {
    vs_index *ix = r->ix;
    size_t nq = r->nq;
    vs_rc rc = VS_OK;
    r->t.n = 0;
    r->t.k = r->o->k;
    r->bd.have = 0;
    if (nq == 0) return VS_OK;
    scorer sc;
    memset(&sc, 0, sizeof sc);
    sc.pl = malloc(nq * sizeof *sc.pl);
    sc.qi = malloc(nq * sizeof *sc.qi);
    sc.ub = malloc(nq * sizeof *sc.ub);
    sc.prefix = malloc(nq * sizeof *sc.prefix);
    sc.c = malloc(nq * sizeof *sc.c);
    if (!sc.pl || !sc.qi || !sc.ub || !sc.prefix || !sc.c) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t s = 0; rc == VS_OK && s < ix->n_seg; s++) {
        sc.s = ix->seg[s];
        sc.seg = (uint32_t)s;
        sc.nc = 0;
        for (size_t i = 0; i < nq; i++) {
            if (!lk->found[i * ix->n_seg + s]) continue;
            const vs_term_info *ti = &lk->ti[i * ix->n_seg + s];
            size_t c = sc.nc;
            if (vs_plist_open(&sc.pl[c], sc.s, ti) != VS_OK) { *err = sc.pl[c].err; rc = sc.pl[c].rc; break; }
            sc.qi[c] = i;
            sc.ub[c] = term_score(&r->m, &r->q[i], ti->max_tf, ti->min_len) * (1.0 + 1e-9);
            /* insertion sort by ub ascending (ties keep query order) */
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
        rc = r->o->and_mode ? run_and(r, &sc, err) : run_or(r, &sc, err);
        for (size_t i = 0; rc == VS_OK && i < sc.nc; i++)
            if (sc.pl[i].rc != VS_OK) {
                *err = sc.pl[i].err;
                rc = sc.pl[i].rc;
            }
        if (rc == VS_OK && r->bd.have) {
            topk_push(&r->t, &r->bd.best);
            r->bd.have = 0;
        }
    }
    free(sc.pl);
    free(sc.qi);
    free(sc.ub);
    free(sc.prefix);
    free(sc.c);
    if (rc == VS_OK) qsort(r->t.h, r->t.n, sizeof *r->t.h, cmp_cand_rank);
    return rc;
}

/* ---- RM3 (as Anserini's RM3Reranker defines it) ----
 * For each of the fb_docs top units D with score s_D: P(w|D) = tf(w, D) / |D| over the terms of
 * D that are 2..20 ASCII letters/digits and occur in at most 10% of the passages (|D| counts only
 * those terms); rm(w) = sum_D P(w|D) * s_D; keep the fb_terms heaviest
 * (ties by term bytes), scale rm and the original query (weights by occurrence) to unit L1 norm,
 * and search with orig_weight * q + (1 - orig_weight) * rm. Original terms keep their order
 * first; expansion terms follow by descending weight. */

typedef struct fbterm {
    char *t;
    size_t len;
    double w;       /* accumulated rm weight */
    uint32_t tf;    /* in the current unit */
    int usable;     /* -1 unknown, 0 filtered out (df > 10% of N), 1 usable */
} fbterm;

typedef struct fbset {
    fbterm *v;
    size_t n, cap;
    int oom;
} fbset;

static int rm_ok(const char *t, size_t len) {
    if (len < 2 || len > 20) return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)t[i]) || (unsigned char)t[i] >= 0x80) return 0;
    return 1;
}

static int on_fbtoken(void *ctx, const vs_token *t) {
    fbset *f = ctx;
    if (!rm_ok(t->term, t->len)) return 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].len == t->len && memcmp(f->v[i].t, t->term, t->len) == 0) {
            f->v[i].tf++;
            return 0;
        }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        fbterm *v = realloc(f->v, cap * sizeof *v);
        if (!v) { f->oom = 1; return 1; }
        f->v = v;
        f->cap = cap;
    }
    fbterm *x = &f->v[f->n];
    if (!(x->t = strndup(t->term, t->len))) { f->oom = 1; return 1; }
    x->len = t->len;
    x->w = 0.0;
    x->tf = 1;
    x->usable = -1;
    f->n++;
    return 0;
}

static int cmp_fb(const void *a, const void *b) {
    const fbterm *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->t, y->t, m);
    return c ? c : (x->len < y->len ? -1 : (x->len > y->len));
}

static vs_rc rm3_expand(run *r, qlist *orig, qlist *out, vs_err *err) {
    fbset f = { 0 };
    vs_buf text = VS_BUF_INIT;
    vs_rc rc = VS_OK;
    for (size_t i = 0; i < r->t.n && rc == VS_OK; i++) {
        const cand *c = &r->t.h[i];
        if ((rc = vs_segment_text(r->ix->seg[c->seg], c->pid, &text, err)) != VS_OK) break;
        for (size_t j = 0; j < f.n; j++) f.v[j].tf = 0;
        rc = vs_index_analyze(r->ix, (const char *)text.p, text.len, on_fbtoken, &f, err);
        if (rc == VS_OK && f.oom) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        uint64_t norm = 0;
        for (size_t j = 0; rc == VS_OK && j < f.n; j++) {
            fbterm *x = &f.v[j];
            if (!x->tf) continue;
            if (x->usable < 0) {
                uint64_t df = 0;
                for (size_t s = 0; rc == VS_OK && s < r->ix->n_seg; s++) {
                    vs_term_info ti;
                    int found = 0;
                    rc = vs_segment_lookup(r->ix->seg[s], x->t, x->len, &ti, &found, err);
                    if (found) df += ti.df;
                }
                x->usable = (double)df <= 0.1 * (double)r->ix->N;
            }
            if (x->usable) norm += x->tf;
        }
        if (rc != VS_OK || norm == 0) continue;
        for (size_t j = 0; j < f.n; j++)
            if (f.v[j].tf && f.v[j].usable) f.v[j].w += (double)f.v[j].tf / (double)norm * c->score;
    }
    vs_buf_free(&text);
    if (rc == VS_OK) {
        qsort(f.v, f.n, sizeof *f.v, cmp_fb);
        size_t keep = f.n < r->o->fb_terms ? f.n : r->o->fb_terms;
        double rs = 0.0, qs = 0.0;
        for (size_t j = 0; j < keep; j++) rs += f.v[j].w;
        for (size_t j = 0; j < orig->n; j++) qs += orig->q[j].w;
        double a = r->o->orig_weight;
        for (size_t j = 0; rc == VS_OK && j < orig->n; j++)
            rc = qlist_add(out, orig->q[j].term, orig->q[j].len, a * orig->q[j].w / qs, err);
        for (size_t j = 0; rc == VS_OK && j < keep; j++)
            if (rs > 0.0 && f.v[j].w > 0.0) rc = qlist_add(out, f.v[j].t, f.v[j].len, (1.0 - a) * f.v[j].w / rs, err);
    }
    for (size_t j = 0; j < f.n; j++) free(f.v[j].t);
    free(f.v);
    return rc;
}

/* ---- results ---- */

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
    for (size_t i = 0; r->terms && i < r->n_terms; i++) free((char *)r->terms[i]);
    free((void *)r->terms);
    free((void *)r->weights);
    free((char *)r->query);
    free(r);
}

static vs_rc fill_hit(run *rn, const cand *c, vs_results *r, vs_hit *h, vs_buf *text, vs_err *err) {
    vs_index *ix = rn->ix;
    const vs_search_opts *o = rn->o;
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
        vs_term_explain *ex = calloc(rn->nq ? rn->nq : 1, sizeof *ex);
        if (!ex) return vs_err_set(err, VS_ENOMEM, "out of memory");
        h->explain = ex;
        for (size_t i = 0; i < rn->nq; i++) {
            const qterm *q = &rn->q[i];
            ex[i].term = r->terms[i];
            ex[i].weight = q->w;
            ex[i].df = (uint32_t)q->df;
            ex[i].cf = q->cf;
            ex[i].idf = o->model == VS_MODEL_QL ? q->pc : q->idf;
            vs_term_info ti;
            int found = 0;
            if ((rc = vs_segment_lookup(s, q->term, q->len, &ti, &found, err)) != VS_OK) return rc;
            if (!found) continue;
            vs_plist pl;
            if (vs_plist_open(&pl, s, &ti) != VS_OK) { *err = pl.err; return pl.rc; }
            if (vs_plist_seek(&pl, c->pid) == c->pid) {
                ex[i].tf = vs_plist_tf(&pl);
                ex[i].contribution = term_score(&rn->m, q, ex[i].tf, pi.len);
            }
            if (pl.rc != VS_OK) { *err = pl.err; return pl.rc; }
        }
    }
    return VS_OK;
}

static vs_rc check_opts(const vs_search_opts *o, vs_err *err) {
    if (o->k == 0) return vs_err_set(err, VS_EUSAGE, "k must be at least 1");
    if (!(o->k1 >= 0 && o->k1 <= 1e6) || !(o->b >= 0 && o->b <= 1))
        return vs_err_set(err, VS_EUSAGE, "BM25 parameters out of range (0 <= k1, 0 <= b <= 1)");
    if (o->model != VS_MODEL_BM25 && o->model != VS_MODEL_QL) return vs_err_set(err, VS_EUSAGE, "unknown ranking model");
    if (o->model == VS_MODEL_QL && !(o->mu > 0 && o->mu <= 1e9)) return vs_err_set(err, VS_EUSAGE, "mu must be positive");
    if (o->rm3 && (o->fb_docs == 0 || o->fb_terms == 0 || !(o->orig_weight >= 0 && o->orig_weight <= 1)))
        return vs_err_set(err, VS_EUSAGE, "RM3 needs fb_docs >= 1, fb_terms >= 1 and 0 <= orig_weight <= 1");
    return VS_OK;
}

vs_rc vs_search(vs_index *ix, const char *query, const vs_search_opts *o, vs_results **out, vs_err *err) {
    *out = NULL;
    vs_rc rc = check_opts(o, err);
    if (rc != VS_OK) return rc;
    vs_results *r = calloc(1, sizeof *r);
    if (!r || !(r->query = strdup(query))) {
        vs_results_free(r);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    qlist ql = { .err = err }, ex = { .err = err };
    lookup lk = { 0 };
    run rn = { .ix = ix, .o = o };
    rn.m = (model){ o->model, o->k1, o->b, ix->avglen, o->mu };
    uint32_t kmax = o->k > o->fb_docs ? o->k : o->fb_docs;
    rn.t.h = malloc((size_t)kmax * sizeof *rn.t.h);
    if (!rn.t.h) rc = vs_err_set(err, VS_ENOMEM, "out of memory for k = %u hits", o->k);
    if (rc == VS_OK) {
        rc = vs_index_analyze(ix, query, strlen(query), on_qtoken, &ql, err);
        if (rc == VS_OK) rc = ql.rc;
    }
    qlist *use = &ql;
    if (rc == VS_OK) rc = lookup_terms(ix, ql.q, ql.n, &lk, err);
    if (rc == VS_OK && o->rm3 && ql.n > 0) {
        vs_search_opts fo = *o;
        fo.k = o->fb_docs;
        rn.o = &fo;
        rn.q = ql.q;
        rn.nq = ql.n;
        rc = retrieve(&rn, &lk, err);
        rn.o = o;
        if (rc == VS_OK) rc = rm3_expand(&rn, &ql, &ex, err);
        lookup_free(&lk);
        if (rc == VS_OK) {
            use = &ex;
            rc = lookup_terms(ix, ex.q, ex.n, &lk, err);
        }
    }
    if (rc == VS_OK) {
        rn.q = use->q;
        rn.nq = use->n;
        rc = retrieve(&rn, &lk, err);
    }
    r->N = ix->N;
    r->avglen = ix->avglen;
    r->scored = rn.scored;
    if (rc == VS_OK) {
        /* r takes the term strings */
        const char **terms = calloc(use->n + 1, sizeof *terms);
        double *w = calloc(use->n + 1, sizeof *w);
        if (!terms || !w) {
            free(terms);
            free(w);
            rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < use->n; i++) {
                terms[i] = use->q[i].term;
                w[i] = use->q[i].w;
            }
            r->terms = terms;
            r->weights = w;
            r->n_terms = use->n;
        }
    }
    if (rc == VS_OK) {
        r->hits = calloc(rn.t.n + 1, sizeof *r->hits);
        if (!r->hits) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        vs_buf text = VS_BUF_INIT;
        for (size_t i = 0; rc == VS_OK && i < rn.t.n; i++) {
            r->n = i + 1;
            rc = fill_hit(&rn, &rn.t.h[i], r, &r->hits[i], &text, err);
        }
        vs_buf_free(&text);
    }
    if (r->terms) { /* strings now belong to r */
        free(use->q);
        use->q = NULL;
        use->n = 0;
    }
    qlist_free(&ql);
    qlist_free(&ex);
    lookup_free(&lk);
    free(rn.t.h);
    if (rc != VS_OK) {
        vs_results_free(r);
        return rc;
    }
    *out = r;
    return VS_OK;
}
