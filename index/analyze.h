/* analyze.h: text -> terms (DESIGN §4). Tokens are runs of letters/digits (Unicode categories
 * L*, N*, and marks inside a word); a '.' or ',' between two digits stays inside a number
 * ("5.93", "1,750"); an apostrophe between letters stays inside a word and a trailing possessive
 * "'s" is dropped ("Putin's" -> "putin"). Tokens are case folded: ASCII by a table (fast path),
 * anything with non-ASCII bytes by utf8proc NFKC casefold. Stopwords (after folding, before
 * stemming) are dropped but still advance the position. Optional English Snowball stemming is
 * cached per distinct folded token. Tokens longer than VS_MAX_TOKEN bytes are truncated.
 *
 * The configuration is recorded in the index (vs_analyze_config_{encode,decode}) so that queries
 * are analysed exactly as the documents were. Input must be valid UTF-8 (vs_utf8_sanitize);
 * invalid bytes are treated as separators, never read past the end. */
#ifndef VS_ANALYZE_H
#define VS_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vs_err.h"

#define VS_MAX_TOKEN 128 /* bytes of a folded token; longer ones are cut at a UTF-8 boundary */

typedef struct vs_analyze_config {
    int stem;            /* 1: English Snowball (libstemmer "english"); 0: none */
    int stop_default;    /* 1: the built-in English stopword list */
    char **stopwords;    /* extra/custom list (folded words), owned by the config */
    size_t n_stopwords;
} vs_analyze_config;

typedef struct vs_analyzer vs_analyzer;

typedef struct vs_token {
    const char *term;  /* final term (folded, stemmed), NUL-terminated, borrowed for the callback */
    uint32_t len;      /* bytes of term */
    uint32_t pos;      /* token position (counts stopwords too), starting at first_pos */
    uint32_t start;    /* byte offset of the token in the input text */
    uint32_t end;      /* one past its last byte */
} vs_token;

/* Return non-zero to stop early. */
typedef int (*vs_token_fn)(void *ctx, const vs_token *t);

/* Default config: stem = 1, stop_default = 1, no extra list. */
void vs_analyze_config_default(vs_analyze_config *c);
/* Reads a stopword file (one word per line, '#' comments); words are folded. Replaces the list
 * and sets stop_default = 0. */
VS_MUST_CHECK vs_rc vs_analyze_config_load_stopwords(vs_analyze_config *c, const char *path, vs_err *err);
void vs_analyze_config_free(vs_analyze_config *c);
/* Serialises / restores a config (format in index/FORMAT.md, "analyzer config"). decode checks
 * bounds and returns VS_ECORRUPT on malformed bytes. The decoded config owns its strings. */
VS_MUST_CHECK vs_rc vs_analyze_config_encode(const vs_analyze_config *c, vs_buf *out);
VS_MUST_CHECK vs_rc vs_analyze_config_decode(const uint8_t *p, size_t n, vs_analyze_config *c, vs_err *err);

/* The analyzer copies what it needs from cfg. Not thread-safe: one analyzer per thread. */
VS_MUST_CHECK vs_rc vs_analyze_new(const vs_analyze_config *cfg, vs_analyzer **out, vs_err *err);
void vs_analyze_free(vs_analyzer *a);

/* Tokenises text[0..len) and calls fn for every kept term, in order. Positions start at
 * first_pos. *next_pos (if non-NULL) receives the position after the last token. Returns the
 * number of kept tokens through *n_tokens (if non-NULL). */
VS_MUST_CHECK vs_rc vs_analyze_text(vs_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                                    vs_token_fn fn, void *ctx, uint32_t *next_pos, uint32_t *n_tokens);

#endif
