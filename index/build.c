/* build.c: vs_build() — files -> documents -> passages -> terms -> one segment -> commit.
 * The new segment gets a fresh name; the MANIFEST is replaced atomically only after the
 * segment file is complete and fsynced, so a failed or killed build leaves the previous index
 * as it was. Segment files no MANIFEST names (leftovers of a killed build, or the segments of
 * the index just replaced) are removed after the commit. One writer at a time: DIR/LOCK is held
 * with flock() for the whole build. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "analyze.h"
#include "invert.h"
#include "manifest.h"
#include "passage.h"
#include "segment.h"
#include "segwriter.h"
#include "source.h"
#include "vsearch.h"

void vs_build_opts_default(vs_build_opts *o) {
    memset(o, 0, sizeof *o);
    o->stem = 1;
    o->stop_default = 1;
    o->max_words = VS_PASSAGE_MAX_WORDS;
}

typedef struct bctx {
    const vs_build_opts *o;
    vs_analyzer *an;
    vs_invert *iv;
    vs_segwriter *sw;
    vs_passage_list pl;
    vs_passage_opts popts;
    vs_buf unit;       /* title + body for --unit doc */
    uint32_t cur_pid;
    vs_rc rc;
    vs_err *err;
    uint64_t passages;
} bctx;

static int on_token(void *ctx, const vs_token *t) {
    bctx *b = ctx;
    vs_rc rc = vs_invert_token(b->iv, b->cur_pid, t->term, t->len, t->pos, b->err);
    if (rc != VS_OK) { b->rc = rc; return 1; }
    return 0;
}

static vs_rc add_passage(bctx *b, const char *text, size_t len) {
    uint32_t ntok = 0, next = 0;
    vs_rc rc = vs_analyze_text(b->an, text, len, 0, on_token, b, &next, &ntok);
    if (b->rc != VS_OK) return b->rc;
    if (rc != VS_OK) return vs_err_set(b->err, rc, "analyzer failed");
    uint32_t pid;
    rc = vs_segwriter_add_passage(b->sw, text, len, ntok, &pid, b->err);
    if (rc != VS_OK) return rc;
    if (pid != b->cur_pid) return vs_err_set(b->err, VS_EINTERNAL, "passage numbering out of step");
    if ((rc = vs_invert_end_passage(b->iv, b->err)) != VS_OK) return rc;
    b->cur_pid++;
    b->passages++;
    return VS_OK;
}

static int on_doc(void *ctx, const vs_doc *d) {
    bctx *b = ctx;
    uint32_t docno;
    size_t plen = strlen(d->path);
    vs_rc rc = vs_segwriter_add_doc(b->sw, d->id, d->id_len, d->title, d->title_len, d->path, plen, &docno, b->err);
    if (rc != VS_OK) { b->rc = rc; return 1; }
    if (b->o->unit_doc) {
        vs_buf_reset(&b->unit);
        rc = VS_OK;
        vs_buf_put(&b->unit, d->title, d->title_len, &rc);
        if (d->title_len && d->body_len) vs_buf_put(&b->unit, "\n\n", 2, &rc);
        vs_buf_put(&b->unit, d->body, d->body_len, &rc);
        if (rc != VS_OK) { b->rc = vs_err_set(b->err, rc, "out of memory"); return 1; }
        rc = vs_passage_split((const char *)b->unit.p, b->unit.len, &b->popts, &b->pl, b->err);
    } else {
        rc = vs_passage_split(d->body, d->body_len, &b->popts, &b->pl, b->err);
    }
    if (rc != VS_OK) { b->rc = rc; return 1; }
    if (b->pl.n == 0 && d->title_len > 0 && !b->o->unit_doc) {
        /* A title-only story (Reuters BRIEF) is findable through its title. */
        rc = add_passage(b, d->title, d->title_len);
        if (rc != VS_OK) { b->rc = rc; return 1; }
        return 0;
    }
    for (size_t i = 0; i < b->pl.n; i++) {
        rc = add_passage(b, b->pl.v[i].text, b->pl.v[i].len);
        if (rc != VS_OK) { b->rc = rc; return 1; }
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static vs_rc take_lock(const char *dir, int *fd_out, vs_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return vs_err_errno(err, VS_EIO, errno, "cannot open lock file '%s'", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        if (n > 0) pid[n] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return vs_err_set(err, VS_EIO, "index '%s' is locked by another writer (pid %s): wait for it to finish",
                          dir, *pid ? pid : "unknown");
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) { /* the lock itself is what matters */ }
    *fd_out = fd;
    return VS_OK;
}

/* Removes seg-*.vsg files and temporaries that the manifest does not name. */
static void remove_unreferenced(const char *dir, const vs_manifest *m) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        size_t nl = strlen(nm);
        int is_seg = strncmp(nm, "seg-", 4) == 0 && nl > 8 &&
                     (strcmp(nm + nl - 4, ".vsg") == 0 || strcmp(nm + nl - 8, ".vsg.tmp") == 0);
        if (!is_seg) continue;
        int live = 0;
        for (size_t i = 0; i < m->n_seg; i++)
            if (strcmp(m->seg[i].name, nm) == 0) live = 1;
        if (!live) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, nm);
            unlink(p);
        }
    }
    closedir(d);
}

