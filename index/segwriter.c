/* segwriter.c: builds the sections of a segment, in memory or streamed, and writes the file with
 * its page checksums, section table and trailer (index/FORMAT.md).
 *
 * Every section is a `sink`: a memory buffer, a buffered temporary file, or (streaming mode) the
 * segment file itself. The file's data area is laid out as: preamble, STORED, POSTINGS, then
 * META, DICT_INDEX, DICT, POSITIONS, LENS, PASSAGES, DOCS, DOCIDX, STRINGS, STORED_DIR,
 * STORED_OFFS, FILES, DOCRANK, TLENS, each
 * 64-byte aligned. In streaming mode STORED (written during the document phase) and POSTINGS
 * (the term phase) — the two largest sections — go straight into the segment file as they are
 * produced, with writeback started every few MiB (sync_file_range), so that finish() only copies
 * the smaller sections from their temporary files (read(2) through a 1 MiB buffer: page cache,
 * not resident memory) and its fsync has little left to do. Every 4 KiB page is hashed as it goes
 * out. The memory mode produces the same bytes. */
#include "segwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "le.h"
#include "postings.h"
#include "segment.h"
#include "wfile.h"

/* Buffer of each temporary section file: 7 of them stay well under 1 MiB together. */
#define SINK_BUF (128u * 1024)
/* The final file goes out in writes of this size (a multiple of the page size). */
#define OUT_BUF (1024u * 1024)
/* Writeback of the segment file is started every WRITEBACK bytes. */
#define WRITEBACK (8u * 1024 * 1024)

typedef struct sink {
    vs_buf mem;             /* memory mode */
    vs_wbuf f;              /* file mode when f.path != NULL */
    int file;               /* 1: temporary file; 2: the segment file itself (direct) */
    uint64_t len;
} sink;

enum { S_DICT_INDEX, S_DICT, S_POSTINGS, S_POSITIONS, S_LENS, S_PASSAGES, S_DOCS, S_STRINGS,
       S_STORED_DIR, S_STORED, S_STORED_OFFS, S_FILES, S_N };
/* Sections streamed in tmp mode: 1 to temporary files, 2 into the segment file (the others stay
 * in memory). */
static const int streamed[S_N] = { [S_DICT] = 1, [S_POSTINGS] = 2, [S_POSITIONS] = 1,
                                   [S_PASSAGES] = 1, [S_DOCS] = 1, [S_STRINGS] = 1, [S_STORED] = 2,
                                   [S_STORED_OFFS] = 1, [S_FILES] = 1 };
static const char *const sink_name[S_N] = { "dictidx", "dict", "postings", "positions", "lens",
                                            "passages", "docs", "strings", "storeddir", "stored",
                                            "storedoffs", "files" };

/* ---- file output with page checksums ---- */

typedef struct filew {
    int fd;
    char *path;             /* owned */
    uint64_t off;           /* bytes produced so far */
    uint64_t synced;        /* bytes handed to writeback */
    uint8_t *buf;           /* OUT_BUF bytes; pages of the data area are hashed when written */
    size_t fill;
    int data;               /* still in the checksummed area */
    vs_buf sums;            /* u64 per page */
    vs_rc rc;
    vs_err err;
} filew;

static void fw_flush(filew *f, int final) {
    if (f->rc != VS_OK || f->fill == 0) return;
    size_t n = f->fill;
    if (f->data) {
        if (!final) n -= n % VS_SEG_PAGE;
        vs_rc rc = VS_OK;
        for (size_t p = 0; p < n; p += VS_SEG_PAGE) {
            size_t k = n - p < VS_SEG_PAGE ? n - p : VS_SEG_PAGE;
            vs_buf_put64(&f->sums, XXH3_64bits(f->buf + p, k), &rc);
        }
        if (rc != VS_OK) {
            f->rc = vs_err_set(&f->err, VS_ENOMEM, "out of memory writing '%s'", f->path);
            return;
        }
    }
    f->rc = vs_wfile_write(f->fd, f->buf, n, f->path, &f->err);
    memmove(f->buf, f->buf + n, f->fill - n);
    f->fill -= n;
    /* Start writeback of what is written (no wait): the final fsync then has little to do. */
    uint64_t done = f->off - f->fill;
    if (f->rc == VS_OK && done - f->synced >= WRITEBACK) {
        (void)sync_file_range(f->fd, (off64_t)f->synced, (off64_t)(done - f->synced), SYNC_FILE_RANGE_WRITE);
        f->synced = done;
    }
}

static void fw_put(filew *f, const void *data, size_t n) {
    if (f->fd < 0) return;
    const uint8_t *p = data;
    while (n > 0 && f->rc == VS_OK) {
        size_t k = OUT_BUF - f->fill;
        if (k > n) k = n;
        memcpy(f->buf + f->fill, p, k);
        f->fill += k;
        f->off += k;
        p += k;
        n -= k;
        if (f->fill == OUT_BUF) fw_flush(f, 0);
    }
}

static void fw_align(filew *f, size_t a) {
    static const uint8_t zero[64];
    fw_put(f, zero, (size_t)((a - f->off % a) % a));
}

/* Copies a section into the file. */
static void fw_sink(filew *f, sink *s) {
    vs_err *err = &f->err;
    if (!s->file) {
        fw_put(f, s->mem.p, s->mem.len);
        return;
    }
    char *path = s->f.path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        f->rc = vs_err_errno(err, VS_EIO, errno, "cannot reopen '%s'", path);
        return;
    }
    uint64_t left = s->len;
    while (left > 0 && f->rc == VS_OK) {
        if (f->fill == OUT_BUF) fw_flush(f, 0);
        size_t room = OUT_BUF - f->fill;
        ssize_t k = read(fd, f->buf + f->fill, room < left ? room : (size_t)left);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            f->rc = vs_err_errno(err, VS_EIO, k < 0 ? errno : EIO, "cannot read back '%s'", path);
            break;
        }
        f->fill += (size_t)k;
        f->off += (uint64_t)k;
        left -= (uint64_t)k;
    }
    close(fd);
}

