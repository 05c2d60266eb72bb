/* wfile.c: write-side syscalls with error messages and failpoints (see wfile.h). */
#include "wfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "le.h"

static pthread_once_t fp_once = PTHREAD_ONCE_INIT;
static uint64_t fp_at;          /* 0: disabled */
static uint64_t fp_count;       /* atomic */

static void fp_init(void) {
    const char *s = getenv("VSEARCH_FAILPOINT");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0') fp_at = v;
    }
}

void vs_wfile_tick(void) {
    pthread_once(&fp_once, fp_init);
    uint64_t n = __atomic_add_fetch(&fp_count, 1, __ATOMIC_SEQ_CST);
    if (fp_at && n >= fp_at) {
        /* A crash test: stop here as a power cut or kill -9 would. */
        raise(SIGKILL);
        _exit(137);
    }
}

uint64_t vs_wfile_count(void) { return __atomic_load_n(&fp_count, __ATOMIC_SEQ_CST); }

void vs_wfile_report(void) {
    const char *p = getenv("VSEARCH_FAILPOINT_COUNT");
    if (!p || !*p) return;
    FILE *f = fopen(p, "w");
    if (!f) return;
    fprintf(f, "%llu\n", (unsigned long long)vs_wfile_count());
    fclose(f);
}

vs_rc vs_wfile_create(const char *path, int trunc, int *fd, vs_err *err) {
    vs_wfile_tick();
    int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : O_EXCL), 0644);
    if (f < 0) return vs_err_errno(err, VS_EIO, errno, "cannot create '%s'", path);
    *fd = f;
    return VS_OK;
}

vs_rc vs_wfile_write(int fd, const void *p, size_t n, const char *path, vs_err *err) {
    const uint8_t *q = p;
    while (n > 0) {
        vs_wfile_tick();
        ssize_t k = write(fd, q, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return vs_err_errno(err, VS_EIO, k < 0 ? errno : ENOSPC, "cannot write '%s'", path);
        q += k;
        n -= (size_t)k;
    }
    return VS_OK;
}

vs_rc vs_wfile_pwrite(int fd, const void *p, size_t n, uint64_t off, const char *path, vs_err *err) {
    const uint8_t *q = p;
    while (n > 0) {
        vs_wfile_tick();
        ssize_t k = pwrite(fd, q, n, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return vs_err_errno(err, VS_EIO, k < 0 ? errno : ENOSPC, "cannot write '%s'", path);
        q += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return VS_OK;
}

vs_rc vs_wfile_fsync(int fd, const char *path, vs_err *err) {
    vs_wfile_tick();
    if (fsync(fd) != 0) return vs_err_errno(err, VS_EIO, errno, "cannot fsync '%s'", path);
    return VS_OK;
}

vs_rc vs_wfile_fsync_dir(const char *dir, vs_err *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return vs_err_errno(err, VS_EIO, errno, "cannot open directory '%s'", dir);
    vs_wfile_tick();
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0 && e != EINVAL) return vs_err_errno(err, VS_EIO, e, "cannot fsync directory '%s'", dir);
    return VS_OK;
}

vs_rc vs_wfile_rename(const char *from, const char *to, vs_err *err) {
    vs_wfile_tick();
    if (rename(from, to) != 0) return vs_err_errno(err, VS_EIO, errno, "cannot rename '%s' to '%s'", from, to);
    return VS_OK;
}

void vs_wfile_unlink(const char *path) {
    vs_wfile_tick();
    (void)unlink(path);
}

vs_rc vs_wfile_put(const char *path, const void *p, size_t n, vs_err *err) {
    int fd = -1;
    vs_rc rc = vs_wfile_create(path, 1, &fd, err);
    if (rc != VS_OK) return rc;
    rc = vs_wfile_write(fd, p, n, path, err);
    if (rc == VS_OK) rc = vs_wfile_fsync(fd, path, err);
    if (close(fd) != 0 && rc == VS_OK) rc = vs_err_errno(err, VS_EIO, errno, "cannot close '%s'", path);
    if (rc != VS_OK) (void)unlink(path);
    return rc;
}

/* ---- buffered appender ---- */

vs_rc vs_wbuf_open(vs_wbuf *w, const char *path, size_t cap, vs_err *err) {
    memset(w, 0, sizeof *w);
    w->fd = -1;
    if (!(w->path = strdup(path)) || !(w->buf = malloc(cap ? cap : 1))) {
        free(w->path);
        w->path = NULL;
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    w->cap = cap ? cap : 1;
    vs_rc rc = vs_wfile_create(path, 0, &w->fd, err);
    if (rc != VS_OK) {
        free(w->buf);
        free(w->path);
        memset(w, 0, sizeof *w);
        w->fd = -1;
        return rc;
    }
    return VS_OK;
}

vs_rc vs_wbuf_flush(vs_wbuf *w) {
    if (w->rc != VS_OK || w->fill == 0) return w->rc;
    w->rc = vs_wfile_write(w->fd, w->buf, w->fill, w->path, &w->err);
    w->fill = 0;
    return w->rc;
}

void vs_wbuf_put(vs_wbuf *w, const void *p, size_t n) {
    if (w->rc != VS_OK) return;
    w->off += n;
    if (n >= w->cap) {
        if (vs_wbuf_flush(w) == VS_OK) w->rc = vs_wfile_write(w->fd, p, n, w->path, &w->err);
        return;
    }
    if (w->fill + n > w->cap && vs_wbuf_flush(w) != VS_OK) return;
    memcpy(w->buf + w->fill, p, n);
    w->fill += n;
}

void vs_wbuf_putvar(vs_wbuf *w, uint64_t v) {
    uint8_t t[10];
    vs_wbuf_put(w, t, vs_varint_put(t, v));
}

vs_rc vs_wbuf_close(vs_wbuf *w, int sync) {
    if (!w->path) return w->rc;
    vs_rc r = vs_wbuf_flush(w);
    (void)r;
    if (w->rc == VS_OK && sync) w->rc = vs_wfile_fsync(w->fd, w->path, &w->err);
    if (close(w->fd) != 0 && w->rc == VS_OK) w->rc = vs_err_errno(&w->err, VS_EIO, errno, "cannot close '%s'", w->path);
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
    free(w->path);
    w->path = NULL;
    return w->rc;
}

void vs_wbuf_discard(vs_wbuf *w) {
    if (!w->path) return;
    if (w->fd >= 0) close(w->fd);
    (void)unlink(w->path);
    free(w->buf);
    free(w->path);
    w->buf = NULL;
    w->path = NULL;
    w->fd = -1;
}
