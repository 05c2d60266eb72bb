/* search.c: the query pipeline — analyze, look terms up in every segment, score (BM25 as in
 * DESIGN.md §5, or Lucene's Dirichlet query likelihood) with MaxScore over block-max bounds (or
 * exhaustively), keep the top k, optionally expand the query with RM3 and search again, then
 * fetch titles, text, snippets and explanations for the hits.
 *
 * Determinism: a hit's score is the sum of its per-term contributions in query-term order, in
 * double precision, computed by clause_score() in every path (pruned, conjunctive, exhaustive).
 * Pruning only drops a candidate whose upper bound is below the current k-th score by more
 * than a relative 1e-9, so rounding in the bounds can never drop a hit the exhaustive path
 * keeps (even on a tie, which is broken by external id and then passage number).
 *
 * Both models' per-term scores grow with tf and shrink with the passage length, so the
 * (max tf, min length) pair stored per block and per list bounds either of them. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ixread.h"
#include "parse.h"
#include "plist.h"
#include "snippet.h"
#include "vsearch.h"

#define MAX_QTERMS 1024

typedef struct leaf leaf;

#define NORM_CACHE 1024 /* passage lengths whose BM25 length norm is cached per query */

typedef struct model {
    int kind;
    double k1, b, avglen, mu;
    double *norm;               /* NORM_CACHE entries, < 0 until computed */
} model;

/* BM25's length norm k1 * (1 - b + b * len / avglen): the same expression wherever it is
 * computed, so a cached value is bit-identical to a fresh one. */
static inline double bm25_norm(const model *m, uint32_t len) {
    if (len < NORM_CACHE && m->norm) {
        double k = m->norm[len];
        if (k >= 0.0) return k;
        return m->norm[len] = m->k1 * (1.0 - m->b + m->b * (double)len / m->avglen);
    }
    return m->k1 * (1.0 - m->b + m->b * (double)len / m->avglen);
}

/* The one place a clause's contribution is computed: w, idf and pc come from the leaf. */
static inline double clause_score(const model *m, double w, double idf, double pc, uint32_t tf, uint32_t len) {
    double t = (double)tf;
    if (m->kind == VS_MODEL_QL) {
        /* Lucene's LMDirichletSimilarity: log(1 + tf / (mu p)) + log(mu / (len + mu)), floored at 0 */
        double x = w * (log(1.0 + t / (m->mu * pc)) + log(m->mu / ((double)len + m->mu)));
        return x > 0.0 ? x : 0.0;
    }
    return w * idf * (t / (t + bm25_norm(m, len)));
}
/* A title leaf scores with the title field's statistics (avgtlen; its idf and pc come from N_T,
 * df_T and the title tokens): `r` has both models, m (passages) and mt (titles). */
#define LEAF_MODEL(r, l) ((l)->title ? &(r)->mt : &(r)->m)
#define LEAF_SCORE(r, l, tf, len) clause_score(LEAF_MODEL(r, l), (l)->w, (l)->idf, (l)->pc, (tf), (len))

/* A candidate hit. Its passage entry (doc, pno) and external id are read lazily: only a tie on
 * the score, --by doc, or the final hits need them, and most candidates never do. */
typedef struct cand {
    double score;
    uint32_t seg, pid, doc, pno;
    const char *id;
    uint32_t id_len, rank;      /* rank: the document's place in its segment's id order */
    uint8_t have_p, have_id, have_rank;
} cand;

typedef struct topk {
    cand *h;                /* min-heap: h[0] is the worst kept hit (lazy: an unordered buffer) */
    size_t n, k;
    /* Lazy mode (large k): candidates at or above theta are appended; when the buffer (cap
     * entries) is full, a selection keeps the best k and raises theta to the k-th score. A heap
     * of 1000 costs ~10 comparisons per push, the selection ~2 per candidate. */
    int lazy;
    size_t cap;
    double theta;
    vs_index *ix;
    vs_rc rc;               /* first error met while reading a candidate's passage or id */
    vs_err err;
} topk;

/* k from which the top-k is kept lazily (see topk) rather than in a heap. */
#define TOPK_LAZY_MIN 100

static void fill_p(topk *t, cand *c) {
    if (c->have_p) return;
    uint32_t doc, pno;
    vs_err e;
    vs_rc rc = vs_segment_passage_doc(t->ix->seg[c->seg], c->pid, &doc, &pno, &e);
    if (rc != VS_OK) {
        if (t->rc == VS_OK) { t->rc = rc; t->err = e; }
        doc = 0;
        pno = 1;
    }
    c->doc = doc;
    c->pno = pno;
    c->have_p = 1;
}

static void fill_id(topk *t, cand *c) {
    if (c->have_id) return;
    fill_p(t, c);
    const char *id;
    uint32_t id_len;
    vs_err e;
    vs_rc rc = vs_segment_doc_id(t->ix->seg[c->seg], c->doc, &id, &id_len, &e);
    if (rc != VS_OK) {
        if (t->rc == VS_OK) { t->rc = rc; t->err = e; }
        id = "";
        id_len = 0;
    }
    c->id = id;
    c->id_len = id_len;
    c->have_id = 1;
}

static void fill_rank(topk *t, cand *c) {
    if (c->have_rank) return;
    fill_p(t, c);
    vs_err e;
    vs_rc rc = vs_segment_doc_rank(t->ix->seg[c->seg], c->doc, &c->rank, &e);
    if (rc != VS_OK) {
        if (t->rc == VS_OK) { t->rc = rc; t->err = e; }
        c->rank = 0;
    }
    c->have_rank = 1;
}

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
    o->title_weight = VS_TITLE_WEIGHT;
}

/* a ranks before b: higher score, then smaller external id (bytes), then smaller passage no. */
static int better(topk *t, cand *a, cand *b) {
    if (a->score != b->score) return a->score > b->score;
    if (a->seg == b->seg) {
        /* one segment: its DOCRANK orders documents by id, no string needed */
        if (a->pid == b->pid) return 0;
        fill_rank(t, a);
        fill_rank(t, b);
        if (a->rank != b->rank) return a->rank < b->rank;
        return a->pno < b->pno;
    }
    fill_id(t, a);
    fill_id(t, b);
    size_t m = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, m);
    if (c == 0) c = a->id_len < b->id_len ? -1 : (a->id_len > b->id_len);
    if (c != 0) return c < 0;
    return a->pno < b->pno;
}

static void sift_down(topk *t, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < t->n && better(t, &t->h[w], &t->h[l])) w = l;
        if (r < t->n && better(t, &t->h[w], &t->h[r])) w = r;
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
        if (!better(t, &t->h[p], &t->h[i])) return;
        cand tmp = t->h[i];
        t->h[i] = t->h[p];
        t->h[p] = tmp;
        i = p;
    }
}

/* Lazy mode: moves the best k of h[0, n) to h[0, k) (quickselect on better(), a total order:
 * ties are broken by id and passage) and sets theta to the worst kept score. */
static void topk_select(topk *t) {
    cand *h = t->h, tmp;
    size_t lo = 0, hi = t->n, want = t->k < t->n ? t->k : t->n; /* invariant: lo <= want <= hi */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2, st = lo;
        tmp = h[mid]; h[mid] = h[hi - 1]; h[hi - 1] = tmp;
        for (size_t i = lo; i + 1 < hi; i++)
            if (better(t, &h[i], &h[hi - 1])) { tmp = h[i]; h[i] = h[st]; h[st] = tmp; st++; }
        tmp = h[st]; h[st] = h[hi - 1]; h[hi - 1] = tmp;
        /* h[lo, st) are better than h[st], h(st, hi) are not */
        if (st == want || st + 1 == want) break;
        if (st + 1 < want) lo = st + 1;
        else hi = st;
    }
    t->n = want;
    double m = DBL_MAX;
    for (size_t i = 0; i < want; i++)
        if (h[i].score < m) m = h[i].score;
    if (want == t->k) t->theta = m;
}

static void topk_push(topk *t, cand *c) {
    if (t->lazy) {
        if (c->score < t->theta) return;
        t->h[t->n++] = *c;
        if (t->n == t->k && t->theta == -DBL_MAX) topk_select(t); /* full for the first time: theta */
        else if (t->n == t->cap) topk_select(t);
        return;
    }
    if (t->n < t->k) {
        t->h[t->n++] = *c;
        sift_up(t, t->n - 1);
    } else if (better(t, c, &t->h[0])) {
        t->h[0] = *c;
        sift_down(t, 0);
    }
}

static double topk_threshold(const topk *t) {
    if (t->lazy) return t->theta;
    return t->n < t->k ? -DBL_MAX : t->h[0].score;
}