static vs_rc fw_open(filew *f, const char *path, vs_err *err) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->data = 1;
    if (!(f->path = strdup(path)) || !(f->buf = malloc(OUT_BUF))) {
        free(f->path);
        f->path = NULL;
        return vs_err_set(err, VS_ENOMEM, "out of memory while building a segment");
    }
    vs_rc rc = vs_wfile_create(path, 1, &f->fd, err);
    if (rc != VS_OK) {
        free(f->path);
        free(f->buf);
        f->path = NULL;
        f->buf = NULL;
        return rc;
    }
    uint8_t head[16];
    memcpy(head, VS_SEG_MAGIC, 8);
    vs_le_put16(head + 8, VS_SEG_MAJOR);
    vs_le_put16(head + 10, VS_SEG_MINOR);
    vs_le_put32(head + 12, VS_SEG_PAGE);
    fw_put(f, head, sizeof head);
    return VS_OK;
}

/* Closes and, unless `keep`, removes the file. */
static void fw_close(filew *f, int keep) {
    if (f->fd >= 0) {
        close(f->fd);
        if (!keep) vs_wfile_unlink(f->path);
    }
    f->fd = -1;
    free(f->path);
    free(f->buf);
    vs_buf_free(&f->sums);
    f->path = NULL;
    f->buf = NULL;
}

struct vs_segwriter {
    sink s[S_N];
    int tmp;                 /* streaming mode */
    filew out;               /* streaming mode: the segment file, open from the start */
    int terms_started;       /* STORED is complete; POSTINGS has begun */
    const uint8_t *lens;     /* a part (fork): the parent's passage lengths, borrowed */
    uint64_t stored_off, postings_off;
    char *prefix;
    vs_rc rc;                /* first sink failure */
    vs_buf stored_raw;       /* passage text of the stored block being filled */
    vs_buf zbuf;             /* compressed block (file mode) */
    uint32_t n_docs, n_passages, n_stored_blocks, n_files;
    uint64_t total_len, n_terms, n_postings, n_positions;
    uint32_t blk_first, blk_np;  /* passages of the stored block being filled */
    vs_buf last_path;            /* the path of the last file (documents of a file are consecutive) */
    /* external ids, for DOCIDX */
    vs_buf ids;
    uint64_t *id_off;
    uint32_t *id_len;
    size_t id_cap;
    /* per document: first passage id and title length (TLENS; title bounds); a part borrows
     * its parent's */
    uint32_t *dfirst, *dtlen;
    int borrowed;
    /* dictionary front coding */
    vs_buf last_term;
    uint32_t in_block;
    /* the term being written */
    int in_term;
    vs_buf term;
    uint32_t blk_docs[VS_BLOCK_DOCS], blk_tfs[VS_BLOCK_DOCS], blk_n;
    uint32_t blk_max_tf, blk_min_len;
    uint64_t blk_pos_off;
    vs_buf blocks, skip;     /* encoded blocks and skip entries of the term */
    uint64_t t_df, t_cf, t_pos_start;
    uint32_t t_max_tf, t_min_len, t_last_pid, t_prev_last;
};

static vs_rc nomem(vs_err *err) {
    return vs_err_set(err, VS_ENOMEM, "out of memory while building a segment");
}

/* ---- sinks ---- */

static void sink_put(vs_segwriter *w, int i, const void *p, size_t n) {
    sink *s = &w->s[i];
    if (w->rc != VS_OK) return;
    if (s->file == 2) {
        fw_put(&w->out, p, n);
        if (w->out.rc != VS_OK) w->rc = w->out.rc;
    } else if (s->file) {
        vs_wbuf_put(&s->f, p, n);
        if (s->f.rc != VS_OK) w->rc = s->f.rc;
    } else {
        vs_rc rc = VS_OK;
        vs_buf_put(&s->mem, p, n, &rc);
        if (rc != VS_OK) w->rc = VS_ENOMEM;
    }
    if (w->rc == VS_OK) s->len += n;
}

static void sink_put32(vs_segwriter *w, int i, uint32_t v) {
    uint8_t t[4];
    vs_le_put32(t, v);
    sink_put(w, i, t, 4);
}

static void sink_put64(vs_segwriter *w, int i, uint64_t v) {
    uint8_t t[8];
    vs_le_put64(t, v);
    sink_put(w, i, t, 8);
}

static void sink_putvar(vs_segwriter *w, int i, uint64_t v) {
    uint8_t t[10];
    sink_put(w, i, t, vs_varint_put(t, v));
}

/* The message of a sink failure. */
static vs_rc sink_fail(vs_segwriter *w, vs_err *err) {
    if (w->out.rc != VS_OK) {
        if (err) *err = w->out.err;
        return w->out.rc;
    }
    for (int i = 0; i < S_N; i++)
        if (w->s[i].file == 1 && w->s[i].f.rc != VS_OK) {
            if (err) *err = w->s[i].f.err;
            return w->s[i].f.rc;
        }
    return nomem(err);
}

#define CHECK_SINKS(w, err) do { if ((w)->rc != VS_OK) return sink_fail(w, err); } while (0)

/* ---- construction ---- */

vs_rc vs_segwriter_new(vs_segwriter **out, vs_err *err) {
    vs_segwriter *w = calloc(1, sizeof *w);
    if (!w) return nomem(err);
    w->out.fd = -1;
    *out = w;
    return VS_OK;
}

vs_rc vs_segwriter_new_tmp(const char *tmp_prefix, const char *path, vs_segwriter **out, vs_err *err) {
    *out = NULL;
    vs_segwriter *w = calloc(1, sizeof *w);
    if (!w || !(w->prefix = strdup(tmp_prefix))) {
        free(w);
        return nomem(err);
    }
    w->out.fd = -1;
    w->tmp = 1;
    vs_rc rc = fw_open(&w->out, path, err);
    for (int i = 0; i < S_N && rc == VS_OK; i++) {
        if (streamed[i] != 1) {
            w->s[i].file = streamed[i];
            continue;
        }
        char p[4096];
        snprintf(p, sizeof p, "%s.%s", tmp_prefix, sink_name[i]);
        if ((rc = vs_wbuf_open(&w->s[i].f, p, SINK_BUF, err)) == VS_OK) w->s[i].file = 1;
    }
    if (rc != VS_OK) {
        vs_segwriter_free(w);
        return rc;
    }
    /* STORED comes first, 64-byte aligned after the preamble */
    fw_align(&w->out, 64);
    w->stored_off = w->out.off;
    *out = w;
    return VS_OK;
}

