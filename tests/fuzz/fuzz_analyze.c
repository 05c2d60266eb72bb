/* fuzz_analyze.c: the analyzer (vs_analyze_text) on arbitrary bytes with a configuration taken
 * from the input, and the analyzer-config codec (vs_analyze_config_decode on arbitrary bytes,
 * encode -> decode round trip).
 *
 * Input: byte 0 picks the configuration (bit 0 stem, bit 1 default stopwords, bit 2 a custom
 * list of three words, bits 3-4 the first position: 0, 1000, UINT32_MAX - 64, UINT32_MAX - 1),
 * byte 1 bit 0 says whether the rest is also decoded as an analyzer config; the rest is text.
 * Analyzers live across inputs (one per configuration) so that the term cache fills, overflows
 * and is cleared as in a long build; byte 0 bit 5 picks a twin whose cache is bounded to the
 * smallest limit (vs_analyze_set_cache_limit, 256 KiB), so that it clears often, even between
 * the two analyses of one input, and never holds more than that.
 *
 * Invariants (index/analyze.h): every token is 1..VS_MAX_TOKEN bytes, NUL-terminated at its
 * length, valid UTF-8; positions strictly increase from first_pos; [start, end) lies inside the
 * text and runs do not overlap; a second analysis of the same text gives the same tokens; the
 * VS_EDATA for position overflow is the only error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fuzz_util.h"

#define MAXT 4096

typedef struct tok {
    uint32_t len, pos, start, end;
    uint64_t hash;
} tok;

typedef struct run {
    size_t textlen;
    uint32_t first_pos;
    tok *v;
    size_t n;
    int overflow;
} run;

static int on_tok(void *vc, const vs_token *t) {
    run *r = vc;
    FZ_CHECK(t->len >= 1 && t->len <= VS_MAX_TOKEN, "token length");
    FZ_CHECK(t->term[t->len] == '\0', "term not NUL-terminated");
    FZ_CHECK(strlen(t->term) == t->len, "NUL inside a term");
    FZ_CHECK(fz_utf8_valid((const uint8_t *)t->term, t->len), "term is not valid UTF-8");
    FZ_CHECK(t->start < t->end && t->end <= r->textlen, "token run outside the text");
    FZ_CHECK(t->pos >= r->first_pos, "position before first_pos");
    if (r->n > 0) {
        const tok *p = &r->v[(r->n - 1) % MAXT];
        FZ_CHECK(t->pos > p->pos, "positions do not increase");
        FZ_CHECK(t->start >= p->end, "token runs overlap");
    }
    tok *o = &r->v[r->n % MAXT];
    o->len = t->len; o->pos = t->pos; o->start = t->start; o->end = t->end;
    o->hash = XXH3_64bits(t->term, t->len);
    r->n++;
    return 0;
}

static vs_analyzer *an[16];
static const char *const custom[] = { "cocoa", "\xc3\xa9t\xc3\xa9", "5.93" };

static void cfg_of(int k, vs_analyze_config *c) {
    vs_analyze_config_default(c);
    c->stem = k & 1;
    c->stop_default = (k >> 1) & 1;
    if (k & 4) {
        c->stopwords = (char **)custom; /* borrowed: never freed here */
        c->n_stopwords = 3;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    uint8_t sel = fz_u8(&in), sel2 = fz_u8(&in);
    int k = (sel & 7) | (sel & 0x20) >> 2;
    if (!an[k]) {
        vs_analyze_config c;
        cfg_of(k & 7, &c);
        if (vs_analyze_new(&c, &an[k], NULL) != VS_OK) abort();
        if (k & 8) FZ_CHECK(vs_analyze_set_cache_limit(an[k], 0) == VS_OK, "cache limit");
    }
    static const uint32_t firsts[4] = { 0, 1000, UINT32_MAX - 64, UINT32_MAX - 1 };
    uint32_t first = firsts[(sel >> 3) & 3];
    char *text = malloc(in.n ? in.n : 1); /* exact size: ASan sees reads past the end */
    if (!text) return 0;
    memcpy(text, in.p, in.n);
    static tok v1[MAXT], v2[MAXT];
    run a = { in.n, first, v1, 0, 0 }, b = { in.n, first, v2, 0, 0 };
    uint32_t next1 = 0, next2 = 0, n1 = 0, n2 = 0;
    vs_rc r1 = vs_analyze_text(an[k], text, in.n, first, on_tok, &a, &next1, &n1);
    vs_rc r2 = vs_analyze_text(an[k], text, in.n, first, on_tok, &b, &next2, &n2);
    FZ_CHECK(r1 == VS_OK || r1 == VS_EDATA, "unexpected analyzer error");
    FZ_CHECK(r1 == r2, "second analysis returns another code");
    if (k & 8) FZ_CHECK(vs_analyze_cache_bytes(an[k]) <= (256u << 10), "the cache passes its limit");
    if (r1 == VS_OK) {
        FZ_CHECK(a.n == n1 && b.n == n2 && n1 == n2, "token counts differ");
        FZ_CHECK(next1 == next2 && next1 >= first, "next_pos differs");
        if (a.n > 0) FZ_CHECK(next1 > a.v[(a.n - 1) % MAXT].pos, "next_pos not past the last token");
        for (size_t i = 0; i < a.n && i < MAXT; i++)
            FZ_CHECK(memcmp(&v1[i], &v2[i], sizeof v1[i]) == 0, "second analysis gives other tokens");
    } else {
        FZ_CHECK(first > 0, "position overflow from position 0");
    }
    if (sel2 & 1) {
        /* the same bytes as a recorded analyzer config */
        vs_analyze_config c;
        vs_err err;
        vs_rc rc = vs_analyze_config_decode(in.p, in.n, &c, &err);
        FZ_CHECK(rc == VS_OK || rc == VS_ECORRUPT || rc == VS_EVERSION, "config decode error code");
        if (rc == VS_OK) {
            vs_buf out = VS_BUF_INIT;
            vs_analyze_config d;
            FZ_CHECK(vs_analyze_config_encode(&c, &out) == VS_OK, "re-encode a decoded config");
            FZ_CHECK(vs_analyze_config_decode(out.p, out.len, &d, &err) == VS_OK, "decode a re-encoded config");
            FZ_CHECK(d.stem == c.stem && d.stop_default == c.stop_default && d.n_stopwords == c.n_stopwords,
                     "config round trip");
            for (size_t i = 0; i < c.n_stopwords; i++)
                FZ_CHECK(strcmp(c.stopwords[i], d.stopwords[i]) == 0, "config round trip (stopword)");
            vs_analyzer *x = NULL;
            if (vs_analyze_new(&c, &x, &err) == VS_OK) {
                FZ_CHECK(vs_analyze_text(x, text, in.n < 256 ? in.n : 256, 0, on_tok,
                                         &(run){ in.n, 0, v2, 0, 0 }, NULL, NULL) == VS_OK, "analyze with a decoded config");
                vs_analyze_free(x);
            }
            vs_analyze_config_free(&d);
            vs_analyze_config_free(&c);
            vs_buf_free(&out);
        }
    }
    free(text);
    return 0;
}
