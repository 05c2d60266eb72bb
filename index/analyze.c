/* analyze.c: text -> terms (see analyze.h, DESIGN.md §4 and §8).
 *
 * Speed comes from two things (DESIGN.md §8 measured why both are needed):
 *  - an ASCII fast path: bytes are classified by a 256-entry table and ASCII letters are folded
 *    with `c | 0x20`; utf8proc is called only for tokens that contain a non-ASCII byte;
 *  - a term cache: an open-addressing XXH3 table from the token as scanned ("key": ASCII bytes
 *    lower-cased, U+2019 turned into '\'', other bytes as in the text) to the final term, or to
 *    "stopword". NFKC casefold, the possessive rule, the cut to VS_MAX_TOKEN, the stopword check
 *    and Snowball therefore run once per distinct key, not once per token. The cache is bounded
 *    (CACHE_MAX_ENTRIES entries, CACHE_MAX_POOL bytes of strings) and simply cleared when full,
 *    so hostile input cannot grow it without limit. The result is a pure function of the key,
 *    so clearing never changes the output.
 *
 * Tokenisation rules (exactly what the scanner does):
 *  - A token starts at a letter (Unicode L*) or number (N*). It continues over letters, numbers
 *    and marks (M*). Everything else, and every invalid UTF-8 byte, is a separator. A mark that
 *    does not follow a letter or number is a separator.
 *  - '.' or ',' stays inside when the character before it is a number and the one after it is a
 *    number ("5.93", "1,750", "1,750.25"; "5." -> "5").
 *  - '\'' or U+2019 stays inside when the character before it (ignoring marks) is a letter and the
 *    one after it is a letter ("don't", "o'neil"). U+2019 is stored as '\''. A final "'s" is
 *    dropped after folding ("Putin's" -> "putin", as Lucene's EnglishPossessiveFilter does).
 *  - Hyphens, slashes, underscores etc. split ("people-to-people" -> people, to, people).
 *  - CJK ideographs (U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+20000-3FFFF) and Hiragana
 *    (U+3040-309F) are one token each, as in Lucene's StandardTokenizer.
 *  - Folding: ASCII by table; a token with any non-ASCII byte by utf8proc
 *    NFKC + casefold (UTF8PROC_STABLE | COMPOSE | COMPAT | CASEFOLD): "Straße" -> "strasse",
 *    "Ｆｕｌｌｗｉｄｔｈ" -> "fullwidth", "ÉCOLE" -> "école" (accents are kept).
 *  - Length: at most RAW_CAP (4 * VS_MAX_TOKEN) bytes of a run are scanned into the key (whole
 *    code points); the folded token is then cut to at most VS_MAX_TOKEN bytes at a UTF-8 boundary.
 *    The rest of the run is skipped: a long run gives one token, never several.
 *  - Stopwords are matched against the folded, possessive-stripped token (before stemming). They
 *    are not delivered but take a position.
 *  - Stemming (cfg.stem): English Snowball, only for tokens without any number character.
 *  - vs_token.start/end are the byte range of the whole run in the input (including a dropped
 *    "'s" and a skipped over-long tail), so highlighting covers the word as written.
 *
 * Analyzer config encoding (copy into index/FORMAT.md, "analyzer config"); little-endian:
 *
 *   off  len  field
 *   0    1    version          1 (readers refuse other values: VS_EVERSION if newer, else corrupt)
 *   1    1    stem             0 = none, 1 = English Snowball (libstemmer "english", UTF-8)
 *   2    1    stop_default     0 / 1: the built-in 33-word English list (Lucene's EnglishAnalyzer)
 *   3    4    n_stopwords      u32, number of extra/custom stopwords that follow
 *   7    ...  n_stopwords x {  u16 len (1..VS_MAX_TOKEN = 128), len bytes of folded UTF-8, no NUL }
 *   The encoding ends exactly after the last stopword; trailing bytes are corruption.
 *   Version 1 also fixes the tokenisation rules above and VS_MAX_TOKEN = 128.
 */
#include "analyze.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL /* XXH3 on 5-10 byte keys: inlined it is a few ns, a library call costs more */
#include <xxhash.h>

#include "le.h"

#define CONFIG_VERSION 1
#define CONFIG_HEADER 7

/* Raw bytes of a run kept in the key. NFKC can shrink text (Hangul jamo L+V+T, 9 bytes -> one
 * 3-byte syllable, and fullwidth forms, 3 bytes -> 1), so 4x leaves room for any folded token to
 * reach VS_MAX_TOKEN. */
#define RAW_CAP (4 * VS_MAX_TOKEN)

