/* test_analyze.c: the analyzer (index/analyze.h): tokens, folding, numbers, possessives,
 * stemming, stopwords and positions, byte offsets, the term cache, hostile input, and the
 * config's stopword files and binary encoding. Expected terms are real utf8proc 2.8 /
 * libstemmer 2.2 English output. */
#include "testutil.h"

#include <unistd.h>
#include <xxhash.h>

#include "analyze.h"
#include "buf.h"

#define MAXT 64

/* corpus/000_79d01c390d725485.txt: 1526 tokens, 1035 of them not stopwords (cross-checked with
 * an independent regex implementation of the same rules over the file). */
#define SAMPLE_TOKENS 1526
#define SAMPLE_KEPT 1035

struct toks {
    size_t n;
    char term[MAXT][VS_MAX_TOKEN + 1];
    uint32_t len[MAXT], pos[MAXT], start[MAXT], end[MAXT];
    uint32_t next_pos, n_tokens;
    size_t stop_after; /* 0: never stop */
};

static int collect(void *ctx, const vs_token *t) {
    struct toks *k = ctx;
    assert_true(t->len <= VS_MAX_TOKEN);
    assert_int_equal(strlen(t->term), t->len); /* NUL-terminated, no NUL inside */
    if (k->n < MAXT) {
        memcpy(k->term[k->n], t->term, t->len + 1);
        k->len[k->n] = t->len;
        k->pos[k->n] = t->pos;
        k->start[k->n] = t->start;
        k->end[k->n] = t->end;
    }
    k->n++;
    return k->stop_after && k->n >= k->stop_after;
}

static vs_analyzer *make(int stem, int stop_default) {
    vs_analyze_config c;
    vs_analyze_config_default(&c);
    c.stem = stem;
    c.stop_default = stop_default;
    vs_analyzer *a = NULL;
    vs_err err;
    assert_int_equal(vs_analyze_new(&c, &a, &err), VS_OK);
    assert_non_null(a);
    return a;
}

static void run_n(vs_analyzer *a, const char *text, size_t len, uint32_t first, struct toks *k) {
    size_t stop = k->stop_after;
    memset(k, 0, sizeof *k);
    k->stop_after = stop;
    assert_int_equal(vs_analyze_text(a, text, len, first, collect, k, &k->next_pos, &k->n_tokens),
                     VS_OK);
    assert_int_equal(k->n_tokens, k->n);
}

/* Terms of text with the given settings, joined by spaces (for compact assertions). */
static char *terms(int stem, int stop, const char *text) {
    static char out[MAXT * (VS_MAX_TOKEN + 1) + 1];
    static struct toks k;
    vs_analyzer *a = make(stem, stop);
    k.stop_after = 0;
    run_n(a, text, strlen(text), 0, &k);
    vs_analyze_free(a);
    out[0] = '\0';
    for (size_t i = 0; i < k.n && i < MAXT; i++) {
        if (i) strcat(out, " ");
        strcat(out, k.term[i]);
    }
    return out;
}

/* A bounded term cache (vs_analyze_set_cache_limit, as build sets it from --memory) clears
 * itself often on a large vocabulary, never holds more than its limit, and changes no token. */
static int hash_tok(void *ctx, const vs_token *t) {
    uint64_t *h = ctx;
    uint64_t v[3] = { XXH3_64bits(t->term, t->len), t->pos, *h };
    *h = XXH3_64bits(v, sizeof v);
    return 0;
}

