/* buf.c: growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "le.h"

vs_rc vs_buf_reserve(vs_buf *b, size_t extra) {
    if (extra <= b->cap - b->len) return VS_OK;
    if (extra > SIZE_MAX / 2 - b->len) return VS_ENOMEM;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return VS_ENOMEM;
    b->p = p;
    b->cap = cap;
    return VS_OK;
}

vs_rc vs_buf_append(vs_buf *b, const void *data, size_t n) {
    if (n == 0) return VS_OK;
    vs_rc rc = vs_buf_reserve(b, n);
    if (rc != VS_OK) return rc;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return VS_OK;
}

void vs_buf_free(vs_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void vs_buf_put(vs_buf *b, const void *data, size_t n, vs_rc *rc) {
    if (*rc == VS_OK) *rc = vs_buf_append(b, data, n);
}

void vs_buf_put8(vs_buf *b, uint8_t v, vs_rc *rc) { vs_buf_put(b, &v, 1, rc); }

void vs_buf_put16(vs_buf *b, uint16_t v, vs_rc *rc) {
    uint8_t t[2];
    vs_le_put16(t, v);
    vs_buf_put(b, t, 2, rc);
}

void vs_buf_put32(vs_buf *b, uint32_t v, vs_rc *rc) {
    uint8_t t[4];
    vs_le_put32(t, v);
    vs_buf_put(b, t, 4, rc);
}

void vs_buf_put64(vs_buf *b, uint64_t v, vs_rc *rc) {
    uint8_t t[8];
    vs_le_put64(t, v);
    vs_buf_put(b, t, 8, rc);
}

void vs_buf_putvar(vs_buf *b, uint64_t v, vs_rc *rc) {
    uint8_t t[10];
    vs_buf_put(b, t, vs_varint_put(t, v), rc);
}

void vs_buf_cstr(vs_buf *b, vs_rc *rc) {
    if (*rc != VS_OK) return;
    *rc = vs_buf_reserve(b, 1);
    if (*rc == VS_OK) b->p[b->len] = '\0';
}
