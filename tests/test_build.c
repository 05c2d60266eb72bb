/* test_build.c: building at scale — the same segment for any -j and any memory budget (spilled
 * runs), merges that equal a direct build, add/delete/re-sync sequences that after `merge`
 * answer queries exactly like a from-scratch build of the final corpus, id replacement,
 * deletion errors, the writer lock, the tiered merge policy, readers keeping their snapshot,
 * and damage to deletion files and the file catalog. Inputs are small synthetic JSONL/text
 * files written by the test (no shared corpora needed). */
#include "testutil.h"

#include <dirent.h>
#include <inttypes.h>
#include <unistd.h>

#include "catalog.h"
#include "delfile.h"
#include "ixread.h"
#include "manifest.h"
#include "vsearch.h"
#include "writer.h"

static char root[64];

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/vs-test-build-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd);
}

static void path_of(char *out, size_t n, const char *rel) { snprintf(out, n, "%s/%s", root, rel); }

static void mkdirs(const char *rel) {
    char p[512], cmd[600];
    path_of(p, sizeof p, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *rel, const char *text) {
    char p[512];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A deterministic pseudo-random generator (xorshift) for synthetic text. */
static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *const words[] = {
    "market", "prices", "cocoa", "coffee", "bank", "rates", "trade", "deficit", "oil", "crude", "exports",
    "imports", "growth", "shares", "profit", "loss", "quarter", "company", "government", "minister", "said",
    "tonnes", "wheat", "sugar", "gold", "silver", "dollar", "yen", "interest", "bonds", "inflation", "budget",
    "strike", "port", "rain", "harvest", "stocks", "merger", "dividend", "output", "demand", "supply",
};
#define NWORDS (sizeof words / sizeof *words)

/* JSONL with n documents "<prefix>-<i>", 1-3 paragraphs of 5-40 words each. */
static void write_jsonl(const char *rel, const char *prefix, int n) {
    size_t cap = (size_t)n * 2000 + 1;
    char *buf = malloc(cap), *p = buf;
    for (int i = 0; i < n; i++) {
        p += sprintf(p, "{\"id\":\"%s-%d\",\"title\":\"%s %s\",\"contents\":\"", prefix, i, words[rnd(NWORDS)], words[rnd(NWORDS)]);
        int paras = 1 + (int)rnd(3);
        for (int q = 0; q < paras; q++) {
            if (q) p += sprintf(p, "\\n\\n");
            int nw = 5 + (int)rnd(36);
            for (int k = 0; k < nw; k++) {
                /* one token in four from a vocabulary of 60,000: builds of more than 20,000
                 * terms write their postings on two threads (invert.c, SPLIT_MIN_TERMS) */
                if (rnd(4) == 0) p += sprintf(p, "%sz%u", k ? " " : "", rnd(60000));
                else p += sprintf(p, "%s%s", k ? " " : "", words[rnd(NWORDS)]);
            }
            p += sprintf(p, ".");
        }
        p += sprintf(p, "\"}\n");
    }
    *p = '\0';
    write_file(rel, buf);
    free(buf);
}

static vs_build_opts opts(unsigned threads, uint64_t memory) {
    vs_build_opts o;
    vs_build_opts_default(&o);
    o.threads = threads;
    if (memory) o.memory = memory;
    return o;
}

static void build(const char *idx_rel, const char *src_rel, const vs_build_opts *o, vs_build_stats *st) {
    char ix[512], src[512];
    path_of(ix, sizeof ix, idx_rel);
    path_of(src, sizeof src, src_rel);
    const char *paths[] = { src };
    vs_err err;
    vs_build_stats tmp;
    vs_rc rc = vs_build(ix, paths, 1, o, st ? st : &tmp, &err);
    if (rc != VS_OK) fail_msg("build %s: %s", src_rel, err.msg);
}

/* The one segment file of an index, read whole. */
static char *only_segment(const char *idx_rel, size_t *len) {
    char ix[512], p[1024];
    path_of(ix, sizeof ix, idx_rel);
    DIR *d = opendir(ix);
    assert_non_null(d);
    struct dirent *e;
    char *out = NULL;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, "seg-", 4) == 0 && l > 4 && strcmp(e->d_name + l - 4, ".vsg") == 0) {
            snprintf(p, sizeof p, "%s/%s", ix, e->d_name);
            out = tu_slurp(p, len);
            n++;
        }
    }
    closedir(d);
    assert_int_equal(n, 1);
    return out;
}

