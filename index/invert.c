/* invert.c: bounded-memory inverter (see invert.h).
 *
 * Run file (temporary, read back by the same process, never part of an index):
 *   "VSRUN001"  then, for each term in increasing byte order:
 *   varint len (>= 1), len bytes, varint df, varint n, then n bytes of postings:
 *   for each posting: varint pid gap (the first: the pid itself), varint tf, tf varint positions
 *   encoded as in a segment's POSITIONS (the first absolute, then p - prev - 1);  and a final
 *   varint 0. Positions keep that encoding from the first token on, so that the segment writer
 *   copies them as they are. */
#include "invert.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "le.h"
#include "wfile.h"

#define RUN_MAGIC "VSRUN001"

typedef struct term {
    uint64_t hash;
    uint32_t str_off, len;      /* in iv->strs */
    uint32_t df, last_pid;
    vs_buf post;                /* varints: pid gap, tf, positions */
} term;

struct vs_invert {
    term *terms;
    size_t n_terms, cap_terms;
    uint32_t *slots;            /* open addressing: term index + 1, 0 = empty */
    size_t n_slots;
    vs_buf strs;
    size_t bytes;
    char *prefix;
    char **runs;
    uint32_t n_runs;
    /* every SPARSE-th term of each run with its offset there: where a second thread starts */
    struct sparse { uint32_t run; uint64_t off; char *term; size_t len; } *sp;
    size_t n_sp, cap_sp;
};

#define SPARSE 1024

#define TERM_OVERHEAD 16        /* malloc's bookkeeping per postings buffer, counted too */

static vs_rc nomem(vs_err *err) { return vs_err_set(err, VS_ENOMEM, "out of memory while inverting"); }

static vs_rc table_init(vs_invert *iv) {
    iv->n_slots = 1u << 12;
    iv->slots = calloc(iv->n_slots, sizeof *iv->slots);
    iv->bytes = iv->n_slots * sizeof *iv->slots;
    return iv->slots ? VS_OK : VS_ENOMEM;
}

static void table_free(vs_invert *iv) {
    for (size_t i = 0; i < iv->n_terms; i++) vs_buf_free(&iv->terms[i].post);
    free(iv->terms);
    free(iv->slots);
    vs_buf_free(&iv->strs);
    iv->terms = NULL;
    iv->slots = NULL;
    iv->n_terms = iv->cap_terms = iv->n_slots = 0;
    iv->bytes = 0;
}

vs_rc vs_invert_new(const char *tmp_prefix, vs_invert **out, vs_err *err) {
    *out = NULL;
    vs_invert *iv = calloc(1, sizeof *iv);
    if (!iv) return nomem(err);
    if ((tmp_prefix && !(iv->prefix = strdup(tmp_prefix))) || table_init(iv) != VS_OK) {
        vs_invert_free(iv);
        return nomem(err);
    }
    *out = iv;
    return VS_OK;
}

void vs_invert_free(vs_invert *iv) {
    if (!iv) return;
    table_free(iv);
    for (uint32_t i = 0; i < iv->n_runs; i++) {
        (void)unlink(iv->runs[i]);
        free(iv->runs[i]);
    }
    free(iv->runs);
    for (size_t i = 0; i < iv->n_sp; i++) free(iv->sp[i].term);
    free(iv->sp);
    free(iv->prefix);
    free(iv);
}

size_t vs_invert_bytes(const vs_invert *iv) { return iv->bytes; }
uint32_t vs_invert_runs(const vs_invert *iv) { return iv->n_runs; }

static vs_rc grow_slots(vs_invert *iv) {
    size_t n = iv->n_slots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return VS_ENOMEM;
    for (size_t i = 0; i < iv->n_terms; i++) {
        size_t j = iv->terms[i].hash & (n - 1);
        while (s[j]) j = (j + 1) & (n - 1);
        s[j] = (uint32_t)i + 1;
    }
    free(iv->slots);
    iv->slots = s;
    iv->bytes += (n - iv->n_slots) * sizeof *s;
    iv->n_slots = n;
    return VS_OK;
}

