/* vanish.c: an LD_PRELOAD shim for tests/cli/hostile.sh that makes files "vanish" between the
 * directory walk and the read, deterministically: open()/openat() of a path whose last
 * component starts with "vanish-" fails with ENOENT, "eacces-" with EACCES and "eio-" with EIO,
 * exactly as if the file had been deleted, made unreadable or had failed on disk after
 * `vsearch build` listed it (stat and readdir are left alone, so the walk still lists it).
 * Built by mk/robust.mk into BUILD/tests/vanish.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>

static int doomed(const char *path) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    if (strncmp(b, "vanish-", 7) == 0) return ENOENT;
    if (strncmp(b, "eacces-", 7) == 0) return EACCES;
    if (strncmp(b, "eio-", 4) == 0) return EIO;
    return 0;
}

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dir, const char *path, int flags, ...);
int openat64(int dir, const char *path, int flags, ...);

static mode_t mode_of(int flags, va_list ap) {
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = doomed(path);
    if (e) { errno = e; return -1; }
    int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    return real(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = doomed(path);
    if (e) { errno = e; return -1; }
    int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
    return real(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = doomed(path);
    if (e) { errno = e; return -1; }
    int (*real)(int, const char *, int, ...) = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    return real(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = doomed(path);
    if (e) { errno = e; return -1; }
    int (*real)(int, const char *, int, ...) = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat64");
    return real(dir, path, flags, mode);
}
