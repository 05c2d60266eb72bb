/* unpack_simd.c: vector decoding of full postings blocks (the 4-lane layout of postings.h), with
 * the level chosen at run time.
 *
 * SSE2 (part of the x86-64 baseline): word j of the four lanes is 16 contiguous bytes, so one
 * 128-bit load holds word j of every lane and each shift/mask step yields four consecutive values
 * (slot s of lanes 0..3 are values 4s..4s+3).
 * AVX2 (functions compiled with target("avx2"), used when __builtin_cpu_supports("avx2")): two
 * slots per step; the two halves of a 256-bit register hold the words of slots s and s + 1 and
 * per-element shift counts (vpsrlvd/vpsllvd) extract both, eight consecutive values at once.
 * Each (width, mode) pair gets its own fully unrolled copy (both are compile-time constants
 * inside the kernels: 2 levels x 3 modes x 32 widths, ~230 KB of code, of which a query runs the
 * few widths its blocks use; specialising the mode made AVX2 docid decoding ~12% faster), and
 * the docid variants fuse the prefix sum: absolute = prev + gap + 1, computed a vector at a time
 * with in-register shifts. Other machines use the scalar path. VSEARCH_SIMD
 * caps the level (scalar, sse2, avx2); tests force each level and compare. */
#include "postings.h"

#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = { "scalar", "sse2", "avx2" };

const char *vs_postings_simd_name(int level) {
    return level >= 0 && level <= VS_SIMD_AVX2 ? level_names[level] : "?";
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* mode 0: raw values; 1: values + 1 (tfs); 2: prefix sum of values + 1 onto *prev (docids) */
static inline __attribute__((always_inline)) void sse2_w(const uint8_t *in, uint32_t *out, const uint32_t w,
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

/* Slot s of the four lanes: value bits start at bit s*w of the lanes' bit strings, i.e. in word
 * (s*w)/32 at shift (s*w)%32, and continue into the next word when the shift + w passes 32. The
 * next word is loaded only then (it may lie past the block otherwise). */
#define SLOT_K(s) ((s) * w / 32)
#define SLOT_R(s) ((s) * w % 32)
#define SLOT_SPANS(s) (SLOT_R(s) + w > 32)

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
avx2_w(const uint8_t *in, uint32_t *out, const uint32_t w, int mode, uint32_t *prev) {
    const __m128i *src = (const __m128i *)(const void *)in;
    const __m256i mask = _mm256_set1_epi32(w == 32 ? -1 : (int)((1u << w) - 1));
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i last = _mm256_set1_epi32(7);
    __m256i carry = _mm256_set1_epi32((int)*prev);
#pragma GCC unroll 16
    for (uint32_t s = 0; s < 32; s += 2) {
        const uint32_t r0 = SLOT_R(s), r1 = SLOT_R(s + 1);
        __m256i lo = _mm256_set_m128i(_mm_loadu_si128(src + SLOT_K(s + 1)), _mm_loadu_si128(src + SLOT_K(s)));
        __m256i v = _mm256_srlv_epi32(lo, _mm256_set_epi32((int)r1, (int)r1, (int)r1, (int)r1,
                                                            (int)r0, (int)r0, (int)r0, (int)r0));
        if (SLOT_SPANS(s) || SLOT_SPANS(s + 1)) {
            __m128i h0 = SLOT_SPANS(s) ? _mm_loadu_si128(src + SLOT_K(s) + 1) : _mm_setzero_si128();
            __m128i h1 = SLOT_SPANS(s + 1) ? _mm_loadu_si128(src + SLOT_K(s + 1) + 1) : _mm_setzero_si128();
            /* a count of 32 (shift 0: the value does not span) shifts everything out */
            const int l0 = (int)(32 - r0), l1 = (int)(32 - r1);
            v = _mm256_or_si256(v, _mm256_sllv_epi32(_mm256_set_m128i(h1, h0),
                                                     _mm256_set_epi32(l1, l1, l1, l1, l0, l0, l0, l0)));
        }
        if (w < 32) v = _mm256_and_si256(v, mask);
        if (mode == 1) v = _mm256_add_epi32(v, one);
        if (mode == 2) {
            v = _mm256_add_epi32(v, one);                      /* gaps were stored minus one */
            v = _mm256_add_epi32(v, _mm256_slli_si256(v, 4));  /* prefix sum in each half */
            v = _mm256_add_epi32(v, _mm256_slli_si256(v, 8));
            __m256i low3 = _mm256_shuffle_epi32(v, 0xFF);      /* element 3 of each half */
            v = _mm256_add_epi32(v, _mm256_permute2x128_si256(low3, low3, 0x08)); /* low half's total -> high half */
            v = _mm256_add_epi32(v, carry);
            carry = _mm256_permutevar8x32_epi32(v, last);      /* broadcast the last value */
        }
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * s), v);
    }
    if (mode == 2) *prev = (uint32_t)_mm256_extract_epi32(carry, 0);
}
#undef SLOT_K
#undef SLOT_R
#undef SLOT_SPANS

/* One fully unrolled copy per (width, mode): the mode is a constant inside each copy too, so
 * the docid kernel carries no test of it. */
