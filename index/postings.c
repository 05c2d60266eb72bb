/* postings.c: bit-packed block codec (see postings.h). This is the portable scalar path; it
 * defines the on-disk layout, which the vector decoders (unpack_simd.c) reproduce bit for bit;
 * full blocks go to the vector decoder of the level in use, tail blocks (bit streams of fewer
 * than 128 values, a quarter of Reuters' postings) are decoded here. */
#include "postings.h"

#include <string.h>

#include "le.h"

uint32_t vs_postings_width(const uint32_t *in, size_t n) {
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= in[i];
    return acc ? 32u - (uint32_t)__builtin_clz(acc) : 0;
}

void vs_postings_pack128(const uint32_t *in, uint32_t w, uint8_t *out) {
    if (w == 0) return;
    for (uint32_t lane = 0; lane < 4; lane++) {
        uint64_t acc = 0;
        uint32_t bits = 0, word = 0;
        for (uint32_t slot = 0; slot < 32; slot++) {
            uint64_t v = in[slot * 4 + lane];
            if (w < 32) v &= (1ull << w) - 1;
            acc |= v << bits;
            bits += w;
            if (bits >= 32) {
                vs_le_put32(out + (word * 4 + lane) * 4, (uint32_t)acc);
                word++;
                acc >>= 32;
                bits -= 32;
            }
        }
    }
}

void vs_postings_unpack128(const uint8_t *in, uint32_t w, uint32_t *out) {
    if (w == 0) {
        memset(out, 0, VS_BLOCK_DOCS * sizeof *out);
        return;
    }
    const uint64_t mask = w == 32 ? 0xffffffffull : (1ull << w) - 1;
    for (uint32_t lane = 0; lane < 4; lane++) {
        uint64_t acc = 0;
        uint32_t bits = 0, word = 0;
        for (uint32_t slot = 0; slot < 32; slot++) {
            if (bits < w) {
                acc |= (uint64_t)vs_le_get32(in + (word * 4 + lane) * 4) << bits;
                word++;
                bits += 32;
            }
            out[slot * 4 + lane] = (uint32_t)(acc & mask);
            acc >>= w;
            bits -= w;
        }
    }
}

size_t vs_postings_put_header(uint8_t *p, uint32_t w_doc, uint32_t w_tf) {
    if (w_tf < 3) {
        p[0] = (uint8_t)(w_doc | w_tf << 6);
        return 1;
    }
    p[0] = (uint8_t)(w_doc | 3u << 6);
    p[1] = (uint8_t)w_tf;
    return 2;
}

size_t vs_postings_get_header(const uint8_t *p, const uint8_t *end, uint32_t *w_doc, uint32_t *w_tf) {
    if (p >= end) return 0;
    uint32_t wd = p[0] & 63u, c = p[0] >> 6;
    if (wd > 32) return 0;
    *w_doc = wd;
    if (c < 3) {
        *w_tf = c;
        return 1;
    }
    if (end - p < 2 || p[1] < 3 || p[1] > 32) return 0;
    *w_tf = p[1];
    return 2;
}

void vs_postings_pack_bits(uint8_t *p, uint64_t bit, const uint32_t *in, size_t n, uint32_t w) {
    if (w == 0) return;
    for (size_t i = 0; i < n; i++, bit += w) {
        uint64_t v = (uint64_t)(w == 32 ? in[i] : in[i] & ((1u << w) - 1)) << (bit & 7);
        uint8_t *q = p + (bit >> 3);
        for (uint32_t k = 0; k < ((bit & 7) + w + 7) / 8; k++) q[k] |= (uint8_t)(v >> (8 * k));
    }
}

void vs_postings_unpack_bits(const uint8_t *p, size_t len, uint64_t bit, size_t n, uint32_t w, uint32_t *out) {
    if (w == 0) {
        memset(out, 0, n * sizeof *out);
        return;
    }
    const uint64_t mask = w == 32 ? 0xffffffffull : (1ull << w) - 1;
    for (size_t i = 0; i < n; i++, bit += w) {
        /* a value starts at bit (bit & 7) of its first byte and spans at most 7 + 32 bits: one
         * 8-byte load holds it; near the end of the stream the bytes are gathered one by one */
        size_t byte = (size_t)(bit >> 3);
        uint64_t x = 0;
        if (len - byte >= 8) {
            x = vs_le_get64(p + byte);
        } else {
            for (size_t k = 0; byte + k < len; k++) x |= (uint64_t)p[byte + k] << (8 * k);
        }
        out[i] = (uint32_t)((x >> (bit & 7)) & mask);
    }
}

