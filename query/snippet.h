/* snippet.h: a short window of a passage around its query-term matches, plus the byte ranges
 * of the matches inside it (for highlighting). The passage is re-analyzed with the index's
 * analyzer, so a match is exactly a token that produced a query term (stemmed forms included).
 * Snippets are at most VS_SNIPPET_BYTES (plus "... " markers), cut at spaces, never inside a
 * UTF-8 sequence; newlines become spaces. */
#ifndef VS_SNIPPET_H
#define VS_SNIPPET_H

#include <stddef.h>

#include "ixread.h"
#include "vsearch.h"

#define VS_SNIPPET_BYTES 280

/* Sets h->snippet (malloc'd), h->marks / h->n_marks (malloc'd pairs). */
VS_MUST_CHECK vs_rc vs_snippet_make(vs_index *ix, const char *text, size_t len,
                                    const char *const *terms, size_t n_terms, vs_hit *h, vs_err *err);

#endif
