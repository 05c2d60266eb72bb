/* buf.h: a growable byte buffer. Growth is geometric and checked for overflow; a failed
 * reservation leaves the buffer as it was and returns VS_ENOMEM. vs_buf_free(NULL-initialised
 * buffer) is a no-op. The sticky-rc writers (vs_buf_put*) do nothing once *rc != VS_OK, so a long
 * write sequence checks its result once at the end. */
#ifndef VS_BUF_H
#define VS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

typedef struct vs_buf {
    uint8_t *p;
    size_t len, cap;
} vs_buf;

#define VS_BUF_INIT { NULL, 0, 0 }

VS_MUST_CHECK vs_rc vs_buf_reserve(vs_buf *b, size_t extra);
VS_MUST_CHECK vs_rc vs_buf_append(vs_buf *b, const void *data, size_t n);
void vs_buf_free(vs_buf *b);
static inline void vs_buf_reset(vs_buf *b) { b->len = 0; }

/* Sticky writers: no-ops once *rc != VS_OK. */
void vs_buf_put(vs_buf *b, const void *data, size_t n, vs_rc *rc);
void vs_buf_put8(vs_buf *b, uint8_t v, vs_rc *rc);
void vs_buf_put16(vs_buf *b, uint16_t v, vs_rc *rc);
void vs_buf_put32(vs_buf *b, uint32_t v, vs_rc *rc);
void vs_buf_put64(vs_buf *b, uint64_t v, vs_rc *rc);
void vs_buf_putvar(vs_buf *b, uint64_t v, vs_rc *rc);
/* Appends a NUL without counting it in len (so b->p is a C string). */
void vs_buf_cstr(vs_buf *b, vs_rc *rc);

#endif
