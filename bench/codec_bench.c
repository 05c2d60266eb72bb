/* codec_bench.c: decode speed and size of the postings block codec on real lists, and
 * measured experiments (PFor exceptions, interpolative tails, docid reordering).
 * Usage: codec_bench INDEX_DIR [label] [--no-reorder]
 * Reads every postings list of the index (through the reader) and re-encodes them into one
 * buffer with the codec of index/postings.c, in index order. Then:
 * - codec_size: bits per docid gap and per tf, full blocks and tails apart, bytes per posting
 *   (blocks only, no skip tables), now and with format 1's layout (2 width bytes per full
 *   block, varint tails) computed on the same lists. A block's first header byte counts for
 *   its gaps, a second one (w_tf > 2) and a tail's padding for its tfs.
 * - codec_docids: full blocks, in index order (the tails between them skipped), decoded to
 *   absolute docids (unpacking + prefix sum) at every decoder level this CPU has;
 *   codec_decode: decode_block (docids + tfs) over all blocks, full blocks, tails.
 *   Times are the calling thread's CPU time (robust to sharing the machine), best of REPS
 *   passes; integers/s = docids decoded per second.
 * - codec_pfor: patched frame of reference: per block the width b that minimises the bytes of
 *   three exception layouts (see pfor_cost), on full blocks' gaps and tfs and on tails' gaps;
 *   interpolative coding of tails' ids; decode speed of layout C against the same blocks
 *   without exceptions, both stored contiguously (full blocks only).
 * - codec_reorder: documents renumbered (passages stay together, in order) at random, by a
 *   MinHash sort or by recursive graph bisection (BP, Dhulipala et al., KDD 2016) on each
 *   document's term set; every list re-encoded: bits per docid gap, log2 gap cost, and the
 *   full blocks' gaps with exceptions (layout B). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <immintrin.h>

#include "ixread.h"
#include "plist.h"
#include "le.h"
#include "postings.h"

#define REPS 15

typedef struct blk {
    uint32_t off, n, have_prev, prev;
} blk;

/* every list of a segment, concatenated: list i is docs[lo[i] .. lo[i+1]) */
typedef struct lists {
    uint32_t *docs, *tfs;
    uint64_t *lo;
    size_t n, cap, np, pcap;
    uint32_t n_passages;
} lists;

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "codec_bench: out of memory\n");
        exit(70);
    }
    return q;
}

typedef struct rd {
    vs_segment *s;
    lists *L;
} rd;

static int on_term(void *ctx, const char *term, size_t len, const vs_term_info *ti) {
    (void)term; (void)len;
    rd *r = ctx;
    lists *L = r->L;
    vs_plist pl;
    if (vs_plist_open(&pl, r->s, ti) != VS_OK) return 1;
    if (L->n + 1 >= L->cap) {
        L->cap = L->cap ? 2 * L->cap : 1 << 16;
        L->lo = xrealloc(L->lo, L->cap * sizeof *L->lo);
    }
    if (L->np + ti->df > L->pcap) {
        while (L->np + ti->df > L->pcap) L->pcap = L->pcap ? 2 * L->pcap : 1 << 20;
        L->docs = xrealloc(L->docs, L->pcap * sizeof *L->docs);
        L->tfs = xrealloc(L->tfs, L->pcap * sizeof *L->tfs);
    }
    L->lo[L->n] = L->np;
    for (uint32_t d = pl.doc; d != VS_PLIST_END; d = vs_plist_next(&pl)) {
        L->docs[L->np] = d;
        L->tfs[L->np++] = vs_plist_tf(&pl);
    }
    L->lo[++L->n] = L->np;
    return 0;
}

static size_t varlen(uint32_t v) { return v < 1u << 7 ? 1 : v < 1u << 14 ? 2 : v < 1u << 21 ? 3 : v < 1u << 28 ? 4 : 5; }

/* size accounting of one encoding of a set of lists */
typedef struct sizes {
    uint64_t post_full, post_tail;
    uint64_t gap_bits_full, tf_bits_full, gap_bits_tail, tf_bits_tail; /* headers and padding included */
    uint64_t v1_full_bytes, v1_tail_bytes, v1_gap_bytes_tail;          /* format 1 on the same lists */
} sizes;

typedef struct enc {
    vs_buf out;
    blk *b;
    size_t nb, cap;
    sizes z;
} enc;

static void gaps_of(const uint32_t *docs, const uint32_t *tfs, size_t n, int have_prev, uint32_t prev,
                    uint32_t *g, uint32_t *t) {
    for (size_t i = 0; i < n; i++) {
        g[i] = docs[i] - (i ? docs[i - 1] + 1 : (have_prev ? prev + 1 : 0));
        t[i] = tfs[i] - 1;
    }
}

