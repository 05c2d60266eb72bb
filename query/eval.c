/* eval.c: trec_eval 10.0-compatible evaluation (see eval.h).
 *
 * Both readers keep the file in one buffer and cut it in place: every token becomes a
 * NUL-terminated string inside it, so a record is {docid pointer, value, line, query index}. Qids
 * are interned through an open-addressing hash (XXH3), then the records are grouped by qid in qid
 * byte order with one counting sort, and each group is sorted by (docid, line), which is how
 * duplicates are found. Qrels and run groups are then both in qid order, so matching a judged query
 * with its results is a merge, and so is looking up the judgment of each retrieved document.
 *
 * Definitions follow trec_eval's m_*.c with relevance_level 1: "relevant" is rel >= 1; nDCG gain
 * is rel when rel > 0, discounted by log2(rank + 1), normalised by the ideal ranking of the judged
 * gains cut at the same depth. Values are summed in the same order as trec_eval sums them, so the
 * printed digits agree with it, not just the values. */
#include "eval.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* Cutoffs accepted by -m: trec_eval takes any positive long; beyond 10^8 results per query a
 * cutoff means nothing and the bound keeps `k` in 32 bits. */
#define MAX_CUTOFF 100000000u

/* ------------------------------------------------------------------ records and containers */

typedef struct rec {
    const char *doc; /* NUL-terminated, inside the owner's text */
    double v;        /* qrels: relevance; run: score */
    uint64_t line;   /* 1-based line in the file */
    uint32_t q;      /* query index (interning order while reading, then grouped order) */
} rec;

/* Records grouped by query: group i is r[start[i] .. start[i+1]), sorted by (doc, line); qid[]
 * ascending in byte order. */
typedef struct grouped {
    char *name;     /* file name for messages (owned) */
    char *text;     /* file contents, cut into tokens (owned) */
    size_t nq;
    const char **qid;
    size_t *start;  /* nq + 1 */
    rec *r;
    size_t n;
} grouped;

struct vs_qrels { grouped g; };
struct vs_run { grouped g; };

static void grouped_free(grouped *g) {
    free(g->name);
    free(g->text);
    free(g->qid);
    free(g->start);
    free(g->r);
}

/* ------------------------------------------------------------------ qid interning */

typedef struct qmap {
    uint32_t *slot;      /* index + 1, 0 = empty */
    size_t cap;          /* power of two */
    const char **key;
    uint64_t *hash;
    size_t n, kcap;
} qmap;

static void qmap_free(qmap *m) {
    free(m->slot);
    free(m->key);
    free(m->hash);
}

static vs_rc qmap_grow(qmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return VS_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = (size_t)m->hash[i] & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = (uint32_t)(i + 1);
    }
    free(m->slot);
    m->slot = slot;
    m->cap = cap;
    return VS_OK;
}

/* Index of qid s (interned on first sight). */
static vs_rc qmap_intern(qmap *m, const char *s, uint32_t *idx) {
    size_t len = strlen(s);
    uint64_t h = XXH3_64bits(s, len);
    if (m->cap) {
        for (size_t j = (size_t)h & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1)) {
            uint32_t i = m->slot[j] - 1;
            if (m->hash[i] == h && strcmp(m->key[i], s) == 0) {
                *idx = i;
                return VS_OK;
            }
        }
    }
    if (m->n >= UINT32_MAX - 1) return VS_EDATA;
    if ((m->n + 1) * 2 > m->cap && qmap_grow(m) != VS_OK) return VS_ENOMEM;
    if (m->n == m->kcap) {
        size_t kcap = m->kcap ? m->kcap * 2 : 256;
        const char **key = reallocarray(m->key, kcap, sizeof *key);
        if (!key) return VS_ENOMEM;
        m->key = key;
        uint64_t *hash = reallocarray(m->hash, kcap, sizeof *hash);
        if (!hash) return VS_ENOMEM;
        m->hash = hash;
        m->kcap = kcap;
    }
    size_t j = (size_t)h & (m->cap - 1);
    while (m->slot[j]) j = (j + 1) & (m->cap - 1);
    m->slot[j] = (uint32_t)(m->n + 1);
    m->key[m->n] = s;
    m->hash[m->n] = h;
    *idx = (uint32_t)m->n++;
    return VS_OK;
}

