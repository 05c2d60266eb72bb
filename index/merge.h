/* merge.h: merges segments into one, dropping deleted documents (DESIGN.md §6, §7).
 * The output holds the live documents of the inputs in input order (input 0's first, each in
 * its own order), with their passages, stored text and every term's postings and positions
 * renumbered; a term whose postings were all deleted disappears. It goes through the streaming
 * segment writer, so the merge of one segment without deletions is byte for byte that segment
 * (and a build's segments merged equal a build of the same documents as one segment, except
 * for raw_bytes, summed).
 *
 * Memory: the output's passage lengths and ids (segwriter.h), a rank table per input (one u32
 * per 64 passages), one term's postings blocks, one decompressed stored-text block per input.
 * Inputs are read through their mappings, which are released (madvise) every `window` bytes
 * read so that resident memory stays bounded whatever the inputs' size. */
#ifndef VS_MERGE_H
#define VS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"
#include "vs_err.h"

typedef struct vs_merge_in {
    vs_segment *seg;
    const uint8_t *del_docs;    /* deleted documents (bitmap), or NULL */
} vs_merge_in;

typedef struct vs_merge_stats {
    uint64_t docs, passages, terms, postings;
} vs_merge_stats;

/* Writes the merge of in[0..n) to out_path (fsynced); temporary files are named
 * tmp_prefix.<section> and removed. window = bytes read between releases of the inputs'
 * mapped pages (0: 64 MiB). Returns VS_ENOENT, writing nothing, when no document is live. */
VS_MUST_CHECK vs_rc vs_merge_segments(const vs_merge_in *in, size_t n, const char *tmp_prefix,
                                      const char *out_path, size_t window, vs_merge_stats *st,
                                      vs_err *err);

/* Releases the resident pages of a segment's mapping (they are read again on demand); nothing
 * for a segment opened from memory. */
void vs_merge_release(vs_segment *s);

#endif