static void encode_lists(const lists *L, enc *e) {
    uint32_t g[128], t[128];
    for (size_t li = 0; li < L->n; li++) {
        int have_prev = 0;
        uint32_t prev = 0;
        for (uint64_t i = L->lo[li]; i < L->lo[li + 1]; i += 128) {
            size_t n = L->lo[li + 1] - i < 128 ? (size_t)(L->lo[li + 1] - i) : 128;
            if (e->nb == e->cap) {
                e->cap = e->cap ? e->cap * 2 : 4096;
                e->b = xrealloc(e->b, e->cap * sizeof *e->b);
            }
            size_t before = e->out.len;
            if (vs_postings_encode_block(L->docs + i, L->tfs + i, n, have_prev, prev, &e->out) != VS_OK) exit(70);
            e->b[e->nb++] = (blk){ (uint32_t)before, (uint32_t)n, (uint32_t)have_prev, prev };
            uint32_t wd, wt;
            size_t h = vs_postings_get_header(e->out.p + before, e->out.p + e->out.len, &wd, &wt);
            gaps_of(L->docs + i, L->tfs + i, n, have_prev, prev, g, t);
            if (n == 128) {
                e->z.post_full += 128;
                e->z.gap_bits_full += 8 + 128u * wd; /* the header's first byte counts for the gaps */
                e->z.tf_bits_full += 8 * (h - 1) + 128u * wt;
                e->z.v1_full_bytes += 2 + 16 * (wd + wt);
            } else {
                uint64_t body = (e->out.len - before - h) * 8;
                e->z.post_tail += n;
                e->z.gap_bits_tail += 8 + n * wd;
                e->z.tf_bits_tail += 8 * (h - 1) + body - n * wd; /* the padding counts for the tfs */
                for (size_t k = 0; k < n; k++) {
                    e->z.v1_tail_bytes += varlen(g[k]) + varlen(t[k]);
                    e->z.v1_gap_bytes_tail += varlen(g[k]);
                }
            }
            prev = L->docs[i + n - 1];
            have_prev = 1;
        }
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: robust to time slicing on a shared machine */
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* decode_block over the blocks with n == 128 (full = 1), n < 128 (full = 0) or all (full = 2) */
static double pass(const enc *e, int full, uint64_t *check, uint64_t *count) {
    uint32_t d[128], t[128];
    uint64_t sum = 0, c = 0;
    double t0 = now();
    for (size_t i = 0; i < e->nb; i++) {
        const blk *b = &e->b[i];
        if (full != 2 && (b->n == 128) != full) continue;
        if (!vs_postings_decode_block(e->out.p + b->off, e->out.p + e->out.len, b->n, (int)b->have_prev, b->prev, d, t))
            exit(70);
        sum += d[b->n - 1] + t[0];
        c += b->n;
    }
    double dt = now() - t0;
    *check += sum;
    *count = c;
    return dt;
}

/* full blocks to absolute docids only: the fused vector kernel, or scalar unpack + prefix sum */
static double pass_docids(const enc *e, uint64_t *check, uint64_t *count) {
    uint32_t d[128];
    uint64_t sum = 0, c = 0;
    int scalar = vs_postings_simd() == VS_SIMD_SCALAR;
    double t0 = now();
    for (size_t i = 0; i < e->nb; i++) {
        const blk *b = &e->b[i];
        if (b->n != 128) continue;
        const uint8_t *p = e->out.p + b->off;
        uint32_t wd, wt, base = b->have_prev ? b->prev + 1 : 0;
        size_t h = vs_postings_get_header(p, e->out.p + e->out.len, &wd, &wt);
        if (scalar) {
            vs_postings_unpack128(p + h, wd, d);
            uint32_t cur = base;
            for (int k = 0; k < 128; k++) {
                cur += d[k];
                d[k] = cur++;
            }
        } else {
            vs_postings_unpack128_docs_simd(p + h, wd, base, d);
        }
        sum += d[127];
        c += 128;
    }
    double dt = now() - t0;
    *check += sum;
    *count = c;
    return dt;
}

/* ---- PFor experiment ---- */

/* Bytes of a block's stream with exceptions at width b, for n values of largest width wmax
 * (full blocks: 16*b bytes 4-lane packed; tails: ceil(n*b/8) in the bit stream), the block's
 * header byte included. Three layouts:
 *  PF_A: header, count byte, [high-width byte, count position bytes, high parts packed at wmax-b]
 *  PF_B: as A, but "has exceptions" is a spare code of the header's width field (33..63), so the
 *        count byte is only there when there are exceptions
 *  PF_C: as B, with each high part in ceil((wmax-b)/8) whole bytes (faster to patch) */
enum { PF_A, PF_B, PF_C };
static uint64_t pfor_cost(const uint32_t *v, size_t n, uint32_t b, uint32_t wmax, int layout, uint32_t *ne_out) {
    uint32_t ne = 0;
    for (size_t k = 0; k < n; k++)
        if (b < 32 && (v[k] >> b)) ne++;
    *ne_out = ne;
    uint64_t body = n == 128 ? 16u * b : (n * b + 7) / 8, wx = wmax - b;
    if (layout == PF_A) return 2 + body + (ne ? 1 + ne + (ne * wx + 7) / 8 : 0);
    if (layout == PF_B) return 1 + body + (ne ? 2 + ne + (ne * wx + 7) / 8 : 0);
    return 1 + body + (ne ? 2 + ne * (1 + (wx + 7) / 8) : 0);
}

static uint64_t pfor_best(const uint32_t *v, size_t n, int layout, uint32_t *best_b, uint32_t *best_ne) {
    uint32_t wmax = vs_postings_width(v, n), ne;
    uint64_t best = 1 + (n == 128 ? 16u * wmax : (n * wmax + 7) / 8); /* no exceptions: as shipped */
    *best_b = wmax;
    *best_ne = 0;
    for (uint32_t b = 0; b < wmax && b <= 30; b++) {
        uint64_t c = pfor_cost(v, n, b, wmax, layout, &ne);
        if (ne < 128 && c < best) {
            best = c;
            *best_b = b;
            *best_ne = ne;
        }
    }
    return best;
}

/* one full block of gaps in layout PF_C, as the experiment stores it: [b][count] then, with
 * exceptions, [high bytes k][count positions][count high parts of k bytes], then 16*b bytes
 * 4-lane packed (the count byte is always there: 1 byte more than PF_C counts, when 0) */
static size_t pfor_encode(const uint32_t *g, uint8_t *p, int exceptions) {
    uint32_t b, ne, wmax = vs_postings_width(g, 128);
    pfor_best(g, 128, PF_C, &b, &ne);
    if (!exceptions) b = wmax, ne = 0;
    uint32_t k = (wmax - b + 7) / 8;
    p[0] = (uint8_t)b;
    p[1] = (uint8_t)ne;
    size_t o = 2;
    if (ne) {
        p[o++] = (uint8_t)k;
        uint8_t *pos = p + o, *hi = p + o + ne;
        uint32_t j = 0;
        for (uint32_t i = 0; i < 128; i++)
            if (g[i] >> b) {
                pos[j] = (uint8_t)i;
                for (uint32_t x = 0; x < k; x++) hi[j * k + x] = (uint8_t)((g[i] >> b) >> (8 * x));
                j++;
            }
        o += ne * (1 + k);
    }
    uint32_t lowv[128];
    for (int i = 0; i < 128; i++) lowv[i] = b == 32 ? g[i] : g[i] & ((1u << b) - 1);
    vs_postings_pack128(lowv, b, p + o);
    return o + 16 * b;
}

static void prefix_sse2(uint32_t *d, uint32_t base) {
    __m128i carry = _mm_set1_epi32((int)(base - 1)), one = _mm_set1_epi32(1);
    for (int s = 0; s < 32; s++) {
        __m128i v = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(const void *)(d + 4 * s)), one);
        v = _mm_add_epi32(v, _mm_slli_si128(v, 4));
        v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
        v = _mm_add_epi32(v, carry);
        carry = _mm_shuffle_epi32(v, 0xFF);
        _mm_storeu_si128((__m128i *)(void *)(d + 4 * s), v);
    }
}

