/* ixread.c: open/close an index, its statistics, and `vsearch check` (see ixread.h). */
#include "ixread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "delfile.h"
#include "le.h"
#include "plist.h"

/* One attempt at opening the snapshot the MANIFEST names. */
static vs_rc open_once(vs_index *ix, const char *dir, vs_err *err) {
    vs_rc rc = vs_manifest_read(dir, &ix->man, err);
    if (rc != VS_OK) return rc;
    size_t ns = ix->man.n_seg ? ix->man.n_seg : 1;
    ix->seg = calloc(ns, sizeof *ix->seg);
    ix->deleted = calloc(ns, sizeof *ix->deleted);
    if (!ix->seg || !ix->deleted) return vs_err_set(err, VS_ENOMEM, "out of memory");
    for (size_t i = 0; i < ix->man.n_seg; i++) {
        const vs_manifest_seg *ms = &ix->man.seg[i];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, ms->name);
        if ((rc = vs_segment_open(path, &ix->seg[i], err)) != VS_OK) return rc;
        ix->n_seg = i + 1;
        const vs_segment_meta *mt = vs_segment_get_meta(ix->seg[i]);
        if (vs_segment_size(ix->seg[i]) != ms->size || vs_segment_trailer_hash(ix->seg[i]) != ms->trailer_hash ||
            mt->n_docs != ms->n_docs || mt->n_passages != ms->n_passages || mt->total_len != ms->total_len)
            return vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' is not the segment its MANIFEST names", dir, path);
        if (ms->del_name) {
            uint8_t *docs = NULL;
            uint32_t nd = 0;
            uint64_t np = 0;
            rc = vs_delfile_read(dir, ms->del_name, ms->del_hash, ms->trailer_hash, mt->n_docs, &docs, &nd, err);
            if (rc == VS_OK) rc = vs_delfile_passages(ix->seg[i], docs, &ix->deleted[i], &np, err);
            free(docs);
            if (rc != VS_OK) return rc;
            if (nd != ms->n_del_docs || np != ms->n_del_passages)
                return vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s/%s' deletes %u documents (%" PRIu64
                                  " passages), its MANIFEST says %" PRIu64 " (%" PRIu64 ")", dir, dir, ms->del_name, nd, np,
                                  ms->n_del_docs, ms->n_del_passages);
            ix->n_deleted += np;
        }
        ix->N += mt->n_passages;
        ix->total_len += mt->total_len;
        ix->NT += mt->n_titled;
        ix->total_tlen += mt->title_len;
    }
    ix->avglen = ix->N ? (double)ix->total_len / (double)ix->N : 0.0;
    ix->avgtlen = ix->NT ? (double)ix->total_tlen / (double)ix->NT : 0.0;
    if (ix->man.cat_name) { /* kept open so that `check` reads this snapshot's catalog */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, ix->man.cat_name);
        if ((ix->cat_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            return vs_err_errno(err, errno == ENOENT ? VS_ECORRUPT : VS_EIO, errno, "cannot open file catalog '%s'", path);
    }
    return vs_analyze_new(&ix->man.acfg, &ix->an, err);
}

static void release(vs_index *ix) {
    for (size_t i = 0; i < ix->n_seg; i++) vs_segment_close(ix->seg[i]);
    if (ix->deleted)
        for (size_t i = 0; i < (ix->man.n_seg ? ix->man.n_seg : 1); i++) free(ix->deleted[i]);
    free(ix->deleted);
    free(ix->seg);
    vs_manifest_free(&ix->man);
    vs_analyze_free(ix->an);
    if (ix->cat_fd >= 0) close(ix->cat_fd);
    ix->cat_fd = -1;
    ix->deleted = NULL;
    ix->seg = NULL;
    ix->an = NULL;
    ix->n_seg = 0;
    ix->N = ix->total_len = ix->n_deleted = 0;
    ix->NT = ix->total_tlen = 0;
}

/* The generation in DIR/MANIFEST now (0 if unreadable). */
static uint64_t current_generation(const char *dir) {
    vs_manifest m;
    if (vs_manifest_read(dir, &m, NULL) != VS_OK) return 0;
    uint64_t g = m.generation;
    vs_manifest_free(&m);
    return g;
}

vs_rc vs_index_open(const char *dir, vs_index **out, vs_err *err) {
    *out = NULL;
    vs_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->dir = strdup(dir))) {
        free(ix);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&ix->an_lock, NULL);
    ix->cat_fd = -1;
    /* A writer may commit between our reading the MANIFEST and opening the files it names, and
     * remove files of the old snapshot: when a file is missing or disagrees and the MANIFEST
     * has moved on meanwhile, open the new snapshot instead. */
    vs_rc rc = VS_OK;
    for (int attempt = 0; attempt < 20; attempt++) {
        rc = open_once(ix, dir, err);
        if (rc == VS_OK || rc == VS_ENOENT || rc == VS_ENOMEM) break;
        uint64_t gen = ix->man.generation;
        release(ix);
        if (gen == 0 || current_generation(dir) == gen) break;
    }
    if (rc != VS_OK) {
        vs_index_close(ix);
        return rc;
    }
    *out = ix;
    return VS_OK;
}

void vs_index_close(vs_index *ix) {
    if (!ix) return;
    release(ix);
    pthread_mutex_destroy(&ix->an_lock);
    free(ix->dir);
    free(ix);
}

