/* build.c: vs_build (build or re-sync), vs_add, vs_delete, vs_merge: plan what to index and
 * delete, run the ingest pipeline (ingest.h) into a new segment, and commit through the index
 * writer (writer.h), which takes the lock, keeps ids unique, commits atomically and runs the
 * tiered merge policy.
 *
 * Re-sync (vs_build on an index with a file catalog and the same analyzer options): each file
 * of the corpus is looked up in the catalog by path. Same size, mtime and --format: unchanged,
 * not read at all. Same size, other mtime: its bytes are hashed (XXH3); the same hash is still
 * unchanged (the new mtime is recorded). Otherwise it is changed: its old documents are deleted
 * and it is indexed again. Catalog files missing from the corpus are removed: their documents
 * are deleted. New files are indexed. Nothing to do: no commit at all. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "catalog.h"
#include "ingest.h"
#include "manifest.h"
#include "passage.h"
#include "segment.h"
#include "source.h"
#include "vsearch.h"
#include "wfile.h"
#include "writer.h"

#define DEFAULT_MEMORY ((uint64_t)1 << 30)
#define DEFAULT_THREADS 2
/* A build starts a new segment when the segment writer's tables (4 bytes per passage, ~20 bytes
 * plus the id per document, none of which a spill can give back) pass 1/SEG_SHARE of --memory:
 * with the analyzer caches (1/4), batches in flight (1/8), read windows (1/16 per thread) and
 * the postings phase's read buffers, what is left keeps the inverter useful. */
#define SEG_SHARE 6

void vs_build_opts_default(vs_build_opts *o) {
    memset(o, 0, sizeof *o);
    o->stem = 1;
    o->stop_default = 1;
    o->max_words = VS_PASSAGE_MAX_WORDS;
    o->memory = DEFAULT_MEMORY;
    o->threads = DEFAULT_THREADS;
}

static uint64_t peak_rss(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024;
}

static uint64_t memory_of(const vs_build_opts *o) {
    uint64_t m = o && o->memory ? o->memory : DEFAULT_MEMORY;
    return m < (1u << 20) ? (1u << 20) : m;
}

/* The segment cut and the largest merge the policy makes (SEG_SHARE), at least 4 MiB; the
 * environment variable VSEARCH_TEST_SEG_LIMIT (bytes) replaces it for the tests. */
static uint64_t seg_limit_of(uint64_t memory) {
    const char *e = getenv("VSEARCH_TEST_SEG_LIMIT");
    if (e && *e) return strtoull(e, NULL, 10);
    uint64_t l = memory / SEG_SHARE;
    return l < (4u << 20) ? (4u << 20) : l;
}

static size_t window_of(uint64_t memory) {
    uint64_t w = memory / 4;
    if (w < (4u << 20)) w = 4u << 20;
    if (w > (256u << 20)) w = 256u << 20;
    return (size_t)w;
}

/* The configuration a build with options o records in the MANIFEST. */
static vs_rc config_of(const vs_build_opts *o, vs_manifest *m, vs_err *err) {
    memset(m, 0, sizeof *m);
    vs_analyze_config_default(&m->acfg);
    m->acfg.stem = o->stem;
    m->acfg.stop_default = o->stop_default;
    if (o->stopwords_file) {
        vs_rc rc = vs_analyze_config_load_stopwords(&m->acfg, o->stopwords_file, err);
        if (rc != VS_OK) return rc;
    }
    m->unit = o->unit_doc ? 1 : 0;
    m->max_words = o->max_words ? o->max_words : VS_PASSAGE_MAX_WORDS;
    return VS_OK;
}

static int same_config(const vs_manifest *a, const vs_manifest *b) {
    if (a->unit != b->unit || a->max_words != b->max_words) return 0;
    vs_buf x = VS_BUF_INIT, y = VS_BUF_INIT;
    int same = vs_analyze_config_encode(&a->acfg, &x) == VS_OK && vs_analyze_config_encode(&b->acfg, &y) == VS_OK &&
               x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
    vs_buf_free(&x);
    vs_buf_free(&y);
    return same;
}