__attribute__((target("avx2"))) static void prefix_avx2(uint32_t *d, uint32_t base) {
    __m256i carry = _mm256_set1_epi32((int)(base - 1)), one = _mm256_set1_epi32(1), last = _mm256_set1_epi32(7);
    for (int s = 0; s < 16; s++) {
        __m256i v = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(d + 8 * s)), one);
        v = _mm256_add_epi32(v, _mm256_slli_si256(v, 4));
        v = _mm256_add_epi32(v, _mm256_slli_si256(v, 8));
        __m256i l3 = _mm256_shuffle_epi32(v, 0xFF);
        v = _mm256_add_epi32(v, _mm256_permute2x128_si256(l3, l3, 0x08));
        v = _mm256_add_epi32(v, carry);
        carry = _mm256_permutevar8x32_epi32(v, last);
        _mm256_storeu_si256((__m256i *)(void *)(d + 8 * s), v);
    }
}

static size_t pfor_decode(const uint8_t *p, uint32_t base, uint32_t *d, int level) {
    uint32_t b = p[0], ne = p[1], k = ne ? p[2] : 0;
    size_t o = ne ? 3 + ne * (1 + (size_t)k) : 2;
    if (ne == 0 && level != VS_SIMD_SCALAR) { /* no exceptions: the fused kernel */
        vs_postings_unpack128_docs_simd(p + 2, b, base, d);
        return 2 + 16 * b;
    }
    if (b == 0) memset(d, 0, 128 * sizeof *d);
    else if (!vs_postings_unpack128_simd(p + o, b, d)) vs_postings_unpack128(p + o, b, d);
    const uint8_t *pos = p + 3, *hi = p + 3 + ne;
    switch (k) {
    case 1: for (uint32_t j = 0; j < ne; j++) d[pos[j]] |= (uint32_t)hi[j] << b; break;
    case 2: for (uint32_t j = 0; j < ne; j++) d[pos[j]] |= (uint32_t)vs_le_get16(hi + 2 * j) << b; break;
    default:
        for (uint32_t j = 0; j < ne; j++) {
            uint32_t v = 0;
            for (uint32_t x = 0; x < k; x++) v |= (uint32_t)hi[j * k + x] << (8 * x);
            d[pos[j]] |= v << b;
        }
    }
    if (level == VS_SIMD_AVX2) prefix_avx2(d, base);
    else if (level == VS_SIMD_SSE2) prefix_sse2(d, base);
    else {
        uint32_t cur = base;
        for (int j = 0; j < 128; j++) {
            cur += d[j];
            d[j] = cur++;
        }
    }
    return o + 16 * b;
}

