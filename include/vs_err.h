/* err.h: return codes and the one error-message path of the library.
 * Every fallible function returns a vs_rc and, when given a non-NULL vs_err, fills it with a
 * one-line message built where the failure happened (file, offset, what to do). Library code
 * never prints; tools/ prints vs_err.msg once, prefixed by "vsearch: error: ". */
#ifndef VS_ERR_H
#define VS_ERR_H

#include <stddef.h>

#define VS_MUST_CHECK __attribute__((warn_unused_result))
#define VS_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum {
    VS_OK = 0,
    VS_EUSAGE,    /* bad arguments or query syntax            -> exit 64 */
    VS_ENOENT,    /* no input / no index                      -> exit 66 */
    VS_EIO,       /* read/write/fsync failure                 -> exit 74 */
    VS_ECORRUPT,  /* damaged or inconsistent data             -> exit 65 */
    VS_EVERSION,  /* index written by a newer format          -> exit 65 */
    VS_ENOMEM,    /* allocation failed                        -> exit 70 */
    VS_EDATA,     /* bad input record (skipped unless strict) -> exit 65 */
    VS_EINTERNAL  /* a bug                                    -> exit 70 */
} vs_rc;

typedef struct vs_err {
    vs_rc rc;
    char msg[512];
} vs_err;

/* Fills e (if non-NULL) and returns rc, so that `return vs_err_set(...)` reads naturally. */
VS_MUST_CHECK vs_rc vs_err_set(vs_err *e, vs_rc rc, const char *fmt, ...) VS_PRINTF(3, 4);
/* Same, appending ": <strerror(errnum)>". */
VS_MUST_CHECK vs_rc vs_err_errno(vs_err *e, vs_rc rc, int errnum, const char *fmt, ...) VS_PRINTF(4, 5);
/* Short name of a code ("corrupt index", ...). */
const char *vs_err_str(vs_rc rc);
/* Clears e (if non-NULL). */
void vs_err_clear(vs_err *e);

#endif