void vs_segwriter_free(vs_segwriter *w) {
    if (!w) return;
    for (int i = 0; i < S_N; i++) {
        vs_buf_free(&w->s[i].mem);
        vs_wbuf_discard(&w->s[i].f);
    }
    fw_close(&w->out, 0);
    vs_buf *bufs[] = { &w->stored_raw, &w->zbuf, &w->ids, &w->last_term, &w->term, &w->blocks, &w->skip, &w->last_path };
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) vs_buf_free(bufs[i]);
    free(w->id_off);
    free(w->id_len);
    if (!w->borrowed) {
        free(w->dfirst);
        free(w->dtlen);
    }
    free(w->prefix);
    free(w);
}

size_t vs_segwriter_mem(const vs_segwriter *w) {
    size_t n = sizeof *w + w->stored_raw.cap + w->zbuf.cap + w->ids.cap + w->id_cap * 20 + w->term.cap +
               w->blocks.cap + w->skip.cap + w->last_term.cap + w->last_path.cap;
    for (int i = 0; i < S_N; i++) n += w->s[i].mem.cap + (w->s[i].file == 1 ? w->s[i].f.cap : 0);
    return n + (w->out.buf ? OUT_BUF : 0) + w->out.sums.cap;
}

size_t vs_segwriter_tables(const vs_segwriter *w) {
    return w->ids.cap + w->id_cap * 20 + w->s[S_LENS].mem.cap + w->s[S_STORED_DIR].mem.cap +
           w->s[S_DICT_INDEX].mem.cap;
}

uint32_t vs_segwriter_passages(const vs_segwriter *w) { return w->n_passages; }
uint32_t vs_segwriter_docs(const vs_segwriter *w) { return w->n_docs; }

/* ---- documents and passages ---- */

vs_rc vs_segwriter_add_doc(vs_segwriter *w, const char *id, size_t id_len, const char *title,
                           size_t title_len, const char *path, size_t path_len, uint32_t *doc,
                           vs_err *err) {
    if (w->terms_started) return vs_err_set(err, VS_EINTERNAL, "document added after the terms");
    if (w->n_docs == UINT32_MAX) return vs_err_set(err, VS_EDATA, "too many documents for one segment");
    if (id_len == 0) return vs_err_set(err, VS_EDATA, "document with an empty id");
    if (id_len > UINT32_MAX || title_len > UINT32_MAX || path_len > UINT32_MAX)
        return vs_err_set(err, VS_EDATA, "document id, title or path too long");
    if (w->n_docs == w->id_cap) {
        size_t cap = w->id_cap ? w->id_cap * 2 : 1024;
        uint64_t *a = reallocarray(w->id_off, cap, sizeof *a);
        if (!a) return nomem(err);
        w->id_off = a;
        uint32_t *b = reallocarray(w->id_len, cap, sizeof *b);
        if (!b) return nomem(err);
        w->id_len = b;
        if (!(b = reallocarray(w->dfirst, cap, sizeof *b))) return nomem(err);
        w->dfirst = b;
        if (!(b = reallocarray(w->dtlen, cap, sizeof *b))) return nomem(err);
        w->dtlen = b;
        w->id_cap = cap;
    }
    vs_rc rc = VS_OK;
    w->id_off[w->n_docs] = w->ids.len;
    w->id_len[w->n_docs] = (uint32_t)id_len;
    w->dfirst[w->n_docs] = w->n_passages;
    w->dtlen[w->n_docs] = 0;
    vs_buf_put(&w->ids, id, id_len, &rc);
    if (rc != VS_OK) return nomem(err);
    /* A new file when the path changes: FILES points at its path in STRINGS. */
    if (w->n_files == 0 || w->last_path.len != path_len || memcmp(w->last_path.p, path, path_len) != 0) {
        if (w->n_files == UINT32_MAX) return vs_err_set(err, VS_EDATA, "too many files for one segment");
        vs_buf_reset(&w->last_path);
        if (vs_buf_append(&w->last_path, path, path_len) != VS_OK) return nomem(err);
        sink_put64(w, S_FILES, w->s[S_STRINGS].len);
        sink_putvar(w, S_STRINGS, path_len);
        sink_put(w, S_STRINGS, path, path_len);
        w->n_files++;
    }
    sink_put32(w, S_DOCS, w->n_passages);
    sink_put32(w, S_DOCS, w->n_files - 1);
    sink_put64(w, S_DOCS, w->s[S_STRINGS].len);
    sink_putvar(w, S_STRINGS, id_len);
    sink_putvar(w, S_STRINGS, title_len);
    sink_put(w, S_STRINGS, id, id_len);
    sink_put(w, S_STRINGS, title, title_len);
    CHECK_SINKS(w, err);
    *doc = w->n_docs++;
    return VS_OK;
}

vs_rc vs_segwriter_doc_title(vs_segwriter *w, uint32_t tlen, vs_err *err) {
    if (w->terms_started || w->n_docs == 0) return vs_err_set(err, VS_EINTERNAL, "title length outside a document");
    w->dtlen[w->n_docs - 1] = tlen;
    return VS_OK;
}

