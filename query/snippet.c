/* snippet.c: choose and cut a snippet window (see snippet.h). */
#include "snippet.h"

#include <stdlib.h>
#include <string.h>

typedef struct match {
    uint32_t start, end;
    uint32_t term;              /* index in the query terms */
} match;

typedef struct mctx {
    const char *const *terms;
    size_t n_terms;
    match *m;
    size_t n, cap;
    int oom;
} mctx;

static int on_tok(void *ctx, const vs_token *t) {
    mctx *c = ctx;
    for (size_t i = 0; i < c->n_terms; i++) {
        if (strlen(c->terms[i]) != t->len || memcmp(c->terms[i], t->term, t->len) != 0) continue;
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            match *m = realloc(c->m, cap * sizeof *m);
            if (!m) { c->oom = 1; return 1; }
            c->m = m;
            c->cap = cap;
        }
        c->m[c->n++] = (match){ t->start, t->end, (uint32_t)i };
        break;
    }
    return 0;
}

static int is_cont(unsigned char ch) { return (ch & 0xC0) == 0x80; }

vs_rc vs_snippet_make(vs_index *ix, const char *text, size_t len, const char *const *terms,
                      size_t n_terms, vs_hit *h, vs_err *err) {
    mctx c = { .terms = terms, .n_terms = n_terms };
    vs_rc rc = vs_index_analyze(ix, text, len, on_tok, &c, err);
    if (rc == VS_OK && c.oom) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    if (rc != VS_OK) { free(c.m); return rc; }
    size_t from = 0, to = len;
    if (len > VS_SNIPPET_BYTES) {
        /* Window starting a little before some match, covering the most distinct terms. */
        size_t best_from = 0;
        int best = -1;
        for (size_t i = 0; i < c.n; i++) {
            size_t s = c.m[i].start > 40 ? c.m[i].start - 40 : 0;
            size_t e = s + VS_SNIPPET_BYTES;
            uint64_t seen = 0;
            int distinct = 0;
            for (size_t j = i; j < c.n && c.m[j].end <= e; j++) {
                uint64_t bit = 1ull << (c.m[j].term % 64);
                if (!(seen & bit)) { seen |= bit; distinct++; }
            }
            if (distinct > best) { best = distinct; best_from = s; }
        }
        from = best_from;
        to = from + VS_SNIPPET_BYTES < len ? from + VS_SNIPPET_BYTES : len;
        if (from > 0) {          /* start after a space */
            size_t f = from;
            while (f < len && f < from + 30 && text[f] != ' ' && text[f] != '\n') f++;
            if (f < len && f < from + 30) from = f + 1;
            while (from < len && is_cont((unsigned char)text[from])) from++;
        }
        if (to < len) {          /* end before a space */
            size_t t = to;
            while (t > from && t > to - 30 && text[t] != ' ' && text[t] != '\n') t--;
            if (t > from && t > to - 30) to = t;
            while (to > from && is_cont((unsigned char)text[to])) to--;
        }
    }
    const char *pre = from > 0 ? "... " : "", *post = to < len ? " ..." : "";
    size_t pl = strlen(pre), ql = strlen(post), n = to - from;
    char *s = malloc(pl + n + ql + 1);
    uint32_t *marks = malloc((c.n ? c.n : 1) * 2 * sizeof *marks);
    if (!s || !marks) {
        free(s);
        free(marks);
        free(c.m);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    memcpy(s, pre, pl);
    for (size_t i = 0; i < n; i++) {
        char ch = text[from + i];
        s[pl + i] = (ch == '\n' || ch == '\r' || ch == '\t') ? ' ' : ch;
    }
    memcpy(s + pl + n, post, ql + 1);
    size_t nm = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.m[i].start >= from && c.m[i].end <= to) {
            marks[2 * nm] = (uint32_t)(c.m[i].start - from + pl);
            marks[2 * nm + 1] = (uint32_t)(c.m[i].end - from + pl);
            nm++;
        }
    free(c.m);
    h->snippet = s;
    h->marks = marks;
    h->n_marks = nm;
    return VS_OK;
}
