/* wfile.h: the write side's file system calls, in one place, so that every byte an index writer
 * puts on disk goes through code that (1) reports errors with the file name and errno, (2)
 * retries EINTR and short writes, and (3) can be made to fail on purpose for crash tests.
 *
 * Failpoints: when the environment variable VSEARCH_FAILPOINT=N (N >= 1) is set, the process
 * kills itself with SIGKILL just before its N-th counted call (write, fsync, rename, unlink,
 * ftruncate or file creation), so a test can stop a writer between any two of its syscalls.
 * VSEARCH_FAILPOINT_COUNT=FILE makes vs_wfile_report() write the number of counted calls made
 * so far to FILE (tests use it to spread kill points over a whole run). Both are read once.
 *
 * vs_wbuf is a buffered append-only writer (sticky error: check once at the end). */
#ifndef VS_WFILE_H
#define VS_WFILE_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

/* Counts one syscall against VSEARCH_FAILPOINT (SIGKILL when it is reached). */
void vs_wfile_tick(void);
/* Number of counted calls so far. */
uint64_t vs_wfile_count(void);
/* Writes the count to $VSEARCH_FAILPOINT_COUNT if set (tests); no-op otherwise. */
void vs_wfile_report(void);

/* Creates path (O_EXCL unless `trunc`), mode 0644. */
VS_MUST_CHECK vs_rc vs_wfile_create(const char *path, int trunc, int *fd, vs_err *err);
VS_MUST_CHECK vs_rc vs_wfile_write(int fd, const void *p, size_t n, const char *path, vs_err *err);
VS_MUST_CHECK vs_rc vs_wfile_pwrite(int fd, const void *p, size_t n, uint64_t off, const char *path,
                                    vs_err *err);
VS_MUST_CHECK vs_rc vs_wfile_fsync(int fd, const char *path, vs_err *err);
/* fsync of a directory (EINVAL from file systems that cannot is ignored). */
VS_MUST_CHECK vs_rc vs_wfile_fsync_dir(const char *dir, vs_err *err);
VS_MUST_CHECK vs_rc vs_wfile_rename(const char *from, const char *to, vs_err *err);
/* Removes path; a missing file is not an error. Counted (a crash test may stop there). */
void vs_wfile_unlink(const char *path);
/* Writes a whole small file: create (truncate), write, fsync, close; removes it on failure. */
VS_MUST_CHECK vs_rc vs_wfile_put(const char *path, const void *p, size_t n, vs_err *err);

/* Buffered appender. */
typedef struct vs_wbuf {
    int fd;
    char *path;             /* owned */
    uint8_t *buf;
    size_t fill, cap;
    uint64_t off;           /* bytes appended so far (file offset of the next byte) */
    vs_rc rc;               /* first failure (sticky) */
    vs_err err;
} vs_wbuf;

/* Creates path (must not exist) with a buffer of cap bytes. */
VS_MUST_CHECK vs_rc vs_wbuf_open(vs_wbuf *w, const char *path, size_t cap, vs_err *err);
void vs_wbuf_put(vs_wbuf *w, const void *p, size_t n);
void vs_wbuf_putvar(vs_wbuf *w, uint64_t v);
VS_MUST_CHECK vs_rc vs_wbuf_flush(vs_wbuf *w);
/* Flushes, optionally fsyncs, closes. Returns the sticky result (message in w->err). */
VS_MUST_CHECK vs_rc vs_wbuf_close(vs_wbuf *w, int sync);
/* Closes without flushing and unlinks the file (error paths). Safe on a zeroed vs_wbuf. */
void vs_wbuf_discard(vs_wbuf *w);

#endif
