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
    /* varint tail: truncated, and a docid that overflows 32 bits */
    vs_buf v = VS_BUF_INIT;
    uint32_t one[1] = { 5 }, tf1[1] = { 1 };
    assert_int_equal(vs_postings_encode_block(one, tf1, 1, 1, UINT32_MAX - 3, &v), VS_OK);
    assert_int_equal(vs_postings_decode_block(v.p, v.p + v.len, 1, 1, UINT32_MAX - 3, d, t), 0);
    assert_int_equal(vs_postings_decode_block(v.p, v.p + v.len - 1, 1, 1, 0, d, t), 0);
    vs_buf_free(&v);
}

/* The vector decoder must give exactly what the scalar one gives, at every width and base. */
static void test_simd_equals_scalar(void **state) {
    (void)state;
    uint32_t docs[128], tfs[128], d1[128], t1[128], d2[128], t2[128];
    for (uint32_t w = 0; w <= 32; w++) {
        for (int rep = 0; rep < 20; rep++) {
            uint64_t cur = rnd() % 1000;
            int have_prev = rep % 2;
            uint32_t prev = have_prev ? (uint32_t)cur : 0;
            if (have_prev) cur++;
            uint64_t lim = w == 0 ? 0 : (w >= 25 ? (1ull << 24) : (1ull << w) - 1);
            for (int i = 0; i < 128; i++) {
                cur += (i ? 1 : 0) + (lim ? rnd() % (lim + 1) : 0);
                docs[i] = (uint32_t)cur;
                tfs[i] = 1 + (w ? rnd() % (1u << (w < 16 ? w : 16)) : 0);
            }
            vs_buf b = VS_BUF_INIT;
            assert_int_equal(vs_postings_encode_block(docs, tfs, 128, have_prev, prev, &b), VS_OK);
            vs_postings_simd_set(0);
            size_t n1 = vs_postings_decode_block(b.p, b.p + b.len, 128, have_prev, prev, d1, t1);
            vs_postings_simd_set(1);
            size_t n2 = vs_postings_decode_block(b.p, b.p + b.len, 128, have_prev, prev, d2, t2);
            assert_int_equal(n1, b.len);
            assert_int_equal(n2, b.len);
            assert_memory_equal(d1, docs, sizeof d1);
            assert_memory_equal(d2, docs, sizeof d2);
            assert_memory_equal(t1, tfs, sizeof t1);
            assert_memory_equal(t2, tfs, sizeof t2);
            vs_buf_free(&b);
        }
        /* raw unpack too */
        uint32_t in[128], o1[128], o2[128];
        uint8_t buf[512];
        for (int i = 0; i < 128; i++) in[i] = w == 32 ? rnd() : (w ? rnd() & ((1u << w) - 1) : 0);
        vs_postings_pack128(in, w, buf);
        vs_postings_unpack128(buf, w, o1);
        if (!vs_postings_unpack128_simd(buf, w, o2)) memcpy(o2, o1, sizeof o2);
        assert_memory_equal(o1, in, sizeof o1);
        assert_memory_equal(o2, in, sizeof o2);
    }
    vs_postings_simd_set(1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_every_width_misaligned),
        cmocka_unit_test(test_empty_block_refused),
        cmocka_unit_test(test_list_lengths),
        cmocka_unit_test(test_extreme_values),
        cmocka_unit_test(test_malformed_rejected),
        cmocka_unit_test(test_simd_equals_scalar),
    };
    return cmocka_run_group_tests_name("postings", tests, NULL, NULL);
}
