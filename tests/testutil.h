/* testutil.h: helpers shared by the cmocka tests.
 * cmocka 1.1.x needs <stdarg.h> <stddef.h> <stdint.h> <setjmp.h> before <cmocka.h>. */
#ifndef VS_TESTUTIL_H
#define VS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

/* Directory of the shared corpora: $VSEARCH_CORPORA, else ../../shared/corpora relative to the
 * tests/ directory (tests run with tests/ as the working directory). NULL if absent. */
static inline const char *tu_corpora(void) {
    static char buf[4096];
    const char *env = getenv("VSEARCH_CORPORA");
    struct stat st;
    if (env && *env && stat(env, &st) == 0 && S_ISDIR(st.st_mode)) return env;
    const char *cands[] = { "../../shared/corpora", "../shared/corpora" };
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(buf, sizeof buf, "%s", cands[i]);
            return buf;
        }
    return NULL;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL on failure. */
static inline char *tu_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = NULL; }
    fclose(f);
    if (p) { p[n] = '\0'; if (len) *len = (size_t)n; }
    return p;
}

/* A fresh directory /tmp/vs-test-NAME-XXXXXX in buf (at least 64 bytes); 0 on success. */
static inline int tu_mkdtemp(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "/tmp/vs-test-%s-XXXXXX", name);
    return mkdtemp(buf) ? 0 : -1;
}

/* Removes a directory tree made by tu_mkdtemp; 0 on success. */
static inline int tu_rmtree(const char *dir) {
    char cmd[512];
    if (strncmp(dir, "/tmp/vs-test-", 13) != 0 || strchr(dir, '\'')) return -1; /* only our own */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

#define TU_SKIP_NO_CORPORA(c) do { if (!(c)) { \
    print_message("skipped: shared corpora not found (set VSEARCH_CORPORA or place ../shared/corpora)\n"); \
    skip(); } } while (0)

#endif