static void test_bounded_cache_gives_the_same_tokens(void **state) {
    (void)state;
    vs_buf text = VS_BUF_INIT;
    char w[64];
    for (uint32_t i = 0; i < 60000; i++) { /* 60k distinct words, each twice, stems and stopwords */
        int n = snprintf(w, sizeof w, "Word%uing the w%u-%x ", i * 7919u % 60000u, i, i);
        assert_int_equal(vs_buf_append(&text, w, (size_t)n), VS_OK);
    }
    vs_analyzer *big = make(1, 1), *small = make(1, 1);
    assert_int_equal(vs_analyze_set_cache_limit(small, 1), VS_OK); /* raised to 256 KiB */
    uint64_t h1 = 0, h2 = 0;
    uint32_t n1 = 0, n2 = 0;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(vs_analyze_text(big, (const char *)text.p, text.len, 0, hash_tok, &h1, NULL, &n1), VS_OK);
        assert_int_equal(vs_analyze_text(small, (const char *)text.p, text.len, 0, hash_tok, &h2, NULL, &n2), VS_OK);
        assert_int_equal(n1, n2);
        assert_true(h1 == h2);
        assert_true(vs_analyze_cache_bytes(small) <= (256u << 10));
    }
    assert_true(vs_analyze_cache_bytes(big) > (1u << 20)); /* the default bound let it grow */
    /* a limit set on a full cache empties it and gives back what is above the new bound */
    assert_int_equal(vs_analyze_set_cache_limit(big, 512u << 10), VS_OK);
    assert_true(vs_analyze_cache_bytes(big) <= (512u << 10));
    assert_int_equal(vs_analyze_text(big, (const char *)text.p, text.len, 0, hash_tok, &h1, NULL, &n1), VS_OK);
    assert_int_equal(vs_analyze_text(small, (const char *)text.p, text.len, 0, hash_tok, &h2, NULL, &n2), VS_OK);
    assert_true(h1 == h2);
    assert_true(vs_analyze_cache_bytes(big) <= (512u << 10));
    vs_analyze_free(big);
    vs_analyze_free(small);
    vs_buf_free(&text);
}

static void test_default_config(void **state) {
    (void)state;
    vs_analyze_config c;
    vs_analyze_config_default(&c);
    assert_int_equal(c.stem, 1);
    assert_int_equal(c.stop_default, 1);
    assert_null(c.stopwords);
    assert_int_equal(c.n_stopwords, 0);
    vs_analyze_config_free(&c);
    vs_analyze_config_free(NULL);
    vs_analyze_free(NULL);
}

static void test_fold_case_and_keep_decimal_numbers(void **state) {
    (void)state;
    assert_string_equal(terms(0, 0, "BAHIA COCOA review: 5.93 mln bags"),
                        "bahia cocoa review 5.93 mln bags");
    assert_string_equal(terms(0, 0, "155,221 bags of 60 kilos; 1,750.25 dlrs"),
                        "155,221 bags of 60 kilos 1,750.25 dlrs");
    /* '.' / ',' only between two numbers */
    assert_string_equal(terms(0, 0, "trailing 5. and 5, then .5 and 1.2.3 v1.2 a.b x,y"),
                        "trailing 5 and 5 then 5 and 1.2.3 v1.2 a b x y");
    assert_string_equal(terms(0, 0, "U.S. e.g."), "u s e g");
}

static void test_unicode_folding(void **state) {
    (void)state;
    assert_string_equal(terms(0, 0, "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c\xef\xbd\x97"
                                    "\xef\xbd\x89\xef\xbd\x84\xef\xbd\x94\xef\xbd\x88"), /* Ｆｕｌｌｗｉｄｔｈ */
                        "fullwidth");
    assert_string_equal(terms(0, 0, "Stra\xc3\x9f" "e"), "strasse");         /* Straße */
    assert_string_equal(terms(0, 0, "\xc3\x89" "COLE"), "\xc3\xa9" "cole");  /* ÉCOLE -> école */
    assert_string_equal(terms(0, 0, "e\xcc\x81" "cole"), "\xc3\xa9" "cole"); /* e + U+0301: composed */
    assert_string_equal(terms(0, 0, "\xef\xac\x81nance na\xc3\xafve"),      /* ﬁnance naïve */
                        "finance na\xc3\xafve");
    assert_string_equal(terms(0, 0, "x\xc2\xb2"), "x2");                    /* x² (NFKC) */
    /* CJK ideographs are one token each; other scripts are runs of letters */
    assert_string_equal(terms(0, 0, "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd \xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1"),
                        "\xe6\x9d\xb1 \xe4\xba\xac \xe9\x83\xbd \xce\xb1\xce\xb8\xce\xae\xce\xbd\xce\xb1"); /* Αθήνα -> αθήνα */
    /* a mark with nothing before it is not a word */
    assert_string_equal(terms(0, 0, "\xcc\x81 kl"), "kl");
}