/* Cache bounds: at most 2^20 entries at load <= 1/2, i.e. 2^21 slots x 8 bytes = 16 MiB of table,
 * plus at most 64 MiB of entries (3-byte header, key, term, NUL). Typical English collections need
 * far less: Reuters-21578 (27 MB of SGML) has ~75k distinct keys, 2 MiB of table and ~1.5 MiB
 * of entries. When either bound is reached the cache is cleared and refills. */
#define CACHE_MIN_SLOTS (1u << 12)
#define CACHE_MAX_ENTRIES (1u << 20)
#define CACHE_MAX_POOL (64u << 20)
/* The smallest limit vs_analyze_set_cache_limit honours: a 64 KiB table and a 128 KiB pool. */
#define CACHE_MIN_LIMIT (256u << 10)

#define TERM_STOP 0xFFu  /* entry tlen: the key is a stopword */
#define TERM_EMPTY 0xFEu /* entry tlen: the key folds to nothing: no token at all */

/* Stopword files: a longer line is an error (a word is at most VS_MAX_TOKEN bytes anyway). */
#define STOPWORD_MAX_LINE 4096

/* Byte classes. */
enum { C_SEP = 0, C_ALPHA = 1, C_DIGIT = 2, C_HIGH = 4 };
#define C_ALNUM (C_ALPHA | C_DIGIT)
#define A C_ALPHA
#define D C_DIGIT
#define H C_HIGH
static const uint8_t CLS[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    D, D, D, D, D, D, D, D, D, D, 0, 0, 0, 0, 0, 0,
    0, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, 0, 0, 0, 0, 0,
    0, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A,
    A, A, A, A, A, A, A, A, A, A, A, 0, 0, 0, 0, 0,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
};
#undef A
#undef D
#undef H

/* Code point kinds. */
enum { K_SEP = 0, K_LETTER, K_DIGIT, K_MARK, K_IDEO };

/* Lucene EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, sorted (byte order). */
static const char *const DEFAULT_STOPWORDS[] = {
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
};
#define N_DEFAULT_STOPWORDS (sizeof DEFAULT_STOPWORDS / sizeof *DEFAULT_STOPWORDS)

typedef struct slot {
    uint32_t tag; /* high 32 bits of the key's XXH3 (the low bits pick the slot) */
    uint32_t off; /* 1 + pool offset of the entry; 0: empty slot */
} slot;

typedef struct word {
    const char *p;
    size_t n;
} word;

struct vs_analyzer {
    struct sb_stemmer *stemmer; /* NULL when not stemming */
    word *stop;                 /* sorted, unique; strings in stop_mem */
    size_t n_stop;
    char *stop_mem;

    slot *slots;
    uint32_t mask; /* slots - 1 */
    uint32_t count;
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t max_entries; /* bounds (vs_analyze_set_cache_limit): CACHE_MAX_* by default */
    size_t max_pool;

    vs_buf fold; /* scratch for folding */
};

/* One scanned run. */
typedef struct rawtok {
    size_t start, end; /* byte range of the run in the text */
    size_t klen;       /* key bytes in the key buffer */
    int nonascii;      /* the key holds a non-ASCII byte */
    int cut;           /* the run was longer than the key */
} rawtok;

/* ---- scanning ---------------------------------------------------------------------------- */

static inline size_t decode(const uint8_t *s, size_t n, int32_t *cp) {
    utf8proc_ssize_t r = utf8proc_iterate(s, (utf8proc_ssize_t)(n > 4 ? 4 : n), cp);
    return r > 0 ? (size_t)r : 0;
}

static inline int is_ideo(int32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x3040 && cp <= 0x309F) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFF);
}

static int cp_kind(int32_t cp) {
    if (cp < 0x80) {
        uint8_t k = CLS[cp];
        return k & C_ALPHA ? K_LETTER : k & C_DIGIT ? K_DIGIT : K_SEP;
    }
    if (is_ideo(cp)) return K_IDEO;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return K_LETTER;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return K_DIGIT;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return K_MARK;
    default:
        return K_SEP;
    }
}

/* Kind of the character at s[i] (K_SEP past the end or on an invalid byte). */
static inline int kind_at(const uint8_t *s, size_t len, size_t i) {
    if (i >= len) return K_SEP;
    uint8_t c = s[i];
    if (c < 0x80) return CLS[c] & C_ALPHA ? K_LETTER : CLS[c] & C_DIGIT ? K_DIGIT : K_SEP;
    int32_t cp;
    return decode(s + i, len - i, &cp) ? cp_kind(cp) : K_SEP;
}

