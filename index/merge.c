/* merge.c: segment merging (see merge.h). Terms are merged with one dictionary cursor per input
 * (a pull-style reader of the DICT/DICT_INDEX layout of index/FORMAT.md, verifying every byte
 * it reads with vs_segment_need) and a small heap; postings are read with vs_plist. */
#include "merge.h"

#include <inttypes.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "delfile.h"
#include "le.h"
#include "plist.h"
#include "segwriter.h"

/* ---- dictionary cursor ---- */

typedef struct dcur {
    vs_segment *s;
    uint32_t blk;               /* next block to load */
    uint64_t left;              /* terms not yet returned */
    uint32_t in_blk;            /* entries left in the loaded block */
    const uint8_t *p, *end;
    uint64_t post_off, pos_off;
    char *term;                 /* 65536 bytes */
    size_t tlen;
    vs_term_info ti;
    int done;
} dcur;

static vs_rc dbad(vs_err *err, vs_segment *s, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged: %s", vs_segment_name(s), what);
}

static vs_rc dcur_block(dcur *c, vs_err *err) {
    vs_segment *s = c->s;
    const vs_segment_meta *mt = vs_segment_get_meta(s);
    vs_rc rc = vs_segment_need(s, VS_SEC_DICT_INDEX, (uint64_t)c->blk * 24, 24, err);
    if (rc != VS_OK) return rc;
    const uint8_t *e = vs_segment_section(s, VS_SEC_DICT_INDEX, NULL) + (size_t)c->blk * 24;
    uint64_t dlen, doff = vs_le_get64(e), dend;
    const uint8_t *d = vs_segment_section(s, VS_SEC_DICT, &dlen);
    dend = dlen;
    if (c->blk + 1 < mt->n_dict_blocks) {
        if ((rc = vs_segment_need(s, VS_SEC_DICT_INDEX, (uint64_t)(c->blk + 1) * 24, 8, err)) != VS_OK) return rc;
        dend = vs_le_get64(e + 24);
    }
    if (doff > dend || dend > dlen) return dbad(err, s, "dictionary block out of range");
    if ((rc = vs_segment_need(s, VS_SEC_DICT, doff, dend - doff, err)) != VS_OK) return rc;
    c->p = d + doff;
    c->end = d + dend;
    c->post_off = vs_le_get64(e + 8);
    c->pos_off = vs_le_get64(e + 16);
    c->tlen = 0;
    c->in_blk = (uint32_t)(c->left < VS_DICT_BLOCK ? c->left : VS_DICT_BLOCK);
    c->blk++;
    return VS_OK;
}

/* Moves to the next term; c->done when there is none. */
static vs_rc dcur_next(dcur *c, vs_err *err) {
    if (c->left == 0) {
        c->done = 1;
        return VS_OK;
    }
    vs_rc rc;
    if (c->in_blk == 0) {
        if (c->p != c->end && c->blk > 0) return dbad(err, c->s, "trailing bytes in a dictionary block");
        if ((rc = dcur_block(c, err)) != VS_OK) return rc;
    }
    vs_segment *s = c->s;
    const vs_segment_meta *mt = vs_segment_get_meta(s);
    uint64_t v[8];
    const uint8_t *p = c->p;
    for (int i = 0; i < 2; i++) {
        size_t k = vs_varint_get(p, c->end, &v[i]);
        if (!k) return dbad(err, s, "truncated dictionary entry");
        p += k;
    }
    if (v[0] > c->tlen || v[1] > (uint64_t)(c->end - p) || v[0] + v[1] == 0 || v[0] + v[1] > 65535)
        return dbad(err, s, "bad dictionary entry");
    memcpy(c->term + v[0], p, v[1]);
    c->tlen = v[0] + v[1];
    p += v[1];
    for (int i = 2; i < 8; i++) {
        size_t k = vs_varint_get(p, c->end, &v[i]);
        if (!k) return dbad(err, s, "truncated dictionary entry");
        p += k;
    }
    if (v[2] == 0 || v[2] > mt->n_passages || v[3] < v[2] || v[6] == 0 || v[6] > UINT32_MAX || v[7] > UINT32_MAX)
        return dbad(err, s, "bad dictionary entry");
    uint64_t plen, poslen;
    vs_segment_section(s, VS_SEC_POSTINGS, &plen);
    vs_segment_section(s, VS_SEC_POSITIONS, &poslen);
    vs_term_info *ti = &c->ti;
    ti->df = (uint32_t)v[2];
    ti->cf = v[3];
    ti->post_off = c->post_off;
    ti->post_len = v[4];
    ti->pos_off = c->pos_off;
    ti->pos_len = v[5];
    ti->max_tf = (uint32_t)v[6];
    ti->min_len = (uint32_t)v[7];
    if (ti->post_off > plen || ti->post_len > plen - ti->post_off || ti->pos_off > poslen || ti->pos_len > poslen - ti->pos_off)
        return dbad(err, s, "postings of a term out of range");
    c->post_off += ti->post_len;
    c->pos_off += ti->pos_len;
    c->p = p;
    c->in_blk--;
    c->left--;
    return VS_OK;
}

