/* ixread.c: open/close an index, its statistics, and `vsearch check` (see ixread.h). */
#include "ixread.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "le.h"
#include "plist.h"

vs_rc vs_index_open(const char *dir, vs_index **out, vs_err *err) {
    *out = NULL;
    vs_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->dir = strdup(dir))) {
        free(ix);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&ix->an_lock, NULL);
    vs_rc rc = vs_manifest_read(dir, &ix->man, err);
    if (rc != VS_OK) goto fail;
    ix->seg = calloc(ix->man.n_seg ? ix->man.n_seg : 1, sizeof *ix->seg);
    if (!ix->seg) { rc = vs_err_set(err, VS_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < ix->man.n_seg; i++) {
        const vs_manifest_seg *ms = &ix->man.seg[i];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, ms->name);
        if ((rc = vs_segment_open(path, &ix->seg[i], err)) != VS_OK) goto fail;
        ix->n_seg = i + 1;
        const vs_segment_meta *mt = vs_segment_get_meta(ix->seg[i]);
        if (vs_segment_size(ix->seg[i]) != ms->size || vs_segment_trailer_hash(ix->seg[i]) != ms->trailer_hash ||
            mt->n_docs != ms->n_docs || mt->n_passages != ms->n_passages || mt->total_len != ms->total_len) {
            rc = vs_err_set(err, VS_ECORRUPT, "index '%s' is inconsistent: '%s' is not the segment its MANIFEST names", dir, path);
            goto fail;
        }
        ix->N += mt->n_passages;
        ix->total_len += mt->total_len;
    }
    ix->avglen = ix->N ? (double)ix->total_len / (double)ix->N : 0.0;
    if ((rc = vs_analyze_new(&ix->man.acfg, &ix->an, err)) != VS_OK) goto fail;
    *out = ix;
    return VS_OK;
fail:
    vs_index_close(ix);
    return rc;
}

void vs_index_close(vs_index *ix) {
    if (!ix) return;
    for (size_t i = 0; i < ix->n_seg; i++) vs_segment_close(ix->seg[i]);
    free(ix->seg);
    vs_manifest_free(&ix->man);
    vs_analyze_free(ix->an);
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
    (void)err;
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
        vs_segment_section(s, VS_SEC_STRINGS, &l); d += l;
        st->bytes_docs += d; sum += d;
        uint64_t t = 0;
        vs_segment_section(s, VS_SEC_STORED, &l); t += l;
        vs_segment_section(s, VS_SEC_STORED_DIR, &l); t += l;
        st->bytes_stored += t; sum += t;
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
    return VS_OK;
}

vs_rc vs_index_check(vs_index *ix, vs_err *err) {
    for (size_t i = 0; i < ix->n_seg; i++) {
        vs_rc rc = vs_segment_check(ix->seg[i], err);
        if (rc != VS_OK) return rc;
    }
    return VS_OK;
}