static vs_rc flush_stored(vs_segwriter *w, vs_err *err) {
    if (w->blk_np == 0) return VS_OK;
    if (w->stored_raw.len == 0) { /* passages with no text: an empty block, nothing compressed */
        sink_put64(w, S_STORED_DIR, w->s[S_STORED].len);
        sink_put32(w, S_STORED_DIR, 0);
        sink_put32(w, S_STORED_DIR, 0);
        sink_put32(w, S_STORED_DIR, w->blk_first);
        CHECK_SINKS(w, err);
        w->n_stored_blocks++;
        w->blk_np = 0;
        return VS_OK;
    }
    if (w->stored_raw.len > (size_t)LZ4_MAX_INPUT_SIZE)
        return vs_err_set(err, VS_EDATA, "stored text block too large for LZ4");
    int bound = LZ4_compressBound((int)w->stored_raw.len);
    /* Memory mode compresses straight into the section; file mode into a reused buffer. */
    int file = w->s[S_STORED].file != 0;
    vs_buf *dst = file ? &w->zbuf : &w->s[S_STORED].mem;
    if (file) vs_buf_reset(dst);
    if (vs_buf_reserve(dst, (size_t)bound) != VS_OK) return nomem(err);
    int n = LZ4_compress_default((const char *)w->stored_raw.p, (char *)dst->p + dst->len,
                                 (int)w->stored_raw.len, bound);
    if (n <= 0) return vs_err_set(err, VS_EINTERNAL, "LZ4 compression failed");
    sink_put64(w, S_STORED_DIR, w->s[S_STORED].len);
    sink_put32(w, S_STORED_DIR, (uint32_t)n);
    sink_put32(w, S_STORED_DIR, (uint32_t)w->stored_raw.len);
    sink_put32(w, S_STORED_DIR, w->blk_first);
    if (file) {
        sink_put(w, S_STORED, dst->p, (size_t)n);
    } else {
        dst->len += (size_t)n;
        w->s[S_STORED].len += (uint64_t)n;
    }
    CHECK_SINKS(w, err);
    w->n_stored_blocks++;
    w->blk_np = 0;
    vs_buf_reset(&w->stored_raw);
    return VS_OK;
}

vs_rc vs_segwriter_add_passage(vs_segwriter *w, const char *text, size_t len, uint32_t ntokens,
                               uint32_t *pid, vs_err *err) {
    if (w->terms_started) return vs_err_set(err, VS_EINTERNAL, "passage added after the terms");
    if (w->n_docs == 0) return vs_err_set(err, VS_EINTERNAL, "passage added before any document");
    if (w->n_passages == UINT32_MAX) return vs_err_set(err, VS_EDATA, "too many passages for one segment");
    if (len > (size_t)LZ4_MAX_INPUT_SIZE / 2)
        return vs_err_set(err, VS_EDATA, "passage of %zu bytes is too large to store", len);
    vs_rc rc;
    if (w->stored_raw.len > 0 && w->stored_raw.len + len > VS_STORED_BLOCK &&
        (rc = flush_stored(w, err)) != VS_OK)
        return rc;
    if (w->blk_np++ == 0) w->blk_first = w->n_passages;
    sink_put32(w, S_LENS, ntokens);
    sink_put32(w, S_PASSAGES, w->n_docs - 1);
    sink_put32(w, S_STORED_OFFS, (uint32_t)w->stored_raw.len);
    CHECK_SINKS(w, err);
    if (vs_buf_append(&w->stored_raw, text, len) != VS_OK) return nomem(err);
    w->total_len += ntokens;
    *pid = w->n_passages++;
    return VS_OK;
}

static uint32_t plen_of(const vs_segwriter *w, uint32_t pid) {
    return vs_le_get32((w->lens ? w->lens : w->s[S_LENS].mem.p) + (size_t)pid * 4);
}

/* ---- terms ---- */

/* The document phase is over: the last stored block is written, and POSTINGS starts (64-byte
 * aligned after STORED in the segment file). */
static vs_rc start_terms(vs_segwriter *w, vs_err *err) {
    if (w->terms_started) return VS_OK;
    vs_rc rc = flush_stored(w, err);
    if (rc != VS_OK) return rc;
    w->terms_started = 1;
    if (w->tmp) {
        fw_align(&w->out, 64);
        w->postings_off = w->out.off;
        if (w->out.rc != VS_OK) {
            *err = w->out.err;
            return w->out.rc;
        }
    }
    return VS_OK;
}

vs_rc vs_segwriter_term_begin(vs_segwriter *w, const char *term, size_t len, vs_err *err) {
    if (w->in_term) return vs_err_set(err, VS_EINTERNAL, "term begun inside another term");
    vs_rc rc0 = start_terms(w, err);
    if (rc0 != VS_OK) return rc0;
    if (len == 0 || len > 65535) return vs_err_set(err, VS_EINTERNAL, "term of %zu bytes", len);
    if (w->n_terms > 0) {
        size_t m = len < w->last_term.len ? len : w->last_term.len;
        int c = memcmp(term, w->last_term.p, m);
        if (c < 0 || (c == 0 && len <= w->last_term.len))
            return vs_err_set(err, VS_EINTERNAL, "terms out of order at '%.*s'", (int)len, term);
    }
    vs_buf_reset(&w->term);
    if (vs_buf_append(&w->term, term, len) != VS_OK) return nomem(err);
    vs_buf_reset(&w->blocks);
    vs_buf_reset(&w->skip);
    w->in_term = 1;
    w->blk_n = 0;
    w->t_df = w->t_cf = 0;
    w->t_max_tf = 0;
    w->t_min_len = UINT32_MAX;
    w->t_pos_start = w->s[S_POSITIONS].len;
    return VS_OK;
}

static vs_rc flush_block(vs_segwriter *w, vs_err *err) {
    uint64_t data_off = w->blocks.len;
    if (data_off > UINT32_MAX || w->blk_pos_off > UINT32_MAX)
        return vs_err_set(err, VS_EDATA, "postings of '%.*s' exceed 4 GiB", (int)w->term.len, (const char *)w->term.p);
    int have_prev = w->skip.len > 0;
    vs_rc rc = vs_postings_encode_block(w->blk_docs, w->blk_tfs, w->blk_n, have_prev, w->t_prev_last, &w->blocks);
    if (rc != VS_OK) return nomem(err);
    uint8_t e[VS_SKIP_ENTRY];
    vs_le_put32(e, w->blk_docs[w->blk_n - 1]);
    vs_le_put32(e + 4, (uint32_t)data_off);
    vs_le_put32(e + 8, (uint32_t)w->blk_pos_off);
    vs_le_put32(e + 12, w->blk_max_tf);
    vs_le_put32(e + 16, w->blk_min_len);
    if (vs_buf_append(&w->skip, e, sizeof e) != VS_OK) return nomem(err);
    if (w->blk_max_tf > w->t_max_tf) w->t_max_tf = w->blk_max_tf;
    if (w->blk_min_len < w->t_min_len) w->t_min_len = w->blk_min_len;
    w->t_prev_last = w->blk_docs[w->blk_n - 1];
    w->blk_n = 0;
    return VS_OK;
}

