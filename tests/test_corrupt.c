/* test_corrupt.c: damage to every file of a real index directory, end to end through the public
 * API (vs_index_open, vs_search, vs_index_check), in process (tests/cli/corrupt.sh does a sample
 * of the same through the CLI).
 *
 * A small index is built from corpus/ and two fixtures (one segment of ~17 KB, a MANIFEST, a
 * LOCK). Then, for every byte offset of every file in the directory (a file larger than 8 KiB:
 * every offset of its first and last 4 KiB and every STRIDE-th in between; STRIDE is 1 while the
 * segment is this small), three kinds of damage, one at a time:
 *   flip:     the byte XOR 0xFF
 *   truncate: the file cut to that length
 *   zero:     4 KiB of zeros written from that offset (inside the file; skipped when the bytes
 *             were zero already, because then nothing changed)
 * and, for each, what DESIGN.md §9 promises:
 *   - MANIFEST or segment damaged: vs_index_open fails with VS_ECORRUPT / VS_EVERSION, or every
 *     query either returns exactly the hits of the intact index (scores bit for bit, passages,
 *     snippets) or fails with VS_ECORRUPT / VS_EVERSION, and vs_index_check then fails with
 *     VS_ECORRUPT / VS_EVERSION. Never VS_OK from check, never a different answer, never a crash.
 *     Every message names the damaged file; messages that give no byte offset are counted and
 *     must be one of the few kinds that need none (bad magic, version, size).
 *   - LOCK damaged (its content is informational): open, queries and check behave exactly as on
 *     the intact index, and a rebuild over the directory succeeds.
 * The number of cases is printed; the run takes a few seconds (longer under ASan/valgrind). */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "vsearch.h"

#define STRIDE 1          /* offsets between the first and last page of a big file: every STRIDE-th */
#define PAGE 4096

static char dir[64];
static const char *const queries[] = {
    "security cooperation", "uzbekistan russia trade", "\"security cooperation\" +putin", "german gas profits", "armenia emoji",
};
#define NQ (sizeof queries / sizeof *queries)

typedef struct hitkey {
    double score;
    char doc[128];
    uint32_t passage;
    uint64_t text_hash;
} hitkey;

typedef struct answer {
    size_t n;
    hitkey h[10];
} answer;

static answer base[NQ];

static size_t n_cases, n_open_fail, n_query_fail, n_query_same, n_check_fail, n_no_offset, n_unchanged;

static void build_index(void) {
    vs_build_opts bo;
    vs_build_opts_default(&bo);
    vs_build_stats st;
    vs_err err;
    const char *paths[] = { "../corpus", "fixtures/source/sample.trec", "fixtures/source/sample.jsonl" };
    assert_int_equal(vs_build(dir, paths, 3, &bo, &st, &err), VS_OK);
}