static const char *const queries[] = {
    "cocoa prices", "bank rates interest", "trade deficit", "oil", "gold silver dollar", "said", "harvest rain port",
    "merger dividend shares profit", "budget inflation government minister",
};
/* the title field, in the query language (default --title-weight applies to the queries above) */
static const char *const tqueries[] = {
    "title:cocoa", "title:\"gold silver\" oil", "+title:bank +rates", "title:market^2 -title:prices trade",
    "title:harvest OR title:report", "+title:oil +crude",
};

/* Every query's top 40 (doc, passage, exact score, title) as text; also runs `check`. */
static char *answers(const char *idx_rel) {
    char ix[512];
    path_of(ix, sizeof ix, idx_rel);
    vs_index *x;
    vs_err err;
    if (vs_index_open(ix, &x, &err) != VS_OK) fail_msg("open %s: %s", idx_rel, err.msg);
    if (vs_index_check(x, &err) != VS_OK) fail_msg("check %s: %s", idx_rel, err.msg);
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.k = 40;
    so.snippets = 0;
    vs_buf out = VS_BUF_INIT;
    vs_rc rc = VS_OK;
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        vs_results *r;
        assert_int_equal(vs_search(x, queries[q], &so, &r, &err), VS_OK);
        char line[512];
        for (size_t i = 0; i < r->n; i++) {
            int n = snprintf(line, sizeof line, "%zu %s %u %.17g %s N=%" PRIu64 "\n", q, r->hits[i].doc, r->hits[i].passage,
                             r->hits[i].score, r->hits[i].title, r->N);
            vs_buf_put(&out, line, (size_t)n, &rc);
        }
        vs_results_free(r);
    }
    so.syntax = 1;
    for (size_t q = 0; q < sizeof tqueries / sizeof *tqueries; q++) {
        vs_results *r;
        assert_int_equal(vs_search(x, tqueries[q], &so, &r, &err), VS_OK);
        char line[512];
        for (size_t i = 0; i < r->n; i++) {
            int n = snprintf(line, sizeof line, "t%zu %s %u %.17g %s NT=%" PRIu64 "\n", q, r->hits[i].doc, r->hits[i].passage,
                             r->hits[i].score, r->hits[i].title, x->NT);
            vs_buf_put(&out, line, (size_t)n, &rc);
        }
        vs_results_free(r);
    }
    vs_buf_cstr(&out, &rc);
    vs_index_close(x);
    return (char *)out.p;
}

static uint64_t segments_of(const char *idx_rel) {
    char ix[512];
    path_of(ix, sizeof ix, idx_rel);
    vs_manifest m;
    vs_err err;
    assert_int_equal(vs_manifest_read(ix, &m, &err), VS_OK);
    uint64_t n = m.n_seg;
    vs_manifest_free(&m);
    return n;
}