/* The cut for a threshold theta: a bound x is certainly below theta when x < cut (see the file
 * comment); -DBL_MAX (nothing is cut) while the top-k is not full or without pruning. */
static inline double cut_of(double theta) {
    return theta > -DBL_MAX ? theta - 1e-9 * fabs(theta) : -DBL_MAX;
}

/* Final order: a plain sort of the heap (k log k), ids filled first so the comparator is pure. */
static int cmp_cand_rank(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    size_t m = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, m);
    if (c == 0) c = x->id_len < y->id_len ? -1 : (x->id_len > y->id_len);
    if (c != 0) return c;
    return x->pno < y->pno ? -1 : (x->pno > y->pno);
}

/* The same order within one segment, by DOCRANK (fill_rank first). */
static int cmp_cand_rank1(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->pno < y->pno ? -1 : (x->pno > y->pno);
}

/* ---- query leaves and the match tree ----
 * A query becomes leaves (a term, or a phrase of terms with position offsets) and a tree of
 * BOOL nodes over them (parse.h semantics). Free text is one BOOL of SHOULD term leaves (MUST
 * with and_mode), one leaf per distinct term weighted by its count. A leaf's score is
 * weight * BM25(tf) with the term's idf, or for a phrase its frequency and the sum of its terms'
 * idfs, as Lucene's PhraseQuery does. */

typedef struct leaf {
    int phrase;
    int title;                  /* a clause on the title field (terms looked up as VS_TITLE_PREFIX + t) */
    char *label;                /* the term, or the phrase's terms joined by spaces */
    size_t nt;                  /* terms (1 for a term leaf) */
    char **t;
    size_t *tl;
    uint32_t *off;              /* phrase: position of each term relative to the first */
    double w;
    uint64_t df, cf;
    double idf, pc;
    int neg;                    /* below a MUST_NOT */
    int req;                    /* must match for the whole query to match */
    int ignored;                /* analyzed to nothing: the clause is dropped */
} leaf;

typedef struct tnode {
    int leaf;                   /* leaf index, or -1 for a BOOL */
    struct tnode **kids;
    vs_qoccur *occ;
    size_t n;
} tnode;

typedef struct query {
    leaf *lv;
    size_t nl, cap;
    size_t nbody;               /* leaves before the title clauses add_title_clauses() added */
    tnode *root;
    tnode **nodes;              /* every node, for freeing */
    size_t nn, capn;
} query;

static void query_free(query *q) {
    for (size_t i = 0; i < q->nl; i++) {
        leaf *l = &q->lv[i];
        for (size_t j = 0; j < l->nt; j++) free(l->t[j]);
        free(l->t);
        free(l->tl);
        free(l->off);
        free(l->label);
    }
    free(q->lv);
    for (size_t i = 0; i < q->nn; i++) {
        free(q->nodes[i]->kids);
        free(q->nodes[i]->occ);
        free(q->nodes[i]);
    }
    free(q->nodes);
    memset(q, 0, sizeof *q);
}

/* Sets err and returns NULL (for constructors that return pointers). */
static void *null_err(vs_err *err, vs_rc rc, const char *msg) {
    if (vs_err_set(err, rc, "%s", msg) != VS_OK) return NULL;
    return NULL;
}

static tnode *tnode_new(query *q, int leafi, vs_err *err) {
    if (q->nn == q->capn) {
        size_t cap = q->capn ? q->capn * 2 : 16;
        tnode **a = realloc(q->nodes, cap * sizeof *a);
        if (!a) return null_err(err, VS_ENOMEM, "out of memory");
        q->nodes = a;
        q->capn = cap;
    }
    tnode *x = calloc(1, sizeof *x);
    if (!x) return null_err(err, VS_ENOMEM, "out of memory");
    x->leaf = leafi;
    q->nodes[q->nn++] = x;
    return x;
}

static vs_rc tnode_add(tnode *b, tnode *k, vs_qoccur o, vs_err *err) {
    tnode **a = realloc(b->kids, (b->n + 1) * sizeof *a);
    if (a) b->kids = a;
    vs_qoccur *oc = a ? realloc(b->occ, (b->n + 1) * sizeof *oc) : NULL;
    if (oc) b->occ = oc;
    if (!a || !oc) return vs_err_set(err, VS_ENOMEM, "out of memory");
    b->kids[b->n] = k;
    b->occ[b->n] = o;
    b->n++;
    return VS_OK;
}

static leaf *leaf_new(query *q, vs_err *err) {
    if (q->nl == MAX_QTERMS) return null_err(err, VS_EUSAGE, "query has more than 1024 terms and phrases");
    if (q->nl == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        leaf *a = realloc(q->lv, cap * sizeof *a);
        if (!a) return null_err(err, VS_ENOMEM, "out of memory");
        q->lv = a;
        q->cap = cap;
    }
    leaf *l = &q->lv[q->nl++];
    memset(l, 0, sizeof *l);
    return l;
}

/* Appends analyzed term t at position pos to leaf l. */
static vs_rc leaf_push(leaf *l, const char *t, size_t len, uint32_t pos, vs_err *err) {
    char **a = realloc(l->t, (l->nt + 1) * sizeof *a);
    if (a) l->t = a;
    size_t *b = a ? realloc(l->tl, (l->nt + 1) * sizeof *b) : NULL;
    if (b) l->tl = b;
    uint32_t *o = b ? realloc(l->off, (l->nt + 1) * sizeof *o) : NULL;
    if (o) l->off = o;
    if (!a || !b || !o || !(l->t[l->nt] = strndup(t, len))) return vs_err_set(err, VS_ENOMEM, "out of memory");
    l->tl[l->nt] = len;
    l->off[l->nt] = pos;
    l->nt++;
    return VS_OK;
}

static vs_rc leaf_finish(leaf *l, vs_err *err) {
    if (l->nt == 0) {
        l->ignored = 1;
        return VS_OK;
    }
    l->phrase = l->nt > 1;
    uint32_t base = l->off[0];
    size_t len = 0;
    for (size_t j = 0; j < l->nt; j++) {
        l->off[j] -= base;
        len += l->tl[j] + 1;
    }
    if (!(l->label = malloc(len + 1))) return vs_err_set(err, VS_ENOMEM, "out of memory");
    char *p = l->label;
    for (size_t j = 0; j < l->nt; j++) {
        if (j) *p++ = ' ';
        memcpy(p, l->t[j], l->tl[j]);
        p += l->tl[j];
    }
    *p = '\0';
    return VS_OK;
}

typedef struct actx {
    leaf *l;
    query *q;                   /* free text: one leaf per distinct term */
    vs_rc rc;
    vs_err *err;
} actx;

static int on_leaf_token(void *ctx, const vs_token *t) {
    actx *a = ctx;
    a->rc = leaf_push(a->l, t->term, t->len, t->pos, a->err);
    return a->rc != VS_OK;
}

static int on_free_token(void *ctx, const vs_token *t) {
    actx *a = ctx;
    for (size_t i = 0; i < a->q->nl; i++) { /* only body leaves exist while the text is analysed */
        leaf *l = &a->q->lv[i];
        if (l->tl[0] == t->len && memcmp(l->t[0], t->term, t->len) == 0) {
            l->w += 1.0;
            return 0;
        }
    }
    leaf *l = leaf_new(a->q, a->err);
    if (!l) { a->rc = a->err->rc; return 1; }
    l->w = 1.0;
    if ((a->rc = leaf_push(l, t->term, t->len, 0, a->err)) == VS_OK) a->rc = leaf_finish(l, a->err);
    return a->rc != VS_OK;
}

/* Free text -> leaves + a flat BOOL. */
static vs_rc build_free(vs_index *ix, const char *text, int and_mode, query *q, vs_err *err) {
    actx a = { .q = q, .rc = VS_OK, .err = err };
    vs_rc rc = vs_index_analyze(ix, text, strlen(text), on_free_token, &a, err);
    if (rc == VS_OK) rc = a.rc;
    if (rc != VS_OK) return rc;
    if (!(q->root = tnode_new(q, -1, err))) return err->rc;
    for (size_t i = 0; i < q->nl; i++) {
        tnode *k = tnode_new(q, (int)i, err);
        if (!k) return err->rc;
        if ((rc = tnode_add(q->root, k, and_mode ? VS_OCCUR_MUST : VS_OCCUR_SHOULD, err)) != VS_OK) return rc;
    }
    return VS_OK;
}