/* Finds the next run at or after *pi; fills t and key[0..t->klen). Returns 0 at the end. */
static inline int next_token(const uint8_t *s, size_t len, size_t *pi, rawtok *t, uint8_t *key) {
    size_t i = *pi;
    int32_t cp = 0;
    size_t n = 0;
    int kind;
    for (;;) { /* skip separators */
        if (i >= len) {
            *pi = i;
            return 0;
        }
        uint8_t c = s[i];
        uint8_t k = CLS[c];
        if (k & C_ALNUM) {
            kind = k & C_DIGIT ? K_DIGIT : K_LETTER;
            break;
        }
        if (k & C_HIGH) {
            n = decode(s + i, len - i, &cp);
            if (n == 0) {
                i++;
                continue;
            }
            kind = cp_kind(cp);
            if (kind == K_LETTER || kind == K_DIGIT || kind == K_IDEO) break;
            i += n;
            continue;
        }
        i++;
    }

    t->start = i;
    t->nonascii = 0;
    size_t kl = 0, lim = RAW_CAP;
    int cut = 0;
    if (kind == K_IDEO) { /* one character, one token */
        memcpy(key, s + i, n);
        t->klen = n;
        t->nonascii = 1;
        t->cut = 0;
        t->end = i + n;
        *pi = i + n;
        return 1;
    }
    int last = kind;
    for (;;) {
        size_t j = i;
        while (j < len && (CLS[s[j]] & C_ALNUM)) {
            if (kl < lim) key[kl++] = (uint8_t)(s[j] | 0x20); /* letters: lower case; digits: same */
            else cut = 1;
            j++;
        }
        if (j > i) {
            last = CLS[s[j - 1]] & C_DIGIT ? K_DIGIT : K_LETTER;
            i = j;
        }
        if (i >= len) break;
        uint8_t c = s[i];
        if (c < 0x80) {
            if ((c == '.' || c == ',') && last == K_DIGIT && kind_at(s, len, i + 1) == K_DIGIT) {
                if (kl < lim) key[kl++] = c;
                else cut = 1;
                i++;
                continue;
            }
            if (c == '\'' && last == K_LETTER && kind_at(s, len, i + 1) == K_LETTER) {
                if (kl < lim) key[kl++] = c;
                else cut = 1;
                i++;
                continue;
            }
            break;
        }
        n = decode(s + i, len - i, &cp);
        if (n == 0) break;
        if (cp == 0x2019) {
            if (last == K_LETTER && kind_at(s, len, i + n) == K_LETTER) {
                if (kl < lim) key[kl++] = '\'';
                else cut = 1;
                i += n;
                continue;
            }
            break;
        }
        kind = cp_kind(cp);
        if (kind == K_SEP || kind == K_IDEO) break;
        if (kind != K_MARK) last = kind;
        if (kl + n <= lim) {
            memcpy(key + kl, s + i, n);
            kl += n;
            t->nonascii = 1;
        } else {
            lim = kl; /* the key stays a prefix of the run: nothing after a gap */
            cut = 1;
        }
        i += n;
    }
    t->end = i;
    t->klen = kl;
    t->cut = cut;
    *pi = i;
    return 1;
}

/* ---- folding ----------------------------------------------------------------------------- */

/* key -> folded, possessive-stripped, cut token, in out (NUL-terminated, NUL not counted).
 * *was_cut (if non-NULL) tells whether the VS_MAX_TOKEN cut removed bytes. */
static vs_rc fold_key(const uint8_t *key, size_t kl, int nonascii, vs_buf *out, int *was_cut) {
    out->len = 0;
    vs_rc rc = VS_OK;
    if (nonascii) {
        utf8proc_uint8_t *dst = NULL;
        utf8proc_ssize_t r = utf8proc_map(key, (utf8proc_ssize_t)kl, &dst,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                              UTF8PROC_CASEFOLD);
        if (r == UTF8PROC_ERROR_NOMEM) return VS_ENOMEM;
        if (r >= 0) vs_buf_put(out, dst, (size_t)r, &rc);
        else vs_buf_put(out, key, kl, &rc); /* cannot happen: the scanner validated the key */
        free(dst);
    } else {
        vs_buf_put(out, key, kl, &rc);
    }
    vs_buf_cstr(out, &rc);
    if (rc != VS_OK) return rc;
    uint8_t *f = out->p;
    size_t n = out->len;
    if (n >= 2 && f[n - 2] == '\'' && f[n - 1] == 's') n -= 2;
    if (was_cut) *was_cut = n > VS_MAX_TOKEN;
    if (n > VS_MAX_TOKEN) {
        n = VS_MAX_TOKEN;
        while (n > 0 && (f[n] & 0xC0) == 0x80) n--; /* f[n] starts the first byte cut off */
    }
    out->len = n;
    f[n] = '\0';
    return VS_OK;
}

