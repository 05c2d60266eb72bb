/* test_runfmt.c: the fast TREC score formatter (tools/runfmt.h) against printf("%.6f"). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "../tools/runfmt.h"

static void same(double v) {
    char a[64], b[64];
    size_t n = runfmt_score(a, v);
    a[n] = '\0';
    snprintf(b, sizeof b, "%.6f", v);
    if (strcmp(a, b) != 0) fail_msg("runfmt_score(%.17g) = '%s', printf gives '%s'", v, a, b);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_fixed_values(void **st) {
    (void)st;
    const double v[] = { 0.0, -0.0, 1.0, 0.5, 0.0000005, 0.0000015, 0.0078125, 1.0 / 128 * 3, 2.5e-7, 7.4999995,
                         9.9999995, 9.99999949999, 123.456789, 999999999.9999995, 1e9, 1e12, -1.25, INFINITY,
                         -INFINITY, NAN, 4.94e-324, 17.0000005, 0.1, 0.2, 0.3, 1e-7, 0.9999994999999, 0.9999995 };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) same(v[i]);
}

/* Exact ties: multiples of 2^-7 whose 6th decimal is a 5 followed by zeros, and their neighbours. */
static void test_ties_and_neighbours(void **st) {
    (void)st;
    for (int64_t m = 0; m < 100000; m++) {
        double v = (double)m / 128.0;
        same(v);
        same(nextafter(v, 0.0));
        same(nextafter(v, 1e300));
        double w = ((double)m + 0.5) / 1e6; /* near halves in decimal */
        same(w);
        same(nextafter(w, 0.0));
        same(nextafter(w, 1e300));
    }
}

/* Random scores of the sizes BM25 and QL give, and random bit patterns. */
static void test_random(void **st) {
    (void)st;
    for (int i = 0; i < 400000; i++) {
        uint64_t x = next();
        same((double)(x >> 11) * 0x1p-53 * 60.0);
        same((double)(x >> 11) * 0x1p-53 * pow(10.0, (double)(x % 13) - 3.0));
        double d;
        memcpy(&d, &x, sizeof d);
        same(d);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_values),
        cmocka_unit_test(test_ties_and_neighbours),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
