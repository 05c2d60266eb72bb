/* fuzz_source.c: one source-format reader over arbitrary bytes, from memory (vs_source_read_mem),
 * followed by what `vsearch build` does with each document: passage split and analysis.
 *
 * Built once per format (mk/fuzz.mk defines FUZZ_FORMAT): fuzz_source_text, _trec, _jsonl,
 * _reuters, _smart, and _auto (detection by name and content). The first input byte picks the
 * file name (its extension steers detection) and strict mode; the rest is the file.
 *
 * Invariants checked (index/source.h): every string handed to the callback is valid UTF-8 and
 * NUL-terminated at its length; ids are non-empty; ids and titles contain no control characters
 * and no newline; offsets and lines stay inside the file; the reader returns VS_OK, or VS_EDATA
 * only under strict (with a message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fuzz_util.h"
#include "passage.h"
#include "source.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT VS_FMT_AUTO
#endif

static vs_analyzer *an;
static vs_passage_list pl = VS_PASSAGE_LIST_INIT;

typedef struct ctx {
    size_t len;
    uint64_t docs;
} ctx;

static void check_str(const char *s, size_t n, int oneline, const char *what) {
    FZ_CHECK(s != NULL, what);
    FZ_CHECK(s[n] == '\0', what);
    FZ_CHECK(fz_utf8_valid((const uint8_t *)s, n), what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FZ_CHECK(c != 0, what);
        FZ_CHECK(c >= 0x20 || c == '\n' || c == '\t', what);
        if (oneline) FZ_CHECK(c != '\n', what);
    }
}

static int count_tok(void *c, const vs_token *t) {
    (void)c;
    FZ_CHECK(t->len >= 1 && t->len <= VS_MAX_TOKEN, "token length");
    return 0;
}

static int on_doc(void *vc, const vs_doc *d) {
    ctx *c = vc;
    c->docs++;
    check_str(d->id, d->id_len, 1, "doc id");
    FZ_CHECK(d->id_len > 0, "empty doc id");
    check_str(d->title, d->title_len, 1, "doc title");
    check_str(d->body, d->body_len, 0, "doc body");
    FZ_CHECK(d->offset <= c->len, "record offset past the end of the file");
    FZ_CHECK(d->line >= 1 && d->line <= c->len + 1, "record line out of range");
    vs_err err;
    vs_passage_opts po = { (uint32_t)(d->offset % 7 == 0 ? 3 : 0), 0 };
    if (vs_passage_split(d->body, d->body_len, &po, &pl, &err) != VS_OK) return 0;
    for (size_t i = 0; i < pl.n; i++)
        FZ_CHECK(vs_analyze_text(an, pl.v[i].text, pl.v[i].len, 0, count_tok, NULL, NULL, NULL) == VS_OK,
                 "analyze a passage");
    FZ_CHECK(vs_analyze_text(an, d->title, d->title_len, 0, count_tok, NULL, NULL, NULL) == VS_OK, "analyze a title");
    return 0;
}

static const char *const names[] = {
    "a.txt", "a.md", "a.trec", "a.jsonl", "a.sgm", "a.xml", "a.all", "a.json", "news-post", "a.gz", "a.ndjson", "a.text",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!an) {
        vs_analyze_config cfg;
        vs_analyze_config_default(&cfg);
        if (vs_analyze_new(&cfg, &an, NULL) != VS_OK) abort();
    }
    fz_in in = { data, size };
    uint8_t sel = fz_u8(&in);
    const char *name = names[(sel & 0x7f) % (sizeof names / sizeof *names)];
    vs_source_opts o = { FUZZ_FORMAT, (sel & 0x80) != 0, NULL, NULL };
    /* an exact-size copy, so that ASan sees any read past the end */
    uint8_t *buf = malloc(in.n ? in.n : 1);
    if (!buf) return 0;
    memcpy(buf, in.p, in.n);
    ctx c = { in.n, 0 };
    vs_source_stats st = { 0 };
    vs_err err;
    err.msg[0] = '\0';
    vs_rc rc = vs_source_read_mem(name, buf, in.n, &o, on_doc, &c, &st, &err);
    FZ_CHECK(rc == VS_OK || (rc == VS_EDATA && o.strict), "reader failed outside strict mode");
    if (rc != VS_OK) FZ_CHECK(err.msg[0] != '\0', "error without a message");
    FZ_CHECK(st.docs == c.docs, "stats.docs differs from the documents delivered");
    free(buf);
    return 0;
}
