/* codec_bench.c: decode speed and size of the postings block codec on real lists.
 * Usage: codec_bench INDEX_DIR [label]
 * Reads every postings list of the index (through the reader), re-encodes them into one
 * buffer with the same codec, then times decoding every block to absolute docids + tfs, best of
 * 10 passes, with the scalar path and with the vector path. Reports integers/s (docids
 * decoded per second, unpacking plus prefix sum), ns per posting, and bits per docid gap / per
 * tf (full blocks and tails counted separately). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ixread.h"
#include "plist.h"
#include "postings.h"

typedef struct blk {
    uint32_t off, n, have_prev, prev;
} blk;

typedef struct acc {
    vs_segment *s;
    vs_buf out;
    blk *b;
    size_t nb, cap;
    uint64_t postings, full_postings, doc_bytes_full, tf_bytes_full, tail_bytes;
    uint32_t docs[1 << 16], tfs[1 << 16];
} acc;

static int on_term(void *ctx, const char *term, size_t len, const vs_term_info *ti) {
    (void)term; (void)len;
    acc *a = ctx;
    vs_plist pl;
    if (vs_plist_open(&pl, a->s, ti) != VS_OK) return 1;
    uint32_t n = 0, prev = 0;
    int have_prev = 0;
    for (uint32_t d = pl.doc; d != VS_PLIST_END; d = vs_plist_next(&pl)) {
        a->docs[n] = d;
        a->tfs[n] = vs_plist_tf(&pl);
        if (++n == 128 || pl.i + 1 == pl.n) {
            if (a->nb == a->cap) {
                a->cap = a->cap ? a->cap * 2 : 4096;
                a->b = realloc(a->b, a->cap * sizeof *a->b);
            }
            size_t before = a->out.len;
            if (vs_postings_encode_block(a->docs, a->tfs, n, have_prev, prev, &a->out) != VS_OK) return 1;
            a->b[a->nb++] = (blk){ (uint32_t)before, n, (uint32_t)have_prev, prev };
            if (n == 128) {
                a->full_postings += 128;
                a->doc_bytes_full += 1 + 16u * a->out.p[before];
                a->tf_bytes_full += 1 + 16u * a->out.p[before + 1];
            } else {
                a->tail_bytes += a->out.len - before;
            }
            a->postings += n;
            prev = a->docs[n - 1];
            have_prev = 1;
            n = 0;
        }
    }
    return 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double pass(acc *a, uint64_t *check) {
    uint32_t d[128], t[128];
    double t0 = now();
    uint64_t sum = 0;
    for (size_t i = 0; i < a->nb; i++) {
        const blk *b = &a->b[i];
        vs_postings_decode_block(a->out.p + b->off, a->out.p + a->out.len, b->n, (int)b->have_prev, b->prev, d, t);
        sum += d[b->n - 1] + t[0];
    }
    *check = sum;
    return now() - t0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: codec_bench INDEX_DIR [label]\n");
        return 64;
    }
    vs_index *ix;
    vs_err err;
    if (vs_index_open(argv[1], &ix, &err) != VS_OK) {
        fprintf(stderr, "codec_bench: %s\n", err.msg);
        return 66;
    }
    static acc a;
    for (size_t s = 0; s < ix->n_seg; s++) {
        a.s = ix->seg[s];
        if (vs_segment_terms(ix->seg[s], on_term, &a, &err) != VS_OK) {
            fprintf(stderr, "codec_bench: %s\n", err.msg);
            return 65;
        }
    }
    const char *label = argc > 2 ? argv[2] : argv[1];
    /* docids alone (unpack + prefix sum), full blocks: the figure the fast-queries issue targets */
    {
        uint32_t d[128];
        double best = 1e9;
        uint64_t sum = 0, n = 0;
        for (int rep = 0; rep < 10; rep++) {
            double t0 = now();
            n = 0;
            for (size_t i = 0; i < a.nb; i++) {
                const blk *b = &a.b[i];
                if (b->n != 128) continue;
                const uint8_t *p = a.out.p + b->off;
                vs_postings_unpack128_docs_simd(p + 2, p[0], b->have_prev ? b->prev + 1 : 0, d);
                sum += d[127];
                n += 128;
            }
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("codec_docids input=%s path=sse2 docids=%" PRIu64 " best=%.3f ns/docid %.2f G docids/s (checksum %" PRIu64 ")\n",
               label, n, best * 1e9 / (double)n, (double)n / best / 1e9, sum % 1000);
    }
    for (int simd = 0; simd < 2; simd++) {
        vs_postings_simd_set(simd);
        double best = 1e9, best_full = 1e9;
        uint64_t c1 = 0;
        for (int rep = 0; rep < 10; rep++) {
            double t = pass(&a, &c1);
            if (t < best) best = t;
        }
        /* full blocks alone: the part the vector path accelerates */
        acc full = a;
        blk *fb = malloc(a.nb * sizeof *fb);
        size_t nf = 0;
        for (size_t i = 0; i < a.nb; i++)
            if (a.b[i].n == 128) fb[nf++] = a.b[i];
        full.b = fb;
        full.nb = nf;
        for (int rep = 0; rep < 10; rep++) {
            double t = pass(&full, &c1);
            if (t < best_full) best_full = t;
        }
        free(fb);
        printf("codec_decode input=%s path=%s postings=%" PRIu64 " best=%.3f ns/posting all=%.2f Mints/s "
               "full_blocks=%.2f Mints/s (%.3f ns/posting)\n",
               label, simd && vs_postings_simd() ? "sse2" : "scalar", a.postings, best * 1e9 / (double)a.postings,
               (double)a.postings / best / 1e6, (double)a.full_postings / best_full / 1e6,
               best_full * 1e9 / (double)(a.full_postings ? a.full_postings : 1));
    }
    /* What a PFor-style exception scheme would save on the docid gaps of full blocks: per block,
     * the width b minimising 16*b bytes + 1 count byte + per exception (1 position byte + the
     * varint of its high bits value >> b). Measured on the same blocks, not implemented. */
    {
        uint64_t bytes_now = 0, bytes_pfor = 0, n = 0;
        uint32_t g[128];
        for (size_t i = 0; i < a.nb; i++) {
            const blk *b = &a.b[i];
            if (b->n != 128) continue;
            const uint8_t *p = a.out.p + b->off;
            uint32_t w = p[0];
            vs_postings_unpack128(p + 2, w, g);
            bytes_now += 1 + 16u * w;
            uint64_t best = 1 + 16u * w;
            for (uint32_t bw = 0; bw < w; bw++) {
                uint64_t cost = 2 + 16u * bw;
                for (int k = 0; k < 128; k++) {
                    uint32_t hi = bw == 32 ? 0 : g[k] >> bw;
                    if (hi) cost += 1 + (hi < 128 ? 1 : hi < 16384 ? 2 : hi < 2097152 ? 3 : 4);
                }
                if (cost < best) best = cost;
            }
            bytes_pfor += best;
            n += 128;
        }
        printf("codec_pfor_estimate input=%s bits_per_docid_gap_now=%.2f with_pfor_exceptions=%.2f (%.1f%% smaller)\n",
               label, n ? 8.0 * (double)bytes_now / (double)n : 0.0, n ? 8.0 * (double)bytes_pfor / (double)n : 0.0,
               bytes_now ? 100.0 * (1.0 - (double)bytes_pfor / (double)bytes_now) : 0.0);
    }
    printf("codec_size input=%s postings=%" PRIu64 " full_block_postings=%" PRIu64
           " bits_per_docid_gap_full=%.2f bits_per_tf_full=%.2f tail_bytes_per_posting=%.2f total_bits_per_posting=%.2f\n",
           label, a.postings, a.full_postings,
           a.full_postings ? 8.0 * (double)a.doc_bytes_full / (double)a.full_postings : 0.0,
           a.full_postings ? 8.0 * (double)a.tf_bytes_full / (double)a.full_postings : 0.0,
           a.postings > a.full_postings ? (double)a.tail_bytes / (double)(a.postings - a.full_postings) : 0.0,
           8.0 * (double)a.out.len / (double)a.postings);
    vs_index_close(ix);
    return 0;
}