/* Leaves below a MUST_NOT (before mark() runs). */
static void find_neg(const query *q, const tnode *t, int neg, uint8_t *out) {
    if (t->leaf >= 0) {
        out[t->leaf] |= (uint8_t)neg;
        return;
    }
    for (size_t i = 0; i < t->n; i++) find_neg(q, t->kids[i], neg || t->occ[i] == VS_OCCUR_MUST_NOT, out);
}

/* --title-weight: each positive body clause (term or phrase, weight w) gets an optional title
 * clause of weight title_weight * w on the same words, a SHOULD of the root (a leaf root becomes
 * a BOOL first), after every other leaf; equal title clauses are merged (weights add). So free
 * text "a b" becomes a b title:a title:b, and with --and the title clauses stay optional. */
static vs_rc add_title_clauses(query *q, double title_weight, vs_err *err) {
    size_t nb = q->nbody = q->nl;
    if (!(title_weight > 0.0) || nb == 0) return VS_OK;
    uint8_t *neg = calloc(nb, 1);
    if (!neg) return vs_err_set(err, VS_ENOMEM, "out of memory");
    find_neg(q, q->root, 0, neg);
    /* A query near the clause limit (MAX_QTERMS) keeps its clauses and gets no title clause
     * rather than failing: the limit is about the query the user typed. */
    size_t want = 0;
    for (size_t i = 0; i < nb; i++) want += !neg[i] && !q->lv[i].title && !q->lv[i].ignored;
    if (nb + want > MAX_QTERMS) {
        free(neg);
        return VS_OK;
    }
    vs_rc rc = VS_OK;
    if (q->root->leaf >= 0) {
        tnode *b = tnode_new(q, -1, err), *old = q->root;
        if (!b || (rc = tnode_add(b, old, VS_OCCUR_SHOULD, err)) != VS_OK) { free(neg); return b ? rc : err->rc; }
        q->root = b;
    }
    for (size_t i = 0; i < nb && rc == VS_OK; i++) {
        if (neg[i] || q->lv[i].title || q->lv[i].ignored) continue;
        size_t k;
        for (k = nb; k < q->nl; k++) { /* an equal title clause already added? */
            const leaf *x = &q->lv[k], *y = &q->lv[i];
            if (x->nt != y->nt) continue;
            size_t j;
            for (j = 0; j < x->nt; j++)
                if (x->tl[j] != y->tl[j] || x->off[j] != y->off[j] || memcmp(x->t[j], y->t[j], x->tl[j]) != 0) break;
            if (j == x->nt) break;
        }
        if (k < q->nl) {
            q->lv[k].w += title_weight * q->lv[i].w;
            continue;
        }
        leaf *l = leaf_new(q, err); /* may move q->lv */
        if (!l) { rc = err->rc; break; }
        const leaf *b = &q->lv[i];
        l->w = title_weight * b->w;
        l->title = 1;
        for (size_t j = 0; j < b->nt && rc == VS_OK; j++) rc = leaf_push(l, b->t[j], b->tl[j], b->off[j], err);
        if (rc == VS_OK) rc = leaf_finish(l, err);
        tnode *x = rc == VS_OK ? tnode_new(q, (int)(q->nl - 1), err) : NULL;
        if (rc == VS_OK && !x) rc = err->rc;
        if (rc == VS_OK) rc = tnode_add(q->root, x, VS_OCCUR_SHOULD, err);
    }
    free(neg);
    return rc;
}

/* Parse tree -> leaves (analyzed) + match tree. */
static tnode *build_tree(vs_index *ix, const vs_qnode *n, query *q, vs_err *err) {
    if (n->kind == VS_Q_BOOL) {
        tnode *b = tnode_new(q, -1, err);
        if (!b) return NULL;
        for (size_t i = 0; i < n->n_kids; i++) {
            tnode *k = build_tree(ix, n->kids[i], q, err);
            if (!k || tnode_add(b, k, n->occur[i], err) != VS_OK) return NULL;
        }
        return b;
    }
    leaf *l = leaf_new(q, err);
    if (!l) return NULL;
    l->w = n->boost;
    l->title = n->field == VS_FIELD_TITLE;
    actx a = { .l = l, .rc = VS_OK, .err = err };
    vs_rc rc = vs_index_analyze(ix, n->text, n->len, on_leaf_token, &a, err);
    if (rc == VS_OK) rc = a.rc;
    if (rc == VS_OK) rc = leaf_finish(l, err);
    if (rc != VS_OK) return NULL;
    return tnode_new(q, (int)(l - q->lv), err);
}

/* Is the subtree dropped (only ignored leaves)? */
static int dropped(const query *q, const tnode *t) {
    if (t->leaf >= 0) return q->lv[t->leaf].ignored;
    for (size_t i = 0; i < t->n; i++)
        if (!dropped(q, t->kids[i])) return 0;
    return 1;
}

/* Marks negative leaves and required leaves (those the root cannot match without). */
static void mark(query *q, const tnode *t, int neg, int req) {
    if (t->leaf >= 0) {
        leaf *l = &q->lv[t->leaf];
        if (neg) l->neg = 1;
        if (req && !neg) l->req = 1;
        return;
    }
    int has_must = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->occ[i] == VS_OCCUR_MUST && !dropped(q, t->kids[i])) has_must = 1;
    size_t live_should = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->occ[i] == VS_OCCUR_SHOULD && !dropped(q, t->kids[i])) live_should++;
    for (size_t i = 0; i < t->n; i++) {
        int kneg = neg || t->occ[i] == VS_OCCUR_MUST_NOT;
        /* a kid is required if it is MUST, or the only live SHOULD of a node without MUST */
        int kreq = req && ((t->occ[i] == VS_OCCUR_MUST) || (!has_must && live_should == 1 && t->occ[i] == VS_OCCUR_SHOULD));
        mark(q, t->kids[i], kneg, kreq && !dropped(q, t->kids[i]));
    }
}

/* Does the tree match, given which leaves match the candidate (bits)? */
static int matches(const query *q, const tnode *t, const uint8_t *bits) {
    if (t->leaf >= 0) return bits[t->leaf];
    int has_must = 0, any_should = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (dropped(q, t->kids[i])) continue;
        int m = matches(q, t->kids[i], bits);
        switch (t->occ[i]) {
        case VS_OCCUR_MUST: if (!m) return 0; has_must = 1; break;
        case VS_OCCUR_MUST_NOT: if (m) return 0; break;
        default: if (m) any_should = 1; break;
        }
    }
    return has_must || any_should;
}

/* Looks up leaf l's term j in segment s (a title leaf's as VS_TITLE_PREFIX + term). */
static vs_rc leaf_lookup(vs_segment *s, const leaf *l, size_t j, vs_term_info *ti, int *found, vs_err *err) {
    if (!l->title) return vs_segment_lookup(s, l->t[j], l->tl[j], ti, found, err);
    char buf[1 + 65536];
    if (l->tl[j] > 65535) { *found = 0; return VS_OK; } /* longer than any dictionary term */
    buf[0] = VS_TITLE_PREFIX;
    memcpy(buf + 1, l->t[j], l->tl[j]);
    return vs_segment_lookup(s, buf, l->tl[j] + 1, ti, found, err);
}

static vs_rc lookup_leaves(vs_index *ix, query *q, vs_term_info **tis, int **found, vs_err *err) {
    size_t ns = ix->n_seg, total = 0;
    for (size_t i = 0; i < q->nl; i++) total += q->lv[i].nt;
    *tis = calloc(total * ns + 1, sizeof **tis);
    *found = calloc(total * ns + 1, sizeof **found);
    if (!*tis || !*found) return vs_err_set(err, VS_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < q->nl; i++) {
        leaf *l = &q->lv[i];
        l->idf = 0.0;
        l->pc = 1.0;
        for (size_t j = 0; j < l->nt; j++, k++) {
            uint64_t df = 0, cf = 0;
            for (size_t s = 0; s < ns; s++) {
                vs_rc rc = leaf_lookup(ix->seg[s], l, j, &(*tis)[k * ns + s], &(*found)[k * ns + s], err);
                if (rc != VS_OK) return rc;
                if ((*found)[k * ns + s]) {
                    df += (*tis)[k * ns + s].df;
                    cf += (*tis)[k * ns + s].cf;
                }
            }
            /* a title leaf: the title field's own N_T and tokens (Lucene's per-field statistics) */
            double N = (double)(l->title ? ix->NT : ix->N);
            l->idf += log(1.0 + (N - (double)df + 0.5) / ((double)df + 0.5));
            double pc = ((double)cf + 1.0) / ((double)(l->title ? ix->total_tlen : ix->total_len) + 1.0);
            if (pc < l->pc) l->pc = pc; /* a phrase is at most as likely as its rarest term */
            if (j == 0 || df < l->df) l->df = df;
            if (j == 0 || cf < l->cf) l->cf = cf;
        }
    }
    return VS_OK;
}

