/* segwriter.h: writes one immutable segment file (layout: index/FORMAT.md).
 * Usage: add documents and their passages in order (a document's passages right after it),
 * then every term in strictly increasing byte order with its postings, then finish(), which
 * writes the file under `path`, fsyncs it and closes it. Nothing is visible to readers until a
 * MANIFEST names the file (manifest.h).
 *
 * Memory: vs_segwriter_new() keeps every section in memory (small segments, tests).
 * vs_segwriter_new_tmp() creates the segment file `path` at once and streams the stored text and
 * the postings into it as they are produced; the passage and document tables, strings,
 * positions and dictionary go to temporary files named TMP_PREFIX.<section>, copied into the
 * segment at finish() (which must get the same path); it keeps in memory only the
 * passage lengths (4 bytes per passage: postings need them for their block bounds), the
 * external ids (to sort DOCIDX), the stored-text and dictionary directories, and the blocks of
 * the one term being written. vs_segwriter_mem() reports what it holds. Temporary files are
 * removed by finish() and by vs_segwriter_free().
 *
 * The same sequence of calls gives the same bytes, whichever constructor was used. */
#ifndef VS_SEGWRITER_H
#define VS_SEGWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

typedef struct vs_segwriter vs_segwriter;

VS_MUST_CHECK vs_rc vs_segwriter_new(vs_segwriter **out, vs_err *err);
VS_MUST_CHECK vs_rc vs_segwriter_new_tmp(const char *tmp_prefix, const char *path, vs_segwriter **out,
                                         vs_err *err);
/* Frees w and removes its temporary files (and nothing else). NULL is a no-op. */
void vs_segwriter_free(vs_segwriter *w);
/* Bytes of memory the writer holds (for the build's memory budget). */
size_t vs_segwriter_mem(const vs_segwriter *w);
/* Of that, the tables that grow with the documents and passages and stay until finish() (ids,
 * per-document arrays, passage lengths, stored-block directory): a function of the input only. */
size_t vs_segwriter_tables(const vs_segwriter *w);
uint32_t vs_segwriter_passages(const vs_segwriter *w);
uint32_t vs_segwriter_docs(const vs_segwriter *w);

/* Starts document number *doc (0, 1, ...). */
VS_MUST_CHECK vs_rc vs_segwriter_add_doc(vs_segwriter *w, const char *id, size_t id_len,
                                         const char *title, size_t title_len, const char *path,
                                         size_t path_len, uint32_t *doc, vs_err *err);
/* Sets the last document's title length in indexed tokens (TLENS; 0 by default). Its title
 * terms (VS_TITLE_PREFIX + term, segment.h) may then have a posting at its first passage, if it
 * gets passages. */
VS_MUST_CHECK vs_rc vs_segwriter_doc_title(vs_segwriter *w, uint32_t tlen, vs_err *err);
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
/* The same, one posting at a time (for lists too long to hold): begin, then add each posting
 * (increasing pid; tf >= 1; its tf positions, increasing), then end. A term that received no
 * posting is dropped at end (no dictionary entry): mergers use that for fully deleted terms. */
VS_MUST_CHECK vs_rc vs_segwriter_term_begin(vs_segwriter *w, const char *term, size_t len, vs_err *err);
VS_MUST_CHECK vs_rc vs_segwriter_term_add(vs_segwriter *w, uint32_t pid, uint32_t tf,
                                          const uint32_t *positions, vs_err *err);
VS_MUST_CHECK vs_rc vs_segwriter_term_end(vs_segwriter *w, vs_err *err);
/* term_add with the tf positions already encoded as in POSITIONS (n bytes: the first varint
 * absolute, then p - prev - 1): copied as they are (the inverter keeps them so). */
VS_MUST_CHECK vs_rc vs_segwriter_term_add_enc(vs_segwriter *w, uint32_t pid, uint32_t tf,
                                              const uint8_t *pos, size_t n, vs_err *err);
/* Parts, for a term phase on two threads: after the last passage, vs_segwriter_fork() makes a
 * writer for terms only (the same term_* calls, in another thread; it reads w's passage lengths,
 * which no longer change), whose postings, positions and dictionary go to temporary files
 * TMP_PREFIX.<section>. Once w has written its own terms, vs_segwriter_join() appends the part's
 * (all greater than w's): postings and positions bytes copied, dictionary entries written again
 * in w's sequence. The segment is byte for byte the one a single writer makes. Free the part
 * with vs_segwriter_free() after the join. */
VS_MUST_CHECK vs_rc vs_segwriter_fork(vs_segwriter *w, const char *tmp_prefix, vs_segwriter **part,
                                      vs_err *err);
VS_MUST_CHECK vs_rc vs_segwriter_join(vs_segwriter *w, vs_segwriter *part, vs_err *err);
/* Writes the file, fsyncs and closes it. raw_bytes = source bytes indexed (for stats). On
 * failure the partial file is removed. */
VS_MUST_CHECK vs_rc vs_segwriter_finish(vs_segwriter *w, const char *path, uint64_t raw_bytes,
                                        vs_err *err);

#endif
