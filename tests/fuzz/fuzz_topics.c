/* fuzz_topics.c: the topic-file reader (vs_topics_parse: TREC, SMART, TSV) on arbitrary bytes.
 *
 * Input byte 0 picks the field (title, desc, narr, title+desc); the rest is the file.
 * Invariants (query/topics.h): VS_OK or VS_EDATA with a message naming the file; on success at least
 * one topic, every qid non-empty without whitespace, qids distinct, every text non-empty, trimmed,
 * with no whitespace run longer than one space, lines within the file and non-decreasing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "topics.h"

#define NAME "topics.txt"

static int is_sp(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    vs_topics_field f = (vs_topics_field)(fz_u8(&in) & 3);
    char *buf = malloc(in.n ? in.n : 1);
    if (!buf) return 0;
    memcpy(buf, in.p, in.n);
    vs_topics *t = NULL;
    vs_err err;
    err.msg[0] = '\0';
    vs_rc rc = vs_topics_parse(NAME, buf, in.n, f, &t, &err);
    if (rc != VS_OK) {
        FZ_CHECK(rc == VS_EDATA || rc == VS_ENOMEM, "topics error code");
        FZ_CHECK(strstr(err.msg, NAME) != NULL, "topics message does not name the file");
        FZ_CHECK(t == NULL, "failed parse returns topics");
        free(buf);
        return 0;
    }
    FZ_CHECK(t->n >= 1, "no topics on success");
    uint64_t lines = 1;
    for (size_t i = 0; i < in.n; i++) lines += buf[i] == '\n';
    for (size_t i = 0; i < t->n; i++) {
        const char *q = t->qid[i], *x = t->text[i];
        FZ_CHECK(q[0] != '\0', "empty qid");
        for (const char *c = q; *c; c++) FZ_CHECK(!is_sp(*c), "whitespace in a qid");
        size_t xl = strlen(x);
        FZ_CHECK(xl > 0, "empty topic text");
        FZ_CHECK(!is_sp(x[0]) && !is_sp(x[xl - 1]), "topic text not trimmed");
        for (size_t k = 0; k + 1 < xl; k++) FZ_CHECK(!(is_sp(x[k]) && is_sp(x[k + 1])), "whitespace run in a topic text");
        FZ_CHECK(t->line[i] >= 1 && t->line[i] <= lines, "topic line out of range");
        if (i > 0) FZ_CHECK(t->line[i] >= t->line[i - 1], "topic lines go backwards");
        if (i < 64)
            for (size_t j = 0; j < i; j++) FZ_CHECK(strcmp(t->qid[j], q) != 0, "duplicate qid accepted");
    }
    vs_topics_free(t);
    free(buf);
    return 0;
}