static int has_number(const uint8_t *f, size_t n) {
    for (size_t i = 0; i < n;) {
        if (f[i] < 0x80) {
            if (CLS[f[i]] & C_DIGIT) return 1;
            i++;
            continue;
        }
        int32_t cp;
        size_t k = decode(f + i, n - i, &cp);
        if (k == 0) {
            i++;
            continue;
        }
        if (cp_kind(cp) == K_DIGIT) return 1;
        i += k;
    }
    return 0;
}

static int word_cmp(const void *a, const void *b) {
    const word *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int is_stop(const vs_analyzer *a, const uint8_t *f, size_t n) {
    word w = { (const char *)f, n };
    return a->n_stop && bsearch(&w, a->stop, a->n_stop, sizeof *a->stop, word_cmp) != NULL;
}

/* ---- cache ------------------------------------------------------------------------------- */

/* Pool entry at slot.off - 1: {u16 klen (host order), u8 tlen or TERM_STOP / TERM_EMPTY, key,
 * term, NUL}. A lookup touches the compact slot table and one pool line; frequent words are
 * inserted first, so their pool entries sit together and stay in cache. */
#define ENTRY_HDR 3

static inline const uint8_t *entry_at(const vs_analyzer *a, const slot *s) {
    return (const uint8_t *)a->pool + s->off - 1;
}
static inline size_t entry_klen(const uint8_t *e) {
    uint16_t k;
    memcpy(&k, e, 2);
    return k;
}

static vs_rc cache_alloc(vs_analyzer *a, uint32_t nslots) {
    slot *s = calloc(nslots, sizeof *s);
    if (!s) return VS_ENOMEM;
    free(a->slots);
    a->slots = s;
    a->mask = nslots - 1;
    a->count = 0;
    return VS_OK;
}

static void cache_clear(vs_analyzer *a) {
    memset(a->slots, 0, ((size_t)a->mask + 1) * sizeof *a->slots);
    a->count = 0;
    a->pool_len = 0;
}

static vs_rc cache_grow(vs_analyzer *a) {
    uint32_t old_n = a->mask + 1;
    slot *old = a->slots;
    slot *s = calloc((size_t)old_n * 2, sizeof *s);
    if (!s) return VS_ENOMEM;
    uint32_t mask = old_n * 2 - 1;
    for (uint32_t i = 0; i < old_n; i++) {
        if (!old[i].off) continue;
        const uint8_t *e = entry_at(a, &old[i]);
        uint32_t j = (uint32_t)XXH3_64bits(e + ENTRY_HDR, entry_klen(e)) & mask;
        while (s[j].off) j = (j + 1) & mask;
        s[j] = old[i];
    }
    free(old);
    a->slots = s;
    a->mask = mask;
    return VS_OK;
}

/* The table takes at most a quarter of the limit (load <= 1/2, 8-byte slots) and the pool the
 * largest power of two times 64 KiB in the rest: with the pool's doubling growth, table plus pool
 * capacity never pass the limit. Both stay within CACHE_MAX_*. The cache is emptied, and a
 * larger table than the new bound is given back. */
vs_rc vs_analyze_set_cache_limit(vs_analyzer *a, size_t bytes) {
    if (bytes < CACHE_MIN_LIMIT) bytes = CACHE_MIN_LIMIT;
    size_t slots = CACHE_MIN_SLOTS;
    while (slots * 2 * sizeof(slot) <= bytes / 4 && slots * 2 <= 2 * (size_t)CACHE_MAX_ENTRIES) slots *= 2;
    size_t pool = 64 * 1024;
    while (slots * sizeof(slot) + pool * 2 <= bytes && pool * 2 <= CACHE_MAX_POOL) pool *= 2;
    a->max_entries = (uint32_t)(slots / 2);
    a->max_pool = pool;
    cache_clear(a);
    if ((size_t)a->mask + 1 > slots && cache_alloc(a, (uint32_t)slots) != VS_OK) return VS_ENOMEM;
    if (a->pool_cap > pool) {
        free(a->pool);
        a->pool = NULL;
        a->pool_cap = 0;
    }
    return VS_OK;
}

size_t vs_analyze_cache_bytes(const vs_analyzer *a) {
    return ((size_t)a->mask + 1) * sizeof(slot) + a->pool_cap;
}

/* Computes the entry for a key that is not cached and inserts it; returns the entry. */
static vs_rc cache_fill(vs_analyzer *a, const uint8_t *key, size_t kl, int nonascii, uint64_t h,
                        const uint8_t **out) {
    vs_rc rc = fold_key(key, kl, nonascii, &a->fold, NULL);
    if (rc != VS_OK) return rc;
    const uint8_t *term = a->fold.p;
    size_t tl = a->fold.len;
    uint8_t tag = 0;
    if (tl == 0) {
        tag = TERM_EMPTY;
    } else if (is_stop(a, term, tl)) {
        tag = TERM_STOP;
    } else if (a->stemmer && !has_number(term, tl)) {
        const sb_symbol *st = sb_stemmer_stem(a->stemmer, term, (int)tl);
        if (!st) return VS_ENOMEM;
        term = st;
        tl = (size_t)sb_stemmer_length(a->stemmer);
        if (tl > VS_MAX_TOKEN) tl = VS_MAX_TOKEN; /* never: Snowball English only shortens */
    }
    if (tag) tl = 0;

    /* Make room: clear when a bound is reached, else grow the table before it is half full. */
    size_t need = ENTRY_HDR + kl + tl + 1;
    if (a->count + 1 > a->max_entries || a->pool_len + need > a->max_pool) {
        cache_clear(a);
    } else if ((a->count + 1) * 2 > a->mask + 1) {
        if ((rc = cache_grow(a)) != VS_OK) return rc;
    }
    if (a->pool_cap - a->pool_len < need) {
        /* pool_len + need <= max_pool, a power of two >= 64 KiB: cap stays <= max_pool */
        size_t cap = a->pool_cap ? a->pool_cap : 64 * 1024;
        while (cap - a->pool_len < need) cap *= 2;
        char *p = realloc(a->pool, cap);
        if (!p) return VS_ENOMEM;
        a->pool = p;
        a->pool_cap = cap;
    }
    uint8_t *e = (uint8_t *)a->pool + a->pool_len;
    uint16_t k16 = (uint16_t)kl;
    memcpy(e, &k16, 2);
    e[2] = tag ? tag : (uint8_t)tl;
    memcpy(e + ENTRY_HDR, key, kl);
    if (tl) memcpy(e + ENTRY_HDR + kl, term, tl);
    e[ENTRY_HDR + kl + tl] = '\0';

    uint32_t j = (uint32_t)h & a->mask;
    while (a->slots[j].off) j = (j + 1) & a->mask;
    a->slots[j].tag = (uint32_t)(h >> 32);
    a->slots[j].off = (uint32_t)a->pool_len + 1;
    a->pool_len += need;
    a->count++;
    *out = e;
    return VS_OK;
}

/* Keys are short (English words: 5-8 bytes) and almost always equal when the hashes are:
 * a byte loop beats a memcmp call here. */
static inline int key_eq(const uint8_t *x, const uint8_t *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return 0;
    return 1;
}

static inline vs_rc cache_get(vs_analyzer *a, const uint8_t *key, size_t kl, int nonascii,
                              const uint8_t **out) {
    uint64_t h = XXH3_64bits(key, kl);
    uint32_t tag = (uint32_t)(h >> 32);
    uint32_t j = (uint32_t)h & a->mask;
    for (;;) {
        const slot *s = &a->slots[j];
        if (!s->off) break;
        if (s->tag == tag) {
            const uint8_t *e = entry_at(a, s);
            if (entry_klen(e) == kl && key_eq(e + ENTRY_HDR, key, kl)) {
                *out = e;
                return VS_OK;
            }
        }
        j = (j + 1) & a->mask;
    }
    return cache_fill(a, key, kl, nonascii, h, out);
}

/* ---- analyzer ---------------------------------------------------------------------------- */

void vs_analyze_config_default(vs_analyze_config *c) {
    c->stem = 1;
    c->stop_default = 1;
    c->stopwords = NULL;
    c->n_stopwords = 0;
}

void vs_analyze_config_free(vs_analyze_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_stopwords; i++) free(c->stopwords[i]);
    free(c->stopwords);
    c->stopwords = NULL;
    c->n_stopwords = 0;
}

