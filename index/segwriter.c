/* segwriter.c: builds the sections of a segment in memory and writes the file with its page
 * checksums, section table and trailer (index/FORMAT.md). */
#include "segwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "le.h"
#include "postings.h"
#include "segment.h"

struct vs_segwriter {
    vs_buf meta, dict_index, dict, postings, positions, lens, passages, docs, strings,
        stored_dir, stored;
    vs_buf stored_raw;       /* passage text of the stored block being filled */
    uint32_t stored_first;   /* unused: kept implicit */
    uint32_t n_docs, n_passages, n_stored_blocks;
    uint64_t total_len, n_terms, n_postings, n_positions;
    /* dictionary front coding */
    vs_buf last_term;
    uint32_t in_block;
    /* doc ids for DOCIDX */
    uint64_t *doc_str;       /* per doc: strings offset of its id */
    uint32_t *doc_idlen;
    size_t doc_cap;
    vs_buf scratch;
};

vs_rc vs_segwriter_new(vs_segwriter **out, vs_err *err) {
    vs_segwriter *w = calloc(1, sizeof *w);
    if (!w) return vs_err_set(err, VS_ENOMEM, "out of memory creating a segment writer");
    *out = w;
    return VS_OK;
}

void vs_segwriter_free(vs_segwriter *w) {
    if (!w) return;
    vs_buf *bufs[] = { &w->meta, &w->dict_index, &w->dict, &w->postings, &w->positions, &w->lens,
                       &w->passages, &w->docs, &w->strings, &w->stored_dir, &w->stored,
                       &w->stored_raw, &w->last_term, &w->scratch };
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) vs_buf_free(bufs[i]);
    free(w->doc_str);
    free(w->doc_idlen);
    free(w);
}

static vs_rc nomem(vs_err *err) {
    return vs_err_set(err, VS_ENOMEM, "out of memory while building a segment");
}

vs_rc vs_segwriter_add_doc(vs_segwriter *w, const char *id, size_t id_len, const char *title,
                           size_t title_len, const char *path, size_t path_len, uint32_t *doc,
                           vs_err *err) {
    if (w->n_docs == UINT32_MAX) return vs_err_set(err, VS_EDATA, "too many documents for one segment");
    if (id_len == 0) return vs_err_set(err, VS_EDATA, "document with an empty id");
    if (id_len > UINT32_MAX || title_len > UINT32_MAX || path_len > UINT32_MAX)
        return vs_err_set(err, VS_EDATA, "document id, title or path too long");
    if (w->n_docs == w->doc_cap) {
        size_t cap = w->doc_cap ? w->doc_cap * 2 : 1024;
        uint64_t *a = realloc(w->doc_str, cap * sizeof *a);
        if (!a) return nomem(err);
        w->doc_str = a;
        uint32_t *b = realloc(w->doc_idlen, cap * sizeof *b);
        if (!b) return nomem(err);
        w->doc_idlen = b;
        w->doc_cap = cap;
    }
    vs_rc rc = VS_OK;
    uint64_t off = w->strings.len;
    w->doc_str[w->n_docs] = off;
    w->doc_idlen[w->n_docs] = (uint32_t)id_len;
    vs_buf_put(&w->strings, id, id_len, &rc);
    vs_buf_put(&w->strings, title, title_len, &rc);
    vs_buf_put(&w->strings, path, path_len, &rc);
    /* DOCS entry (32 bytes); n_passages is patched as passages arrive. */
    vs_buf_put32(&w->docs, w->n_passages, &rc);
    vs_buf_put32(&w->docs, 0, &rc);
    vs_buf_put64(&w->docs, off, &rc);
    vs_buf_put32(&w->docs, (uint32_t)id_len, &rc);
    vs_buf_put32(&w->docs, (uint32_t)title_len, &rc);
    vs_buf_put32(&w->docs, (uint32_t)path_len, &rc);
    vs_buf_put32(&w->docs, 0, &rc);
    if (rc != VS_OK) return nomem(err);
    *doc = w->n_docs++;
    return VS_OK;
}

