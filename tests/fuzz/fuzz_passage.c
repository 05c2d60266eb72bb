/* fuzz_passage.c: the passage splitter (vs_passage_split) on arbitrary bytes.
 *
 * Input: byte 0 picks max_words (0 = default 250, else 1..127) and bit 7 whole_doc; the rest is
 * the body. The list is reused across inputs, as the builder reuses it.
 *
 * Invariants (index/passage.h): every passage is non-empty, NUL-terminated at its length, has
 * no "\r", no leading or trailing whitespace, src_off inside the body and increasing; at most
 * max_words words per passage (rule 5: headings are counted in, so no slack is allowed); with
 * whole_doc at most one passage, equal byte for byte to the trimmed body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "passage.h"

static vs_passage_list pl = VS_PASSAGE_LIST_INIT;

static int is_ws(const uint8_t *p, size_t n, size_t i, size_t *k) {
    uint8_t c = p[i];
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n') { *k = 1; return 1; }
    if (c == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) { *k = 2; return 1; }
    *k = 1;
    return 0;
}

static size_t words(const uint8_t *p, size_t n) {
    size_t w = 0, k;
    int in = 0;
    for (size_t i = 0; i < n; i += k) {
        int ws = is_ws(p, n, i, &k);
        if (!ws && !in) w++;
        in = !ws;
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    uint8_t sel = fz_u8(&in);
    vs_passage_opts o = { (uint32_t)(sel & 0x7f), (sel & 0x80) != 0 };
    uint32_t maxw = o.max_words ? o.max_words : VS_PASSAGE_MAX_WORDS;
    char *body = malloc(in.n ? in.n : 1);
    if (!body) return 0;
    memcpy(body, in.p, in.n);
    vs_err err;
    vs_rc rc = vs_passage_split(body, in.n, &o, &pl, &err);
    FZ_CHECK(rc == VS_OK, "split failed");
    size_t prev_off = 0;
    for (size_t i = 0; i < pl.n; i++) {
        const vs_passage *p = &pl.v[i];
        const uint8_t *t = (const uint8_t *)p->text;
        size_t k;
        FZ_CHECK(p->len > 0, "empty passage");
        FZ_CHECK(t[p->len] == '\0', "passage not NUL-terminated");
        FZ_CHECK(p->src_off < in.n, "src_off outside the body");
        FZ_CHECK(i == 0 || p->src_off > prev_off, "src_off does not increase");
        prev_off = p->src_off;
        FZ_CHECK(!is_ws(t, p->len, 0, &k), "leading whitespace");
        FZ_CHECK(!(t[p->len - 1] == ' ' || t[p->len - 1] == '\t' || t[p->len - 1] == '\n' || t[p->len - 1] == '\r' ||
                   t[p->len - 1] == '\v' || t[p->len - 1] == '\f' || (p->len >= 2 && t[p->len - 2] == 0xC2 && t[p->len - 1] == 0xA0)),
                 "trailing whitespace");
        if (o.whole_doc) continue;
        FZ_CHECK(memchr(t, '\r', p->len) == NULL, "CR inside a passage");
        FZ_CHECK(words(t, p->len) <= maxw, "passage longer than max_words");
    }
    if (o.whole_doc) {
        FZ_CHECK(pl.n <= 1, "whole_doc gives more than one passage");
        if (pl.n == 1) {
            const vs_passage *p = &pl.v[0];
            FZ_CHECK(memcmp(p->text, body + p->src_off, p->len) == 0, "whole_doc passage is not the body");
        }
    }
    free(body);
    return 0;
}