/* -j1, -j2, -j3 and a budget small enough for many spills: the same segment bytes. */
static void test_same_segment_for_any_threads_and_memory(void **state) {
    (void)state;
    mkdirs("c1");
    for (int f = 0; f < 6; f++) {
        char rel[64], pre[16];
        snprintf(rel, sizeof rel, "c1/part-%d.jsonl", f);
        snprintf(pre, sizeof pre, "p%d", f);
        write_jsonl(rel, pre, 400);
    }
    vs_build_opts o1 = opts(1, 0), o2 = opts(2, 0), o3 = opts(3, 1u << 20);
    vs_build_stats s3;
    build("i-j1", "c1", &o1, NULL);
    build("i-j2", "c1", &o2, NULL);
    build("i-j3-small", "c1", &o3, &s3);
    assert_true(s3.spills >= 3);
    assert_true(s3.terms > 20000);
    size_t n1, n2, n3;
    char *a = only_segment("i-j1", &n1), *b = only_segment("i-j2", &n2), *c = only_segment("i-j3-small", &n3);
    assert_int_equal(n1, n2);
    assert_int_equal(n1, n3);
    assert_memory_equal(a, b, n1);
    assert_memory_equal(a, c, n1);
    free(a);
    free(b);
    free(c);
}

/* add, re-sync (changed, removed, new files), delete, merge == a build of the final corpus. */
static void test_incremental_equals_scratch_after_merge(void **state) {
    (void)state;
    rng = 88172645463325252ull;
    mkdirs("inc/src");
    mkdirs("scr/src");
    write_jsonl("inc/src/a.jsonl", "a", 120);
    write_jsonl("inc/src/b.jsonl", "b", 80);
    write_jsonl("inc/src/c.jsonl", "c", 60);
    write_file("inc/src/note.txt", "Harvest report\n\nRain delayed the cocoa harvest at the port.\n");
    vs_build_opts o = opts(2, 0);
    vs_build_stats st;
    build("inc/ix", "inc/src", &o, &st);
    assert_int_equal(st.mode, VS_BUILD_CREATED);
    /* unchanged: nothing written */
    build("inc/ix", "inc/src", &o, &st);
    assert_int_equal(st.mode, VS_BUILD_UP_TO_DATE);
    assert_int_equal(st.files_unchanged, 4);
    /* change b, remove c, add d; re-sync */
    write_jsonl("inc/src/b.jsonl", "b", 90);
    char p[512];
    path_of(p, sizeof p, "inc/src/c.jsonl");
    unlink(p);
    write_jsonl("inc/src/d.jsonl", "d", 50);
    build("inc/ix", "inc/src", &o, &st);
    assert_int_equal(st.mode, VS_BUILD_SYNCED);
    assert_int_equal(st.files_new, 1);
    assert_int_equal(st.files_changed, 1);
    assert_int_equal(st.files_removed, 1);
    assert_int_equal(st.files_unchanged, 2);
    assert_int_equal(st.docs_deleted, 80 + 60);
    /* add a file from elsewhere: a new segment; one of its ids replaces a-7 */
    mkdirs("inc/extra");
    write_jsonl("inc/extra/e.jsonl", "e", 30);
    write_file("inc/extra/a7.jsonl", "{\"id\":\"a-7\",\"title\":\"replaced\",\"contents\":\"gold silver dollar cocoa.\"}\n");
    char ix[512], ex[512];
    path_of(ix, sizeof ix, "inc/ix");
    path_of(ex, sizeof ex, "inc/extra");
    const char *paths[] = { ex };
    vs_err err;
    assert_int_equal(vs_add(ix, paths, 1, &o, &st, &err), VS_OK);
    assert_int_equal(st.docs_deleted, 1);
    /* delete two documents */
    const char *ids[] = { "a-3", "d-10" };
    uint64_t np = 0;
    assert_int_equal(vs_delete(ix, ids, 2, &np, &err), VS_OK);
    assert_true(np >= 2);
    assert_true(segments_of("inc/ix") >= 2);
    /* an index with deletions still checks; N counts deleted passages until the merge */
    free(answers("inc/ix"));
    assert_int_equal(vs_merge(ix, 1, NULL, &st, &err), VS_OK);
    assert_int_equal(segments_of("inc/ix"), 1);

    /* the same final corpus from scratch: a (without a-3 and a-7), b', d (without d-10), e,
     * a-7's replacement, note.txt */
    rng = 88172645463325252ull;
    write_jsonl("scr/src/a.jsonl", "a", 120);
    write_jsonl("scr/src/b.jsonl", "b", 80);
    write_jsonl("scr/src/c.jsonl", "c", 60);
    write_jsonl("scr/src/b.jsonl", "b", 90);
    write_jsonl("scr/src/d.jsonl", "d", 50);
    write_jsonl("scr/src/e.jsonl", "e", 30);
    /* drop a-3, a-7 and d-10 by rewriting those files without them (same text otherwise) */
    const char *fix[][2] = { { "scr/src/a.jsonl", "\"a-3\"" }, { "scr/src/a.jsonl", "\"a-7\"" }, { "scr/src/d.jsonl", "\"d-10\"" } };
    for (size_t k = 0; k < 3; k++) {
        char fp[512];
        path_of(fp, sizeof fp, fix[k][0]);
        size_t n;
        char *t = tu_slurp(fp, &n), *line = strstr(t, fix[k][1]);
        assert_non_null(line);
        while (line > t && line[-1] != '\n') line--;
        char *end = strchr(line, '\n') + 1;
        memmove(line, end, strlen(end) + 1);
        write_file(fix[k][0], t);
        free(t);
    }
    write_file("scr/src/z-a7.jsonl", "{\"id\":\"a-7\",\"title\":\"replaced\",\"contents\":\"gold silver dollar cocoa.\"}\n");
    write_file("scr/src/note.txt", "Harvest report\n\nRain delayed the cocoa harvest at the port.\n");
    path_of(p, sizeof p, "scr/src/c.jsonl");
    unlink(p);
    build("scr/ix", "scr/src", &o, NULL);
    char *x = answers("inc/ix"), *y = answers("scr/ix");
    /* text documents are identified by their path: that one differs by the root */
    char *q;
    while ((q = strstr(x, "inc/src/note.txt")) != NULL) memcpy(q, "scr", 3);
    if (strcmp(x, y) != 0) {
        fprintf(stderr, "incremental:\n%.2000s\nscratch:\n%.2000s\n", x, y);
        fail_msg("incremental + merge differs from scratch");
    }
    assert_true(strlen(x) > 1000);
    free(x);
    free(y);
}