/* Title length of the document whose first passage is pid (0: pid is not the first passage of a
 * document with passages and an indexed title). */
static uint32_t title_len_at(const vs_segwriter *w, uint32_t pid) {
    size_t lo = 0, hi = w->n_docs; /* the last document with dfirst <= pid */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->dfirst[mid] <= pid) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0 || w->dfirst[lo - 1] != pid) return 0;
    return w->dtlen[lo - 1]; /* the last of the documents starting at pid is the one that has passages */
}

/* Block bookkeeping of a posting whose positions are written. */
static vs_rc posting(vs_segwriter *w, uint32_t pid, uint32_t tf, vs_err *err) {
    uint32_t pl;
    if (vs_term_is_title((const char *)w->term.p, w->term.len)) {
        pl = title_len_at(w, pid);
        if (pl == 0 || tf > pl)
            return vs_err_set(err, VS_EINTERNAL, "title posting of '%.*s' at passage %u: not the first passage of a document titled with it",
                              (int)w->term.len - 1, (const char *)w->term.p + 1, pid);
    } else {
        pl = plen_of(w, pid);
    }
    if (tf > w->blk_max_tf) w->blk_max_tf = tf;
    if (pl < w->blk_min_len) w->blk_min_len = pl;
    w->blk_docs[w->blk_n] = pid;
    w->blk_tfs[w->blk_n] = tf;
    w->t_last_pid = pid;
    w->t_df++;
    w->t_cf += tf;
    if (++w->blk_n == VS_BLOCK_DOCS) return flush_block(w, err);
    return VS_OK;
}

vs_rc vs_segwriter_term_add_enc(vs_segwriter *w, uint32_t pid, uint32_t tf, const uint8_t *pos, size_t n, vs_err *err) {
    if (!w->in_term) return vs_err_set(err, VS_EINTERNAL, "posting outside a term");
    if (pid >= w->n_passages || (w->t_df > 0 && pid <= w->t_last_pid) || tf == 0 || n < tf || n > (size_t)tf * 5)
        return vs_err_set(err, VS_EINTERNAL, "bad postings for '%.*s'", (int)w->term.len, (const char *)w->term.p);
    if (w->blk_n == 0) {
        w->blk_max_tf = 0;
        w->blk_min_len = UINT32_MAX;
        w->blk_pos_off = w->s[S_POSITIONS].len - w->t_pos_start;
    }
    sink_put(w, S_POSITIONS, pos, n);
    CHECK_SINKS(w, err);
    return posting(w, pid, tf, err);
}

vs_rc vs_segwriter_term_add(vs_segwriter *w, uint32_t pid, uint32_t tf, const uint32_t *pos, vs_err *err) {
    const char *t = (const char *)w->term.p;
    int tl = (int)w->term.len;
    if (!w->in_term) return vs_err_set(err, VS_EINTERNAL, "posting outside a term");
    if (pid >= w->n_passages || (w->t_df > 0 && pid <= w->t_last_pid) || tf == 0)
        return vs_err_set(err, VS_EINTERNAL, "bad postings for '%.*s'", tl, t);
    if (w->blk_n == 0) {
        w->blk_max_tf = 0;
        w->blk_min_len = UINT32_MAX;
        w->blk_pos_off = w->s[S_POSITIONS].len - w->t_pos_start;
    }
    uint32_t prev = 0;
    uint8_t vb[10 * 64];
    size_t vn = 0;
    for (uint32_t j = 0; j < tf; j++) {
        if (j > 0 && pos[j] <= prev)
            return vs_err_set(err, VS_EINTERNAL, "positions out of order for '%.*s'", tl, t);
        vn += vs_varint_put(vb + vn, j == 0 ? pos[j] : pos[j] - prev - 1);
        prev = pos[j];
        if (vn > sizeof vb - 10) {
            sink_put(w, S_POSITIONS, vb, vn);
            vn = 0;
        }
    }
    sink_put(w, S_POSITIONS, vb, vn);
    CHECK_SINKS(w, err);
    return posting(w, pid, tf, err);
}

/* Writes the dictionary entry of the term just written (its postings began at post_start, its
 * positions at w->t_pos_start; w->t_* hold its statistics) and counts it. */
static vs_rc dict_entry(vs_segwriter *w, uint64_t post_start, vs_err *err) {
    const uint8_t *t = w->term.p;
    size_t len = w->term.len, common = 0;
    if (w->in_block == VS_DICT_BLOCK || w->n_terms == 0) {
        w->in_block = 0;
        sink_put64(w, S_DICT_INDEX, w->s[S_DICT].len);
        sink_put64(w, S_DICT_INDEX, post_start);
        sink_put64(w, S_DICT_INDEX, w->t_pos_start);
    } else {
        size_t m = len < w->last_term.len ? len : w->last_term.len;
        while (common < m && t[common] == w->last_term.p[common]) common++;
    }
    sink_putvar(w, S_DICT, common);
    sink_putvar(w, S_DICT, len - common);
    sink_put(w, S_DICT, t + common, len - common);
    sink_putvar(w, S_DICT, w->t_df);
    sink_putvar(w, S_DICT, w->t_cf);
    sink_putvar(w, S_DICT, w->s[S_POSTINGS].len - post_start);
    sink_putvar(w, S_DICT, w->s[S_POSITIONS].len - w->t_pos_start);
    sink_putvar(w, S_DICT, w->t_max_tf);
    sink_putvar(w, S_DICT, w->t_min_len);
    CHECK_SINKS(w, err);
    vs_buf_reset(&w->last_term);
    if (vs_buf_append(&w->last_term, t, len) != VS_OK) return nomem(err);
    w->in_block++;
    w->n_terms++;
    w->n_postings += w->t_df;
    w->n_positions += w->t_cf;
    return VS_OK;
}

