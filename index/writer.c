/* writer.c: the index writer (see writer.h). */
#include "writer.h"

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

#include "delfile.h"
#include "le.h"
#include "merge.h"
#include "wfile.h"

/* ---- names ---- */

static int is_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* Files a writer creates: "<kind>-<16 hex>-<8 hex>" then a suffix starting with '.', and
 * MANIFEST.tmp. Nothing else in the directory is ever removed. */
static int ours(const char *nm) {
    if (strcmp(nm, "MANIFEST.tmp") == 0) return 1;
    static const char *const kinds[] = { "seg-", "del-", "files-", "tmp-" };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        size_t kl = strlen(kinds[k]);
        if (strncmp(nm, kinds[k], kl) != 0) continue;
        const char *p = nm + kl;
        if (strlen(p) < 27 || !is_hex(p, 16) || p[16] != '-' || !is_hex(p + 17, 8) || p[25] != '.') return 0;
        return 1;
    }
    return 0;
}

void vs_writer_name(vs_writer *w, const char *kind, const char *ext, char *name, size_t name_cap, char *path,
                    size_t path_cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed[4] = { (uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, (uint64_t)getpid(), ++w->seq };
    uint32_t r = (uint32_t)XXH3_64bits(seed, sizeof seed);
    snprintf(name, name_cap, "%s-%016" PRIx64 "-%08x%s", kind, w->man.generation + 1, r, ext);
    if (path) snprintf(path, path_cap, "%s/%s", w->dir, name);
}

/* Removes files of ours that m does not name (leftovers of a killed writer, replaced files). */
static void remove_unreferenced(const char *dir, const vs_manifest *m) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)) != NULL) {
        if (!ours(e->d_name) || (m && vs_manifest_names(m, e->d_name))) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        vs_wfile_unlink(p);
    }
    closedir(d);
}

/* ---- lock ---- */

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

/* ---- open / close ---- */

static void wseg_free(vs_wseg *s) {
    vs_segment_close(s->seg);
    free(s->name);
    free(s->del);
    free(s->del_name);
    memset(s, 0, sizeof *s);
}

static vs_rc push_seg(vs_writer *w, vs_wseg *s, vs_err *err) {
    if (w->n_seg == w->cap_seg) {
        size_t cap = w->cap_seg ? w->cap_seg * 2 : 16;
        vs_wseg *v = reallocarray(w->seg, cap, sizeof *v);
        if (!v) return vs_err_set(err, VS_ENOMEM, "out of memory");
        w->seg = v;
        w->cap_seg = cap;
    }
    w->seg[w->n_seg++] = *s;
    return VS_OK;
}