/* ---- leaf cursors ---- */

typedef struct lcur {
    leaf *lf;
    size_t li;                  /* leaf index */
    vs_plist *pl;               /* lf->nt cursors */
    uint32_t doc, tf;
    uint32_t max_tf, min_len;   /* list-level bound data */
    uint32_t bb_last;           /* cached block bound: valid for targets <= bb_last */
    int bb_valid;
    double bb;
    uint32_t **pos;             /* phrase: position buffers per term */
    uint32_t *pcap, *pn;
    double ub;
    /* title leaf: its postings are documents (at their first passage: tfirst); the cursor
     * visits every passage [tfirst, tend) of each, doc being the current one; tlen scores */
    uint32_t tfirst, tend, tlen;
} lcur;

static void lc_free(lcur *c) {
    if (c->pos)
        for (size_t j = 0; j < c->lf->nt; j++) free(c->pos[j]);
    free(c->pos);
    free(c->pcap);
    free(c->pn);
    free(c->pl);
}

/* Phrase frequency at the current common doc; -1 on damage (the cursor that met it has its
 * rc set), -2 when out of memory. */
static int phrase_freq(lcur *c) {
    size_t n = c->lf->nt;
    for (size_t j = 0; j < n; j++) {
        uint32_t tf = vs_plist_tf(&c->pl[j]);
        if (tf > c->pcap[j]) {
            uint32_t *p = realloc(c->pos[j], (size_t)tf * sizeof *p);
            if (!p) return -2;
            c->pos[j] = p;
            c->pcap[j] = tf;
        }
        int k = vs_plist_positions(&c->pl[j], c->pos[j], tf);
        if (k < 0) return -1;
        c->pn[j] = (uint32_t)k;
    }
    /* For each position p0 of the first term, every term j must have p0 + off[j]. Position
     * lists are increasing, so one forward pointer per term suffices. */
    uint32_t idx[64] = { 0 }, freq = 0;
    if (n > 64) return 0;
    for (uint32_t a = 0; a < c->pn[0]; a++) {
        uint64_t p0 = c->pos[0][a];
        size_t j;
        for (j = 1; j < n; j++) {
            uint64_t want = p0 + c->lf->off[j];
            while (idx[j] < c->pn[j] && c->pos[j][idx[j]] < want) idx[j]++;
            if (idx[j] >= c->pn[j] || c->pos[j][idx[j]] != want) break;
        }
        if (j == n) freq++;
    }
    return (int)freq;
}

/* The phrase's first match >= target (its frequency in c->tf); the term cursors move there. */
static uint32_t phrase_find(lcur *c, uint32_t target) {
    size_t n = c->lf->nt;
    uint32_t d = target;
    for (;;) {
        int moved = 0;
        for (size_t j = 0; j < n; j++) {
            uint32_t x = vs_plist_seek(&c->pl[j], d);
            if (x == VS_PLIST_END) return VS_PLIST_END;
            if (x != d) { d = x; moved = 1; break; }
        }
        if (moved) continue;
        int f = phrase_freq(c);
        if (f < 0) {
            if (f == -2 && c->pl[0].rc == VS_OK) c->pl[0].rc = VS_ENOMEM;
            return VS_PLIST_END;
        }
        if (f > 0) {
            c->tf = (uint32_t)f;
            return d;
        }
        if (d == UINT32_MAX - 1) return VS_PLIST_END;
        d++;
    }
}

/* ---- title cursors: a document posting expanded into the document's passages ---- */

/* The clause's own (document-level) postings: first match >= target, or the next one. */
static inline uint32_t raw_seek(lcur *c, uint32_t target) {
    return c->lf->phrase ? phrase_find(c, target) : vs_plist_seek(&c->pl[0], target);
}

static uint32_t title_fail(lcur *c, vs_rc rc) {
    if (c->pl[0].rc == VS_OK) c->pl[0].rc = rc;
    c->tend = 0;
    return c->doc = VS_PLIST_END;
}

/* Puts the cursor on the document whose posting is x (its first passage), at passage
 * max(x, target). `first`/`end`/`tl` describe target's document when known (first != x else). */
static uint32_t title_land(lcur *c, uint32_t x, uint32_t target, uint32_t first, uint32_t end, uint32_t tl) {
    if (x == VS_PLIST_END) {
        c->tend = 0;
        return c->doc = VS_PLIST_END;
    }
    if (x != first) {
        vs_rc rc = vs_segment_doc_span(c->pl[0].s, x, &first, &end, &tl, &c->pl[0].err);
        if (rc != VS_OK) return title_fail(c, rc);
        if (first != x || tl == 0)
            return title_fail(c, vs_err_set(&c->pl[0].err, VS_ECORRUPT, "'%s' is damaged: a title posting is not at a titled document's first passage",
                                            vs_segment_name(c->pl[0].s)));
    }
    c->tfirst = x;
    c->tend = end;
    c->tlen = tl;
    return c->doc = x < target ? target : x;
}

/* First passage >= target (> c->doc) of a document the clause matches in its title. */
static uint32_t title_seek(lcur *c, uint32_t target) {
    if (target < c->tend) return c->doc = target; /* still inside the current document */
    if (target >= vs_segment_get_meta(c->pl[0].s)->n_passages) {
        c->tend = 0;
        return c->doc = VS_PLIST_END;
    }
    uint32_t first, end, tl;
    vs_rc rc = vs_segment_doc_span(c->pl[0].s, target, &first, &end, &tl, &c->pl[0].err);
    if (rc != VS_OK) return title_fail(c, rc);
    /* the document holding target starts at first: a posting there covers target; any later
     * posting is a later document's, beyond target */
    return title_land(c, raw_seek(c, first), target, first, end, tl);
}

static uint32_t title_next(lcur *c) {
    if (c->doc + 1 < c->tend) return ++c->doc;
    uint32_t x = c->lf->phrase ? phrase_find(c, c->tfirst + 1) : vs_plist_next(&c->pl[0]);
    return title_land(c, x, 0, UINT32_MAX, 0, 0);
}

static inline uint32_t lc_seek(lcur *c, uint32_t target) {
    if (c->doc >= target) return c->doc;
    if (c->lf->title) return title_seek(c, target);
    if (!c->lf->phrase) return c->doc = vs_plist_seek(&c->pl[0], target);
    return c->doc = phrase_find(c, target);
}

static inline uint32_t lc_next(lcur *c) {
    if (c->doc == VS_PLIST_END) return VS_PLIST_END;
    if (c->lf->title) return title_next(c);
    if (!c->lf->phrase) return c->doc = vs_plist_next(&c->pl[0]);
    return c->doc = phrase_find(c, c->doc + 1);
}

/* The length c's contribution is scored with at its current passage (len: the passage's). */
static inline uint32_t lc_len(const lcur *c, uint32_t len) { return c->lf->title ? c->tlen : len; }

static inline uint32_t lc_tf(const lcur *c) { return c->lf->phrase ? c->tf : vs_plist_tf(&c->pl[0]); }

static int raw_bound(lcur *c, uint32_t target, uint32_t *bt, uint32_t *bl, uint32_t *last);

/* Bound data (max tf, min length, last id covered) of the block holding target. A title
 * clause's block is the one holding the posting of target's document (its first passage):
 * the bound then covers every passage up to `last` (a document's first passage). */
static int lc_bound(lcur *c, uint32_t target, uint32_t *bt, uint32_t *bl, uint32_t *last) {
    if (c->lf->title) {
        if (c->doc == VS_PLIST_END) return 0;
        if (target < c->tend) {
            target = c->tfirst;
        } else {
            if (target >= vs_segment_get_meta(c->pl[0].s)->n_passages) return 0;
            uint32_t end, tl;
            vs_rc rc = vs_segment_doc_span(c->pl[0].s, target, &target, &end, &tl, &c->pl[0].err);
            if (rc != VS_OK) {
                title_fail(c, rc);
                return 0;
            }
        }
    }
    if (!c->lf->title) return raw_bound(c, target, bt, bl, last);
    if (!raw_bound(c, target, bt, bl, last)) return 0;
    /* `last` is a document's first passage: the bound covers that document's other passages too */
    if (*last == c->tfirst) {
        *last = c->tend - 1;
    } else {
        uint32_t first, end, tl;
        vs_rc rc = vs_segment_doc_span(c->pl[0].s, *last, &first, &end, &tl, &c->pl[0].err);
        if (rc != VS_OK) {
            title_fail(c, rc);
            return 0;
        }
        *last = end - 1;
    }
    return 1;
}