/* ------------------------------------------------------------------ reading */

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Reads the whole of path ("-" = stdin) into a malloc'd buffer with a NUL after the end. */
static vs_rc slurp(const char *path, const char *what, char **data, size_t *len, vs_err *err) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return vs_err_errno(err, VS_ENOENT, errno, "cannot open %s '%s'", what, path);
    vs_buf b = VS_BUF_INIT;
    vs_rc rc = VS_OK;
    for (;;) {
        if (vs_buf_reserve(&b, 1 << 16) != VS_OK) {
            rc = vs_err_set(err, VS_ENOMEM, "out of memory reading %s '%s'", what, path);
            break;
        }
        size_t got = fread(b.p + b.len, 1, b.cap - b.len, f);
        b.len += got;
        if (got == 0) {
            if (ferror(f))
                rc = vs_err_errno(err, VS_EIO, errno, "cannot read %s '%s'", what, path);
            break;
        }
    }
    if (!is_stdin) fclose(f);
    if (rc == VS_OK && vs_buf_reserve(&b, 1) != VS_OK)
        rc = vs_err_set(err, VS_ENOMEM, "out of memory reading %s '%s'", what, path);
    if (rc != VS_OK) {
        vs_buf_free(&b);
        return rc;
    }
    b.p[b.len] = '\0';
    *data = (char *)b.p;
    *len = b.len;
    return VS_OK;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static int cmp_rec_doc(const void *a, const void *b) {
    const rec *x = a, *y = b;
    int c = strcmp(x->doc, y->doc);
    if (c) return c;
    return (x->line > y->line) - (x->line < y->line);
}

typedef struct qkey { const char *s; uint32_t q; } qkey;

static int cmp_qkey(const void *a, const void *b) {
    return strcmp(((const qkey *)a)->s, ((const qkey *)b)->s);
}

/* Groups recs (file order, q = interning index) by qid byte order into g, which takes ownership
 * of recs whatever happens; checks duplicates. */
static vs_rc group_records(grouped *g, qmap *m, rec *recs, size_t n, int is_run, vs_err *err) {
    size_t nq = m->n;
    qkey *keys = reallocarray(NULL, nq ? nq : 1, sizeof *keys);
    uint32_t *rank = reallocarray(NULL, nq ? nq : 1, sizeof *rank);
    g->qid = reallocarray(NULL, nq ? nq : 1, sizeof *g->qid);
    g->start = calloc(nq + 1, sizeof *g->start);
    g->r = recs; /* g owns the records from here on */
    if (!keys || !rank || !g->qid || !g->start) {
        free(keys);
        free(rank);
        return vs_err_set(err, VS_ENOMEM, "out of memory grouping '%s'", g->name);
    }
    for (size_t i = 0; i < nq; i++) keys[i] = (qkey){ m->key[i], (uint32_t)i };
    qsort(keys, nq, sizeof *keys, cmp_qkey);
    for (size_t i = 0; i < nq; i++) {
        rank[keys[i].q] = (uint32_t)i;
        g->qid[i] = keys[i].s;
    }
    free(keys);
    /* Bucket the records by rank in place (American flag sort): the groups are sorted by
     * (doc, line) next, so the order inside a bucket does not matter, and no second copy of the
     * records is needed (they are the largest thing in memory after the text). */
    for (size_t i = 0; i < n; i++) {
        recs[i].q = rank[recs[i].q];
        g->start[recs[i].q + 1]++;
    }
    free(rank);
    for (size_t i = 0; i < nq; i++) g->start[i + 1] += g->start[i];
    size_t *fill = reallocarray(NULL, nq ? nq : 1, sizeof *fill);
    if (!fill) return vs_err_set(err, VS_ENOMEM, "out of memory grouping '%s'", g->name);
    memcpy(fill, g->start, nq * sizeof *fill);
    for (size_t b = 0; b < nq; b++) {
        while (fill[b] < g->start[b + 1]) {
            rec r = recs[fill[b]];
            while (r.q != b) { /* carry r to its bucket, bring back what was there */
                rec t = recs[fill[r.q]];
                recs[fill[r.q]++] = r;
                r = t;
            }
            recs[fill[b]++] = r;
        }
    }
    free(fill);
    g->nq = nq;
    g->n = n;
    /* Sort each group by docid; a duplicate is reported at its earliest second occurrence. */
    const rec *dup = NULL, *first = NULL;
    for (size_t q = 0; q < nq; q++) {
        rec *a = g->r + g->start[q];
        size_t k = g->start[q + 1] - g->start[q];
        qsort(a, k, sizeof *a, cmp_rec_doc);
        size_t same = 0; /* first record of the current run of equal docids */
        for (size_t i = 1; i < k; i++) {
            if (strcmp(a[i].doc, a[same].doc) != 0) {
                same = i;
            } else if (!dup || a[i].line < dup->line) {
                dup = &a[i];
                first = &a[same];
            }
        }
    }
    if (dup)
        return vs_err_set(err, VS_EDATA, "%s:%llu: document '%.80s' is %s twice for query '%.80s'"
                          " (first at line %llu)", g->name, (unsigned long long)dup->line,
                          dup->doc, is_run ? "retrieved" : "judged", g->qid[dup->q],
                          (unsigned long long)first->line);
    return VS_OK;
}

