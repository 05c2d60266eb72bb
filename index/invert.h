/* invert.h: in-memory inversion: (passage, term, position) -> per-term postings, handed to a
 * segment writer in term order. Terms are interned once (XXH3 open-addressing table); each
 * term's postings accumulate as varints (passage gap, tf, position gaps) in its own buffer,
 * so memory is about 3-4 bytes per token plus the vocabulary. vs_invert_bytes() reports it so
 * that a caller can cut a segment before a memory budget is reached. */
#ifndef VS_INVERT_H
#define VS_INVERT_H

#include <stddef.h>
#include <stdint.h>

#include "segwriter.h"
#include "vs_err.h"

typedef struct vs_invert vs_invert;

VS_MUST_CHECK vs_rc vs_invert_new(vs_invert **out, vs_err *err);
void vs_invert_free(vs_invert *iv);
/* Adds one token of passage pid (pids non-decreasing across calls; positions increasing
 * within a passage). */
VS_MUST_CHECK vs_rc vs_invert_token(vs_invert *iv, uint32_t pid, const char *term, size_t len,
                                    uint32_t pos, vs_err *err);
/* Ends passage pid (flushes its term frequencies). */
VS_MUST_CHECK vs_rc vs_invert_end_passage(vs_invert *iv, vs_err *err);
/* Writes every term, sorted, into w. */
VS_MUST_CHECK vs_rc vs_invert_write(vs_invert *iv, vs_segwriter *w, vs_err *err);
size_t vs_invert_bytes(const vs_invert *iv);
uint64_t vs_invert_terms(const vs_invert *iv);

#endif
