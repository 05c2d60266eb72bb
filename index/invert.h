/* invert.h: bounded-memory inversion: passages (each a list of distinct terms with their
 * positions) -> per-term postings, handed to a segment writer in term order (DESIGN.md §7).
 *
 * Terms are interned in an open-addressing table keyed by a 64-bit hash the caller computes
 * (XXH3_64bits of the term bytes: analysis threads compute it once per distinct term of a batch,
 * so the single inverting thread interns per batch term, not per token). Each term's postings accumulate as varints (passage gap, tf,
 * position gaps) in its own buffer: about 3-4 bytes per token plus the vocabulary.
 * vs_invert_bytes() is the memory it holds; when the caller finds it over its budget it calls
 * vs_invert_spill(), which writes the terms, sorted, with their postings to a run file (a
 * temporary TMP_PREFIX.runN, format at the top of invert.c) and frees everything. vs_invert_write()
 * merges the runs and what is still in memory, term by term (one k-way merge with a bounded read
 * buffer per run), into the segment writer. The segment is the same whatever the spills. */
#ifndef VS_INVERT_H
#define VS_INVERT_H

#include <stddef.h>
#include <stdint.h>

#include "segwriter.h"
#include "vs_err.h"

typedef struct vs_invert vs_invert;

/* tmp_prefix: where runs go (NULL: never spill; vs_invert_spill is then an error). */
VS_MUST_CHECK vs_rc vs_invert_new(const char *tmp_prefix, vs_invert **out, vs_err *err);
/* Frees iv and removes its run files. NULL is a no-op. */
void vs_invert_free(vs_invert *iv);
/* The id of a term (created if new); hash = XXH3_64bits(term, len). Ids are valid until the
 * next vs_invert_spill(). */
VS_MUST_CHECK vs_rc vs_invert_intern(vs_invert *iv, const char *term, size_t len, uint64_t hash,
                                     uint32_t *tid, vs_err *err);
/* Adds a posting of term tid: passage pid (increasing for each term), tf >= 1 and its tf
 * increasing positions. */
VS_MUST_CHECK vs_rc vs_invert_add(vs_invert *iv, uint32_t tid, uint32_t pid, uint32_t tf,
                                  const uint32_t *pos, vs_err *err);
/* Writes what is in memory as a sorted run and frees it. */
VS_MUST_CHECK vs_rc vs_invert_spill(vs_invert *iv, vs_err *err);
/* Writes every term, sorted, into w: runs and memory merged. read_mem = bytes of read buffer
 * shared by the runs (each gets read_mem / runs, between 16 KiB and 1 MiB). With threads >= 2
 * and enough terms, the upper half of the term space is written by a second thread into a part
 * of w (segwriter.h: fork/join), split at the median term (in memory) or at the median of the
 * runs' sparse index (every 1024th term of each run and its offset); the bytes are the same. */
VS_MUST_CHECK vs_rc vs_invert_write(vs_invert *iv, vs_segwriter *w, size_t read_mem, unsigned threads,
                                    vs_err *err);
size_t vs_invert_bytes(const vs_invert *iv);
uint32_t vs_invert_runs(const vs_invert *iv);

#endif