static int term_cmp(const dcur *a, const dcur *b) {
    size_t m = a->tlen < b->tlen ? a->tlen : b->tlen;
    int c = memcmp(a->term, b->term, m);
    if (c) return c;
    return a->tlen < b->tlen ? -1 : (a->tlen > b->tlen);
}

/* ---- inputs ---- */

typedef struct input {
    vs_segment *s;
    const uint8_t *del;         /* document bitmap or NULL */
    uint8_t *pdel;              /* passage bitmap or NULL */
    uint32_t *rank;             /* live passages before each 64-passage word */
    uint32_t base;              /* first output passage id of this input */
    uint32_t live;              /* live passages */
    dcur dc;
    /* one decompressed stored block */
    uint32_t zblk;
    vs_buf text;
} input;

void vs_merge_release(vs_segment *s) {
    /* Only mapped files: on a caller's memory (vs_segment_open_mem) MADV_DONTNEED would zero it. */
    if (!vs_segment_mapped(s)) return;
    uint64_t off = vs_segment_section_off(s, VS_SEC_META);
    const uint8_t *base = vs_segment_section(s, VS_SEC_META, NULL) - off; /* the file's first page */
    (void)madvise((void *)base, (size_t)vs_segment_size(s), MADV_DONTNEED);
}

static vs_rc input_init(input *in, const vs_merge_in *mi, uint32_t base, vs_err *err) {
    memset(in, 0, sizeof *in);
    in->s = mi->seg;
    in->del = mi->del_docs;
    in->base = base;
    in->zblk = UINT32_MAX;
    const vs_segment_meta *mt = vs_segment_get_meta(in->s);
    uint64_t ndel = 0;
    if (in->del) {
        vs_rc rc = vs_delfile_passages(in->s, in->del, &in->pdel, &ndel, err);
        if (rc != VS_OK) return rc;
    }
    in->live = mt->n_passages - (uint32_t)ndel;
    size_t words = (size_t)mt->n_passages / 64 + 1;
    if (in->pdel) {
        if (!(in->rank = malloc(words * sizeof *in->rank))) return vs_err_set(err, VS_ENOMEM, "out of memory");
        uint32_t acc = 0;
        for (size_t w = 0; w < words; w++) {
            in->rank[w] = acc;
            for (size_t b = 0; b < 8; b++) {
                size_t byte = w * 8 + b;
                if (byte * 8 >= mt->n_passages) break;
                acc += 8u - (uint32_t)__builtin_popcount(in->pdel[byte]);
            }
        }
    }
    if (!(in->dc.term = malloc(65536))) return vs_err_set(err, VS_ENOMEM, "out of memory");
    in->dc.s = in->s;
    in->dc.left = mt->n_terms;
    return VS_OK;
}

static void input_free(input *in) {
    free(in->pdel);
    free(in->rank);
    free(in->dc.term);
    vs_buf_free(&in->text);
}

/* Output passage id of input passage pid (which must be live). */
static uint32_t remap(const input *in, uint32_t pid) {
    if (!in->pdel) return in->base + pid;
    uint32_t w = pid >> 6, r = in->rank[w];
    /* live passages of word w below pid: count deleted bits in the bytes before, then the bits */
    uint32_t first = w * 64, dead = 0;
    for (uint32_t b = first >> 3; b < (pid >> 3); b++) dead += (uint32_t)__builtin_popcount(in->pdel[b]);
    dead += (uint32_t)__builtin_popcount(in->pdel[pid >> 3] & ((1u << (pid & 7)) - 1));
    return in->base + r + (pid - first) - dead;
}

/* Bytes read from the inputs' mappings since they were last released, over all inputs: when
 * they reach the window every input's pages are released (the term phase reads all inputs at
 * once, so a per-input count would let n windows be resident). */
typedef struct reader_budget {
    input *ins;
    size_t n;
    uint64_t read, window;
} reader_budget;

static void account(reader_budget *rb, uint64_t bytes) {
    rb->read += bytes;
    if (rb->read >= rb->window) {
        for (size_t i = 0; i < rb->n; i++) vs_merge_release(rb->ins[i].s);
        rb->read = 0;
    }
}