static void test_apostrophes_and_possessives(void **state) {
    (void)state;
    assert_string_equal(terms(0, 0, "Putin's visit to Uzbekistan\xe2\x80\x99s capital"),
                        "putin visit to uzbekistan capital");
    assert_string_equal(terms(0, 0, "don't DON\xe2\x80\x99T o'neil"), "don't don't o'neil");
    assert_string_equal(terms(0, 0, "'quoted' rock 'n' roll the Joneses' dog"),
                        "quoted rock n roll the joneses dog");
    assert_string_equal(terms(0, 0, "1990's"), "1990 s"); /* only between letters */
    /* the possessive is dropped before the stopword check, as in Lucene */
    assert_string_equal(terms(0, 1, "it's Putin's"), "putin");
}

static void test_hyphens_split(void **state) {
    (void)state;
    assert_string_equal(terms(0, 0, "people-to-people Russia-Uzbekistan e-mail"),
                        "people to people russia uzbekistan e mail");
}

static void test_stemming(void **state) {
    (void)state;
    assert_string_equal(terms(1, 0, "running cooperation Security countries generously during"),
                        "run cooper secur countri generous dure");
    assert_string_equal(terms(1, 0, "Putin's visits"), "putin visit");
    /* tokens with a number are never stemmed */
    assert_string_equal(terms(1, 0, "1980s 3rd runs"), "1980s 3rd run");
    /* --no-stem */
    assert_string_equal(terms(0, 0, "running cooperation"), "running cooperation");
}

static void test_stopwords_advance_positions(void **state) {
    (void)state;
    vs_analyzer *a = make(1, 1);
    struct toks k = { 0 };
    const char *t = "The cat is on the mat";
    run_n(a, t, strlen(t), 0, &k);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.term[0], "cat");
    assert_int_equal(k.pos[0], 1);
    assert_string_equal(k.term[1], "mat");
    assert_int_equal(k.pos[1], 5);
    assert_int_equal(k.next_pos, 6);
    assert_int_equal(k.n_tokens, 2);

    /* positions continue from first_pos */
    run_n(a, t, strlen(t), 100, &k);
    assert_int_equal(k.pos[0], 101);
    assert_int_equal(k.pos[1], 105);
    assert_int_equal(k.next_pos, 106);

    /* people-to-people: "to" takes position 1 */
    t = "people-to-people";
    run_n(a, t, strlen(t), 0, &k);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.term[0], "peopl");
    assert_int_equal(k.pos[0], 0);
    assert_int_equal(k.pos[1], 2);

    /* only stopwords: nothing kept, positions still counted */
    t = "to be or not to be";
    run_n(a, t, strlen(t), 7, &k);
    assert_int_equal(k.n, 0);
    assert_int_equal(k.next_pos, 13);

    /* empty text */
    run_n(a, "", 0, 3, &k);
    assert_int_equal(k.n, 0);
    assert_int_equal(k.next_pos, 3);
    vs_analyze_free(a);
}

static void test_all_33_default_stopwords(void **state) {
    (void)state;
    assert_string_equal(terms(0, 1, "a an and are as at be but by for if in into is it no not of on or"
                                    " such that the their then there these they this to was will with"
                                    " THE The"),
                        "");
    assert_string_equal(terms(0, 1, "they're then those"), "they're those");
}

