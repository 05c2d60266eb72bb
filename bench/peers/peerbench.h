/* peerbench.h: what the C and C++ peer runners (fts5_bench.c, xapian_bench.cc) share, so that
 * they read the same inputs and time queries exactly as bench/qbench.c times vsearch.
 * LuceneBench.java implements the same rules in Java.
 *
 * Inputs
 *   units JSONL  {"id":"...","text":"..."} one a line, as bench/peers/export_passages writes it
 *                (only its escapes: \" \\ \n \t \r \uXXXX; other keys are not expected).
 *   topics TSV   qid<TAB>text (export_passages -t).
 *   queries TSV  type<TAB>text, type term / and / or / phrase (bench/queries-reuters.tsv; a
 *                phrase is written "w1 w2", quotes included).
 *
 * Latency (pb_latency), the same protocol as qbench: for each query type (in file order) two
 * jobs, top-10 and top-1000. One warm-up pass over every query at top-1000, one untimed pass
 * per job (counts hits), then REPS rounds, each running one timed pass of every job in turn
 * (round-robin, so a burst of other load spoils one pass, not a whole job); a query's time is
 * the best (minimum) of its REPS passes, clock_gettime(CLOCK_MONOTONIC) around the engine's
 * search call alone (parse + evaluate + top-k; ids of the hits collected, no stored text).
 * p50/p95/p99 nearest rank over the per-query times, mean, queries/s = 1e6 / mean.
 * Output: one line per job,
 *   peer engine=E input=I type=T queries=N k=K stat=best_of_R p50_us= p95_us= p99_us= mean_us=
 *        qps= hits_avg= zero_hits=
 * Header-only (static functions); C11 or C++. */
#ifndef PEERBENCH_H
#define PEERBENCH_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline void pb_die(const char *what, const char *msg) {
    fprintf(stderr, "peer: %s: %s\n", what, msg);
    exit(1);
}

static inline uint64_t pb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Peak RSS of this process so far, MiB (ru_maxrss is in KiB on Linux). */
static inline double pb_peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Reads a whole line (without the newline) into *line; returns its length or -1 at EOF. */
static inline long pb_getline(FILE *f, char **line, size_t *cap) {
    size_t n = 0;
    int c;
    if (!*line) {
        *cap = 4096;
        *line = (char *)malloc(*cap);
        if (!*line) pb_die("getline", "out of memory");
    }
    while ((c = getc(f)) != EOF) {
        if (c == '\n') break;
        if (n + 1 >= *cap) {
            *cap *= 2;
            *line = (char *)realloc(*line, *cap);
            if (!*line) pb_die("getline", "out of memory");
        }
        (*line)[n++] = (char)c;
    }
    if (c == EOF && n == 0) return -1;
    if (n && (*line)[n - 1] == '\r') n--;
    (*line)[n] = 0;
    return (long)n;
}

static inline void pb_put_utf8(char **o, unsigned cp) {
    char *p = *o;
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xC0 | (cp >> 6));
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (char)(0xE0 | (cp >> 12));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = p;
}

/* Decodes the JSON string starting after the opening quote at *s, in place; returns its length
 * and leaves *s after the closing quote. */
static inline size_t pb_json_str(char **s) {
    char *r = *s, *w = *s, *start = *s;
    while (*r && *r != '"') {
        if (*r == '\\') {
            r++;
            switch (*r) {
            case 'n': *w++ = '\n'; r++; break;
            case 't': *w++ = '\t'; r++; break;
            case 'r': *w++ = '\r'; r++; break;
            case 'b': *w++ = '\b'; r++; break;
            case 'f': *w++ = '\f'; r++; break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 1; i <= 4; i++) {
                    char c = r[i];
                    cp = cp * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
                }
                r += 5;
                pb_put_utf8(&w, cp);
                break;
            }
            case 0: pb_die("jsonl", "bad escape"); break;
            default: *w++ = *r++; break;
            }
        } else {
            *w++ = *r++;
        }
    }
    if (*r != '"') pb_die("jsonl", "unterminated string");
    *s = r + 1;
    size_t n = (size_t)(w - start);
    start[n] = 0; /* w <= r: the terminator fits */
    return n;
}

/* Parses {"id":"...","text":"..."} in place. Returns 0 on success. */
static inline int pb_parse_unit(char *line, char **id, size_t *id_len, char **text, size_t *text_len) {
    char *p = strstr(line, "\"id\":\"");
    if (!p) return -1;
    p += 6;
    *id = p;
    *id_len = pb_json_str(&p);
    char *q = strstr(p, "\"text\":\"");
    if (!q) return -1;
    q += 8;
    *text = q;
    *text_len = pb_json_str(&q);
    return 0;
}

/* A phrase query is written "w1 w2" (with the quotes, vsearch's query syntax): the words
 * without the quotes, copied into out (at most cap bytes). */
static inline const char *pb_unquote(const char *text, char *out, size_t cap) {
    size_t n = strlen(text);
    if (n >= 2 && text[0] == '"' && text[n - 1] == '"') {
        text++;
        n -= 2;
    }
    if (n >= cap) n = cap - 1;
    memcpy(out, text, n);
    out[n] = 0;
    return out;
}

/* ---- TSV (topics: qid<TAB>text; queries: type<TAB>text) ---- */