#define CASES(f, M)                                                                                  \
    switch (w) {                                                                                     \
    W(f, M, 1) W(f, M, 2) W(f, M, 3) W(f, M, 4) W(f, M, 5) W(f, M, 6) W(f, M, 7) W(f, M, 8)           \
    W(f, M, 9) W(f, M, 10) W(f, M, 11) W(f, M, 12) W(f, M, 13) W(f, M, 14) W(f, M, 15) W(f, M, 16)    \
    W(f, M, 17) W(f, M, 18) W(f, M, 19) W(f, M, 20) W(f, M, 21) W(f, M, 22) W(f, M, 23) W(f, M, 24)   \
    W(f, M, 25) W(f, M, 26) W(f, M, 27) W(f, M, 28) W(f, M, 29) W(f, M, 30) W(f, M, 31) W(f, M, 32)   \
    default: break;                                                                                  \
    }
#define W(f, M, n) case n: f(in, out, n, M, prev); break;
#define KERNELS(isa, attr)                                                                           \
    attr static void isa##_raw(const uint8_t *in, uint32_t w, uint32_t *out, uint32_t *prev) {       \
        CASES(isa##_w, 0)                                                                            \
    }                                                                                                \
    attr static void isa##_plus1(const uint8_t *in, uint32_t w, uint32_t *out, uint32_t *prev) {     \
        CASES(isa##_w, 1)                                                                            \
    }                                                                                                \
    attr static void isa##_docs(const uint8_t *in, uint32_t w, uint32_t *out, uint32_t *prev) {      \
        CASES(isa##_w, 2)                                                                            \
    }
KERNELS(sse2, )
KERNELS(avx2, __attribute__((target("avx2"))))
#undef KERNELS
#undef W
#undef CASES

static int cpu_max(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? VS_SIMD_AVX2 : VS_SIMD_SSE2;
}

#else
static int cpu_max(void) { return VS_SIMD_SCALAR; }
static void unpack_any(int l, const uint8_t *in, uint32_t w, uint32_t *out, int mode, uint32_t *prev) {
    (void)l; (void)in; (void)w; (void)out; (void)mode; (void)prev;
}
#endif

/* Set once (first use, or by vs_postings_simd_set before decoding starts); relaxed atomics make
 * the first use from several query threads at once well defined (they all store the same value). */
static int level = -1, level_max = -1;

int vs_postings_simd_max(void) {
    int m = __atomic_load_n(&level_max, __ATOMIC_RELAXED);
    if (m < 0) {
        m = cpu_max();
        __atomic_store_n(&level_max, m, __ATOMIC_RELAXED);
    }
    return m;
}

int vs_postings_simd(void) {
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = vs_postings_simd_max();
        const char *e = getenv("VSEARCH_SIMD");
        for (int i = 0; e && i <= VS_SIMD_AVX2; i++)
            if (strcmp(e, level_names[i]) == 0 && i < l) l = i;
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

int vs_postings_simd_set(int l) {
    int m = vs_postings_simd_max();
    l = l < 0 ? 0 : (l > m ? m : l);
    __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    return l;
}

#if defined(__x86_64__) && defined(__GNUC__)
static void unpack_any(int l, const uint8_t *in, uint32_t w, uint32_t *out, int mode, uint32_t *prev) {
    static void (*const fn[2][3])(const uint8_t *, uint32_t, uint32_t *, uint32_t *) = {
        { sse2_raw, sse2_plus1, sse2_docs }, { avx2_raw, avx2_plus1, avx2_docs } };
    fn[l == VS_SIMD_AVX2][mode](in, w, out, prev);
}
#endif

int vs_postings_unpack128_simd(const uint8_t *in, uint32_t w, uint32_t *out) {
    int l = vs_postings_simd();
    if (l == VS_SIMD_SCALAR || w == 0 || w > 32) return 0;
    uint32_t dummy = 0;
    unpack_any(l, in, w, out, 0, &dummy);
    return 1;
}

int vs_postings_unpack128_plus1_simd(const uint8_t *in, uint32_t w, uint32_t *out) {
    /* w == 32 could wrap: the scalar path checks it */
    int l = vs_postings_simd();
    if (l == VS_SIMD_SCALAR || w > 31) return 0;
    if (w == 0) {
        for (uint32_t i = 0; i < VS_BLOCK_DOCS; i++) out[i] = 1;
        return 1;
    }
    uint32_t dummy = 0;
    unpack_any(l, in, w, out, 1, &dummy);
    return 1;
}

int vs_postings_unpack128_docs_simd(const uint8_t *in, uint32_t w, uint32_t base, uint32_t *out) {
    int l = vs_postings_simd();
    if (l == VS_SIMD_SCALAR || w > 32) return 0;
    /* base = first docid candidate (prev + 1, or 0): carry holds base - 1 so that gap + 1 lands */
    uint32_t prev = base - 1;
    if (w == 0) {
        /* every gap is 0: consecutive ids */
        for (uint32_t i = 0; i < VS_BLOCK_DOCS; i++) out[i] = base + i;
        return 1;
    }
    unpack_any(l, in, w, out, 2, &prev);
    return 1;
}