static int same_bytes(const uint8_t *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != (uint8_t)b[i]) return 0;
    return 1;
}

vs_rc vs_invert_intern(vs_invert *iv, const char *t, size_t len, uint64_t h, uint32_t *tid, vs_err *err) {
    size_t mask = iv->n_slots - 1, j = h & mask;
    for (;;) {
        uint32_t s = iv->slots[j];
        if (!s) break;
        term *e = &iv->terms[s - 1];
        if (e->hash == h && e->len == len && same_bytes(iv->strs.p + e->str_off, t, len)) {
            *tid = s - 1;
            return VS_OK;
        }
        j = (j + 1) & mask;
    }
    if (len == 0 || len > 65535) return vs_err_set(err, VS_EINTERNAL, "term of %zu bytes", len);
    if (iv->n_terms >= UINT32_MAX - 1 || iv->strs.len + len > UINT32_MAX)
        return vs_err_set(err, VS_EDATA, "too many distinct terms for one segment");
    if (iv->n_terms == iv->cap_terms) {
        size_t cap = iv->cap_terms ? iv->cap_terms * 2 : 4096;
        term *nt = realloc(iv->terms, cap * sizeof *nt);
        if (!nt) return nomem(err);
        iv->bytes += (cap - iv->cap_terms) * sizeof *nt;
        iv->terms = nt;
        iv->cap_terms = cap;
    }
    size_t before = iv->strs.cap;
    if (vs_buf_append(&iv->strs, t, len) != VS_OK) return nomem(err);
    iv->bytes += iv->strs.cap - before;
    term *e = &iv->terms[iv->n_terms];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->str_off = (uint32_t)(iv->strs.len - len);
    e->len = (uint32_t)len;
    iv->bytes += TERM_OVERHEAD;
    iv->slots[j] = (uint32_t)iv->n_terms + 1;
    *tid = (uint32_t)iv->n_terms++;
    if (iv->n_terms * 2 > iv->n_slots && grow_slots(iv) != VS_OK) return nomem(err);
    return VS_OK;
}

vs_rc vs_invert_add(vs_invert *iv, uint32_t tid, uint32_t pid, uint32_t tf, const uint32_t *pos, vs_err *err) {
    term *e = &iv->terms[tid];
    if ((e->df > 0 && pid <= e->last_pid) || tf == 0)
        return vs_err_set(err, VS_EINTERNAL, "term '%.*s': passage %u out of order", (int)e->len,
                          (const char *)iv->strs.p + e->str_off, pid);
    /* at most 5 bytes per 32-bit varint: gap, tf, positions */
    size_t need = 10 + (size_t)tf * 5, before = e->post.cap;
    if (e->post.cap - e->post.len < need) {
        /* start small (most terms occur once or twice), then double */
        size_t cap = e->post.cap ? e->post.cap * 2 : 16;
        while (cap - e->post.len < need) cap *= 2;
        uint8_t *np = realloc(e->post.p, cap);
        if (!np) return nomem(err);
        e->post.p = np;
        e->post.cap = cap;
        iv->bytes += cap - before;
    }
    uint8_t *p = e->post.p + e->post.len, *p0 = p;
    p += vs_varint_put(p, e->df ? pid - e->last_pid : pid);
    p += vs_varint_put(p, tf);
    uint32_t prev = 0;
    for (uint32_t k = 0; k < tf; k++) {
        if (k && pos[k] <= prev)
            return vs_err_set(err, VS_EINTERNAL, "term '%.*s': positions out of order", (int)e->len,
                              (const char *)iv->strs.p + e->str_off);
        p += vs_varint_put(p, k ? pos[k] - prev - 1 : pos[k]);
        prev = pos[k];
    }
    e->post.len += (size_t)(p - p0);
    e->df++;
    e->last_pid = pid;
    return VS_OK;
}

static int cmp_tid(const void *a, const void *b, void *ctx) {
    const vs_invert *iv = ctx;
    const term *x = &iv->terms[*(const uint32_t *)a], *y = &iv->terms[*(const uint32_t *)b];
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(iv->strs.p + x->str_off, iv->strs.p + y->str_off, m);
    if (c) return c;
    return x->len < y->len ? -1 : (x->len > y->len);
}