/* Block bound data of the clause's own (document-level for a title clause) postings. */
static int raw_bound(lcur *c, uint32_t target, uint32_t *bt, uint32_t *bl, uint32_t *last) {
    if (!c->lf->phrase) return vs_plist_block_bound(&c->pl[0], target, bt, bl, last);
    uint32_t t = UINT32_MAX, l = 0, e = UINT32_MAX;
    for (size_t j = 0; j < c->lf->nt; j++) {
        uint32_t a, b2, z;
        if (!vs_plist_block_bound(&c->pl[j], target, &a, &b2, &z)) return 0;
        if (a < t) t = a;
        if (b2 > l) l = b2;
        if (z < e) e = z;
    }
    *bt = t;
    *bl = l;
    *last = e;
    return 1;
}

static vs_rc lc_rc(const lcur *c, vs_err *err) {
    for (size_t j = 0; j < c->lf->nt; j++)
        if (c->pl[j].rc != VS_OK) {
            if (c->pl[j].rc == VS_ENOMEM) return vs_err_set(err, VS_ENOMEM, "out of memory reading positions");
            *err = c->pl[j].err;
            return c->pl[j].rc;
        }
    return VS_OK;
}

/* ---- scoring ---- */

typedef struct bydoc {
    int have;
    cand best;
} bydoc;

typedef struct run {
    vs_index *ix;
    query *q;
    const vs_search_opts *o;
    model m, mt;                /* passages; the title field */
    topk t;
    bydoc bd;
    uint64_t scored;
    /* per segment */
    vs_segment *s;
    uint32_t seg;
    lcur *pos_c;                /* positive cursors, sorted by ub ascending */
    size_t npos;
    lcur *neg_c;
    size_t nneg;
    double *prefix;             /* prefix sums of pos_c[].ub */
    double *c;                  /* per leaf contribution of the candidate */
    uint8_t *bits;              /* per leaf: matches the candidate */
    size_t *touched;            /* leaves set for the current candidate */
    size_t ntouched;
    vs_lens lens;
    int all_should_terms;       /* flat OR of positive leaves: every candidate matches */
} run;

/* Hands a scored passage to the top-k (by document: passages of one document are contiguous
 * in id order, so the best of the current document is held until the document changes). */
static void offer(run *r, cand *c) {
    if (!r->o->by_doc) {
        topk_push(&r->t, c);
        return;
    }
    fill_p(&r->t, c);
    bydoc *bd = &r->bd;
    if (bd->have && bd->best.seg == c->seg && bd->best.doc == c->doc) {
        if (c->score > bd->best.score) bd->best = *c;
        return;
    }
    if (bd->have) topk_push(&r->t, &bd->best);
    bd->best = *c;
    bd->have = 1;
}

/* The candidate d has its positive leaves' contributions in r->c and bits; check exclusions
 * and structure, then sum in leaf order and offer it. */
static vs_rc finish(run *r, uint32_t d, vs_err *err) {
    if (vs_index_is_deleted(r->ix, r->seg, d)) return VS_OK;
    if (!r->all_should_terms) {
        for (size_t i = 0; i < r->nneg; i++) {
            lcur *c = &r->neg_c[i];
            r->bits[c->li] = lc_seek(c, d) == d;
            r->touched[r->ntouched++] = c->li;
        }
        if (!matches(r->q, r->q->root, r->bits)) return VS_OK;
    }
    double score = 0.0;
    for (size_t i = 0; i < r->q->nl; i++) score += r->c[i];
    /* Below the k-th score nothing can enter (by document too: a document in the heap already
     * scores at least that much, and a pending one would not get in with this score). */
    if (score < topk_threshold(&r->t)) return VS_OK;
    (void)err;
    cand c = { .score = score, .seg = r->seg, .pid = d };
    offer(r, &c);
    return VS_OK;
}

static void clear_candidate(run *r) {
    for (size_t i = 0; i < r->ntouched; i++) {
        r->c[r->touched[i]] = 0.0;
        r->bits[r->touched[i]] = 0;
    }
    r->ntouched = 0;
}

static inline vs_rc plen(run *r, uint32_t d, uint32_t *len, vs_err *err) {
    if (vs_lens_get(&r->lens, d, len)) return VS_OK;
    return vs_segment_plen(r->s, d, len, err);
}

/* Scores leaf cursor x at d (it is there) into the candidate. */
static inline double take(run *r, lcur *x, uint32_t len) {
    double v = LEAF_SCORE(r, x->lf, lc_tf(x), lc_len(x, len));
    r->c[x->li] = v;
    r->bits[x->li] = 1;
    r->touched[r->ntouched++] = x->li;
    r->scored++;
    return v;
}

/* Upper bound of x's contribution in the block that holds target (cached per block); 0 when
 * x has no posting >= target. */
static inline int block_ub(run *r, lcur *x, uint32_t target, double *ub, uint32_t *last_out) {
    if (!x->bb_valid || target > x->bb_last) {
        uint32_t bt, bl, last;
        if (!lc_bound(x, target, &bt, &bl, &last)) return 0;
        double u = LEAF_SCORE(r, x->lf, bt, bl) * (1.0 + 1e-9);
        x->bb = u < x->ub ? u : x->ub;
        x->bb_last = last;
        x->bb_valid = 1;
    }
    *ub = x->bb;
    if (last_out) *last_out = x->bb_last;
    return 1;
}

/* Non-essential / optional cursors [0, upto) in descending order of ub: seek each to d unless
 * the bound says the candidate cannot reach theta. Returns 1 if pruned. */
static int complete(run *r, size_t upto, uint32_t d, uint32_t len, double upper, double cut, int skip_req) {
    for (size_t j = upto; j-- > 0;) {
        lcur *x = &r->pos_c[j];
        if (skip_req && x->lf->req) continue;
        if (upper < cut) return 1;
        double bub;
        if (!block_ub(r, x, d, &bub, NULL)) { upper -= x->ub; continue; }
        upper += bub - x->ub;
        if (upper < cut) return 1;
        if (lc_seek(x, d) == d) upper += take(r, x, len) - bub;
        else upper -= bub;
    }
    return upper < cut;
}

/* No required leaf: MaxScore over the positive leaves. Cursors [0, e) are non-essential:
 * together they cannot reach theta, so candidates come from [e, n); non-essential cursors are
 * only moved when their block bounds leave the candidate a chance. (A block-max check on the
 * essential cursors too was measured: on Reuters it cost 20% more instructions than it saved.) */
static vs_rc run_union(run *r, vs_err *err) {
    size_t n = r->npos, e = 0;
    for (;;) {
        double cut = r->o->exhaustive ? -DBL_MAX : cut_of(topk_threshold(&r->t));
        while (e < n && r->prefix[e] < cut) e++;
        if (e >= n) break;
        uint32_t d = VS_PLIST_END;
        for (size_t i = e; i < n; i++)
            if (r->pos_c[i].doc < d) d = r->pos_c[i].doc;
        if (d == VS_PLIST_END) break;
        uint32_t len;
        vs_rc rc = plen(r, d, &len, err);
        if (rc != VS_OK) return rc;
        clear_candidate(r);
        double upper = e ? r->prefix[e - 1] : 0.0;
        for (size_t i = e; i < n; i++) {
            lcur *x = &r->pos_c[i];
            if (x->doc == d) {
                upper += take(r, x, len);
                lc_next(x);
            }
        }
        if (complete(r, e, d, len, upper, cut, 0)) continue;
        if ((rc = finish(r, d, err)) != VS_OK) return rc;
    }
    return VS_OK;
}

/* Required leaves drive: leapfrog intersection led by the required cursor with the highest
 * bound (usually the rarest), skipping blocks whose combined bound is below theta; optional
 * positive leaves are then added MaxScore-style. */
