/* unpack_simd.c: SSE2 decoding of full postings blocks (the 4-lane layout of postings.h).
 * Word j of the four lanes is 16 contiguous bytes, so one 128-bit load holds word j of every
 * lane and each shift/mask step yields four consecutive values (slot s of lanes 0..3 are values
 * 4s..4s+3). Each width gets its own fully unrolled copy (the width is a compile-time constant
 * inside unpack_w), and the docid variant fuses the prefix sum: absolute = prev + gap + 1,
 * computed four at a time with two in-register shifts.
 * SSE2 is part of the x86-64 baseline, so no run-time check is needed for it; other machines
 * use the scalar path, and VSEARCH_SIMD=scalar forces it (tests compare both). */
#include "postings.h"

#if defined(__x86_64__) || defined(__SSE2__)
#include <emmintrin.h>
#include <stdlib.h>
#include <string.h>

#define VS_HAVE_SSE2 1

/* mode 0: raw values; 1: values + 1 (tfs); 2: prefix sum of values + 1 onto *prev (docids) */
static inline __attribute__((always_inline)) void unpack_w(const uint8_t *in, uint32_t *out, const uint32_t w,
                                                           int mode, uint32_t *prev) {
    const __m128i *src = (const __m128i *)(const void *)in;
    const __m128i mask = _mm_set1_epi32(w == 32 ? -1 : (int)((1u << w) - 1));
    const __m128i one = _mm_set1_epi32(1);
    __m128i carry = _mm_set1_epi32((int)*prev);
    __m128i cur = _mm_loadu_si128(src++);
    uint32_t bits = 0;
#pragma GCC unroll 32
    for (uint32_t s = 0; s < 32; s++) {
        __m128i v;
        if (bits + w <= 32) {
            v = _mm_srli_epi32(cur, (int)bits);
            bits += w;
            if (bits == 32 && s < 31) {
                cur = _mm_loadu_si128(src++);
                bits = 0;
            }
        } else {
            __m128i nxt = _mm_loadu_si128(src++);
            v = _mm_or_si128(_mm_srli_epi32(cur, (int)bits), _mm_slli_epi32(nxt, (int)(32 - bits)));
            cur = nxt;
            bits = bits + w - 32;
        }
        if (w < 32) v = _mm_and_si128(v, mask);
        if (mode == 1) v = _mm_add_epi32(v, one);
        if (mode == 2) {
            v = _mm_add_epi32(v, one);                   /* gaps were stored minus one */
            v = _mm_add_epi32(v, _mm_slli_si128(v, 4));  /* in-vector prefix sum */
            v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
            v = _mm_add_epi32(v, carry);
            carry = _mm_shuffle_epi32(v, 0xFF);          /* broadcast the last value */
        }
        _mm_storeu_si128((__m128i *)(void *)(out + 4 * s), v);
    }
    if (mode == 2) *prev = (uint32_t)_mm_cvtsi128_si32(carry);
}

#define W(n) case n: unpack_w(in, out, n, mode, prev); break;
static void unpack_any(const uint8_t *in, uint32_t w, uint32_t *out, int mode, uint32_t *prev) {
    switch (w) {
    W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(8) W(9) W(10) W(11) W(12) W(13) W(14) W(15) W(16)
    W(17) W(18) W(19) W(20) W(21) W(22) W(23) W(24) W(25) W(26) W(27) W(28) W(29) W(30) W(31) W(32)
    default: break;
    }
}
#undef W

static int use_simd = -1;

int vs_postings_simd(void) {
    if (use_simd < 0) {
        const char *e = getenv("VSEARCH_SIMD");
        use_simd = !(e && strcmp(e, "scalar") == 0);
    }
    return use_simd;
}

void vs_postings_simd_set(int on) { use_simd = on ? 1 : 0; }

int vs_postings_unpack128_simd(const uint8_t *in, uint32_t w, uint32_t *out) {
    if (!vs_postings_simd() || w == 0 || w > 32) return 0;
    uint32_t dummy = 0;
    unpack_any(in, w, out, 0, &dummy);
    return 1;
}

int vs_postings_unpack128_plus1_simd(const uint8_t *in, uint32_t w, uint32_t *out) {
    if (!vs_postings_simd() || w > 31) return 0; /* w == 32 could wrap: the scalar path checks it */
    if (w == 0) {
        for (uint32_t i = 0; i < VS_BLOCK_DOCS; i++) out[i] = 1;
        return 1;
    }
    uint32_t dummy = 0;
    unpack_any(in, w, out, 1, &dummy);
    return 1;
}

int vs_postings_unpack128_docs_simd(const uint8_t *in, uint32_t w, uint32_t base, uint32_t *out) {
    if (!vs_postings_simd() || w > 32) return 0;
    /* base = first docid candidate (prev + 1, or 0): carry holds base - 1 so that gap + 1 lands */
    uint32_t prev = base - 1;
    if (w == 0) {
        /* every gap is 0: consecutive ids */
        for (uint32_t i = 0; i < VS_BLOCK_DOCS; i++) out[i] = base + i;
        return 1;
    }
    unpack_any(in, w, out, 2, &prev);
    return 1;
}
#else
int vs_postings_simd(void) { return 0; }
void vs_postings_simd_set(int on) { (void)on; }
int vs_postings_unpack128_simd(const uint8_t *in, uint32_t w, uint32_t *out) {
    (void)in; (void)w; (void)out;
    return 0;
}
int vs_postings_unpack128_docs_simd(const uint8_t *in, uint32_t w, uint32_t base, uint32_t *out) {
    (void)in; (void)w; (void)base; (void)out;
    return 0;
}
int vs_postings_unpack128_plus1_simd(const uint8_t *in, uint32_t w, uint32_t *out) {
    (void)in; (void)w; (void)out;
    return 0;
}
#endif