/* Cuts text (len bytes + NUL) into records. is_run: 6+ fields with a score in field 5; else
 * exactly 4 fields with a whole-number relevance in field 4. Takes ownership of text. */
static vs_rc parse_owned(const char *name, char *text, size_t len, int is_run, grouped *g,
                         vs_err *err) {
    memset(g, 0, sizeof *g);
    g->text = text;
    g->name = dupstr(name);
    if (!g->name) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name);
    qmap m = { 0 };
    rec *recs = NULL;
    size_t n = 0, cap = 0;
    vs_rc rc = VS_OK;
    uint64_t lineno = 0;
    char *p = text, *end = text + len;
    while (p < end) {
        lineno++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        if (memchr(p, '\0', (size_t)(le - p))) {
            rc = vs_err_set(err, VS_EDATA, "%s:%llu: NUL byte in line", name,
                            (unsigned long long)lineno);
            break;
        }
        char *tok[6];
        size_t nt = 0;
        char *s = p;
        for (;;) {
            while (s < le && is_ws(*s)) s++;
            if (s >= le) break;
            char *t = s;
            while (s < le && !is_ws(*s)) s++;
            if (nt < 6) tok[nt] = t;
            nt++;
            if (s < le) *s++ = '\0';
        }
        *le = '\0'; /* ends the last token; `next` was taken before */
        p = next;
        if (nt == 0 || tok[0][0] == '#') continue;
        if (is_run ? nt < 6 : nt != 4) {
            rc = vs_err_set(err, VS_EDATA, is_run
                            ? "%s:%llu: expected 6 fields 'qid Q0 docid rank score tag', found %zu"
                            : "%s:%llu: expected 4 fields 'qid iter docid rel', found %zu",
                            name, (unsigned long long)lineno, nt);
            break;
        }
        double v;
        char *ep;
        errno = 0;
        if (is_run) {
            v = strtod(tok[4], &ep);
            if (*ep || ep == tok[4] || isnan(v)) {
                rc = vs_err_set(err, VS_EDATA, "%s:%llu: score '%.80s' is not a number", name,
                                (unsigned long long)lineno, tok[4]);
                break;
            }
        } else {
            long r = strtol(tok[3], &ep, 10);
            if (*ep || ep == tok[3] || errno == ERANGE || r < INT_MIN || r > INT_MAX) {
                rc = vs_err_set(err, VS_EDATA, "%s:%llu: relevance '%.80s' is not a whole number",
                                name, (unsigned long long)lineno, tok[3]);
                break;
            }
            v = (double)r;
        }
        uint32_t q;
        rc = qmap_intern(&m, tok[0], &q);
        if (rc != VS_OK) {
            rc = vs_err_set(err, rc, "%s:%llu: %s", name, (unsigned long long)lineno,
                            rc == VS_ENOMEM ? "out of memory" : "too many queries");
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            rec *nr = reallocarray(recs, ncap, sizeof *nr);
            if (!nr) {
                rc = vs_err_set(err, VS_ENOMEM, "%s:%llu: out of memory", name,
                                (unsigned long long)lineno);
                break;
            }
            recs = nr;
            cap = ncap;
        }
        recs[n++] = (rec){ tok[2], v, lineno, q };
    }
    if (rc == VS_OK && !is_run && n == 0)
        rc = vs_err_set(err, VS_EDATA, "'%s' has no judgments", name);
    if (rc == VS_OK)
        rc = group_records(g, &m, recs, n, is_run, err); /* takes recs */
    else
        free(recs);
    qmap_free(&m);
    if (rc != VS_OK) {
        grouped_free(g);
        memset(g, 0, sizeof *g);
    }
    return rc;
}