/* Opens DIR/name and checks it against what the MANIFEST (or the caller) expects. */
static vs_rc open_seg(vs_writer *w, const vs_manifest_seg *ms, vs_wseg *out, vs_err *err) {
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", w->dir, ms->name);
    vs_rc rc = vs_segment_open(path, &out->seg, err);
    if (rc != VS_OK) return rc;
    if (!(out->name = strdup(ms->name))) {
        wseg_free(out);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    const vs_segment_meta *mt = vs_segment_get_meta(out->seg);
    out->ms.size = vs_segment_size(out->seg);
    out->ms.n_docs = mt->n_docs;
    out->ms.n_passages = mt->n_passages;
    out->ms.total_len = mt->total_len;
    out->ms.trailer_hash = vs_segment_trailer_hash(out->seg);
    return VS_OK;
}

vs_rc vs_writer_open(const char *dir, int create, vs_writer **out, vs_err *err) {
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (!create) return vs_err_set(err, VS_ENOENT, "no index at '%s': run 'vsearch build' first", dir);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return vs_err_errno(err, VS_EIO, errno, "cannot create index directory '%s'", dir);
    } else if (!S_ISDIR(st.st_mode)) {
        return vs_err_set(err, VS_EUSAGE, "index path '%s' is not a directory", dir);
    }
    vs_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->dir = strdup(dir))) {
        free(w);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    w->lock_fd = -1;
    vs_rc rc = take_lock(dir, &w->lock_fd, err);
    if (rc != VS_OK) goto fail;
    vs_manifest m;
    vs_err e2;
    rc = vs_manifest_read(dir, &m, &e2);
    if (rc == VS_ENOENT) {
        if (!create) {
            *err = e2;
            goto fail;
        }
        memset(&w->man, 0, sizeof w->man);
        vs_analyze_config_default(&w->man.acfg);
        remove_unreferenced(dir, NULL);
        *out = w;
        return VS_OK;
    }
    if (rc != VS_OK) {
        if (err) *err = e2;
        goto fail;
    }
    w->existed = 1;
    remove_unreferenced(dir, &m);
    for (size_t i = 0; i < m.n_seg && rc == VS_OK; i++) {
        vs_wseg s;
        const vs_manifest_seg *ms = &m.seg[i];
        vs_err e3;
        vs_err_clear(&e3);
        if ((rc = open_seg(w, ms, &s, &e3)) != VS_OK) {
            /* an index of an older segment format: `build` replaces it (the next commit names
             * none of its files, and removes them) */
            if (rc == VS_EVERSION && create && strstr(e3.msg, "old segment format")) {
                w->old_format = 1;
                rc = VS_OK;
                continue;
            }
            if (err) *err = e3;
            break;
        }
        if (s.ms.size != ms->size || s.ms.trailer_hash != ms->trailer_hash || s.ms.n_docs != ms->n_docs ||
            s.ms.n_passages != ms->n_passages || s.ms.total_len != ms->total_len) {
            rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' is not the segment its MANIFEST names", dir, ms->name);
            wseg_free(&s);
            break;
        }
        if (ms->del_name) {
            uint32_t nd = 0;
            rc = vs_delfile_read(dir, ms->del_name, ms->del_hash, ms->trailer_hash, (uint32_t)ms->n_docs, &s.del, &nd, err);
            if (rc == VS_OK && nd != ms->n_del_docs)
                rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' disagrees with its MANIFEST", dir, ms->del_name);
            if (rc == VS_OK && !(s.del_name = strdup(ms->del_name))) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
            s.n_del_docs = ms->n_del_docs;
            s.n_del_passages = ms->n_del_passages;
            s.del_hash = ms->del_hash;
        }
        if (rc == VS_OK) rc = push_seg(w, &s, err);
        if (rc != VS_OK) wseg_free(&s);
    }
    if (rc == VS_OK && m.cat_name && !(w->cat_name = strdup(m.cat_name))) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    w->cat_size = m.cat_size;
    w->cat_hash = m.cat_hash;
    /* keep generation and configuration; the segment list lives in w->seg */
    for (size_t i = 0; i < m.n_seg; i++) {
        free(m.seg[i].name);
        free(m.seg[i].del_name);
    }
    free(m.seg);
    m.seg = NULL;
    m.n_seg = 0;
    free(m.cat_name);
    m.cat_name = NULL;
    w->man = m;
    if (rc != VS_OK) goto fail;
    *out = w;
    return VS_OK;
fail:
    vs_writer_close(w);
    return rc;
}

void vs_writer_close(vs_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_seg; i++) {
        if (w->seg[i].fresh) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", w->dir, w->seg[i].name);
            vs_wfile_unlink(p);
        }
        wseg_free(&w->seg[i]);
    }
    free(w->seg);
    vs_catalog_free(&w->cat);
    free(w->cat_name);
    vs_manifest_free(&w->man);
    if (w->lock_fd >= 0) close(w->lock_fd);
    free(w->dir);
    free(w);
}

void vs_writer_reset(vs_writer *w, const vs_manifest *config) {
    /* Committed segments are forgotten: the next commit does not name them, and then removes
     * them. Segments this writer made are kept. */
    size_t o = 0;
    for (size_t i = 0; i < w->n_seg; i++) {
        if (w->seg[i].fresh) w->seg[o++] = w->seg[i];
        else wseg_free(&w->seg[i]);
    }
    w->n_seg = o;
    vs_catalog_free(&w->cat);
    w->cat_loaded = 1;
    w->cat_dirty = 1;
    uint64_t gen = w->man.generation;
    vs_analyze_config_free(&w->man.acfg);
    vs_buf b = VS_BUF_INIT;
    vs_err e;
    /* copy the analyzer configuration through its encoding (it owns its strings) */
    if (vs_analyze_config_encode(&config->acfg, &b) != VS_OK || vs_analyze_config_decode(b.p, b.len, &w->man.acfg, &e) != VS_OK)
        vs_analyze_config_default(&w->man.acfg);
    vs_buf_free(&b);
    w->man.generation = gen;
    w->man.unit = config->unit;
    w->man.max_words = config->max_words;
}

