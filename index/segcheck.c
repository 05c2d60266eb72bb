/* segcheck.c: vs_segment_check() — every page checksum and every structural invariant of a
 * segment (see segment.h). Used by `vsearch check`; cost is one pass over the file. */
#include <inttypes.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "plist.h"
#include "segment.h"

typedef struct chk {
    vs_segment *s;
    vs_err *err;
    vs_rc rc;
    char prev[65536];
    size_t prev_len;
    uint64_t n_terms, n_postings, n_positions;
    uint32_t *pos;
    uint32_t pos_cap;
} chk;

static int bad(chk *c, const char *term, size_t len, const char *what) {
    c->rc = vs_err_set(c->err, VS_ECORRUPT, "'%s' is damaged: term '%.*s': %s", vs_segment_name(c->s),
                       (int)(len > 64 ? 64 : len), term, what);
    return 1;
}

static int check_term(void *ctx, const char *term, size_t len, const vs_term_info *ti) {
    chk *c = ctx;
    if (c->n_terms > 0) {
        size_t m = len < c->prev_len ? len : c->prev_len;
        int cmp = memcmp(c->prev, term, m);
        if (cmp > 0 || (cmp == 0 && c->prev_len >= len)) return bad(c, term, len, "dictionary out of order");
    }
    memcpy(c->prev, term, len);
    c->prev_len = len;
    c->n_terms++;
    vs_plist pl;
    if (vs_plist_open(&pl, c->s, ti) != VS_OK) {
        c->rc = pl.rc;
        *c->err = pl.err;
        return 1;
    }
    uint32_t n = 0, max_tf = 0, min_len = UINT32_MAX;
    uint64_t cf = 0;
    int title = vs_term_is_title(term, len);
    for (uint32_t d = pl.doc; d != VS_PLIST_END; d = vs_plist_next(&pl)) {
        uint32_t tf = vs_plist_tf(&pl), plen;
        if (title) { /* a title posting: the first passage of a titled document; bounds use its title length */
            uint32_t first, end;
            vs_rc rc = vs_segment_doc_span(c->s, d, &first, &end, &plen, c->err);
            if (rc != VS_OK) { c->rc = rc; return 1; }
            if (first != d) return bad(c, term, len, "title posting is not at a document's first passage");
            if (plen == 0) return bad(c, term, len, "title posting of a document without an indexed title");
            if (tf > plen) return bad(c, term, len, "tf larger than the title");
        } else {
            vs_rc rc = vs_segment_plen(c->s, d, &plen, c->err);
            if (rc != VS_OK) { c->rc = rc; return 1; }
            if (tf > plen && plen > 0) return bad(c, term, len, "tf larger than the passage");
        }
        if (tf > max_tf) max_tf = tf;
        if (plen < min_len) min_len = plen;
        /* block bounds must cover every posting */
        uint32_t bt, bl, last;
        if (!vs_plist_block_bound(&pl, d, &bt, &bl, &last) || tf > bt || plen < bl || d > last)
            return bad(c, term, len, "block score bound does not cover a posting");
        if (tf > c->pos_cap) {
            uint32_t *p = realloc(c->pos, (size_t)tf * sizeof *p);
            if (!p) { c->rc = vs_err_set(c->err, VS_ENOMEM, "out of memory"); return 1; }
            c->pos = p;
            c->pos_cap = tf;
        }
        int k = vs_plist_positions(&pl, c->pos, tf);
        if (k < 0) break;
        if ((uint32_t)k != tf) return bad(c, term, len, "positions count differs from tf");
        cf += tf;
        n++;
    }
    if (pl.rc != VS_OK) {
        c->rc = pl.rc;
        *c->err = pl.err;
        return 1;
    }
    if (n != ti->df) return bad(c, term, len, "df differs from the postings count");
    if (cf != ti->cf) return bad(c, term, len, "cf differs from the sum of tf");
    if (max_tf != ti->max_tf || min_len != ti->min_len) return bad(c, term, len, "list score bound is wrong");
    c->n_postings += n;
    c->n_positions += cf;
    return 0;
}

static vs_rc fail(vs_segment *s, vs_err *err, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged: %s", vs_segment_name(s), what);
}