static void warn_cb(void *ctx, const char *msg) {
    const vs_build_opts *o = ctx;
    if (o->warn) o->warn(o->warn_ctx, msg);
}

/* The input paths: files found by walking every path but "-", then "-" (stdin) if given. */
typedef struct inputs {
    char **files;
    size_t n_files;
    int stdin_;
} inputs;

static void inputs_free(inputs *in) {
    vs_source_paths_free(in->files, in->n_files);
    memset(in, 0, sizeof *in);
}

static vs_rc walk_inputs(const char *const *paths, size_t n, const vs_build_opts *o, inputs *in, vs_err *err) {
    memset(in, 0, sizeof *in);
    if (n == 0) return vs_err_set(err, VS_EUSAGE, "nothing to index: give files or directories");
    const char **rest = calloc(n, sizeof *rest);
    if (!rest) return vs_err_set(err, VS_ENOMEM, "out of memory");
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(paths[i], "-") == 0) in->stdin_ = 1;
        else rest[nr++] = paths[i];
    }
    vs_rc rc = VS_OK;
    if (nr > 0) {
        vs_source_opts so = { .format = (vs_format)o->format, .strict = o->strict, .warn = warn_cb, .warn_ctx = (void *)o };
        rc = vs_source_walk(rest, nr, &so, &in->files, &in->n_files, err);
        if (rc == VS_OK && in->n_files == 0 && !in->stdin_)
            rc = vs_err_set(err, VS_ENOENT, "no files to index under '%s'%s", rest[0], nr > 1 ? " and the other paths" : "");
    }
    free(rest);
    return rc;
}

/* Sizes of the files the index consists of now. */
static uint64_t index_bytes(const vs_writer *w) {
    uint64_t n = 0;
    char p[4096];
    struct stat sb;
    for (size_t i = 0; i < w->n_seg; i++) {
        n += w->seg[i].ms.size;
        if (w->seg[i].del_name) {
            snprintf(p, sizeof p, "%s/%s", w->dir, w->seg[i].del_name);
            if (stat(p, &sb) == 0) n += (uint64_t)sb.st_size;
        }
    }
    n += w->cat_name ? w->cat_size : 0;
    snprintf(p, sizeof p, "%s/MANIFEST", w->dir);
    if (stat(p, &sb) == 0) n += (uint64_t)sb.st_size;
    return n;
}

typedef struct job {
    const vs_build_opts *o;
    vs_writer *w;
    vs_ingest_task *tasks;
    size_t n_tasks;
    vs_build_stats *st;
    double t0;
} job;

/* ingest's segment callbacks: name each new segment, then register it and record its files in
 * the catalog. */
typedef struct segs {
    job *j;
    char name[128];
} segs;

static vs_rc seg_open(void *ctx, char *path, size_t cap, vs_err *err) {
    segs *c = ctx;
    (void)err;
    vs_writer_name(c->j->w, "seg", ".vsg", c->name, sizeof c->name, path, cap);
    return VS_OK;
}

