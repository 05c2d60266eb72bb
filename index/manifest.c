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

void vs_manifest_free(vs_manifest *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_seg; i++) free(m->seg[i].name);
    free(m->seg);
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
    }
    if (rc != VS_OK) return rc;
    uint64_t h = XXH3_64bits(out->p, out->len);
    vs_buf_put64(out, h, &rc);
    vs_buf_put(out, VS_MAN_MAGIC, 8, &rc);
    return rc;
}

static vs_rc bad(vs_err *err, const char *name, size_t off, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged at byte %zu: %s", name, off, what);
}

vs_rc vs_manifest_decode(const uint8_t *p, size_t n, const char *name, vs_manifest *m, vs_err *err) {
    memset(m, 0, sizeof *m);
    if (n < 36 + 4 + 16) return bad(err, name, n, "too short for a MANIFEST");
    if (memcmp(p, VS_MAN_MAGIC, 8) != 0) return vs_err_set(err, VS_ECORRUPT, "'%s' is not a vsearch MANIFEST (bad magic)", name);
    if (vs_le_get16(p + 8) != VS_MAN_MAJOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses index format %u; this vsearch reads %u: rebuild with 'vsearch build'",
                          name, vs_le_get16(p + 8), VS_MAN_MAJOR);
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
    if (nseg > (size_t)(end - q) / 42) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p) - 4, "segment count out of range"); }
    m->seg = calloc(nseg ? nseg : 1, sizeof *m->seg);
    if (!m->seg) { vs_manifest_free(m); return vs_err_set(err, VS_ENOMEM, "out of memory"); }
    for (uint32_t i = 0; i < nseg; i++) {
        if (end - q < 2) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p), "truncated segment entry"); }
        uint16_t nl = vs_le_get16(q);
        if (nl == 0 || (size_t)(end - q) < 2u + nl + 40u) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p), "truncated segment entry"); }
        char *nm = malloc((size_t)nl + 1);
        if (!nm) { vs_manifest_free(m); return vs_err_set(err, VS_ENOMEM, "out of memory"); }
        memcpy(nm, q + 2, nl);
        nm[nl] = '\0';
        m->seg[i].name = nm;
        m->n_seg = i + 1;
        if (memchr(nm, '/', nl) || memchr(nm, '\0', nl) || nm[0] == '.') { vs_manifest_free(m); return bad(err, name, (size_t)(q - p), "bad segment name"); }
        q += 2 + nl;
        m->seg[i].size = vs_le_get64(q);
        m->seg[i].n_docs = vs_le_get64(q + 8);
        m->seg[i].n_passages = vs_le_get64(q + 16);
        m->seg[i].total_len = vs_le_get64(q + 24);
        m->seg[i].trailer_hash = vs_le_get64(q + 32);
        q += 40;
    }
    if (q != end) { vs_manifest_free(m); return bad(err, name, (size_t)(q - p), "trailing bytes"); }
    return VS_OK;
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

static vs_rc fsync_dir(const char *dir, vs_err *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return vs_err_errno(err, VS_EIO, errno, "cannot open directory '%s'", dir);
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0 && e != EINVAL) return vs_err_errno(err, VS_EIO, e, "cannot fsync directory '%s'", dir);
    return VS_OK;
}

vs_rc vs_manifest_commit(const char *dir, const vs_manifest *m, vs_err *err) {
    char tmp[4096], fin[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/MANIFEST.tmp", dir) >= sizeof tmp ||
        (size_t)snprintf(fin, sizeof fin, "%s/MANIFEST", dir) >= sizeof fin)
        return vs_err_set(err, VS_EUSAGE, "index path too long");
    vs_buf b = VS_BUF_INIT;
    vs_rc rc = vs_manifest_encode(m, &b);
    if (rc != VS_OK) { vs_buf_free(&b); return vs_err_set(err, rc, "cannot encode the MANIFEST"); }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { vs_buf_free(&b); return vs_err_errno(err, VS_EIO, errno, "cannot create '%s'", tmp); }
    size_t done = 0;
    while (done < b.len && rc == VS_OK) {
        ssize_t k = write(fd, b.p + done, b.len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) rc = vs_err_errno(err, VS_EIO, errno ? errno : EIO, "cannot write '%s'", tmp);
        else done += (size_t)k;
    }
    vs_buf_free(&b);
    if (rc == VS_OK && fsync(fd) != 0) rc = vs_err_errno(err, VS_EIO, errno, "cannot fsync '%s'", tmp);
    if (close(fd) != 0 && rc == VS_OK) rc = vs_err_errno(err, VS_EIO, errno, "cannot close '%s'", tmp);
    if (rc == VS_OK && rename(tmp, fin) != 0) rc = vs_err_errno(err, VS_EIO, errno, "cannot rename '%s' to '%s'", tmp, fin);
    if (rc != VS_OK) { unlink(tmp); return rc; }
    return fsync_dir(dir, err);
}
