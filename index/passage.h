/* passage.h: document body -> passages (DESIGN §4).
 * A passage is a paragraph: lines separated by a blank line, or, in newswire text, a line that
 * starts with indentation begins a new paragraph. A short heading line (<= 12 words, no final
 * '.', '!', '?', ':' or ';'... see passage.c) standing alone is joined to the paragraph that
 * follows it ("heading\nparagraph"). A paragraph longer than opts->max_words words is split at
 * sentence ends ('.', '!', '?' followed by space and an upper-case letter or digit) into pieces
 * of at most max_words words (a sentence longer than that is cut at a word boundary). Leading
 * and trailing whitespace is trimmed; empty paragraphs are dropped. With opts->whole_doc the whole
 * body is one passage (whitespace-trimmed; an empty body gives zero passages).
 *
 * Passage texts are copies (lines inside a paragraph are kept with their newlines) owned by the
 * list, valid until the next split into the same list or vs_passage_list_free(). */
#ifndef VS_PASSAGE_H
#define VS_PASSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vs_err.h"

#define VS_PASSAGE_MAX_WORDS 250

typedef struct vs_passage_opts {
    uint32_t max_words; /* 0 -> VS_PASSAGE_MAX_WORDS */
    int whole_doc;      /* --unit doc */
} vs_passage_opts;

typedef struct vs_passage {
    const char *text; /* borrowed from the list */
    size_t len;
    size_t src_off;   /* byte offset in the body where the passage starts */
} vs_passage;

typedef struct vs_passage_list {
    vs_passage *v;
    size_t n, cap;
    vs_buf text;      /* backing storage */
} vs_passage_list;

#define VS_PASSAGE_LIST_INIT { NULL, 0, 0, VS_BUF_INIT }

VS_MUST_CHECK vs_rc vs_passage_split(const char *body, size_t len, const vs_passage_opts *opts,
                                     vs_passage_list *out, vs_err *err);
void vs_passage_list_free(vs_passage_list *l);

#endif
