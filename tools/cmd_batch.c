/* cmd_batch.c: `vsearch batch FILE` — run many topics in one process and write a TREC run.
 * Topics are split over -j threads (query i goes to thread i mod j); each thread formats its
 * queries' run lines into per-query buffers, and the main thread prints them in topic-file order,
 * so the output is byte-identical for any -j. A query that fails is reported with its qid on
 * stderr and skipped; the exit status is then 65. */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "runfmt.h"
#include "topics.h"
#include "vsearch.h"

static void help(void) {
    printf("usage: vsearch batch [options] TOPICS\n\n"
           "Run every topic of TOPICS (TREC <top> files, SMART query files, or TSV qid<TAB>text)\n"
           "and print a TREC run: qid Q0 docid rank score tag.\n\n"
           "  -i, --index DIR     index directory (default ./.vsearch or $VSEARCH_INDEX)\n"
           "  -k, --top N         hits per topic (default 1000)\n"
           "      --field F       TREC topic field: title (default), desc, narr, title+desc\n"
           "      --tag T         run tag (default vsearch)\n"
           "  -j, --threads N     threads (default 1)\n"
           "      --timings FILE  write qid<TAB>microseconds<TAB>hits per topic (in-process time)\n"
           CLI_SEARCH_HELP
           "  -h, --help          this help\n"
           "Passage hits are written as docid#passage unless --by doc or the index has --unit doc.\n");
}

typedef struct job {
    vs_index *ix;
    const vs_topics *t;
    const vs_search_opts *so;
    const char *tag;
    int doc_ids;
    size_t first, step;
    char **out;              /* per topic: run lines (malloc'd) or NULL on failure */
    size_t *out_len;
    char **errs;             /* per topic: error message (malloc'd) or NULL */
    uint64_t *micros;
    size_t *hits;
} job;