static vs_rc flush_stored(vs_segwriter *w, vs_err *err) {
    if (w->stored_raw.len == 0) return VS_OK;
    if (w->stored_raw.len > (size_t)LZ4_MAX_INPUT_SIZE)
        return vs_err_set(err, VS_EDATA, "stored text block too large for LZ4");
    int bound = LZ4_compressBound((int)w->stored_raw.len);
    vs_rc rc = vs_buf_reserve(&w->stored, (size_t)bound);
    if (rc != VS_OK) return nomem(err);
    int n = LZ4_compress_default((const char *)w->stored_raw.p, (char *)w->stored.p + w->stored.len,
                                 (int)w->stored_raw.len, bound);
    if (n <= 0) return vs_err_set(err, VS_EINTERNAL, "LZ4 compression failed");
    vs_buf_put64(&w->stored_dir, w->stored.len, &rc);
    vs_buf_put32(&w->stored_dir, (uint32_t)n, &rc);
    vs_buf_put32(&w->stored_dir, (uint32_t)w->stored_raw.len, &rc);
    if (rc != VS_OK) return nomem(err);
    w->stored.len += (size_t)n;
    w->n_stored_blocks++;
    vs_buf_reset(&w->stored_raw);
    return VS_OK;
}

vs_rc vs_segwriter_add_passage(vs_segwriter *w, const char *text, size_t len, uint32_t ntokens,
                               uint32_t *pid, vs_err *err) {
    if (w->n_docs == 0) return vs_err_set(err, VS_EINTERNAL, "passage added before any document");
    if (w->n_passages == UINT32_MAX) return vs_err_set(err, VS_EDATA, "too many passages for one segment");
    if (len > (size_t)LZ4_MAX_INPUT_SIZE / 2)
        return vs_err_set(err, VS_EDATA, "passage of %zu bytes is too large to store", len);
    vs_rc rc;
    if (w->stored_raw.len > 0 && w->stored_raw.len + len > VS_STORED_BLOCK &&
        (rc = flush_stored(w, err)) != VS_OK)
        return rc;
    rc = VS_OK;
    uint32_t doc = w->n_docs - 1;
    uint8_t *d = w->docs.p + (size_t)doc * 32;
    uint32_t pno = vs_le_get32(d + 4) + 1;
    vs_le_put32(d + 4, pno);
    vs_buf_put32(&w->lens, ntokens, &rc);
    vs_buf_put32(&w->passages, doc, &rc);
    vs_buf_put32(&w->passages, pno, &rc);
    vs_buf_put32(&w->passages, w->n_stored_blocks, &rc);
    vs_buf_put32(&w->passages, (uint32_t)w->stored_raw.len, &rc);
    vs_buf_put32(&w->passages, (uint32_t)len, &rc);
    vs_buf_put(&w->stored_raw, text, len, &rc);
    if (rc != VS_OK) return nomem(err);
    w->total_len += ntokens;
    *pid = w->n_passages++;
    return VS_OK;
}

static uint32_t plen_of(const vs_segwriter *w, uint32_t pid) {
    return vs_le_get32(w->lens.p + (size_t)pid * 4);
}