void vs_analyze_free(vs_analyzer *a) {
    if (!a) return;
    if (a->stemmer) sb_stemmer_delete(a->stemmer);
    free(a->stop);
    free(a->stop_mem);
    free(a->slots);
    free(a->pool);
    vs_buf_free(&a->fold);
    free(a);
}

/* Whole-string fold (no possessive rule, no cut) for words handed over in a config. */
static vs_rc fold_plain(const char *w, size_t n, vs_buf *out) {
    int nonascii = 0;
    for (size_t i = 0; i < n; i++) nonascii |= (uint8_t)w[i] >= 0x80;
    out->len = 0;
    vs_rc rc = VS_OK;
    if (!nonascii) {
        vs_buf_put(out, w, n, &rc);
        if (rc == VS_OK)
            for (size_t i = 0; i < n; i++)
                if (out->p[i] >= 'A' && out->p[i] <= 'Z') out->p[i] |= 0x20;
        return rc;
    }
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)n, &dst,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                          UTF8PROC_CASEFOLD);
    if (r == UTF8PROC_ERROR_NOMEM) return VS_ENOMEM;
    if (r >= 0) vs_buf_put(out, dst, (size_t)r, &rc);
    else vs_buf_put(out, w, n, &rc); /* invalid UTF-8: kept as given; it can never match */
    free(dst);
    return rc;
}