static void test_byte_offsets(void **state) {
    (void)state;
    vs_analyzer *a = make(1, 1);
    struct toks k = { 0 };
    /*          0         1         2         3
     *          0123456789012345678901234567890123 */
    const char *t = "  Putin's visit: 5.93 mln, \xc3\x89" "cole!";
    run_n(a, t, strlen(t), 0, &k);
    assert_int_equal(k.n, 5);
    assert_string_equal(k.term[0], "putin"); /* the run includes the dropped 's */
    assert_int_equal(k.start[0], 2);
    assert_int_equal(k.end[0], 9);
    assert_string_equal(k.term[1], "visit");
    assert_int_equal(k.start[1], 10);
    assert_int_equal(k.end[1], 15);
    assert_string_equal(k.term[2], "5.93");
    assert_int_equal(k.start[2], 17);
    assert_int_equal(k.end[2], 21);
    assert_string_equal(k.term[3], "mln");
    assert_int_equal(k.start[3], 22);
    assert_int_equal(k.end[3], 25);
    assert_string_equal(k.term[4], "\xc3\xa9" "cole"); /* Snowball English leaves école */
    assert_int_equal(k.start[4], 27);
    assert_int_equal(k.end[4], 33); /* É is 2 bytes */
    assert_int_equal(k.pos[4], 4);
    vs_analyze_free(a);
}

static void test_callback_can_stop(void **state) {
    (void)state;
    vs_analyzer *a = make(1, 1);
    struct toks k = { 0 };
    k.stop_after = 2;
    const char *t = "alpha beta gamma delta";
    run_n(a, t, strlen(t), 0, &k);
    assert_int_equal(k.n, 2);
    assert_int_equal(k.n_tokens, 2);
    assert_int_equal(k.next_pos, 2);
    /* a NULL callback just counts */
    uint32_t next = 0, n = 0;
    assert_int_equal(vs_analyze_text(a, t, strlen(t), 0, NULL, NULL, &next, &n), VS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(next, 4);
    vs_analyze_free(a);
}

static void test_invalid_utf8_and_nul_are_separators(void **state) {
    (void)state;
    vs_analyzer *a = make(0, 0);
    struct toks k = { 0 };
    /* 0xFF, NUL, truncated 2-byte sequence, overlong "/" (C0 AF), UTF-16 surrogate (ED A0 80),
     * lone continuation byte, and a text ending in the middle of a sequence */
    static const char t[] = "ab\xff" "cd\0ef\xc3 \xc0\xafgh \xed\xa0\x80ij k\x80l m\xe2\x80";
    run_n(a, t, sizeof t - 1, 0, &k);
    assert_int_equal(k.n, 8);
    const char *want[] = { "ab", "cd", "ef", "gh", "ij", "k", "l", "m" };
    for (size_t i = 0; i < 8; i++) assert_string_equal(k.term[i], want[i]);
    assert_int_equal(k.start[1], 3);
    assert_int_equal(k.end[1], 5);
    vs_analyze_free(a);
}

static void test_huge_tokens_are_cut_once(void **state) {
    (void)state;
    vs_analyzer *a = make(1, 1);
    struct toks k = { 0 };
    size_t n = 1 << 20;
    char *t = malloc(n + 16);
    assert_non_null(t);

    /* 1 MB of ASCII letters, then a word: one 128-byte token, then the word */
    memset(t, 'A', n);
    memcpy(t + n, " tail", 5);
    run_n(a, t, n + 5, 0, &k);
    assert_int_equal(k.n, 2);
    assert_int_equal(k.len[0], VS_MAX_TOKEN);
    assert_int_equal(k.term[0][0], 'a');
    assert_int_equal(k.start[0], 0);
    assert_int_equal(k.end[0], n);
    assert_string_equal(k.term[1], "tail");
    assert_int_equal(k.pos[1], 1);

    /* 1 MB of 'é' (2 bytes): cut at a UTF-8 boundary, 64 characters */
    for (size_t i = 0; i + 1 < n; i += 2) {
        t[i] = (char)0xc3;
        t[i + 1] = (char)0xa9;
    }
    run_n(a, t, n, 0, &k);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.len[0], VS_MAX_TOKEN);
    assert_int_equal(k.end[0], n);

    /* 'É' (2 bytes) then 'a' x 3 ... : folded bytes cut at 128 = 2 + 126 */
    t[0] = (char)0xc3;
    t[1] = (char)0x89;
    memset(t + 2, 'a', n - 2);
    run_n(a, t, n, 0, &k);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.len[0], VS_MAX_TOKEN);
    assert_memory_equal(k.term[0], "\xc3\xa9" "aaa", 5);

    /* 3-byte characters: 128 is not a multiple of 3, so the cut backs up to 126 */
    memcpy(t, "\xd0\x96\xd0\x96", 4); /* two Cyrillic capitals (2 bytes each), then KA x 349524 */
    for (size_t i = 4; i + 2 < n; i += 3) memcpy(t + i, "\xe0\xa4\x95", 3); /* Devanagari KA */
    run_n(a, t, n - (n - 4) % 3, 0, &k);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.len[0], 4 + 41 * 3); /* 127 bytes: 4 + 41 x 3, next char would pass 128 */
    free(t);
    vs_analyze_free(a);
}

