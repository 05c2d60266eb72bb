/* invert.c: in-memory inverter (see invert.h). */
#include "invert.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "le.h"

typedef struct term {
    uint64_t hash;
    uint32_t str_off, len;      /* in iv->strs */
    uint32_t df, last_pid;
    vs_buf post;                /* varints: pid gap, tf, tf position gaps */
} term;

typedef struct occ {
    uint32_t tid, pos;
} occ;

struct vs_invert {
    term *terms;
    size_t n_terms, cap_terms;
    uint32_t *slots;            /* open addressing: term index + 1, 0 = empty */
    size_t n_slots;
    vs_buf strs;
    occ *occ;                   /* tokens of the current passage */
    size_t n_occ, cap_occ;
    uint32_t cur_pid;
    int have_pid;
    size_t bytes;
};

vs_rc vs_invert_new(vs_invert **out, vs_err *err) {
    vs_invert *iv = calloc(1, sizeof *iv);
    if (!iv) return vs_err_set(err, VS_ENOMEM, "out of memory");
    iv->n_slots = 1u << 16;
    iv->slots = calloc(iv->n_slots, sizeof *iv->slots);
    if (!iv->slots) { free(iv); return vs_err_set(err, VS_ENOMEM, "out of memory"); }
    *out = iv;
    return VS_OK;
}

void vs_invert_free(vs_invert *iv) {
    if (!iv) return;
    for (size_t i = 0; i < iv->n_terms; i++) vs_buf_free(&iv->terms[i].post);
    free(iv->terms);
    free(iv->slots);
    vs_buf_free(&iv->strs);
    free(iv->occ);
    free(iv);
}

size_t vs_invert_bytes(const vs_invert *iv) { return iv->bytes; }
uint64_t vs_invert_terms(const vs_invert *iv) { return iv->n_terms; }

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

static vs_rc intern(vs_invert *iv, const char *t, size_t len, uint32_t *tid) {
    uint64_t h = XXH3_64bits(t, len);
    size_t mask = iv->n_slots - 1, j = h & mask;
    for (;;) {
        uint32_t s = iv->slots[j];
        if (!s) break;
        term *e = &iv->terms[s - 1];
        if (e->hash == h && e->len == len && memcmp(iv->strs.p + e->str_off, t, len) == 0) {
            *tid = s - 1;
            return VS_OK;
        }
        j = (j + 1) & mask;
    }
    if (iv->n_terms >= UINT32_MAX - 1 || iv->strs.len + len > UINT32_MAX) return VS_EDATA;
    if (iv->n_terms == iv->cap_terms) {
        size_t cap = iv->cap_terms ? iv->cap_terms * 2 : 4096;
        term *nt = realloc(iv->terms, cap * sizeof *nt);
        if (!nt) return VS_ENOMEM;
        iv->bytes += (cap - iv->cap_terms) * sizeof *nt;
        iv->terms = nt;
        iv->cap_terms = cap;
    }
    term *e = &iv->terms[iv->n_terms];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->str_off = (uint32_t)iv->strs.len;
    e->len = (uint32_t)len;
    if (vs_buf_append(&iv->strs, t, len) != VS_OK) return VS_ENOMEM;
    iv->bytes += len;
    iv->slots[j] = (uint32_t)iv->n_terms + 1;
    *tid = (uint32_t)iv->n_terms++;
    if (iv->n_terms * 2 > iv->n_slots) return grow_slots(iv);
    return VS_OK;
}

vs_rc vs_invert_token(vs_invert *iv, uint32_t pid, const char *t, size_t len, uint32_t pos, vs_err *err) {
    if (iv->have_pid && pid != iv->cur_pid) {
        vs_rc rc = vs_invert_end_passage(iv, err);
        if (rc != VS_OK) return rc;
    }
    iv->cur_pid = pid;
    iv->have_pid = 1;
    uint32_t tid;
    vs_rc rc = intern(iv, t, len, &tid);
    if (rc != VS_OK) return vs_err_set(err, rc, "out of memory interning terms");
    if (iv->n_occ == iv->cap_occ) {
        size_t cap = iv->cap_occ ? iv->cap_occ * 2 : 1024;
        occ *o = realloc(iv->occ, cap * sizeof *o);
        if (!o) return vs_err_set(err, VS_ENOMEM, "out of memory");
        iv->occ = o;
        iv->cap_occ = cap;
    }
    iv->occ[iv->n_occ++] = (occ){ tid, pos };
    return VS_OK;
}