static vs_rc run_required(run *r, vs_err *err) {
    size_t n = r->npos;
    lcur *req[MAX_QTERMS] = { 0 };
    size_t nr = 0;
    double opt_ub = 0.0;
    for (size_t i = n; i-- > 0;) {
        if (r->pos_c[i].lf->req) req[nr++] = &r->pos_c[i];
        else opt_ub += r->pos_c[i].ub;
    }
    uint32_t d = req[0]->doc;
    while (d != VS_PLIST_END) {
        int moved = 0;
        for (size_t i = 0; i < nr; i++) {
            uint32_t x = lc_seek(req[i], d);
            if (x != d) { d = x; moved = 1; break; }
        }
        if (d == VS_PLIST_END) break;
        if (moved) continue;
        double cut = r->o->exhaustive ? -DBL_MAX : cut_of(topk_threshold(&r->t));
        if (cut > -DBL_MAX) {
            double bound = opt_ub;
            uint32_t next = VS_PLIST_END;
            int ok = 1;
            for (size_t i = 0; i < nr; i++) {
                double u;
                uint32_t last;
                if (!block_ub(r, req[i], d, &u, &last)) { ok = 0; break; }
                bound += u;
                if (last < next) next = last;
            }
            if (!ok) break;
            if (bound < cut) {
                if (next == VS_PLIST_END) break;
                d = next + 1; /* nothing up to the end of the shortest current block can make it */
                continue;
            }
        }
        uint32_t len;
        vs_rc rc = plen(r, d, &len, err);
        if (rc != VS_OK) return rc;
        clear_candidate(r);
        double upper = opt_ub;
        for (size_t i = 0; i < nr; i++) upper += take(r, req[i], len);
        if (!complete(r, n, d, len, upper, cut, 1) && (rc = finish(r, d, err)) != VS_OK) return rc;
        d = lc_next(req[0]);
    }
    return VS_OK;
}

/* One term, nothing else: score block by block in a tight loop (the cursor decodes 128
 * postings at a time), skipping whole blocks whose bound is below the k-th score. Scores come
 * from the same clause_score() as every other path. */
static vs_rc run_single(run *r, vs_err *err) {
    lcur *x = &r->pos_c[0];
    vs_plist *pl = &x->pl[0];
    const leaf *l = x->lf;
    int skip_ok = !r->o->exhaustive;
    while (pl->doc != VS_PLIST_END) {
        double cut = skip_ok ? cut_of(topk_threshold(&r->t)) : -DBL_MAX;
        if (cut > -DBL_MAX) {
            double u;
            uint32_t last;
            if (!block_ub(r, x, pl->doc, &u, &last)) break;
            if (u < cut) {
                if (last == UINT32_MAX - 1 || vs_plist_seek(pl, last + 1) == VS_PLIST_END) break;
                continue;
            }
        }
        /* the rest of the decoded block */
        uint32_t blk = pl->block;
        for (uint32_t i = pl->i; i < pl->n; i++) {
            uint32_t d = pl->docs[i], len;
            vs_rc rc = plen(r, d, &len, err);
            if (rc != VS_OK) return rc;
            double score = LEAF_SCORE(r, l, pl->tfs[i], len);
            r->scored++;
            if (score < topk_threshold(&r->t)) continue;
            if (vs_index_is_deleted(r->ix, r->seg, d)) continue;
            cand c = { .score = score, .seg = r->seg, .pid = d };
            offer(r, &c);
        }
        /* next block */
        pl->i = pl->n - 1;
        if (vs_plist_next(pl) == VS_PLIST_END || pl->block == blk) break;
    }
    return VS_OK;
}

/* Runs the query over every segment into r->t, sorted. */
static vs_rc retrieve(run *r, const vs_term_info *tis, const int *found, vs_err *err) {
    vs_index *ix = r->ix;
    query *q = r->q;
    size_t nl = q->nl, ns = ix->n_seg;
    vs_rc rc = VS_OK;
    r->t.n = 0;
    r->t.k = r->o->k;
    r->t.lazy = r->t.cap >= 2 * r->t.k && r->t.k >= TOPK_LAZY_MIN;
    r->t.theta = -DBL_MAX;
    r->bd.have = 0;
    int any_req = 0, flat = q->root->leaf < 0;
    for (size_t i = 0; i < nl; i++) {
        if (q->lv[i].req && !q->lv[i].ignored) any_req = 1;
        if (q->lv[i].neg || q->lv[i].phrase) flat = 0;
    }
    for (size_t i = 0; flat && i < q->root->n; i++)
        if (q->root->kids[i]->leaf < 0 || q->root->occ[i] != VS_OCCUR_SHOULD) flat = 0;
    r->all_should_terms = flat;
    if (nl == 0 || dropped(q, q->root)) return VS_OK;
    r->pos_c = calloc(nl, sizeof *r->pos_c);
    r->neg_c = calloc(nl, sizeof *r->neg_c);
    r->prefix = calloc(nl, sizeof *r->prefix);
    r->c = calloc(nl, sizeof *r->c);
    r->bits = calloc(nl, 1);
    r->touched = calloc(2 * nl, sizeof *r->touched);
    if (!r->pos_c || !r->neg_c || !r->prefix || !r->c || !r->bits || !r->touched) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t s = 0; rc == VS_OK && s < ns; s++) {
        r->s = ix->seg[s];
        r->seg = (uint32_t)s;
        r->npos = r->nneg = 0;
        vs_segment_lens_view(r->s, &r->lens);
        clear_candidate(r);
        int missing_req = 0;
        size_t k = 0; /* running term index */
        for (size_t i = 0; rc == VS_OK && i < nl; i++) {
            leaf *l = &q->lv[i];
            size_t k0 = k;
            k += l->nt;
            if (l->ignored) continue;
            int present = 1;
            for (size_t j = 0; j < l->nt; j++)
                if (!found[(k0 + j) * ns + s]) present = 0;
            if (!present) {
                if (l->req) missing_req = 1;
                continue;
            }
            lcur *c = l->neg ? &r->neg_c[r->nneg] : &r->pos_c[r->npos];
            memset(c, 0, sizeof *c);
            c->lf = l;
            c->li = i;
            c->pl = calloc(l->nt, sizeof *c->pl);
            if (!c->pl) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); break; }
            if (l->neg) r->nneg++;
            else r->npos++;
            c->max_tf = UINT32_MAX;
            for (size_t j = 0; j < l->nt; j++) {
                const vs_term_info *ti = &tis[(k0 + j) * ns + s];
                if (vs_plist_open(&c->pl[j], r->s, ti) != VS_OK) { *err = c->pl[j].err; rc = c->pl[j].rc; break; }
                if (ti->max_tf < c->max_tf) c->max_tf = ti->max_tf;
                if (ti->min_len > c->min_len) c->min_len = ti->min_len;
            }
            if (rc != VS_OK) break;
            if (l->phrase) {
                c->pos = calloc(l->nt, sizeof *c->pos);
                c->pcap = calloc(l->nt, sizeof *c->pcap);
                c->pn = calloc(l->nt, sizeof *c->pn);
                if (!c->pos || !c->pcap || !c->pn) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); break; }
                c->doc = phrase_find(c, 0);
            } else {
                c->doc = c->pl[0].doc;
            }
            if (l->title) title_land(c, c->doc, 0, UINT32_MAX, 0, 0);
            c->ub = LEAF_SCORE(r, l, c->max_tf, c->min_len) * (1.0 + 1e-9);
            if (!l->neg) {
                /* insertion sort by ub ascending (ties keep query order) */
                for (size_t x = r->npos - 1; x > 0 && r->pos_c[x - 1].ub > r->pos_c[x].ub; x--) {
                    lcur t = r->pos_c[x];
                    r->pos_c[x] = r->pos_c[x - 1];
                    r->pos_c[x - 1] = t;
                }
            }
        }
        if (rc == VS_OK && !missing_req && r->npos > 0) {
            double acc = 0;
            for (size_t i = 0; i < r->npos; i++) r->prefix[i] = acc += r->pos_c[i].ub;
            if (q->nl == 1 && r->npos == 1 && !r->pos_c[0].lf->phrase && !r->pos_c[0].lf->title) rc = run_single(r, err);
            else rc = any_req ? run_required(r, err) : run_union(r, err);
        }
        for (size_t i = 0; i < r->npos; i++) {
            if (rc == VS_OK) rc = lc_rc(&r->pos_c[i], err);
            lc_free(&r->pos_c[i]);
        }
        for (size_t i = 0; i < r->nneg; i++) {
            if (rc == VS_OK) rc = lc_rc(&r->neg_c[i], err);
            lc_free(&r->neg_c[i]);
        }
        if (rc == VS_OK && r->bd.have) {
            topk_push(&r->t, &r->bd.best);
            r->bd.have = 0;
        }
    }
    free(r->pos_c);
    free(r->neg_c);
    free(r->prefix);
    free(r->c);
    free(r->bits);
    free(r->touched);
    r->touched = NULL;
    r->ntouched = 0;
    r->pos_c = r->neg_c = NULL;
    r->prefix = r->c = NULL;
    r->bits = NULL;
    if (r->t.lazy && r->t.n > r->t.k) topk_select(&r->t);
    /* one segment: ranks order the ids; several: the id strings */
    int one = ix->n_seg == 1;
    for (size_t i = 0; rc == VS_OK && i < r->t.n; i++) {
        if (one) fill_rank(&r->t, &r->t.h[i]);
        else fill_id(&r->t, &r->t.h[i]);
    }
    if (rc == VS_OK && r->t.rc != VS_OK) {
        *err = r->t.err;
        rc = r->t.rc;
    }
    if (rc == VS_OK) qsort(r->t.h, r->t.n, sizeof *r->t.h, one ? cmp_cand_rank1 : cmp_cand_rank);
    return rc;
}

