/* ixread.h: an open index (the library-internal view behind vsearch.h's vs_index).
 * Opening reads the MANIFEST, maps every segment it names, checks that each file is the one
 * the MANIFEST recorded (size, trailer hash, counts), reads each segment's deletion file into
 * a passage bitmap, and builds the analyzer from the recorded configuration. If a writer
 * commits meanwhile and removes a file of the snapshot being opened, open retries with the
 * new MANIFEST: an open index is always one consistent snapshot. The analyzer is shared and guarded by a mutex (query analysis is short). */
#ifndef VS_IXREAD_H
#define VS_IXREAD_H

#include <pthread.h>
#include <stdint.h>

#include "analyze.h"
#include "manifest.h"
#include "segment.h"
#include "vsearch.h"

struct vs_index {
    char *dir;
    vs_manifest man;
    vs_segment **seg;
    size_t n_seg;
    uint64_t N;                 /* passages over all segments (deleted ones included until merged) */
    uint64_t n_deleted;         /* deleted passages (still counted in N, df, avglen) */
    uint64_t total_len;
    double avglen;
    /* the title field (Lucene's per-field statistics): titled documents, the sum of their
     * title lengths, its average; deleted documents count until a merge, as for N */
    uint64_t NT, total_tlen;
    double avgtlen;
    vs_analyzer *an;
    pthread_mutex_t an_lock;
    /* Per segment: a bitmap of deleted passages (bit pid % 8 of byte pid / 8), or NULL when the
     * segment has no deletions. Owned by the index; filled at open from the MANIFEST. */
    uint8_t **deleted;
    int cat_fd;                 /* the snapshot's file catalog, open for `check` (-1: none) */
};

/* Is passage pid of segment seg deleted? Searches skip deleted passages. */
static inline int vs_index_is_deleted(const vs_index *ix, size_t seg, uint32_t pid) {
    return ix->deleted && ix->deleted[seg] && (ix->deleted[seg][pid >> 3] >> (pid & 7)) & 1;
}

/* Analyzes text with the index's analyzer (thread-safe). */
VS_MUST_CHECK vs_rc vs_index_analyze(vs_index *ix, const char *text, size_t len, vs_token_fn fn,
                                     void *ctx, vs_err *err);

#endif