vs_rc vs_segment_check(vs_segment *s, vs_err *err) {
    const vs_segment_meta *mt = vs_segment_get_meta(s);
    /* 1. every page */
    for (int id = VS_SEC_META; id < VS_SEC_COUNT_; id++) {
        uint64_t len;
        vs_segment_section(s, id, &len);
        vs_rc rc = vs_segment_need(s, id, 0, len, err);
        if (rc != VS_OK) return rc;
    }
    /* 2. dictionary and postings */
    chk c = { .s = s, .err = err, .rc = VS_OK };
    vs_rc rc = vs_segment_terms(s, check_term, &c, err);
    free(c.pos);
    if (rc != VS_OK) return rc;
    if (c.rc != VS_OK) return c.rc;
    if (c.n_terms != mt->n_terms || c.n_postings != mt->n_postings || c.n_positions != mt->n_positions)
        return fail(s, err, "term, posting or position counts differ from META");
    /* 3. documents and passages */
    uint64_t total = 0;
    uint32_t next_pid = 0;
    for (uint32_t d = 0; d < mt->n_docs; d++) {
        vs_doc_info di;
        if ((rc = vs_segment_doc(s, d, &di, err)) != VS_OK) return rc;
        if (di.first_passage != next_pid) return fail(s, err, "document passages are not contiguous");
        for (uint32_t k = 0; k < di.n_passages; k++) {
            vs_passage_info pi;
            if ((rc = vs_segment_passage(s, next_pid + k, &pi, err)) != VS_OK) return rc;
            if (pi.doc != d || pi.pno != k + 1) return fail(s, err, "passage table disagrees with the document table");
            /* its stored text must lie inside its block's decompressed size */
            vs_stored_block sb;
            if ((rc = vs_segment_stored_block(s, pi.sblock, &sb, err)) != VS_OK) return rc;
            if ((uint64_t)pi.soff + pi.slen > sb.rlen) return fail(s, err, "a passage's stored text lies outside its block");
            total += pi.len;
        }
        next_pid += di.n_passages;
    }
    if (next_pid != mt->n_passages) return fail(s, err, "documents do not cover every passage");
    /* TLENS: only documents with passages have a title length; META counts them */
    uint64_t ttotal = 0;
    uint32_t ntitled = 0;
    for (uint32_t d = 0; d < mt->n_docs; d++) {
        vs_doc_info di;
        uint32_t tl;
        if ((rc = vs_segment_doc(s, d, &di, err)) != VS_OK) return rc;
        if ((rc = vs_segment_tlen(s, d, &tl, err)) != VS_OK) return rc;
        if (tl > 0 && di.n_passages == 0) return fail(s, err, "a document without passages has a title length");
        ttotal += tl;
        ntitled += tl > 0;
    }
    if (ttotal != mt->title_len || ntitled != mt->n_titled) return fail(s, err, "title lengths disagree with META's title counts");
    if (total != mt->total_len) return fail(s, err, "passage lengths do not sum to META's total");
    /* 4. DOCIDX: a permutation sorted by external id */
    uint8_t *seen = calloc(mt->n_docs ? mt->n_docs : 1, 1);
    if (!seen) return vs_err_set(err, VS_ENOMEM, "out of memory");
    const uint8_t *ix = vs_segment_section(s, VS_SEC_DOCIDX, NULL);
    const uint8_t *rk = vs_segment_section(s, VS_SEC_DOCRANK, NULL);
    vs_doc_info prev = { 0 };
    for (uint32_t i = 0; i < mt->n_docs; i++) {
        uint32_t d = vs_le_get32(ix + (size_t)i * 4);
        vs_doc_info di;
        if (d >= mt->n_docs || seen[d]) { free(seen); return fail(s, err, "document id index is not a permutation"); }
        seen[d] = 1;
        if (vs_le_get32(rk + (size_t)d * 4) != i) { free(seen); return fail(s, err, "document ranks do not invert the id index"); }
        if ((rc = vs_segment_doc(s, d, &di, err)) != VS_OK) { free(seen); return rc; }
        if (i > 0) {
            size_t m = di.id_len < prev.id_len ? di.id_len : prev.id_len;
            int cmp = memcmp(prev.id, di.id, m);
            if (cmp > 0 || (cmp == 0 && prev.id_len > di.id_len)) { free(seen); return fail(s, err, "document id index out of order"); }
        }
        prev = di;
    }
    free(seen);
    /* 5. stored text: every block decompresses to its recorded size */
    uint64_t slen;
    const uint8_t *stored = vs_segment_section(s, VS_SEC_STORED, &slen);
    char *tmp = NULL;
    uint32_t prev_first = 0;
    for (uint32_t b = 0; b < mt->n_stored_blocks; b++) {
        vs_stored_block sb;
        if ((rc = vs_segment_stored_block(s, b, &sb, err)) != VS_OK) { free(tmp); return rc; }
        uint64_t off = sb.off;
        uint32_t cl = sb.clen, rl = sb.rlen;
        if (b > 0 && sb.first <= prev_first) { free(tmp); return fail(s, err, "stored text blocks out of order"); }
        prev_first = sb.first;
        if (off > slen || cl > slen - off) { free(tmp); return fail(s, err, "stored text block out of range"); }
        char *t = realloc(tmp, rl ? rl : 1);
        if (!t) { free(tmp); return vs_err_set(err, VS_ENOMEM, "out of memory"); }
        tmp = t;
        if (rl > 0 && LZ4_decompress_safe((const char *)stored + off, tmp, (int)cl, (int)rl) != (int)rl) { free(tmp); return fail(s, err, "stored text block does not decompress"); }
        if (rl == 0 && cl != 0) { free(tmp); return fail(s, err, "stored text block does not decompress"); }
    }
    free(tmp);
    /* 6. FILES: every file is used by a document, in order (documents of a file are consecutive) */
    uint32_t want = 0;
    const uint8_t *docs = vs_segment_section(s, VS_SEC_DOCS, NULL);
    for (uint32_t d = 0; d < mt->n_docs; d++) {
        uint32_t f = vs_le_get32(docs + (size_t)d * VS_DOCS_ENTRY + 4);
        if (f != want && f != want + 1) return fail(s, err, "documents' file numbers are not consecutive");
        if (d == 0 && f != 0) return fail(s, err, "the first document's file number is not 0");
        want = f;
    }
    if (mt->n_docs > 0 && want + 1 != mt->n_files) return fail(s, err, "FILES has entries no document uses");
    return VS_OK;
}