typedef struct pb_query {
    char *key;  /* qid or type */
    char *text;
} pb_query;

static inline pb_query *pb_read_tsv(const char *path, size_t *n) {
    FILE *f = fopen(path, "r");
    if (!f) pb_die(path, "cannot open");
    pb_query *q = NULL;
    size_t nq = 0, cap = 0, lcap = 0;
    char *line = NULL;
    long len;
    while ((len = pb_getline(f, &line, &lcap)) >= 0) {
        if (len == 0 || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (!tab) pb_die(path, "expected key<TAB>text");
        *tab = 0;
        if (nq == cap) {
            cap = cap ? cap * 2 : 1024;
            q = (pb_query *)realloc(q, cap * sizeof *q);
            if (!q) pb_die(path, "out of memory");
        }
        q[nq].key = strdup(line);
        q[nq].text = strdup(tab + 1);
        nq++;
    }
    free(line);
    fclose(f);
    *n = nq;
    return q;
}

/* ---- latency harness ---- */

/* Runs one query: type is "term", "and", "or" or "phrase"; returns the number of hits (at most
 * k). The engine keeps the ids of the hits it found (it must not skip collecting them). */
typedef size_t (*pb_search_fn)(void *ctx, const char *type, const char *text, unsigned k);

typedef struct pb_job {
    const char *type;
    pb_query **qs;
    size_t n;
    unsigned k;
    uint64_t *best;
    double hits;
    size_t zero;
} pb_job;

static inline int pb_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static inline double pb_pct_us(const uint64_t *v, size_t n, double p) {
    size_t r = (size_t)ceil(p * (double)n);
    if (r < 1) r = 1;
    if (r > n) r = n;
    return (double)v[r - 1] / 1e3;
}

static inline void pb_latency(const char *engine, const char *input, const char *qpath, int reps,
                       pb_search_fn fn, void *ctx) {
    size_t nq;
    pb_query *q = pb_read_tsv(qpath, &nq);
    if (!nq) pb_die(qpath, "no queries");
    const char *types[8];
    size_t ntypes = 0;
    for (size_t i = 0; i < nq; i++) {
        size_t t = 0;
        while (t < ntypes && strcmp(types[t], q[i].key) != 0) t++;
        if (t == ntypes) {
            if (ntypes == 8) pb_die(qpath, "too many query types");
            types[ntypes++] = q[i].key;
        }
    }
    pb_query **qs = (pb_query **)malloc(nq * sizeof *qs);
    pb_job *jobs = (pb_job *)calloc(ntypes * 2, sizeof *jobs);
    size_t nj = 0, used = 0;
    for (size_t t = 0; t < ntypes; t++) {
        pb_query **tq = qs + used;
        size_t n = 0;
        for (size_t i = 0; i < nq; i++)
            if (strcmp(q[i].key, types[t]) == 0) tq[n++] = &q[i];
        for (int c = 0; c < 2; c++) {
            pb_job *j = &jobs[nj++];
            j->type = types[t];
            j->qs = tq;
            j->n = n;
            j->k = c ? 1000 : 10;
            j->best = (uint64_t *)malloc(n * sizeof *j->best);
        }
        used += n;
    }
    for (size_t i = 0; i < nq; i++) fn(ctx, q[i].key, q[i].text, 1000); /* process warm-up */
    for (size_t x = 0; x < nj; x++) {
        pb_job *j = &jobs[x];
        uint64_t hits = 0;
        for (size_t i = 0; i < j->n; i++) {
            size_t h = fn(ctx, j->type, j->qs[i]->text, j->k);
            hits += h;
            j->zero += h == 0;
            j->best[i] = UINT64_MAX;
        }
        j->hits = (double)hits / (double)j->n;
    }
    for (int r = 0; r < reps; r++)
        for (size_t x = 0; x < nj; x++) {
            pb_job *j = &jobs[x];
            for (size_t i = 0; i < j->n; i++) {
                uint64_t t0 = pb_now_ns();
                fn(ctx, j->type, j->qs[i]->text, j->k);
                uint64_t t = pb_now_ns() - t0;
                if (t < j->best[i]) j->best[i] = t;
            }
        }
    for (size_t x = 0; x < nj; x++) {
        pb_job *j = &jobs[x];
        double sum = 0;
        for (size_t i = 0; i < j->n; i++) sum += (double)j->best[i];
        qsort(j->best, j->n, sizeof *j->best, pb_cmp_u64);
        double mean = sum / (double)j->n / 1e3;
        printf("peer engine=%s input=%s type=%s queries=%zu k=%u stat=best_of_%d p50_us=%.1f "
               "p95_us=%.1f p99_us=%.1f mean_us=%.1f qps=%.0f hits_avg=%.1f zero_hits=%zu\n",
               engine, input, j->type, j->n, j->k, reps, pb_pct_us(j->best, j->n, 0.50),
               pb_pct_us(j->best, j->n, 0.95), pb_pct_us(j->best, j->n, 0.99), mean, 1e6 / mean,
               j->hits, j->zero);
        free(j->best);
    }
    fflush(stdout);
    for (size_t i = 0; i < nq; i++) {
        free(q[i].key);
        free(q[i].text);
    }
    free(q);
    free(qs);
    free(jobs);
}

#endif