/* The skip table as stored (FORMAT.md, POSTINGS): a widths byte, the blocks' last ids (u32
 * each, what seeks scan), then per block its data offset, positions offset, max tf and min
 * length, each in the fewest bytes (1..4) that hold the list's largest value of that field. The
 * entries collected in w->skip are little-endian u32 fields, so a field's low bytes are it. */
static void put_skip(vs_segwriter *w, uint64_t nblocks) {
    uint32_t mx[4] = { 0, 0, 0, 0 }, wb[4];
    for (uint64_t b = 0; b < nblocks; b++)
        for (int f = 0; f < 4; f++) mx[f] |= vs_le_get32(w->skip.p + b * VS_SKIP_ENTRY + 4 + 4 * f);
    uint8_t widths = 0;
    for (int f = 0; f < 4; f++) {
        wb[f] = mx[f] < 1u << 8 ? 1 : mx[f] < 1u << 16 ? 2 : mx[f] < 1u << 24 ? 3 : 4;
        widths |= (uint8_t)((wb[f] - 1) << (2 * f));
    }
    sink_put(w, S_POSTINGS, &widths, 1);
    for (uint64_t b = 0; b < nblocks; b++) sink_put(w, S_POSTINGS, w->skip.p + b * VS_SKIP_ENTRY, 4);
    for (uint64_t b = 0; b < nblocks; b++)
        for (int f = 0; f < 4; f++) sink_put(w, S_POSTINGS, w->skip.p + b * VS_SKIP_ENTRY + 4 + 4 * f, wb[f]);
}

vs_rc vs_segwriter_term_end(vs_segwriter *w, vs_err *err) {
    if (!w->in_term) return vs_err_set(err, VS_EINTERNAL, "term end outside a term");
    w->in_term = 0;
    if (w->t_df == 0) return VS_OK; /* every posting dropped: no entry */
    vs_rc rc;
    if (w->blk_n > 0 && (rc = flush_block(w, err)) != VS_OK) return rc;
    uint64_t nblocks = w->skip.len / VS_SKIP_ENTRY;
    uint64_t post_start = w->s[S_POSTINGS].len;
    if (nblocks > 1) put_skip(w, nblocks);
    sink_put(w, S_POSTINGS, w->blocks.p, w->blocks.len);
    return dict_entry(w, post_start, err);
}

vs_rc vs_segwriter_add_term(vs_segwriter *w, const char *term, size_t len, size_t df,
                            const uint32_t *pids, const uint32_t *tfs, const uint32_t *positions,
                            vs_err *err) {
    if (len == 0 || len > 65535) return vs_err_set(err, VS_EINTERNAL, "term of %zu bytes", len);
    if (df == 0 || df > w->n_passages)
        return vs_err_set(err, VS_EINTERNAL, "term '%.*s' has df %zu", (int)len, term, df);
    vs_rc rc = vs_segwriter_term_begin(w, term, len, err);
    const uint32_t *pp = positions;
    for (size_t i = 0; i < df && rc == VS_OK; i++) {
        rc = vs_segwriter_term_add(w, pids[i], tfs[i], pp, err);
        pp += tfs[i];
    }
    if (rc != VS_OK) {
        w->in_term = 0;
        return rc;
    }
    return vs_segwriter_term_end(w, err);
}

/* DOCIDX: document numbers sorted by external id (bytes, then doc number: stable). */
static uint32_t *sort_ids(const vs_segwriter *w) {
    size_t n = w->n_docs;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) {
                uint32_t x = order[a], y = order[b];
                uint32_t lx = w->id_len[x], ly = w->id_len[y];
                int c = memcmp(w->ids.p + w->id_off[x], w->ids.p + w->id_off[y], lx < ly ? lx : ly);
                if (c == 0) c = lx < ly ? -1 : (lx > ly ? 1 : 0);
                tmp[o++] = c <= 0 ? order[a++] : order[b++];
            }
            while (a < mid) tmp[o++] = order[a++];
            while (b < hi) tmp[o++] = order[b++];
        }
        memcpy(order, tmp, n * sizeof *order);
    }
    free(tmp);
    return order;
}