static vs_rc copy_text(const char *name, const char *data, size_t len, char **out, vs_err *err) {
    char *t = malloc(len + 1);
    if (!t) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name);
    if (len) memcpy(t, data, len);
    t[len] = '\0';
    *out = t;
    return VS_OK;
}

static vs_rc qrels_from(const char *name, char *text, size_t len, vs_qrels **out, vs_err *err) {
    *out = NULL;
    vs_qrels *q = calloc(1, sizeof *q);
    if (!q) {
        free(text);
        return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name);
    }
    vs_rc rc = parse_owned(name, text, len, 0, &q->g, err);
    if (rc != VS_OK) {
        free(q);
        return rc;
    }
    *out = q;
    return VS_OK;
}

static vs_rc run_from(const char *name, char *text, size_t len, vs_run **out, vs_err *err) {
    *out = NULL;
    vs_run *r = calloc(1, sizeof *r);
    if (!r) {
        free(text);
        return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name);
    }
    vs_rc rc = parse_owned(name, text, len, 1, &r->g, err);
    if (rc != VS_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return VS_OK;
}

vs_rc vs_eval_qrels_read(const char *path, vs_qrels **out, vs_err *err) {
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    vs_rc rc = slurp(path, "qrels", &text, &len, err);
    if (rc != VS_OK) return rc;
    return qrels_from(path, text, len, out, err);
}

vs_rc vs_eval_qrels_parse(const char *name, const char *data, size_t len, vs_qrels **out,
                          vs_err *err) {
    char *text = NULL;
    *out = NULL;
    vs_rc rc = copy_text(name, data, len, &text, err);
    if (rc != VS_OK) return rc;
    return qrels_from(name, text, len, out, err);
}

void vs_eval_qrels_free(vs_qrels *q) {
    if (!q) return;
    grouped_free(&q->g);
    free(q);
}

size_t vs_eval_qrels_queries(const vs_qrels *q) { return q ? q->g.nq : 0; }
size_t vs_eval_qrels_judgments(const vs_qrels *q) { return q ? q->g.n : 0; }

vs_rc vs_eval_run_read(const char *path, vs_run **out, vs_err *err) {
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    vs_rc rc = slurp(path, "run", &text, &len, err);
    if (rc != VS_OK) return rc;
    return run_from(strcmp(path, "-") == 0 ? "stdin" : path, text, len, out, err);
}

vs_rc vs_eval_run_parse(const char *name, const char *data, size_t len, vs_run **out,
                        vs_err *err) {
    char *text = NULL;
    *out = NULL;
    vs_rc rc = copy_text(name, data, len, &text, err);
    if (rc != VS_OK) return rc;
    return run_from(name, text, len, out, err);
}

void vs_eval_run_free(vs_run *r) {
    if (!r) return;
    grouped_free(&r->g);
    free(r);
}

size_t vs_eval_run_queries(const vs_run *r) { return r ? r->g.nq : 0; }
size_t vs_eval_run_results(const vs_run *r) { return r ? r->g.n : 0; }

/* ------------------------------------------------------------------ measure selection */