static vs_rc seg_done(void *ctx, const char *path, size_t first, size_t end, vs_err *err) {
    segs *c = ctx;
    job *j = c->j;
    vs_writer *w = j->w;
    vs_build_stats *st = j->st;
    vs_rc rc;
    uint64_t seg_hash = 0;
    if (path) {
        size_t idx;
        uint64_t replaced = 0;
        if ((rc = vs_writer_add_segment(w, c->name, &idx, &replaced, err)) != VS_OK) return rc;
        st->docs_deleted += replaced;
        seg_hash = w->seg[idx].ms.trailer_hash;
        const vs_segment_meta *mt = vs_segment_get_meta(w->seg[idx].seg);
        st->docs += mt->n_docs;
        st->passages += mt->n_passages;
        st->terms += mt->n_terms;
        st->postings += mt->n_postings;
        st->positions += mt->n_positions;
    }
    vs_catalog *cat;
    if ((rc = vs_writer_catalog(w, &cat, err)) != VS_OK) return rc;
    for (size_t i = first; i < end; i++) {
        const vs_ingest_task *t = &j->tasks[i];
        if (!t->read || strcmp(t->path, "-") == 0) continue;
        if (strlen(t->path) > VS_CAT_MAX_PATH) continue; /* not tracked: re-indexed each time */
        vs_catalog_file f = { .path = (char *)t->path, .size = t->size, .mtime_ns = t->mtime_ns, .hash = t->hash,
                              .format = (uint8_t)j->o->format, .seg = t->n_docs ? seg_hash : 0,
                              .first_doc = t->n_docs ? t->first_doc : 0, .n_docs = t->n_docs };
        if (vs_catalog_add(cat, &f) != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory");
        w->cat_dirty = 1;
    }
    vs_catalog_sort(cat);
    return VS_OK;
}

/* Runs the tasks into new segments (one, or more when the writer's per-document tables pass
 * SEG_SHARE of the budget: see vs_ingest_opts), registered with their files in the catalog. */
static vs_rc index_tasks(job *j, vs_err *err) {
    vs_writer *w = j->w;
    const vs_build_opts *o = j->o;
    vs_build_stats *st = j->st;
    char tname[128], tpath[4096];
    vs_writer_name(w, "tmp", ".build", tname, sizeof tname, tpath, sizeof tpath);
    segs sc = { .j = j };
    uint64_t memory = memory_of(o);
    vs_ingest_opts io = {
        .acfg = &w->man.acfg, .unit_doc = w->man.unit == 1, .max_words = w->man.max_words,
        .format = (vs_format)o->format, .strict = o->strict, .memory = memory,
        .threads = o->threads ? o->threads : DEFAULT_THREADS, .tmp_prefix = tpath,
        .warn = o->warn, .warn_ctx = o->warn_ctx, .progress = o->progress, .progress_ctx = o->progress_ctx,
        .t0 = j->t0, .seg_limit = seg_limit_of(memory), .seg_open = seg_open, .seg_done = seg_done, .seg_ctx = &sc,
    };
    vs_ingest_stats is;
    vs_rc rc = vs_ingest_run(j->tasks, j->n_tasks, &io, &is, err);
    st->files += is.src.files;
    st->raw_bytes += is.src.bytes;
    st->skipped_records += is.src.skipped_records;
    st->skipped_files += is.src.skipped_files;
    st->invalid_utf8 += is.src.invalid_utf8;
    st->spills += is.spills;
    st->input_seconds += is.input_seconds;
    st->terms_seconds += is.terms_seconds;
    st->segments_written += is.segments;
    return rc;
}

/* Commit, then the merge policy; fills the final statistics. */
static vs_rc finish(job *j, vs_err *err) {
    vs_writer *w = j->w;
    vs_rc rc = vs_writer_commit(w, err);
    if (rc == VS_OK) rc = vs_writer_merge_policy(w, err);
    j->st->merges = w->merges;
    j->st->segments = w->n_seg;
    j->st->index_bytes = index_bytes(w);
    return rc;
}

/* Re-sync / add plan: for each file, unchanged (skipped), changed or new (a task). Changed
 * files' documents are deleted and their entries dropped; with `remove_missing`, so are the
 * catalog's files that are not in the list. */
static vs_rc plan(job *j, inputs *in, int remove_missing, vs_err *err) {
    vs_writer *w = j->w;
    vs_build_stats *st = j->st;
    vs_catalog *cat;
    vs_rc rc = vs_writer_catalog(w, &cat, err);
    if (rc != VS_OK) return rc;
    j->tasks = calloc(in->n_files + 1, sizeof *j->tasks);
    if (!j->tasks) return vs_err_set(err, VS_ENOMEM, "out of memory");
    char *seen = calloc(cat->n + 1, 1);
    if (!seen) return vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n_files && rc == VS_OK; i++) {
        const char *path = in->files[i];
        vs_catalog_file *e = vs_catalog_find(cat, path);
        vs_ingest_task *t = &j->tasks[j->n_tasks];
        t->path = path;
        if (!e) {
            st->files_new++;
            j->n_tasks++;
            continue;
        }
        seen[e - cat->v] = 1;
        struct stat sb;
        int changed = 1;
        if (stat(path, &sb) == 0 && e->format == (uint8_t)j->o->format && (uint64_t)sb.st_size == e->size) {
            int64_t mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
            if (mt == e->mtime_ns) {
                changed = 0;
            } else {
                uint64_t h, size;
                int64_t mt2;
                vs_err e2;
                if (vs_ingest_hash_file(path, &h, &size, &mt2, &e2) == VS_OK && size == e->size) {
                    if (h == e->hash) {
                        changed = 0;
                        e->mtime_ns = mt2;
                        w->cat_dirty = 1;
                    } else {
                        t->have_hash = 1;
                        t->hash = h;
                    }
                }
            }
        }
        if (!changed) {
            st->files_unchanged++;
            continue;
        }
        st->files_changed++;
        if (e->seg) rc = vs_writer_delete_range(w, e->seg, e->first_doc, e->n_docs, err);
        st->docs_deleted += e->n_docs;
        seen[e - cat->v] = 2; /* dropped below: lookups need every path until the loop ends */
        w->cat_dirty = 1;
        j->n_tasks++;
    }
    for (size_t k = 0; k < cat->n && rc == VS_OK; k++) {
        vs_catalog_file *e = &cat->v[k];
        if (seen[k] == 0 && remove_missing) {
            st->files_removed++;
            if (e->seg) rc = vs_writer_delete_range(w, e->seg, e->first_doc, e->n_docs, err);
            st->docs_deleted += e->n_docs;
            seen[k] = 2;
            w->cat_dirty = 1;
        }
        if (seen[k] == 2) {
            free(e->path);
            e->path = NULL;
        }
    }
    free(seen);
    vs_catalog_compact(cat);
    if (in->stdin_) j->tasks[j->n_tasks++].path = "-";
    return rc;
}