/* ---- RM3 (as Anserini's RM3Reranker defines it) ----
 * For each of the fb_docs top units D with score s_D: P(w|D) = tf(w, D) / |D| over the terms of
 * D that are 2..20 ASCII letters/digits, occur in at most 10% of the passages and are among D's
 * fb_terms most frequent such terms (|D| counts only those); rm(w) = sum_D P(w|D) * s_D; keep
 * the fb_terms heaviest
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
    fbterm **use;               /* usable terms of the current unit */
    size_t use_cap;
    int oom;
} fbset;

/* Orders terms by tf in the current unit (descending), then term bytes. */
static int cmp_unit_tf(const void *a, const void *b) {
    const fbterm *x = *(fbterm *const *)a, *y = *(fbterm *const *)b;
    if (x->tf != y->tf) return x->tf > y->tf ? -1 : 1;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->t, y->t, m);
    return c ? c : (x->len < y->len ? -1 : (x->len > y->len));
}

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

/* Builds the expanded query (flat OR of term leaves) from the feedback units in r->t. */
static vs_rc rm3_expand(run *r, const query *orig, query *out, vs_err *err) {
    fbset f = { 0 };
    vs_buf text = VS_BUF_INIT;
    vs_rc rc = VS_OK;
    for (size_t i = 0; i < r->t.n && rc == VS_OK; i++) {
        const cand *c = &r->t.h[i];
        if ((rc = vs_segment_text(r->ix->seg[c->seg], c->pid, &text, err)) != VS_OK) break;
        for (size_t j = 0; j < f.n; j++) f.v[j].tf = 0;
        rc = vs_index_analyze(r->ix, (const char *)text.p, text.len, on_fbtoken, &f, err);
        if (rc == VS_OK && f.oom) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        if (rc == VS_OK && f.n > f.use_cap) {
            fbterm **nu = realloc(f.use, f.n * sizeof *nu);
            if (!nu) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
            else { f.use = nu; f.use_cap = f.n; }
        }
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
        }
        if (rc != VS_OK) continue;
        /* Keep the unit's fb_terms most frequent usable terms (ties by term bytes), as Anserini
         * prunes each feedback document vector before normalising it. */
        size_t nu = 0;
        for (size_t j = 0; j < f.n; j++)
            if (f.v[j].tf && f.v[j].usable) f.use[nu++] = &f.v[j];
        if (nu > 1) qsort(f.use, nu, sizeof *f.use, cmp_unit_tf);
        if (nu > r->o->fb_terms) nu = r->o->fb_terms;
        uint64_t norm = 0;
        for (size_t j = 0; j < nu; j++) norm += f.use[j]->tf;
        if (norm == 0) continue;
        for (size_t j = 0; j < nu; j++) f.use[j]->w += (double)f.use[j]->tf / (double)norm * c->score;
    }
    vs_buf_free(&text);
    if (rc == VS_OK) {
        if (f.n > 1) qsort(f.v, f.n, sizeof *f.v, cmp_fb);
        size_t keep = f.n < r->o->fb_terms ? f.n : r->o->fb_terms;
        double rs = 0.0, qs = 0.0;
        for (size_t j = 0; j < keep; j++) rs += f.v[j].w;
        size_t nb = orig->nbody; /* the title clauses of --title-weight are added again afterwards */
        for (size_t j = 0; j < nb; j++) qs += orig->lv[j].w;
        double a = r->o->orig_weight;
        /* the original terms first (their order), then expansion terms by weight */
        for (size_t j = 0; rc == VS_OK && j < nb + keep; j++) {
            const char *t;
            size_t len;
            double w;
            if (j < nb) {
                t = orig->lv[j].t[0];
                len = orig->lv[j].tl[0];
                w = a * orig->lv[j].w / qs;
            } else {
                const fbterm *x = &f.v[j - nb];
                if (!(rs > 0.0 && x->w > 0.0)) continue;
                t = x->t;
                len = x->len;
                w = (1.0 - a) * x->w / rs;
            }
            size_t k;
            for (k = 0; k < out->nl; k++)
                if (out->lv[k].tl[0] == len && memcmp(out->lv[k].t[0], t, len) == 0) break;
            if (k < out->nl) {
                out->lv[k].w += w;
                continue;
            }
            leaf *l = leaf_new(out, err);
            if (!l) { rc = err->rc; break; }
            l->w = w;
            if ((rc = leaf_push(l, t, len, 0, err)) == VS_OK) rc = leaf_finish(l, err);
        }
        if (rc == VS_OK && !(out->root = tnode_new(out, -1, err))) rc = err->rc;
        for (size_t k = 0; rc == VS_OK && k < out->nl; k++) {
            tnode *x = tnode_new(out, (int)k, err);
            if (!x) rc = err->rc;
            else rc = tnode_add(out->root, x, VS_OCCUR_SHOULD, err);
        }
    }
    for (size_t j = 0; j < f.n; j++) free(f.v[j].t);
    free(f.v);
    free(f.use);
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
        free((char *)h->text);
        free((char *)h->snippet);
        free((void *)h->marks);
        free((void *)h->explain);
    }
    free(r->hits);
    for (size_t i = 0; r->terms && i < r->n_terms; i++) free((char *)r->terms[i]);
    free((void *)r->terms);
    free((void *)r->weights);
    free(r->strings);
    free((char *)r->query);
    free(r);
}

/* The hits' documents (read once) and the bytes their doc, title and path strings take (with
 * their NULs). */
static vs_rc hit_docs(run *rn, vs_doc_info *dis, size_t *total, vs_err *err) {
    *total = 0;
    for (size_t i = 0; i < rn->t.n; i++) {
        vs_rc rc = vs_segment_doc(rn->ix->seg[rn->t.h[i].seg], rn->t.h[i].doc, &dis[i], err);
        if (rc != VS_OK) return rc;
        *total += (size_t)dis[i].id_len + dis[i].title_len + dis[i].path_len + 3;
    }
    return VS_OK;
}

