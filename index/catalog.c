/* catalog.c: the file catalog (see catalog.h). */
#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "le.h"

#define ENTRY_FIXED 45u /* bytes of an entry besides its path: 4 + 8 + 8 + 8 + 1 + 8 + 4 + 4 */

void vs_catalog_free(vs_catalog *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) free(c->v[i].path);
    free(c->v);
    memset(c, 0, sizeof *c);
}

vs_rc vs_catalog_add(vs_catalog *c, const vs_catalog_file *f) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        vs_catalog_file *v = reallocarray(c->v, cap, sizeof *v);
        if (!v) return VS_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    char *p = strdup(f->path);
    if (!p) return VS_ENOMEM;
    c->v[c->n] = *f;
    c->v[c->n].path = p;
    c->n++;
    return VS_OK;
}

/* Sort key: path, then insertion order (kept in first_doc's place during the sort would be
 * fragile): a stable merge sort keeps equal paths in insertion order. */
static void msort(vs_catalog_file *v, vs_catalog_file *tmp, size_t n) {
    if (n < 2) return;
    size_t h = n / 2;
    msort(v, tmp, h);
    msort(v + h, tmp, n - h);
    size_t a = 0, b = h, o = 0;
    while (a < h && b < n) tmp[o++] = strcmp(v[a].path, v[b].path) <= 0 ? v[a++] : v[b++];
    while (a < h) tmp[o++] = v[a++];
    while (b < n) tmp[o++] = v[b++];
    memcpy(v, tmp, n * sizeof *v);
}

void vs_catalog_compact(vs_catalog *c) {
    size_t o = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].path) c->v[o++] = c->v[i];
    c->n = o;
}

void vs_catalog_sort(vs_catalog *c) {
    vs_catalog_compact(c);
    if (c->n > 1) {
        vs_catalog_file *tmp = malloc(c->n * sizeof *tmp);
        if (tmp) {
            msort(c->v, tmp, c->n);
            free(tmp);
        } else { /* insertion sort: slow but correct and stable */
            for (size_t i = 1; i < c->n; i++) {
                vs_catalog_file x = c->v[i];
                size_t j = i;
                while (j > 0 && strcmp(c->v[j - 1].path, x.path) > 0) { c->v[j] = c->v[j - 1]; j--; }
                c->v[j] = x;
            }
        }
    }
    /* Of equal paths keep the last (the newest). */
    size_t o = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (i + 1 < c->n && strcmp(c->v[i].path, c->v[i + 1].path) == 0) {
            free(c->v[i].path);
            continue;
        }
        c->v[o++] = c->v[i];
    }
    c->n = o;
}

vs_catalog_file *vs_catalog_find(const vs_catalog *c, const char *path) {
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->v[mid].path, path);
        if (r == 0) return &c->v[mid];
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

vs_rc vs_catalog_encode(const vs_catalog *c, vs_buf *out, uint64_t *file_hash) {
    vs_rc rc = VS_OK;
    size_t start = out->len;
    vs_buf_put(out, VS_CAT_MAGIC, 8, &rc);
    vs_buf_put16(out, VS_CAT_MAJOR, &rc);
    vs_buf_put16(out, VS_CAT_MINOR, &rc);
    vs_buf_put32(out, 0, &rc);
    vs_buf_put64(out, c->n, &rc);
    for (size_t i = 0; i < c->n && rc == VS_OK; i++) {
        const vs_catalog_file *f = &c->v[i];
        size_t pl = strlen(f->path);
        if (pl == 0 || pl > VS_CAT_MAX_PATH) return VS_EINTERNAL;
        vs_buf_put32(out, (uint32_t)pl, &rc);
        vs_buf_put(out, f->path, pl, &rc);
        vs_buf_put64(out, f->size, &rc);
        vs_buf_put64(out, (uint64_t)f->mtime_ns, &rc);
        vs_buf_put64(out, f->hash, &rc);
        vs_buf_put8(out, f->format, &rc);
        vs_buf_put64(out, f->seg, &rc);
        vs_buf_put32(out, f->first_doc, &rc);
        vs_buf_put32(out, f->n_docs, &rc);
    }
    if (rc != VS_OK) return rc;
    uint64_t h = XXH3_64bits(out->p + start, out->len - start);
    vs_buf_put64(out, h, &rc);
    vs_buf_put(out, VS_CAT_MAGIC, 8, &rc);
    *file_hash = h;
    return rc;
}

static vs_rc bad(vs_err *err, const char *name, size_t off, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged at byte %zu: %s", name, off, what);
}