static uint32_t *sorted_terms(vs_invert *iv) {
    uint32_t *order = malloc((iv->n_terms ? iv->n_terms : 1) * sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < iv->n_terms; i++) order[i] = (uint32_t)i;
    qsort_r(order, iv->n_terms, sizeof *order, cmp_tid, iv);
    return order;
}

vs_rc vs_invert_spill(vs_invert *iv, vs_err *err) {
    if (!iv->prefix) return vs_err_set(err, VS_EINTERNAL, "inverter cannot spill: no temporary directory");
    if (iv->n_terms == 0) return VS_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s.run%u", iv->prefix, iv->n_runs);
    char **runs = realloc(iv->runs, (iv->n_runs + 1) * sizeof *runs);
    if (!runs) return nomem(err);
    iv->runs = runs;
    if (!(iv->runs[iv->n_runs] = strdup(path))) return nomem(err);
    iv->n_runs++;
    uint32_t *order = sorted_terms(iv);
    if (!order) return nomem(err);
    vs_wbuf wb;
    vs_rc rc = vs_wbuf_open(&wb, path, 256 * 1024, err);
    if (rc != VS_OK) {
        free(order);
        return rc;
    }
    vs_wbuf_put(&wb, RUN_MAGIC, 8);
    for (size_t i = 0; i < iv->n_terms && wb.rc == VS_OK; i++) {
        term *e = &iv->terms[order[i]];
        if (i % SPARSE == 0 && i > 0) {
            if (iv->n_sp == iv->cap_sp) {
                size_t cap = iv->cap_sp ? iv->cap_sp * 2 : 64;
                struct sparse *sp = reallocarray(iv->sp, cap, sizeof *sp);
                if (!sp) { free(order); vs_wbuf_discard(&wb); return nomem(err); }
                iv->sp = sp;
                iv->cap_sp = cap;
            }
            char *t = malloc(e->len);
            if (!t) { free(order); vs_wbuf_discard(&wb); return nomem(err); }
            memcpy(t, iv->strs.p + e->str_off, e->len);
            iv->sp[iv->n_sp++] = (struct sparse){ iv->n_runs - 1, wb.off, t, e->len };
        }
        vs_wbuf_putvar(&wb, e->len);
        vs_wbuf_put(&wb, iv->strs.p + e->str_off, e->len);
        vs_wbuf_putvar(&wb, e->df);
        vs_wbuf_putvar(&wb, e->post.len);
        vs_wbuf_put(&wb, e->post.p, e->post.len);
    }
    vs_wbuf_putvar(&wb, 0);
    free(order);
    if ((rc = vs_wbuf_close(&wb, 0)) != VS_OK) {
        *err = wb.err;
        return rc;
    }
    table_free(iv);
    if (table_init(iv) != VS_OK) return nomem(err);
    return VS_OK;
}

/* ---- reading runs back ---- */

typedef struct runrd {
    int fd;
    const char *path;
    uint8_t *buf;
    size_t cap, pos, len;
    uint64_t file_off;          /* offset of buf[len] in the file */
    int eof;
    /* current term */
    char *term;
    size_t tlen, tcap;
    uint64_t df;
    uint64_t left;              /* postings bytes not yet consumed */
    /* memory source (no file): the in-memory table, term by term */
    const vs_invert *mem;
    const uint32_t *order;
    size_t mi, mlimit;          /* terms order[mi .. mlimit) */
    const uint8_t *mp, *mend;
    int done;
    /* a range of the term space: stop at the first term >= hi (if hi), skip terms < lo (if lo) */
    const char *hi, *lo;
    size_t hi_len, lo_len;
} runrd;