static void test_delete_errors_and_lock(void **state) {
    (void)state;
    mkdirs("del/src");
    write_jsonl("del/src/a.jsonl", "a", 20);
    vs_build_opts o = opts(1, 0);
    build("del/ix", "del/src", &o, NULL);
    char ix[512];
    path_of(ix, sizeof ix, "del/ix");
    vs_manifest m0, m1;
    vs_err err;
    assert_int_equal(vs_manifest_read(ix, &m0, &err), VS_OK);
    const char *ids[] = { "a-1", "no-such-doc" };
    assert_int_equal(vs_delete(ix, ids, 2, NULL, &err), VS_EDATA);
    assert_non_null(strstr(err.msg, "no document with id 'no-such-doc'"));
    assert_int_equal(vs_manifest_read(ix, &m1, &err), VS_OK);
    assert_int_equal(m0.generation, m1.generation); /* nothing committed */
    vs_manifest_free(&m0);
    vs_manifest_free(&m1);
    /* deleting twice: the second time the id is unknown */
    const char *one[] = { "a-1" };
    assert_int_equal(vs_delete(ix, one, 1, NULL, &err), VS_OK);
    assert_int_equal(vs_delete(ix, one, 1, NULL, &err), VS_EDATA);
    /* no index */
    char none[512];
    path_of(none, sizeof none, "del/none");
    assert_int_equal(vs_delete(none, one, 1, NULL, &err), VS_ENOENT);
    /* a second writer is refused with the holder's pid */
    vs_writer *w;
    assert_int_equal(vs_writer_open(ix, 0, &w, &err), VS_OK);
    const char *paths[] = { ix };
    vs_build_stats st;
    assert_int_equal(vs_add(ix, paths, 1, &o, &st, &err), VS_EIO);
    char want[64];
    snprintf(want, sizeof want, "locked by another writer (pid %ld)", (long)getpid());
    assert_non_null(strstr(err.msg, want));
    vs_writer_close(w);
}

