/* ingest.h: source files -> one segment file (or several: seg_limit below), with bounded
 * memory and several threads (DESIGN.md §3, §7).
 *
 *   tasks (files, or "-" for stdin, in order)
 *     -> analysis threads: each claims the next task and opens it (in task order: a FIFO or
 *        stdin is read to its end before the next input is opened), reads it as a stream
 *        (source.h vs_source_read_input: gzip/zstd, windows, XXH3 of the raw bytes), splits
 *        passages (passage.h) and analyzes them (analyze.h); the output is cut into batches of
 *        a few MB of text, each holding its documents, passages, the batch's distinct terms
 *        (with their XXH3) and per passage the (term, tf) pairs and positions
 *     -> the calling thread, strictly in task order then batch order: documents and passages
 *        into the segment writer (stored text), postings into the inverter (one intern per
 *        batch term), spilling a sorted run whenever memory passes its share of the budget —
 *        what it accounts for (inverter, segment writer, batches in flight) or the process's
 *        resident size (/proc/self/statm), whichever says so first
 *     -> finally the runs are merged into the segment's dictionary and postings (invert.h; on
 *        two threads with threads >= 2).
 *
 * Documents get the same numbers and the segments the same bytes for any number of threads;
 * for any memory budget too, but for where segments are cut (seg_limit, from the budget).
 * Memory: the inverter and segment writer (invert.h, segwriter.h), at
 * most memory / 8 (capped at 64 MiB) of batches in flight (the batches of the task being
 * consumed are always admitted, so a huge file cannot deadlock the queue), a read window of
 * memory / 16 (1-64 MiB) per analysis thread, and the analysis threads' term caches (together
 * at most memory / 4, at least 256 KiB each: vs_analyze_set_cache_limit). Warnings are delivered from the calling thread, in
 * task order. The number of threads does not change any output, warnings included. */
#ifndef VS_INGEST_H
#define VS_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "source.h"
#include "vs_err.h"
#include "vsearch.h"

typedef struct vs_ingest_task {
    const char *path;           /* a file, or "-" for standard input */
    int have_hash;              /* hash below already known (re-sync computed it) */
    /* results */
    uint64_t size, hash;        /* of the file's bytes (XXH3_64bits) */
    int64_t mtime_ns;
    int read;                   /* 1: read (documents in [first_doc, first_doc + n_docs)), 0: skipped */
    uint32_t first_doc, n_docs;
} vs_ingest_task;

typedef struct vs_ingest_opts {
    const vs_analyze_config *acfg;
    int unit_doc;
    uint32_t max_words;
    vs_format format;
    int strict;
    uint64_t memory;            /* budget in bytes */
    unsigned threads;           /* analysis threads (1: none, all in the calling thread) */
    const char *tmp_prefix;     /* temporary files: TMP_PREFIX.<section>, .runN */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    void (*progress)(void *ctx, const vs_build_progress *p);
    void *progress_ctx;
    double t0;                  /* start time (CLOCK_MONOTONIC seconds) for progress */
    /* Segments. The tasks' documents go to one segment, or to several: when, at the end of a
     * task, the segment writer's tables (vs_segwriter_tables: per-document
     * and per-passage, which a spill cannot give back) pass seg_limit bytes (0: no limit), that segment is finished and
     * the next task starts a new one. The cut depends on the input only (never on threads or
     * timing). seg_open names each segment file (path, at most cap bytes); seg_done is called
     * once it is written and fsynced (path NULL when its tasks gave no passage: nothing was
     * written) with its tasks [first, end), whose first_doc counts from that segment's start. */
    uint64_t seg_limit;
    vs_rc (*seg_open)(void *ctx, char *path, size_t cap, vs_err *err);
    vs_rc (*seg_done)(void *ctx, const char *path, size_t first, size_t end, vs_err *err);
    void *seg_ctx;
} vs_ingest_opts;

typedef struct vs_ingest_stats {
    uint64_t docs, passages, terms, postings, positions, spills;
    vs_source_stats src;
    unsigned segments;          /* segments written (0: the tasks gave no passage) */
    double input_seconds;       /* reading, analysing, inverting (parallel) */
    double terms_seconds;       /* merging runs into postings, finishing the segment (serial) */
} vs_ingest_stats;

/* Runs the tasks into one or more segments (o->seg_open, o->seg_done), each fsynced, a segment
 * only when its tasks gave at least one passage. */
VS_MUST_CHECK vs_rc vs_ingest_run(vs_ingest_task *tasks, size_t n, const vs_ingest_opts *o,
                                  vs_ingest_stats *st, vs_err *err);
/* XXH3_64bits of a file's bytes, with its size and mtime (ns). */
VS_MUST_CHECK vs_rc vs_ingest_hash_file(const char *path, uint64_t *hash, uint64_t *size,
                                        int64_t *mtime_ns, vs_err *err);
double vs_ingest_now(void);

#endif
