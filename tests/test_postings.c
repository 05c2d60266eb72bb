/* test_postings.c: the block codec — round trips at every width and list length, misaligned
 * buffers, and malformed input that must be rejected without reading past the end. */
#include "testutil.h"

#include "buf.h"
#include "postings.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)rng;
}

static void test_pack_every_width_misaligned(void **state) {
    (void)state;
    uint32_t in[128], out[128];
    uint8_t buf[16 * 32 + 8];
    for (uint32_t w = 0; w <= 32; w++) {
        for (int off = 0; off < 4; off++) {
            for (int i = 0; i < 128; i++) {
                uint32_t v = rnd();
                in[i] = w == 32 ? v : (w == 0 ? 0 : v & ((1u << w) - 1));
            }
            if (w > 0) in[77] = w == 32 ? UINT32_MAX : (1u << w) - 1; /* the largest value */
            assert_int_equal(vs_postings_width(in, 128), w);
            vs_postings_pack128(in, w, buf + off);
            vs_postings_unpack128(buf + off, w, out);
            assert_memory_equal(in, out, sizeof in);
        }
    }
}

static void roundtrip(size_t df, uint32_t maxgap, uint32_t maxtf) {
    uint32_t *docs = malloc((df + 1) * sizeof *docs), *tfs = malloc((df + 1) * sizeof *tfs);
    uint32_t d[128], t[128];
    assert_non_null(docs);
    assert_non_null(tfs);
    uint64_t cur = 0;
    for (size_t i = 0; i < df; i++) {
        cur += (i ? 1 : 0) + (maxgap ? rnd() % maxgap : 0);
        docs[i] = (uint32_t)cur;
        tfs[i] = 1 + (maxtf ? rnd() % maxtf : 0);
    }
    vs_buf b = VS_BUF_INIT;
    vs_rc rc = vs_buf_append(&b, "x", 1); /* misalign the stream */
    assert_int_equal(rc, VS_OK);
    for (size_t i0 = 0; i0 < df; i0 += 128) {
        size_t n = df - i0 < 128 ? df - i0 : 128;
        assert_int_equal(vs_postings_encode_block(docs + i0, tfs + i0, n, i0 > 0, i0 ? docs[i0 - 1] : 0, &b), VS_OK);
    }
    const uint8_t *p = b.p + 1, *end = b.p + b.len;
    for (size_t i0 = 0; i0 < df; i0 += 128) {
        size_t n = df - i0 < 128 ? df - i0 : 128;
        size_t used = vs_postings_decode_block(p, end, n, i0 > 0, i0 ? docs[i0 - 1] : 0, d, t);
        assert_true(used > 0);
        assert_memory_equal(d, docs + i0, n * sizeof *d);
        assert_memory_equal(t, tfs + i0, n * sizeof *t);
        p += used;
    }
    assert_ptr_equal(p, end);
    vs_buf_free(&b);
    free(docs);
    free(tfs);
}

static void test_list_lengths(void **state) {
    (void)state;
    const size_t lens[] = { 1, 127, 128, 129, 255, 256, 257, 100000 };
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        roundtrip(lens[i], 1, 1);       /* dense, tf 1: width 0 blocks */
        roundtrip(lens[i], 1000, 5);
        roundtrip(lens[i], 40000, 300);
    }
}

static void test_extreme_values(void **state) {
    (void)state;
    uint32_t docs[128], tfs[128], d[128], t[128];
    for (int i = 0; i < 128; i++) { docs[i] = UINT32_MAX - 128 + (uint32_t)i; tfs[i] = UINT32_MAX - 1; }
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_postings_encode_block(docs, tfs, 128, 0, 0, &b), VS_OK);
    assert_int_equal(vs_postings_decode_block(b.p, b.p + b.len, 128, 0, 0, d, t), b.len);
    assert_memory_equal(d, docs, sizeof d);
    assert_memory_equal(t, tfs, sizeof t);
    vs_buf_free(&b);
}

static void test_empty_block_refused(void **state) {
    (void)state;
    vs_buf b = VS_BUF_INIT;
    uint32_t d[1] = { 1 }, t[1] = { 1 };
    assert_int_equal(vs_postings_encode_block(d, t, 0, 0, 0, &b), VS_EINTERNAL); /* length 0 */
    assert_int_equal(vs_postings_decode_block(b.p, b.p, 0, 0, 0, d, t), 0);
    vs_buf_free(&b);
}