static vs_rc full_tasks(job *j, inputs *in, vs_err *err) {
    j->tasks = calloc(in->n_files + 1, sizeof *j->tasks);
    if (!j->tasks) return vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n_files; i++) j->tasks[j->n_tasks++].path = in->files[i];
    if (in->stdin_) j->tasks[j->n_tasks++].path = "-";
    j->st->files_new = in->n_files;
    return VS_OK;
}

static vs_rc run(const char *dir, const char *const *paths, size_t n_paths, const vs_build_opts *o0,
                 vs_build_stats *st, int add, vs_err *err) {
    double t0 = vs_ingest_now();
    memset(st, 0, sizeof *st);
    vs_build_opts o = *o0;
    if (!o.memory) o.memory = DEFAULT_MEMORY;
    if (!o.threads) o.threads = DEFAULT_THREADS;
    if (o.format < 0 || o.format > VS_FMT_SMART) return vs_err_set(err, VS_EUSAGE, "unknown format");
    inputs in;
    vs_manifest cfg;
    vs_rc rc = walk_inputs(paths, n_paths, &o, &in, err);
    if (rc != VS_OK) return rc;
    if ((rc = config_of(&o, &cfg, err)) != VS_OK) {
        inputs_free(&in);
        return rc;
    }
    vs_writer *w = NULL;
    job j = { .o = &o, .st = st, .t0 = t0 };
    if ((rc = vs_writer_open(dir, 1, &w, err)) != VS_OK) goto out;
    j.w = w;
    w->window = window_of(memory_of(&o));
    w->max_tables = seg_limit_of(memory_of(&o));
    int full;
    if (!w->existed) {
        st->mode = VS_BUILD_CREATED;
        full = 1;
    } else if (add && w->old_format) {
        rc = vs_err_set(err, VS_EVERSION, "index '%s' uses an old segment format: rebuild it with 'vsearch build'", dir);
        goto out;
    } else if (add) {
        st->mode = VS_BUILD_SYNCED;
        full = 0;
    } else if (o.replace || w->old_format || !same_config(&cfg, &w->man) || (!w->cat_name && w->n_seg > 0)) {
        st->mode = VS_BUILD_REPLACED;
        full = 1;
    } else {
        st->mode = VS_BUILD_SYNCED;
        full = 0;
    }
    if (full) {
        vs_writer_reset(w, &cfg);
        rc = full_tasks(&j, &in, err);
    } else {
        rc = plan(&j, &in, !add, err);
    }
    if (rc != VS_OK) goto out;
    if (j.n_tasks == 0 && !vs_writer_dirty(w)) {
        /* Nothing to commit; merges a killed run did not get to are done now. */
        st->mode = VS_BUILD_UP_TO_DATE;
        rc = vs_writer_merge_policy(w, err);
        st->merges = w->merges;
        st->segments = w->n_seg;
        st->index_bytes = index_bytes(w);
        goto out;
    }
    if (j.n_tasks > 0 && (rc = index_tasks(&j, err)) != VS_OK) goto out;
    if (full && st->passages == 0) {
        rc = vs_err_set(err, VS_ENOENT, "nothing to index: %" PRIu64 " file(s) gave no text (%" PRIu64 " skipped)",
                        (uint64_t)in.n_files, st->skipped_files);
        goto out;
    }
    rc = finish(&j, err);
out:
    st->peak_rss = peak_rss();
    st->seconds = vs_ingest_now() - t0;
    free(j.tasks);
    vs_writer_close(w);
    vs_manifest_free(&cfg);
    inputs_free(&in);
    vs_wfile_report();
    return rc;
}