/* Text of passage pi of input in (via its stored block, decompressed once per block). */
static vs_rc passage_text(input *in, reader_budget *rb, const vs_passage_info *pi, const char **text, vs_err *err) {
    vs_segment *s = in->s;
    if (in->zblk != pi->sblock) {
        vs_stored_block sb;
        vs_rc rc = vs_segment_stored_block(s, pi->sblock, &sb, err);
        if (rc != VS_OK) return rc;
        uint64_t off = sb.off;
        uint32_t clen = sb.clen, rlen = sb.rlen;
        if (clen > (uint32_t)LZ4_MAX_INPUT_SIZE) return dbad(err, s, "stored text block out of range");
        if ((rc = vs_segment_need(s, VS_SEC_STORED, off, clen, err)) != VS_OK) return rc;
        vs_buf_reset(&in->text);
        if (vs_buf_reserve(&in->text, (size_t)rlen + 1) != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory");
        int k = rlen == 0 ? 0 : LZ4_decompress_safe((const char *)vs_segment_section(s, VS_SEC_STORED, NULL) + off, (char *)in->text.p,
                                    (int)clen, (int)rlen);
        if (k != (int)rlen) return dbad(err, s, "stored text block does not decompress");
        in->text.len = rlen;
        in->zblk = pi->sblock;
        account(rb, clen);
    }
    if ((uint64_t)pi->soff + pi->slen > in->text.len) return dbad(err, s, "stored text reference out of range");
    *text = (const char *)in->text.p + pi->soff;
    return VS_OK;
}

/* ---- the merge ---- */

static vs_rc merge_docs(input *ins, size_t n, vs_segwriter *w, reader_budget *rb, vs_err *err) {
    for (size_t i = 0; i < n; i++) {
        input *in = &ins[i];
        const vs_segment_meta *mt = vs_segment_get_meta(in->s);
        for (uint32_t d = 0; d < mt->n_docs; d++) {
            if (in->del && vs_delfile_test(in->del, d)) continue;
            vs_doc_info di;
            uint32_t nd;
            vs_rc rc = vs_segment_doc(in->s, d, &di, err);
            if (rc == VS_OK) rc = vs_segwriter_add_doc(w, di.id, di.id_len, di.title, di.title_len, di.path, di.path_len, &nd, err);
            uint32_t tlen = 0;
            if (rc == VS_OK) rc = vs_segment_tlen(in->s, d, &tlen, err);
            if (rc == VS_OK && tlen > 0) rc = vs_segwriter_doc_title(w, tlen, err);
            if (rc != VS_OK) return rc;
            account(rb, VS_DOCS_ENTRY + di.id_len + di.title_len + di.path_len);
            for (uint32_t k = 0; k < di.n_passages; k++) {
                uint32_t pid = di.first_passage + k, npid;
                vs_passage_info pi;
                const char *text = NULL;
                if ((rc = vs_segment_passage(in->s, pid, &pi, err)) != VS_OK) return rc;
                if (pi.doc != d) return dbad(err, in->s, "passage table disagrees with the document table");
                if ((rc = passage_text(in, rb, &pi, &text, err)) != VS_OK) return rc;
                if ((rc = vs_segwriter_add_passage(w, text, pi.slen, pi.len, &npid, err)) != VS_OK) return rc;
                if (npid != remap(in, pid)) return vs_err_set(err, VS_EINTERNAL, "merge: passage numbering out of step");
                account(rb, 12);
            }
        }
    }
    return VS_OK;
}

/* Heap of input indexes ordered by (current term, input index). */
static int hless(input *ins, size_t a, size_t b) {
    int c = term_cmp(&ins[a].dc, &ins[b].dc);
    return c < 0 || (c == 0 && a < b);
}

static void hdown(input *ins, size_t *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && hless(ins, h[l], h[m])) m = l;
        if (l + 1 < n && hless(ins, h[l + 1], h[m])) m = l + 1;
        if (m == i) return;
        size_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static vs_rc merge_terms(input *ins, size_t n, vs_segwriter *w, reader_budget *rb, vs_merge_stats *st, vs_err *err) {
    size_t *heap = malloc((n ? n : 1) * sizeof *heap), hn = 0;
    size_t *cur = malloc((n ? n : 1) * sizeof *cur);
    uint32_t *pos = NULL, pcap = 0;
    vs_plist *pl = malloc(sizeof *pl);
    vs_rc rc = VS_OK;
    if (!heap || !cur || !pl) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); goto out; }
    for (size_t i = 0; i < n; i++) {
        if ((rc = dcur_next(&ins[i].dc, err)) != VS_OK) goto out;
        if (!ins[i].dc.done) heap[hn++] = i;
    }
    for (size_t i = hn; i-- > 0;) hdown(ins, heap, hn, i);
    while (hn > 0) {
        /* Pop every input whose current term equals the smallest; they come out in input order. */
        size_t nc = 0;
        size_t top = heap[0];
        do {
            cur[nc++] = heap[0];
            heap[0] = heap[--hn];
            hdown(ins, heap, hn, 0);
        } while (hn > 0 && term_cmp(&ins[heap[0]].dc, &ins[top].dc) == 0);
        const dcur *tc = &ins[top].dc;
        if ((rc = vs_segwriter_term_begin(w, tc->term, tc->tlen, err)) != VS_OK) goto out;
        for (size_t j = 0; j < nc; j++) {
            input *in = &ins[cur[j]];
            if ((rc = vs_plist_open(pl, in->s, &in->dc.ti)) != VS_OK) { *err = pl->err; goto out; }
            for (uint32_t d = pl->doc; d != VS_PLIST_END; d = vs_plist_next(pl)) {
                if (in->pdel && vs_delfile_test(in->pdel, d)) continue;
                uint32_t tf = vs_plist_tf(pl);
                if (tf > pcap) {
                    uint32_t c = tf * 2;
                    uint32_t *np = reallocarray(pos, c, sizeof *np);
                    if (!np) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); goto out; }
                    pos = np;
                    pcap = c;
                }
                int k = vs_plist_positions(pl, pos, tf);
                if (k < 0) break;
                if ((uint32_t)k != tf) { rc = dbad(err, in->s, "positions count differs from tf"); goto out; }
                if ((rc = vs_segwriter_term_add(w, remap(in, d), tf, pos, err)) != VS_OK) goto out;
            }
            if (pl->rc != VS_OK) { rc = pl->rc; *err = pl->err; goto out; }
            account(rb, in->dc.ti.post_len + in->dc.ti.pos_len + 16);
        }
        if ((rc = vs_segwriter_term_end(w, err)) != VS_OK) goto out;
        /* Advance the inputs just used and push them back. */
        for (size_t j = 0; j < nc; j++) {
            input *in = &ins[cur[j]];
            if ((rc = dcur_next(&in->dc, err)) != VS_OK) goto out;
            if (in->dc.done) continue;
            size_t i = hn++;
            heap[i] = cur[j];
            while (i > 0 && hless(ins, heap[i], heap[(i - 1) / 2])) {
                size_t t = heap[i]; heap[i] = heap[(i - 1) / 2]; heap[(i - 1) / 2] = t;
                i = (i - 1) / 2;
            }
        }
        st->terms++;
    }
