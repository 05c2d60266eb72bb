/* test_segment.c: segment writer + reader + postings cursor + check, and the MANIFEST:
 * round trips on hand-made postings (including multi-block lists and skipping), and damage:
 * every single-byte flip and many truncations of a real segment and MANIFEST are reported as
 * VS_ECORRUPT / VS_EVERSION, never accepted, never a crash. */
#include "testutil.h"

#include <unistd.h>

#include "manifest.h"
#include "plist.h"
#include "segment.h"
#include "segwriter.h"
#include "vsearch.h"

static char tmpdir[64];

static int setup(void **state) {
    (void)state;
    return tu_mkdtemp(tmpdir, sizeof tmpdir, "seg");
}

static int teardown(void **state) {
    (void)state;
    return tu_rmtree(tmpdir);
}

/* A segment with 1000 passages and three terms: "a" in every passage (8 blocks), "b" in every
 * 7th, "c" in passage 999 only. Passage i has length 3 + i % 5; term a has tf 1 + i % 3. */
static void write_sample(const char *path) {
    vs_segwriter *w;
    vs_err err;
    assert_int_equal(vs_segwriter_new(&w, &err), VS_OK);
    uint32_t doc, pid;
    for (uint32_t i = 0; i < 1000; i++) {
        if (i % 10 == 0) {
            char id[32];
            snprintf(id, sizeof id, "doc-%04u", 99 - i / 10); /* ids in reverse order */
            assert_int_equal(vs_segwriter_add_doc(w, id, strlen(id), "Title", 5, "p.txt", 5, &doc, &err), VS_OK);
        }
        char text[64];
        snprintf(text, sizeof text, "passage %u text", i);
        assert_int_equal(vs_segwriter_add_passage(w, text, strlen(text), 3 + i % 5, &pid, &err), VS_OK);
        assert_int_equal(pid, i);
    }
    static uint32_t pids[1000], tfs[1000], pos[3000];
    size_t np = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        pids[i] = i;
        tfs[i] = 1 + i % 3;
        for (uint32_t j = 0; j < tfs[i]; j++) pos[np++] = j * 2;
    }
    assert_int_equal(vs_segwriter_add_term(w, "a", 1, 1000, pids, tfs, pos, &err), VS_OK);
    size_t n = 0;
    for (uint32_t i = 0; i < 1000; i += 7) { pids[n] = i; tfs[n] = 1; pos[n] = 1; n++; }
    assert_int_equal(vs_segwriter_add_term(w, "b", 1, n, pids, tfs, pos, &err), VS_OK);
    pids[0] = 999; tfs[0] = 2; pos[0] = 0; pos[1] = 5;
    /* out of order terms are refused */
    assert_int_equal(vs_segwriter_add_term(w, "a", 1, 1, pids, tfs, pos, &err), VS_EINTERNAL);
    assert_int_equal(vs_segwriter_add_term(w, "c", 1, 1, pids, tfs, pos, &err), VS_OK);
    assert_int_equal(vs_segwriter_finish(w, path, 12345, &err), VS_OK);
    vs_segwriter_free(w);
}


/* The title field at the segment level: TLENS and META's title counts, title postings only at
 * the first passage of a titled document, bounds from title lengths, check. */
