/* fuzz_util.h: helpers shared by the libFuzzer targets in tests/fuzz/ (see tests/fuzz/README.md).
 *
 * FZ_CHECK(cond, what) aborts with a message when an invariant the library promises does not hold:
 * libFuzzer reports the abort as a crash and saves the input, exactly like an ASan finding.
 *
 * Checksum fix-ups: segment files and MANIFESTs are covered by XXH3 checksums, so random mutations
 * are almost always rejected at the first checksum and the structural checks behind it are never
 * reached. fz_fix_segment() / fz_fix_manifest() recompute every checksum of a (mutated) file in a
 * copy, so each target runs twice per input: once on the raw bytes (the checksum path) and once
 * on the repaired bytes (every structural check and every reader behind them). */
#ifndef VS_FUZZ_UTIL_H
#define VS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "le.h"
#include "manifest.h"
#include "segment.h"

#define FZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
    abort(); } } while (0)

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns 1 when s[0..n) is valid. */
static inline int fz_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t k;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

/* Recomputes the page checksums, the table checksums and the trailer checksum of a segment in
 * buf (layout: index/FORMAT.md), and rewrites both magics, the major version (the reader's own,
 * VS_SEG_MAJOR: an older major is refused) and the page size. Does nothing when
 * the trailer's geometry (T, n, n_pages) does not fit the buffer: then the raw pass already
 * covers the input. Returns 1 when it repaired the buffer. */
static inline int fz_fix_segment(uint8_t *b, size_t size) {
    static const uint8_t magic[8] = { 0x89, 'V', 'S', 'G', '\r', '\n', 0x1a, '\n' };
    if (size < 16 + 56) return 0;
    uint8_t *tr = b + size - 56;
    uint64_t T = vs_le_get64(tr);
    uint32_t n = vs_le_get32(tr + 8);
    if (n == 0 || n > 64 || T < 16 || T > size) return 0;
    uint64_t n_pages = (T + 4095) / 4096;
    if (T + (uint64_t)n * 32 + n_pages * 8 + 56 != size) return 0;
    memcpy(b, magic, 8);
    vs_le_put16(b + 8, VS_SEG_MAJOR);
    vs_le_put32(b + 12, 4096);
    uint8_t *sums = b + T + (size_t)n * 32;
    for (uint64_t p = 0; p < n_pages; p++) {
        uint64_t off = p * 4096, len = T - off < 4096 ? T - off : 4096;
        vs_le_put64(sums + p * 8, XXH3_64bits(b + off, (size_t)len));
    }
    vs_le_put32(tr + 12, 4096);
    vs_le_put64(tr + 16, n_pages);
    vs_le_put64(tr + 24, XXH3_64bits(b + T, (size_t)n * 32));
    vs_le_put64(tr + 32, XXH3_64bits(sums, (size_t)n_pages * 8));
    vs_le_put64(tr + 40, XXH3_64bits(tr, 40));
    memcpy(tr + 48, magic, 8);
    return 1;
}

/* Same for a MANIFEST: magic, major version (VS_MAN_MAJOR), trailing magic and the checksum. */
static inline int fz_fix_manifest(uint8_t *b, size_t n) {
    static const uint8_t magic[8] = { 0x89, 'V', 'S', 'M', '\r', '\n', 0x1a, '\n' };
    if (n < 56) return 0;
    memcpy(b, magic, 8);
    vs_le_put16(b + 8, VS_MAN_MAJOR);
    memcpy(b + n - 8, magic, 8);
    vs_le_put64(b + n - 16, XXH3_64bits(b, n - 16));
    return 1;
}

/* A byte reader over the fuzz input, for targets that take a few parameters before the payload. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline uint8_t fz_u8(fz_in *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}
static inline uint32_t fz_u32(fz_in *in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)fz_u8(in) << (8 * i);
    return v;
}

#endif
