/* postings.h: the block codec for postings lists (layout: index/FORMAT.md, "postings").
 *
 * A list is cut into blocks of VS_BLOCK_DOCS postings. A full block stores 128 docid gaps
 * (docid - previous docid - 1) and 128 (tf - 1) values, each bit-packed at the smallest width
 * that holds its largest value, in the 4-lane interleaved layout that SSE/AVX2 unpack directly:
 * value i sits in lane i % 4 at slot i / 4; each lane's 32 slots fill `w` 32-bit words, LSB
 * first, and word j of lane l is stored at byte (4 * j + l) * 4. A full block is therefore
 *   u8 w_doc, u8 w_tf, 16 * w_doc bytes, 16 * w_tf bytes.
 * The last block of a list (fewer than 128 postings) stores n gap varints then n (tf-1) varints.
 * Decoders are bounds-checked: they never read past `end` and return 0 on malformed input. */
#ifndef VS_POSTINGS_H
#define VS_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VS_BLOCK_DOCS 128
/* 128 values at width w <= 32 take 128 * w / 8 = 16 * w bytes: at most 512 per stream, so a full
 * block is at most 2 + 2 * 512 bytes; a tail block of 127 postings is at most 127 * 2 * 5 bytes. */
#define VS_BLOCK_MAX_BYTES (2 + 2 * 16 * 32)

/* Bits needed for the largest of in[0..n). */
uint32_t vs_postings_width(const uint32_t *in, size_t n);
/* Packs 128 values of width w (0..32) into 16*w bytes at out (any alignment). */
void vs_postings_pack128(const uint32_t *in, uint32_t w, uint8_t *out);
/* Unpacks 16*w bytes into 128 values. */
void vs_postings_unpack128(const uint8_t *in, uint32_t w, uint32_t *out);

/* Vector decoding (index/unpack_simd.c): return 0 when unavailable, so callers fall back to the
 * scalar path, which gives identical results. The docs variant also applies the prefix sum:
 * out[i] = base + i + sum(gaps[0..i]) where base is the first possible id (prev + 1, or 0). */
int vs_postings_simd(void);          /* 1 when the vector path is in use */
void vs_postings_simd_set(int on);   /* tests and benchmarks: force either path */
int vs_postings_unpack128_simd(const uint8_t *in, uint32_t w, uint32_t *out);
int vs_postings_unpack128_docs_simd(const uint8_t *in, uint32_t w, uint32_t base, uint32_t *out);
/* out[i] = value + 1 (term frequencies are stored minus one); refuses w == 32. */
int vs_postings_unpack128_plus1_simd(const uint8_t *in, uint32_t w, uint32_t *out);

/* Encodes one block of n postings (1 <= n <= 128; n == 128 -> packed, else varints).
 * docs are absolute and strictly increasing; when have_prev, prev is the docid before docs[0]
 * (the previous block's last), otherwise the first gap is docs[0] itself. tfs >= 1. Appends. */
VS_MUST_CHECK vs_rc vs_postings_encode_block(const uint32_t *docs, const uint32_t *tfs, size_t n,
                                             int have_prev, uint32_t prev, vs_buf *out);
/* Decodes a block of n postings starting at p (p..end must hold it) into absolute docids and tfs.
 * Returns bytes consumed, or 0 if the block is malformed (runs past end, width > 32, docids
 * overflow 32 bits). */
size_t vs_postings_decode_block(const uint8_t *p, const uint8_t *end, size_t n, int have_prev,
                                uint32_t prev, uint32_t *docs, uint32_t *tfs);

#endif
