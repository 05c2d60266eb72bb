/* analyze.h: text -> terms (DESIGN §4; the exact rules are at the top of analyze.c).
 * Tokens are runs of letters/digits (Unicode categories L*, N*, and marks M* inside a word); a
 * '.' or ',' between two digits stays inside a number ("5.93", "1,750", "1,750.25"); an
 * apostrophe (' or U+2019) between letters stays inside a word and a final possessive "'s" is
 * dropped ("Putin's" -> "putin"); hyphens and other punctuation split; each CJK ideograph is a
 * token. Tokens are folded: ASCII by a table (fast path), anything with a non-ASCII byte by
 * utf8proc NFKC + casefold. Stopwords (matched after folding, before stemming) are dropped but
 * still take a position. Optional English Snowball stemming, never applied to tokens that
 * contain a number. Folding, stopword check and stemming are cached per distinct token (a
 * bounded cache: at most ~80 MiB, cleared when full), so they cost per term, not per token.
 * A folded token longer than VS_MAX_TOKEN bytes is cut at a UTF-8 boundary and the rest of the
 * run is skipped (one long run = one token).
 *
 * The configuration is recorded in the index (vs_analyze_config_{encode,decode}; layout in
 * index/FORMAT.md, "Analyzer config") so that queries are analysed exactly as the documents
 * were. Any bytes are accepted: invalid UTF-8 and NUL bytes are separators; nothing is read past
 * text + len. */
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
    uint32_t start;    /* byte offset of the token's run in the input text */
    uint32_t end;      /* one past the run's last byte (a dropped "'s" and a cut tail included) */
} vs_token;

/* Return non-zero to stop early. */
typedef int (*vs_token_fn)(void *ctx, const vs_token *t);

/* Default config: stem = 1, stop_default = 1, no extra list. */
void vs_analyze_config_default(vs_analyze_config *c);
/* Reads a stopword file: one word per line, '#' starts a comment, blank lines are ignored; each
 * word is folded exactly like a token (and a final "'s" dropped). A line that is not exactly one
 * token to the analyzer ("e-mail", "---"), a word longer than VS_MAX_TOKEN bytes or a line longer
 * than 4096 bytes is VS_EDATA naming the file and line; an unreadable file is VS_ENOENT / VS_EIO.
 * On success replaces c's list (c must be initialised, e.g. by vs_analyze_config_default) and
 * sets stop_default = 0; on failure c is unchanged. */
VS_MUST_CHECK vs_rc vs_analyze_config_load_stopwords(vs_analyze_config *c, const char *path, vs_err *err);
void vs_analyze_config_free(vs_analyze_config *c);
/* Serialises / restores a config (format in index/FORMAT.md, "Analyzer config"). encode appends
 * to out; a stopword that is empty or longer than VS_MAX_TOKEN bytes is VS_EUSAGE (out
 * unchanged). decode never reads past p + n: malformed bytes are VS_ECORRUPT and a newer version
 * VS_EVERSION, with a message. decode overwrites *c without freeing it; on failure *c is an
 * empty config, on success it owns its strings (vs_analyze_config_free). */
VS_MUST_CHECK vs_rc vs_analyze_config_encode(const vs_analyze_config *c, vs_buf *out);
VS_MUST_CHECK vs_rc vs_analyze_config_decode(const uint8_t *p, size_t n, vs_analyze_config *c, vs_err *err);

/* The analyzer copies what it needs from cfg. Not thread-safe: one analyzer per thread. */
VS_MUST_CHECK vs_rc vs_analyze_new(const vs_analyze_config *cfg, vs_analyzer **out, vs_err *err);
void vs_analyze_free(vs_analyzer *a);
/* Bounds the term cache (its slot table plus its string pool) to `bytes` (at least 256 KiB; the
 * default, without a call, is ~80 MiB: 2^20 entries and 64 MiB of strings). The cache is
 * emptied and refills; when full it is cleared, so a smaller limit costs speed on collections
 * with a large vocabulary, never correctness. `build` gives each analysis thread a share of
 * --memory. VS_ENOMEM only if the smaller table cannot be allocated. */
VS_MUST_CHECK vs_rc vs_analyze_set_cache_limit(vs_analyzer *a, size_t bytes);
/* Bytes the cache holds now (table and pool capacity). */
size_t vs_analyze_cache_bytes(const vs_analyzer *a);

/* Tokenises text[0..len) and calls fn (may be NULL: just count) for every kept term, in order.
 * Positions start at first_pos. *next_pos (if non-NULL) receives the position after the last
 * token, stopwords included. Returns the number of kept tokens through *n_tokens (if non-NULL).
 * t->term is valid until fn returns. When fn returns non-zero, analysis stops there (VS_OK; the
 * counts include that token). VS_EDATA when len > UINT32_MAX (offsets are 32-bit) or positions
 * would pass UINT32_MAX; VS_ENOMEM if the cache cannot grow. */
VS_MUST_CHECK vs_rc vs_analyze_text(vs_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                                    vs_token_fn fn, void *ctx, uint32_t *next_pos, uint32_t *n_tokens);

#endif