static void warn_cb(void *ctx, const char *msg) {
    const vs_build_opts *o = ctx;
    if (o->warn) o->warn(o->warn_ctx, msg);
}

vs_rc vs_build(const char *dir, const char *const *paths, size_t n_paths, const vs_build_opts *o,
               vs_build_stats *st, vs_err *err) {
    double t0 = now_s();
    memset(st, 0, sizeof *st);
    if (n_paths == 0) return vs_err_set(err, VS_EUSAGE, "nothing to index: give files or directories");
    if (o->format < 0 || o->format > VS_FMT_SMART) return vs_err_set(err, VS_EUSAGE, "unknown format");
    vs_source_opts so = { .format = (vs_format)o->format, .strict = o->strict, .warn = warn_cb, .warn_ctx = (void *)o };
    char **files = NULL;
    size_t n_files = 0;
    vs_rc rc = vs_source_walk(paths, n_paths, &so, &files, &n_files, err);
    if (rc != VS_OK) return rc;
    if (n_files == 0) {
        vs_source_paths_free(files, n_files);
        return vs_err_set(err, VS_ENOENT, "no files to index under '%s'%s", paths[0], n_paths > 1 ? " and the other paths" : "");
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = vs_err_errno(err, VS_EIO, errno, "cannot create index directory '%s'", dir);
        vs_source_paths_free(files, n_files);
        return rc;
    }
    int lock_fd = -1;
    if ((rc = take_lock(dir, &lock_fd, err)) != VS_OK) {
        vs_source_paths_free(files, n_files);
        return rc;
    }
    vs_manifest old;
    vs_err tmp;
    uint64_t gen = 1;
    vs_rc orc = vs_manifest_read(dir, &old, &tmp);
    if (orc == VS_OK) {
        gen = old.generation + 1;
        vs_manifest_free(&old);
    }

    bctx b = { .o = o, .rc = VS_OK, .err = err };
    b.popts.max_words = o->max_words ? o->max_words : VS_PASSAGE_MAX_WORDS;
    b.popts.whole_doc = o->unit_doc;
    vs_passage_list pl0 = VS_PASSAGE_LIST_INIT;
    b.pl = pl0;
    vs_manifest m;
    memset(&m, 0, sizeof m);
    vs_analyze_config_default(&m.acfg);
    m.acfg.stem = o->stem;
    m.acfg.stop_default = o->stop_default;
    char segname[64] = "", segpath[4096] = "";
    if (o->stopwords_file && (rc = vs_analyze_config_load_stopwords(&m.acfg, o->stopwords_file, err)) != VS_OK) goto out;
    if ((rc = vs_analyze_new(&m.acfg, &b.an, err)) != VS_OK) goto out;
    if ((rc = vs_invert_new(&b.iv, err)) != VS_OK) goto out;
    if ((rc = vs_segwriter_new(&b.sw, err)) != VS_OK) goto out;
    vs_source_stats ss;
    memset(&ss, 0, sizeof ss);
    for (size_t i = 0; i < n_files; i++) {
        rc = vs_source_read_file(files[i], &so, on_doc, &b, &ss, err);
        if (b.rc != VS_OK) { rc = b.rc; goto out; }
        if (rc != VS_OK) {
            if ((rc == VS_EIO || rc == VS_ENOENT) && !o->strict) { /* unreadable or vanished file: skipped and counted */
                ss.skipped_files++;
                if (o->warn) o->warn(o->warn_ctx, err->msg);
                vs_err_clear(err);
                rc = VS_OK;
                continue;
            }
            goto out;
        }
    }
    if (b.passages == 0) {
        rc = vs_err_set(err, VS_ENOENT, "nothing to index: %" PRIu64 " file(s) gave no text (%" PRIu64 " skipped)",
                        (uint64_t)n_files, ss.skipped_files);
        goto out;
    }
    if ((rc = vs_invert_write(b.iv, b.sw, err)) != VS_OK) goto out;
    snprintf(segname, sizeof segname, "seg-%016" PRIx64 "-%08x.vsg", gen, (unsigned)(XXH3_64bits(&t0, sizeof t0) ^ (uint64_t)getpid()));
    snprintf(segpath, sizeof segpath, "%s/%s", dir, segname);
    if ((rc = vs_segwriter_finish(b.sw, segpath, ss.bytes, err)) != VS_OK) goto out;
    /* Re-open what was written: the manifest records its counts and trailer hash. */
    vs_segment *seg = NULL;
    if ((rc = vs_segment_open(segpath, &seg, err)) != VS_OK) goto out;
    const vs_segment_meta *mt = vs_segment_get_meta(seg);
    vs_manifest_seg ms = { .name = segname, .size = vs_segment_size(seg), .n_docs = mt->n_docs,
                           .n_passages = mt->n_passages, .total_len = mt->total_len };
    ms.trailer_hash = vs_segment_trailer_hash(seg);
    st->terms = mt->n_terms;
    st->postings = mt->n_postings;
    st->positions = mt->n_positions;
    st->docs = mt->n_docs;
    st->passages = mt->n_passages;
    st->index_bytes = vs_segment_size(seg);
    vs_segment_close(seg);
    m.generation = gen;
    m.unit = o->unit_doc ? 1 : 0;
    m.max_words = b.popts.max_words;
    m.seg = &ms;
    m.n_seg = 1;
    rc = vs_manifest_commit(dir, &m, err);
    m.seg = NULL;
    m.n_seg = 0;
    if (rc != VS_OK) { unlink(segpath); goto out; }
    {
        vs_manifest live = { 0 };
        vs_manifest_seg only = { .name = segname };
        live.seg = &only;
        live.n_seg = 1;
        remove_unreferenced(dir, &live);
    }
    st->files = ss.files;
    st->raw_bytes = ss.bytes;
    st->skipped_records = ss.skipped_records;
    st->skipped_files = ss.skipped_files;
    st->invalid_utf8 = ss.invalid_utf8;
    char mp[4096];
    struct stat mst;
    snprintf(mp, sizeof mp, "%s/MANIFEST", dir);
    if (stat(mp, &mst) == 0) st->index_bytes += (uint64_t)mst.st_size;
out:
    vs_manifest_free(&m);
    vs_segwriter_free(b.sw);
    vs_invert_free(b.iv);
    vs_analyze_free(b.an);
    vs_passage_list_free(&b.pl);
    vs_buf_free(&b.unit);
    vs_source_paths_free(files, n_files);
    if (lock_fd >= 0) close(lock_fd);
    st->seconds = now_s() - t0;
    return rc;
}
