/* segwriter.h: writes one immutable segment file (layout: index/FORMAT.md).
 * Usage: add documents and their passages in order (a document's passages right after it),
 * then every term in strictly increasing byte order with its postings, then finish(), which
 * writes the file under `path`, fsyncs it and closes it. Nothing is visible to readers until a
 * MANIFEST names the file (manifest.h). The writer keeps the sections in memory (bounded-memory
 * spilling is the inverter's job); its peak is about the size of the segment it writes. */
#ifndef VS_SEGWRITER_H
#define VS_SEGWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

typedef struct vs_segwriter vs_segwriter;

VS_MUST_CHECK vs_rc vs_segwriter_new(vs_segwriter **out, vs_err *err);
void vs_segwriter_free(vs_segwriter *w);

/* Starts document number *doc (0, 1, ...). */
VS_MUST_CHECK vs_rc vs_segwriter_add_doc(vs_segwriter *w, const char *id, size_t id_len,
                                         const char *title, size_t title_len, const char *path,
                                         size_t path_len, uint32_t *doc, vs_err *err);
/* Adds passage number *pid (0, 1, ...) to the last document, with its stored text and its
 * length in indexed tokens. */
VS_MUST_CHECK vs_rc vs_segwriter_add_passage(vs_segwriter *w, const char *text, size_t len,
                                             uint32_t ntokens, uint32_t *pid, vs_err *err);
/* Adds a term: df postings with increasing passage ids, tf >= 1 each, and sum(tf) positions
 * (for each posting, its tf positions in increasing order). Terms must come in strictly
 * increasing byte order, after all passages. */
VS_MUST_CHECK vs_rc vs_segwriter_add_term(vs_segwriter *w, const char *term, size_t len, size_t df,
                                          const uint32_t *pids, const uint32_t *tfs,
                                          const uint32_t *positions, vs_err *err);
/* Writes the file, fsyncs and closes it. raw_bytes = source bytes indexed (for stats). */
VS_MUST_CHECK vs_rc vs_segwriter_finish(vs_segwriter *w, const char *path, uint64_t raw_bytes,
                                        vs_err *err);

#endif
