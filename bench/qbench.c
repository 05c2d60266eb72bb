/* qbench.c: in-process query latency of vsearch (DESIGN.md §8), one thread, through the public
 * API only (<vsearch.h>, libvsearch.a).
 *
 *   qbench [-n NAME] [-r REPS] [-m MARKDOWN_OUT] INDEX_DIR QUERIES.tsv
 *
 * QUERIES.tsv has one query a line, `type<TAB>query`, type term, and or or (bench/queries-*.tsv).
 * Each type (in file order) is measured in three configurations — top-10 pruned, top-10
 * exhaustive, top-1000 pruned — a "job" each. After one warm-up pass over every query (at
 * top-1000) and one warm-up pass per job, REPS (default 10) rounds each run one timed pass of
 * every job; a query's time is the best (minimum) of its REPS passes, taken with
 * clock_gettime(CLOCK_MONOTONIC) around vs_search alone (so.snippets = 0: retrieval and top-k
 * only; vs_results_free is outside the clock). 'and' queries set so.and_mode = 1, 'phrase' queries so.syntax = 1 (they are "a b"); term and or
 * queries are the plain OR.
 * Why round-robin and 10 passes, not 3 back to back: one pass over 300 queries takes only
 * 5-30 ms, so on a shared machine one burst of other work (a compile on the other core) could
 * cover all of a job's passes and inflate it by 1.3-2x; spreading each job's passes over the
 * whole ~6 s run and keeping the best of 10 leaves a burst only one pass to spoil. Passes go
 * over the whole list rather than repeating one query back to back, so a query's data is not
 * kept hot for its own repeats.
 *
 * From the per-query best times it prints p50/p95/p99 (nearest rank) and the mean in
 * microseconds, and queries/s = 1e6 / mean (one thread, back to back). It also prints the mean
 * vs_results.scored (postings scored per query) for pruned and exhaustive, and counts the
 * queries whose pruned top-10 scores differ from the exhaustive ones (should be 0: pruning
 * must not change results, only skip work).
 *
 * stdout: one machine-readable line per type and configuration, `qbench key=value ...`, and
 * one `qbench-pruning ...` line per type. -m FILE: the same as markdown tables. Exit 0, or 1 on
 * any error (an unreadable file, a failed vs_search). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vsearch.h>

#define MAX_TYPES 8
#define MAX_TYPE_LEN 15

typedef struct query {
    char type[MAX_TYPE_LEN + 1];
    char *text;
} query;

#define CONFIGS 3 /* per type: top-10 pruned, top-10 exhaustive, top-1000 pruned */

/* One type in one configuration. */
typedef struct job {
    size_t type;                /* index into types[] */
    query **qs;                 /* the type's queries, n of them (shared by its jobs) */
    size_t n;
    vs_search_opts so;
    uint64_t *best;             /* per query, ns: the best of the timed passes */
    double p50, p95, p99, mean; /* microseconds, over per-query best times */
    double scored;              /* mean postings scored per query (warm-up pass) */
    double hits;                /* mean hits returned */
    size_t zero_hits;           /* queries with no hit */
} job;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct_us(const uint64_t *v, size_t n, double p) {
    size_t r = (size_t)ceil(p * (double)n);
    if (r < 1) r = 1;
    if (r > n) r = n;
    return (double)v[r - 1] / 1e3;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "qbench: %s: %s\n", what, msg);
    exit(1);
}

/* Reads QUERIES.tsv; returns the queries and sets *n. Blank lines and '#' lines are skipped. */
static query *read_queries(const char *path, size_t *n) {
    FILE *f = fopen(path, "r");
    if (!f) die(path, "cannot open");
    query *q = NULL;
    size_t nq = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (!tab || tab == line || (size_t)(tab - line) > MAX_TYPE_LEN || !tab[1]) {
            fprintf(stderr, "qbench: %s:%zu: expected type<TAB>query\n", path, lineno);
            exit(1);
        }
        if (nq == cap) {
            cap = cap ? cap * 2 : 1024;
            q = realloc(q, cap * sizeof *q);
            if (!q) die(path, "out of memory");
        }
        memcpy(q[nq].type, line, (size_t)(tab - line));
        q[nq].type[tab - line] = 0;
        q[nq].text = strdup(tab + 1);
        if (!q[nq].text) die(path, "out of memory");
        nq++;
    }
    free(line);
    fclose(f);
    *n = nq;
    return q;
}

static vs_results *search1(vs_index *ix, const char *text, const vs_search_opts *so, uint64_t *ns) {
    vs_results *r;
    vs_err err;
    uint64_t t0 = now_ns();
    vs_rc rc = vs_search(ix, text, so, &r, &err);
    uint64_t t = now_ns() - t0;
    if (rc != VS_OK) die(text, err.msg);
    if (ns) *ns = t;
    return r;
}

