/* manifest.c: read, write and atomically commit the MANIFEST (see manifest.h). */
#include "manifest.h"

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
#include "wfile.h"

void vs_manifest_free(vs_manifest *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_seg; i++) {
        free(m->seg[i].name);
        free(m->seg[i].del_name);
    }
    free(m->seg);
    free(m->cat_name);
    vs_analyze_config_free(&m->acfg);
    memset(m, 0, sizeof *m);
}

vs_rc vs_manifest_encode(const vs_manifest *m, vs_buf *out) {
    vs_rc rc = VS_OK;
    vs_buf cfg = VS_BUF_INIT;
    if ((rc = vs_analyze_config_encode(&m->acfg, &cfg)) != VS_OK) return rc;
    vs_buf_put(out, VS_MAN_MAGIC, 8, &rc);
    vs_buf_put16(out, VS_MAN_MAJOR, &rc);
    vs_buf_put16(out, VS_MAN_MINOR, &rc);
    vs_buf_put32(out, 0, &rc);
    vs_buf_put64(out, m->generation, &rc);
    vs_buf_put32(out, m->unit, &rc);
    vs_buf_put32(out, m->max_words, &rc);
    vs_buf_put32(out, (uint32_t)cfg.len, &rc);
    vs_buf_put(out, cfg.p, cfg.len, &rc);
    vs_buf_free(&cfg);
    vs_buf_put32(out, (uint32_t)m->n_seg, &rc);
    for (size_t i = 0; i < m->n_seg; i++) {
        const vs_manifest_seg *s = &m->seg[i];
        size_t nl = strlen(s->name);
        if (nl == 0 || nl > 255) return VS_EINTERNAL;
        vs_buf_put16(out, (uint16_t)nl, &rc);
        vs_buf_put(out, s->name, nl, &rc);
        vs_buf_put64(out, s->size, &rc);
        vs_buf_put64(out, s->n_docs, &rc);
        vs_buf_put64(out, s->n_passages, &rc);
        vs_buf_put64(out, s->total_len, &rc);
        vs_buf_put64(out, s->trailer_hash, &rc);
        size_t dl = s->del_name ? strlen(s->del_name) : 0;
        if (dl > 255) return VS_EINTERNAL;
        vs_buf_put16(out, (uint16_t)dl, &rc);
        vs_buf_put(out, s->del_name, dl, &rc);
        vs_buf_put64(out, dl ? s->n_del_docs : 0, &rc);
        vs_buf_put64(out, dl ? s->n_del_passages : 0, &rc);
        vs_buf_put64(out, dl ? s->del_hash : 0, &rc);
    }
    size_t cl = m->cat_name ? strlen(m->cat_name) : 0;
    if (cl > 255) return VS_EINTERNAL;
    vs_buf_put16(out, (uint16_t)cl, &rc);
    vs_buf_put(out, m->cat_name, cl, &rc);
    vs_buf_put64(out, cl ? m->cat_size : 0, &rc);
    vs_buf_put64(out, cl ? m->cat_hash : 0, &rc);
    vs_buf_put64(out, cl ? m->cat_files : 0, &rc);
    if (rc != VS_OK) return rc;
    uint64_t h = XXH3_64bits(out->p, out->len);
    vs_buf_put64(out, h, &rc);
    vs_buf_put(out, VS_MAN_MAGIC, 8, &rc);
    return rc;
}

static vs_rc bad(vs_err *err, const char *name, size_t off, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged at byte %zu: %s", name, off, what);
}

/* A file name inside the index directory: 1..255 bytes, no '/', no NUL, not starting with '.'. */
static int name_ok(const uint8_t *p, size_t n) {
    return n > 0 && n <= 255 && !memchr(p, '/', n) && !memchr(p, '\0', n) && p[0] != '.';
}

