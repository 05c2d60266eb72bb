/* err.c: error codes and messages (see err.h). */
#include "vs_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vfill(vs_err *e, vs_rc rc, const char *fmt, va_list ap) {
    e->rc = rc;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

vs_rc vs_err_set(vs_err *e, vs_rc rc, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vfill(e, rc, fmt, ap);
        va_end(ap);
    }
    return rc;
}

vs_rc vs_err_errno(vs_err *e, vs_rc rc, int errnum, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vfill(e, rc, fmt, ap);
        va_end(ap);
        size_t n = strlen(e->msg);
        snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
    }
    return rc;
}

const char *vs_err_str(vs_rc rc) {
    switch (rc) {
    case VS_OK: return "ok";
    case VS_EUSAGE: return "usage error";
    case VS_ENOENT: return "not found";
    case VS_EIO: return "i/o error";
    case VS_ECORRUPT: return "corrupt data";
    case VS_EVERSION: return "unsupported format version";
    case VS_ENOMEM: return "out of memory";
    case VS_EDATA: return "bad input data";
    case VS_EINTERNAL: return "internal error";
    }
    return "unknown error";
}

void vs_err_clear(vs_err *e) {
    if (e) {
        e->rc = VS_OK;
        e->msg[0] = '\0';
    }
}