/* More distinct keys than the cache holds (2^20): it is cleared and refilled without changing
 * any result. */
static void test_cache_clears_when_full(void **state) {
    (void)state;
    vs_analyzer *a = make(1, 1);
    size_t nwords = (1u << 20) + 5000, cap = nwords * 12;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t len = 0;
    for (size_t i = 0; i < nwords; i++) len += (size_t)snprintf(t + len, cap - len, "q%zu ", i);
    uint32_t next = 0, n = 0;
    assert_int_equal(vs_analyze_text(a, t, len, 0, NULL, NULL, &next, &n), VS_OK);
    assert_int_equal(n, nwords);
    struct toks k = { 0 };
    const char *s = "Running q7 running the q1048999";
    run_n(a, s, strlen(s), 0, &k);
    assert_string_equal(terms(1, 1, s), "run q7 run q1048999");
    assert_int_equal(k.n, 4);
    assert_string_equal(k.term[0], "run");
    assert_string_equal(k.term[1], "q7");
    assert_string_equal(k.term[2], "run");
    assert_string_equal(k.term[3], "q1048999");
    assert_int_equal(k.pos[3], 4);
    free(t);
    vs_analyze_free(a);
}

/* ---- stopword files ---------------------------------------------------------------------- */

static char tmpl[64];

static const char *write_tmp(const char *content, size_t n) {
    snprintf(tmpl, sizeof tmpl, "/tmp/vs_stopXXXXXX");
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return tmpl;
}

static void test_stopword_file(void **state) {
    (void)state;
    static const char f[] = "# custom list\n\n  Running  \r\nit's # possessive dropped\n"
                            "\xc3\x89" "COLE\n\t\n\xef\xbc\xb4\xef\xbc\xa8\xef\xbc\xa5\n"; /* ＴＨＥ */
    const char *path = write_tmp(f, sizeof f - 1);
    vs_analyze_config c;
    vs_analyze_config_default(&c);
    vs_err err;
    assert_int_equal(vs_analyze_config_load_stopwords(&c, path, &err), VS_OK);
    unlink(path);
    assert_int_equal(c.stop_default, 0);
    assert_int_equal(c.n_stopwords, 4);
    assert_string_equal(c.stopwords[0], "running");
    assert_string_equal(c.stopwords[1], "it");
    assert_string_equal(c.stopwords[2], "\xc3\xa9" "cole");
    assert_string_equal(c.stopwords[3], "the");

    vs_analyzer *a = NULL;
    assert_int_equal(vs_analyze_new(&c, &a, &err), VS_OK);
    struct toks k = { 0 };
    const char *t = "RUNNING and it \xc3\xa9" "cole run The a";
    run_n(a, t, strlen(t), 0, &k);
    /* "running" is a stopword (checked before stemming); "run" is not; the default list is off */
    assert_int_equal(k.n, 3);
    assert_string_equal(k.term[0], "and");
    assert_int_equal(k.pos[0], 1);
    assert_string_equal(k.term[1], "run");
    assert_int_equal(k.pos[1], 4);
    assert_string_equal(k.term[2], "a");
    vs_analyze_free(a);

    /* loading again replaces the list */
    path = write_tmp("only\n", 5);
    assert_int_equal(vs_analyze_config_load_stopwords(&c, path, &err), VS_OK);
    unlink(path);
    assert_int_equal(c.n_stopwords, 1);
    assert_string_equal(c.stopwords[0], "only");
    vs_analyze_config_free(&c);
    assert_int_equal(c.n_stopwords, 0);
}