static vs_rc fill_hit(run *rn, const cand *c, const vs_doc_info *dip, vs_results *r, vs_hit *h, size_t *pool_used,
                      vs_buf *text, vs_err *err) {
    vs_index *ix = rn->ix;
    const vs_search_opts *o = rn->o;
    vs_segment *s = ix->seg[c->seg];
    vs_doc_info di = *dip;
    uint32_t plen;
    vs_rc rc = vs_segment_plen(s, c->pid, &plen, err);
    if (rc != VS_OK) return rc;
    h->score = c->score;
    h->passage = c->pno;
    h->len = plen;
    /* doc, title and path go to r->strings, sized beforehand by strings_size() */
    char *pool = (char *)r->strings + *pool_used;
    memcpy(pool, di.id, di.id_len);
    pool[di.id_len] = '\0';
    memcpy(pool + di.id_len + 1, di.title, di.title_len);
    pool[di.id_len + 1 + di.title_len] = '\0';
    memcpy(pool + di.id_len + di.title_len + 2, di.path, di.path_len);
    pool[di.id_len + di.title_len + 2 + di.path_len] = '\0';
    h->doc = pool;
    h->title = pool + di.id_len + 1;
    h->path = pool + di.id_len + di.title_len + 2;
    *pool_used += (size_t)di.id_len + di.title_len + di.path_len + 3;
    if (o->snippets) {
        if ((rc = vs_segment_text(s, c->pid, text, err)) != VS_OK) return rc;
        h->text = dupn((const char *)text->p, text->len);
        if (!h->text) return vs_err_set(err, VS_ENOMEM, "out of memory");
        /* highlight every term of every positive clause */
        const char *hl[MAX_QTERMS];
        size_t nh = 0;
        for (size_t i = 0; i < rn->q->nl; i++) {
            const leaf *l = &rn->q->lv[i];
            if (l->neg || l->ignored || l->title) continue; /* title clauses match the title, not the text */
            for (size_t j = 0; j < l->nt && nh < MAX_QTERMS; j++) hl[nh++] = l->t[j];
        }
        if ((rc = vs_snippet_make(ix, h->text, text->len, hl, nh, h, err)) != VS_OK) return rc;
    }
    if (o->explain) {
        size_t nl = rn->q->nl;
        vs_term_explain *ex = calloc(nl ? nl : 1, sizeof *ex);
        if (!ex) return vs_err_set(err, VS_ENOMEM, "out of memory");
        h->explain = ex;
        for (size_t i = 0; i < nl; i++) {
            const leaf *l = &rn->q->lv[i];
            ex[i].term = r->terms[i];
            ex[i].weight = l->w;
            ex[i].df = (uint32_t)l->df;
            ex[i].cf = l->cf;
            ex[i].idf = o->model == VS_MODEL_QL ? l->pc : l->idf;
            ex[i].title = l->title;
            ex[i].N = l->title ? ix->NT : ix->N;
            ex[i].avglen = l->title ? ix->avgtlen : ix->avglen;
            ex[i].len = plen;
            uint32_t tfirst = c->pid, tl = 0;
            if (l->title) { /* the title of the hit's document */
                uint32_t end;
                if ((rc = vs_segment_doc_span(s, c->pid, &tfirst, &end, &tl, err)) != VS_OK) return rc;
                ex[i].len = tl;
            }
            if (l->ignored || l->neg) continue;
            /* tf: re-read this passage through a fresh cursor of the clause */
            lcur cc;
            memset(&cc, 0, sizeof cc);
            cc.lf = (leaf *)l;
            cc.pl = calloc(l->nt, sizeof *cc.pl);
            cc.pos = calloc(l->nt, sizeof *cc.pos);
            cc.pcap = calloc(l->nt, sizeof *cc.pcap);
            cc.pn = calloc(l->nt, sizeof *cc.pn);
            int ok = cc.pl && cc.pos && cc.pcap && cc.pn;
            for (size_t j = 0; ok && j < l->nt; j++) {
                vs_term_info ti;
                int found = 0;
                if ((rc = leaf_lookup(s, l, j, &ti, &found, err)) != VS_OK) { lc_free(&cc); return rc; }
                if (!found || vs_plist_open(&cc.pl[j], s, &ti) != VS_OK) ok = 0;
            }
            if (ok) {
                /* a title clause's posting is at the document's first passage */
                cc.doc = l->phrase ? phrase_find(&cc, tfirst) : vs_plist_seek(&cc.pl[0], tfirst);
                if (cc.doc == tfirst) {
                    ex[i].tf = lc_tf(&cc);
                    ex[i].contribution = LEAF_SCORE(rn, l, ex[i].tf, ex[i].len);
                }
                rc = lc_rc(&cc, err);
            }
            lc_free(&cc);
            if (rc != VS_OK) return rc;
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

vs_rc vs_search(vs_index *ix, const char *text, const vs_search_opts *o, vs_results **out, vs_err *err) {
    *out = NULL;
    vs_rc rc = check_opts(o, err);
    if (rc != VS_OK) return rc;
    vs_results *r = calloc(1, sizeof *r);
    if (!r || !(r->query = strdup(text))) {
        vs_results_free(r);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    query q = { 0 }, ex = { 0 };
    vs_qtree *tree = NULL;
    vs_term_info *tis = NULL;
    int *found = NULL;
    run rn = { .ix = ix, .o = o };
    rn.t.ix = ix;
    double norm_cache[NORM_CACHE], tnorm_cache[NORM_CACHE];
    for (size_t i = 0; i < NORM_CACHE; i++) norm_cache[i] = tnorm_cache[i] = -1.0;
    rn.m = (model){ o->model, o->k1, o->b, ix->avglen, o->mu, norm_cache };
    rn.mt = (model){ o->model, o->k1, o->b, ix->avgtlen, o->mu, tnorm_cache };
    uint32_t kmax = o->k > o->fb_docs ? o->k : o->fb_docs;
    /* room for the lazy top-k of large k (2k entries); the heap (k) if that much is not there */
    if (kmax >= TOPK_LAZY_MIN && (rn.t.h = malloc(2 * (size_t)kmax * sizeof *rn.t.h)) != NULL) rn.t.cap = 2 * (size_t)kmax;
    else if ((rn.t.h = malloc((size_t)kmax * sizeof *rn.t.h)) != NULL) rn.t.cap = kmax;
    if (!rn.t.h) rc = vs_err_set(err, VS_ENOMEM, "out of memory for k = %u hits", o->k);
    if (rc == VS_OK) {
        if (o->syntax) {
            rc = vs_parse(text, strlen(text), o->and_mode, &tree, err);
            if (rc == VS_OK && !(q.root = build_tree(ix, vs_parse_root(tree), &q, err))) rc = err->rc;
        } else {
            rc = build_free(ix, text, o->and_mode, &q, err);
        }
    }
    if (rc == VS_OK) rc = add_title_clauses(&q, o->title_weight, err);
    if (rc == VS_OK) {
        mark(&q, q.root, 0, 1);
        rc = lookup_leaves(ix, &q, &tis, &found, err);
    }
    query *use = &q;
    if (rc == VS_OK && o->rm3 && q.nl > 0) {
        int flat = q.root->leaf < 0;
        for (size_t i = 0; flat && i < q.root->n; i++)
            if (q.root->kids[i]->leaf < 0 || q.root->occ[i] != VS_OCCUR_SHOULD || q.lv[q.root->kids[i]->leaf].phrase ||
                (q.lv[q.root->kids[i]->leaf].title && (size_t)q.root->kids[i]->leaf < q.nbody))
                flat = 0;
        if (!flat) rc = vs_err_set(err, VS_EUSAGE, "RM3 expands plain bag-of-words queries only (no phrases, operators, title: clauses or --and)");
        vs_search_opts fo = *o;
        fo.k = o->fb_docs;
        rn.o = &fo;
        rn.q = &q;
        if (rc == VS_OK) rc = retrieve(&rn, tis, found, err);
        rn.o = o;
        if (rc == VS_OK) rc = rm3_expand(&rn, &q, &ex, err);
        free(tis);
        free(found);
        tis = NULL;
        found = NULL;
        if (rc == VS_OK) rc = add_title_clauses(&ex, o->title_weight, err);
        if (rc == VS_OK) {
            use = &ex;
            mark(&ex, ex.root, 0, 1);
            rc = lookup_leaves(ix, &ex, &tis, &found, err);
        }
    }
    if (rc == VS_OK) {
        rn.q = use;
        rc = retrieve(&rn, tis, found, err);
    }
    r->N = ix->N;
    r->avglen = ix->avglen;
    r->scored = rn.scored;
    if (rc == VS_OK) {
        const char **terms = calloc(use->nl + 1, sizeof *terms);
        double *w = calloc(use->nl + 1, sizeof *w);
        r->terms = terms;
        r->weights = w;
        if (!terms || !w) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        for (size_t i = 0; rc == VS_OK && i < use->nl; i++) {
            const leaf *l = &use->lv[i];
            const char *lab = l->ignored ? "" : l->label;
            /* title clauses are labelled title:word, title:"a b" */
            const char *fp = l->title ? "title:" : "";
            size_t n = strlen(lab), f = strlen(fp), qq = l->phrase ? 1 : 0;
            char *t = malloc(f + n + 2 * qq + 1);
            if (t) {
                memcpy(t, fp, f);
                if (qq) t[f] = '"';
                memcpy(t + f + qq, lab, n);
                if (qq) t[f + qq + n] = '"';
                t[f + n + 2 * qq] = '\0';
            }
            terms[i] = t;
            if (!terms[i]) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
            w[i] = l->w;
            r->n_terms = i + 1;
        }
    }
    if (rc == VS_OK) {
        size_t pool = 0, used = 0;
        r->hits = calloc(rn.t.n + 1, sizeof *r->hits);
        if (!r->hits) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        vs_doc_info *dis = NULL;
        if (rc == VS_OK && !(dis = malloc((rn.t.n ? rn.t.n : 1) * sizeof *dis))) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        if (rc == VS_OK) rc = hit_docs(&rn, dis, &pool, err);
        if (rc == VS_OK && !(r->strings = malloc(pool + 1))) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        vs_buf tb = VS_BUF_INIT;
        for (size_t i = 0; rc == VS_OK && i < rn.t.n; i++) {
            r->n = i + 1;
            rc = fill_hit(&rn, &rn.t.h[i], &dis[i], r, &r->hits[i], &used, &tb, err);
        }
        vs_buf_free(&tb);
        free(dis);
    }
    query_free(&q);
    query_free(&ex);
    vs_parse_free(tree);
    free(tis);
    free(found);
    free(rn.t.h);
    if (rc != VS_OK) {
        vs_results_free(r);
        return rc;
    }
    *out = r;
    return VS_OK;
}