/* bits per docid gap of the full blocks of L with the exception layout (the best b per block) */
static double pfor_full_gap_bits(const lists *L) {
    uint32_t g[128], t[128], b, ne;
    uint64_t bytes = 0, n = 0;
    for (size_t li = 0; li < L->n; li++) {
        uint32_t prev = 0;
        int have_prev = 0;
        for (uint64_t i = L->lo[li]; i + 128 <= L->lo[li + 1]; i += 128) {
            gaps_of(L->docs + i, L->tfs + i, 128, have_prev, prev, g, t);
            bytes += pfor_best(g, 128, PF_B, &b, &ne);
            n += 128;
            prev = L->docs[i + 127];
            have_prev = 1;
        }
    }
    return n ? 8.0 * (double)bytes / (double)n : 0;
}

/* bits of binary interpolative coding of the sorted ids x[0..n) known to lie in [lo, hi] */
static uint64_t bic_bits(const uint32_t *x, size_t n, uint64_t lo, uint64_t hi) {
    if (n == 0) return 0;
    size_t m = n / 2;
    uint64_t a = lo + m, z = hi - (n - 1 - m), size = z - a + 1, bits = 0;
    while ((1ull << bits) < size) bits++;
    return bits + bic_bits(x, m, lo, (uint64_t)x[m] - 1) + bic_bits(x + m + 1, n - 1 - m, (uint64_t)x[m] + 1, hi);
}

static void pfor_experiment(const lists *all, size_t nseg, const enc *e, const char *label) {
    uint32_t g[128], t[128], b, ne;
    uint64_t gap_now = 0, gap_pf[3] = { 0 }, tf_now = 0, tf_pfor = 0, nfull = 0, exc = 0, blocks_exc = 0;
    uint64_t tgap_now = 0, tgap_pfor = 0, ntail = 0, tbic = 0, tbic_self = 0;
    for (size_t si = 0; si < nseg; si++) {
        const lists *L = &all[si];
        if (L->n_passages == 0) continue;
        for (size_t li = 0; li < L->n; li++) {
            int have_prev = 0;
            uint32_t prev = 0;
            for (uint64_t i = L->lo[li]; i < L->lo[li + 1]; i += 128) {
                size_t n = L->lo[li + 1] - i < 128 ? (size_t)(L->lo[li + 1] - i) : 128;
                gaps_of(L->docs + i, L->tfs + i, n, have_prev, prev, g, t);
                uint32_t wd = vs_postings_width(g, n), wt = vs_postings_width(t, n);
                if (n == 128) {
                    gap_now += 1 + 16u * wd;
                    for (int l = PF_A; l <= PF_C; l++) gap_pf[l] += pfor_best(g, n, l, &b, &ne);
                    pfor_best(g, n, PF_C, &b, &ne);
                    exc += ne;
                    blocks_exc += ne > 0;
                    tf_now += 16u * wt;
                    tf_pfor += pfor_best(t, n, PF_B, &b, &ne) - 1; /* the header byte counts for the gaps */
                    nfull += 128;
                } else {
                    tgap_now += 8 + n * wd; /* bits */
                    tgap_pfor += 8 * pfor_best(g, n, PF_B, &b, &ne);
                    uint64_t lo = have_prev ? (uint64_t)prev + 1 : 0, last = L->docs[i + n - 1];
                    tbic += 8 + bic_bits(L->docs + i, n, lo, L->n_passages - 1); /* + the tf-width byte */
                    /* self-contained: the width byte, the last id - lo at that width, the others
                     * interpolated in [lo, last - 1] */
                    uint32_t wl = 0;
                    while (wl < 32 && (last - lo) >> wl) wl++;
                    tbic_self += 8 + wl + (n > 1 ? bic_bits(L->docs + i, n - 1, lo, last - 1) : 0);
                    ntail += n;
                }
                prev = L->docs[i + n - 1];
                have_prev = 1;
            }
        }
    }
    double nb = (double)nfull / 128;
    printf("codec_pfor input=%s full_blocks: bits_per_docid_gap=%.2f with_exceptions: A=%.2f B=%.2f C=%.2f "
           "(B %.1f%% smaller; C: %.2f exceptions per block, %.0f%% of blocks with any); bits_per_tf=%.2f "
           "with_exceptions(B)=%.2f; tails: bits_per_docid_gap=%.2f with_exceptions(B)=%.2f "
           "interpolative=%.2f (header byte, ids in [prev + 1, n_passages - 1]) interpolative_self=%.2f "
           "(header byte, last id, the others in [prev + 1, last - 1])\n",
           label, 8.0 * (double)gap_now / (double)nfull, 8.0 * (double)gap_pf[PF_A] / (double)nfull,
           8.0 * (double)gap_pf[PF_B] / (double)nfull, 8.0 * (double)gap_pf[PF_C] / (double)nfull,
           100.0 * (1.0 - (double)gap_pf[PF_B] / (double)gap_now), (double)exc / nb, 100.0 * (double)blocks_exc / nb,
           8.0 * (double)tf_now / (double)nfull, 8.0 * (double)tf_pfor / (double)nfull,
           ntail ? (double)tgap_now / (double)ntail : 0.0, ntail ? (double)tgap_pfor / (double)ntail : 0.0,
           ntail ? (double)tbic / (double)ntail : 0.0, ntail ? (double)tbic_self / (double)ntail : 0.0);
    /* decode speed of the exception layout (full blocks, docids only), against the same blocks
     * without exceptions laid out the same way (contiguous full blocks, the fused kernel) */
    for (int exc_on = 0; exc_on < 2; exc_on++) {
    vs_buf pb = VS_BUF_INIT;
    size_t nf = 0;
    uint32_t *offs = xrealloc(NULL, e->nb * sizeof *offs), *bases = xrealloc(NULL, e->nb * sizeof *bases);
    for (size_t i = 0; i < e->nb; i++) {
        const blk *bk = &e->b[i];
        if (bk->n != 128) continue;
        uint32_t d[128], tt[128];
        if (!vs_postings_decode_block(e->out.p + bk->off, e->out.p + e->out.len, 128, (int)bk->have_prev, bk->prev, d, tt))
            exit(70);
        uint32_t base = bk->have_prev ? bk->prev + 1 : 0;
        gaps_of(d, tt, 128, bk->have_prev, bk->prev, g, t);
        if (vs_buf_reserve(&pb, 3 + 128 * 5 + 512) != VS_OK) exit(70);
        offs[nf] = (uint32_t)pb.len;
        bases[nf++] = base;
        pb.len += pfor_encode(g, pb.p + pb.len, exc_on);
        uint32_t back[128];
        pfor_decode(pb.p + offs[nf - 1], base, back, VS_SIMD_SCALAR);
        if (memcmp(back, d, sizeof d) != 0) {
            fprintf(stderr, "codec_bench: PFor experiment does not round-trip\n");
            exit(70);
        }
    }
    for (int l = vs_postings_simd_max(); l >= 0; l--) {
        vs_postings_simd_set(l);
        double best = 1e9;
        uint64_t sum = 0;
        for (int rep = 0; rep < REPS; rep++) {
            uint32_t d[128];
            double t0 = now();
            for (size_t i = 0; i < nf; i++) {
                pfor_decode(pb.p + offs[i], bases[i], d, l);
                sum += d[127];
            }
            double dt = now() - t0;
            if (dt < best) best = dt;
        }
        printf("codec_pfor_docids input=%s path=%s %s docids=%zu bytes=%zu best=%.3f ns/docid %.2f G docids/s "
               "(checksum %" PRIu64 ")\n",
               label, vs_postings_simd_name(l), exc_on ? "exceptions(C: unpack at b, patch, prefix sum)"
                                                       : "no_exceptions(fused kernel)",
               nf * 128, pb.len, best * 1e9 / (double)(nf * 128), (double)(nf * 128) / best / 1e9, sum % 1000);
    }
    free(offs);
    free(bases);
    vs_buf_free(&pb);
    }
    vs_postings_simd_set(vs_postings_simd_max());
}