static void test_title_terms(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/t.vsg", tmpdir);
    vs_segwriter *w;
    vs_err err;
    assert_int_equal(vs_segwriter_new(&w, &err), VS_OK);
    uint32_t doc, pid;
    /* doc 0: passages 0-2, title length 4; doc 1: no passages (its title length is dropped);
     * doc 2: passages 3-4, title length 2; doc 3: passage 5, no title */
    const uint32_t np[4] = { 3, 0, 2, 1 }, tl[4] = { 4, 9, 2, 0 };
    for (uint32_t d = 0; d < 4; d++) {
        char id[8];
        snprintf(id, sizeof id, "d%u", d);
        assert_int_equal(vs_segwriter_add_doc(w, id, 2, "T", 1, "p", 1, &doc, &err), VS_OK);
        if (tl[d]) assert_int_equal(vs_segwriter_doc_title(w, tl[d], &err), VS_OK);
        for (uint32_t k = 0; k < np[d]; k++) assert_int_equal(vs_segwriter_add_passage(w, "x y", 3, 10 + k, &pid, &err), VS_OK);
    }
    uint32_t pids[2] = { 1, 3 }, tfs[2] = { 1, 2 }, pos[4] = { 0, 0, 1, 2 };
    /* a title posting must sit at a titled document's first passage */
    assert_int_equal(vs_segwriter_add_term(w, "\x01" "bad", 4, 2, pids, tfs, pos, &err), VS_EINTERNAL);
    pids[0] = 5;
    assert_int_equal(vs_segwriter_add_term(w, "\x01" "bae", 4, 1, pids, tfs, pos, &err), VS_EINTERNAL); /* doc 3: no title */
    pids[0] = 0;
    tfs[1] = 3; /* more occurrences than the title has tokens */
    assert_int_equal(vs_segwriter_add_term(w, "\x01" "baf", 4, 2, pids, tfs, pos, &err), VS_EINTERNAL);
    tfs[1] = 2;
    assert_int_equal(vs_segwriter_add_term(w, "\x01" "cocoa", 6, 2, pids, tfs, pos, &err), VS_OK);
    pids[0] = 1; tfs[0] = 1;
    assert_int_equal(vs_segwriter_add_term(w, "cocoa", 5, 1, pids, tfs, pos, &err), VS_OK);
    assert_int_equal(vs_segwriter_finish(w, path, 1, &err), VS_OK);
    vs_segwriter_free(w);
    vs_segment *s;
    assert_int_equal(vs_segment_open(path, &s, &err), VS_OK);
    const vs_segment_meta *m = vs_segment_get_meta(s);
    assert_int_equal(m->n_titled, 2);
    assert_int_equal(m->title_len, 6);
    uint32_t t;
    for (uint32_t d = 0; d < 4; d++) {
        assert_int_equal(vs_segment_tlen(s, d, &t, &err), VS_OK);
        assert_int_equal(t, d == 0 ? 4 : d == 2 ? 2 : 0);
    }
    uint32_t first, end;
    assert_int_equal(vs_segment_doc_span(s, 4, &first, &end, &t, &err), VS_OK);
    assert_true(first == 3 && end == 5 && t == 2);
    vs_term_info ti;
    int found;
    assert_int_equal(vs_segment_lookup(s, "\x01" "cocoa", 6, &ti, &found, &err), VS_OK);
    assert_true(found);
    assert_true(ti.df == 2 && ti.max_tf == 2 && ti.min_len == 2); /* min over title lengths 4 and 2 */
    assert_int_equal(vs_segment_lookup(s, "cocoa", 5, &ti, &found, &err), VS_OK);
    assert_true(found && ti.min_len == 11); /* a body term: the passage's length */
    uint64_t nt, pb, qb;
    assert_int_equal(vs_segment_title_part(s, &nt, &pb, &qb, &err), VS_OK);
    assert_true(nt == 1 && pb > 0 && qb > 0);
    assert_int_equal(vs_segment_check(s, &err), VS_OK);
    vs_segment_close(s);
}

/* Review finding 9: positions of the postings before the current one in its block are skipped
 * byte by byte; a damaged byte on a page not yet verified used to shift the current posting's
 * positions silently (a wrong phrase answer). Now the skipped range is verified: damage. */