/* Untimed pass over the job's queries: warms it up and records the work done and hits. */
static void job_warm(vs_index *ix, job *j) {
    uint64_t scored = 0, hits = 0;
    size_t zero = 0;
    for (size_t i = 0; i < j->n; i++) {
        vs_results *r = search1(ix, j->qs[i]->text, &j->so, NULL);
        scored += r->scored;
        hits += r->n;
        zero += r->n == 0;
        vs_results_free(r);
        j->best[i] = UINT64_MAX;
    }
    j->scored = (double)scored / (double)j->n;
    j->hits = (double)hits / (double)j->n;
    j->zero_hits = zero;
}

/* One timed pass: keeps each query's best time. */
static void job_pass(vs_index *ix, job *j) {
    for (size_t i = 0; i < j->n; i++) {
        uint64_t t;
        vs_results_free(search1(ix, j->qs[i]->text, &j->so, &t));
        if (t < j->best[i]) j->best[i] = t;
    }
}

static void job_stats(job *j) {
    double sum = 0;
    for (size_t i = 0; i < j->n; i++) sum += (double)j->best[i];
    qsort(j->best, j->n, sizeof *j->best, cmp_u64);
    j->p50 = pct_us(j->best, j->n, 0.50);
    j->p95 = pct_us(j->best, j->n, 0.95);
    j->p99 = pct_us(j->best, j->n, 0.99);
    j->mean = sum / (double)j->n / 1e3;
}

/* Queries whose pruned and exhaustive top-k differ in length or in any score (beyond rounding:
 * both paths compute each contribution the same way, so scores match to ~1e-12). Doc ids are
 * not compared: equal scores may come out in either order. */
static size_t count_mismatches(vs_index *ix, query *const *qs, size_t n, vs_search_opts so) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        so.exhaustive = 0;
        vs_results *a = search1(ix, qs[i]->text, &so, NULL);
        so.exhaustive = 1;
        vs_results *b = search1(ix, qs[i]->text, &so, NULL);
        int same = a->n == b->n;
        for (size_t j = 0; same && j < a->n; j++)
            same = fabs(a->hits[j].score - b->hits[j].score) <= 1e-9 * fmax(1.0, fabs(b->hits[j].score));
        bad += !same;
        vs_results_free(a);
        vs_results_free(b);
    }
    return bad;
}

static void usage(void) {
    fprintf(stderr, "usage: qbench [-n NAME] [-r REPS] [-m MARKDOWN_OUT] [-w TITLE_WEIGHT] INDEX_DIR QUERIES.tsv\n"
                    "  -w W  title clause weight (default 0: body text only, as the peers search; vsearch's\n"
                    "        own default is VS_TITLE_WEIGHT_DEFAULT)\n");
    exit(64);
}