/* trec_eval's default cutoffs for P, recall and ndcg_cut (m_P.c and friends). */
static const uint32_t default_cutoffs[] = { 5, 10, 15, 20, 30, 100, 200, 500, 1000 };

static int cutoffs_add(vs_eval_cutoffs *c, uint32_t k) {
    size_t i = 0;
    while (i < c->n && c->k[i] < k) i++;
    if (i < c->n && c->k[i] == k) return 0;
    if (c->n == VS_EVAL_MAX_CUTOFFS) return -1;
    memmove(c->k + i + 1, c->k + i, (c->n - i) * sizeof *c->k);
    c->k[i] = k;
    c->n++;
    return 0;
}

void vs_eval_measures_default(vs_eval_measures *m) {
    memset(m, 0, sizeof *m);
    m->flags = VS_EVAL_MAP | VS_EVAL_RECIP_RANK;
    (void)cutoffs_add(&m->p, 10);
    (void)cutoffs_add(&m->recall, 1000);
    (void)cutoffs_add(&m->ndcg_cut, 10);
}

static int all_digits(const char *s, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static vs_rc add_cutoff(vs_eval_cutoffs *c, const char *meas, const char *s, size_t n,
                        vs_err *err) {
    uint64_t k = 0;
    int ok = all_digits(s, n) && n <= 10;
    for (size_t i = 0; ok && i < n; i++) k = k * 10 + (uint64_t)(s[i] - '0');
    if (!ok || k < 1 || k > MAX_CUTOFF)
        return vs_err_set(err, VS_EUSAGE, "invalid cutoff '%.*s' for %s: expected a whole number"
                          " from 1 to %u", (int)(n > 40 ? 40 : n), s, meas, MAX_CUTOFF);
    if (cutoffs_add(c, (uint32_t)k) != 0)
        return vs_err_set(err, VS_EUSAGE, "too many cutoffs for %s (at most %d)", meas,
                          VS_EVAL_MAX_CUTOFFS);
    return VS_OK;
}

vs_rc vs_eval_measures_add(vs_eval_measures *m, const char *list, vs_err *err) {
    static const struct { const char *name; unsigned flag; } simple[] = {
        { "num_q", VS_EVAL_NUM_Q }, { "num_ret", VS_EVAL_NUM_RET },
        { "num_rel", VS_EVAL_NUM_REL }, { "num_rel_ret", VS_EVAL_NUM_REL_RET },
        { "map", VS_EVAL_MAP }, { "recip_rank", VS_EVAL_RECIP_RANK },
    };
    vs_eval_cutoffs *cur = NULL; /* measure that bare numbers extend ("P.5,10") */
    const char *curname = NULL;
    const char *s = list;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0)
            return vs_err_set(err, VS_EUSAGE, "empty measure name in '%.80s'", list);
        if (all_digits(s, n)) {
            if (!cur)
                return vs_err_set(err, VS_EUSAGE, "cutoff '%.*s' must follow a measure with"
                                  " cutoffs, as in P.5,10", (int)(n > 40 ? 40 : n), s);
            vs_rc rc = add_cutoff(cur, curname, s, n, err);
            if (rc != VS_OK) return rc;
        } else {
            cur = NULL;
            size_t i;
            for (i = 0; i < sizeof simple / sizeof *simple; i++)
                if (strlen(simple[i].name) == n && memcmp(simple[i].name, s, n) == 0) break;
            if (i < sizeof simple / sizeof *simple) {
                m->flags |= simple[i].flag;
            } else {
                static const char *const cutname[] = { "P", "recall", "ndcg_cut" };
                vs_eval_cutoffs *cuts[] = { &m->p, &m->recall, &m->ndcg_cut };
                size_t c;
                for (c = 0; c < 3; c++) {
                    size_t l = strlen(cutname[c]);
                    if (n >= l && memcmp(s, cutname[c], l) == 0 &&
                        (n == l || s[l] == '.' || s[l] == '_'))
                        break;
                }
                if (c == 3)
                    return vs_err_set(err, VS_EUSAGE, "unknown measure '%.*s': expected map,"
                                      " recip_rank, P.N, recall.N, ndcg_cut.N, num_q, num_ret,"
                                      " num_rel or num_rel_ret", (int)(n > 40 ? 40 : n), s);
                size_t l = strlen(cutname[c]);
                if (n == l) {
                    for (size_t d = 0; d < sizeof default_cutoffs / sizeof *default_cutoffs; d++)
                        (void)cutoffs_add(cuts[c], default_cutoffs[d]);
                } else {
                    vs_rc rc = add_cutoff(cuts[c], cutname[c], s + l + 1, n - l - 1, err);
                    if (rc != VS_OK) return rc;
                    cur = cuts[c];
                    curname = cutname[c];
                }
            }
        }
        if (!e) break;
        s = e + 1;
    }
    return VS_OK;
}