out:
    free(heap);
    free(cur);
    free(pos);
    free(pl);
    return rc;
}

vs_rc vs_merge_segments(const vs_merge_in *mi, size_t n, const char *tmp_prefix, const char *out_path, size_t window,
                        vs_merge_stats *st, vs_err *err) {
    memset(st, 0, sizeof *st);
    if (!window) window = (size_t)64 << 20;
    input *ins = calloc(n ? n : 1, sizeof *ins);
    if (!ins) return vs_err_set(err, VS_ENOMEM, "out of memory");
    vs_rc rc = VS_OK;
    uint64_t base = 0, raw = 0, docs = 0;
    size_t ninit = 0;
    for (size_t i = 0; i < n && rc == VS_OK; i++) {
        rc = input_init(&ins[i], &mi[i], (uint32_t)base, err);
        ninit = i + 1;
        base += ins[i].live;
        raw += vs_segment_get_meta(mi[i].seg)->raw_bytes;
        uint64_t nd = vs_segment_get_meta(mi[i].seg)->n_docs;
        if (mi[i].del_docs)
            for (size_t b = 0; b < vs_delfile_bytes(nd); b++) nd -= (uint64_t)__builtin_popcount(mi[i].del_docs[b]);
        docs += nd;
        if (base > UINT32_MAX - 1) rc = vs_err_set(err, VS_EDATA, "merged segment would exceed 2^32 passages");
    }
    vs_segwriter *w = NULL;
    if (rc == VS_OK && docs == 0) rc = vs_err_set(err, VS_ENOENT, "no live document to merge");
    if (rc == VS_OK) rc = vs_segwriter_new_tmp(tmp_prefix, out_path, &w, err);
    reader_budget rb = { ins, n, 0, window };
    if (rc == VS_OK) rc = merge_docs(ins, n, w, &rb, err);
    for (size_t i = 0; i < n && rc == VS_OK; i++) vs_merge_release(ins[i].s);
    if (rc == VS_OK) rc = merge_terms(ins, n, w, &rb, st, err);
    if (rc == VS_OK) {
        st->docs = vs_segwriter_docs(w);
        st->passages = vs_segwriter_passages(w);
        rc = vs_segwriter_finish(w, out_path, raw, err);
    }
    for (size_t i = 0; i < n; i++) vs_merge_release(mi[i].seg);
    vs_segwriter_free(w);
    for (size_t i = 0; i < ninit; i++) input_free(&ins[i]);
    free(ins);
    return rc;
}
