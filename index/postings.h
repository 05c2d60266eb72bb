/* postings.h: the block codec for postings lists (layout: index/FORMAT.md, "POSTINGS").
 *
 * A list is cut into blocks of VS_BLOCK_DOCS postings. Every block stores its n docid gaps
 * (docid - previous docid - 1) and n (tf - 1) values, each stream bit-packed at the smallest
 * width that holds its largest value. A block starts with a header: one byte w_doc | c << 6,
 * where c = w_tf when w_tf <= 2, else c = 3 and a second byte holds w_tf (3..32).
 * A full block (128 postings) then holds 16 * w_doc bytes of gaps and 16 * w_tf bytes of tfs in
 * the 4-lane interleaved layout that SSE2/AVX2 unpack directly: value i sits in lane i % 4 at
 * slot i / 4; each lane's 32 slots fill `w` 32-bit words, LSB first, and word j of lane l is
 * stored at byte (4 * j + l) * 4.
 * The last block of a list (n < 128 postings) then holds one LSB-first bit stream of
 * ceil(n * (w_doc + w_tf) / 8) bytes: n gaps at w_doc bits, then n (tf - 1) at w_tf bits.
 * Decoders are bounds-checked: they never read past `end` and return 0 on malformed input. */
#ifndef VS_POSTINGS_H
#define VS_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VS_BLOCK_DOCS 128
/* 128 values at width w <= 32 take 128 * w / 8 = 16 * w bytes: at most 512 per stream, so a
 * block is at most a 2-byte header + 2 * 512 bytes (a tail block packs fewer values). */
#define VS_BLOCK_MAX_BYTES (2 + 2 * 16 * 32)

/* Bits needed for the largest of in[0..n). */
uint32_t vs_postings_width(const uint32_t *in, size_t n);
/* Packs 128 values of width w (0..32) into 16*w bytes at out (any alignment). */
void vs_postings_pack128(const uint32_t *in, uint32_t w, uint8_t *out);
/* Unpacks 16*w bytes into 128 values. */
void vs_postings_unpack128(const uint8_t *in, uint32_t w, uint32_t *out);

/* Decoder levels for full blocks (index/unpack_simd.c). The best level the CPU supports is
 * chosen at run time (__builtin_cpu_supports); VSEARCH_SIMD=scalar|sse2|avx2 caps it. Every
 * level gives exactly the scalar path's results. SSE4.1 is not a level: the 128-bit kernel
 * uses only SSE2 instructions (shifts, and, add, byte shifts, shuffles). */
enum { VS_SIMD_SCALAR = 0, VS_SIMD_SSE2 = 1, VS_SIMD_AVX2 = 2 };
int vs_postings_simd(void);           /* the level in use */
int vs_postings_simd_max(void);       /* the best level this CPU and build support */
/* Tests and benchmarks: use min(level, vs_postings_simd_max()); returns the level set. Not
 * thread-safe: call it before decoding starts. */
int vs_postings_simd_set(int level);
const char *vs_postings_simd_name(int level);   /* "scalar", "sse2", "avx2" */
/* Vector decoding of the 16*w bytes of a full block's stream at the current level: return 0
 * at the scalar level (callers then use the scalar path). The docs variant also applies the
 * prefix sum: out[i] = base + i + sum(gaps[0..i]) where base is the first possible id (prev + 1,
 * or 0); the caller makes sure no id passes 2^32 - 1. */
int vs_postings_unpack128_simd(const uint8_t *in, uint32_t w, uint32_t *out);
int vs_postings_unpack128_docs_simd(const uint8_t *in, uint32_t w, uint32_t base, uint32_t *out);
/* out[i] = value + 1 (term frequencies are stored minus one); refuses w == 32. */
int vs_postings_unpack128_plus1_simd(const uint8_t *in, uint32_t w, uint32_t *out);

/* Block header: writes it at p (1 or 2 bytes, returned). */
size_t vs_postings_put_header(uint8_t *p, uint32_t w_doc, uint32_t w_tf);
/* Reads a header from p..end into *w_doc, *w_tf: returns its length (1 or 2), or 0 if it is
 * malformed (past end, a width > 32, or a second byte below 3). */
size_t vs_postings_get_header(const uint8_t *p, const uint8_t *end, uint32_t *w_doc, uint32_t *w_tf);
/* LSB-first bit streams (tail blocks): pack n values of width w at bit offset `bit` of p (whose
 * bytes must be zero there); unpack reads them back from p[0..len), len >= ceil((bit + n*w)/8). */
void vs_postings_pack_bits(uint8_t *p, uint64_t bit, const uint32_t *in, size_t n, uint32_t w);
void vs_postings_unpack_bits(const uint8_t *p, size_t len, uint64_t bit, size_t n, uint32_t w, uint32_t *out);

/* Encodes one block of n postings (1 <= n <= 128; n == 128 -> 4-lane packed, else a bit stream).
 * docs are absolute and strictly increasing; when have_prev, prev is the docid before docs[0]
 * (the previous block's last), otherwise the first gap is docs[0] itself. tfs >= 1. Appends. */
VS_MUST_CHECK vs_rc vs_postings_encode_block(const uint32_t *docs, const uint32_t *tfs, size_t n,
                                             int have_prev, uint32_t prev, vs_buf *out);
/* Decodes a block of n postings starting at p (p..end must hold it) into absolute docids and tfs.
 * Returns bytes consumed, or 0 if the block is malformed (runs past end, width > 32, docids
 * overflow 32 bits, or a tf overflows). */
size_t vs_postings_decode_block(const uint8_t *p, const uint8_t *end, size_t n, int have_prev,
                                uint32_t prev, uint32_t *docs, uint32_t *tfs);

#endif