static void *worker(void *arg) {
    job *j = arg;
    for (size_t i = j->first; i < j->t->n; i += j->step) {
        struct timespec a, b;
        vs_results *r = NULL;
        vs_err err;
        vs_err_clear(&err);
        clock_gettime(CLOCK_MONOTONIC, &a);
        vs_rc rc = vs_search(j->ix, j->t->text[i], j->so, &r, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        j->micros[i] = (uint64_t)((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000);
        if (rc != VS_OK) {
            j->errs[i] = strdup(err.msg[0] ? err.msg : vs_err_str(rc));
            continue;
        }
        /* "qid Q0 docid[#passage] rank score tag\n" per hit, as printf would write it (runfmt.h) */
        size_t ql = strlen(j->t->qid[i]), tl = strlen(j->tag), cap = 0, len = 0;
        for (size_t h = 0; h < r->n; h++) cap += ql + strlen(r->hits[h].doc) + tl + 4 + 11 + 1 + 20 + 1 + 64 + 2;
        char *buf = malloc(cap + 1);
        if (!buf) {
            j->errs[i] = strdup("out of memory");
            vs_results_free(r);
            continue;
        }
        for (size_t h = 0; h < r->n; h++) {
            const vs_hit *x = &r->hits[h];
            size_t dl = strlen(x->doc);
            memcpy(buf + len, j->t->qid[i], ql);
            len += ql;
            memcpy(buf + len, " Q0 ", 4);
            len += 4;
            memcpy(buf + len, x->doc, dl);
            len += dl;
            if (!j->doc_ids) {
                buf[len++] = '#';
                len += runfmt_u64(buf + len, x->passage);
            }
            buf[len++] = ' ';
            len += runfmt_u64(buf + len, h + 1);
            buf[len++] = ' ';
            len += runfmt_score(buf + len, x->score);
            buf[len++] = ' ';
            memcpy(buf + len, j->tag, tl);
            len += tl;
            buf[len++] = '\n';
        }
        buf[len] = '\0';
        j->out[i] = buf;
        j->out_len[i] = len;
        j->hits[i] = r->n;
        vs_results_free(r);
    }
    return NULL;
}

int cmd_batch(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "top", required_argument, NULL, 'k' },
        { "field", required_argument, NULL, 'F' },
        { "tag", required_argument, NULL, 'T' },
        { "threads", required_argument, NULL, 'j' }, { "timings", required_argument, NULL, 'M' },
        CLI_SEARCH_OPTIONS, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL, *tag = "vsearch", *timings = NULL;
    vs_topics_field field = VS_TOPICS_TITLE;
    uint64_t threads = 1;
    int c;
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.k = 1000;
    so.snippets = 0;
    vs_err err;
    vs_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:k:j:h", opts, NULL)) != -1) {
        uint64_t v;
        int handled = cli_search_opt("batch", c, optarg, &so);
        if (handled < 0) return 64;
        if (handled) continue;
        switch (c) {
        case 'i': dir = optarg; break;
        case 'k':
            if (cli_parse_u64("-k", optarg, 1, 1000000, &v) != 0) return 64;
            so.k = (uint32_t)v;
            break;
        case 'F':
            if (vs_topics_field_parse(optarg, &field, &err) != VS_OK)
                return cli_usage("batch", "unknown --field '%s': expected title, desc, narr or title+desc", optarg);
            break;
        case 'T':
            if (!*optarg || strpbrk(optarg, " \t\n")) return cli_usage("batch", "--tag must be one word");
            tag = optarg;
            break;
        case 'j': if (cli_parse_u64("-j", optarg, 1, 256, &threads) != 0) return 64; break;
        case 'M': timings = optarg; break;
        case 'h': help(); return 0;
        default: return cli_usage("batch", "bad option");
        }
    }
    if (optind != argc - 1) return cli_usage("batch", "give one topic file");
    vs_topics *t;
    vs_rc rc = vs_topics_read(argv[optind], field, &t, &err);
    if (rc != VS_OK) return cli_fail(&err);
    vs_index *ix;
    if ((rc = vs_index_open(cli_index_dir(dir), &ix, &err)) != VS_OK) {
        vs_topics_free(t);
        return cli_fail(&err);
    }
    vs_index_stats ist;
    int unit_doc = vs_index_stats_get(ix, &ist, &err) == VS_OK && ist.unit_doc;
    job base = { .ix = ix, .t = t, .so = &so, .tag = tag, .doc_ids = so.by_doc || unit_doc };
    base.out = calloc(t->n, sizeof *base.out);
    base.out_len = calloc(t->n, sizeof *base.out_len);
    base.errs = calloc(t->n, sizeof *base.errs);
    base.micros = calloc(t->n, sizeof *base.micros);
    base.hits = calloc(t->n, sizeof *base.hits);
    job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tid = calloc(threads, sizeof *tid);
    int status = 0;
    if (!base.out || !base.out_len || !base.errs || !base.micros || !base.hits || !jobs || !tid) {
        cli_error("out of memory");
        status = 70;
        goto out;
    }
    size_t started = 0;
    for (size_t i = 0; i < threads; i++) {
        jobs[i] = base;
        jobs[i].first = i;
        jobs[i].step = threads;
        if (threads == 1) {
            worker(&jobs[i]);
        } else if (pthread_create(&tid[i], NULL, worker, &jobs[i]) != 0) {
            cli_error("cannot start thread %zu", i);
            status = 70;
            break;
        } else {
            started++;
        }
    }
    for (size_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
    if (status) goto out;
    size_t failed = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (base.errs[i]) {
            cli_error("topic %s (line %" PRIu64 "): %s", t->qid[i], t->line[i], base.errs[i]);
            failed++;
        } else if (base.out_len[i]) {
            fwrite(base.out[i], 1, base.out_len[i], stdout);
        }
    }
    if (timings) {
        FILE *f = fopen(timings, "w");
        if (!f) {
            cli_error("cannot write '%s'", timings);
            status = 74;
        } else {
            for (size_t i = 0; i < t->n; i++)
                fprintf(f, "%s\t%" PRIu64 "\t%zu\n", t->qid[i], base.micros[i], base.errs[i] ? 0 : base.hits[i]);
            if (fclose(f) != 0) { cli_error("cannot write '%s'", timings); status = 74; }
        }
    }
    if (fflush(stdout) != 0) { cli_error("cannot write the run"); status = 74; }
    if (failed && !status) {
        cli_error("%zu of %zu topics failed", failed, t->n);
        status = 65;
    }
out:
    for (size_t i = 0; t && i < t->n; i++) {
        if (base.out) free(base.out[i]);
        if (base.errs) free(base.errs[i]);
    }
    free(base.out);
    free(base.out_len);
    free(base.errs);
    free(base.micros);
    free(base.hits);
    free(jobs);
    free(tid);
    vs_index_close(ix);
    vs_topics_free(t);
    return status;
}
