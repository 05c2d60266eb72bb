/* parse.h: the query language (DESIGN.md §2, `vsearch query`; `batch --syntax`).
 *
 *   cocoa bahia            terms: OR by default (AND with --and)
 *   "exact phrase"         a phrase: its words in order, stopword gaps kept
 *   +required  -excluded   a clause that must / must not match
 *   a AND b, a OR b, NOT a operators (upper case); precedence NOT > AND > OR; adjacent
 *                          clauses are joined by the default operator
 *   ( ... )                grouping
 *   title:word title:"a b" the title field
 *   word^2.5  "a b"^3      boosts (a positive number)
 *
 * The parser produces a tree whose leaves are raw (unanalyzed) words or phrases; the searcher
 * analyzes each leaf with the index's analyzer. Errors are VS_EUSAGE with a message that names
 * the 1-based character position: "unbalanced '(' at position 7", "missing closing quote for
 * the phrase at position 3", "NOT at position 1 has nothing to negate", "empty phrase at
 * position 5", "boost at position 9 must be a positive number". Limits (see README): at most
 * VS_QUERY_MAX_BYTES of text, VS_QUERY_MAX_NODES nodes, nesting depth VS_QUERY_MAX_DEPTH. */
#ifndef VS_PARSE_H
#define VS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

#define VS_QUERY_MAX_BYTES (1u << 20)  /* 1 MiB of query text */
#define VS_QUERY_MAX_NODES 100000u     /* leaves + operators */
#define VS_QUERY_MAX_DEPTH 64u         /* parentheses / NOT nesting */

typedef enum {
    VS_Q_WORD,      /* text: a word as typed (analyzes to 0..n terms; n > 1 acts as a phrase) */
    VS_Q_PHRASE,    /* text: the words between the quotes */
    VS_Q_BOOL       /* children, each with an occur flag */
} vs_qkind;

/* A BOOL node matches when every MUST child matches, no MUST_NOT child matches, and (when it
 * has no MUST child) at least one SHOULD child matches. Its score is the sum of the scores of
 * the leaves that match (searchers sum them in leaf order, left to right). "a AND b" gives
 * MUST children, "a OR b" and default adjacency SHOULD children, "+a" MUST, "-a" and "NOT a"
 * MUST_NOT. */
typedef enum { VS_OCCUR_SHOULD = 0, VS_OCCUR_MUST, VS_OCCUR_MUST_NOT } vs_qoccur;

typedef enum { VS_FIELD_BODY = 0, VS_FIELD_TITLE = 1 } vs_qfield;

typedef struct vs_qnode {
    vs_qkind kind;
    vs_qfield field;
    double boost;               /* 1 unless ^x */
    const char *text;           /* WORD / PHRASE: NUL-terminated, owned by the tree */
    size_t len;
    uint32_t pos;               /* 1-based character position in the query, for messages */
    struct vs_qnode **kids;     /* BOOL */
    vs_qoccur *occur;           /* BOOL: one per kid */
    size_t n_kids;
} vs_qnode;

typedef struct vs_qtree vs_qtree; /* owns every node and string */

/* Parses text. default_and: adjacent clauses are ANDed (otherwise ORed). The root is never
 * NULL on success. A query that only excludes ("-a", "NOT a") is an error: nothing to rank. */
VS_MUST_CHECK vs_rc vs_parse(const char *text, size_t len, int default_and, vs_qtree **out,
                             vs_err *err);
const vs_qnode *vs_parse_root(const vs_qtree *t);
void vs_parse_free(vs_qtree *t);
/* Writes a canonical form for tests: words as w, phrases as "p", boosts as ^x, fields as title:,
 * BOOL as (+must should -must_not), e.g. "(+cocoa (bahia brazil) -coffee)". */
VS_MUST_CHECK vs_rc vs_parse_format(const vs_qnode *n, char *out, size_t cap);

#endif