vs_rc vs_analyze_new(const vs_analyze_config *cfg, vs_analyzer **out, vs_err *err) {
    *out = NULL;
    vs_analyzer *a = calloc(1, sizeof *a);
    if (!a) return vs_err_set(err, VS_ENOMEM, "out of memory creating the analyzer");
    vs_rc rc = VS_OK;
    if (cfg->stem) {
        a->stemmer = sb_stemmer_new("english", NULL);
        if (!a->stemmer) {
            vs_analyze_free(a);
            return vs_err_set(err, VS_EINTERNAL, "libstemmer has no 'english' stemmer for UTF-8");
        }
    }

    /* Stopword set: default list + cfg list, folded, sorted, unique; strings in one block. */
    size_t nd = cfg->stop_default ? N_DEFAULT_STOPWORDS : 0;
    size_t total = nd + cfg->n_stopwords;
    vs_buf mem = VS_BUF_INIT, tmp = VS_BUF_INIT;
    size_t *offs = NULL;
    if (total) {
        a->stop = reallocarray(NULL, total, sizeof *a->stop);
        offs = reallocarray(NULL, total, sizeof *offs);
        if (!a->stop || !offs) rc = VS_ENOMEM;
        for (size_t i = 0; i < total && rc == VS_OK; i++) {
            const char *w = i < nd ? DEFAULT_STOPWORDS[i] : cfg->stopwords[i - nd];
            rc = fold_plain(w, strlen(w), &tmp);
            offs[i] = mem.len;
            vs_buf_put(&mem, tmp.p, tmp.len, &rc);
            a->stop[i].n = tmp.len;
        }
        if (rc == VS_OK && mem.len == 0) rc = vs_buf_reserve(&mem, 1); /* all empty words */
        if (rc == VS_OK) {
            for (size_t i = 0; i < total; i++) a->stop[i].p = (const char *)mem.p + offs[i];
            qsort(a->stop, total, sizeof *a->stop, word_cmp);
            size_t u = 0;
            for (size_t i = 0; i < total; i++)
                if (a->stop[i].n && (u == 0 || word_cmp(&a->stop[u - 1], &a->stop[i]) != 0))
                    a->stop[u++] = a->stop[i];
            a->n_stop = u;
            a->stop_mem = (char *)mem.p;
            mem.p = NULL;
        }
    }
    free(offs);
    vs_buf_free(&mem);
    vs_buf_free(&tmp);
    a->max_entries = CACHE_MAX_ENTRIES;
    a->max_pool = CACHE_MAX_POOL;
    if (rc == VS_OK) rc = cache_alloc(a, CACHE_MIN_SLOTS);
    if (rc == VS_OK) rc = vs_buf_reserve(&a->fold, 4 * RAW_CAP);
    if (rc != VS_OK) {
        vs_analyze_free(a);
        return vs_err_set(err, rc, "out of memory creating the analyzer");
    }
    *out = a;
    return VS_OK;
}

vs_rc vs_analyze_text(vs_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                      vs_token_fn fn, void *ctx, uint32_t *next_pos, uint32_t *n_tokens) {
    const uint8_t *s = (const uint8_t *)text;
    uint8_t key[RAW_CAP + 4];
    uint32_t pos = first_pos, kept = 0;
    vs_rc rc = VS_OK;
    if (len > UINT32_MAX) {
        rc = VS_EDATA; /* offsets are 32-bit: callers split text into passages first */
        len = 0;
    }
    size_t i = 0;
    rawtok t;
    while (next_token(s, len, &i, &t, key)) {
        const uint8_t *e;
        if ((rc = cache_get(a, key, t.klen, t.nonascii, &e)) != VS_OK) break;
        uint8_t tl = e[2];
        if (tl == TERM_EMPTY) continue;
        if (pos == UINT32_MAX) {
            rc = VS_EDATA; /* 2^32 positions: the text is far beyond any passage */
            break;
        }
        uint32_t p = pos++;
        if (tl == TERM_STOP) continue;
        vs_token tok;
        tok.term = (const char *)e + ENTRY_HDR + t.klen;
        tok.len = tl;
        tok.pos = p;
        tok.start = (uint32_t)t.start;
        tok.end = (uint32_t)t.end;
        kept++;
        if (fn && fn(ctx, &tok)) break;
    }
    if (next_pos) *next_pos = pos;
    if (n_tokens) *n_tokens = kept;
    return rc;
}

