/* topics.h: topic (query) files for `vsearch batch`. The format is told by the content:
 *
 *   TREC   <top> <num> Number: 301 <title> ... <desc> Description: ... <narr> Narrative: ...
 *          </top>. Closing tags are optional (a field runs to the next tag); the "Number:",
 *          "Topic:", "Description:" and "Narrative:" labels are dropped; other tags (<head>,
 *          <dom>, <smry>, <con>, ...) are skipped. The field selector picks the text.
 *   SMART  .I N then .W text lines (CACM query.text); .T is text too, .A .N .B ... are skipped.
 *   TSV    qid<TAB>text, one query a line (further tabs are spaces in the text).
 *
 * Text is returned with every run of whitespace collapsed to one space, trimmed. A qid made of
 * digits only loses its leading zeros in TREC and SMART files ("051" -> "51"), as TREC and the
 * golden CACM qrels write them; TSV qids are kept as written. Blank lines are ignored.
 *
 * Malformed input stops the reader with VS_EDATA and "FILE:LINE: what": <top> without <num>,
 * an empty <num>, a field given twice in one topic, <num> outside <top>, </top> without <top>,
 * a topic or query with no text for the selected field, a duplicate qid, a TSV line without a
 * tab, a qid containing whitespace, a NUL byte, or a file with no topics at all. */
#ifndef VS_TOPICS_H
#define VS_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

typedef enum {
    VS_TOPICS_TITLE = 0,  /* default */
    VS_TOPICS_DESC,
    VS_TOPICS_NARR,
    VS_TOPICS_TITLE_DESC  /* title, a space, then description */
} vs_topics_field;

typedef enum { VS_TOPICS_TREC = 1, VS_TOPICS_SMART, VS_TOPICS_TSV } vs_topics_format;

typedef struct vs_topics {
    size_t n;                /* topics, in file order */
    char **qid;              /* n NUL-terminated qids */
    char **text;             /* n NUL-terminated texts (never empty) */
    uint64_t *line;          /* 1-based line where each topic starts */
    vs_topics_format format; /* what the content was detected as */
    char *block;             /* internal: the storage of every string above */
} vs_topics;

/* "title", "desc", "narr" or "title+desc" -> field; VS_EUSAGE otherwise. */
VS_MUST_CHECK vs_rc vs_topics_field_parse(const char *s, vs_topics_field *out, vs_err *err);

/* Reads a topic file ("-" reads stdin). The field selector only matters for TREC files.
 * VS_ENOENT if it cannot be opened, VS_EIO on a read error, VS_EDATA if malformed. On success
 * *out owns everything it points to; free it with vs_topics_free(). */
VS_MUST_CHECK vs_rc vs_topics_read(const char *path, vs_topics_field field, vs_topics **out,
                                   vs_err *err);
/* Same from memory (name is used in messages). */
VS_MUST_CHECK vs_rc vs_topics_parse(const char *name, const char *data, size_t len,
                                    vs_topics_field field, vs_topics **out, vs_err *err);
void vs_topics_free(vs_topics *t); /* NULL is a no-op */

#endif
