/* runfmt.h: fast formatting of TREC run lines (`vsearch batch`), byte-identical to printf.
 *
 * printf("%.6f") of a score costs ~1,000 instructions (exact decimal expansion of the double);
 * a run of 10^4 topics x 1,000 hits prints 10^7 of them. runfmt_score() takes a fast path: t =
 * v * 10^6 is within half an ulp of the exact product, so unless t's fraction is within that
 * error of one half (where printf's exact rounding could go the other way) the rounded integer
 * is the one printf prints; near a half, and for negative, huge or non-finite values, it calls
 * snprintf. tests/test_runfmt.c compares both over millions of values. */
#ifndef VS_RUNFMT_H
#define VS_RUNFMT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Decimal digits of v into out (no NUL); returns their count. */
static inline size_t runfmt_u64(char *out, uint64_t v) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

/* v as printf("%.6f") writes it, into out (at least 64 bytes; no NUL); returns the length. */
static inline size_t runfmt_score(char *out, double v) {
    if (!signbit(v) && v < 1e9) { /* -0.0 prints as "-0.000000": snprintf */
        double t = v * 1e6, fl = floor(t), frac = t - fl;
        /* |t - v * 10^6| <= t * 2^-53: decide only when the fraction is clearly off one half */
        if (fabs(frac - 0.5) > t * 0x1p-50 + 0x1p-60) {
            uint64_t r = (uint64_t)fl + (frac > 0.5);
            size_t n = runfmt_u64(out, r / 1000000);
            uint64_t f = r % 1000000;
            out[n++] = '.';
            for (int i = 5; i >= 0; i--) {
                out[n + (size_t)i] = (char)('0' + f % 10);
                f /= 10;
            }
            return n + 6;
        }
    }
    int k = snprintf(out, 64, "%.6f", v);
    return k < 0 ? 0 : (size_t)k < 64 ? (size_t)k : 63;
}

#endif