static void test_malformed_rejected(void **state) {
    (void)state;
    uint32_t docs[128], tfs[128], d[128], t[128];
    for (int i = 0; i < 128; i++) { docs[i] = (uint32_t)i * 7; tfs[i] = 1 + (uint32_t)i % 3; }
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_postings_encode_block(docs, tfs, 128, 0, 0, &b), VS_OK);
    /* every truncation fails cleanly */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.p, n);
        assert_int_equal(vs_postings_decode_block(copy, copy + n, 128, 0, 0, d, t), 0);
        free(copy);
    }
    b.p[0] = 33; /* width > 32 */
    assert_int_equal(vs_postings_decode_block(b.p, b.p + b.len, 128, 0, 0, d, t), 0);
    vs_buf_free(&b);
    /* tail block: truncated, and a docid that overflows 32 bits */
    vs_buf v = VS_BUF_INIT;
    uint32_t one[1] = { 5 }, tf1[1] = { 1 };
    assert_int_equal(vs_postings_encode_block(one, tf1, 1, 1, UINT32_MAX - 3, &v), VS_OK);
    assert_int_equal(vs_postings_decode_block(v.p, v.p + v.len, 1, 1, UINT32_MAX - 3, d, t), 0);
    assert_int_equal(vs_postings_decode_block(v.p, v.p + v.len - 1, 1, 1, 0, d, t), 0);
    vs_buf_free(&v);
}

/* Every decoder level (scalar, SSE2, AVX2: those this CPU has) must give exactly the values
 * encoded, at every docid-gap width 0..32 and every block length 1..128 (tails included). */
static void test_levels_equal_scalar(void **state) {
    (void)state;
    uint32_t docs[128], tfs[128], d[128], t[128];
    int max = vs_postings_simd_max();
    for (uint32_t w = 0; w <= 32; w++) {
        for (size_t n = 1; n <= 128; n++) {
            uint64_t cur = rnd() % 1000;
            int have_prev = (int)(n % 2);
            uint32_t prev = have_prev ? (uint32_t)cur : 0;
            if (have_prev) cur++;
            /* gaps of width exactly w: one at the maximum (the last one for w >= 25, with the
             * others below 2^20 so that the ids stay below 2^32) */
            uint64_t lim = w == 0 ? 0 : (w >= 25 ? (1ull << 20) : (1ull << w) - 1);
            uint32_t wt = (w * 7 + (uint32_t)n) % 33; /* tf widths vary independently */
            for (size_t i = 0; i < n; i++) {
                uint64_t g = lim ? rnd() % (lim + 1) : 0;
                if (i == n / 2 && w > 0 && w < 25) g = lim;
                cur += (i ? 1 : 0) + g;
                docs[i] = (uint32_t)cur;
                uint32_t v = wt == 32 ? rnd() % (UINT32_MAX - 1) : (wt ? rnd() & ((1u << wt) - 1) : 0);
                tfs[i] = 1 + v;
            }
            if (w >= 25) {
                uint64_t big = w == 32 ? (1ull << 31) + rnd() % (1u << 20) : (1ull << w) - 1;
                uint64_t before = n > 1 ? (uint64_t)docs[n - 2] + 1 : (have_prev ? (uint64_t)prev + 1 : 0);
                docs[n - 1] = (uint32_t)(before + big);
            }
            vs_buf b = VS_BUF_INIT;
            assert_int_equal(vs_postings_encode_block(docs, tfs, n, have_prev, prev, &b), VS_OK);
            for (int l = 0; l <= max; l++) {
                assert_int_equal(vs_postings_simd_set(l), l);
                memset(d, 0xAB, sizeof d);
                memset(t, 0xAB, sizeof t);
                size_t used = vs_postings_decode_block(b.p, b.p + b.len, n, have_prev, prev, d, t);
                assert_int_equal(used, b.len);
                assert_memory_equal(d, docs, n * sizeof *d);
                assert_memory_equal(t, tfs, n * sizeof *t);
            }
            vs_buf_free(&b);
        }
        /* raw, +1 and prefix-sum unpacking of 128 values at width w, at every level */
        uint32_t in[128], o[128], want[128];
        uint8_t buf[512 + 1];
        for (int i = 0; i < 128; i++) in[i] = w == 32 ? rnd() : (w ? rnd() & ((1u << w) - 1) : 0);
        vs_postings_pack128(in, w, buf + 1);
        for (int l = 1; l <= max; l++) {
            vs_postings_simd_set(l);
            if (w > 0) {
                assert_true(vs_postings_unpack128_simd(buf + 1, w, o));
                assert_memory_equal(o, in, sizeof o);
            }
            if (w < 32) {
                assert_true(vs_postings_unpack128_plus1_simd(buf + 1, w, o));
                for (int i = 0; i < 128; i++) assert_int_equal(o[i], in[i] + 1);
            }
            if (w <= 24) {
                uint32_t base = 1000;
                assert_true(vs_postings_unpack128_docs_simd(buf + 1, w, base, o));
                for (int i = 0; i < 128; i++) want[i] = (i ? want[i - 1] + 1 : base) + in[i];
                assert_memory_equal(o, want, sizeof o);
            }
        }
    }
    static const uint8_t zero[16 * 3];
    vs_postings_simd_set(VS_SIMD_SCALAR);
    assert_false(vs_postings_unpack128_docs_simd(zero, 3, 0, docs)); /* scalar level: no vector path */
    vs_postings_simd_set(max);
}

