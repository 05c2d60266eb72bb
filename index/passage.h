/* passage.h: document body -> passages (DESIGN §4; the exact rules are at the top of passage.c).
 * A passage is a paragraph: lines separated by a blank line (a line of only whitespace), or, in
 * newswire text, a line indented by 2+ columns that follows an unindented line, a table row, or
 * a line ending a sentence (Reuters: paragraph starts indented, continuation lines not; table
 * rows, with runs of 3+ spaces, never start a paragraph). A short heading line (one line, <= 12
 * words, last character not '.', '!', '?', ',' or ';': "Security Cooperation: Countering
 * Regional Threats", "by Jhon Lennon 52 views", "Highlights:") standing alone is joined to the
 * paragraph that follows it ("heading\nparagraph"). A paragraph longer than opts->max_words
 * words (whitespace-separated) is split into equal-as-possible pieces of at most max_words words,
 * cut at the sentence end nearest the target size ('.', '!', '?' then a word starting with a
 * capital or digit), or, with none in reach, between words. Leading and trailing whitespace is
 * trimmed; empty paragraphs are dropped. Lines end at "\n", "\r\n" or "\r" and passages contain
 * no "\r". With opts->whole_doc the whole body is one passage, byte for byte, whitespace-trimmed
 * (an empty or blank body gives zero passages); opts may be NULL (defaults).
 *
 * Passage texts are copies (lines inside a paragraph are kept with their newlines; every text is
 * followed by a NUL not counted in len) owned by the list, valid until the next split into the
 * same list or vs_passage_list_free(). src_off is the body offset of the passage's first byte. */
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