static void test_stopword_file_errors(void **state) {
    (void)state;
    vs_analyze_config c;
    vs_analyze_config_default(&c);
    vs_err err;
    char msg[600];

    assert_int_equal(vs_analyze_config_load_stopwords(&c, "/nonexistent/stop.txt", &err), VS_ENOENT);
    assert_string_equal(err.msg, "cannot open stopword file '/nonexistent/stop.txt': No such file or directory");

    char *big = malloc(300);
    assert_non_null(big);
    memcpy(big, "ok\n", 3);
    memset(big + 3, 'x', 200);
    big[203] = '\n';
    const char *path = write_tmp(big, 204);
    assert_int_equal(vs_analyze_config_load_stopwords(&c, path, &err), VS_EDATA);
    snprintf(msg, sizeof msg, "stopword file '%s' line 2: word longer than 128 bytes", path);
    assert_string_equal(err.msg, msg);
    unlink(path);
    free(big);

    path = write_tmp("fine\ne-mail\n", 12);
    assert_int_equal(vs_analyze_config_load_stopwords(&c, path, &err), VS_EDATA);
    snprintf(msg, sizeof msg,
             "stopword file '%s' line 2: 'e-mail' is more than one word to the analyzer;"
             " put one word per line", path);
    assert_string_equal(err.msg, msg);
    unlink(path);

    path = write_tmp("---\n", 4);
    assert_int_equal(vs_analyze_config_load_stopwords(&c, path, &err), VS_EDATA);
    snprintf(msg, sizeof msg, "stopword file '%s' line 1: '---' is not a word; put one word per line",
             path);
    assert_string_equal(err.msg, msg);
    unlink(path);

    big = malloc(10000);
    assert_non_null(big);
    memset(big, ' ', 10000);
    big[9999] = 'x';
    path = write_tmp(big, 10000);
    assert_int_equal(vs_analyze_config_load_stopwords(&c, path, &err), VS_EDATA);
    snprintf(msg, sizeof msg, "stopword file '%s' line 1: line longer than 4096 bytes", path);
    assert_string_equal(err.msg, msg);
    unlink(path);
    free(big);

    /* a failed load leaves the config as it was */
    assert_int_equal(c.stop_default, 1);
    assert_int_equal(c.n_stopwords, 0);
    vs_analyze_config_free(&c);
}

/* ---- config encoding --------------------------------------------------------------------- */