static int cmp_occ(const void *a, const void *b) {
    const occ *x = a, *y = b;
    if (x->tid != y->tid) return x->tid < y->tid ? -1 : 1;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

vs_rc vs_invert_end_passage(vs_invert *iv, vs_err *err) {
    if (!iv->have_pid) return VS_OK;
    iv->have_pid = 0;
    if (iv->n_occ == 0) return VS_OK;
    qsort(iv->occ, iv->n_occ, sizeof *iv->occ, cmp_occ);
    vs_rc rc = VS_OK;
    for (size_t i = 0; i < iv->n_occ;) {
        size_t j = i;
        while (j < iv->n_occ && iv->occ[j].tid == iv->occ[i].tid) j++;
        term *e = &iv->terms[iv->occ[i].tid];
        size_t before = e->post.cap;
        vs_buf_putvar(&e->post, e->df ? iv->cur_pid - e->last_pid : iv->cur_pid, &rc);
        vs_buf_putvar(&e->post, j - i, &rc);
        uint32_t prev = 0;
        for (size_t k = i; k < j; k++) {
            vs_buf_putvar(&e->post, k == i ? iv->occ[k].pos : iv->occ[k].pos - prev, &rc);
            prev = iv->occ[k].pos;
        }
        iv->bytes += e->post.cap - before;
        e->df++;
        e->last_pid = iv->cur_pid;
        i = j;
    }
    iv->n_occ = 0;
    if (rc != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory while inverting");
    return VS_OK;
}

static const vs_invert *sort_iv; /* qsort has no context argument in C11 */
static int cmp_tid(const void *a, const void *b) {
    const term *x = &sort_iv->terms[*(const uint32_t *)a], *y = &sort_iv->terms[*(const uint32_t *)b];
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(sort_iv->strs.p + x->str_off, sort_iv->strs.p + y->str_off, m);
    if (c) return c;
    return x->len < y->len ? -1 : (x->len > y->len);
}

vs_rc vs_invert_write(vs_invert *iv, vs_segwriter *w, vs_err *err) {
    vs_rc rc = vs_invert_end_passage(iv, err);
    if (rc != VS_OK) return rc;
    uint32_t *order = malloc((iv->n_terms ? iv->n_terms : 1) * sizeof *order);
    if (!order) return vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t i = 0; i < iv->n_terms; i++) order[i] = (uint32_t)i;
    sort_iv = iv;
    qsort(order, iv->n_terms, sizeof *order, cmp_tid);
    sort_iv = NULL;
    uint32_t *pids = NULL, *tfs = NULL, *pos = NULL;
    size_t cap_p = 0, cap_pos = 0;
    for (size_t oi = 0; oi < iv->n_terms && rc == VS_OK; oi++) {
        term *e = &iv->terms[order[oi]];
        if (e->df > cap_p) {
            size_t c = e->df * 2;
            uint32_t *a = realloc(pids, c * sizeof *a), *b2 = a ? realloc(tfs, c * sizeof *b2) : NULL;
            if (a) pids = a;
            if (b2) tfs = b2;
            if (!a || !b2) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); break; }
            cap_p = c;
        }
        const uint8_t *p = e->post.p, *end = p + e->post.len;
        size_t npos = 0;
        uint32_t pid = 0;
        for (uint32_t d = 0; d < e->df; d++) {
            uint64_t gap = 0, tf = 0;
            p += vs_varint_get(p, end, &gap);
            p += vs_varint_get(p, end, &tf);
            pid = d ? pid + (uint32_t)gap : (uint32_t)gap;
            pids[d] = pid;
            tfs[d] = (uint32_t)tf;
            if (npos + tf > cap_pos) {
                size_t c = (npos + tf) * 2;
                uint32_t *a = realloc(pos, c * sizeof *a);
                if (!a) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); break; }
                pos = a;
                cap_pos = c;
            }
            uint32_t cur = 0;
            for (uint64_t k = 0; k < tf; k++) {
                uint64_t g = 0;
                p += vs_varint_get(p, end, &g);
                cur = k ? cur + (uint32_t)g : (uint32_t)g;
                pos[npos++] = cur;
            }
        }
        if (rc == VS_OK)
            rc = vs_segwriter_add_term(w, (const char *)iv->strs.p + e->str_off, e->len, e->df, pids, tfs, pos, err);
    }
    free(pids);
    free(tfs);
    free(pos);
    free(order);
    return rc;
}