static int setup(void **state) {
    (void)state;
    /* tens of thousands of small rewrites: in memory (/dev/shm) when there is one */
    struct stat st;
    snprintf(dir, sizeof dir, "%s/vs-test-corrupt-XXXXXX", stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) return -1;
    build_index();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static vs_rc answer_of(vs_index *ix, const char *q, answer *a, vs_err *err) {
    vs_search_opts o;
    vs_search_opts_default(&o);
    o.syntax = 1;
    vs_results *r = NULL;
    vs_rc rc = vs_search(ix, q, &o, &r, err);
    if (rc != VS_OK) return rc;
    memset(a, 0, sizeof *a);
    a->n = r->n < 10 ? r->n : 10;
    for (size_t i = 0; i < a->n; i++) {
        a->h[i].score = r->hits[i].score;
        snprintf(a->h[i].doc, sizeof a->h[i].doc, "%s", r->hits[i].doc);
        a->h[i].passage = r->hits[i].passage;
        uint64_t h = 1469598103934665603ull; /* FNV-1a of text + snippet */
        for (const char *p = r->hits[i].text ? r->hits[i].text : ""; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
        for (const char *p = r->hits[i].snippet ? r->hits[i].snippet : ""; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
        a->h[i].text_hash = h;
    }
    vs_results_free(r);
    return VS_OK;
}

static int same_answer(const answer *a, const answer *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (memcmp(&a->h[i].score, &b->h[i].score, sizeof(double)) != 0 || strcmp(a->h[i].doc, b->h[i].doc) != 0 ||
            a->h[i].passage != b->h[i].passage || a->h[i].text_hash != b->h[i].text_hash)
            return 0;
    return 1;
}

/* A damage report: right code, names the file, and gives an offset unless it is one of the
 * kinds of message that cannot (the file is not ours, claims another version, is too short). */
static void expect_damage(vs_rc rc, const vs_err *err, const char *file, const char *what) {
    if (!(rc == VS_ECORRUPT || rc == VS_EVERSION) || !strstr(err->msg, file))
        fail_msg("%s: rc %d, message '%s' (file '%s')", what, (int)rc, err->msg, file);
    if (!strstr(err->msg, " byte ")) {
        n_no_offset++;
        if (!strstr(err->msg, "bad magic") && !strstr(err->msg, "format") && !strstr(err->msg, "too short") &&
            !strstr(err->msg, "inconsistent"))
            fail_msg("%s: message without an offset: '%s'", what, err->msg);
    }
}

/* Runs the promises on the current state of the directory. damaged: the file (name) that was
 * damaged, or NULL when the index must behave as intact (LOCK damage). */
static void verify(const char *damaged, const char *what) {
    n_cases++;
    vs_index *ix = NULL;
    vs_err err;
    vs_rc rc = vs_index_open(dir, &ix, &err);
    if (rc != VS_OK) {
        if (!damaged) fail_msg("%s: open fails: %s", what, err.msg);
        expect_damage(rc, &err, damaged, what);
        n_open_fail++;
        return;
    }
    for (size_t q = 0; q < NQ; q++) {
        answer a;
        rc = answer_of(ix, queries[q], &a, &err);
        if (rc != VS_OK) {
            if (!damaged) fail_msg("%s: query '%s' fails: %s", what, queries[q], err.msg);
            expect_damage(rc, &err, damaged, what);
            n_query_fail++;
        } else if (!same_answer(&a, &base[q])) {
            fail_msg("%s: query '%s' answers differently from the intact index (silently wrong)", what, queries[q]);
        } else {
            n_query_same++;
        }
    }
    rc = vs_index_check(ix, &err);
    if (damaged) {
        if (rc == VS_OK) fail_msg("%s: check accepts the damaged index", what);
        expect_damage(rc, &err, damaged, what);
        n_check_fail++;
    } else if (rc != VS_OK) {
        fail_msg("%s: check fails: %s", what, err.msg);
    }
    vs_index_close(ix);
}

typedef struct file {
    char name[256];
    char path[512];
    uint8_t *orig;
    size_t len;
} file;

static void load(file *f, const char *name) {
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
    f->orig = (uint8_t *)tu_slurp(f->path, &f->len);
    assert_non_null(f->orig);
}

static void put(const file *f, const uint8_t *p, size_t n) {
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static void restore(const file *f) { put(f, f->orig, f->len); }

/* VSEARCH_CORRUPT_SAMPLE=N (make valgrind sets it) keeps only every N-th offset, but for the
 * first and last 64 bytes of each file (headers, trailers): a sample for slow tools. */
static size_t sample = 1;

static int wanted(const file *f, size_t off) {
    if (sample > 1) return off < 64 || off + 64 >= f->len || off % sample == 0;
    if (f->len <= 2 * PAGE) return 1;
    return off < PAGE || off >= f->len - PAGE || off % STRIDE == 0;
}

/* Every kind of damage at every wanted offset of f; damaged = what messages must name. */
static void damage_file(const file *f, const char *damaged) {
    uint8_t *buf = malloc(f->len + 1);
    assert_non_null(buf);
    char what[512];
    for (size_t off = 0; off < f->len; off++) {
        if (!wanted(f, off)) continue;
        /* flip */
        memcpy(buf, f->orig, f->len);
        buf[off] ^= 0xFF;
        put(f, buf, f->len);
        snprintf(what, sizeof what, "%s: byte %zu flipped", f->name, off);
        verify(damaged, what);
        /* truncate */
        put(f, f->orig, off);
        snprintf(what, sizeof what, "%s: truncated to %zu bytes", f->name, off);
        verify(damaged, what);
        /* zero a page from off */
        memcpy(buf, f->orig, f->len);
        size_t end = off + PAGE < f->len ? off + PAGE : f->len;
        int changed = 0;
        for (size_t i = off; i < end; i++) changed |= buf[i];
        if (changed || !damaged) {
            memset(buf + off, 0, end - off);
            put(f, buf, f->len);
            snprintf(what, sizeof what, "%s: 4 KiB zeroed at %zu", f->name, off);
            verify(changed ? damaged : NULL, what);
        } else {
            n_unchanged++;
        }
        restore(f);
    }
    free(buf);
}

static void list_dir(char names[][256], size_t *n) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && *n < 8) snprintf(names[(*n)++], 256, "%s", e->d_name);
    closedir(d);
}

static void test_every_file_every_byte(void **state) {
    (void)state;
    vs_index *ix;
    vs_err err;
    assert_int_equal(vs_index_open(dir, &ix, &err), VS_OK);
    for (size_t q = 0; q < NQ; q++) assert_int_equal(answer_of(ix, queries[q], &base[q], &err), VS_OK);
    assert_true(base[0].n > 0 && base[1].n > 0 && base[2].n > 0 && base[3].n > 0);
    assert_int_equal(vs_index_check(ix, &err), VS_OK);
    vs_index_close(ix);

    char names[8][256];
    size_t n;
    list_dir(names, &n);
    int seen_manifest = 0, seen_seg = 0, seen_lock = 0;
    for (size_t i = 0; i < n; i++) {
        file f;
        load(&f, names[i]);
        if (strcmp(f.name, "LOCK") == 0) {
            seen_lock = 1;
            damage_file(&f, NULL);
        } else {
            seen_manifest |= strcmp(f.name, "MANIFEST") == 0;
            seen_seg |= strstr(f.name, ".vsg") != NULL;
            damage_file(&f, f.name);
        }
        restore(&f);
        free(f.orig);
    }
    assert_true(seen_manifest && seen_seg && seen_lock);
    verify(NULL, "restored index");
    print_message("corruption: %zu damaged states of %zu files: open refused %zu, queries failed %zu, answered"
                  " as intact %zu, check refused %zu, messages without offset %zu (magic/version/size),"
                  " zero pages that changed nothing %zu\n",
                  n_cases, n, n_open_fail, n_query_fail, n_query_same, n_check_fail, n_no_offset, n_unchanged);
}

/* A damaged, missing or odd LOCK never stops a reader or a writer. */
static void test_lock_does_not_matter(void **state) {
    (void)state;
    char lock[512];
    snprintf(lock, sizeof lock, "%s/LOCK", dir);
    static const char *const contents[] = { "", "garbage\xff\xfe not a pid\n", "999999999\n", "0\n" };
    for (size_t i = 0; i <= sizeof contents / sizeof *contents; i++) {
        if (i < sizeof contents / sizeof *contents) {
            FILE *f = fopen(lock, "wb");
            assert_non_null(f);
            fputs(contents[i], f);
            fclose(f);
        } else {
            unlink(lock); /* missing */
        }
        verify(NULL, "LOCK replaced");
        build_index(); /* a writer takes the LOCK whatever it contained */
        verify(NULL, "rebuilt over a damaged LOCK");
    }
}

/* Exit codes: no MANIFEST at all is VS_ENOENT (66); a MANIFEST naming a missing segment is 65. */
static void test_missing_files(void **state) {
    (void)state;
    char names[8][256], p[600], q[600];
    size_t n;
    list_dir(names, &n);
    vs_index *ix;
    vs_err err;
    for (size_t i = 0; i < n; i++) {
        if (!strstr(names[i], ".vsg")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        snprintf(q, sizeof q, "%s/%s.away", dir, names[i]);
        assert_int_equal(rename(p, q), 0);
        vs_rc rc = vs_index_open(dir, &ix, &err);
        assert_int_equal(rc, VS_ECORRUPT);
        assert_non_null(strstr(err.msg, names[i]));
        assert_int_equal(rename(q, p), 0);
    }
    snprintf(p, sizeof p, "%s/MANIFEST", dir);
    snprintf(q, sizeof q, "%s/MANIFEST.away", dir);
    assert_int_equal(rename(p, q), 0);
    assert_int_equal(vs_index_open(dir, &ix, &err), VS_ENOENT);
    assert_int_equal(rename(q, p), 0);
    assert_int_equal(vs_index_open(dir, &ix, &err), VS_OK);
    vs_index_close(ix);
}

int main(void) {
    const char *e = getenv("VSEARCH_CORRUPT_SAMPLE");
    if (e && atoi(e) > 1) sample = (size_t)atoi(e);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_file_every_byte),
        cmocka_unit_test(test_lock_does_not_matter),
        cmocka_unit_test(test_missing_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