static void test_config_round_trip(void **state) {
    (void)state;
    char *words[] = { "running", "\xc3\xa9" "cole", "x" };
    vs_analyze_config c = { 0, 1, words, 3 };
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_analyze_config_encode(&c, &b), VS_OK);
    static const uint8_t want[] = { 1, 0, 1, 3, 0, 0, 0, 7, 0, 'r', 'u', 'n', 'n', 'i', 'n', 'g',
                                    6, 0, 0xc3, 0xa9, 'c', 'o', 'l', 'e', 1, 0, 'x' };
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.p, want, sizeof want);

    vs_analyze_config d;
    vs_err err;
    assert_int_equal(vs_analyze_config_decode(b.p, b.len, &d, &err), VS_OK);
    assert_int_equal(d.stem, 0);
    assert_int_equal(d.stop_default, 1);
    assert_int_equal(d.n_stopwords, 3);
    for (size_t i = 0; i < 3; i++) assert_string_equal(d.stopwords[i], words[i]);
    vs_analyze_config_free(&d);

    /* default config: 7 bytes */
    vs_analyze_config_default(&c);
    b.len = 0;
    assert_int_equal(vs_analyze_config_encode(&c, &b), VS_OK);
    static const uint8_t def[] = { 1, 1, 1, 0, 0, 0, 0 };
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.p, def, 7);
    assert_int_equal(vs_analyze_config_decode(b.p, b.len, &d, &err), VS_OK);
    assert_int_equal(d.stem, 1);
    assert_int_equal(d.stop_default, 1);
    assert_int_equal(d.n_stopwords, 0);
    vs_analyze_config_free(&d);

    /* a word the format cannot hold is refused */
    char *bad[] = { "" };
    vs_analyze_config e = { 1, 1, bad, 1 };
    b.len = 0;
    assert_int_equal(vs_analyze_config_encode(&e, &b), VS_EUSAGE);
    assert_int_equal(b.len, 0);
    vs_buf_free(&b);
}

static void test_config_decode_rejects_damage(void **state) {
    (void)state;
    char *words[] = { "running", "\xc3\xa9" "cole", "x" };
    vs_analyze_config c = { 1, 0, words, 3 };
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_analyze_config_encode(&c, &b), VS_OK);
    vs_analyze_config d;
    vs_err err;

    /* every truncation fails cleanly, from a copy of exactly that size (ASan sees overreads) */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, b.p, n);
        assert_int_equal(vs_analyze_config_decode(p, n, &d, &err), VS_ECORRUPT);
        assert_null(d.stopwords);
        assert_int_equal(d.n_stopwords, 0);
        free(p);
    }
    /* every single-byte change either decodes to something valid or fails cleanly */
    for (size_t i = 0; i < b.len; i++) {
        for (int v = 0; v < 256; v++) {
            uint8_t *p = malloc(b.len);
            assert_non_null(p);
            memcpy(p, b.p, b.len);
            p[i] = (uint8_t)v;
            vs_rc rc = vs_analyze_config_decode(p, b.len, &d, &err);
            assert_true(rc == VS_OK || rc == VS_ECORRUPT || rc == VS_EVERSION);
            if (rc == VS_OK) vs_analyze_config_free(&d);
            free(p);
        }
    }

    uint8_t p[64];
    memcpy(p, b.p, b.len);
    p[0] = 2;
    assert_int_equal(vs_analyze_config_decode(p, b.len, &d, &err), VS_EVERSION);
    assert_string_equal(err.msg, "analyzer config version 2 is newer than this vsearch reads (1):"
                                 " rebuild the index with 'vsearch build'");
    p[0] = 0;
    assert_int_equal(vs_analyze_config_decode(p, b.len, &d, &err), VS_ECORRUPT);
    p[0] = 1;
    p[1] = 2;
    assert_int_equal(vs_analyze_config_decode(p, b.len, &d, &err), VS_ECORRUPT);
    p[1] = 1;

    /* trailing garbage */
    p[b.len] = 0;
    assert_int_equal(vs_analyze_config_decode(p, b.len + 1, &d, &err), VS_ECORRUPT);
    assert_string_equal(err.msg, "analyzer config has 1 trailing bytes after its 3 stopwords");

    /* an absurd count is refused before any allocation */
    static const uint8_t huge[] = { 1, 1, 1, 0xff, 0xff, 0xff, 0xff, 1, 0, 'a' };
    assert_int_equal(vs_analyze_config_decode(huge, sizeof huge, &d, &err), VS_ECORRUPT);
    assert_string_equal(err.msg,
                        "analyzer config claims 4294967295 stopwords but has only 3 bytes for them");

    /* a zero-length word, an over-long word, a NUL inside a word */
    static const uint8_t zero[] = { 1, 1, 1, 1, 0, 0, 0, 0, 0, 'a' };
    assert_int_equal(vs_analyze_config_decode(zero, sizeof zero, &d, &err), VS_ECORRUPT);
    assert_string_equal(err.msg, "analyzer config byte 7: stopword 1 has length 0 (1 to 128 expected)");
    static const uint8_t nul[] = { 1, 1, 1, 1, 0, 0, 0, 2, 0, 'a', 0 };
    assert_int_equal(vs_analyze_config_decode(nul, sizeof nul, &d, &err), VS_ECORRUPT);
    static const uint8_t shortw[] = { 1, 1, 1, 1, 0, 0, 0, 5, 0, 'a', 'b' };
    assert_int_equal(vs_analyze_config_decode(shortw, sizeof shortw, &d, &err), VS_ECORRUPT);
    assert_string_equal(err.msg, "analyzer config truncated at byte 9: stopword 1 needs 5 bytes, 2 left");
    vs_buf_free(&b);
}