vs_rc vs_segwriter_add_term(vs_segwriter *w, const char *term, size_t len, size_t df,
                            const uint32_t *pids, const uint32_t *tfs, const uint32_t *positions,
                            vs_err *err) {
    if (len == 0 || len > 65535) return vs_err_set(err, VS_EINTERNAL, "term of %zu bytes", len);
    if (df == 0 || df > w->n_passages)
        return vs_err_set(err, VS_EINTERNAL, "term '%.*s' has df %zu", (int)len, term, df);
    size_t common = 0;
    if (w->n_terms > 0) {
        size_t m = len < w->last_term.len ? len : w->last_term.len;
        while (common < m && (uint8_t)term[common] == w->last_term.p[common]) common++;
        int cmp = common < m ? ((uint8_t)term[common] < w->last_term.p[common] ? -1 : 1)
                             : (len < w->last_term.len ? -1 : (len > w->last_term.len ? 1 : 0));
        if (cmp <= 0)
            return vs_err_set(err, VS_EINTERNAL, "terms out of order at '%.*s'", (int)len, term);
    }
    vs_rc rc = VS_OK;
    /* Postings: skip table when more than one block, then the blocks. Positions alongside. */
    size_t nblocks = (df + VS_BLOCK_DOCS - 1) / VS_BLOCK_DOCS;
    uint64_t post_start = w->postings.len, pos_start = w->positions.len;
    size_t skip_at = w->postings.len;
    if (nblocks > 1) {
        rc = vs_buf_reserve(&w->postings, nblocks * VS_SKIP_ENTRY);
        if (rc != VS_OK) return nomem(err);
        memset(w->postings.p + w->postings.len, 0, nblocks * VS_SKIP_ENTRY);
        w->postings.len += nblocks * VS_SKIP_ENTRY;
    }
    size_t data_start = w->postings.len;
    uint32_t list_max_tf = 0, list_min_len = UINT32_MAX;
    uint64_t cf = 0;
    const uint32_t *pp = positions;
    for (size_t b = 0; b < nblocks; b++) {
        size_t i0 = b * VS_BLOCK_DOCS, n = df - i0 < VS_BLOCK_DOCS ? df - i0 : VS_BLOCK_DOCS;
        uint32_t max_tf = 0, min_len = UINT32_MAX;
        uint64_t block_pos_off = w->positions.len - pos_start;
        for (size_t i = i0; i < i0 + n; i++) {
            if (pids[i] >= w->n_passages || (i > 0 && pids[i] <= pids[i - 1]) || tfs[i] == 0)
                return vs_err_set(err, VS_EINTERNAL, "bad postings for '%.*s'", (int)len, term);
            if (tfs[i] > max_tf) max_tf = tfs[i];
            uint32_t pl = plen_of(w, pids[i]);
            if (pl < min_len) min_len = pl;
            cf += tfs[i];
            uint32_t prev = 0;
            for (uint32_t j = 0; j < tfs[i]; j++, pp++) {
                if (j > 0 && *pp <= prev)
                    return vs_err_set(err, VS_EINTERNAL, "positions out of order for '%.*s'", (int)len, term);
                vs_buf_putvar(&w->positions, j == 0 ? *pp : *pp - prev - 1, &rc);
                prev = *pp;
            }
        }
        uint64_t data_off = w->postings.len - data_start;
        if (data_off > UINT32_MAX || block_pos_off > UINT32_MAX)
            return vs_err_set(err, VS_EDATA, "postings of '%.*s' exceed 4 GiB", (int)len, term);
        if (rc == VS_OK)
            rc = vs_postings_encode_block(pids + i0, tfs + i0, n, i0 > 0, i0 > 0 ? pids[i0 - 1] : 0,
                                          &w->postings);
        if (rc != VS_OK) return nomem(err);
        if (nblocks > 1) {
            uint8_t *s = w->postings.p + skip_at + b * VS_SKIP_ENTRY;
            vs_le_put32(s, pids[i0 + n - 1]);
            vs_le_put32(s + 4, (uint32_t)data_off);
            vs_le_put32(s + 8, (uint32_t)block_pos_off);
            vs_le_put32(s + 12, max_tf);
            vs_le_put32(s + 16, min_len);
        }
        if (max_tf > list_max_tf) list_max_tf = max_tf;
        if (min_len < list_min_len) list_min_len = min_len;
    }
    /* Dictionary entry (front coded within blocks of VS_DICT_BLOCK terms). */
    if (w->in_block == VS_DICT_BLOCK || w->n_terms == 0) {
        w->in_block = 0;
        vs_buf_put64(&w->dict_index, w->dict.len, &rc);
        vs_buf_put64(&w->dict_index, post_start, &rc);
        vs_buf_put64(&w->dict_index, pos_start, &rc);
        common = 0;
    }
    vs_buf_putvar(&w->dict, common, &rc);
    vs_buf_putvar(&w->dict, len - common, &rc);
    vs_buf_put(&w->dict, term + common, len - common, &rc);
    vs_buf_putvar(&w->dict, df, &rc);
    vs_buf_putvar(&w->dict, cf, &rc);
    vs_buf_putvar(&w->dict, w->postings.len - post_start, &rc);
    vs_buf_putvar(&w->dict, w->positions.len - pos_start, &rc);
    vs_buf_putvar(&w->dict, list_max_tf, &rc);
    vs_buf_putvar(&w->dict, list_min_len, &rc);
    vs_buf_reset(&w->last_term);
    vs_buf_put(&w->last_term, term, len, &rc);
    if (rc != VS_OK) return nomem(err);
    w->in_block++;
    w->n_terms++;
    w->n_postings += df;
    w->n_positions += cf;
    return VS_OK;
}