/* ------------------------------------------------------------------ evaluation */

/* One retrieved document of the query being scored. */
typedef struct scored {
    const char *doc;
    double score;
    double rel; /* judgment, or 0 when not judged (trec_eval's -1: neither counts) */
} scored;

/* Score descending, then docid descending: trec_eval's comp_sim_docno. */
static int cmp_scored(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score > y->score) return -1;
    if (x->score < y->score) return 1;
    return strcmp(y->doc, x->doc);
}

static int cmp_double_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Internal layout of the result, so that the public pointers are const. */
typedef struct result_mem {
    vs_eval_result pub;
    const char **name;
    unsigned char *is_count;
    char *names;
    const char **qid;
    double *value;
    double *summary;
} result_mem;

void vs_eval_result_free(vs_eval_result *r) {
    if (!r) return;
    result_mem *m = (result_mem *)r;
    free(m->name);
    free(m->is_count);
    free(m->names);
    free(m->qid);
    free(m->value);
    free(m->summary);
    free(m);
}

/* Fills v[] (the measures of m, in output order) for one query: rels[0..n) in rank order, the
 * judged gains gains[0..ng) sorted descending (rel >= 1 only), num_rel = ng. */
static void score_query(const vs_eval_measures *m, const double *rels, size_t n,
                        const double *gains, size_t ng, double *v) {
    size_t o = 0;
    size_t num_rel_ret = 0;
    for (size_t i = 0; i < n; i++) num_rel_ret += rels[i] >= 1;
    if (m->flags & VS_EVAL_NUM_Q) v[o++] = 1;
    if (m->flags & VS_EVAL_NUM_RET) v[o++] = (double)n;
    if (m->flags & VS_EVAL_NUM_REL) v[o++] = (double)ng;
    if (m->flags & VS_EVAL_NUM_REL_RET) v[o++] = (double)num_rel_ret;
    if (m->flags & VS_EVAL_MAP) {
        /* Precision after each relevant retrieved document, summed, over all relevant. */
        double sum = 0;
        size_t so_far = 0;
        for (size_t i = 0; i < n; i++)
            if (rels[i] >= 1) {
                so_far++;
                sum += (double)so_far / (double)(i + 1);
            }
        v[o++] = so_far ? sum / (double)ng : 0;
    }
    if (m->flags & VS_EVAL_RECIP_RANK) {
        size_t i = 0;
        while (i < n && rels[i] < 1) i++;
        v[o++] = i < n ? 1.0 / (double)(i + 1) : 0;
    }
    /* P_k and recall_k: relevant in the top k; short lists are padded with non-relevant. */
    for (int which = 0; which < 2; which++) {
        const vs_eval_cutoffs *c = which == 0 ? &m->p : &m->recall;
        size_t so_far = 0, i = 0;
        for (size_t j = 0; j < c->n; j++) {
            size_t k = c->k[j];
            while (i < n && i < k) so_far += rels[i++] >= 1;
            if (which == 0)
                v[o++] = (double)so_far / (double)k;
            else
                v[o++] = ng ? (double)so_far / (double)ng : 0;
        }
    }
    /* ndcg_cut_k: DCG of the top k over the ideal DCG of the top k (trec_eval sums both in rank
     * order and divides once, so the same order here). */
    if (m->ndcg_cut.n) {
        double dcg = 0, ideal = 0;
        size_t i = 0, ii = 0;
        for (size_t j = 0; j < m->ndcg_cut.n; j++) {
            size_t k = m->ndcg_cut.k[j];
            for (; i < n && i < k; i++)
                if (rels[i] > 0) dcg += rels[i] / log2((double)(i + 2));
            for (; ii < ng && ii < k; ii++) ideal += gains[ii] / log2((double)(ii + 2));
            v[o++] = ideal > 0 ? dcg / ideal : dcg;
        }
    }
}