/* Reads a u16-length-prefixed name at *q (length 0 allowed when `optional`). */
static vs_rc get_name(const uint8_t **q, const uint8_t *end, const uint8_t *p, const char *name, int optional,
                      size_t after, char **out, vs_err *err) {
    *out = NULL;
    if (end - *q < 2) return bad(err, name, (size_t)(*q - p), "truncated entry");
    uint16_t nl = vs_le_get16(*q);
    if ((size_t)(end - *q) < 2u + nl + after) return bad(err, name, (size_t)(*q - p), "truncated entry");
    if (nl == 0 && optional) {
        *q += 2;
        return VS_OK;
    }
    if (!name_ok(*q + 2, nl)) return bad(err, name, (size_t)(*q - p), "bad file name");
    char *nm = malloc((size_t)nl + 1);
    if (!nm) return vs_err_set(err, VS_ENOMEM, "out of memory");
    memcpy(nm, *q + 2, nl);
    nm[nl] = '\0';
    *out = nm;
    *q += 2 + nl;
    return VS_OK;
}

vs_rc vs_manifest_decode(const uint8_t *p, size_t n, const char *name, vs_manifest *m, vs_err *err) {
    memset(m, 0, sizeof *m);
    if (n < 36 + 4 + 16) return bad(err, name, n, "too short for a MANIFEST");
    if (memcmp(p, VS_MAN_MAGIC, 8) != 0) return vs_err_set(err, VS_ECORRUPT, "'%s' is not a vsearch MANIFEST (bad magic)", name);
    unsigned major = vs_le_get16(p + 8), minor = vs_le_get16(p + 10);
    if (major != VS_MAN_MAJOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses index format %u; this vsearch reads %u: rebuild with 'vsearch build'",
                          name, major, VS_MAN_MAJOR);
    if (minor > VS_MAN_MINOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses index format %u.%u; this vsearch reads up to %u.%u: rebuild with 'vsearch build'",
                          name, major, minor, VS_MAN_MAJOR, VS_MAN_MINOR);
    if (memcmp(p + n - 8, VS_MAN_MAGIC, 8) != 0) return bad(err, name, n - 8, "bad trailer magic (truncated file?)");
    if (XXH3_64bits(p, n - 16) != vs_le_get64(p + n - 16)) return bad(err, name, n - 16, "checksum mismatch");
    const uint8_t *end = p + n - 16;
    m->generation = vs_le_get64(p + 16);
    m->unit = vs_le_get32(p + 24);
    m->max_words = vs_le_get32(p + 28);
    uint32_t clen = vs_le_get32(p + 32);
    if (m->unit > 1) return bad(err, name, 24, "unknown passage unit");
    if (clen > (size_t)(end - (p + 36)) - 4) return bad(err, name, 32, "analyzer config out of range");
    vs_rc rc = vs_analyze_config_decode(p + 36, clen, &m->acfg, err);
    if (rc != VS_OK) return rc;
    const uint8_t *q = p + 36 + clen;
    uint32_t nseg = vs_le_get32(q);
    q += 4;
    size_t per = minor >= 1 ? 68 : 42; /* smallest entry */
    if (nseg > (size_t)(end - q) / per) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p) - 4, "segment count out of range"); }
    m->seg = calloc(nseg ? nseg : 1, sizeof *m->seg);
    if (!m->seg) { vs_manifest_free(m); return vs_err_set(err, VS_ENOMEM, "out of memory"); }
    for (uint32_t i = 0; i < nseg; i++) {
        vs_manifest_seg *s = &m->seg[i];
        m->n_seg = i + 1;
        if ((rc = get_name(&q, end, p, name, 0, 40, &s->name, err)) != VS_OK) { vs_manifest_free(m); return rc; }
        s->size = vs_le_get64(q);
        s->n_docs = vs_le_get64(q + 8);
        s->n_passages = vs_le_get64(q + 16);
        s->total_len = vs_le_get64(q + 24);
        s->trailer_hash = vs_le_get64(q + 32);
        q += 40;
        if (s->n_docs > UINT32_MAX || s->n_passages > UINT32_MAX) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p) - 32, "segment counts out of range"); }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->seg[j].name, s->name) == 0) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p), "a segment is named twice"); }
        if (minor < 1) continue;
        if ((rc = get_name(&q, end, p, name, 1, 24, &s->del_name, err)) != VS_OK) { vs_manifest_free(m); return rc; }
        s->n_del_docs = vs_le_get64(q);
        s->n_del_passages = vs_le_get64(q + 8);
        s->del_hash = vs_le_get64(q + 16);
        q += 24;
        if (s->n_del_docs > s->n_docs || s->n_del_passages > s->n_passages ||
            (!s->del_name && (s->n_del_docs || s->n_del_passages || s->del_hash)))
            { vs_manifest_free(m); return bad(err, name, (size_t)(q - p) - 24, "deletion counts out of range"); }
    }
    if (minor >= 1) {
        if ((rc = get_name(&q, end, p, name, 1, 24, &m->cat_name, err)) != VS_OK) { vs_manifest_free(m); return rc; }
        m->cat_size = vs_le_get64(q);
        m->cat_hash = vs_le_get64(q + 8);
        m->cat_files = vs_le_get64(q + 16);
        q += 24;
        if (!m->cat_name && (m->cat_size || m->cat_hash || m->cat_files)) {
            vs_manifest_free(m);
            return bad(err, name, (size_t)(q - p) - 24, "catalog fields without a catalog");
        }
    }
    if (q != end) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p), "trailing bytes"); }
    return VS_OK;
}