int main(int argc, char **argv) {
    const char *name = "unnamed", *md_path = NULL;
    int reps = 10, c;
    double title_w = 0.0;
    while ((c = getopt(argc, argv, "n:r:m:w:h")) != -1) {
        switch (c) {
        case 'w': title_w = atof(optarg); break;
        case 'n': name = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 'm': md_path = optarg; break;
        default: usage();
        }
    }
    if (argc - optind != 2 || reps < 1) usage();
    const char *index_dir = argv[optind], *qpath = argv[optind + 1];

    size_t nq;
    query *q = read_queries(qpath, &nq);
    if (nq == 0) die(qpath, "no queries");

    /* Types in order of first appearance. */
    const char *types[MAX_TYPES];
    size_t ntypes = 0;
    for (size_t i = 0; i < nq; i++) {
        size_t t = 0;
        while (t < ntypes && strcmp(types[t], q[i].type) != 0) t++;
        if (t == ntypes) {
            if (ntypes == MAX_TYPES) die(qpath, "too many query types");
            types[ntypes++] = q[i].type;
        }
    }

    vs_index *ix;
    vs_err err;
    if (vs_index_open(index_dir, &ix, &err) != VS_OK) die(index_dir, err.msg);
    vs_index_stats ist;
    if (vs_index_stats_get(ix, &ist, &err) != VS_OK) die(index_dir, err.msg);

    /* Jobs: CONFIGS per type; qs holds each type's queries contiguously. */
    query **qs = malloc(nq * sizeof *qs);
    job *jobs = calloc(ntypes * CONFIGS, sizeof *jobs);
    uint64_t *best = malloc(nq * CONFIGS * sizeof *best);
    if (!qs || !jobs || !best) die("qbench", "out of memory");
    size_t nj = 0, used = 0;
    for (size_t t = 0; t < ntypes; t++) {
        query **tq = qs + used;
        size_t n = 0;
        for (size_t i = 0; i < nq; i++)
            if (strcmp(q[i].type, types[t]) == 0) tq[n++] = &q[i];
        for (int cfg = 0; cfg < CONFIGS; cfg++) {
            job *j = &jobs[nj];
            j->type = t;
            j->qs = tq;
            j->n = n;
            j->best = best + CONFIGS * used + (size_t)cfg * n;
            vs_search_opts_default(&j->so);
            j->so.snippets = 0;
            j->so.title_weight = title_w;
            j->so.and_mode = strcmp(types[t], "and") == 0;
            j->so.syntax = strcmp(types[t], "phrase") == 0;
            j->so.k = cfg == 2 ? 1000 : 10;
            j->so.exhaustive = cfg == 1;
            nj++;
        }
        used += n;
    }

    FILE *md = NULL;
    if (md_path && !(md = fopen(md_path, "w"))) die(md_path, "cannot write");
    if (md) {
        fprintf(md,
                "Query latency, input=%s (%llu passages, %llu postings): one thread, in-process, "
                "snippets off, title weight %.2f; per query the best of %d timed passes (taken round-robin over all "
                "rows, after warm-up passes); percentiles over queries (nearest rank); "
                "queries/s = 1e6 / mean.\n\n"
                "| type | queries | k | mode | p50 µs | p95 µs | p99 µs | mean µs | queries/s | "
                "postings scored/query | hits/query | no-hit queries |\n"
                "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
                name, (unsigned long long)ist.passages, (unsigned long long)ist.postings, title_w, reps);
    }

    /* Process warm-up: one pass over every query at top-1000, so the first job measured does
     * not also pay for first-touch page faults of the index mapping and the allocator's arenas
     * (without it the first configuration measured came out up to 2x slower than on a rerun). */
    {
        vs_search_opts so;
        vs_search_opts_default(&so);
        so.snippets = 0;
        so.title_weight = title_w;
        so.k = 1000;
        for (size_t i = 0; i < nq; i++) {
            so.and_mode = strcmp(q[i].type, "and") == 0;
            so.syntax = strcmp(q[i].type, "phrase") == 0;
            vs_results_free(search1(ix, q[i].text, &so, NULL));
        }
    }
    for (size_t i = 0; i < nj; i++) job_warm(ix, &jobs[i]);
    for (int rep = 0; rep < reps; rep++)
        for (size_t i = 0; i < nj; i++) job_pass(ix, &jobs[i]);
    for (size_t i = 0; i < nj; i++) job_stats(&jobs[i]);

    /* Pruning summary, printed after the latency table. */
    char pruning_md[MAX_TYPES][320];

    for (size_t t = 0; t < ntypes; t++) {
        const job *jt = &jobs[t * CONFIGS]; /* [0] top-10 pruned, [1] exhaustive, [2] top-1000 */
        size_t n = jt[0].n;
        vs_search_opts so = jt[0].so;
        size_t bad = count_mismatches(ix, jt[0].qs, n, so);

        for (int r = 0; r < CONFIGS; r++) {
            const job *x = &jt[r];
            const char *label = x->so.exhaustive ? "exhaustive" : "pruned";
            printf("qbench input=%s type=%s queries=%zu k=%u mode=%s stat=best_of_%d p50_us=%.1f "
                   "p95_us=%.1f p99_us=%.1f mean_us=%.1f qps=%.0f scored_avg=%.0f hits_avg=%.1f "
                   "zero_hits=%zu\n",
                   name, types[t], n, x->so.k, label, reps, x->p50, x->p95, x->p99, x->mean,
                   1e6 / x->mean, x->scored, x->hits, x->zero_hits);
            if (md)
                fprintf(md, "| %s | %zu | %u | %s | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.1f | %zu |\n",
                        types[t], n, x->so.k, label, x->p50, x->p95, x->p99, x->mean, 1e6 / x->mean,
                        x->scored, x->hits, x->zero_hits);
        }
        double ratio = jt[1].scored > 0 ? jt[0].scored / jt[1].scored : 1.0;
        printf("qbench-pruning input=%s type=%s queries=%zu k=10 scored_pruned=%.0f "
               "scored_exhaustive=%.0f scored_ratio=%.3f mean_speedup=%.2f topk_mismatch=%zu\n",
               name, types[t], n, jt[0].scored, jt[1].scored, ratio, jt[1].mean / jt[0].mean, bad);
        snprintf(pruning_md[t], sizeof pruning_md[t], "| %s | %zu | %.0f | %.0f | %.1f%% | %.2fx | %zu |\n",
                 types[t], n, jt[0].scored, jt[1].scored, 100.0 * ratio, jt[1].mean / jt[0].mean, bad);
    }

    if (md) {
        fprintf(md,
                "\nPruning effect, top-10 (MaxScore with block-max bounds vs `exhaustive`): mean "
                "postings scored per query; speedup = exhaustive mean µs / pruned mean µs; "
                "mismatches = queries whose pruned top-10 scores differ from exhaustive.\n\n"
                "| type | queries | scored, pruned | scored, exhaustive | pruned / exhaustive | "
                "speedup | mismatches |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (size_t t = 0; t < ntypes; t++) fputs(pruning_md[t], md);
        if (fclose(md) != 0) die(md_path, "write failed");
    }

    vs_index_close(ix);
    for (size_t i = 0; i < nq; i++) free(q[i].text);
    free(q);
    free(qs);
    free(jobs);
    free(best);
    return 0;
}