vs_rc vs_catalog_decode(const uint8_t *p, size_t n, const char *name, vs_catalog *c, uint64_t *file_hash, vs_err *err) {
    memset(c, 0, sizeof *c);
    if (n < 24 + 16) return bad(err, name, n, "too short for a file catalog");
    if (memcmp(p, VS_CAT_MAGIC, 8) != 0) return vs_err_set(err, VS_ECORRUPT, "'%s' is not a vsearch file catalog (bad magic)", name);
    if (vs_le_get16(p + 8) != VS_CAT_MAJOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses catalog format %u; this vsearch reads %u: rebuild with 'vsearch build'",
                          name, vs_le_get16(p + 8), VS_CAT_MAJOR);
    if (memcmp(p + n - 8, VS_CAT_MAGIC, 8) != 0) return bad(err, name, n - 8, "bad trailer magic (truncated file?)");
    uint64_t h = vs_le_get64(p + n - 16);
    if (XXH3_64bits(p, n - 16) != h) return bad(err, name, n - 16, "checksum mismatch");
    uint64_t cnt = vs_le_get64(p + 16);
    const uint8_t *q = p + 24, *end = p + n - 16;
    if (cnt > (uint64_t)(end - q) / (ENTRY_FIXED + 1)) return bad(err, name, 16, "file count out of range");
    for (uint64_t i = 0; i < cnt; i++) {
        size_t at = (size_t)(q - p);
        if (end - q < 4) { vs_catalog_free(c); return bad(err, name, at, "truncated entry"); }
        uint32_t pl = vs_le_get32(q);
        if (pl == 0 || pl > VS_CAT_MAX_PATH || (size_t)(end - q) < (size_t)pl + ENTRY_FIXED || memchr(q + 4, 0, pl)) {
            vs_catalog_free(c);
            return bad(err, name, at, "bad entry");
        }
        char path[VS_CAT_MAX_PATH + 1];
        memcpy(path, q + 4, pl);
        path[pl] = '\0';
        q += 4 + pl;
        vs_catalog_file f = { .path = path };
        f.size = vs_le_get64(q);
        f.mtime_ns = (int64_t)vs_le_get64(q + 8);
        f.hash = vs_le_get64(q + 16);
        f.format = q[24];
        f.seg = vs_le_get64(q + 25);
        f.first_doc = vs_le_get32(q + 33);
        f.n_docs = vs_le_get32(q + 37);
        q += ENTRY_FIXED - 4;
        if (f.format > 5 || (f.seg == 0 && f.n_docs != 0)) { vs_catalog_free(c); return bad(err, name, at, "bad entry"); }
        if (c->n > 0 && strcmp(c->v[c->n - 1].path, path) >= 0) { vs_catalog_free(c); return bad(err, name, at, "paths out of order"); }
        if (vs_catalog_add(c, &f) != VS_OK) { vs_catalog_free(c); return vs_err_set(err, VS_ENOMEM, "out of memory"); }
    }
    if (q != end) { vs_catalog_free(c); return bad(err, name, (size_t)(q - p), "trailing bytes"); }
    if (file_hash) *file_hash = h;
    return VS_OK;
}

vs_rc vs_catalog_read_fd(int fd, const char *dir, const char *path, uint64_t size, uint64_t expect_hash, vs_catalog *c,
                         vs_err *err) {
    memset(c, 0, sizeof *c);
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != size || size > ((uint64_t)1 << 40))
        return vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' does not have the size its MANIFEST records", dir, path);
    uint8_t *p = malloc(size ? (size_t)size : 1);
    if (!p) return vs_err_set(err, VS_ENOMEM, "out of memory");
    size_t got = 0;
    while (got < size) {
        ssize_t k = pread(fd, p + got, (size_t)size - got, (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    vs_rc rc;
    uint64_t h = 0;
    if (got != size) rc = vs_err_errno(err, VS_EIO, errno, "cannot read '%s'", path);
    else rc = vs_catalog_decode(p, (size_t)size, path, c, &h, err);
    free(p);
    if (rc == VS_OK && h != expect_hash) {
        vs_catalog_free(c);
        rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' is not the catalog its MANIFEST names", dir, path);
    }
    return rc;
}

vs_rc vs_catalog_read(const char *dir, const char *name, uint64_t size, uint64_t expect_hash, vs_catalog *c, vs_err *err) {
    char path[4096];
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vs_err_errno(err, errno == ENOENT ? VS_ECORRUPT : VS_EIO, errno, "cannot open file catalog '%s'", path);
    vs_rc rc = vs_catalog_read_fd(fd, dir, path, size, expect_hash, c, err);
    close(fd);
    return rc;
}