/* The decoded config makes an analyzer that behaves like the original. */
static void test_decoded_config_analyses_the_same(void **state) {
    (void)state;
    char *words[] = { "visit" };
    vs_analyze_config c = { 1, 1, words, 1 };
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_analyze_config_encode(&c, &b), VS_OK);
    vs_analyze_config d;
    vs_err err;
    assert_int_equal(vs_analyze_config_decode(b.p, b.len, &d, &err), VS_OK);
    vs_analyzer *a = NULL;
    assert_int_equal(vs_analyze_new(&d, &a, &err), VS_OK);
    struct toks k = { 0 };
    const char *t = "Putin's visit to the Uzbek capital";
    run_n(a, t, strlen(t), 0, &k);
    assert_int_equal(k.n, 3);
    assert_string_equal(k.term[0], "putin");
    assert_string_equal(k.term[1], "uzbek");
    assert_int_equal(k.pos[1], 4);
    assert_string_equal(k.term[2], "capit");
    vs_analyze_free(a);
    vs_analyze_config_free(&d);
    vs_buf_free(&b);
}

/* The sample article (tests run in tests/): token and kept-term counts, and a few terms. */
static void test_sample_article(void **state) {
    (void)state;
    size_t len = 0;
    char *text = tu_slurp("../corpus/000_79d01c390d725485.txt", &len);
    assert_non_null(text);
    assert_string_equal(terms(1, 1, "Putin In Uzbekistan: Key Highlights & What It Means"),
                        "putin uzbekistan key highlight what mean");
    vs_analyzer *a = make(1, 1);
    uint32_t next = 0, n = 0;
    assert_int_equal(vs_analyze_text(a, text, len, 0, NULL, NULL, &next, &n), VS_OK);
    assert_int_equal(next, SAMPLE_TOKENS);
    assert_int_equal(n, SAMPLE_KEPT);
    free(text);
    vs_analyze_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_config),
        cmocka_unit_test(test_bounded_cache_gives_the_same_tokens),
        cmocka_unit_test(test_fold_case_and_keep_decimal_numbers),
        cmocka_unit_test(test_unicode_folding),
        cmocka_unit_test(test_apostrophes_and_possessives),
        cmocka_unit_test(test_hyphens_split),
        cmocka_unit_test(test_stemming),
        cmocka_unit_test(test_stopwords_advance_positions),
        cmocka_unit_test(test_all_33_default_stopwords),
        cmocka_unit_test(test_byte_offsets),
        cmocka_unit_test(test_callback_can_stop),
        cmocka_unit_test(test_invalid_utf8_and_nul_are_separators),
        cmocka_unit_test(test_huge_tokens_are_cut_once),
        cmocka_unit_test(test_cache_clears_when_full),
        cmocka_unit_test(test_stopword_file),
        cmocka_unit_test(test_stopword_file_errors),
        cmocka_unit_test(test_config_round_trip),
        cmocka_unit_test(test_config_decode_rejects_damage),
        cmocka_unit_test(test_decoded_config_analyses_the_same),
        cmocka_unit_test(test_sample_article),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