static void test_add_replaces_ids_and_policy_bounds_segments(void **state) {
    (void)state;
    mkdirs("pol");
    write_file("pol/0.jsonl", "{\"id\":\"d1\",\"title\":\"t\",\"contents\":\"alpha words here.\"}\n");
    vs_build_opts o = opts(2, 0);
    build("pol/ix", "pol/0.jsonl", &o, NULL);
    char ix[512], f[512];
    path_of(ix, sizeof ix, "pol/ix");
    vs_err err;
    vs_build_stats st;
    uint64_t maxseg = 0, merges = 0;
    for (int i = 1; i <= 25; i++) {
        char rel[64], text[256];
        snprintf(rel, sizeof rel, "pol/%d.jsonl", i);
        snprintf(text, sizeof text, "{\"id\":\"d%d\",\"title\":\"t\",\"contents\":\"%s beta number%d.\"}\n", i == 25 ? 1 : i + 1,
                 i == 25 ? "gamma" : "more", i);
        write_file(rel, text);
        path_of(f, sizeof f, rel);
        const char *paths[] = { f };
        assert_int_equal(vs_add(ix, paths, 1, &o, &st, &err), VS_OK);
        if (st.segments > maxseg) maxseg = st.segments;
        merges += st.merges;
    }
    assert_true(maxseg <= VS_MERGE_FACTOR - 1);
    assert_true(merges >= 2);
    /* the 25th add replaced d1: "alpha" is gone, "gamma" finds d1 */
    vs_index *x;
    assert_int_equal(vs_index_open(ix, &x, &err), VS_OK);
    vs_search_opts so;
    vs_search_opts_default(&so);
    vs_results *r;
    assert_int_equal(vs_search(x, "alpha", &so, &r, &err), VS_OK);
    assert_int_equal(r->n, 0);
    vs_results_free(r);
    assert_int_equal(vs_search(x, "gamma", &so, &r, &err), VS_OK);
    assert_int_equal(r->n, 1);
    assert_string_equal(r->hits[0].doc, "d1");
    vs_results_free(r);
    /* a reader keeps its snapshot across a merge that removes the files it mapped */
    assert_int_equal(vs_merge(ix, 1, NULL, &st, &err), VS_OK);
    assert_int_equal(vs_search(x, "gamma beta", &so, &r, &err), VS_OK);
    assert_true(r->n >= 2);
    vs_results_free(r);
    assert_int_equal(vs_index_check(x, &err), VS_OK);
    vs_index_close(x);
    vs_index_stats is;
    assert_int_equal(vs_index_open(ix, &x, &err), VS_OK);
    assert_int_equal(vs_index_stats_get(x, &is, &err), VS_OK);
    assert_int_equal(is.segments, 1);
    assert_int_equal(is.documents, 25);
    assert_int_equal(is.deleted_documents, 0);
    vs_index_close(x);
}