vs_rc vs_index_analyze(vs_index *ix, const char *text, size_t len, vs_token_fn fn, void *ctx, vs_err *err) {
    pthread_mutex_lock(&ix->an_lock);
    vs_rc rc = vs_analyze_text(ix->an, text, len, 0, fn, ctx, NULL, NULL);
    pthread_mutex_unlock(&ix->an_lock);
    if (rc != VS_OK) return vs_err_set(err, rc, "cannot analyze the query");
    return VS_OK;
}

vs_rc vs_index_stats_get(vs_index *ix, vs_index_stats *st, vs_err *err) {
    memset(st, 0, sizeof *st);
    st->segments = ix->n_seg;
    for (size_t i = 0; i < ix->n_seg; i++) {
        vs_segment *s = ix->seg[i];
        const vs_segment_meta *mt = vs_segment_get_meta(s);
        st->documents += mt->n_docs;
        st->passages += mt->n_passages;
        st->terms += mt->n_terms;
        st->postings += mt->n_postings;
        st->positions += mt->n_positions;
        st->raw_bytes += mt->raw_bytes;
        uint64_t l, sum = 0;
        vs_segment_section(s, VS_SEC_DICT, &l); st->bytes_dict += l; sum += l;
        vs_segment_section(s, VS_SEC_DICT_INDEX, &l); st->bytes_dict += l; sum += l;
        vs_segment_section(s, VS_SEC_POSTINGS, &l); st->bytes_postings += l; sum += l;
        vs_segment_section(s, VS_SEC_POSITIONS, &l); st->bytes_positions += l; sum += l;
        vs_segment_section(s, VS_SEC_LENS, &l); st->bytes_lengths += l; sum += l;
        vs_segment_section(s, VS_SEC_PASSAGES, &l); st->bytes_passages += l; sum += l;
        uint64_t d = 0;
        vs_segment_section(s, VS_SEC_DOCS, &l); d += l;
        vs_segment_section(s, VS_SEC_DOCIDX, &l); d += l;
        vs_segment_section(s, VS_SEC_FILES, &l); d += l;
        vs_segment_section(s, VS_SEC_DOCRANK, &l); d += l;
        st->bytes_docs += d; sum += d;
        vs_segment_section(s, VS_SEC_STRINGS, &l); st->bytes_strings += l; sum += l;
        uint64_t t = 0;
        vs_segment_section(s, VS_SEC_STORED, &l); t += l;
        vs_segment_section(s, VS_SEC_STORED_DIR, &l); t += l;
        vs_segment_section(s, VS_SEC_STORED_OFFS, &l); t += l;
        st->bytes_stored += t; sum += t;
        /* the title field: its postings and positions (moved out of those parts) and TLENS */
        uint64_t tterms, tpost, tpos;
        vs_rc rc = vs_segment_title_part(s, &tterms, &tpost, &tpos, err);
        if (rc != VS_OK) return rc;
        vs_segment_section(s, VS_SEC_TLENS, &l);
        st->bytes_postings -= tpost;
        st->bytes_positions -= tpos;
        st->bytes_title += tpost + tpos + l;
        st->bytes_title_postings += tpost;
        sum += l;
        st->title_terms += tterms;
        st->titled_documents += mt->n_titled;
        uint64_t total = vs_segment_size(s);
        st->bytes_total += total;
        st->bytes_overhead += total - sum;
    }
    char mp[4096];
    struct stat ms;
    snprintf(mp, sizeof mp, "%s/MANIFEST", ix->dir);
    if (stat(mp, &ms) == 0) st->bytes_manifest = (uint64_t)ms.st_size;
    st->bytes_total += st->bytes_manifest;
    st->avglen = ix->avglen;
    st->stem = ix->man.acfg.stem;
    st->stop_default = ix->man.acfg.stop_default;
    st->n_stopwords = ix->man.acfg.n_stopwords;
    st->unit_doc = ix->man.unit == 1;
    for (size_t i = 0; i < ix->n_seg; i++) {
        st->deleted_documents += ix->man.seg[i].n_del_docs;
        st->deleted_passages += ix->man.seg[i].n_del_passages;
    }
    return VS_OK;
}

/* The catalog must name live segments and document ranges inside them. */
static vs_rc check_catalog(vs_index *ix, vs_err *err) {
    if (!ix->man.cat_name || ix->cat_fd < 0) return VS_OK;
    vs_catalog c;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", ix->dir, ix->man.cat_name);
    vs_rc rc = vs_catalog_read_fd(ix->cat_fd, ix->dir, path, ix->man.cat_size, ix->man.cat_hash, &c, err);
    if (rc != VS_OK) return rc;
    if (c.n != ix->man.cat_files)
        rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: the catalog lists %zu files, its MANIFEST says %" PRIu64,
                        ix->dir, c.n, ix->man.cat_files);
    for (size_t i = 0; i < c.n && rc == VS_OK; i++) {
        const vs_catalog_file *f = &c.v[i];
        if (!f->seg) continue;
        size_t s = 0;
        while (s < ix->n_seg && ix->man.seg[s].trailer_hash != f->seg) s++;
        if (s == ix->n_seg || (uint64_t)f->first_doc + f->n_docs > ix->man.seg[s].n_docs)
            rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: the catalog entry of '%s' points to no live segment",
                            ix->dir, f->path);
    }
    vs_catalog_free(&c);
    return rc;
}

vs_rc vs_index_check(vs_index *ix, vs_err *err) {
    for (size_t i = 0; i < ix->n_seg; i++) {
        vs_rc rc = vs_segment_check(ix->seg[i], err);
        if (rc != VS_OK) return rc;
    }
    /* Deletion files were verified at open (checksums, counts); the catalog is read here. */
    return check_catalog(ix, err);
}