/* ---- deletions ---- */

static vs_rc mark_deleted(vs_writer *w, vs_wseg *s, uint32_t doc, vs_err *err) {
    (void)w;
    if (!s->del) {
        s->del = calloc(vs_delfile_bytes(s->ms.n_docs) + 1, 1);
        if (!s->del) return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    if (vs_delfile_test(s->del, doc)) return VS_OK;
    vs_doc_info di;
    vs_rc rc = vs_segment_doc(s->seg, doc, &di, err);
    if (rc != VS_OK) return rc;
    vs_delfile_set(s->del, doc);
    s->n_del_docs++;
    s->n_del_passages += di.n_passages;
    s->del_dirty = 1;
    return VS_OK;
}

static int is_deleted(const vs_wseg *s, uint32_t doc) { return s->del && vs_delfile_test(s->del, doc); }

vs_rc vs_writer_delete_range(vs_writer *w, uint64_t seg, uint32_t first, uint32_t n, vs_err *err) {
    for (size_t i = 0; i < w->n_seg; i++) {
        if (w->seg[i].ms.trailer_hash != seg) continue;
        if ((uint64_t)first + n > w->seg[i].ms.n_docs)
            return vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: a catalog entry points past '%s'", w->dir, w->seg[i].name);
        for (uint32_t d = first; d < first + n; d++) {
            vs_rc rc = mark_deleted(w, &w->seg[i], d, err);
            if (rc != VS_OK) return rc;
        }
        return VS_OK;
    }
    return VS_OK; /* the segment is gone (replaced): nothing left to delete */
}

/* ---- unique ids ---- */

/* Document number at position k of a segment's DOCIDX, and its id. */
static vs_rc idx_doc(vs_segment *s, uint32_t k, uint32_t *doc, vs_doc_info *di, vs_err *err) {
    vs_rc rc = vs_segment_need(s, VS_SEC_DOCIDX, (uint64_t)k * 4, 4, err);
    if (rc != VS_OK) return rc;
    *doc = vs_le_get32(vs_segment_section(s, VS_SEC_DOCIDX, NULL) + (size_t)k * 4);
    return vs_segment_doc(s, *doc, di, err);
}

static int id_cmp(const vs_doc_info *a, const vs_doc_info *b) {
    int c = memcmp(a->id, b->id, a->id_len < b->id_len ? a->id_len : b->id_len);
    if (c) return c;
    return a->id_len < b->id_len ? -1 : (a->id_len > b->id_len);
}

vs_rc vs_writer_delete_id(vs_writer *w, const char *id, size_t len, int *found, vs_err *err) {
    *found = 0;
    vs_doc_info want = { .id = id, .id_len = (uint32_t)len };
    for (size_t i = 0; i < w->n_seg; i++) {
        vs_wseg *s = &w->seg[i];
        uint32_t nd = (uint32_t)s->ms.n_docs, lo = 0, hi = nd, doc;
        vs_doc_info di;
        vs_rc rc;
        while (lo < hi) { /* first DOCIDX position whose id >= id */
            uint32_t mid = lo + (hi - lo) / 2;
            if ((rc = idx_doc(s->seg, mid, &doc, &di, err)) != VS_OK) return rc;
            if (id_cmp(&di, &want) < 0) lo = mid + 1;
            else hi = mid;
        }
        for (uint32_t k = lo; k < nd; k++) {
            if ((rc = idx_doc(s->seg, k, &doc, &di, err)) != VS_OK) return rc;
            if (id_cmp(&di, &want) != 0) break;
            if (is_deleted(s, doc)) continue;
            if ((rc = mark_deleted(w, s, doc, err)) != VS_OK) return rc;
            *found = 1;
        }
    }
    return VS_OK;
}

/* Inside segment s: of equal ids (adjacent in DOCIDX, in document order), all but the last
 * are deleted. */
#define RELEASE_EVERY 0xFFFFu

static vs_rc dedupe_inside(vs_writer *w, vs_wseg *s, uint64_t *replaced, vs_err *err) {
    uint32_t nd = (uint32_t)s->ms.n_docs, prev = 0;
    vs_doc_info pdi, di;
    for (uint32_t k = 0; k < nd; k++) {
        uint32_t doc;
        vs_rc rc = idx_doc(s->seg, k, &doc, &di, err);
        if (rc != VS_OK) return rc;
        if (k > 0 && id_cmp(&pdi, &di) == 0 && !is_deleted(s, prev)) {
            if ((rc = mark_deleted(w, s, prev, err)) != VS_OK) return rc;
            (*replaced)++;
        }
        pdi = di;
        prev = doc;
        if ((k & RELEASE_EVERY) == RELEASE_EVERY) vs_merge_release(s->seg);
    }
    vs_merge_release(s->seg);
    return VS_OK;
}

/* Deletes the live documents of `old` whose ids are live in `neu`. Both segments' mapped pages
 * are released every RELEASE_EVERY + 1 documents read and at the end: a build that writes
 * several segments walks all their id tables, which would otherwise stay resident. */
static vs_rc dedupe_against(vs_writer *w, vs_wseg *neu, vs_wseg *old, uint64_t *replaced, vs_err *err) {
    uint32_t nn = (uint32_t)neu->ms.n_docs, no = (uint32_t)old->ms.n_docs;
    if (nn == 0 || no == 0 || old->n_del_docs == no) return VS_OK;
    double lg = 1;
    for (uint32_t x = no; x > 1; x >>= 1) lg += 1;
    vs_rc rc;
    if ((double)nn * lg < (double)nn + (double)no) {
        /* few new documents: binary search each in the old segment */
        for (uint32_t d = 0; d < nn; d++) {
            if ((d & RELEASE_EVERY) == RELEASE_EVERY) {
                vs_merge_release(neu->seg);
                vs_merge_release(old->seg);
            }
            if (is_deleted(neu, d)) continue;
            vs_doc_info di;
            uint32_t od;
            int f;
            if ((rc = vs_segment_doc(neu->seg, d, &di, err)) != VS_OK) return rc;
            if ((rc = vs_segment_find_doc(old->seg, di.id, di.id_len, &od, &f, err)) != VS_OK) return rc;
            if (f && !is_deleted(old, od)) {
                if ((rc = mark_deleted(w, old, od, err)) != VS_OK) return rc;
                (*replaced)++;
            }
        }
        vs_merge_release(neu->seg);
        vs_merge_release(old->seg);
        return VS_OK;
    }
    /* otherwise: walk both DOCIDX lists in id order */
    uint32_t a = 0, b = 0, da = 0, db = 0, steps = 0;
    vs_doc_info ia, ib;
    if ((rc = idx_doc(neu->seg, 0, &da, &ia, err)) != VS_OK) return rc;
    if ((rc = idx_doc(old->seg, 0, &db, &ib, err)) != VS_OK) return rc;
    while (a < nn && b < no) {
        int c = id_cmp(&ia, &ib);
        if (c == 0 && !is_deleted(neu, da) && !is_deleted(old, db)) {
            if ((rc = mark_deleted(w, old, db, err)) != VS_OK) return rc;
            (*replaced)++;
        }
        if (c <= 0 && ++a < nn && (rc = idx_doc(neu->seg, a, &da, &ia, err)) != VS_OK) return rc;
        if (c >= 0 && ++b < no && (rc = idx_doc(old->seg, b, &db, &ib, err)) != VS_OK) return rc;
        if ((++steps & RELEASE_EVERY) == 0) { /* ia and ib stay valid: the pages are read again */
            vs_merge_release(neu->seg);
            vs_merge_release(old->seg);
        }
    }
    vs_merge_release(neu->seg);
    vs_merge_release(old->seg);
    return VS_OK;
}

vs_rc vs_writer_add_segment(vs_writer *w, const char *name, size_t *index, uint64_t *replaced, vs_err *err) {
    vs_manifest_seg ms = { .name = (char *)name };
    vs_wseg s;
    vs_rc rc = open_seg(w, &ms, &s, err);
    if (rc != VS_OK) return rc;
    s.fresh = 1;
    if ((rc = push_seg(w, &s, err)) != VS_OK) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", w->dir, name);
        vs_wfile_unlink(p);
        wseg_free(&s);
        return rc;
    }
    size_t i = w->n_seg - 1;
    *index = i;
    uint64_t rep = 0;
    rc = dedupe_inside(w, &w->seg[i], &rep, err);
    for (size_t j = 0; j < i && rc == VS_OK; j++) rc = dedupe_against(w, &w->seg[i], &w->seg[j], &rep, err);
    if (replaced) *replaced = rep;
    return rc;
}