/* Every byte flip of a deletion file and of a catalog is refused; so is a swapped file. */
static void test_deletion_file_and_catalog_damage(void **state) {
    (void)state;
    uint8_t bits[3] = { 0x05, 0x80, 0x01 };
    vs_buf b = VS_BUF_INIT;
    uint64_t h;
    assert_int_equal(vs_delfile_encode(42, 17, bits, &b, &h), VS_OK);
    uint8_t *out;
    uint32_t nd;
    vs_err err;
    assert_int_equal(vs_delfile_decode(b.p, b.len, "d", 42, 17, &out, &nd, NULL, &err), VS_OK);
    assert_int_equal(nd, 4);
    assert_memory_equal(out, bits, 3);
    free(out);
    assert_int_equal(vs_delfile_decode(b.p, b.len, "d", 43, 17, &out, &nd, NULL, &err), VS_ECORRUPT);
    assert_non_null(strstr(err.msg, "another segment"));
    for (size_t i = 0; i < b.len; i++) {
        b.p[i] ^= 0x10;
        vs_rc rc = vs_delfile_decode(b.p, b.len, "d", 42, 17, &out, &nd, NULL, &err);
        if (rc == VS_OK) fail_msg("deletion file flip at %zu accepted", i);
        assert_true(rc == VS_ECORRUPT || rc == VS_EVERSION);
        b.p[i] ^= 0x10;
    }
    for (size_t len = 0; len < b.len; len++)
        assert_int_not_equal(vs_delfile_decode(b.p, len, "d", 42, 17, &out, &nd, NULL, &err), VS_OK);
    vs_buf_free(&b);

    vs_catalog c = { 0 };
    vs_catalog_file f1 = { .path = "b/x.txt", .size = 10, .mtime_ns = -5, .hash = 7, .seg = 9, .first_doc = 1, .n_docs = 2 };
    vs_catalog_file f2 = { .path = "a.trec", .size = 1, .mtime_ns = 1, .hash = 2, .format = 2 };
    assert_int_equal(vs_catalog_add(&c, &f1), VS_OK);
    assert_int_equal(vs_catalog_add(&c, &f2), VS_OK);
    vs_catalog_sort(&c);
    assert_string_equal(c.v[0].path, "a.trec");
    assert_int_equal(vs_catalog_encode(&c, &b, &h), VS_OK);
    vs_catalog d;
    assert_int_equal(vs_catalog_decode(b.p, b.len, "c", &d, NULL, &err), VS_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.v[1].mtime_ns, -5);
    assert_non_null(vs_catalog_find(&d, "b/x.txt"));
    assert_null(vs_catalog_find(&d, "b"));
    vs_catalog_free(&d);
    for (size_t i = 0; i < b.len; i++) {
        b.p[i] ^= 0x01;
        vs_rc rc = vs_catalog_decode(b.p, b.len, "c", &d, NULL, &err);
        if (rc == VS_OK) fail_msg("catalog flip at %zu accepted", i);
        b.p[i] ^= 0x01;
    }
    vs_buf_free(&b);
    vs_catalog_free(&c);

    /* an index whose deletion file is damaged does not open */
    mkdirs("dmg/src");
    write_jsonl("dmg/src/a.jsonl", "a", 10);
    vs_build_opts o = opts(1, 0);
    build("dmg/ix", "dmg/src", &o, NULL);
    char ix[512];
    path_of(ix, sizeof ix, "dmg/ix");
    const char *ids[] = { "a-2" };
    assert_int_equal(vs_delete(ix, ids, 1, NULL, &err), VS_OK);
    vs_manifest m;
    assert_int_equal(vs_manifest_read(ix, &m, &err), VS_OK);
    assert_non_null(m.seg[0].del_name);
    char dp[1024];
    snprintf(dp, sizeof dp, "%s/%s", ix, m.seg[0].del_name);
    vs_manifest_free(&m);
    size_t n;
    char *t = tu_slurp(dp, &n);
    t[32] ^= 0x01; /* another document deleted, checksum not updated */
    FILE *fp = fopen(dp, "wb");
    fwrite(t, 1, n, fp);
    fclose(fp);
    free(t);
    vs_index *x;
    assert_int_equal(vs_index_open(ix, &x, &err), VS_ECORRUPT);
    assert_non_null(strstr(err.msg, "checksum mismatch"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_segment_for_any_threads_and_memory),
        cmocka_unit_test(test_incremental_equals_scratch_after_merge),
        cmocka_unit_test(test_delete_errors_and_lock),
        cmocka_unit_test(test_add_replaces_ids_and_policy_bounds_segments),
        cmocka_unit_test(test_deletion_file_and_catalog_damage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
