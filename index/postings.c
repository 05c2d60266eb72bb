/* postings.c: bit-packed block codec (see postings.h). This is the portable scalar path; it
 * defines the on-disk layout, which the vector decoder (unpack_simd.c) reproduces bit for bit;
 * full blocks go to the vector decoder when it is available. */
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

vs_rc vs_postings_encode_block(const uint32_t *docs, const uint32_t *tfs, size_t n, int have_prev,
                               uint32_t prev, vs_buf *out) {
    uint32_t gaps[VS_BLOCK_DOCS], t1[VS_BLOCK_DOCS];
    if (n == 0 || n > VS_BLOCK_DOCS) return VS_EINTERNAL;
    for (size_t i = 0; i < n; i++) {
        uint32_t base = i ? docs[i - 1] + 1 : (have_prev ? prev + 1 : 0);
        gaps[i] = docs[i] - base;
        t1[i] = tfs[i] - 1;
    }
    vs_rc rc = VS_OK;
    if (n == VS_BLOCK_DOCS) {
        uint32_t wd = vs_postings_width(gaps, n), wt = vs_postings_width(t1, n);
        rc = vs_buf_reserve(out, 2 + 16 * (wd + wt));
        if (rc != VS_OK) return rc;
        uint8_t *p = out->p + out->len;
        p[0] = (uint8_t)wd;
        p[1] = (uint8_t)wt;
        vs_postings_pack128(gaps, wd, p + 2);
        vs_postings_pack128(t1, wt, p + 2 + 16 * wd);
        out->len += 2 + 16 * (wd + wt);
        return VS_OK;
    }
    for (size_t i = 0; i < n; i++) vs_buf_putvar(out, gaps[i], &rc);
    for (size_t i = 0; i < n; i++) vs_buf_putvar(out, t1[i], &rc);
    return rc;
}

size_t vs_postings_decode_block(const uint8_t *p, const uint8_t *end, size_t n, int have_prev,
                                uint32_t prev, uint32_t *docs, uint32_t *tfs) {
    const uint8_t *start = p;
    if (n == 0 || n > VS_BLOCK_DOCS || p >= end) return 0;
    if (n == VS_BLOCK_DOCS) {
        if (end - p < 2) return 0;
        uint32_t wd = p[0], wt = p[1];
        if (wd > 32 || wt > 32 || (size_t)(end - p) < 2 + 16 * (size_t)(wd + wt)) return 0;
        uint64_t base = have_prev ? (uint64_t)prev + 1 : 0;
        /* The vector path fuses the prefix sum; it is valid when no id can pass 2^32 - 1, i.e.
         * base + 127 + 128 * (2^wd - 1) fits (checked in 64 bits, else the scalar path checks). */
        uint64_t maxgap = wd == 32 ? UINT32_MAX : ((1ull << wd) - 1);
        if (base + 127 + 128 * maxgap <= UINT32_MAX &&
            vs_postings_unpack128_docs_simd(p + 2, wd, (uint32_t)base, docs)) {
            if (!vs_postings_unpack128_plus1_simd(p + 2 + 16 * wd, wt, tfs)) {
                vs_postings_unpack128(p + 2 + 16 * wd, wt, tfs);
                for (int i = 0; i < VS_BLOCK_DOCS; i++) {
                    tfs[i] += 1;
                    if (tfs[i] == 0) return 0;
                }
            }
            return 2 + 16 * (size_t)(wd + wt);
        }
        vs_postings_unpack128(p + 2, wd, docs);
        vs_postings_unpack128(p + 2 + 16 * wd, wt, tfs);
        p += 2 + 16 * (wd + wt);
    } else {
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            size_t k = vs_varint_get(p, end, &v);
            if (!k || v > UINT32_MAX) return 0;
            docs[i] = (uint32_t)v;
            p += k;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            size_t k = vs_varint_get(p, end, &v);
            if (!k || v >= UINT32_MAX) return 0;
            tfs[i] = (uint32_t)v;
            p += k;
        }
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