/* ---- docid reordering experiment ---- */

typedef struct fwd {
    uint32_t n_docs;
    uint32_t *pdoc;               /* passage -> document */
    uint32_t *dstart;             /* document -> first passage; dstart[n_docs] = n_passages */
    uint64_t *tlo;                /* document -> its terms: terms[tlo[d] .. tlo[d+1]) */
    uint32_t *terms;
    uint32_t n_terms;
} fwd;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    return x;
}

typedef struct keyed {
    uint64_t k[4];
    uint32_t doc;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    for (int i = 0; i < 4; i++)
        if (x->k[i] != y->k[i]) return x->k[i] < y->k[i] ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* MinHash sort: documents ordered by (min hash 1, min hash 2, ...) of their terms with df >= 2 */
static void order_minhash(const fwd *F, const uint32_t *tdf, uint32_t *order) {
    keyed *K = xrealloc(NULL, F->n_docs * sizeof *K);
    for (uint32_t d = 0; d < F->n_docs; d++) {
        K[d].doc = d;
        for (int i = 0; i < 4; i++) {
            uint64_t m = UINT64_MAX;
            for (uint64_t j = F->tlo[d]; j < F->tlo[d + 1]; j++)
                if (tdf[F->terms[j]] >= 2) {
                    uint64_t h = mix64(F->terms[j] * 0x9E3779B97F4A7C15ull + (uint64_t)i * 0x632BE59BD9B4E019ull);
                    if (h < m) m = h;
                }
            K[d].k[i] = m;
        }
    }
    qsort(K, F->n_docs, sizeof *K, cmp_keyed);
    for (uint32_t i = 0; i < F->n_docs; i++) order[i] = K[i].doc;
    free(K);
}

/* Recursive graph bisection on documents: split the range in two halves, move documents
 * between them to lower the log-gap cost estimate sum over terms of
 * deg1*log(n1/(deg1+1)) + deg2*log(n2/(deg2+1)), 20 iterations per level, down to 16 docs. */
typedef struct bp {
    const fwd *F;
    uint32_t *deg1, *deg2, *stamp, cur;
    float *m12, *m21; /* per term: cost change when one of its documents moves 1 -> 2, 2 -> 1 */
    double *gain;
} bp;

static int cmp_gain_idx(const void *a, const void *b, void *ctx) {
    const double *g = ctx;
    double x = g[*(const uint32_t *)a], y = g[*(const uint32_t *)b];
    return x > y ? -1 : x < y ? 1 : (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* a term in a documents of side 1 (size n1) and b of side 2 costs a*log2(n1/(a+1)) + b*log2(n2/(b+1)) */
static double tcost(double a, double n1, double b, double n2) {
    return (a > 0 ? a * log2(n1 / (a + 1)) : 0) + (b > 0 ? b * log2(n2 / (b + 1)) : 0);
}

static void bp_rec(bp *B, uint32_t *docs, uint32_t n, int depth) {
    if (n <= 16 || depth > 40) return;
    const fwd *F = B->F;
    uint32_t h = n / 2;
    for (int it = 0; it < 20; it++) {
        B->cur++;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d = docs[i];
            for (uint64_t j = F->tlo[d]; j < F->tlo[d + 1]; j++) B->deg1[F->terms[j]] = B->deg2[F->terms[j]] = 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d = docs[i];
            for (uint64_t j = F->tlo[d]; j < F->tlo[d + 1]; j++) {
                if (i < h) B->deg1[F->terms[j]]++;
                else B->deg2[F->terms[j]]++;
            }
        }
        double n1 = h, n2 = n - h;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d = docs[i];
            double g = 0;
            for (uint64_t j = F->tlo[d]; j < F->tlo[d + 1]; j++) {
                uint32_t t = F->terms[j];
                if (B->stamp[t] != B->cur) {
                    double a = B->deg1[t], b = B->deg2[t], c = tcost(a, n1, b, n2);
                    B->m12[t] = a > 0 ? (float)(c - tcost(a - 1, n1, b + 1, n2)) : 0;
                    B->m21[t] = b > 0 ? (float)(c - tcost(a + 1, n1, b - 1, n2)) : 0;
                    B->stamp[t] = B->cur;
                }
                g += i < h ? B->m12[t] : B->m21[t];
            }
            B->gain[d] = g;
        }
        qsort_r(docs, h, sizeof *docs, cmp_gain_idx, B->gain);
        qsort_r(docs + h, n - h, sizeof *docs, cmp_gain_idx, B->gain);
        uint32_t swaps = 0;
        for (uint32_t i = 0; i < h && i < n - h; i++) {
            if (B->gain[docs[i]] + B->gain[docs[h + i]] <= 0) break;
            uint32_t t = docs[i];
            docs[i] = docs[h + i];
            docs[h + i] = t;
            swaps++;
        }
        if (!swaps) break;
    }
    bp_rec(B, docs, h, depth + 1);
    bp_rec(B, docs + h, n - h, depth + 1);
}

static void order_bp(const fwd *F, uint32_t *order) {
    bp B = { F, calloc(F->n_terms, 4), calloc(F->n_terms, 4), calloc(F->n_terms, 4), 0,
             calloc(F->n_terms, sizeof(float)), calloc(F->n_terms, sizeof(float)), calloc(F->n_docs, sizeof(double)) };
    for (uint32_t d = 0; d < F->n_docs; d++) order[d] = d;
    bp_rec(&B, order, F->n_docs, 0);
    free(B.deg1);
    free(B.deg2);
    free(B.stamp);
    free(B.m12);
    free(B.m21);
    free(B.gain);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* renumber passages by the document order, re-encode every list, report its sizes */
static void reorder_report(const lists *L, const fwd *F, const uint32_t *order, const char *label, const char *how,
                           sizes *out) {
    uint32_t *newid = xrealloc(NULL, (size_t)L->n_passages * sizeof *newid), next = 0;
    for (uint32_t i = 0; i < F->n_docs; i++)
        for (uint32_t p = F->dstart[order[i]]; p < F->dstart[order[i] + 1]; p++) newid[p] = next++;
    lists R = *L;
    R.docs = xrealloc(NULL, L->np * sizeof *R.docs);
    R.tfs = xrealloc(NULL, L->np * sizeof *R.tfs);
    uint64_t *tmp = xrealloc(NULL, 65536 * sizeof *tmp);
    size_t tcap = 65536;
    for (size_t li = 0; li < L->n; li++) {
        size_t n = L->lo[li + 1] - L->lo[li];
        if (n > tcap) tmp = xrealloc(tmp, (tcap = n) * sizeof *tmp);
        for (size_t k = 0; k < n; k++) /* tf < 2^32 rides in the low half */
            tmp[k] = (uint64_t)newid[L->docs[L->lo[li] + k]] << 32 | L->tfs[L->lo[li] + k];
        qsort(tmp, n, sizeof *tmp, cmp_u64);
        for (size_t k = 0; k < n; k++) {
            R.docs[L->lo[li] + k] = (uint32_t)(tmp[k] >> 32);
            R.tfs[L->lo[li] + k] = (uint32_t)tmp[k];
        }
    }
    /* log-gap cost (sum of log2(gap + 1) over gaps): what BP minimises; a bit-packed block pays
     * for its largest gap instead */
    double lgsum = 0;
    for (size_t li = 0; li < R.n; li++)
        for (uint64_t k = R.lo[li]; k < R.lo[li + 1]; k++)
            lgsum += log2((double)(R.docs[k] - (k > R.lo[li] ? R.docs[k - 1] : 0)) + 1);
    enc e = { 0 };
    encode_lists(&R, &e);
    *out = e.z;
    const sizes *z = &e.z;
    printf("codec_reorder input=%s order=%s bits_per_docid_gap_full=%.2f bits_per_docid_gap_all=%.2f "
           "bits_per_tf_full=%.2f bytes_per_posting=%.3f log2_gap=%.2f full_gap_bits_with_exceptions=%.2f\n",
           label, how, (double)z->gap_bits_full / (double)(z->post_full ? z->post_full : 1),
           (double)(z->gap_bits_full + z->gap_bits_tail) / (double)(z->post_full + z->post_tail),
           (double)z->tf_bits_full / (double)(z->post_full ? z->post_full : 1),
           (double)e.out.len / (double)(z->post_full + z->post_tail), lgsum / (double)L->np, pfor_full_gap_bits(&R));
    vs_buf_free(&e.out);
    free(e.b);
    free(tmp);
    free(R.docs);
    free(R.tfs);
    free(newid);
}

static void reorder_experiment(vs_segment *s, const lists *L, const char *label) {
    fwd F = { 0 };
    F.n_docs = vs_segment_get_meta(s)->n_docs;
    F.n_terms = (uint32_t)L->n;
    F.pdoc = xrealloc(NULL, (size_t)L->n_passages * sizeof *F.pdoc);
    F.dstart = xrealloc(NULL, ((size_t)F.n_docs + 1) * sizeof *F.dstart);
    vs_err err;
    for (uint32_t p = 0; p < L->n_passages; p++) {
        vs_passage_info pi;
        if (vs_segment_passage(s, p, &pi, &err) != VS_OK) exit(65);
        F.pdoc[p] = pi.doc;
    }
    for (uint32_t d = 0, p = 0; d <= F.n_docs; d++) {
        while (p < L->n_passages && F.pdoc[p] < d) p++;
        F.dstart[d] = p;
    }
    /* document -> terms (counting sort by document) */
    uint32_t *cnt = calloc((size_t)F.n_docs + 1, 4), *tdf = calloc(L->n, 4);
    for (size_t li = 0; li < L->n; li++) {
        uint32_t last = UINT32_MAX;
        for (uint64_t k = L->lo[li]; k < L->lo[li + 1]; k++) {
            uint32_t d = F.pdoc[L->docs[k]];
            if (d != last) { cnt[d]++; tdf[li]++; }
            last = d;
        }
    }
    F.tlo = xrealloc(NULL, ((size_t)F.n_docs + 1) * sizeof *F.tlo);
    uint64_t acc = 0;
    for (uint32_t d = 0; d < F.n_docs; d++) { F.tlo[d] = acc; acc += cnt[d]; cnt[d] = 0; }
    F.tlo[F.n_docs] = acc;
    F.terms = xrealloc(NULL, acc * sizeof *F.terms);
    for (size_t li = 0; li < L->n; li++) {
        uint32_t last = UINT32_MAX;
        for (uint64_t k = L->lo[li]; k < L->lo[li + 1]; k++) {
            uint32_t d = F.pdoc[L->docs[k]];
            if (d != last) F.terms[F.tlo[d] + cnt[d]++] = (uint32_t)li;
            last = d;
        }
    }
    uint32_t *order = xrealloc(NULL, (size_t)F.n_docs * sizeof *order);
    sizes z;
    for (uint32_t d = 0; d < F.n_docs; d++) order[d] = d;
    reorder_report(L, &F, order, label, "original", &z);
    uint64_t rs = 42;
    for (uint32_t d = F.n_docs; d > 1; d--) { /* a random order: what the original order is worth */
        rs = mix64(rs + d);
        uint32_t j = (uint32_t)(rs % d), t = order[d - 1];
        order[d - 1] = order[j];
        order[j] = t;
    }
    reorder_report(L, &F, order, label, "random", &z);
    order_minhash(&F, tdf, order);
    reorder_report(L, &F, order, label, "minhash4", &z);
    double t0 = now();
    order_bp(&F, order);
    double t = now() - t0;
    char how[64];
    snprintf(how, sizeof how, "bp(%.1fs)", t);
    reorder_report(L, &F, order, label, how, &z);
    free(order);
    free(cnt);
    free(tdf);
    free(F.pdoc);
    free(F.dstart);
    free(F.tlo);
    free(F.terms);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: codec_bench INDEX_DIR [label] [--no-reorder]\n");
        return 64;
    }
    vs_index *ix;
    vs_err err;
    if (vs_index_open(argv[1], &ix, &err) != VS_OK) {
        fprintf(stderr, "codec_bench: %s\n", err.msg);
        return 66;
    }
    const char *label = argc > 2 ? argv[2] : argv[1];
    int reorder = !(argc > 3 && strcmp(argv[3], "--no-reorder") == 0);
    static lists all[64];
    static enc e;
    size_t nseg = ix->n_seg < 64 ? ix->n_seg : 64;
    for (size_t s = 0; s < nseg; s++) {
        rd r = { ix->seg[s], &all[s] };
        all[s].n_passages = vs_segment_get_meta(ix->seg[s])->n_passages;
        if (vs_segment_terms(ix->seg[s], on_term, &r, &err) != VS_OK) {
            fprintf(stderr, "codec_bench: %s\n", err.msg);
            return 65;
        }
        encode_lists(&all[s], &e);
    }
    const sizes *z = &e.z;
    uint64_t np = z->post_full + z->post_tail;
    printf("codec_size input=%s postings=%" PRIu64 " full_block_postings=%" PRIu64 " (%.1f%%) "
           "bits_per_docid_gap: full=%.2f tail=%.2f all=%.2f; bits_per_tf: full=%.2f tail=%.2f all=%.2f; "
           "tail_bytes_per_posting=%.2f bytes_per_posting=%.3f (blocks only)\n",
           label, np, z->post_full, 100.0 * (double)z->post_full / (double)np,
           (double)z->gap_bits_full / (double)z->post_full, (double)z->gap_bits_tail / (double)z->post_tail,
           (double)(z->gap_bits_full + z->gap_bits_tail) / (double)np, (double)z->tf_bits_full / (double)z->post_full,
           (double)z->tf_bits_tail / (double)z->post_tail, (double)(z->tf_bits_full + z->tf_bits_tail) / (double)np,
           (double)(z->gap_bits_tail + z->tf_bits_tail) / 8.0 / (double)z->post_tail, (double)e.out.len / (double)np);
    /* format 1: the same packing of full blocks with 2 width bytes (the second counts for the
     * tfs), tails as varints */
    uint64_t v1_tf_bits_full = z->v1_full_bytes * 8 - z->gap_bits_full;
    uint64_t v1_tf_bits_tail = (z->v1_tail_bytes - z->v1_gap_bytes_tail) * 8;
    printf("codec_size_format1 input=%s (2 width bytes per full block, varint tails, same lists) "
           "bits_per_docid_gap: full=%.2f tail=%.2f all=%.2f; bits_per_tf: full=%.2f tail=%.2f all=%.2f; "
           "tail_bytes_per_posting=%.2f bytes_per_posting=%.3f\n",
           label, (double)z->gap_bits_full / (double)z->post_full, 8.0 * (double)z->v1_gap_bytes_tail / (double)z->post_tail,
           (double)(z->gap_bits_full + 8 * z->v1_gap_bytes_tail) / (double)np,
           (double)v1_tf_bits_full / (double)z->post_full, (double)v1_tf_bits_tail / (double)z->post_tail,
           (double)(v1_tf_bits_full + v1_tf_bits_tail) / (double)np, (double)z->v1_tail_bytes / (double)z->post_tail,
           (double)(z->v1_full_bytes + z->v1_tail_bytes) / (double)np);
    /* decode speed, every level */
    for (int l = vs_postings_simd_max(); l >= 0; l--) {
        vs_postings_simd_set(l);
        double bd = 1e9, ba = 1e9, bf = 1e9, bt = 1e9;
        uint64_t chk = 0, nd = 0, na = 0, nf = 0, nt = 0;
        for (int rep = 0; rep < REPS; rep++) {
            double t = pass_docids(&e, &chk, &nd);
            if (t < bd) bd = t;
            if ((t = pass(&e, 2, &chk, &na)) < ba) ba = t;
            if ((t = pass(&e, 1, &chk, &nf)) < bf) bf = t;
            if ((t = pass(&e, 0, &chk, &nt)) < bt) bt = t;
        }
        printf("codec_docids input=%s path=%s docids=%" PRIu64 " best=%.3f ns/docid %.2f G docids/s\n", label,
               vs_postings_simd_name(l), nd, bd * 1e9 / (double)nd, (double)nd / bd / 1e9);
        printf("codec_decode input=%s path=%s postings=%" PRIu64 " all=%.3f ns/posting (%.0f M/s) full_blocks=%.3f "
               "ns/posting (%.0f M/s) tails=%.3f ns/posting (%.0f M/s) (docids + tfs; checksum %" PRIu64 ")\n",
               label, vs_postings_simd_name(l), na, ba * 1e9 / (double)na, (double)na / ba / 1e6,
               bf * 1e9 / (double)nf, (double)nf / bf / 1e6, bt * 1e9 / (double)nt, (double)nt / bt / 1e6, chk % 1000);
    }
    vs_postings_simd_set(vs_postings_simd_max());
    pfor_experiment(all, nseg, &e, label);
    if (reorder)
        for (size_t s = 0; s < nseg; s++) reorder_experiment(ix->seg[s], &all[s], label);
    for (size_t s = 0; s < nseg; s++) {
        free(all[s].docs);
        free(all[s].tfs);
        free(all[s].lo);
    }
    vs_buf_free(&e.out);
    free(e.b);
    vs_index_close(ix);
    return 0;
}