/* ---- config: stopword files, encoding ---------------------------------------------------- */

static int push_word(char ***v, size_t *n, size_t *cap, const uint8_t *w, size_t len) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **p = reallocarray(*v, nc, sizeof *p);
        if (!p) return -1;
        *v = p;
        *cap = nc;
    }
    char *s = malloc(len + 1);
    if (!s) return -1;
    memcpy(s, w, len);
    s[len] = '\0';
    (*v)[(*n)++] = s;
    return 0;
}

static void free_words(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Reads one line (without its '\n') into buf[0..cap); returns its length, cap + 1 when it is
 * longer than cap (the rest of the line is consumed), or -1 at end of file. */
static long read_line(FILE *f, char *buf, size_t cap) {
    size_t n = 0;
    int ch, any = 0, over = 0;
    while ((ch = getc(f)) != EOF) {
        any = 1;
        if (ch == '\n') break;
        if (n < cap) buf[n++] = (char)ch;
        else over = 1;
    }
    if (!any) return -1;
    return over ? (long)cap + 1 : (long)n;
}

vs_rc vs_analyze_config_load_stopwords(vs_analyze_config *c, const char *path, vs_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return vs_err_errno(err, errno == ENOENT ? VS_ENOENT : VS_EIO, errno,
                            "cannot open stopword file '%s'", path);
    char **v = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    char *line = malloc(STOPWORD_MAX_LINE);
    vs_buf fold = VS_BUF_INIT;
    uint8_t key[RAW_CAP + 4], key2[RAW_CAP + 4];
    vs_rc rc = line ? VS_OK : vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", path);
    long got;
    errno = 0;
    while (rc == VS_OK && (got = read_line(f, line, STOPWORD_MAX_LINE)) >= 0) {
        lineno++;
        if (got > STOPWORD_MAX_LINE) {
            rc = vs_err_set(err, VS_EDATA, "stopword file '%s' line %zu: line longer than %d bytes",
                            path, lineno, STOPWORD_MAX_LINE);
            break;
        }
        size_t ll = (size_t)got;
        char *hash = memchr(line, '#', ll);
        if (hash) ll = (size_t)(hash - line);
        while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' ' || line[ll - 1] == '\t')) ll--;
        size_t b = 0;
        while (b < ll && (line[b] == ' ' || line[b] == '\t')) b++;
        if (b == ll) continue; /* blank or comment */
        const uint8_t *s = (const uint8_t *)line + b;
        size_t sl = ll - b, i = 0;
        rawtok t, t2;
        int ntok = next_token(s, sl, &i, &t, key);
        if (ntok) ntok += next_token(s, sl, &i, &t2, key2);
        if (ntok != 1) {
            rc = vs_err_set(err, VS_EDATA,
                            "stopword file '%s' line %zu: '%.*s' is %s; put one word per line",
                            path, lineno, (int)(sl > 60 ? 60 : sl), (const char *)s,
                            ntok ? "more than one word to the analyzer" : "not a word");
            break;
        }
        int was_cut = 0;
        if (fold_key(key, t.klen, t.nonascii, &fold, &was_cut) != VS_OK) {
            rc = vs_err_set(err, VS_ENOMEM, "out of memory reading stopword file '%s'", path);
            break;
        }
        if (t.cut || was_cut) {
            rc = vs_err_set(err, VS_EDATA, "stopword file '%s' line %zu: word longer than %d bytes",
                            path, lineno, VS_MAX_TOKEN);
            break;
        }
        if (fold.len && push_word(&v, &n, &cap, fold.p, fold.len) != 0)
            rc = vs_err_set(err, VS_ENOMEM, "out of memory reading stopword file '%s'", path);
    }
    if (rc == VS_OK && ferror(f))
        rc = vs_err_errno(err, VS_EIO, errno ? errno : EIO, "cannot read stopword file '%s'", path);
    free(line);
    vs_buf_free(&fold);
    fclose(f);
    if (rc != VS_OK) {
        free_words(v, n);
        return rc;
    }
    vs_analyze_config_free(c);
    c->stopwords = v;
    c->n_stopwords = n;
    c->stop_default = 0;
    return VS_OK;
}