vs_rc vs_segwriter_finish(vs_segwriter *w, const char *path, uint64_t raw_bytes, vs_err *err) {
    if (w->in_term) return vs_err_set(err, VS_EINTERNAL, "segment finished inside a term");
    if (w->tmp && strcmp(path, w->out.path) != 0) return vs_err_set(err, VS_EINTERNAL, "segment path changed");
    vs_rc rc = start_terms(w, err);
    if (rc != VS_OK) return rc;
    CHECK_SINKS(w, err);
    uint32_t *order = sort_ids(w);
    if (!order) return nomem(err);
    vs_buf docidx = VS_BUF_INIT, docrank = VS_BUF_INIT, meta = VS_BUF_INIT;
    if (vs_buf_reserve(&docidx, (size_t)w->n_docs * 4 + 1) != VS_OK ||
        vs_buf_reserve(&docrank, (size_t)w->n_docs * 4 + 1) != VS_OK) {
        free(order);
        vs_buf_free(&docidx);
        return nomem(err);
    }
    for (uint32_t i = 0; i < w->n_docs; i++) {
        vs_le_put32(docidx.p + (size_t)i * 4, order[i]);
        vs_le_put32(docrank.p + (size_t)order[i] * 4, i);
    }
    docidx.len = docrank.len = (size_t)w->n_docs * 4;
    free(order);
    vs_buf_put32(&meta, w->n_docs, &rc);
    vs_buf_put32(&meta, w->n_passages, &rc);
    vs_buf_put64(&meta, w->total_len, &rc);
    vs_buf_put64(&meta, w->n_terms, &rc);
    vs_buf_put64(&meta, w->n_postings, &rc);
    vs_buf_put64(&meta, w->n_positions, &rc);
    vs_buf_put64(&meta, raw_bytes, &rc);
    vs_buf_put32(&meta, (uint32_t)((w->n_terms + VS_DICT_BLOCK - 1) / VS_DICT_BLOCK), &rc);
    vs_buf_put32(&meta, w->n_stored_blocks, &rc);
    vs_buf_put32(&meta, w->n_files, &rc);
    /* TLENS: a document without passages has no indexed title */
    vs_buf tlens = VS_BUF_INIT;
    uint64_t title_total = 0;
    uint32_t n_titled = 0;
    for (uint32_t d = 0; d < w->n_docs; d++) {
        uint32_t end = d + 1 < w->n_docs ? w->dfirst[d + 1] : w->n_passages;
        uint32_t tl = end > w->dfirst[d] ? w->dtlen[d] : 0;
        title_total += tl;
        n_titled += tl > 0;
        vs_buf_put32(&tlens, tl, &rc);
    }
    vs_buf_put32(&meta, n_titled, &rc);
    vs_buf_put64(&meta, title_total, &rc);
    if (rc != VS_OK) {
        vs_buf_free(&docidx);
        vs_buf_free(&docrank);
        vs_buf_free(&meta);
        vs_buf_free(&tlens);
        return nomem(err);
    }
    /* Temporary sections: complete them on disk (no fsync: they are read back at once). */
    for (int i = 0; i < S_N; i++)
        if (w->s[i].file == 1 && vs_wbuf_flush(&w->s[i].f) != VS_OK) {
            *err = w->s[i].f.err;
            vs_buf_free(&docidx);
            vs_buf_free(&docrank);
            vs_buf_free(&meta);
            vs_buf_free(&tlens);
            return w->s[i].f.rc;
        }
    filew *f = &w->out;
    if (!w->tmp) { /* memory mode: the same layout, written now */
        if ((rc = fw_open(f, path, err)) != VS_OK) {
            vs_buf_free(&docidx);
            vs_buf_free(&docrank);
            vs_buf_free(&meta);
            vs_buf_free(&tlens);
            return rc;
        }
        fw_align(f, 64);
        w->stored_off = f->off;
        fw_sink(f, &w->s[S_STORED]);
        fw_align(f, 64);
        w->postings_off = f->off;
        fw_sink(f, &w->s[S_POSTINGS]);
    }
    sink smeta = { .mem = meta, .len = meta.len }, sidx = { .mem = docidx, .len = docidx.len },
         srank = { .mem = docrank, .len = docrank.len }, stl = { .mem = tlens, .len = tlens.len };
    /* the sections after STORED and POSTINGS, in this order */
    struct { int id; sink *s; } rest[] = {
        { VS_SEC_META, &smeta }, { VS_SEC_DICT_INDEX, &w->s[S_DICT_INDEX] }, { VS_SEC_DICT, &w->s[S_DICT] },
        { VS_SEC_POSITIONS, &w->s[S_POSITIONS] }, { VS_SEC_LENS, &w->s[S_LENS] }, { VS_SEC_PASSAGES, &w->s[S_PASSAGES] },
        { VS_SEC_DOCS, &w->s[S_DOCS] }, { VS_SEC_DOCIDX, &sidx }, { VS_SEC_STRINGS, &w->s[S_STRINGS] },
        { VS_SEC_STORED_DIR, &w->s[S_STORED_DIR] }, { VS_SEC_STORED_OFFS, &w->s[S_STORED_OFFS] },
        { VS_SEC_FILES, &w->s[S_FILES] }, { VS_SEC_DOCRANK, &srank }, { VS_SEC_TLENS, &stl },
    };
    uint64_t off[VS_SEC_COUNT_] = { 0 }, len[VS_SEC_COUNT_] = { 0 };
    off[VS_SEC_STORED] = w->stored_off;
    len[VS_SEC_STORED] = w->s[S_STORED].len;
    off[VS_SEC_POSTINGS] = w->postings_off;
    len[VS_SEC_POSTINGS] = w->s[S_POSTINGS].len;
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) {
        fw_align(f, 64);
        off[rest[i].id] = f->off;
        len[rest[i].id] = rest[i].s->len;
        fw_sink(f, rest[i].s);
    }
    vs_buf_free(&docidx);
    vs_buf_free(&docrank);
    vs_buf_free(&meta);
    vs_buf_free(&tlens);
    fw_align(f, 64);
    fw_flush(f, 1);
    f->data = 0;
    /* section table, in id order */
    const size_t nsec = VS_SEC_COUNT_ - 1;
    uint8_t table[(VS_SEC_COUNT_ - 1) * 32];
    for (int id = 1; id < VS_SEC_COUNT_; id++) {
        uint8_t *t = table + (size_t)(id - 1) * 32;
        vs_le_put32(t, (uint32_t)id);
        vs_le_put32(t + 4, 0);
        vs_le_put64(t + 8, off[id]);
        vs_le_put64(t + 16, len[id]);
        vs_le_put64(t + 24, 0);
    }
    uint64_t table_off = f->off;
    uint64_t n_pages = f->sums.len / 8;
    fw_put(f, table, sizeof table);
    fw_put(f, f->sums.p, f->sums.len);
    uint8_t tr[VS_SEG_TRAILER];
    vs_le_put64(tr, table_off);
    vs_le_put32(tr + 8, (uint32_t)nsec);
    vs_le_put32(tr + 12, VS_SEG_PAGE);
    vs_le_put64(tr + 16, n_pages);
    vs_le_put64(tr + 24, XXH3_64bits(table, sizeof table));
    vs_le_put64(tr + 32, XXH3_64bits(f->sums.p, f->sums.len));
    vs_le_put64(tr + 40, XXH3_64bits(tr, 40));
    memcpy(tr + 48, VS_SEG_MAGIC, 8);
    fw_put(f, tr, sizeof tr);
    fw_flush(f, 1);
    rc = f->rc;
    if (rc == VS_OK) rc = vs_wfile_fsync(f->fd, f->path, &f->err);
    if (rc == VS_OK && close(f->fd) != 0) rc = vs_err_errno(&f->err, VS_EIO, errno, "cannot close '%s'", path);
    else if (rc == VS_OK) f->fd = -1;
    if (rc != VS_OK && err) *err = f->err;
    fw_close(f, rc == VS_OK); /* removes the file on failure */
    /* The temporary sections are no longer needed, whatever happened. */
    for (int i = 0; i < S_N; i++) vs_wbuf_discard(&w->s[i].f);
    return rc;
}