static void test_headers(void **state) {
    (void)state;
    uint8_t b[2];
    uint32_t wd, wt;
    for (uint32_t d = 0; d <= 32; d++)
        for (uint32_t t = 0; t <= 32; t++) {
            size_t h = vs_postings_put_header(b, d, t);
            assert_int_equal(h, t < 3 ? 1 : 2);
            assert_int_equal(vs_postings_get_header(b, b + h, &wd, &wt), h);
            assert_int_equal(wd, d);
            assert_int_equal(wt, t);
            if (h == 2) assert_int_equal(vs_postings_get_header(b, b + 1, &wd, &wt), 0); /* truncated */
        }
    for (uint32_t x = 33; x < 64; x++) { /* doc width > 32 */
        b[0] = (uint8_t)x;
        assert_int_equal(vs_postings_get_header(b, b + 1, &wd, &wt), 0);
    }
    for (uint32_t x = 0; x < 256; x++) { /* the second byte holds 3..32 only */
        b[0] = 5 | 3 << 6;
        b[1] = (uint8_t)x;
        assert_int_equal(vs_postings_get_header(b, b + 2, &wd, &wt), x >= 3 && x <= 32 ? 2 : 0);
    }
    assert_int_equal(vs_postings_get_header(b, b, &wd, &wt), 0);
}

/* Tail blocks by hand: ids 3 and 10, tfs 1 and 2 -> gaps 3, 6 (width 3), tf-1 0, 1 (width 1):
 * header 3 | 1 << 6 = 0x43, then bits 011 (3) 011 (6, LSB first) 0 1 = 0b10110011 = 0xB3. */
static void test_tail_sizes(void **state) {
    (void)state;
    uint32_t docs[128] = { 3, 10 }, tfs[128] = { 1, 2 }, d[128], t[128];
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_postings_encode_block(docs, tfs, 2, 0, 0, &b), VS_OK);
    assert_int_equal(b.len, 2);
    assert_int_equal(b.p[0], 0x43);
    assert_int_equal(b.p[1], 0xB3);
    /* a single posting with tf 1 at id 70000 (17 bits): 1 header byte + 3 bytes */
    b.len = 0;
    docs[0] = 70000;
    tfs[0] = 1;
    assert_int_equal(vs_postings_encode_block(docs, tfs, 1, 0, 0, &b), VS_OK);
    assert_int_equal(b.len, 4);
    assert_int_equal(vs_postings_decode_block(b.p, b.p + b.len, 1, 0, 0, d, t), 4);
    assert_int_equal(d[0], 70000);
    /* 127 postings, gaps < 16 and tf 1..4: 1 + 127 * (4 + 2) / 8 = 1 + 96 bytes */
    b.len = 0;
    for (int i = 0; i < 127; i++) { docs[i] = (uint32_t)i * 16; tfs[i] = 1 + (uint32_t)i % 4; }
    assert_int_equal(vs_postings_encode_block(docs, tfs, 127, 0, 0, &b), VS_OK);
    assert_int_equal(b.len, 1 + 96);
    for (size_t cut = 0; cut < b.len; cut++) /* every truncation is refused */
        assert_int_equal(vs_postings_decode_block(b.p, b.p + cut, 127, 0, 0, d, t), 0);
    assert_int_equal(vs_postings_decode_block(b.p, b.p + b.len, 127, 0, 0, d, t), b.len);
    assert_memory_equal(d, docs, 127 * sizeof *d);
    assert_memory_equal(t, tfs, 127 * sizeof *t);
    vs_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_every_width_misaligned),
        cmocka_unit_test(test_empty_block_refused),
        cmocka_unit_test(test_list_lengths),
        cmocka_unit_test(test_extreme_values),
        cmocka_unit_test(test_malformed_rejected),
        cmocka_unit_test(test_levels_equal_scalar),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_tail_sizes),
    };
    return cmocka_run_group_tests_name("postings", tests, NULL, NULL);
}