vs_rc vs_postings_encode_block(const uint32_t *docs, const uint32_t *tfs, size_t n, int have_prev,
                               uint32_t prev, vs_buf *out) {
    uint32_t gaps[VS_BLOCK_DOCS], t1[VS_BLOCK_DOCS];
    if (n == 0 || n > VS_BLOCK_DOCS) return VS_EINTERNAL;
    for (size_t i = 0; i < n; i++) {
        uint32_t base = i ? docs[i - 1] + 1 : (have_prev ? prev + 1 : 0);
        gaps[i] = docs[i] - base;
        t1[i] = tfs[i] - 1;
    }
    uint32_t wd = vs_postings_width(gaps, n), wt = vs_postings_width(t1, n);
    size_t body = n == VS_BLOCK_DOCS ? 16 * (size_t)(wd + wt) : (n * (wd + wt) + 7) / 8;
    vs_rc rc = vs_buf_reserve(out, 2 + body);
    if (rc != VS_OK) return rc;
    uint8_t *p = out->p + out->len;
    size_t h = vs_postings_put_header(p, wd, wt);
    if (n == VS_BLOCK_DOCS) {
        vs_postings_pack128(gaps, wd, p + h);
        vs_postings_pack128(t1, wt, p + h + 16 * wd);
    } else {
        memset(p + h, 0, body);
        vs_postings_pack_bits(p + h, 0, gaps, n, wd);
        vs_postings_pack_bits(p + h, (uint64_t)n * wd, t1, n, wt);
    }
    out->len += h + body;
    return VS_OK;
}

size_t vs_postings_decode_block(const uint8_t *p, const uint8_t *end, size_t n, int have_prev,
                                uint32_t prev, uint32_t *docs, uint32_t *tfs) {
    const uint8_t *start = p;
    uint32_t wd, wt;
    if (n == 0 || n > VS_BLOCK_DOCS) return 0;
    size_t h = vs_postings_get_header(p, end, &wd, &wt);
    if (!h) return 0;
    p += h;
    if (n == VS_BLOCK_DOCS) {
        size_t body = 16 * (size_t)(wd + wt);
        if ((size_t)(end - p) < body) return 0;
        uint64_t base = have_prev ? (uint64_t)prev + 1 : 0;
        /* The vector path fuses the prefix sum; it is valid when no id can pass 2^32 - 1, i.e.
         * base + 127 + 128 * (2^wd - 1) fits (checked in 64 bits, else the scalar path checks). */
        uint64_t maxgap = wd == 32 ? UINT32_MAX : ((1ull << wd) - 1);
        if (base + 127 + 128 * maxgap <= UINT32_MAX &&
            vs_postings_unpack128_docs_simd(p, wd, (uint32_t)base, docs)) {
            if (!vs_postings_unpack128_plus1_simd(p + 16 * wd, wt, tfs)) {
                vs_postings_unpack128(p + 16 * wd, wt, tfs);
                for (int i = 0; i < VS_BLOCK_DOCS; i++) {
                    tfs[i] += 1;
                    if (tfs[i] == 0) return 0;
                }
            }
            return h + body;
        }
        vs_postings_unpack128(p, wd, docs);
        vs_postings_unpack128(p + 16 * wd, wt, tfs);
        p += body;
    } else {
        size_t body = (n * (wd + wt) + 7) / 8, avail = (size_t)(end - p);
        if (avail < body) return 0;
        /* The unpacker may read the bytes after the block up to `end` (the next block, or the
         * end of the list): 8-byte loads instead of byte gathering in small blocks. */
        vs_postings_unpack_bits(p, avail, 0, n, wd, docs);
        vs_postings_unpack_bits(p, avail, (uint64_t)n * wd, n, wt, tfs);
        p += body;
    }
    /* Prefix sum: gaps -> absolute docids; any overflow of 32 bits means damage. */
    uint64_t cur = have_prev ? (uint64_t)prev + 1 : 0;
    for (size_t i = 0; i < n; i++) {
        cur += docs[i];
        if (cur > UINT32_MAX) return 0;
        docs[i] = (uint32_t)cur;
        cur++;
        tfs[i] += 1;
        if (tfs[i] == 0) return 0;
    }
    return (size_t)(p - start);
}