/* ---- file output with page checksums ---- */

typedef struct filew {
    int fd;
    const char *path;
    uint64_t off;
    uint8_t page[VS_SEG_PAGE];
    size_t fill;
    vs_buf sums;   /* u64 per completed page */
    vs_rc rc;
    vs_err *err;
} filew;

static void fw_flush_page(filew *f) {
    if (f->rc != VS_OK || f->fill == 0) return;
    size_t done = 0;
    while (done < f->fill) {
        ssize_t n = write(f->fd, f->page + done, f->fill - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            f->rc = vs_err_errno(f->err, VS_EIO, errno ? errno : EIO, "cannot write '%s'", f->path);
            return;
        }
        done += (size_t)n;
    }
    vs_rc rc = VS_OK;
    vs_buf_put64(&f->sums, XXH3_64bits(f->page, f->fill), &rc);
    if (rc != VS_OK) f->rc = vs_err_set(f->err, VS_ENOMEM, "out of memory writing '%s'", f->path);
    f->fill = 0;
}

/* Writes bytes that are covered by page checksums. */
static void fw_data(filew *f, const void *data, size_t n) {
    const uint8_t *p = data;
    while (n > 0 && f->rc == VS_OK) {
        size_t k = VS_SEG_PAGE - f->fill;
        if (k > n) k = n;
        memcpy(f->page + f->fill, p, k);
        f->fill += k;
        f->off += k;
        p += k;
        n -= k;
        if (f->fill == VS_SEG_PAGE) fw_flush_page(f);
    }
}

static void fw_align(filew *f, size_t a) {
    static const uint8_t zero[64];
    size_t pad = (size_t)((a - f->off % a) % a);
    fw_data(f, zero, pad);
}

/* Writes bytes after the checksummed area (tables, trailer): straight through. */
static void fw_raw(filew *f, const void *data, size_t n) {
    const uint8_t *p = data;
    while (n > 0 && f->rc == VS_OK) {
        ssize_t k = write(f->fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            f->rc = vs_err_errno(f->err, VS_EIO, errno ? errno : EIO, "cannot write '%s'", f->path);
            return;
        }
        p += k;
        n -= (size_t)k;
        f->off += (uint64_t)k;
    }
}