static void test_positions_skip_is_verified(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/p.vsg", tmpdir);
    vs_segwriter *w;
    vs_err err;
    assert_int_equal(vs_segwriter_new(&w, &err), VS_OK);
    uint32_t doc, pid;
    assert_int_equal(vs_segwriter_add_doc(w, "d", 1, "", 0, "p", 1, &doc, &err), VS_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(vs_segwriter_add_passage(w, "x", 1, 1300000, &pid, &err), VS_OK);
    /* passages 0 and 1: 6000 positions each, 200 apart (two-byte varints: 24 KB); passage 2:
     * {0, 5} */
    static uint32_t pos[12002];
    for (uint32_t i = 0; i < 12000; i++) pos[i] = i % 6000 * 200;
    pos[12000] = 0;
    pos[12001] = 5;
    uint32_t pids[3] = { 0, 1, 2 }, tfs[3] = { 6000, 6000, 2 };
    assert_int_equal(vs_segwriter_add_term(w, "a", 1, 3, pids, tfs, pos, &err), VS_OK);
    assert_int_equal(vs_segwriter_finish(w, path, 1, &err), VS_OK);
    vs_segwriter_free(w);
    vs_segment *s;
    assert_int_equal(vs_segment_open(path, &s, &err), VS_OK);
    uint64_t off = vs_segment_section_off(s, VS_SEC_POSITIONS);
    vs_segment_close(s);
    size_t n = 0;
    uint8_t *bytes = (uint8_t *)tu_slurp(path, &n);
    assert_non_null(bytes);
    /* the first byte of a varint of passage 0's positions on the file's second page, which
     * opening does not verify (passage 2's positions lie pages further): without its
     * continuation bit the varint is two, and the skip stops a byte early; passage 2 then
     * read {1, 2}, without an error */
    size_t at = 4096 + 10;
    at += (at - (size_t)off - 1) & 1;
    assert_true(off < at && at < off + 12000 && off + 24000 > 4 * 4096);
    assert_int_equal(bytes[at], 0xC7); /* gap 199: 0xC7 0x01 */
    bytes[at] = 0x47;
    assert_int_equal(vs_segment_open_mem(bytes, n, "p.vsg", &s, &err), VS_OK);
    vs_term_info ti;
    int found;
    assert_int_equal(vs_segment_lookup(s, "a", 1, &ti, &found, &err), VS_OK);
    assert_true(found);
    vs_plist pl;
    assert_int_equal(vs_plist_open(&pl, s, &ti), VS_OK);
    assert_int_equal(vs_plist_seek(&pl, 2), 2);
    uint32_t p[4];
    assert_int_equal(vs_plist_positions(&pl, p, 4), -1);
    assert_int_equal(pl.rc, VS_ECORRUPT);
    vs_segment_close(s);
    free(bytes);
}

static void test_roundtrip_and_cursor(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/s.vsg", tmpdir);
    write_sample(path);
    vs_segment *s;
    vs_err err;
    assert_int_equal(vs_segment_open(path, &s, &err), VS_OK);
    const vs_segment_meta *m = vs_segment_get_meta(s);
    assert_int_equal(m->n_docs, 100);
    assert_int_equal(m->n_passages, 1000);
    assert_int_equal(m->n_terms, 3);
    assert_int_equal(m->raw_bytes, 12345);
    assert_int_equal(m->n_postings, 1000 + 143 + 1);
    vs_term_info ti;
    int found;
    assert_int_equal(vs_segment_lookup(s, "a", 1, &ti, &found, &err), VS_OK);
    assert_true(found);
    assert_int_equal(ti.df, 1000);
    assert_int_equal(ti.cf, 1999); /* sum of 1 + i % 3 over 0..999: 334 * 1 + 333 * 2 + 333 * 3 */
    assert_int_equal(ti.max_tf, 3);
    assert_int_equal(ti.min_len, 3);
    assert_int_equal(vs_segment_lookup(s, "zz", 2, &ti, &found, &err), VS_OK);
    assert_false(found);
    assert_int_equal(vs_segment_lookup(s, "", 0, &ti, &found, &err), VS_OK);
    assert_false(found);
    /* cursor: sequential, seek across blocks, positions */
    assert_int_equal(vs_segment_lookup(s, "a", 1, &ti, &found, &err), VS_OK);
    vs_plist pl;
    assert_int_equal(vs_plist_open(&pl, s, &ti), VS_OK);
    for (uint32_t i = 0; i < 300; i++) {
        assert_int_equal(pl.doc, i);
        assert_int_equal(vs_plist_tf(&pl), 1 + i % 3);
        uint32_t p[4];
        assert_int_equal(vs_plist_positions(&pl, p, 4), (int)(1 + i % 3));
        assert_int_equal(p[vs_plist_tf(&pl) - 1], 2 * (vs_plist_tf(&pl) - 1));
        vs_plist_next(&pl);
    }
    assert_int_equal(vs_plist_seek(&pl, 777), 777);
    uint32_t p[4];
    assert_int_equal(vs_plist_positions(&pl, p, 4), 1 + 777 % 3);
    uint32_t bt, bl, last;
    assert_true(vs_plist_block_bound(&pl, 900, &bt, &bl, &last));
    assert_true(last >= 900 && bt == 3 && bl == 3);
    assert_int_equal(vs_plist_seek(&pl, 999), 999);
    assert_int_equal(vs_plist_next(&pl), VS_PLIST_END);
    assert_int_equal(pl.rc, VS_OK);
    assert_int_equal(vs_segment_lookup(s, "b", 1, &ti, &found, &err), VS_OK);
    assert_int_equal(vs_plist_open(&pl, s, &ti), VS_OK);
    assert_int_equal(vs_plist_seek(&pl, 500), 504);
    assert_int_equal(vs_plist_seek(&pl, 995), VS_PLIST_END);
    /* documents, passages, stored text, lookup by external id */
    vs_doc_info di;
    assert_int_equal(vs_segment_doc(s, 0, &di, &err), VS_OK);
    assert_int_equal(di.id_len, 8);
    assert_memory_equal(di.id, "doc-0099", 8);
    assert_int_equal(di.first_passage, 0);
    assert_int_equal(di.n_passages, 10);
    uint32_t d;
    assert_int_equal(vs_segment_find_doc(s, "doc-0042", 8, &d, &found, &err), VS_OK);
    assert_true(found);
    assert_int_equal(d, 57);
    assert_int_equal(vs_segment_find_doc(s, "doc-9999", 8, &d, &found, &err), VS_OK);
    assert_false(found);
    vs_passage_info pi;
    assert_int_equal(vs_segment_passage(s, 123, &pi, &err), VS_OK);
    assert_int_equal(pi.doc, 12);
    assert_int_equal(pi.pno, 4);
    assert_int_equal(pi.len, 3 + 123 % 5);
    vs_buf t = VS_BUF_INIT;
    assert_int_equal(vs_segment_text(s, 123, &t, &err), VS_OK);
    assert_string_equal((char *)t.p, "passage 123 text");
    vs_buf_free(&t);
    assert_int_equal(vs_segment_check(s, &err), VS_OK);
    vs_segment_close(s);
}

/* Every byte flip of the file must be caught by open or by check. */
static void test_every_byte_flip_detected(void **state) {
    (void)state;
    char c[160], ix[160];
    snprintf(c, sizeof c, "%s/corpus", tmpdir);
    snprintf(ix, sizeof ix, "%s/ix", tmpdir);
    mkdir(c, 0755);
    FILE *f = fopen(strcat(strcpy((char[200]){0}, c), "/a.txt"), "w");
    assert_non_null(f);
    fputs("Cocoa review\n\nShowers continued throughout the week in the Bahia cocoa zone.\n\n"
          "    Arrivals are expected to be around 5.93 mln bags, 1,750 tonnes more.\n", f);
    fclose(f);
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    vs_build_stats st;
    vs_err err;
    const char *paths[] = { c, "../corpus" }; /* a tiny Reuters-style story and the sample article */
    assert_int_equal(vs_build(ix, paths, 2, &bo, &st, &err), VS_OK);
    /* find the segment file */
    char cmd[256], seg[256];
    snprintf(cmd, sizeof cmd, "ls %s/seg-*.vsg", ix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(seg, sizeof seg, p));
    pclose(p);
    seg[strcspn(seg, "\n")] = '\0';
    size_t n = 0;
    uint8_t *orig = (uint8_t *)tu_slurp(seg, &n);
    assert_non_null(orig);
    uint8_t *b = malloc(n);
    size_t flips = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(b, orig, n);
        b[i] ^= (uint8_t)(1u << (i % 8));
        vs_segment *s = NULL;
        vs_rc rc = vs_segment_open_mem(b, n, "seg", &s, &err);
        if (rc == VS_OK) rc = vs_segment_check(s, &err);
        vs_segment_close(s);
        if (rc != VS_ECORRUPT && rc != VS_EVERSION) fail_msg("flip at byte %zu of %zu not detected (rc %d)", i, n, rc);
        flips++;
    }
    /* truncations */
    for (size_t len = 0; len < n; len += 1 + len / 16) {
        vs_segment *s = NULL;
        vs_rc rc = vs_segment_open_mem(orig, len, "seg", &s, &err);
        if (rc == VS_OK) rc = vs_segment_check(s, &err);
        vs_segment_close(s);
        assert_true(rc == VS_ECORRUPT);
    }
    print_message("segment: %zu byte flips detected\n", flips);
    free(b);
    free(orig);
    /* the MANIFEST: every flip detected, every truncation refused */
    char mp[256];
    snprintf(mp, sizeof mp, "%s/MANIFEST", ix);
    orig = (uint8_t *)tu_slurp(mp, &n);
    assert_non_null(orig);
    vs_manifest m;
    assert_int_equal(vs_manifest_decode(orig, n, "MANIFEST", &m, &err), VS_OK);
    assert_int_equal(m.n_seg, 1);
    assert_int_equal(m.acfg.stem, 1);
    vs_buf enc = VS_BUF_INIT;
    assert_int_equal(vs_manifest_encode(&m, &enc), VS_OK);
    assert_int_equal(enc.len, n);
    assert_memory_equal(enc.p, orig, n);
    vs_buf_free(&enc);
    vs_manifest_free(&m);
    b = malloc(n);
    for (size_t i = 0; i < n; i++) {
        memcpy(b, orig, n);
        b[i] ^= 0x20;
        vs_rc rc = vs_manifest_decode(b, n, "MANIFEST", &m, &err);
        if (rc == VS_OK) vs_manifest_free(&m);
        if (rc != VS_ECORRUPT && rc != VS_EVERSION) fail_msg("MANIFEST flip at %zu not detected", i);
    }
    for (size_t len = 0; len < n; len++) {
        vs_rc rc = vs_manifest_decode(orig, len, "MANIFEST", &m, &err);
        assert_true(rc == VS_ECORRUPT);
    }
    free(b);
    free(orig);
    /* a newer major version is refused with a message that says what to do */
    vs_index *x;
    assert_int_equal(vs_index_open(ix, &x, &err), VS_OK);
    vs_index_close(x);
    orig = (uint8_t *)tu_slurp(mp, &n);
    orig[8] = 2;
    assert_int_equal(vs_manifest_decode(orig, n, "MANIFEST", &m, &err), VS_EVERSION);
    assert_non_null(strstr(err.msg, "rebuild with 'vsearch build'"));
    free(orig);
}

static void test_no_index(void **state) {
    (void)state;
    vs_index *x;
    vs_err err;
    assert_int_equal(vs_index_open("/nonexistent/vsearch-index", &x, &err), VS_ENOENT);
    assert_string_equal(err.msg, "no index at '/nonexistent/vsearch-index': run 'vsearch build' first");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_cursor),
        cmocka_unit_test(test_title_terms),
        cmocka_unit_test(test_positions_skip_is_verified),
        cmocka_unit_test(test_every_byte_flip_detected),
        cmocka_unit_test(test_no_index),
    };
    return cmocka_run_group_tests_name("segment", tests, setup, teardown);
}