vs_rc vs_eval_compute(const vs_qrels *qrels, const vs_run *run, const vs_eval_measures *m,
                      int complete, vs_eval_result **out, vs_err *err) {
    *out = NULL;
    const grouped *qg = &qrels->g, *rg = &run->g;
    size_t nmeas = 0;
    for (unsigned f = m->flags & 0x3fu; f; f &= f - 1) nmeas++;
    nmeas += m->p.n + m->recall.n + m->ndcg_cut.n;
    if (nmeas == 0) return vs_err_set(err, VS_EUSAGE, "no measures selected");

    result_mem *res = calloc(1, sizeof *res);
    if (!res) return vs_err_set(err, VS_ENOMEM, "out of memory evaluating");
    size_t nq = qg->nq;
    res->name = calloc(nmeas, sizeof *res->name);
    res->is_count = calloc(nmeas, 1);
    res->names = malloc(nmeas * 24);
    res->qid = calloc(nq ? nq : 1, sizeof *res->qid);
    res->value = reallocarray(NULL, nq ? nq : 1, nmeas * sizeof *res->value);
    res->summary = calloc(nmeas, sizeof *res->summary);
    /* Scratch sized by the largest group of either file. */
    size_t maxg = 1;
    for (size_t i = 0; i < rg->nq; i++)
        if (rg->start[i + 1] - rg->start[i] > maxg) maxg = rg->start[i + 1] - rg->start[i];
    for (size_t i = 0; i < nq; i++)
        if (qg->start[i + 1] - qg->start[i] > maxg) maxg = qg->start[i + 1] - qg->start[i];
    scored *sc = reallocarray(NULL, maxg, sizeof *sc);
    double *rels = reallocarray(NULL, maxg, sizeof *rels);
    double *gains = reallocarray(NULL, maxg, sizeof *gains);
    if (!res->name || !res->is_count || !res->names || !res->qid || !res->value ||
        !res->summary || !sc || !rels || !gains) {
        free(sc);
        free(rels);
        free(gains);
        vs_eval_result_free(&res->pub);
        return vs_err_set(err, VS_ENOMEM, "out of memory evaluating");
    }

    /* Names in output order. */
    size_t o = 0;
    char *np = res->names;
    static const struct { unsigned flag; const char *name; int count; } simple[] = {
        { VS_EVAL_NUM_Q, "num_q", 1 }, { VS_EVAL_NUM_RET, "num_ret", 1 },
        { VS_EVAL_NUM_REL, "num_rel", 1 }, { VS_EVAL_NUM_REL_RET, "num_rel_ret", 1 },
        { VS_EVAL_MAP, "map", 0 }, { VS_EVAL_RECIP_RANK, "recip_rank", 0 },
    };
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++)
        if (m->flags & simple[i].flag) {
            res->is_count[o] = (unsigned char)simple[i].count;
            res->name[o++] = simple[i].name;
        }
    const struct { const vs_eval_cutoffs *c; const char *name; } cuts[] = {
        { &m->p, "P" }, { &m->recall, "recall" }, { &m->ndcg_cut, "ndcg_cut" } };
    for (size_t c = 0; c < 3; c++)
        for (size_t j = 0; j < cuts[c].c->n; j++) {
            snprintf(np, 24, "%s_%u", cuts[c].name, (unsigned)cuts[c].c->k[j]);
            res->name[o++] = np;
            np += 24;
        }

    vs_rc rc = VS_OK;
    size_t done = 0, rj = 0;
    int run_empty = rg->n == 0;
    for (size_t qi = 0; qi < nq; qi++) {
        const char *qid = qg->qid[qi];
        const rec *ja = qg->r + qg->start[qi];
        size_t nj = qg->start[qi + 1] - qg->start[qi];
        while (rj < rg->nq && strcmp(rg->qid[rj], qid) < 0) rj++;
        int found = rj < rg->nq && strcmp(rg->qid[rj], qid) == 0;
        if (!found && !complete && !run_empty) {
            rc = vs_err_set(err, VS_EDATA, "query '%.80s' is judged in '%s' but has no results"
                            " in '%s': use -c to score it 0 (trec_eval 10.0 stops here too)",
                            qid, qg->name, rg->name);
            break;
        }
        size_t ng = 0;
        for (size_t i = 0; i < nj; i++)
            if (ja[i].v >= 1) gains[ng++] = ja[i].v;
        qsort(gains, ng, sizeof *gains, cmp_double_desc);
        size_t n = 0;
        if (found) {
            /* Both lists are sorted by docid: merge to find each document's judgment. */
            const rec *ra = rg->r + rg->start[rj];
            n = rg->start[rj + 1] - rg->start[rj];
            size_t j = 0;
            for (size_t i = 0; i < n; i++) {
                int c = 1;
                while (j < nj && (c = strcmp(ja[j].doc, ra[i].doc)) < 0) j++;
                sc[i] = (scored){ ra[i].doc, ra[i].v, j < nj && c == 0 ? ja[j].v : 0 };
            }
            qsort(sc, n, sizeof *sc, cmp_scored);
            for (size_t i = 0; i < n; i++) rels[i] = sc[i].rel;
        } else {
            res->pub.scored_zero++;
        }
        double *v = res->value + done * nmeas;
        score_query(m, rels, n, gains, ng, v);
        res->qid[done++] = qid;
        for (size_t k = 0; k < nmeas; k++) res->summary[k] += v[k];
    }
    free(sc);
    free(rels);
    free(gains);

    res->pub.nmeas = nmeas;
    res->pub.name = res->name;
    res->pub.is_count = res->is_count;
    res->pub.nq = done;
    res->pub.qid = res->qid;
    res->pub.value = res->value;
    res->pub.summary = res->summary;
    if (rc == VS_OK) {
        /* Means over the evaluated queries; num_ret, num_rel, num_rel_ret stay sums, num_q is
         * the count (trec_eval's te_calc_avg_meas_empty and te_calc_avg_num_q). */
        for (size_t k = 0; k < nmeas; k++) {
            if (res->is_count[k]) {
                if (strcmp(res->name[k], "num_q") == 0) res->summary[k] = (double)done;
            } else if (done) {
                res->summary[k] /= (double)done;
            }
        }
        res->pub.has_summary = 1;
    }
    *out = &res->pub;
    return rc;
}