/* ---- catalog ---- */

vs_rc vs_writer_catalog(vs_writer *w, vs_catalog **cat, vs_err *err) {
    if (!w->cat_loaded) {
        if (w->cat_name) {
            vs_rc rc = vs_catalog_read(w->dir, w->cat_name, w->cat_size, w->cat_hash, &w->cat, err);
            if (rc != VS_OK) return rc;
        }
        w->cat_loaded = 1;
    }
    *cat = &w->cat;
    return VS_OK;
}

/* ---- commit ---- */

int vs_writer_dirty(const vs_writer *w) {
    if (w->cat_dirty) return 1;
    for (size_t i = 0; i < w->n_seg; i++)
        if (w->seg[i].fresh || w->seg[i].del_dirty) return 1;
    return 0;
}

uint64_t vs_writer_live_docs(const vs_writer *w) {
    uint64_t n = 0;
    for (size_t i = 0; i < w->n_seg; i++) n += w->seg[i].ms.n_docs - w->seg[i].n_del_docs;
    return n;
}

vs_rc vs_writer_commit(vs_writer *w, vs_err *err) {
    size_t ns = w->n_seg;
    vs_manifest m = w->man;   /* shallow: the config is borrowed */
    m.generation = w->man.generation + 1;
    m.seg = calloc(ns ? ns : 1, sizeof *m.seg);
    char **newdel = calloc(ns ? ns : 1, sizeof *newdel);
    uint64_t *newhash = calloc(ns ? ns : 1, sizeof *newhash);
    char catname[128] = "", catpath[4096] = "";
    vs_rc rc = VS_OK;
    vs_buf b = VS_BUF_INIT;
    if (!m.seg || !newdel || !newhash) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); goto out; }
    /* 1. deletion files that changed */
    for (size_t i = 0; i < ns && rc == VS_OK; i++) {
        vs_wseg *s = &w->seg[i];
        if (!s->del_dirty || s->n_del_docs == 0) continue;
        char name[128], path[4096];
        vs_writer_name(w, "del", ".vsd", name, sizeof name, path, sizeof path);
        vs_buf_reset(&b);
        if ((rc = vs_delfile_encode(s->ms.trailer_hash, (uint32_t)s->ms.n_docs, s->del, &b, &newhash[i])) != VS_OK) {
            rc = vs_err_set(err, rc, "cannot encode a deletion file");
            break;
        }
        if ((rc = vs_wfile_put(path, b.p, b.len, err)) != VS_OK) break;
        if (!(newdel[i] = strdup(name))) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    /* 2. the catalog, if it changed */
    uint64_t cat_hash = w->cat_hash, cat_size = w->cat_size;
    if (rc == VS_OK && w->cat_dirty && w->cat.n > 0) {
        vs_catalog_sort(&w->cat);
        vs_writer_name(w, "files", ".vsf", catname, sizeof catname, catpath, sizeof catpath);
        vs_buf_reset(&b);
        if ((rc = vs_catalog_encode(&w->cat, &b, &cat_hash)) != VS_OK) rc = vs_err_set(err, rc, "cannot encode the file catalog");
        else rc = vs_wfile_put(catpath, b.p, b.len, err);
        cat_size = b.len;
    }
    /* 3. the MANIFEST */
    if (rc == VS_OK) {
        for (size_t i = 0; i < ns; i++) {
            vs_wseg *s = &w->seg[i];
            m.seg[i] = s->ms;
            m.seg[i].name = s->name;
            int has = s->n_del_docs > 0;
            m.seg[i].del_name = !has ? NULL : newdel[i] ? newdel[i] : s->del_name;
            m.seg[i].del_hash = !has ? 0 : newdel[i] ? newhash[i] : s->del_hash;
            m.seg[i].n_del_docs = s->n_del_docs;
            m.seg[i].n_del_passages = s->n_del_passages;
        }
        m.n_seg = ns;
        if (w->cat_dirty) {
            m.cat_name = w->cat.n > 0 ? catname : NULL;
            m.cat_files = w->cat.n;
        } else {
            m.cat_name = w->cat_name;
            m.cat_files = w->man.cat_files;
        }
        m.cat_size = m.cat_name ? cat_size : 0;
        m.cat_hash = m.cat_name ? cat_hash : 0;
        /* new files are durable; make their names durable before the MANIFEST points to them */
        rc = vs_wfile_fsync_dir(w->dir, err);
        if (rc == VS_OK) rc = vs_manifest_commit(w->dir, &m, err);
    }
    if (rc != VS_OK) {
        for (size_t i = 0; i < ns; i++)
            if (newdel[i]) {
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", w->dir, newdel[i]);
                vs_wfile_unlink(p);
            }
        if (*catpath) vs_wfile_unlink(catpath);
        goto out;
    }
    /* Committed: adopt the new state, then remove what the new MANIFEST no longer names. */
    w->man.generation = m.generation;
    w->man.cat_files = m.cat_files;
    for (size_t i = 0; i < ns; i++) {
        vs_wseg *s = &w->seg[i];
        s->fresh = 0;
        s->del_dirty = 0;
        if (s->n_del_docs == 0) {
            free(s->del_name);
            s->del_name = NULL;
            s->del_hash = 0;
        } else if (newdel[i]) {
            free(s->del_name);
            s->del_name = newdel[i];
            s->del_hash = newhash[i];
            newdel[i] = NULL;
        }
    }
    if (w->cat_dirty) {
        free(w->cat_name);
        w->cat_name = m.cat_name ? strdup(catname) : NULL;
        w->cat_size = m.cat_size;
        w->cat_hash = m.cat_hash;
        w->cat_dirty = 0;
    }
    remove_unreferenced(w->dir, &m);
out:
    vs_buf_free(&b);
    if (newdel)
        for (size_t i = 0; i < ns; i++) free(newdel[i]);
    free(newdel);
    free(newhash);
    free(m.seg);
    return rc;
}