vs_rc vs_analyze_config_encode(const vs_analyze_config *c, vs_buf *out) {
    if (c->n_stopwords > UINT32_MAX) return VS_EUSAGE;
    for (size_t i = 0; i < c->n_stopwords; i++) {
        size_t l = strlen(c->stopwords[i]);
        if (l == 0 || l > VS_MAX_TOKEN) return VS_EUSAGE;
    }
    vs_rc rc = VS_OK;
    size_t mark = out->len;
    vs_buf_put8(out, CONFIG_VERSION, &rc);
    vs_buf_put8(out, c->stem ? 1 : 0, &rc);
    vs_buf_put8(out, c->stop_default ? 1 : 0, &rc);
    vs_buf_put32(out, (uint32_t)c->n_stopwords, &rc);
    for (size_t i = 0; i < c->n_stopwords; i++) {
        size_t l = strlen(c->stopwords[i]);
        vs_buf_put16(out, (uint16_t)l, &rc);
        vs_buf_put(out, c->stopwords[i], l, &rc);
    }
    if (rc != VS_OK) out->len = mark;
    return rc;
}

vs_rc vs_analyze_config_decode(const uint8_t *p, size_t n, vs_analyze_config *c, vs_err *err) {
    c->stem = 0;
    c->stop_default = 0;
    c->stopwords = NULL;
    c->n_stopwords = 0;
    if (n < 1)
        return vs_err_set(err, VS_ECORRUPT, "analyzer config is empty (at least %d bytes expected)",
                          CONFIG_HEADER);
    if (p[0] != CONFIG_VERSION) {
        if (p[0] > CONFIG_VERSION)
            return vs_err_set(err, VS_EVERSION,
                              "analyzer config version %u is newer than this vsearch reads (%d):"
                              " rebuild the index with 'vsearch build'",
                              p[0], CONFIG_VERSION);
        return vs_err_set(err, VS_ECORRUPT, "analyzer config has invalid version %u", p[0]);
    }
    if (n < CONFIG_HEADER)
        return vs_err_set(err, VS_ECORRUPT, "analyzer config truncated: %zu bytes, header needs %d",
                          n, CONFIG_HEADER);
    if (p[1] > 1 || p[2] > 1)
        return vs_err_set(err, VS_ECORRUPT,
                          "analyzer config has invalid flags (stem %u, stop_default %u; 0 or 1 expected)",
                          p[1], p[2]);
    uint32_t nw = vs_le_get32(p + 3);
    /* Each word takes at least 3 bytes: refuse counts the bytes cannot hold before allocating. */
    if (nw > (n - CONFIG_HEADER) / 3)
        return vs_err_set(err, VS_ECORRUPT,
                          "analyzer config claims %" PRIu32 " stopwords but has only %zu bytes for them",
                          nw, n - CONFIG_HEADER);
    char **v = NULL;
    size_t cnt = 0, cap = 0, off = CONFIG_HEADER;
    vs_rc rc = VS_OK;
    for (uint32_t i = 0; i < nw; i++) {
        if (n - off < 2) {
            rc = vs_err_set(err, VS_ECORRUPT,
                            "analyzer config truncated at byte %zu: length of stopword %" PRIu32
                            " of %" PRIu32 " missing", off, i + 1, nw);
            break;
        }
        size_t l = vs_le_get16(p + off);
        if (l == 0 || l > VS_MAX_TOKEN) {
            rc = vs_err_set(err, VS_ECORRUPT,
                            "analyzer config byte %zu: stopword %" PRIu32 " has length %zu"
                            " (1 to %d expected)", off, i + 1, l, VS_MAX_TOKEN);
            break;
        }
        off += 2;
        if (n - off < l) {
            rc = vs_err_set(err, VS_ECORRUPT,
                            "analyzer config truncated at byte %zu: stopword %" PRIu32
                            " needs %zu bytes, %zu left", off, i + 1, l, n - off);
            break;
        }
        if (memchr(p + off, '\0', l)) {
            rc = vs_err_set(err, VS_ECORRUPT,
                            "analyzer config byte %zu: stopword %" PRIu32 " contains a NUL byte",
                            off, i + 1);
            break;
        }
        if (push_word(&v, &cnt, &cap, p + off, l) != 0) {
            rc = vs_err_set(err, VS_ENOMEM, "out of memory decoding the analyzer config");
            break;
        }
        off += l;
    }
    if (rc == VS_OK && off != n)
        rc = vs_err_set(err, VS_ECORRUPT,
                        "analyzer config has %zu trailing bytes after its %" PRIu32 " stopwords",
                        n - off, nw);
    if (rc != VS_OK) {
        free_words(v, cnt);
        return rc;
    }
    c->stem = p[1];
    c->stop_default = p[2];
    c->stopwords = v;
    c->n_stopwords = cnt;
    return VS_OK;
}