/* ------------------------------------------------------------------ output */

static vs_rc buf_printf(vs_buf *b, const char *fmt, ...) VS_PRINTF(2, 3);
static vs_rc buf_printf(vs_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return VS_EINTERNAL;
    if (vs_buf_reserve(b, (size_t)n + 1) != VS_OK) return VS_ENOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return VS_OK;
}

static vs_rc print_row(vs_buf *b, const vs_eval_result *r, const char *qid, const double *v) {
    for (size_t k = 0; k < r->nmeas; k++) {
        vs_rc rc = r->is_count[k]
            ? buf_printf(b, "%-22s\t%s\t%ld\n", r->name[k], qid, (long)v[k])
            : buf_printf(b, "%-22s\t%s\t%6.4f\n", r->name[k], qid, v[k]);
        if (rc != VS_OK) return rc;
    }
    return VS_OK;
}

vs_rc vs_eval_format(const vs_eval_result *r, int per_query, vs_buf *out) {
    vs_rc rc = VS_OK;
    if (per_query)
        for (size_t i = 0; i < r->nq && rc == VS_OK; i++)
            rc = print_row(out, r, r->qid[i], r->value + i * r->nmeas);
    if (rc == VS_OK && r->has_summary) rc = print_row(out, r, "all", r->summary);
    return rc;
}