int vs_manifest_names(const vs_manifest *m, const char *name) {
    for (size_t i = 0; i < m->n_seg; i++)
        if (strcmp(m->seg[i].name, name) == 0 || (m->seg[i].del_name && strcmp(m->seg[i].del_name, name) == 0)) return 1;
    return m->cat_name && strcmp(m->cat_name, name) == 0;
}

vs_rc vs_manifest_read(const char *dir, vs_manifest *m, vs_err *err) {
    char path[4096];
    memset(m, 0, sizeof *m);
    if ((size_t)snprintf(path, sizeof path, "%s/MANIFEST", dir) >= sizeof path)
        return vs_err_set(err, VS_EUSAGE, "index path too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            struct stat st;
            if (stat(dir, &st) == 0)
                return vs_err_set(err, VS_ENOENT, "no index in '%s' (no MANIFEST): run 'vsearch build' first", dir);
            return vs_err_set(err, VS_ENOENT, "no index at '%s': run 'vsearch build' first", dir);
        }
        return vs_err_errno(err, VS_EIO, errno, "cannot open '%s'", path);
    }
    vs_buf b = VS_BUF_INIT;
    vs_rc rc = VS_OK;
    for (;;) {
        if (b.len > (64u << 20)) { rc = vs_err_set(err, VS_ECORRUPT, "'%s' is damaged: larger than 64 MiB", path); break; }
        if (vs_buf_reserve(&b, 65536) != VS_OK) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); break; }
        ssize_t k = read(fd, b.p + b.len, 65536);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { rc = vs_err_errno(err, VS_EIO, errno, "cannot read '%s'", path); break; }
        if (k == 0) break;
        b.len += (size_t)k;
    }
    close(fd);
    if (rc == VS_OK) rc = vs_manifest_decode(b.p ? b.p : (const uint8_t *)"", b.len, path, m, err);
    vs_buf_free(&b);
    return rc;
}

vs_rc vs_manifest_commit(const char *dir, const vs_manifest *m, vs_err *err) {
    char tmp[4096], fin[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/MANIFEST.tmp", dir) >= sizeof tmp ||
        (size_t)snprintf(fin, sizeof fin, "%s/MANIFEST", dir) >= sizeof fin)
        return vs_err_set(err, VS_EUSAGE, "index path too long");
    vs_buf b = VS_BUF_INIT;
    vs_rc rc = vs_manifest_encode(m, &b);
    if (rc != VS_OK) { vs_buf_free(&b); return vs_err_set(err, rc, "cannot encode the MANIFEST"); }
    rc = vs_wfile_put(tmp, b.p, b.len, err);
    vs_buf_free(&b);
    if (rc == VS_OK) rc = vs_wfile_rename(tmp, fin, err);
    if (rc != VS_OK) { unlink(tmp); return rc; }
    return vs_wfile_fsync_dir(dir, err);
}