/* ---- parts: terms encoded by another thread ---- */

vs_rc vs_segwriter_fork(vs_segwriter *w, const char *tmp_prefix, vs_segwriter **out, vs_err *err) {
    *out = NULL;
    vs_rc rc = start_terms(w, err);
    if (rc != VS_OK) return rc;
    vs_segwriter *c = calloc(1, sizeof *c);
    if (!c) return nomem(err);
    c->out.fd = -1;
    c->lens = w->lens ? w->lens : w->s[S_LENS].mem.p;
    c->n_passages = w->n_passages;
    c->n_docs = w->n_docs;
    c->dfirst = w->dfirst;
    c->dtlen = w->dtlen;
    c->borrowed = 1;
    c->terms_started = 1;
    static const int part_sinks[] = { S_DICT, S_POSTINGS, S_POSITIONS };
    for (size_t i = 0; i < sizeof part_sinks / sizeof *part_sinks && rc == VS_OK; i++) {
        int k = part_sinks[i];
        char p[4096];
        snprintf(p, sizeof p, "%s.%s", tmp_prefix, sink_name[k]);
        if ((rc = vs_wbuf_open(&c->s[k].f, p, SINK_BUF, err)) == VS_OK) c->s[k].file = 1;
    }
    if (rc != VS_OK) {
        vs_segwriter_free(c);
        return rc;
    }
    *out = c;
    return VS_OK;
}

/* Copies n bytes from fd (a part's temporary section) into sink k of w. */
static vs_rc copy_in(vs_segwriter *w, int k, int fd, uint64_t n, const char *path, uint8_t *buf, size_t cap, vs_err *err) {
    while (n > 0) {
        size_t want = n < cap ? (size_t)n : cap;
        ssize_t got = read(fd, buf, want);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return vs_err_errno(err, VS_EIO, got < 0 ? errno : EIO, "cannot read back '%s'", path);
        sink_put(w, k, buf, (size_t)got);
        CHECK_SINKS(w, err);
        n -= (uint64_t)got;
    }
    return VS_OK;
}

vs_rc vs_segwriter_join(vs_segwriter *w, vs_segwriter *part, vs_err *err) {
    if (w->in_term || part->in_term) return vs_err_set(err, VS_EINTERNAL, "join inside a term");
    vs_rc rc = VS_OK;
    for (int k = 0; k < S_N && rc == VS_OK; k++)
        if (part->s[k].file == 1 && vs_wbuf_flush(&part->s[k].f) != VS_OK) {
            *err = part->s[k].f.err;
            rc = part->s[k].f.rc;
        }
    if (rc != VS_OK) return rc;
    if (part->n_terms == 0) return VS_OK;
    const char *dp = part->s[S_DICT].f.path, *pp = part->s[S_POSTINGS].f.path, *qp = part->s[S_POSITIONS].f.path;
    int fd_d = open(dp, O_RDONLY | O_CLOEXEC), fd_p = open(pp, O_RDONLY | O_CLOEXEC), fd_q = open(qp, O_RDONLY | O_CLOEXEC);
    uint8_t *buf = malloc(OUT_BUF), *dict = NULL;
    uint64_t dlen = part->s[S_DICT].len;
    if (fd_d < 0 || fd_p < 0 || fd_q < 0) rc = vs_err_errno(err, VS_EIO, errno, "cannot reopen the sections of '%s'", dp);
    else if (!buf || !(dict = malloc(dlen ? (size_t)dlen : 1))) rc = nomem(err);
    /* the part's dictionary (small: a few bytes per term) is read whole */
    for (uint64_t got = 0; rc == VS_OK && got < dlen;) {
        ssize_t k = pread(fd_d, dict + got, (size_t)(dlen - got), (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) rc = vs_err_errno(err, VS_EIO, k < 0 ? errno : EIO, "cannot read back '%s'", dp);
        else got += (uint64_t)k;
    }
    const uint8_t *q = dict, *end = dict + dlen;
    char term[65536];
    size_t tlen = 0;
    for (uint64_t t = 0; rc == VS_OK && t < part->n_terms; t++) {
        uint64_t v[8];
        for (int i = 0; i < 2; i++) {
            size_t k = vs_varint_get(q, end, &v[i]);
            if (!k) { rc = vs_err_set(err, VS_EINTERNAL, "part dictionary does not decode"); break; }
            q += k;
        }
        if (rc != VS_OK) break;
        if (t % VS_DICT_BLOCK == 0) tlen = 0; /* front coding restarts with each block of the part */
        if (v[0] > tlen || v[1] > (uint64_t)(end - q) || v[0] + v[1] > sizeof term) { rc = vs_err_set(err, VS_EINTERNAL, "part dictionary does not decode"); break; }
        memcpy(term + v[0], q, v[1]);
        tlen = v[0] + v[1];
        q += v[1];
        for (int i = 2; i < 8; i++) {
            size_t k = vs_varint_get(q, end, &v[i]);
            if (!k) { rc = vs_err_set(err, VS_EINTERNAL, "part dictionary does not decode"); break; }
            q += k;
        }
        if (rc != VS_OK) break;
        /* the term, as if written here: postings and positions bytes copied, dictionary entry new */
        if ((rc = vs_segwriter_term_begin(w, term, tlen, err)) != VS_OK) break;
        w->in_term = 0;
        uint64_t post_start = w->s[S_POSTINGS].len;
        if ((rc = copy_in(w, S_POSTINGS, fd_p, v[4], pp, buf, OUT_BUF, err)) != VS_OK) break;
        if ((rc = copy_in(w, S_POSITIONS, fd_q, v[5], qp, buf, OUT_BUF, err)) != VS_OK) break;
        w->t_df = v[2];
        w->t_cf = v[3];
        w->t_max_tf = (uint32_t)v[6];
        w->t_min_len = (uint32_t)v[7];
        rc = dict_entry(w, post_start, err);
    }
    if (fd_d >= 0) close(fd_d);
    if (fd_p >= 0) close(fd_p);
    if (fd_q >= 0) close(fd_q);
    free(buf);
    free(dict);
    return rc;
}