/* ---- merging ---- */

static uint64_t live_passages(const vs_wseg *s) { return s->ms.n_passages - s->n_del_passages; }

/* Live documents before each document of s (n_docs + 1 entries), malloc'd. */
static uint32_t *doc_ranks(const vs_wseg *s) {
    uint32_t nd = (uint32_t)s->ms.n_docs, acc = 0;
    uint32_t *r = malloc(((size_t)nd + 1) * sizeof *r);
    if (!r) return NULL;
    for (uint32_t d = 0; d < nd; d++) {
        r[d] = acc;
        acc += !is_deleted(s, d);
    }
    r[nd] = acc;
    return r;
}

vs_rc vs_writer_merge(vs_writer *w, const size_t *idx, size_t n, vs_err *err) {
    if (n == 0) return VS_OK;
    vs_merge_in *in = calloc(n, sizeof *in);
    if (!in) return vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        in[k].seg = w->seg[idx[k]].seg;
        in[k].del_docs = w->seg[idx[k]].n_del_docs ? w->seg[idx[k]].del : NULL;
    }
    char name[128], path[4096], tname[128], tpath[4096];
    vs_writer_name(w, "seg", ".vsg", name, sizeof name, path, sizeof path);
    vs_writer_name(w, "tmp", ".merge", tname, sizeof tname, tpath, sizeof tpath);
    vs_merge_stats ms;
    vs_rc rc = vs_merge_segments(in, n, tpath, path, w->window, &ms, err);
    free(in);
    int empty = rc == VS_ENOENT;
    if (rc != VS_OK && !empty) return rc;
    vs_wseg neu;
    memset(&neu, 0, sizeof neu);
    if (!empty) {
        vs_manifest_seg m0 = { .name = name };
        if ((rc = open_seg(w, &m0, &neu, err)) != VS_OK) {
            vs_wfile_unlink(path);
            return rc;
        }
        neu.fresh = 1;
    }
    /* Catalog entries of the inputs now point into the merged segment (or nowhere). */
    vs_catalog *cat;
    if ((rc = vs_writer_catalog(w, &cat, err)) != VS_OK) {
        wseg_free(&neu);
        vs_wfile_unlink(path);
        return rc;
    }
    uint32_t *base = calloc(n, sizeof *base);
    if (!base) {
        wseg_free(&neu);
        vs_wfile_unlink(path);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    vs_wseg *inseg = calloc(n, sizeof *inseg);
    uint32_t **ranks = calloc(n, sizeof *ranks);
    if (!inseg || !ranks) {
        free(ranks);
        free(inseg);
        free(base);
        wseg_free(&neu);
        vs_wfile_unlink(path);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    uint32_t acc = 0;
    for (size_t k = 0; k < n; k++) {
        inseg[k] = w->seg[idx[k]];
        base[k] = acc;
        acc += (uint32_t)(inseg[k].ms.n_docs - inseg[k].n_del_docs);
    }
    for (size_t f = 0; f < cat->n; f++) {
        vs_catalog_file *cf = &cat->v[f];
        if (!cf->seg) continue;
        for (size_t k = 0; k < n; k++) {
            if (cf->seg != inseg[k].ms.trailer_hash) continue;
            if (!ranks[k] && !(ranks[k] = doc_ranks(&inseg[k]))) {
                rc = vs_err_set(err, VS_ENOMEM, "out of memory");
                break;
            }
            uint32_t end = cf->first_doc + cf->n_docs;
            if (end > inseg[k].ms.n_docs) end = (uint32_t)inseg[k].ms.n_docs;
            uint32_t first = cf->first_doc < end ? cf->first_doc : end;
            uint32_t live = ranks[k][end] - ranks[k][first];
            if (live == 0 || empty) {
                cf->seg = 0;
                cf->first_doc = cf->n_docs = 0;
            } else {
                cf->seg = neu.ms.trailer_hash;
                cf->first_doc = base[k] + ranks[k][first];
                cf->n_docs = live;
            }
            w->cat_dirty = 1;
            break;
        }
    }
    for (size_t k = 0; k < n; k++) free(ranks[k]);
    free(ranks);
    if (rc != VS_OK) {
        free(base);
        free(inseg);
        wseg_free(&neu);
        vs_wfile_unlink(path);
        return rc;
    }
    free(base);
    free(inseg);
    /* Replace the inputs in the list. */
    size_t at = idx[0], o = 0, k = 0;
    vs_wseg *v = w->seg;
    for (size_t i = 0; i < w->n_seg; i++) {
        if (k < n && idx[k] == i) {
            k++;
            if (v[i].fresh) {
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", w->dir, v[i].name);
                vs_wfile_unlink(p);
            }
            wseg_free(&v[i]);
            if (i == at && !empty) v[o++] = neu;
            continue;
        }
        v[o++] = v[i];
    }
    w->n_seg = o;
    w->merges++;
    return VS_OK;
}

/* Tier of a segment: 0 below VS_MERGE_FLOOR live passages, +1 per factor VS_MERGE_FACTOR. */
static int tier(const vs_wseg *s) {
    uint64_t x = live_passages(s), lim = VS_MERGE_FLOOR;
    int t = 0;
    while (x >= lim && t < 30) {
        lim *= VS_MERGE_FACTOR;
        t++;
    }
    return t;
}

/* Sorts idx[0..n) (segment positions, in increasing order) by live passages, keeping position
 * order among equals (insertion sort: a few segments). */
static void by_live_passages(const vs_writer *w, size_t *idx, size_t n) {
    for (size_t i = 1; i < n; i++) {
        size_t x = idx[i], j = i;
        while (j > 0 && live_passages(&w->seg[idx[j - 1]]) > live_passages(&w->seg[x])) { idx[j] = idx[j - 1]; j--; }
        idx[j] = x;
    }
}

static uint64_t live_docs(const vs_wseg *s) { return s->ms.n_docs - s->n_del_docs; }

/* Of the segments idx[0..n) (a full tier), the smallest ones whose merge stays within
 * w->max_tables, at least two, in index order (0: none fits, the tier stays as it is; its
 * segments are as large as the budget lets a segment be). */
static size_t within_tables(const vs_writer *w, size_t *idx, size_t n) {
    by_live_passages(w, idx, n);
    uint64_t docs = 0, psg = 0;
    size_t k = 0;
    while (k < n) {
        uint64_t d = docs + live_docs(&w->seg[idx[k]]), p = psg + live_passages(&w->seg[idx[k]]);
        if (VS_WRITER_TABLES(d, p) > w->max_tables) break;
        docs = d;
        psg = p;
        k++;
    }
    if (k < 2) return 0;
    for (size_t i = 1; i < k; i++) { /* back to index order */
        size_t x = idx[i], j = i;
        while (j > 0 && idx[j - 1] > x) { idx[j] = idx[j - 1]; j--; }
        idx[j] = x;
    }
    return k;
}

vs_rc vs_writer_merge_policy(vs_writer *w, vs_err *err) {
    size_t *idx = NULL;
    vs_rc rc = VS_OK;
    for (int round = 0; round < 1000 && rc == VS_OK; round++) {
        free(idx);
        idx = malloc((w->n_seg ? w->n_seg : 1) * sizeof *idx);
        if (!idx) return vs_err_set(err, VS_ENOMEM, "out of memory");
        size_t n = 0;
        /* a segment more than half deleted is rewritten on its own */
        for (size_t i = 0; i < w->n_seg && n == 0; i++)
            if (w->seg[i].n_del_passages * 2 > w->seg[i].ms.n_passages || w->seg[i].n_del_docs == w->seg[i].ms.n_docs) idx[n++] = i;
        /* else the lowest full tier */
        for (int t = 0; t <= 30 && n == 0; t++) {
            size_t cnt = 0;
            for (size_t i = 0; i < w->n_seg; i++) cnt += tier(&w->seg[i]) == t;
            if (cnt < VS_MERGE_FACTOR) continue;
            for (size_t i = 0; i < w->n_seg; i++)
                if (tier(&w->seg[i]) == t) idx[n++] = i;
            if (w->max_tables) n = within_tables(w, idx, n);
        }
        if (n == 0) break;
        if ((rc = vs_writer_merge(w, idx, n, err)) == VS_OK) rc = vs_writer_commit(w, err);
    }
    free(idx);
    return rc;
}

vs_rc vs_writer_force_merge(vs_writer *w, size_t max_segments, vs_err *err) {
    if (max_segments == 0) max_segments = 1;
    size_t ns = w->n_seg;
    size_t *idx = malloc((ns ? ns : 1) * sizeof *idx);
    size_t *order = malloc((ns ? ns : 1) * sizeof *order);
    int *pick = calloc(ns ? ns : 1, sizeof *pick);
    vs_rc rc = VS_OK;
    if (!idx || !order || !pick) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); goto out; }
    /* the (ns - max + 1) smallest segments merge into one */
    for (size_t i = 0; i < ns; i++) order[i] = i;
    by_live_passages(w, order, ns);
    if (ns > max_segments)
        for (size_t i = 0; i < ns - max_segments + 1; i++) pick[order[i]] = 1;
    size_t n = 0;
    for (size_t i = 0; i < ns; i++)
        if (pick[i]) idx[n++] = i;
    /* segments with deletions not in that merge are rewritten alone, from the last (positions
     * of earlier segments do not move when a later one is replaced) */
    for (size_t i = ns; i-- > 0 && rc == VS_OK;) {
        if (pick[i] || w->seg[i].n_del_docs == 0) continue;
        size_t one = i;
        rc = vs_writer_merge(w, &one, 1, err);
        if (rc == VS_OK) rc = vs_writer_commit(w, err);
        /* the list shifted if the segment vanished (fully deleted): recompute picks */
        if (rc == VS_OK && w->n_seg != ns) {
            free(idx);
            free(order);
            free(pick);
            return vs_writer_force_merge(w, max_segments, err);
        }
    }
    if (rc == VS_OK && n > 1) {
        rc = vs_writer_merge(w, idx, n, err);
        if (rc == VS_OK) rc = vs_writer_commit(w, err);
    } else if (rc == VS_OK && n == 1 && w->seg[idx[0]].n_del_docs) {
        rc = vs_writer_merge(w, idx, 1, err);
        if (rc == VS_OK) rc = vs_writer_commit(w, err);
    }
out:
    free(idx);
    free(order);
    free(pick);
    return rc;
}