vs_rc vs_build(const char *dir, const char *const *paths, size_t n_paths, const vs_build_opts *o,
               vs_build_stats *st, vs_err *err) {
    return run(dir, paths, n_paths, o, st, 0, err);
}

vs_rc vs_add(const char *dir, const char *const *paths, size_t n_paths, const vs_build_opts *o,
             vs_build_stats *st, vs_err *err) {
    return run(dir, paths, n_paths, o, st, 1, err);
}

vs_rc vs_delete(const char *dir, const char *const *ids, size_t n_ids, uint64_t *n_passages, vs_err *err) {
    if (n_passages) *n_passages = 0;
    if (n_ids == 0) return vs_err_set(err, VS_EUSAGE, "nothing to delete: give document ids");
    vs_writer *w;
    vs_rc rc = vs_writer_open(dir, 0, &w, err);
    if (rc != VS_OK) return rc;
    w->window = window_of(memory_of(NULL));
    w->max_tables = seg_limit_of(memory_of(NULL));
    uint64_t before = 0, after = 0;
    for (size_t i = 0; i < w->n_seg; i++) before += w->seg[i].n_del_passages;
    for (size_t i = 0; i < n_ids && rc == VS_OK; i++) {
        int found;
        rc = vs_writer_delete_id(w, ids[i], strlen(ids[i]), &found, err);
        if (rc == VS_OK && !found)
            rc = vs_err_set(err, VS_EDATA, "no document with id '%s' in index '%s': nothing deleted", ids[i], dir);
    }
    for (size_t i = 0; i < w->n_seg; i++) after += w->seg[i].n_del_passages;
    if (rc == VS_OK) rc = vs_writer_commit(w, err);
    if (rc == VS_OK) rc = vs_writer_merge_policy(w, err);
    if (rc == VS_OK && n_passages) *n_passages = after - before;
    vs_writer_close(w);
    vs_wfile_report();
    return rc;
}

vs_rc vs_merge(const char *dir, uint32_t max_segments, const vs_build_opts *o, vs_build_stats *st, vs_err *err) {
    double t0 = vs_ingest_now();
    memset(st, 0, sizeof *st);
    vs_writer *w;
    vs_rc rc = vs_writer_open(dir, 0, &w, err);
    if (rc != VS_OK) return rc;
    w->window = window_of(memory_of(o));
    rc = vs_writer_force_merge(w, max_segments ? max_segments : 1, err);
    st->merges = w->merges;
    st->segments = w->n_seg;
    for (size_t i = 0; i < w->n_seg; i++) {
        st->docs += w->seg[i].ms.n_docs - w->seg[i].n_del_docs;
        st->passages += w->seg[i].ms.n_passages - w->seg[i].n_del_passages;
    }
    st->index_bytes = index_bytes(w);
    st->peak_rss = peak_rss();
    st->seconds = vs_ingest_now() - t0;
    vs_writer_close(w);
    vs_wfile_report();
    return rc;
}
