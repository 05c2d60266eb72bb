/* fuzz_postings.c: the postings block codec (index/postings.h).
 *
 * Input byte 0, mode (bit 0):
 *   0  decode: the rest is a block. Byte 1 gives n (1..128: half the inputs full packed blocks),
 *      byte 2 have_prev, bytes 3-6 prev. vs_postings_decode_block must stay inside [p, end) (the
 *      block sits in an exact-size buffer, so ASan sees any over-read); on success the docids
 *      strictly increase from prev + 1, tfs are >= 1, the bytes consumed are <= the bytes given,
 *      every decoder level (scalar, SSE2, AVX2: those the CPU has) gives the same result, and
 *      re-encoding the values gives a block no longer than the one read that decodes to the
 *      same values.
 *   1  round trip: the rest gives n, prev and n (gap, tf) pairs (gaps and tfs of random widths).
 *      encode -> decode must give the values back and consume exactly the encoded bytes, and
 *      decoding any strict prefix of the encoded block must fail (return 0) without reading
 *      past it. Also pack128/unpack128 at every width of the input's values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "postings.h"

static size_t decode_exact(const uint8_t *blk, size_t len, size_t n, int have_prev, uint32_t prev,
                           uint32_t *docs, uint32_t *tfs) {
    uint8_t *b = malloc(len ? len : 1);
    if (!b) abort();
    memcpy(b, blk, len);
    size_t k = vs_postings_decode_block(b, b + len, n, have_prev, prev, docs, tfs);
    free(b);
    return k;
}

static void check_values(const uint32_t *docs, const uint32_t *tfs, size_t n, int have_prev, uint32_t prev) {
    for (size_t i = 0; i < n; i++) {
        FZ_CHECK(tfs[i] >= 1, "tf 0 decoded");
        if (i > 0) FZ_CHECK(docs[i] > docs[i - 1], "docids do not increase");
        else if (have_prev) FZ_CHECK(docs[0] > prev, "first docid not after prev");
    }
}

static void mode_decode(fz_in *in) {
    uint8_t nb = fz_u8(in);
    size_t n = (nb & 0x80) ? VS_BLOCK_DOCS : (size_t)(nb % VS_BLOCK_DOCS) + 1;
    int have_prev = fz_u8(in) & 1;
    uint32_t prev = fz_u32(in);
    uint32_t docs[VS_BLOCK_DOCS], tfs[VS_BLOCK_DOCS], d2[VS_BLOCK_DOCS], t2[VS_BLOCK_DOCS];
    int top = vs_postings_simd_max();
    vs_postings_simd_set(top);
    size_t k = decode_exact(in->p, in->n, n, have_prev, prev, docs, tfs);
    for (int l = 0; l < top; l++) {
        vs_postings_simd_set(l);
        size_t k2 = decode_exact(in->p, in->n, n, have_prev, prev, d2, t2);
        FZ_CHECK(k2 == k, "decoder levels disagree on the block's length");
        FZ_CHECK(!k || (memcmp(docs, d2, n * 4) == 0 && memcmp(tfs, t2, n * 4) == 0), "decoder levels disagree");
    }
    vs_postings_simd_set(top);
    if (k == 0) return;
    FZ_CHECK(k <= in->n, "decoder consumed more than it was given");
    check_values(docs, tfs, n, have_prev, prev);
    vs_buf out = VS_BUF_INIT;
    FZ_CHECK(vs_postings_encode_block(docs, tfs, n, have_prev, prev, &out) == VS_OK, "re-encode");
    FZ_CHECK(out.len <= k, "re-encoded block is longer than the one read");
    FZ_CHECK(decode_exact(out.p, out.len, n, have_prev, prev, d2, t2) == out.len, "decode the re-encoded block");
    FZ_CHECK(memcmp(docs, d2, n * 4) == 0 && memcmp(tfs, t2, n * 4) == 0, "re-encoded block differs");
    vs_buf_free(&out);
}

static uint32_t rand_width(fz_in *in) {
    uint8_t w = fz_u8(in) % 33;
    uint32_t v = fz_u32(in);
    return w == 32 ? v : (v & ((1u << w) - 1));
}

static void mode_roundtrip(fz_in *in) {
    uint8_t nb = fz_u8(in);
    size_t n = (nb & 0x80) ? VS_BLOCK_DOCS : (size_t)(nb % VS_BLOCK_DOCS) + 1;
    int have_prev = fz_u8(in) & 1;
    uint32_t prev = have_prev ? rand_width(in) : 0;
    uint32_t docs[VS_BLOCK_DOCS], tfs[VS_BLOCK_DOCS], d2[VS_BLOCK_DOCS], t2[VS_BLOCK_DOCS];
    uint64_t cur = have_prev ? (uint64_t)prev + 1 : 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t gap = rand_width(in);
        if (cur + gap > UINT32_MAX) gap = 0;
        if (cur > UINT32_MAX) return; /* no room for n postings after prev */
        cur += gap;
        docs[i] = (uint32_t)cur;
        cur++;
        uint32_t tf = rand_width(in);
        tfs[i] = tf ? tf : 1;
        if (tfs[i] == UINT32_MAX) tfs[i] = UINT32_MAX - 1; /* tf - 1 must stay below UINT32_MAX for tails */
    }
    vs_buf out = VS_BUF_INIT;
    FZ_CHECK(vs_postings_encode_block(docs, tfs, n, have_prev, prev, &out) == VS_OK, "encode");
    FZ_CHECK(out.len <= VS_BLOCK_MAX_BYTES || n < VS_BLOCK_DOCS, "full block larger than VS_BLOCK_MAX_BYTES");
    FZ_CHECK(decode_exact(out.p, out.len, n, have_prev, prev, d2, t2) == out.len, "decode what was encoded");
    FZ_CHECK(memcmp(docs, d2, n * 4) == 0, "docids round trip");
    FZ_CHECK(memcmp(tfs, t2, n * 4) == 0, "tfs round trip");
    for (size_t cut = 0; cut < out.len; cut += 1 + cut / 8)
        FZ_CHECK(decode_exact(out.p, cut, n, have_prev, prev, d2, t2) == 0, "a truncated block decodes");
    vs_buf_free(&out);
    /* pack128 / unpack128 at the width of the tfs (and every width above it up to +2) */
    uint32_t vals[VS_BLOCK_DOCS], back[VS_BLOCK_DOCS];
    for (size_t i = 0; i < VS_BLOCK_DOCS; i++) vals[i] = tfs[i % n];
    uint32_t w = vs_postings_width(vals, VS_BLOCK_DOCS);
    for (uint32_t x = w; x <= 32 && x <= w + 2; x++) {
        uint8_t *buf = malloc(16 * (size_t)x + 1); /* +1: misaligned start */
        if (!buf) abort();
        vs_postings_pack128(vals, x, buf + 1);
        vs_postings_unpack128(buf + 1, x, back);
        FZ_CHECK(memcmp(vals, back, sizeof vals) == 0, "pack128/unpack128 round trip");
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    if (fz_u8(&in) & 1) mode_roundtrip(&in);
    else mode_decode(&in);
    return 0;
}