static vs_rc rr_fill(runrd *r, vs_err *err) {
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    while (!r->eof && r->len < r->cap) {
        ssize_t k = pread(r->fd, r->buf + r->len, r->cap - r->len, (off_t)r->file_off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return vs_err_errno(err, VS_EIO, errno, "cannot read '%s'", r->path);
        if (k == 0) r->eof = 1;
        r->len += (size_t)k;
        r->file_off += (uint64_t)k;
    }
    return VS_OK;
}

static vs_rc rr_bad(runrd *r, vs_err *err) {
    return vs_err_set(err, VS_EIO, "temporary run '%s' is damaged", r->path ? r->path : "(memory)");
}

static vs_rc rr_var(runrd *r, uint64_t *v, vs_err *err) {
    if (r->mem) {
        size_t k = vs_varint_get(r->mp, r->mend, v);
        if (!k) return rr_bad(r, err);
        r->mp += k;
        return VS_OK;
    }
    if (r->len - r->pos < 10 && !r->eof) {
        vs_rc rc = rr_fill(r, err);
        if (rc != VS_OK) return rc;
    }
    size_t k = vs_varint_get(r->buf + r->pos, r->buf + r->len, v);
    if (!k) return rr_bad(r, err);
    r->pos += k;
    return VS_OK;
}

static vs_rc rr_bytes(runrd *r, void *out, size_t n, vs_err *err) {
    uint8_t *o = out;
    while (n > 0) {
        if (r->pos == r->len) {
            if (r->eof) return rr_bad(r, err);
            vs_rc rc = rr_fill(r, err);
            if (rc != VS_OK) return rc;
            if (r->pos == r->len) return rr_bad(r, err);
        }
        size_t k = r->len - r->pos < n ? r->len - r->pos : n;
        memcpy(o, r->buf + r->pos, k);
        r->pos += k;
        o += k;
        n -= k;
    }
    return VS_OK;
}

static int term_less(const char *a, size_t al, const char *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c < 0 || (c == 0 && al < bl);
}

/* Loads the next term header; r->done at the end. */
static vs_rc rr_next1(runrd *r, vs_err *err) {
    if (r->mem) {
        if (r->mi >= r->mlimit) {
            r->done = 1;
            return VS_OK;
        }
        const term *e = &r->mem->terms[r->order[r->mi++]];
        r->term = (char *)r->mem->strs.p + e->str_off;
        r->tlen = e->len;
        r->df = e->df;
        r->mp = e->post.p;
        r->mend = e->post.p + e->post.len;
        return VS_OK;
    }
    /* skip what the previous term left unread (nothing, normally) */
    uint64_t len;
    vs_rc rc;
    while (r->left > 0) {
        uint8_t tmp[256];
        size_t k = r->left < sizeof tmp ? (size_t)r->left : sizeof tmp;
        if ((rc = rr_bytes(r, tmp, k, err)) != VS_OK) return rc;
        r->left -= k;
    }
    if ((rc = rr_var(r, &len, err)) != VS_OK) return rc;
    if (len == 0) {
        r->done = 1;
        return VS_OK;
    }
    if (len > 65535) return rr_bad(r, err);
    if (len > r->tcap) {
        char *t = realloc(r->term, len);
        if (!t) return nomem(err);
        r->term = t;
        r->tcap = len;
    }
    r->tlen = len;
    if ((rc = rr_bytes(r, r->term, len, err)) != VS_OK) return rc;
    if ((rc = rr_var(r, &r->df, err)) != VS_OK) return rc;
    if ((rc = rr_var(r, &r->left, err)) != VS_OK) return rc;
    return VS_OK;
}

/* rr_next1 within [lo, hi). */
static vs_rc rr_next(runrd *r, vs_err *err) {
    for (;;) {
        vs_rc rc = rr_next1(r, err);
        if (rc != VS_OK || r->done) return rc;
        if (r->hi && !term_less(r->term, r->tlen, r->hi, r->hi_len)) {
            r->done = 1;
            return VS_OK;
        }
        if (!r->lo || !term_less(r->term, r->tlen, r->lo, r->lo_len)) return VS_OK;
        /* below the range: its postings are skipped by the next rr_next1 */
    }
}

static int rr_cmp(const runrd *a, const runrd *b) {
    size_t m = a->tlen < b->tlen ? a->tlen : b->tlen;
    int c = memcmp(a->term, b->term, m);
    if (c) return c;
    return a->tlen < b->tlen ? -1 : (a->tlen > b->tlen);
}

/* Decodes a 32-bit varint at *p (< end); 0 on damage. */
static inline int var32(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    const uint8_t *q = *p;
    if (q < end && !(*q & 0x80)) { /* one byte: the common case */
        *v = *q;
        *p = q + 1;
        return 1;
    }
    size_t k = vs_varint_get(q, end, v);
    *p = q + k;
    return k != 0;
}

/* Bytes of n varints at p (< end), or 0 if they run past end. */
static inline size_t var_span(const uint8_t *p, const uint8_t *end, uint64_t n) {
    const uint8_t *q = p;
    while (n > 0 && q < end) {
        if (!(*q++ & 0x80)) n--;
    }
    return n ? 0 : (size_t)(q - p);
}

/* The current term's postings from memory into w (the no-spill path). */
static vs_rc mem_postings(runrd *r, vs_segwriter *w, vs_err *err) {
    const uint8_t *p = r->mp, *end = r->mend;
    uint32_t pid = 0;
    for (uint64_t d = 0; d < r->df; d++) {
        uint64_t gap, tf;
        if (!var32(&p, end, &gap) || !var32(&p, end, &tf) || tf == 0 || tf > UINT32_MAX) return rr_bad(r, err);
        pid = d ? pid + (uint32_t)gap : (uint32_t)gap;
        size_t k = var_span(p, end, tf);
        if (!k) return rr_bad(r, err);
        vs_rc rc = vs_segwriter_term_add_enc(w, pid, (uint32_t)tf, p, k, err);
        if (rc != VS_OK) return rc;
        p += k;
    }
    r->mp = p;
    return VS_OK;
}

/* Streams the current term's postings of r into w. */
static vs_rc rr_postings(runrd *r, vs_segwriter *w, uint8_t **pos, size_t *pcap, vs_err *err) {
    if (r->mem) return mem_postings(r, w, err);
    uint32_t pid = 0;
    vs_rc rc;
    uint64_t start = r->file_off - (r->len - r->pos); /* file offset of the read cursor */
    for (uint64_t d = 0; d < r->df; d++) {
        uint64_t gap, tf;
        if ((rc = rr_var(r, &gap, err)) != VS_OK || (rc = rr_var(r, &tf, err)) != VS_OK) return rc;
        pid = d ? pid + (uint32_t)gap : (uint32_t)gap;
        if (tf == 0 || tf > UINT32_MAX) return rr_bad(r, err);
        if ((size_t)tf * 5 > *pcap) {
            size_t c = (size_t)tf * 10;
            uint8_t *np = realloc(*pos, c);
            if (!np) return nomem(err);
            *pos = np;
            *pcap = c;
        }
        size_t n = 0;
        for (uint64_t k = 0; k < tf; k++) { /* copy tf varints, byte by byte through the window */
            for (int b = 0; b < 5; b++) {
                if (r->pos == r->len) {
                    if (r->eof || (rc = rr_fill(r, err)) != VS_OK || r->pos == r->len) return rc != VS_OK ? rc : rr_bad(r, err);
                }
                uint8_t c = r->buf[r->pos++];
                (*pos)[n++] = c;
                if (!(c & 0x80)) break;
                if (b == 4) return rr_bad(r, err);
            }
        }
        if ((rc = vs_segwriter_term_add_enc(w, pid, (uint32_t)tf, *pos, n, err)) != VS_OK) return rc;
    }
    uint64_t used = r->file_off - (r->len - r->pos) - start;
    if (used != r->left) return rr_bad(r, err);
    r->left = 0;
    return VS_OK;
}

static void hdown(runrd **h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && (rr_cmp(h[l], h[m]) < 0 || (rr_cmp(h[l], h[m]) == 0 && h[l] < h[m]))) m = l;
        if (l + 1 < n && (rr_cmp(h[l + 1], h[m]) < 0 || (rr_cmp(h[l + 1], h[m]) == 0 && h[l + 1] < h[m]))) m = l + 1;
        if (m == i) return;
        runrd *t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

/* One range of the term space written into one writer: [mlo, mhi) of the sorted in-memory
 * terms, or the terms of the runs in [lo, hi) (NULL: unbounded). */
typedef struct range_job {
    vs_invert *iv;
    vs_segwriter *w;
    const uint32_t *order;
    size_t mlo, mhi;
    size_t read_mem;
    const char *lo, *hi;
    size_t lo_len, hi_len;
    vs_rc rc;
    vs_err err;
} range_job;

static vs_rc merge_range(range_job *j, vs_err *err) {
    vs_invert *iv = j->iv;
    vs_segwriter *w = j->w;
    vs_rc rc = VS_OK;
    size_t nr = iv->n_runs ? iv->n_runs : 1;
    runrd *rd = calloc(nr, sizeof *rd);
    runrd **heap = calloc(nr, sizeof *heap);
    runrd **cur = calloc(nr, sizeof *cur);
    uint8_t *pos = NULL;
    size_t pcap = 0, hn = 0;
    if (!rd || !heap || !cur) { rc = nomem(err); goto out; }
    if (iv->n_runs == 0) {
        rd[0].mem = iv;
        rd[0].order = j->order;
        rd[0].mi = j->mlo;
        rd[0].mlimit = j->mhi;
        rd[0].fd = -1;
    } else {
        size_t each = j->read_mem / nr;
        if (each < 16 * 1024) each = 16 * 1024;
        if (each > 1024 * 1024) each = 1024 * 1024;
        for (size_t i = 0; i < nr; i++) {
            rd[i].fd = -1;
            rd[i].path = iv->runs[i];
            rd[i].lo = j->lo;
            rd[i].lo_len = j->lo_len;
            rd[i].hi = j->hi;
            rd[i].hi_len = j->hi_len;
            if (!(rd[i].buf = malloc(each))) { rc = nomem(err); goto out; }
            rd[i].cap = each;
            if ((rd[i].fd = open(iv->runs[i], O_RDONLY | O_CLOEXEC)) < 0) {
                rc = vs_err_errno(err, VS_EIO, errno, "cannot reopen '%s'", iv->runs[i]);
                goto out;
            }
            /* with a lower bound, start at the last sparse entry of the run not above it */
            uint64_t start = 0;
            if (j->lo)
                for (size_t k = 0; k < iv->n_sp; k++)
                    if (iv->sp[k].run == i && !term_less(j->lo, j->lo_len, iv->sp[k].term, iv->sp[k].len) && iv->sp[k].off > start)
                        start = iv->sp[k].off;
            if (start) {
                rd[i].file_off = start;
            } else {
                uint8_t magic[8];
                if ((rc = rr_bytes(&rd[i], magic, 8, err)) != VS_OK) goto out;
                if (memcmp(magic, RUN_MAGIC, 8) != 0) { rc = rr_bad(&rd[i], err); goto out; }
            }
        }
    }
    for (size_t i = 0; i < nr; i++) {
        if ((rc = rr_next(&rd[i], err)) != VS_OK) goto out;
        if (!rd[i].done) heap[hn++] = &rd[i];
    }
    for (size_t i = hn; i-- > 0;) hdown(heap, hn, i);
    while (hn > 0) {
        size_t nc = 0;
        runrd *top = heap[0];
        do {
            cur[nc++] = heap[0];
            heap[0] = heap[--hn];
            hdown(heap, hn, 0);
        } while (hn > 0 && rr_cmp(heap[0], top) == 0);
        /* runs in run order (their passages increase with the run number) */
        for (size_t a = 1; a < nc; a++)
            for (size_t b = a; b > 0 && cur[b] < cur[b - 1]; b--) { runrd *t = cur[b]; cur[b] = cur[b - 1]; cur[b - 1] = t; }
        if ((rc = vs_segwriter_term_begin(w, top->term, top->tlen, err)) != VS_OK) goto out;
        for (size_t k = 0; k < nc; k++)
            if ((rc = rr_postings(cur[k], w, &pos, &pcap, err)) != VS_OK) goto out;
        if ((rc = vs_segwriter_term_end(w, err)) != VS_OK) goto out;
        for (size_t k = 0; k < nc; k++) {
            if ((rc = rr_next(cur[k], err)) != VS_OK) goto out;
            if (cur[k]->done) continue;
            size_t i = hn++;
            heap[i] = cur[k];
            while (i > 0) {
                size_t p = (i - 1) / 2;
                int c = rr_cmp(heap[i], heap[p]);
                if (c > 0 || (c == 0 && heap[i] > heap[p])) break;
                runrd *t = heap[i]; heap[i] = heap[p]; heap[p] = t;
                i = p;
            }
        }
    }
out:
    if (rd)
        for (size_t i = 0; i < nr; i++) {
            if (rd[i].fd >= 0) close(rd[i].fd);
            free(rd[i].buf);
            if (!rd[i].mem) free(rd[i].term);
        }
    free(rd);
    free(heap);
    free(cur);
    free(pos);
    return rc;
}

static void *range_main(void *arg) {
    range_job *j = arg;
    j->rc = merge_range(j, &j->err);
    return NULL;
}

static int cmp_sparse(const void *a, const void *b) {
    const struct sparse *x = a, *y = b;
    if (term_less(x->term, x->len, y->term, y->len)) return -1;
    return term_less(y->term, y->len, x->term, x->len);
}

/* Below this many terms a second thread is not worth it. */
#define SPLIT_MIN_TERMS 20000

vs_rc vs_invert_write(vs_invert *iv, vs_segwriter *w, size_t read_mem, unsigned threads, vs_err *err) {
    vs_rc rc = VS_OK;
    uint32_t *order = NULL;
    /* With runs on disk, the rest of memory becomes one more run (frees it before reading). */
    if (iv->n_runs > 0 && iv->n_terms > 0 && (rc = vs_invert_spill(iv, err)) != VS_OK) return rc;
    if (iv->n_runs == 0 && !(order = sorted_terms(iv))) return nomem(err);
    range_job a = { .iv = iv, .w = w, .order = order, .mlo = 0, .mhi = iv->n_terms, .read_mem = read_mem };
    range_job b = a;
    struct sparse split = { 0 };
    int two = threads >= 2 && iv->prefix;
    if (two && iv->n_runs == 0) {
        two = iv->n_terms >= SPLIT_MIN_TERMS;
        if (two) a.mhi = b.mlo = iv->n_terms / 2;
    } else if (two) {
        /* split at the median of the runs' sparse terms */
        two = iv->n_sp * SPARSE >= SPLIT_MIN_TERMS && iv->n_sp >= 2;
        if (two) {
            qsort(iv->sp, iv->n_sp, sizeof *iv->sp, cmp_sparse);
            split = iv->sp[iv->n_sp / 2];
            a.hi = b.lo = split.term;
            a.hi_len = b.lo_len = split.len;
            a.read_mem = b.read_mem = read_mem / 2;
        }
    }
    if (!two) {
        rc = merge_range(&a, err);
        free(order);
        return rc;
    }
    /* The upper half on a second thread, into a part joined afterwards. */
    vs_segwriter *part = NULL;
    char pre[4096];
    snprintf(pre, sizeof pre, "%s.part", iv->prefix);
    if ((rc = vs_segwriter_fork(w, pre, &part, err)) != VS_OK) {
        free(order);
        return rc;
    }
    b.w = part;
    pthread_t th;
    int started = pthread_create(&th, NULL, range_main, &b) == 0;
    if (!started) b.rc = merge_range(&b, &b.err); /* no thread: one after the other */
    rc = merge_range(&a, err);
    if (started) pthread_join(th, NULL);
    if (rc == VS_OK && b.rc != VS_OK) {
        rc = b.rc;
        *err = b.err;
    }
    if (rc == VS_OK) rc = vs_segwriter_join(w, part, err);
    vs_segwriter_free(part);
    free(order);
    return rc;
}
