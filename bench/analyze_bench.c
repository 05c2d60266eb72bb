/* analyze_bench.c: analyzer throughput on one file (DESIGN.md §8: the analyzer must stay well
 * above the 50 MB/s build budget). The whole file is analysed as one text with the default
 * config (Snowball + English stopwords). Each run uses a fresh analyzer, so the term cache
 * starts empty and every distinct token pays for utf8proc/Snowball once, as in a real build;
 * the "warm" line reuses one analyzer (cache already full) to show the per-token floor.
 * Reports the best of 5 runs.
 *
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Iindex -Iinclude -o /tmp/analyze_bench bench/analyze_bench.c \
 *      index/analyze.c index/buf.c index/err.c -lutf8proc -lstemmer -lxxhash -lbsd
 *   cat ../shared/corpora/reuters21578-sgml/reut2-*.sgm > /tmp/reuters.txt   (or any text file)
 *   /tmp/analyze_bench /tmp/reuters.txt */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"

#define RUNS 5

struct sink {
    uint64_t tokens;
    uint64_t bytes;
    uint64_t check; /* reads the term like an inverter would (hashing it), so its bytes are touched */
};

static int count_token(void *ctx, const vs_token *t) {
    struct sink *s = ctx;
    s->tokens++;
    s->bytes += t->len;
    s->check += (uint8_t)t->term[0] + (uint8_t)t->term[t->len - 1];
    return 0;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *p = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            char *q = realloc(p, cap);
            if (!q) { free(p); fclose(f); return NULL; }
            p = q;
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return p;
}

/* One pass; returns elapsed ns, or UINT64_MAX on failure. */
static uint64_t run(vs_analyzer *a, const char *text, size_t len, struct sink *s, uint32_t *all) {
    memset(s, 0, sizeof *s);
    uint32_t next = 0;
    uint64_t t0 = now_ns();
    vs_rc rc = vs_analyze_text(a, text, len, 0, count_token, s, &next, NULL);
    uint64_t t = now_ns() - t0;
    *all = next;
    return rc == VS_OK ? t : UINT64_MAX;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: analyze_bench FILE\n");
        return 64;
    }
    size_t len = 0;
    char *text = slurp(argv[1], &len);
    if (!text) {
        perror(argv[1]);
        return 66;
    }
    vs_analyze_config cfg;
    vs_analyze_config_default(&cfg);
    vs_err err;
    struct sink s;
    uint32_t all = 0;
    uint64_t cold = UINT64_MAX, warm = UINT64_MAX;
    for (int r = 0; r < RUNS; r++) {
        vs_analyzer *a;
        if (vs_analyze_new(&cfg, &a, &err) != VS_OK) {
            fprintf(stderr, "analyze_bench: %s\n", err.msg);
            return 70;
        }
        uint64_t t = run(a, text, len, &s, &all);
        if (t < cold) cold = t;
        vs_analyze_free(a);
    }
    vs_analyzer *a;
    if (vs_analyze_new(&cfg, &a, &err) != VS_OK) return 70;
    (void)run(a, text, len, &s, &all);
    for (int r = 0; r < RUNS; r++) {
        uint64_t t = run(a, text, len, &s, &all);
        if (t < warm) warm = t;
    }
    vs_analyze_free(a);
    if (cold == UINT64_MAX || warm == UINT64_MAX) {
        fprintf(stderr, "analyze_bench: analysis failed\n");
        return 70;
    }
    printf("analyze input=%s bytes=%zu tokens=%u kept=%llu\n", argv[1], len, all,
           (unsigned long long)s.tokens);
    printf("analyze cold-cache best-of-%d: %.1f MB/s  %.1f ns/token\n", RUNS,
           (double)len / ((double)cold / 1e9) / 1e6, (double)cold / all);
    printf("analyze warm-cache best-of-%d: %.1f MB/s  %.1f ns/token\n", RUNS,
           (double)len / ((double)warm / 1e9) / 1e6, (double)warm / all);
    free(text);
    return 0;
}