vs_rc vs_segwriter_finish(vs_segwriter *w, const char *path, uint64_t raw_bytes, vs_err *err) {
    vs_rc rc = flush_stored(w, err);
    if (rc != VS_OK) return rc;
    /* DOCIDX: documents sorted by external id (byte order, then doc number). */
    uint32_t *order = malloc((size_t)(w->n_docs ? w->n_docs : 1) * sizeof *order);
    if (!order) return nomem(err);
    for (uint32_t i = 0; i < w->n_docs; i++) order[i] = i;
    {
        /* insertion into a merge sort: simple bottom-up merge sort for determinism and O(n log n) */
        uint32_t *tmp = malloc((size_t)(w->n_docs ? w->n_docs : 1) * sizeof *tmp);
        if (!tmp) { free(order); return nomem(err); }
        for (size_t width = 1; width < w->n_docs; width *= 2) {
            for (size_t lo = 0; lo < w->n_docs; lo += 2 * width) {
                size_t mid = lo + width < w->n_docs ? lo + width : w->n_docs;
                size_t hi = lo + 2 * width < w->n_docs ? lo + 2 * width : w->n_docs;
                size_t a = lo, b = mid, o = lo;
                while (a < mid && b < hi) {
                    uint32_t x = order[a], y = order[b];
                    uint32_t lx = w->doc_idlen[x], ly = w->doc_idlen[y];
                    int c = memcmp(w->strings.p + w->doc_str[x], w->strings.p + w->doc_str[y],
                                   lx < ly ? lx : ly);
                    if (c == 0) c = lx < ly ? -1 : (lx > ly ? 1 : 0);
                    tmp[o++] = c <= 0 ? order[a++] : order[b++];
                }
                while (a < mid) tmp[o++] = order[a++];
                while (b < hi) tmp[o++] = order[b++];
            }
            memcpy(order, tmp, w->n_docs * sizeof *order);
        }
        free(tmp);
    }
    vs_buf docidx = VS_BUF_INIT;
    for (uint32_t i = 0; i < w->n_docs; i++) vs_buf_put32(&docidx, order[i], &rc);
    free(order);
    /* META */
    vs_buf_reset(&w->meta);
    vs_buf_put32(&w->meta, w->n_docs, &rc);
    vs_buf_put32(&w->meta, w->n_passages, &rc);
    vs_buf_put64(&w->meta, w->total_len, &rc);
    vs_buf_put64(&w->meta, w->n_terms, &rc);
    vs_buf_put64(&w->meta, w->n_postings, &rc);
    vs_buf_put64(&w->meta, w->n_positions, &rc);
    vs_buf_put64(&w->meta, raw_bytes, &rc);
    vs_buf_put32(&w->meta, (uint32_t)((w->n_terms + VS_DICT_BLOCK - 1) / VS_DICT_BLOCK), &rc);
    vs_buf_put32(&w->meta, w->n_stored_blocks, &rc);
    vs_buf_put64(&w->meta, 0, &rc); /* reserved */
    if (rc != VS_OK) { vs_buf_free(&docidx); return nomem(err); }

    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { vs_buf_free(&docidx); return vs_err_errno(err, VS_EIO, errno, "cannot create '%s'", path); }
    filew f = { .fd = fd, .path = path, .rc = VS_OK, .err = err };
    uint8_t head[16];
    memcpy(head, VS_SEG_MAGIC, 8);
    vs_le_put16(head + 8, VS_SEG_MAJOR);
    vs_le_put16(head + 10, VS_SEG_MINOR);
    vs_le_put32(head + 12, VS_SEG_PAGE);
    fw_data(&f, head, sizeof head);
    const struct { int id; vs_buf *b; } secs[] = {
        { VS_SEC_META, &w->meta }, { VS_SEC_DICT_INDEX, &w->dict_index }, { VS_SEC_DICT, &w->dict },
        { VS_SEC_POSTINGS, &w->postings }, { VS_SEC_POSITIONS, &w->positions },
        { VS_SEC_LENS, &w->lens }, { VS_SEC_PASSAGES, &w->passages }, { VS_SEC_DOCS, &w->docs },
        { VS_SEC_DOCIDX, &docidx }, { VS_SEC_STRINGS, &w->strings },
        { VS_SEC_STORED_DIR, &w->stored_dir }, { VS_SEC_STORED, &w->stored },
    };
    const size_t nsec = sizeof secs / sizeof *secs;
    uint8_t table[sizeof secs / sizeof *secs * 32];
    for (size_t i = 0; i < nsec; i++) {
        fw_align(&f, 64);
        uint8_t *t = table + i * 32;
        vs_le_put32(t, (uint32_t)secs[i].id);
        vs_le_put32(t + 4, 0);
        vs_le_put64(t + 8, f.off);
        vs_le_put64(t + 16, secs[i].b->len);
        vs_le_put64(t + 24, 0);
        fw_data(&f, secs[i].b->p, secs[i].b->len);
    }
    vs_buf_free(&docidx);
    fw_align(&f, 64);
    fw_flush_page(&f);
    uint64_t table_off = f.off;
    uint64_t n_pages = f.sums.len / 8;
    fw_raw(&f, table, sizeof table);
    fw_raw(&f, f.sums.p, f.sums.len);
    uint8_t tr[VS_SEG_TRAILER];
    vs_le_put64(tr, table_off);
    vs_le_put32(tr + 8, (uint32_t)nsec);
    vs_le_put32(tr + 12, VS_SEG_PAGE);
    vs_le_put64(tr + 16, n_pages);
    vs_le_put64(tr + 24, XXH3_64bits(table, sizeof table));
    vs_le_put64(tr + 32, XXH3_64bits(f.sums.p, f.sums.len));
    vs_le_put64(tr + 40, XXH3_64bits(tr, 40));
    memcpy(tr + 48, VS_SEG_MAGIC, 8);
    fw_raw(&f, tr, sizeof tr);
    vs_buf_free(&f.sums);
    if (f.rc == VS_OK && fsync(fd) != 0) f.rc = vs_err_errno(err, VS_EIO, errno, "cannot fsync '%s'", path);
    if (close(fd) != 0 && f.rc == VS_OK) f.rc = vs_err_errno(err, VS_EIO, errno, "cannot close '%s'", path);
    if (f.rc != VS_OK) unlink(path);
    return f.rc;
}
