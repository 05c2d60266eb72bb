/* delfile.c: deletion files (see delfile.h). */
#include "delfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "le.h"

#define HEAD 32u
#define TAIL 16u

vs_rc vs_delfile_encode(uint64_t seg_hash, uint32_t n_docs, const uint8_t *bits, vs_buf *out, uint64_t *file_hash) {
    vs_rc rc = VS_OK;
    size_t start = out->len, nb = vs_delfile_bytes(n_docs);
    uint32_t cnt = 0;
    for (size_t i = 0; i < nb; i++) cnt += (uint32_t)__builtin_popcount(bits[i]);
    vs_buf_put(out, VS_DEL_MAGIC, 8, &rc);
    vs_buf_put16(out, VS_DEL_MAJOR, &rc);
    vs_buf_put16(out, VS_DEL_MINOR, &rc);
    vs_buf_put32(out, 0, &rc);
    vs_buf_put64(out, seg_hash, &rc);
    vs_buf_put32(out, n_docs, &rc);
    vs_buf_put32(out, cnt, &rc);
    vs_buf_put(out, bits, nb, &rc);
    if (rc != VS_OK) return rc;
    uint64_t h = XXH3_64bits(out->p + start, out->len - start);
    vs_buf_put64(out, h, &rc);
    vs_buf_put(out, VS_DEL_MAGIC, 8, &rc);
    *file_hash = h;
    return rc;
}

static vs_rc bad(vs_err *err, const char *name, size_t off, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged at byte %zu: %s", name, off, what);
}

vs_rc vs_delfile_decode(const uint8_t *p, size_t n, const char *name, uint64_t seg_hash, uint32_t n_docs,
                        uint8_t **bits, uint32_t *n_deleted, uint64_t *file_hash, vs_err *err) {
    *bits = NULL;
    if (n < HEAD + TAIL) return bad(err, name, n, "too short for a deletion file");
    if (memcmp(p, VS_DEL_MAGIC, 8) != 0) return vs_err_set(err, VS_ECORRUPT, "'%s' is not a vsearch deletion file (bad magic)", name);
    if (vs_le_get16(p + 8) != VS_DEL_MAJOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses deletion format %u; this vsearch reads %u: rebuild with 'vsearch build'",
                          name, vs_le_get16(p + 8), VS_DEL_MAJOR);
    if (memcmp(p + n - 8, VS_DEL_MAGIC, 8) != 0) return bad(err, name, n - 8, "bad trailer magic (truncated file?)");
    uint64_t h = vs_le_get64(p + n - 16);
    if (XXH3_64bits(p, n - TAIL) != h) return bad(err, name, n - 16, "checksum mismatch");
    if (vs_le_get64(p + 16) != seg_hash) return bad(err, name, 16, "it belongs to another segment");
    if (vs_le_get32(p + 24) != n_docs) return bad(err, name, 24, "document count differs from its segment's");
    size_t nb = vs_delfile_bytes(n_docs);
    if (n != HEAD + nb + TAIL) return bad(err, name, n, "size does not match the document count");
    const uint8_t *b = p + HEAD;
    uint32_t cnt = 0;
    for (size_t i = 0; i < nb; i++) cnt += (uint32_t)__builtin_popcount(b[i]);
    if ((n_docs & 7) && (b[nb - 1] >> (n_docs & 7))) return bad(err, name, HEAD + nb - 1, "bits set past the last document");
    if (cnt != vs_le_get32(p + 28)) return bad(err, name, 28, "deleted count differs from the bitmap");
    uint8_t *out = malloc(nb ? nb : 1);
    if (!out) return vs_err_set(err, VS_ENOMEM, "out of memory");
    memcpy(out, b, nb);
    *bits = out;
    *n_deleted = cnt;
    if (file_hash) *file_hash = h;
    return VS_OK;
}

vs_rc vs_delfile_read(const char *dir, const char *name, uint64_t expect_hash, uint64_t seg_hash, uint32_t n_docs,
                      uint8_t **bits, uint32_t *n_deleted, vs_err *err) {
    char path[4096];
    *bits = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vs_err_errno(err, errno == ENOENT ? VS_ECORRUPT : VS_EIO, errno, "cannot open deletion file '%s'", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > (uint64_t)HEAD + TAIL + (1u << 29)) {
        close(fd);
        return bad(err, path, 0, "unexpected size");
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        close(fd);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    vs_rc rc;
    uint64_t h = 0;
    if (got != n) rc = vs_err_errno(err, VS_EIO, errno, "cannot read '%s'", path);
    else rc = vs_delfile_decode(p, n, path, seg_hash, n_docs, bits, n_deleted, &h, err);
    free(p);
    if (rc == VS_OK && h != expect_hash) {
        free(*bits);
        *bits = NULL;
        rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' is not the deletion file its MANIFEST names", dir, path);
    }
    return rc;
}

vs_rc vs_delfile_passages(vs_segment *s, const uint8_t *docbits, uint8_t **pbits, uint64_t *n_passages, vs_err *err) {
    const vs_segment_meta *mt = vs_segment_get_meta(s);
    uint8_t *pb = calloc(vs_delfile_bytes(mt->n_passages) + 1, 1);
    if (!pb) return vs_err_set(err, VS_ENOMEM, "out of memory");
    uint64_t cnt = 0;
    size_t nb = vs_delfile_bytes(mt->n_docs);
    for (size_t i = 0; i < nb; i++) {
        if (!docbits[i]) continue;
        for (uint32_t j = 0; j < 8; j++) {
            if (!((docbits[i] >> j) & 1)) continue;
            vs_doc_info di;
            vs_rc rc = vs_segment_doc(s, (uint32_t)(i * 8 + j), &di, err);
            if (rc != VS_OK) {
                free(pb);
                return rc;
            }
            for (uint32_t k = 0; k < di.n_passages; k++) vs_delfile_set(pb, di.first_passage + k);
            cnt += di.n_passages;
        }
    }
    *pbits = pb;
    *n_passages = cnt;
    return VS_OK;
}
