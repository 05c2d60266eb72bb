/* source.c: format readers (see source.h).
 *
 * Every reader sees the whole file as one byte range (mmap'd by vs_source_read_file) and never
 * reads past its end: each scan is a memchr/memmem bounded by the end of the record or the file.
 * A reader first delimits a record (<DOC>..</DOC>, <REUTERS>..</REUTERS>, .I to .I, one JSON
 * line, or the whole file), then decodes it into a few reusable buffers, so memory stays
 * proportional to the largest record (at most 3x its size: every invalid byte can become the
 * three bytes of U+FFFD), and every input byte is visited a small constant number of times.
 * Nothing rescans from the start of a file, so hostile input (1 MB lines, a million '<', tags
 * that never close) costs linear time.
 *
 * The text of every field goes through the same two steps: decode (entities, JSON escapes,
 * markup removal) into a raw buffer, then clean() into the output buffer, which is where invalid
 * UTF-8 is replaced and counted, CR LF becomes LF and control characters become spaces. Bodies
 * are then normalised in place by norm_body(), titles and ids by norm_line(). */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

/* Detection looks at this much of a file: enough for a TREC/Reuters prolog and the first JSON
 * line of a typical collection, small enough to be one page-cache read. */
#define HEAD_BYTES 4096
/* A '<' with no '>' within 1 KiB (or before the next '<') is text, not a tag. Real tags are far
 * shorter, and the cap keeps the tag scanner linear on text full of '<'. */
#define TAG_MAX 1024
/* TEXT: a first line longer than this is not a heading (a file that is one huge line): the
 * document then has no title and the whole text is its body. */
#define TEXT_TITLE_MAX 1000
/* JSON containers nested deeper than this are refused, so skipping a value needs only a fixed
 * 512-byte stack, whatever the line holds. */
#define JSON_MAX_DEPTH 512
/* Longest named entity we try to decode ("&" name ";"); longer runs are left as text. */
#define ENTITY_MAX 32
/* Directory nesting beyond this is skipped with a warning: PATH_MAX (4096) allows at most
 * ~2048 levels of one-character names, so deeper trees are loops that escaped detection. */
#define WALK_MAX_DEPTH 2048

/* ---------------------------------------------------------------- ASCII helpers
 * Locale-independent on purpose: tag names, entity names and markers are ASCII. */

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

static int ieq(const uint8_t *p, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lower((unsigned char)s[i])) return 0;
    return 1;
}

static int has_prefix_ci(const uint8_t *p, const uint8_t *e, const char *s) {
    size_t n = strlen(s);
    return (size_t)(e - p) >= n && ieq(p, s, n);
}

/* ---------------------------------------------------------------- UTF-8 */

/* Length of the UTF-8 sequence at s (n > 0 bytes available). *ok = 1: a valid sequence of that
 * many bytes. *ok = 0: the bytes form a "maximal subpart" of an ill-formed sequence (Unicode
 * 15, section 3.9, U+FFFD substitution): a lead byte and the continuation bytes that were still
 * acceptable, to be replaced by one U+FFFD. The second-byte ranges exclude overlongs (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF); C0, C1 and
 * F5..FF can never start a sequence. */
static size_t utf8_seq(const uint8_t *s, size_t n, int *ok) {
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) { *ok = 1; return 1; }
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
    } else {
        *ok = 0;
        return 1;
    }
    size_t k = 1;
    if (k < n && s[k] >= lo && s[k] <= hi) {
        k++;
        while (k <= need && k < n && s[k] >= 0x80 && s[k] <= 0xBF) k++;
    }
    *ok = (k == need + 1);
    return k;
}

static const uint8_t REPLACEMENT[3] = { 0xEF, 0xBF, 0xBD }; /* U+FFFD */

/* Appends s[0..n) to out as valid UTF-8, each ill-formed subpart replaced by U+FFFD and counted
 * in *ninv. With ctrl: CR LF and lone CR become LF, and other C0 controls and DEL become a
 * space (tab and LF stay), which is the contract for every string handed to a callback. */
static void put_utf8(vs_buf *out, const uint8_t *s, size_t n, int ctrl, uint64_t *ninv, vs_rc *rc) {
    if (*rc != VS_OK || n == 0) return;
    /* Worst case: every byte is invalid and becomes 3 bytes. Reserving it once keeps the loop
     * free of capacity checks; the excess is reused by the next record. */
    if (n > (SIZE_MAX - 64) / 3) { *rc = VS_ENOMEM; return; }
    if ((*rc = vs_buf_reserve(out, n * 3)) != VS_OK) return;
    uint8_t *o = out->p + out->len;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        /* fast path: printable ASCII, newline */
        while ((c >= 0x20 && c < 0x7F) || c == '\n') {
            *o++ = c;
            if (++i == n) goto done;
            c = s[i];
        }
        if (c < 0x80) {
            if (ctrl && (c < 0x20 || c == 0x7F)) {
                if (c == '\r') {
                    *o++ = '\n';
                    i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
                    continue;
                }
                if (c != '\n' && c != '\t') c = ' ';
            }
            *o++ = c;
            i++;
            continue;
        }
        int ok;
        size_t k = utf8_seq(s + i, n - i, &ok);
        if (ok) {
            memcpy(o, s + i, k);
            o += k;
        } else {
            memcpy(o, REPLACEMENT, 3);
            o += 3;
            (*ninv)++;
        }
        i += k;
    }
done:
    out->len = (size_t)(o - out->p);
}

/* Appends code point cp as UTF-8; surrogates and values above U+10FFFF become U+FFFD (counted). */
static void put_cp(vs_buf *out, uint32_t cp, uint64_t *ninv, vs_rc *rc) {
    uint8_t t[4];
    size_t k;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        (*ninv)++;
        vs_buf_put(out, REPLACEMENT, 3, rc);
        return;
    }
    if (cp < 0x80) { t[0] = (uint8_t)cp; k = 1; }
    else if (cp < 0x800) { t[0] = (uint8_t)(0xC0 | (cp >> 6)); t[1] = (uint8_t)(0x80 | (cp & 0x3F)); k = 2; }
    else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xE0 | (cp >> 12)); t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (uint8_t)(0x80 | (cp & 0x3F)); k = 3;
    } else {
        t[0] = (uint8_t)(0xF0 | (cp >> 18)); t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (uint8_t)(0x80 | (cp & 0x3F)); k = 4;
    }
    vs_buf_put(out, t, k, rc);
}

vs_rc vs_utf8_sanitize(const char *s, size_t n, vs_buf *out, uint64_t *n_invalid) {
    uint64_t bad = 0;
    vs_rc rc = VS_OK;
    vs_buf_reset(out);
    if (n) put_utf8(out, (const uint8_t *)s, n, 0, &bad, &rc);
    vs_buf_cstr(out, &rc);
    if (n_invalid) *n_invalid = bad;
    return rc;
}

/* ---------------------------------------------------------------- normalisation (in place) */

/* Body shape handed to callers: trailing blanks of each line removed, leading and trailing
 * blank lines dropped, runs of blank lines folded into one ("\n\n" separates paragraphs), and
 * each line's leading indentation kept (newswire marks paragraphs by indenting). Only shrinks,
 * so the write position never passes the read position. Returns the new length. */
static size_t norm_body(uint8_t *p, size_t n) {
    size_t w = 0, i = 0;
    int blank = 0;
    while (i < n) {
        size_t ls = i;
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t le = nl ? (size_t)(nl - p) : n;
        i = nl ? le + 1 : n;
        size_t te = le;
        while (te > ls && (p[te - 1] == ' ' || p[te - 1] == '\t')) te--;
        if (te == ls) {
            if (w) blank = 1;
            continue;
        }
        if (w) {
            p[w++] = '\n';
            if (blank) p[w++] = '\n';
        }
        blank = 0;
        memmove(p + w, p + ls, te - ls);
        w += te - ls;
    }
    return w;
}

/* Titles and ids: every run of whitespace (newlines included) becomes one space, trimmed. */
static size_t norm_line(uint8_t *p, size_t n) {
    size_t w = 0;
    int sp = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (is_ws(c)) { sp = 1; continue; }
        if (sp && w) p[w++] = ' ';
        sp = 0;
        p[w++] = c;
    }
    return w;
}

/* ---------------------------------------------------------------- character references */

static const struct { const char *name; uint32_t cp; } ENTITIES[] = {
    { "lt", '<' },      { "gt", '>' },       { "amp", '&' },      { "quot", '"' },
    { "apos", '\'' },   { "nbsp", ' ' },     { "blank", ' ' },    { "hyph", '-' },
    { "ndash", 0x2013 }, { "mdash", 0x2014 }, { "sect", 0xA7 },   { "para", 0xB6 },
    { "cent", 0xA2 },   { "pound", 0xA3 },   { "yen", 0xA5 },     { "copy", 0xA9 },
    { "reg", 0xAE },    { "deg", 0xB0 },     { "times", 0xD7 },   { "eacute", 0xE9 },
};

/* Parses a reference at s (s[0] == '&'): &name; (table above, case-sensitive as in XML),
 * &#N; or &#xH;. Returns its length and sets *cp, or 0 when it is not one (left as text). */
static size_t parse_entity(const uint8_t *s, size_t n, uint32_t *cp) {
    size_t i = 1;
    if (i < n && s[i] == '#') {
        uint32_t v = 0;
        int hex = 0;
        size_t d0;
        i++;
        if (i < n && (s[i] == 'x' || s[i] == 'X')) { hex = 1; i++; }
        d0 = i;
        /* 8 digits bound v below 2^32; anything above U+10FFFF is replaced later anyway. */
        while (i < n && i - d0 < 8) {
            int c = s[i], d;
            if (is_digit(c)) d = c - '0';
            else if (hex && lower(c) >= 'a' && lower(c) <= 'f') d = lower(c) - 'a' + 10;
            else break;
            v = v * (hex ? 16u : 10u) + (uint32_t)d;
            i++;
        }
        if (i == d0 || i >= n || s[i] != ';') return 0;
        *cp = v;
        return i + 1;
    }
    size_t n0 = i;
    while (i < n && i - n0 <= ENTITY_MAX && (is_alpha(s[i]) || is_digit(s[i]))) i++;
    if (i == n0 || i >= n || s[i] != ';') return 0;
    for (size_t k = 0; k < sizeof ENTITIES / sizeof *ENTITIES; k++)
        if (strlen(ENTITIES[k].name) == i - n0 && memcmp(ENTITIES[k].name, s + n0, i - n0) == 0) {
            *cp = ENTITIES[k].cp;
            return i + 1;
        }
    return 0;
}

/* Appends s[0..n) decoding character references. Raw bytes are copied as they are (clean()
 * validates them later); decoded code points are valid UTF-8 except the ones put_cp() replaces.
 * A control character from &#N; (&#3;) goes through as a byte and clean() makes it a space. */
static void put_entities(vs_buf *out, const uint8_t *s, size_t n, uint64_t *ninv, vs_rc *rc) {
    while (n && *rc == VS_OK) {
        const uint8_t *a = memchr(s, '&', n);
        if (!a) { vs_buf_put(out, s, n, rc); return; }
        vs_buf_put(out, s, (size_t)(a - s), rc);
        n -= (size_t)(a - s);
        s = a;
        uint32_t cp;
        size_t k = parse_entity(s, n, &cp);
        if (k) put_cp(out, cp, ninv, rc);
        else { vs_buf_put(out, s, 1, rc); k = 1; }
        s += k;
        n -= k;
    }
}

/* ---------------------------------------------------------------- tags */

enum { TAG_ELEM, TAG_SKIP, TAG_CDATA };

struct tag {
    const uint8_t *s, *e;    /* '<' .. one past '>' */
    const uint8_t *name;     /* element name; for TAG_CDATA, the content */
    size_t nlen;
    int close;               /* </name> */
    int kind;
};

/* A comment or CDATA section must end within SECTION_MAX bytes of its start: a longer one (or
 * one never closed) is text. The bound makes the meaning of every '<' depend on at most
 * SECTION_MAX bytes after it, so a stream window that cannot settle one grows by at most that
 * much (window_boundary), not to the end of the file. */
#define SECTION_MAX (1u << 20)

/* What a failed search for a section's end ("-->" / "]]>") showed: no end lies wholly inside
 * [from, end). Later searches from inside that range start at its end, so a file full of "<!--"
 * is scanned in linear time. */
struct span {
    const uint8_t *from, *end;
};

/* A tag scan over [.., e). */
struct scan {
    const uint8_t *e;
    struct span no_comment, no_cdata;
    /* The first '<' that next_tag skipped for want of bytes after e (an unterminated comment,
     * CDATA section or tag that may end beyond e): tags found after it might not be tags in a
     * longer text (window_boundary). NULL: none. */
    const uint8_t *partial;
};

static int is_namech(int c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == ':' || c == '.' || c == '-';
}

/* Finds the '>' closing a tag whose body starts at q, looking no further than TAG_MAX bytes
 * and not past the next '<'. Each call stops at the first '<' or '>', so the calls made for
 * consecutive '<' cover disjoint ranges and a file of a million '<' costs linear time. */
static const uint8_t *tag_end(const uint8_t *q, const uint8_t *e) {
    const uint8_t *lim = (size_t)(e - q) > TAG_MAX ? q + TAG_MAX : e;
    for (; q < lim; q++) {
        if (*q == '>') return q;
        if (*q == '<') return NULL;
    }
    return NULL;
}

/* tag_end(q, e) found nothing because it reached e: more bytes could have ended the tag. */
static int tag_end_cut(const uint8_t *q, const uint8_t *e) {
    return (size_t)(e - q) <= TAG_MAX && !memchr(q, '<', (size_t)(e - q));
}

static inline void mark_partial(struct scan *sc, const uint8_t *p) {
    if (!sc->partial) sc->partial = p;
}

/* The end `pat` (3 bytes) of a section whose body starts at `from`, if it lies within
 * SECTION_MAX bytes and before e; NULL otherwise, with *cut = 1 when e, not the bound, stopped
 * the search (more bytes could hold the end). */
static const uint8_t *section_end(const uint8_t *from, const uint8_t *e, const char *pat, struct span *no,
                                  int *cut) {
    const uint8_t *lim = (size_t)(e - from) > SECTION_MAX ? from + SECTION_MAX : e;
    const uint8_t *start = from;
    int inside = no->end && from >= no->from && from < no->end;
    if (inside && no->end - 2 > start) start = no->end - 2; /* an end may straddle no->end */
    const uint8_t *z = start < lim ? memmem(start, (size_t)(lim - start), pat, 3) : NULL;
    if (!z) {
        if (!inside || lim > no->end) *no = (struct span){ inside ? no->from : from, lim };
        *cut = lim == e && (size_t)(e - from) < SECTION_MAX;
    }
    return z;
}

/* Finds the next tag at or after p. A '<' that does not start a well-formed tag is skipped (the
 * caller treats it as text). Comments, <!DOCTYPE ..> and <? .. ?> are TAG_SKIP; an unterminated
 * comment or CDATA section is text too. */
static int next_tag(struct scan *sc, const uint8_t *p, struct tag *t) {
    const uint8_t *e = sc->e;
    while (p < e && (p = memchr(p, '<', (size_t)(e - p))) != NULL) {
        const uint8_t *q = p + 1, *gt;
        if (q >= e) {
            mark_partial(sc, p);
            return 0;
        }
        if (*q == '!' || *q == '?') {
            int cut = 0;
            if (*q == '!' && has_prefix_ci(q, e, "!--")) {
                const uint8_t *z = section_end(q + 3, e, "-->", &sc->no_comment, &cut);
                if (z) { *t = (struct tag){ p, z + 3, NULL, 0, 0, TAG_SKIP }; return 1; }
                if (cut) mark_partial(sc, p);
            } else if (*q == '!' && has_prefix_ci(q, e, "![CDATA[")) {
                const uint8_t *z = section_end(q + 8, e, "]]>", &sc->no_cdata, &cut);
                if (z) { *t = (struct tag){ p, z + 3, q + 8, (size_t)(z - (q + 8)), 0, TAG_CDATA }; return 1; }
                if (cut) mark_partial(sc, p);
            } else if ((gt = tag_end(q, e)) != NULL) {
                *t = (struct tag){ p, gt + 1, NULL, 0, 0, TAG_SKIP };
                return 1;
            } else if (e - q < 9 || tag_end_cut(q, e)) { /* "<!-", "<![CDA" or a tag, cut */
                mark_partial(sc, p);
            }
            p++;
            continue;
        }
        int close = 0;
        if (*q == '/') { close = 1; q++; }
        if (q >= e) { mark_partial(sc, p); return 0; }
        if (!is_alpha(*q)) { p++; continue; }
        const uint8_t *nm = q;
        while (q < e && is_namech(*q) && q - nm < TAG_MAX) q++;
        if (q < e && !is_ws(*q) && *q != '>' && *q != '/') { p++; continue; }
        gt = tag_end(q, e);
        if (!gt) {
            if (tag_end_cut(q, e)) mark_partial(sc, p);
            p++;
            continue;
        }
        *t = (struct tag){ p, gt + 1, nm, (size_t)(q - nm), close, TAG_ELEM };
        return 1;
    }
    return 0;
}

static inline int tag_is(const struct tag *t, const char *name) {
    size_t n = strlen(name); /* folded to a constant for literal names once inlined */
    return t->kind == TAG_ELEM && t->nlen == n && ieq(t->name, name, n);
}

/* Value of attribute `attr` in an element's start tag (quoted with " or ', or bare). */
static int tag_attr(const struct tag *t, const char *attr, const uint8_t **v, size_t *vl) {
    const uint8_t *p = t->name + t->nlen, *e = t->e - 1; /* e: the '>' */
    size_t an = strlen(attr);
    while (p < e) {
        while (p < e && (is_ws(*p) || *p == '/')) p++;
        const uint8_t *a = p;
        while (p < e && !is_ws(*p) && *p != '=' && *p != '/') p++;
        size_t alen = (size_t)(p - a);
        if (alen == 0) { if (p < e) p++; continue; }
        while (p < e && is_ws(*p)) p++;
        const uint8_t *vs = p, *ve = p;
        if (p < e && *p == '=') {
            p++;
            while (p < e && is_ws(*p)) p++;
            if (p < e && (*p == '"' || *p == '\'')) {
                const uint8_t *z = memchr(p + 1, *p, (size_t)(e - p - 1));
                vs = p + 1;
                ve = z ? z : e;
                p = z ? z + 1 : e;
            } else {
                vs = p;
                while (p < e && !is_ws(*p)) p++;
                ve = p;
            }
        }
        if (alen == an && ieq(a, attr, an)) {
            *v = vs;
            *vl = (size_t)(ve - vs);
            return 1;
        }
    }
    return 0;
}

/* Tags that do not break a paragraph when removed (emphasis and the like, plus FBIS/FR <F>). */
static int is_inline(const struct tag *t) {
    static const char *const names[] = { "a", "b", "i", "u", "em", "strong", "span", "font", "sub",
                                         "sup", "tt", "small", "big", "code", "abbr", "f" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (tag_is(t, names[i])) return 1;
    return 0;
}

enum { MK_LINE, MK_BODY };

struct range { const uint8_t *s, *e; };

/* Appends the text of markup [s, e) to out: references decoded, comments and declarations
 * dropped, CDATA kept verbatim. MK_LINE (titles, ids): every tag is a space. MK_BODY: block
 * tags (<P>, <TEXT>, anything not inline) become a paragraph break, <BR> a line break. */
static void put_markup(vs_buf *out, const uint8_t *s, const uint8_t *e, int mode, uint64_t *ninv,
                       vs_rc *rc) {
    struct scan sc = { e, { NULL, NULL }, { NULL, NULL }, NULL };
    struct tag t;
    while (s < e && *rc == VS_OK) {
        if (!next_tag(&sc, s, &t)) { put_entities(out, s, (size_t)(e - s), ninv, rc); return; }
        put_entities(out, s, (size_t)(t.s - s), ninv, rc);
        if (t.kind == TAG_CDATA) vs_buf_put(out, t.name, t.nlen, rc);
        else if (t.kind == TAG_ELEM) {
            if (mode == MK_LINE) vs_buf_put(out, " ", 1, rc);
            else if (tag_is(&t, "br")) vs_buf_put(out, "\n", 1, rc);
            else if (!is_inline(&t)) vs_buf_put(out, "\n\n", 2, rc);
        }
        s = t.e;
    }
}

/* Same, leaving out the ranges in sk (any order, may overlap); each left-out range is a
 * paragraph break in MK_BODY mode. */
static void put_markup_skip(vs_buf *out, const uint8_t *s, const uint8_t *e, int mode,
                            struct range *sk, size_t nsk, uint64_t *ninv, vs_rc *rc) {
    for (size_t i = 1; i < nsk; i++) /* insertion sort: nsk <= 4 */
        for (size_t j = i; j > 0 && sk[j].s < sk[j - 1].s; j--) {
            struct range x = sk[j]; sk[j] = sk[j - 1]; sk[j - 1] = x;
        }
    for (size_t i = 0; i < nsk; i++) {
        if (sk[i].e <= s) continue;
        if (sk[i].s > s) put_markup(out, s, sk[i].s, mode, ninv, rc);
        if (mode == MK_BODY) vs_buf_put(out, "\n\n", 2, rc);
        s = sk[i].e;
    }
    if (s < e) put_markup(out, s, e, mode, ninv, rc);
}

/* ---------------------------------------------------------------- reader state */

struct rd {
    const char *name;                 /* path, for messages and vs_doc.path */
    const uint8_t *p;
    size_t n;
    const vs_source_opts *o;
    vs_doc_fn fn;
    void *ctx;
    vs_source_stats *st;
    vs_err *err;
    size_t lpos;                      /* line cursor: lpos is on line `line` */
    uint64_t line;
    uint64_t line0, off0;             /* line and file offset of p[0] (a window of a stream) */
    int stop;                         /* the callback asked to stop */
    vs_buf raw, raw2, raw3, key;      /* decoded, not yet cleaned */
    vs_buf id, title, body;           /* what the callback sees */
};

/* 1-based line of byte off. Offsets asked for only grow within a file, so counting newlines
 * from the previous answer keeps the total cost linear. */
static uint64_t line_at(struct rd *r, size_t off) {
    if (off < r->lpos) { r->lpos = 0; r->line = r->line0; }
    const uint8_t *p = r->p + r->lpos, *e = r->p + off;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) { r->line++; p++; }
    r->lpos = off;
    return r->line;
}

static VS_PRINTF(2, 3) void warnf(const vs_source_opts *o, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    if (!o->warn) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->warn(o->warn_ctx, msg);
}

/* A malformed record: warn and count it (VS_OK: go on), or under strict stop with VS_EDATA. */
static VS_PRINTF(3, 4) vs_rc bad_record(struct rd *r, uint64_t line, const char *fmt, ...) {
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->o->strict) return vs_err_set(r->err, VS_EDATA, "%s:%" PRIu64 ": %s", r->name, line, what);
    r->st->skipped_records++;
    warnf(r->o, "%s:%" PRIu64 ": %s", r->name, line, what);
    return VS_OK;
}

static vs_rc nomem(struct rd *r) {
    return vs_err_set(r->err, VS_ENOMEM, "out of memory reading '%s'", r->name);
}

/* Cleans raw into out (reset first) and normalises it as a body or as a single line. */
static void clean_into(struct rd *r, vs_buf *out, const vs_buf *raw, int body, vs_rc *rc) {
    vs_buf_reset(out);
    put_utf8(out, raw->p, raw->len, 1, &r->st->invalid_utf8, rc);
    if (*rc == VS_OK && out->len)
        out->len = body ? norm_body(out->p, out->len) : norm_line(out->p, out->len);
}

/* Hands the document in r->id/title/body to the callback. */
static vs_rc deliver(struct rd *r, size_t off, uint64_t line) {
    vs_rc rc = VS_OK;
    vs_buf_cstr(&r->id, &rc);
    vs_buf_cstr(&r->title, &rc);
    vs_buf_cstr(&r->body, &rc);
    if (rc != VS_OK) return nomem(r);
    vs_doc d = { (const char *)r->id.p, r->id.len, (const char *)r->title.p, r->title.len,
                 (const char *)r->body.p, r->body.len, r->name, r->off0 + off, line };
    r->st->docs++;
    if (r->fn && r->fn(r->ctx, &d)) r->stop = 1;
    return VS_OK;
}

static size_t skip_bom(const uint8_t *p, size_t n) {
    return (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) ? 3 : 0;
}

static int ends_with_ci(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && ieq((const uint8_t *)s + n - k, suf, k);
}

/* ---------------------------------------------------------------- TEXT */

static vs_rc read_text(struct rd *r) {
    vs_rc rc = VS_OK;
    size_t b = skip_bom(r->p, r->n);
    vs_buf_reset(&r->raw);
    put_utf8(&r->raw, r->p + b, r->n - b, 1, &r->st->invalid_utf8, &rc);
    if (rc != VS_OK) return nomem(r);
    uint8_t *p = r->raw.p;
    size_t n = r->raw.len, i = 0, ls = 0, le = 0;
    int found = 0;
    while (i < n && !found) { /* first line with something other than blanks */
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        ls = i;
        le = nl ? (size_t)(nl - p) : n;
        i = nl ? le + 1 : n;
        for (size_t k = ls; k < le; k++)
            if (p[k] != ' ' && p[k] != '\t') { found = 1; break; }
    }
    if (!found) return VS_OK; /* nothing but blanks: no document */
    vs_buf_reset(&r->title);
    vs_buf_reset(&r->body);
    if (le - ls > TEXT_TITLE_MAX) {
        vs_buf_put(&r->body, p, n, &rc);
    } else {
        vs_buf_put(&r->title, p + ls, le - ls, &rc);
        vs_buf_put(&r->body, p + i, n - i, &rc);
    }
    if (rc != VS_OK) return nomem(r);
    r->title.len = r->title.len ? norm_line(r->title.p, r->title.len) : 0;
    r->body.len = r->body.len ? norm_body(r->body.p, r->body.len) : 0;
    /* Markdown: "# Heading" shows as "Heading". */
    if ((ends_with_ci(r->name, ".md") || ends_with_ci(r->name, ".markdown")) && r->title.len &&
        r->title.p[0] == '#') {
        size_t k = 0;
        while (k < r->title.len && r->title.p[k] == '#') k++;
        if (k < r->title.len && r->title.p[k] == ' ') {
            memmove(r->title.p, r->title.p + k + 1, r->title.len - k - 1);
            r->title.len -= k + 1;
        }
    }
    vs_buf_reset(&r->id);
    put_utf8(&r->id, (const uint8_t *)r->name, strlen(r->name), 1, &r->st->invalid_utf8, &rc);
    if (rc != VS_OK) return nomem(r);
    return deliver(r, 0, 1);
}

/* ---------------------------------------------------------------- TREC */

/* Elements the TREC reader looks for, in this order; the title ones in order of preference. */
enum { T_DOCNO, T_DOCID, T_DOCHDR, T_HEADLINE, T_TITLE, T_HL, T_TI, T_HEAD, T_NEL };
static const char *const TREC_ELEMS[T_NEL] = { "docno", "docid", "dochdr", "headline",
                                                "title", "hl", "ti", "head" };

struct elem {
    int state;                        /* 0 not seen, 1 found, -1 start tag without end tag */
    struct range whole, inner;
};

/* Finds the end tag matching `name` after `from`; returns 1 and sets *t. */
static int find_close(struct scan *sc, const uint8_t *from, const char *name, struct tag *t) {
    while (next_tag(sc, from, t)) {
        if (t->close && tag_is(t, name)) return 1;
        from = t->e;
    }
    return 0;
}

/* One <DOC> record whose content is [s, e). */
static vs_rc trec_record(struct rd *r, const uint8_t *s, const uint8_t *e, size_t off, uint64_t line) {
    struct elem el[T_NEL] = { { 0, { NULL, NULL }, { NULL, NULL } } };
    struct scan sc = { e, { NULL, NULL }, { NULL, NULL }, NULL };
    struct tag t, c;
    const uint8_t *q = s;
    vs_rc rc = VS_OK;

    /* Pass 1: first occurrence of each element of interest. Each end-tag search runs at most
     * once per element name, so this is at most T_NEL + 1 walks over the record. */
    while (next_tag(&sc, q, &t)) {
        q = t.e;
        if (t.kind != TAG_ELEM || t.close) continue;
        for (int k = 0; k < T_NEL; k++) {
            if (!tag_is(&t, TREC_ELEMS[k]) || el[k].state) continue;
            if (find_close(&sc, t.e, TREC_ELEMS[k], &c)) {
                el[k] = (struct elem){ 1, { t.s, c.e }, { t.e, c.s } };
                if (k <= T_DOCHDR) q = c.e; /* ids and web headers hold nothing else we need */
            } else {
                el[k].state = -1;
            }
            break;
        }
    }
    if (el[T_DOCNO].state == 0) return bad_record(r, line, "<DOC> record has no <DOCNO>");
    if (el[T_DOCNO].state < 0) return bad_record(r, line, "<DOCNO> is not closed by </DOCNO>");

    vs_buf_reset(&r->raw);
    put_markup(&r->raw, el[T_DOCNO].inner.s, el[T_DOCNO].inner.e, MK_LINE, &r->st->invalid_utf8, &rc);
    clean_into(r, &r->id, &r->raw, 0, &rc);
    if (rc != VS_OK) return nomem(r);
    if (r->id.len == 0) return bad_record(r, line, "<DOCNO> is empty");

    int chosen = -1;
    vs_buf_reset(&r->title);
    for (int k = T_HEADLINE; k < T_NEL && chosen < 0; k++) {
        if (el[k].state != 1) continue;
        vs_buf_reset(&r->raw);
        put_markup(&r->raw, el[k].inner.s, el[k].inner.e, MK_LINE, &r->st->invalid_utf8, &rc);
        clean_into(r, &r->title, &r->raw, 0, &rc);
        if (rc != VS_OK) return nomem(r);
        if (r->title.len) chosen = k;
    }

    struct range sk[4];
    size_t nsk = 0;
    for (int k = T_DOCNO; k <= T_DOCHDR; k++)
        if (el[k].state == 1) sk[nsk++] = el[k].whole;
    if (chosen >= 0) sk[nsk++] = el[chosen].whole;
    vs_buf_reset(&r->raw);
    put_markup_skip(&r->raw, s, e, MK_BODY, sk, nsk, &r->st->invalid_utf8, &rc);
    clean_into(r, &r->body, &r->raw, 1, &rc);
    if (rc != VS_OK) return nomem(r);
    return deliver(r, off, line);
}

/* Walks the records <NAME ...> .. </NAME> of a file, calling rec(content range) for each. A
 * start tag followed by another start tag (or the end of the file) before its end tag is an
 * unclosed record: warned about, and reading resumes at the next start tag. */
typedef vs_rc (*record_fn)(struct rd *r, const struct tag *open, const uint8_t *e, size_t off,
                           uint64_t line);

static vs_rc walk_records(struct rd *r, const char *name, record_fn rec) {
    struct scan sc = { r->p + r->n, { NULL, NULL }, { NULL, NULL }, NULL };
    struct tag t, u;
    const uint8_t *q = r->p;
    int have = 0;
    while (!have && next_tag(&sc, q, &t)) {
        if (!t.close && tag_is(&t, name)) have = 1;
        q = t.e;
    }
    while (have && !r->stop) {
        struct tag open = t;
        int closed = 0;
        have = 0;
        q = open.e;
        while (next_tag(&sc, q, &u)) {
            q = u.e;
            if (!tag_is(&u, name)) continue;
            if (u.close) closed = 1;
            else { have = 1; t = u; }
            break;
        }
        size_t off = (size_t)(open.s - r->p);
        uint64_t line = line_at(r, off);
        vs_rc rc;
        if (!closed)
            rc = bad_record(r, line, "<%s> is not closed by </%s>", name, name);
        else
            rc = rec(r, &open, u.s, off, line);
        if (rc != VS_OK) return rc;
        if (closed) { /* look for the next record after this one's end tag */
            while (!have && next_tag(&sc, q, &t)) {
                if (!t.close && tag_is(&t, name)) have = 1;
                q = t.e;
            }
        }
    }
    return VS_OK;
}

static vs_rc trec_rec(struct rd *r, const struct tag *open, const uint8_t *e, size_t off, uint64_t line) {
    return trec_record(r, open->e, e, off, line);
}

/* ---------------------------------------------------------------- Reuters-21578 */

/* Reuters bodies end with a sign-off ("\n Reuter\n&#3;", also "REUTER", "reuter", "REUTER...",
 * "REUTER^M" with a literal caret-M; a few stories have two). It is on every story, so it is
 * dropped: when it stands on its own last line, ends the last line in upper case ("... NIL.
 * REUTER") or follows the end of a sentence ("... Noranda said. Reuter"), but not when it is a
 * word of the story ("... told Reuter."). Returns the new length. */
static size_t strip_signoff(const uint8_t *p, size_t n) {
    for (int round = 0; round < 2; round++) {
        size_t e = n;
        for (;;) {
            if (e && (is_ws(p[e - 1]) || p[e - 1] == '.')) e--;
            else if (e >= 2 && p[e - 2] == '^' && p[e - 1] == 'M') e -= 2;
            else break;
        }
        if (e < 6 || !ieq(p + e - 6, "reuter", 6)) break;
        size_t s = e - 6, k = s;
        while (k && (p[k - 1] == ' ' || p[k - 1] == '\t')) k--;
        int own_line = (k == 0 || p[k - 1] == '\n');
        int after_sentence = k > 0 && k < s && (p[k - 1] == '.' || p[k - 1] == '"' || p[k - 1] == '\'');
        int upper = k < s && memcmp(p + s, "REUTER", 6) == 0;
        if (!own_line && !after_sentence && !upper) break;
        while (s && is_ws(p[s - 1])) s--;
        n = s;
    }
    return n;
}

static vs_rc reuters_rec(struct rd *r, const struct tag *open, const uint8_t *e, size_t off,
                         uint64_t line) {
    const uint8_t *v;
    size_t vl;
    vs_rc rc = VS_OK;
    if (!tag_attr(open, "NEWID", &v, &vl)) return bad_record(r, line, "<REUTERS> has no NEWID attribute");
    vs_buf_reset(&r->raw);
    put_entities(&r->raw, v, vl, &r->st->invalid_utf8, &rc);
    clean_into(r, &r->id, &r->raw, 0, &rc);
    if (rc != VS_OK) return nomem(r);
    if (r->id.len == 0) return bad_record(r, line, "<REUTERS> has an empty NEWID");

    /* First <TEXT>, <TITLE>, <BODY> and their end tags, in one walk. */
    struct scan sc = { e, { NULL, NULL }, { NULL, NULL }, NULL };
    struct tag t, text = { 0 };
    struct range title = { NULL, NULL }, tw = { NULL, NULL }, body = { NULL, NULL };
    const uint8_t *text_end = NULL, *title_s = NULL, *title_ws = NULL, *body_s = NULL;
    int unproc = 0;
    for (const uint8_t *q = open->e; next_tag(&sc, q, &t); q = t.e) {
        if (t.kind != TAG_ELEM) continue;
        if (tag_is(&t, "TEXT")) {
            if (!t.close && !text.s) {
                text = t;
                unproc = tag_attr(&t, "TYPE", &v, &vl) && vl == 6 && ieq(v, "UNPROC", 6);
            } else if (t.close && text.s && !text_end) text_end = t.s;
        } else if (tag_is(&t, "TITLE")) {
            if (!t.close && !title_s) { title_s = t.e; title_ws = t.s; }
            else if (t.close && title_s && !title.s) { title = (struct range){ title_s, t.s }; tw = (struct range){ title_ws, t.e }; }
        } else if (tag_is(&t, "BODY")) {
            if (!t.close && !body_s) body_s = t.e;
            else if (t.close && body_s && !body.s) body = (struct range){ body_s, t.s };
        }
    }
    vs_buf_reset(&r->raw);
    if (title.s) put_markup(&r->raw, title.s, title.e, MK_LINE, &r->st->invalid_utf8, &rc);
    clean_into(r, &r->title, &r->raw, 0, &rc);

    vs_buf_reset(&r->raw);
    if (body_s) { /* an unclosed <BODY> runs to </TEXT> or the end of the record */
        const uint8_t *be = body.s ? body.e : (text_end && text_end > body_s ? text_end : e);
        put_markup(&r->raw, body_s, be, MK_BODY, &r->st->invalid_utf8, &rc);
    } else if (unproc) { /* unprocessed story: the raw text inside <TEXT> is the body */
        put_markup_skip(&r->raw, text.e, text_end ? text_end : e, MK_BODY, &tw, tw.s ? 1 : 0,
                        &r->st->invalid_utf8, &rc);
    }
    clean_into(r, &r->body, &r->raw, 1, &rc);
    if (rc != VS_OK) return nomem(r);
    r->body.len = strip_signoff(r->body.p, r->body.len);
    return deliver(r, off, line);
}

/* ---------------------------------------------------------------- SMART */

enum { SM_NONE, SM_T, SM_W, SM_A, SM_OTHER };

/* ".I 12" starts a record; ".T", ".W", ... (a dot, an upper-case letter, then a blank or the
 * end of the line) start a field. Returns the letter, or 0 for an ordinary line. */
static int smart_marker(const uint8_t *p, size_t n) {
    if (n < 2 || p[0] != '.' || p[1] < 'A' || p[1] > 'Z') return 0;
    if (n > 2 && p[2] != ' ' && p[2] != '\t' && p[2] != '\r') return 0;
    return p[1];
}

static vs_rc smart_flush(struct rd *r, size_t off, uint64_t line) {
    vs_rc rc = VS_OK;
    /* raw: .W, raw2: .T, raw3: .A; r->id is already clean. */
    clean_into(r, &r->title, &r->raw2, 0, &rc);
    clean_into(r, &r->body, &r->raw, 1, &rc);
    clean_into(r, &r->key, &r->raw3, 1, &rc); /* authors, cleaned into a spare buffer */
    if (rc == VS_OK && r->key.len) {
        if (r->body.len) vs_buf_put(&r->body, "\n\n", 2, &rc);
        vs_buf_put(&r->body, r->key.p, r->key.len, &rc);
    }
    if (rc != VS_OK) return nomem(r);
    return deliver(r, off, line);
}

static vs_rc read_smart(struct rd *r) {
    const uint8_t *p = r->p;
    size_t n = r->n, i = r->off0 == 0 ? skip_bom(p, n) : 0, rec_off = 0;
    uint64_t line = r->line0 - 1, rec_line = 0;
    int in_rec = 0, field = SM_NONE;
    vs_rc rc = VS_OK;
    while (i < n && !r->stop) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t ls = i, le = nl ? (size_t)(nl - p) : n;
        i = nl ? le + 1 : n;
        line++;
        int m = smart_marker(p + ls, le - ls);
        if (m == 'I') {
            if (in_rec && (rc = smart_flush(r, rec_off, rec_line)) != VS_OK) return rc;
            if (r->stop) break;
            in_rec = 0;
            field = SM_NONE;
            size_t a = ls + 2, b;
            while (a < le && is_ws(p[a])) a++;
            for (b = a; b < le && !is_ws(p[b]); b++) {}
            vs_buf_reset(&r->raw);
            vs_buf_reset(&r->raw2);
            vs_buf_reset(&r->raw3);
            vs_buf_reset(&r->id);
            put_utf8(&r->id, p + a, b - a, 1, &r->st->invalid_utf8, &rc);
            if (rc != VS_OK) return nomem(r);
            if (b == a) {
                if ((rc = bad_record(r, line, "'.I' line without a document number")) != VS_OK) return rc;
                continue; /* the lines up to the next .I are dropped */
            }
            in_rec = 1;
            rec_off = ls;
            rec_line = line;
            continue;
        }
        if (!in_rec) continue;
        const uint8_t *s = p + ls, *e = p + le;
        vs_buf *dst = NULL;
        if (m) {
            field = m == 'T' ? SM_T : m == 'W' ? SM_W : m == 'A' ? SM_A : SM_OTHER;
            dst = field == SM_T ? &r->raw2 : field == SM_W ? &r->raw : field == SM_A ? &r->raw3 : NULL;
            /* A repeated field continues as a new paragraph (a new line for titles). */
            if (dst && dst->len) vs_buf_put(dst, "\n\n", 2, &rc);
            s += 2; /* text after the marker on the same line belongs to the field */
        } else {
            dst = field == SM_T ? &r->raw2 : field == SM_W ? &r->raw : field == SM_A ? &r->raw3 : NULL;
        }
        if (!dst) continue;
        /* SMART abstracts mark sentence starts with a leading blank (" This paper ..."), not
         * paragraphs: drop it so that the passage splitter does not take it for an indent. */
        if (field == SM_W || m) while (s < e && (*s == ' ' || *s == '\t')) s++;
        vs_buf_put(dst, s, (size_t)(e - s), &rc);
        vs_buf_put(dst, "\n", 1, &rc);
        if (rc != VS_OK) return nomem(r);
    }
    if (in_rec && !r->stop) return smart_flush(r, rec_off, rec_line);
    return VS_OK;
}

/* ---------------------------------------------------------------- JSONL */

struct jp {
    const uint8_t *s, *p, *e;         /* line start, cursor, line end */
    const char *why;                  /* what went wrong */
    uint64_t *ninv;
};

static void jws(struct jp *j) {
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')) j->p++;
}

static int jfail(struct jp *j, const char *why) {
    j->why = why;
    return 0;
}

static int hex4(const uint8_t *p, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = lower(p[i]);
        if (is_digit(c)) *v = *v * 16 + (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') *v = *v * 16 + (uint32_t)(c - 'a' + 10);
        else return 0;
    }
    return 1;
}

/* Decodes the string at j->p (a '"') into out, or only validates it when out is NULL. Escapes
 * per RFC 8259; a \uD8xx\uDCxx pair becomes one code point, a lone surrogate U+FFFD (counted).
 * Raw bytes are copied; clean() validates their UTF-8 later. */
static int jstring(struct jp *j, vs_buf *out, vs_rc *rc) {
    const uint8_t *p = j->p + 1, *e = j->e;
    for (;;) {
        const uint8_t *run = p;
        while (p < e && *p != '"' && *p != '\\' && *p >= 0x20) p++;
        if (out) vs_buf_put(out, run, (size_t)(p - run), rc);
        if (p >= e) { j->p = p; return jfail(j, "unterminated string"); }
        if (*p == '"') { j->p = p + 1; return 1; }
        if (*p < 0x20) { j->p = p; return jfail(j, "control character inside a string"); }
        /* backslash */
        if (p + 1 >= e) { j->p = p; return jfail(j, "unterminated string"); }
        uint8_t c = p[1], ch;
        p += 2;
        switch (c) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            uint32_t u, lo;
            if (e - p < 4 || !hex4(p, &u)) { j->p = p - 2; return jfail(j, "invalid \\u escape"); }
            p += 4;
            if (u >= 0xD800 && u <= 0xDBFF && e - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                hex4(p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            if (out) put_cp(out, u, j->ninv, rc); /* a lone surrogate becomes U+FFFD there */
            continue;
        }
        default:
            j->p = p - 2;
            return jfail(j, "invalid escape in a string");
        }
        if (out) vs_buf_put(out, &ch, 1, rc);
    }
}

/* Validates a number (RFC 8259 grammar) at j->p. */
static int jnumber(struct jp *j) {
    const uint8_t *p = j->p, *e = j->e;
    if (p < e && *p == '-') p++;
    if (p < e && *p == '0') p++;
    else if (p < e && is_digit(*p)) while (p < e && is_digit(*p)) p++;
    else return jfail(j, "invalid number");
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !is_digit(*p)) return jfail(j, "invalid number");
        while (p < e && is_digit(*p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !is_digit(*p)) return jfail(j, "invalid number");
        while (p < e && is_digit(*p)) p++;
    }
    j->p = p;
    return 1;
}

static int jliteral(struct jp *j) {
    static const char *const lits[] = { "true", "false", "null" };
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lits[i]);
        if ((size_t)(j->e - j->p) >= n && memcmp(j->p, lits[i], n) == 0) { j->p += n; return 1; }
    }
    return jfail(j, "unexpected character");
}

/* Validates and skips one value of any type. Iterative, with an explicit stack of the open
 * containers, so a line of a million '[' costs no C stack. */
static int jskip(struct jp *j) {
    char stack[JSON_MAX_DEPTH];
    int d = 0;
    for (;;) {
        /* a value */
        jws(j);
        if (j->p >= j->e) return jfail(j, "unexpected end of line");
        switch (*j->p) {
        case '{':
        case '[':
            if (d == JSON_MAX_DEPTH) return jfail(j, "objects/arrays nested deeper than 512 levels");
            stack[d++] = *j->p == '{' ? '}' : ']';
            j->p++;
            jws(j);
            if (j->p < j->e && *j->p == stack[d - 1]) { j->p++; d--; break; }
            if (stack[d - 1] == '}') {
                if (j->p >= j->e || *j->p != '"') return jfail(j, "expected a string key");
                if (!jstring(j, NULL, NULL)) return 0;
                jws(j);
                if (j->p >= j->e || *j->p != ':') return jfail(j, "expected ':' after a key");
                j->p++;
            }
            continue;
        case '"':
            if (!jstring(j, NULL, NULL)) return 0;
            break;
        default:
            if (*j->p == '-' || is_digit(*j->p)) { if (!jnumber(j)) return 0; }
            else if (!jliteral(j)) return 0;
        }
        /* after a value: close containers, or a ',' and the next value */
        for (;;) {
            if (d == 0) return 1;
            jws(j);
            if (j->p >= j->e) return jfail(j, "unexpected end of line");
            if (*j->p == stack[d - 1]) { j->p++; d--; continue; }
            if (*j->p != ',') return jfail(j, stack[d - 1] == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
            j->p++;
            if (stack[d - 1] == '}') {
                jws(j);
                if (j->p >= j->e || *j->p != '"') return jfail(j, "expected a string key");
                if (!jstring(j, NULL, NULL)) return 0;
                jws(j);
                if (j->p >= j->e || *j->p != ':') return jfail(j, "expected ':' after a key");
                j->p++;
            }
            break;
        }
    }
}

enum { JK_OTHER, JK_ID, JK_TITLE, JK_CONTENTS, JK_TEXT };

/* One JSON line [s, e). Returns 0 with a message in *why on a bad record. */
static int json_record(struct rd *r, const uint8_t *s, const uint8_t *e, const char **why,
                       size_t *col, vs_rc *rc) {
    struct jp j = { s, s, e, NULL, &r->st->invalid_utf8 };
    int have_id = 0, have_title = 0, body_from = JK_OTHER;
    vs_buf_reset(&r->raw);  /* body */
    vs_buf_reset(&r->raw2); /* title */
    vs_buf_reset(&r->raw3); /* id */
    jws(&j);
    if (j.p >= j.e || *j.p != '{') { jfail(&j, "expected '{'"); goto bad; }
    j.p++;
    jws(&j);
    if (j.p < j.e && *j.p == '}') j.p++;
    else for (;;) {
        jws(&j);
        if (j.p >= j.e || *j.p != '"') { jfail(&j, "expected a string key"); goto bad; }
        vs_buf_reset(&r->key);
        if (!jstring(&j, &r->key, rc)) goto bad;
        if (*rc != VS_OK) return 0;
        int k = JK_OTHER;
        if (r->key.len == 2 && memcmp(r->key.p, "id", 2) == 0) k = JK_ID;
        else if (r->key.len == 5 && memcmp(r->key.p, "title", 5) == 0) k = JK_TITLE;
        else if (r->key.len == 8 && memcmp(r->key.p, "contents", 8) == 0) k = JK_CONTENTS;
        else if (r->key.len == 4 && memcmp(r->key.p, "text", 4) == 0) k = JK_TEXT;
        jws(&j);
        if (j.p >= j.e || *j.p != ':') { jfail(&j, "expected ':' after a key"); goto bad; }
        j.p++;
        jws(&j);
        if (j.p >= j.e) { jfail(&j, "unexpected end of line"); goto bad; }
        /* "contents" wins over "text" whichever comes first. */
        if (k == JK_TEXT && body_from == JK_CONTENTS) k = JK_OTHER;
        const uint8_t *v0 = j.p;
        if (k == JK_OTHER) {
            if (!jskip(&j)) goto bad;
        } else if (*j.p == '"') {
            vs_buf *dst = k == JK_ID ? &r->raw3 : k == JK_TITLE ? &r->raw2 : &r->raw;
            vs_buf_reset(dst);
            if (!jstring(&j, dst, rc)) goto bad;
            if (k == JK_ID) have_id = 1;
            else if (k == JK_TITLE) have_title = 1;
            else body_from = k;
        } else if (k == JK_ID && (*j.p == '-' || is_digit(*j.p))) {
            if (!jnumber(&j)) goto bad;
            vs_buf_reset(&r->raw3);
            vs_buf_put(&r->raw3, v0, (size_t)(j.p - v0), rc);
            have_id = 1;
        } else if (k != JK_ID && (size_t)(j.e - j.p) >= 4 && memcmp(j.p, "null", 4) == 0) {
            j.p += 4; /* null: as if the key were absent */
        } else {
            if (!jskip(&j)) goto bad;
            *why = k == JK_ID ? "\"id\" must be a string or a number" :
                   k == JK_TITLE ? "\"title\" must be a string" :
                   k == JK_CONTENTS ? "\"contents\" must be a string" : "\"text\" must be a string";
            *col = 0;
            return 0;
        }
        if (*rc != VS_OK) return 0;
        jws(&j);
        if (j.p < j.e && *j.p == ',') { j.p++; continue; }
        if (j.p < j.e && *j.p == '}') { j.p++; break; }
        jfail(&j, "expected ',' or '}'");
        goto bad;
    }
    jws(&j);
    if (j.p < j.e) { jfail(&j, "text after the end of the object"); goto bad; }
    if (!have_id) { *why = "no \"id\" field"; *col = 0; return 0; }
    if (!have_title && body_from == JK_OTHER) {
        *why = "no \"contents\", \"text\" or \"title\" field";
        *col = 0;
        return 0;
    }
    return 1;
bad:
    *why = j.why;
    *col = (size_t)(j.p - s) + 1;
    return 0;
}

static vs_rc read_jsonl(struct rd *r) {
    const uint8_t *p = r->p;
    /* a BOM only at the start of the file: a later window may begin with any line */
    size_t n = r->n, i = r->off0 == 0 ? skip_bom(p, n) : 0;
    uint64_t line = r->line0 - 1;
    while (i < n && !r->stop) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t ls = i, le = nl ? (size_t)(nl - p) : n;
        i = nl ? le + 1 : n;
        line++;
        size_t k = ls;
        while (k < le && is_ws(p[k])) k++;
        if (k == le) continue; /* blank line */
        const char *why = NULL;
        size_t col = 0;
        vs_rc rc = VS_OK;
        if (!json_record(r, p + ls, p + le, &why, &col, &rc)) {
            if (rc != VS_OK) return nomem(r);
            rc = col ? bad_record(r, line, "invalid JSON at column %zu: %s", col, why)
                     : bad_record(r, line, "bad JSON record: %s", why);
            if (rc != VS_OK) return rc;
            continue;
        }
        clean_into(r, &r->id, &r->raw3, 0, &rc);
        clean_into(r, &r->title, &r->raw2, 0, &rc);
        clean_into(r, &r->body, &r->raw, 1, &rc);
        if (rc != VS_OK) return nomem(r);
        if (r->id.len == 0) {
            if ((rc = bad_record(r, line, "bad JSON record: \"id\" is empty")) != VS_OK) return rc;
            continue;
        }
        if ((rc = deliver(r, ls, line)) != VS_OK) return rc;
    }
    return VS_OK;
}

/* ---------------------------------------------------------------- detection */

/* Binary: a NUL byte, a known compressed/binary signature, or more than 10% control bytes
 * (other than \t \n \r \f) in the head. Invalid UTF-8 alone does not count: Latin-1 text has
 * many high bytes but almost no control bytes. */
static int looks_binary(const uint8_t *h, size_t n) {
    static const struct { const char *magic; size_t len; } sigs[] = {
        { "\x1f\x8b", 2 },             /* gzip */
        { "\x28\xb5\x2f\xfd", 4 },     /* zstd */
        { "BZh", 3 },                  /* bzip2 */
        { "\xfd" "7zXZ", 5 },          /* xz */
        { "PK\x03\x04", 4 },           /* zip, docx, epub */
        { "%PDF-", 5 },
        { "\x89PNG", 4 },
        { "\xff\xd8\xff", 3 },         /* JPEG */
    };
    size_t ctrl = 0;
    if (n > HEAD_BYTES) n = HEAD_BYTES;
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (n >= sigs[i].len && memcmp(h, sigs[i].magic, sigs[i].len) == 0 &&
            (sigs[i].magic[0] != 'B' || (n > 3 && is_digit(h[3]))))
            return 1;
    if (memchr(h, 0, n)) return 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = h[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F) ctrl++;
    }
    return ctrl * 10 > n;
}

static const char *extension(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return (dot && dot != base) ? dot + 1 : "";
}

static int ext_is(const char *ext, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strlen(ext) == strlen(list[i]) && ieq((const uint8_t *)ext, list[i], strlen(ext))) return 1;
    return 0;
}

/* Sniffs a head (BOM and leading blanks skipped). TEXT when nothing else matches. */
static vs_format sniff(const uint8_t *h, size_t n) {
    size_t i = skip_bom(h, n);
    while (i < n && is_ws(h[i])) i++;
    const uint8_t *p = h + i, *e = h + n;
    if (has_prefix_ci(p, e, "<DOC>") || (has_prefix_ci(p, e, "<DOC") && e - p > 4 && is_ws(p[4])))
        return VS_FMT_TREC;
    if (p < e && *p == '<' && memmem(p, (size_t)(e - p), "<REUTERS", 8)) return VS_FMT_REUTERS;
    if (e - p >= 3 && p[0] == '.' && p[1] == 'I' && (p[2] == ' ' || p[2] == '\t')) return VS_FMT_SMART;
    if (p < e && *p == '{') {
        /* JSONL when the first line closes its object (or runs past the head). */
        const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) return VS_FMT_JSONL;
        while (nl > p && is_ws(nl[-1])) nl--;
        if (nl[-1] == '}') return VS_FMT_JSONL;
    }
    return VS_FMT_TEXT;
}

vs_format vs_source_detect(const char *path, const uint8_t *head, size_t n) {
    static const char *const text[] = { "txt", "text", "md", "markdown" };
    static const char *const trec[] = { "trec", "trectext" };
    static const char *const jsonl[] = { "jsonl", "ndjson" };
    static const char *const markup[] = { "sgm", "sgml", "xml" };
    static const char *const smart[] = { "all" };
    /* Not supported (yet): compressed archives, documents, images, executables. */
    static const char *const binary[] = { "gz", "zst", "bz2", "xz", "zip", "tgz", "tar", "7z", "pdf",
                                          "doc", "docx", "png", "jpg", "jpeg", "gif", "o", "so",
                                          "a", "exe" };
    if (!head) n = 0;
    if (n > HEAD_BYTES) n = HEAD_BYTES;
    if (n && looks_binary(head, n)) return VS_FMT_AUTO;
    const char *ext = extension(path ? path : "");
    if (ext_is(ext, text, 4)) return VS_FMT_TEXT;
    if (ext_is(ext, trec, 2)) return VS_FMT_TREC;
    if (ext_is(ext, jsonl, 2)) return VS_FMT_JSONL;
    if (ext_is(ext, smart, 1)) return VS_FMT_SMART;
    if (ext_is(ext, binary, sizeof binary / sizeof *binary)) return VS_FMT_AUTO;
    vs_format f = sniff(head, n);
    if (ext_is(ext, markup, 3)) {
        /* Markup we have no reader for would index its tags as words: refuse it. */
        if (f == VS_FMT_REUTERS || f == VS_FMT_TREC) return f;
        if (n == 0 && ieq((const uint8_t *)ext, "sgm", 3)) return VS_FMT_REUTERS;
        return VS_FMT_AUTO;
    }
    if (ext_is(ext, (const char *const[]){ "json" }, 1)) return f == VS_FMT_JSONL || n == 0 ? VS_FMT_JSONL : VS_FMT_AUTO;
    return f;
}

static const char *const FORMAT_NAMES[] = { "auto", "text", "trec", "jsonl", "reuters", "smart" };

const char *vs_format_name(vs_format f) {
    if ((unsigned)f < sizeof FORMAT_NAMES / sizeof *FORMAT_NAMES) return FORMAT_NAMES[f];
    return "unknown";
}

int vs_format_parse(const char *name) {
    if (!name) return -1;
    for (size_t i = 0; i < sizeof FORMAT_NAMES / sizeof *FORMAT_NAMES; i++)
        if (strcmp(name, FORMAT_NAMES[i]) == 0) return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- entry points */

/* Parses r->p[0, r->n) as format f. */
static vs_rc parse_buf(struct rd *r, vs_format f) {
    switch (f) {
    case VS_FMT_TEXT: return read_text(r);
    case VS_FMT_TREC: return walk_records(r, "DOC", trec_rec);
    case VS_FMT_JSONL: return read_jsonl(r);
    case VS_FMT_REUTERS: return walk_records(r, "REUTERS", reuters_rec);
    case VS_FMT_SMART: return read_smart(r);
    case VS_FMT_AUTO: break;
    }
    return VS_OK;
}

/* A TREC/Reuters/SMART input in which no record was even attempted is probably not of that
 * format (a README next to the collection): say so rather than index nothing silently. */
static vs_rc no_records(const char *name, vs_format f, const vs_source_opts *opts, vs_source_stats *st, vs_err *err) {
    static const char *const rec[] = { "", "", "<DOC>", "", "<REUTERS>", ".I" };
    if (opts->strict) return vs_err_set(err, VS_EDATA, "%s: no %s records", name, rec[f]);
    st->skipped_files++;
    warnf(opts, "%s: skipped: no %s records", name, rec[f]);
    return VS_OK;
}

static void rd_free(struct rd *r) {
    vs_buf_free(&r->raw); vs_buf_free(&r->raw2); vs_buf_free(&r->raw3); vs_buf_free(&r->key);
    vs_buf_free(&r->id); vs_buf_free(&r->title); vs_buf_free(&r->body);
}

vs_rc vs_source_read_mem(const char *name, const uint8_t *data, size_t len, const vs_source_opts *opts,
                         vs_doc_fn fn, void *ctx, vs_source_stats *st, vs_err *err) {
    static const vs_source_opts defaults = { VS_FMT_AUTO, 0, NULL, NULL };
    vs_source_stats dummy = { 0 };
    if (!opts) opts = &defaults;
    if (!st) st = &dummy;
    if (!name) name = "(memory)";
    if (!data && len) return vs_err_set(err, VS_EUSAGE, "no data for '%s'", name);
    vs_format f = opts->format;
    if ((unsigned)f > VS_FMT_SMART) return vs_err_set(err, VS_EUSAGE, "unknown source format %d", (int)f);
    if (len == 0) { /* an empty file: zero documents, whatever its name says */
        st->files++;
        return VS_OK;
    }
    if (f == VS_FMT_AUTO) {
        size_t h = len < HEAD_BYTES ? len : HEAD_BYTES;
        f = vs_source_detect(name, data, h);
        if (f == VS_FMT_AUTO) {
            const char *why = looks_binary(data, h) ? "binary file" : "unknown format";
            if (opts->strict) return vs_err_set(err, VS_EDATA, "%s: %s", name, why);
            st->skipped_files++;
            warnf(opts, "%s: skipped: %s", name, why);
            return VS_OK;
        }
    }
    st->files++;
    st->bytes += len;
    struct rd r;
    memset(&r, 0, sizeof r);
    r.name = name; r.p = data; r.n = len; r.o = opts; r.fn = fn; r.ctx = ctx; r.st = st; r.err = err;
    r.line = r.line0 = 1;
    uint64_t docs0 = st->docs, skipped0 = st->skipped_records;
    vs_rc rc = parse_buf(&r, f);
    if (rc == VS_OK && st->docs == docs0 && !r.stop && f != VS_FMT_TEXT && f != VS_FMT_JSONL &&
        st->skipped_records == skipped0) {
        size_t k = 0;
        while (k < len && is_ws(data[k])) k++;
        if (k < len) rc = no_records(name, f, opts, st, err);
    }
    rd_free(&r);
    return rc;
}

/* ---------------------------------------------------------------- streams
 * Compressed inputs (gzip, zstd: by their magic bytes), standard input and files of any size
 * are read as a stream into a window of about `window` bytes; each window is cut after the last
 * complete record (JSONL: a line; TREC: before the last <DOC>; Reuters: before the last
 * <REUTERS; SMART: before the last .I line) and parsed like a whole file, with line numbers and
 * offsets carried over, so messages and documents are the same as from one read of the file.
 * A record longer than the window grows it; a text file (one document) is read whole. */

enum { IN_PLAIN, IN_GZIP, IN_ZSTD };
#define RAW_BUF (256u * 1024)

typedef struct stream {
    const vs_source_in *in;
    const char *name;
    size_t mpos;                      /* memory input: next byte */
    int kind;
    uint8_t *raw;                     /* raw (compressed) bytes read, not yet consumed */
    size_t raw_len, raw_pos;
    int raw_eof;
    uint64_t raw_total;
    XXH3_state_t *h;
    z_stream z;
    int z_init;
    ZSTD_DStream *zs;
    int zs_pending;                   /* a zstd frame is not finished */
    int done;
} stream;

/* Reads raw bytes into s->raw (after what is left), hashing them. */
static vs_rc raw_fill(stream *s, vs_err *err) {
    if (s->raw_pos > 0) {
        memmove(s->raw, s->raw + s->raw_pos, s->raw_len - s->raw_pos);
        s->raw_len -= s->raw_pos;
        s->raw_pos = 0;
    }
    while (!s->raw_eof && s->raw_len < RAW_BUF) {
        size_t want = RAW_BUF - s->raw_len, got;
        if (s->in->fd >= 0) {
            ssize_t k = read(s->in->fd, s->raw + s->raw_len, want);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) return vs_err_errno(err, VS_EIO, errno, "cannot read '%s'", s->name);
            got = (size_t)k;
        } else {
            got = s->in->len - s->mpos < want ? s->in->len - s->mpos : want;
            memcpy(s->raw + s->raw_len, s->in->data + s->mpos, got);
            s->mpos += got;
        }
        if (got == 0) {
            s->raw_eof = 1;
            break;
        }
        if (s->h) XXH3_64bits_update(s->h, s->raw + s->raw_len, got);
        s->raw_len += got;
        s->raw_total += got;
        if (s->in->fd < 0) continue;
        break; /* one read per fill for descriptors: pipes deliver what they have */
    }
    return VS_OK;
}

static vs_rc bad_stream(stream *s, vs_err *err, const char *what) {
    return vs_err_set(err, VS_EDATA, "%s: %s data is damaged or truncated near byte %" PRIu64 ": %s", s->name,
                      s->kind == IN_GZIP ? "gzip" : "zstd", s->raw_total - (s->raw_len - s->raw_pos), what);
}

/* Up to cap decompressed bytes into out; *got = 0 at the end. */
static vs_rc stream_read(stream *s, uint8_t *out, size_t cap, size_t *got, vs_err *err) {
    *got = 0;
    vs_rc rc;
    while (*got == 0 && !s->done) {
        if (s->raw_pos == s->raw_len && !s->raw_eof && (rc = raw_fill(s, err)) != VS_OK) return rc;
        size_t avail = s->raw_len - s->raw_pos;
        if (s->kind == IN_PLAIN) {
            if (avail == 0) { s->done = 1; break; }
            size_t k = avail < cap ? avail : cap;
            memcpy(out, s->raw + s->raw_pos, k);
            s->raw_pos += k;
            *got = k;
        } else if (s->kind == IN_GZIP) {
            if (avail == 0) {
                if (s->z.total_in == 0) { s->done = 1; break; } /* ended cleanly between members */
                return bad_stream(s, err, "unexpected end");
            }
            s->z.next_in = s->raw + s->raw_pos;
            s->z.avail_in = (uInt)(avail > UINT32_MAX ? UINT32_MAX : avail);
            s->z.next_out = out;
            s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
            int ret = inflate(&s->z, Z_NO_FLUSH);
            s->raw_pos += (size_t)(s->z.next_in - (s->raw + s->raw_pos));
            *got = (size_t)(s->z.next_out - out);
            if (ret == Z_STREAM_END) {
                inflateReset(&s->z); /* another gzip member may follow */
                s->z.total_in = 0;
            } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && *got > 0)) {
                return bad_stream(s, err, s->z.msg ? s->z.msg : "inflate failed");
            }
        } else {
            if (avail == 0) {
                if (s->zs_pending) return bad_stream(s, err, "unexpected end");
                s->done = 1;
                break;
            }
            ZSTD_inBuffer ib = { s->raw + s->raw_pos, avail, 0 };
            ZSTD_outBuffer ob = { out, cap, 0 };
            size_t ret = ZSTD_decompressStream(s->zs, &ob, &ib);
            if (ZSTD_isError(ret)) return bad_stream(s, err, ZSTD_getErrorName(ret));
            s->raw_pos += ib.pos;
            s->zs_pending = ret != 0;
            *got = ob.pos;
        }
    }
    return VS_OK;
}

static vs_rc stream_open(stream *s, const vs_source_in *in, const char *name, int hash, vs_err *err) {
    memset(s, 0, sizeof *s);
    s->in = in;
    s->name = name;
    if (!(s->raw = malloc(RAW_BUF))) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name);
    if (hash) {
        if (!(s->h = XXH3_createState())) return vs_err_set(err, VS_ENOMEM, "out of memory");
        XXH3_64bits_reset(s->h);
    }
    vs_rc rc = VS_OK;
    while (rc == VS_OK && s->raw_len < 4 && !s->raw_eof) rc = raw_fill(s, err);
    if (rc != VS_OK) return rc;
    const uint8_t *m = s->raw;
    if (s->raw_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        s->kind = IN_GZIP;
        if (inflateInit2(&s->z, 15 + 32) != Z_OK) return vs_err_set(err, VS_ENOMEM, "out of memory (zlib)");
        s->z_init = 1;
    } else if (s->raw_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
        s->kind = IN_ZSTD;
        if (!(s->zs = ZSTD_createDStream())) return vs_err_set(err, VS_ENOMEM, "out of memory (zstd)");
        ZSTD_initDStream(s->zs);
    }
    return VS_OK;
}

/* Reads the rest of the raw input (for its hash) without decompressing it. */
static vs_rc stream_drain(stream *s, vs_err *err) {
    vs_rc rc = VS_OK;
    while (rc == VS_OK && !s->raw_eof) {
        s->raw_pos = s->raw_len;
        rc = raw_fill(s, err);
    }
    return rc;
}

static void stream_close(stream *s) {
    if (s->z_init) inflateEnd(&s->z);
    ZSTD_freeDStream(s->zs);
    if (s->h) XXH3_freeState(s->h);
    free(s->raw);
}

/* Where the last complete record of p[0, n) ends (the next one starts), or 0 if none does. */
static size_t boundary(vs_format f, const uint8_t *p, size_t n) {
    if (f == VS_FMT_JSONL) {
        const uint8_t *nl = memrchr(p, '\n', n);
        return nl ? (size_t)(nl - p) + 1 : 0;
    }
    if (f == VS_FMT_SMART) {
        for (size_t i = n; i-- > 1;)
            if (p[i - 1] == '\n' && p[i] == '.' && i + 2 < n && p[i + 1] == 'I' && (p[i + 2] == ' ' || p[i + 2] == '\t')) return i;
        return 0;
    }
    /* TREC, Reuters: a record starts at every start tag <DOC> / <REUTERS ..> that the parser's
     * sequential tag scan meets (walk_records). The window starts at such a tag, so scanning it
     * from its start meets the same tags as the scan of the whole file, up to the first '<'
     * whose meaning depends on bytes past the window (a comment, CDATA section or tag cut by
     * its end): the last record start before that is the cut. (A backward search for "<DOC"
     * would also find one inside a comment, an attribute value or a broken tag: F10.) */
    const char *tag = f == VS_FMT_TREC ? "DOC" : "REUTERS";
    struct scan sc = { p + n, { NULL, NULL }, { NULL, NULL }, NULL };
    struct tag t;
    const uint8_t *q = p;
    size_t last = 0;
    while (next_tag(&sc, q, &t) && !sc.partial) {
        if (!t.close && tag_is(&t, tag)) last = (size_t)(t.s - p);
        q = t.e;
    }
    return last;
}

static const char *inner_name(const char *name, int kind, char *buf, size_t cap) {
    static const char *const sfx[] = { ".gz", ".gzip", ".zst", ".zstd" };
    if (kind == IN_PLAIN) return name;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && n - k < cap && ends_with_ci(name, sfx[i])) {
            memcpy(buf, name, n - k);
            buf[n - k] = '\0';
            return buf;
        }
    }
    return "";
}

vs_rc vs_source_read_input(const char *name, const vs_source_in *in, size_t window, const vs_source_opts *opts,
                           vs_doc_fn fn, void *ctx, vs_source_stats *st, uint64_t *raw_hash, vs_err *err) {
    static const vs_source_opts defaults = { VS_FMT_AUTO, 0, NULL, NULL };
    vs_source_stats dummy = { 0 };
    if (!opts) opts = &defaults;
    if (!st) st = &dummy;
    if (!name) name = "(memory)";
    if ((unsigned)opts->format > VS_FMT_SMART) return vs_err_set(err, VS_EUSAGE, "unknown source format %d", (int)opts->format);
    if (window < HEAD_BYTES) window = HEAD_BYTES; /* format detection needs the head in one window */
    stream s;
    struct rd r;
    memset(&r, 0, sizeof r);
    uint8_t *buf = NULL;
    size_t len = 0, cap = window, got;
    vs_rc rc = stream_open(&s, in, name, raw_hash != NULL, err);
    if (rc == VS_OK && !(buf = malloc(cap))) rc = vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name);
    vs_err herr;
    int skip = 0;
    while (rc == VS_OK && len < HEAD_BYTES) {
        if ((rc = stream_read(&s, buf + len, cap - len, &got, &herr)) != VS_OK) {
            if (rc == VS_EDATA && !opts->strict) { /* parse what there is; the loop below meets it again */
                rc = VS_OK;
                if (len == 0) {
                    st->skipped_files++;
                    warnf(opts, "%s", herr.msg);
                    skip = 1;
                }
            } else if (err) {
                *err = herr;
            }
            break;
        }
        if (got == 0) break;
        len += got;
    }
    vs_format f = opts->format;
    if (skip) {
    } else if (rc == VS_OK && len == 0) { /* an empty input: zero documents, whatever its name says */
        st->files++;
        skip = 1;
    } else if (rc == VS_OK && f == VS_FMT_AUTO) {
        char nb[4096];
        size_t h = len < HEAD_BYTES ? len : HEAD_BYTES;
        f = vs_source_detect(inner_name(name, s.kind, nb, sizeof nb), buf, h);
        if (f == VS_FMT_AUTO) {
            const char *why = looks_binary(buf, h) ? "binary file" : "unknown format";
            if (opts->strict) rc = vs_err_set(err, VS_EDATA, "%s: %s", name, why);
            else {
                st->skipped_files++;
                warnf(opts, "%s: skipped: %s", name, why);
                skip = 1;
            }
        }
    }
    if (rc == VS_OK && !skip) {
        st->files++;
        r.name = name; r.o = opts; r.fn = fn; r.ctx = ctx; r.st = st; r.err = err;
        uint64_t line = 1, off = 0, docs0 = st->docs, skipped0 = st->skipped_records;
        int end = 0, content = 0, damaged = 0;
        vs_err derr;
        while (rc == VS_OK) {
            while (!end && len < cap) {
                if ((rc = stream_read(&s, buf + len, cap - len, &got, &derr)) != VS_OK) {
                    /* damaged compressed data: the records before it are read, then it is a
                     * bad record (skipped and warned about), or fatal under --strict */
                    if (rc == VS_EDATA && !opts->strict) {
                        damaged = 1;
                        end = 1;
                        rc = VS_OK;
                    } else if (err) {
                        *err = derr;
                    }
                    break;
                }
                if (got == 0) end = 1;
                len += got;
            }
            if (rc != VS_OK) break;
            size_t cut = end ? len : f == VS_FMT_TEXT ? 0 : boundary(f, buf, len);
            if (cut == 0 && !end) { /* a record longer than the window (or a text file): grow */
                uint8_t *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
                if (!nb) { rc = vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", name); break; }
                buf = nb;
                cap *= 2;
                continue;
            }
            for (size_t k = 0; k < cut && !content; k++) content = !is_ws(buf[k]);
            r.p = buf; r.n = cut; r.line0 = r.line = line; r.off0 = off; r.lpos = 0;
            st->bytes += cut;
            if ((rc = parse_buf(&r, f)) != VS_OK || r.stop) break;
            for (const uint8_t *q = buf, *e = buf + cut; (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++) line++;
            off += cut;
            memmove(buf, buf + cut, len - cut);
            len -= cut;
            if (end && len == 0) break;
        }
        if (damaged && rc == VS_OK) {
            st->skipped_records++;
            warnf(opts, "%s", derr.msg);
        } else if (rc == VS_OK && st->docs == docs0 && !r.stop && f != VS_FMT_TEXT && f != VS_FMT_JSONL &&
                   st->skipped_records == skipped0 && content) {
            rc = no_records(name, f, opts, st, err);
        }
    }
    if (rc == VS_OK && raw_hash && !r.stop) rc = stream_drain(&s, err);
    if (rc == VS_OK && raw_hash) *raw_hash = XXH3_64bits_digest(s.h);
    rd_free(&r);
    free(buf);
    stream_close(&s);
    return rc;
}

vs_rc vs_source_read_file(const char *path, const vs_source_opts *opts, vs_doc_fn fn, void *ctx,
                          vs_source_stats *st, vs_err *err) {
    vs_source_stats dummy = { 0 };
    if (!st) st = &dummy;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return vs_err_errno(err, e == ENOENT || e == ENOTDIR ? VS_ENOENT : VS_EIO, e, "cannot read '%s'", path);
    }
    struct stat sb;
    int fs = fstat(fd, &sb);
    if (fs != 0 || S_ISDIR(sb.st_mode)) {
        int e = fs != 0 ? errno : EISDIR;
        close(fd);
        return vs_err_errno(err, VS_EIO, e, "cannot read '%s'", path);
    }
    vs_source_in in = { .fd = fd };
    /* Files up to 64 MiB are parsed in one window, as one buffer; larger ones in windows. */
    vs_source_stats before = *st;
    vs_rc rc = vs_source_read_input(path, &in, (size_t)64 << 20, opts, fn, ctx, st, NULL, err);
    close(fd);
    if (rc == VS_EIO) *st = before; /* an unreadable file is not counted (see source.h) */
    return rc;
}

/* ---------------------------------------------------------------- walking directories */

struct plist {
    char **v;
    size_t n, cap;
};

/* Takes ownership of s (freed on failure). */
static vs_rc plist_add(struct plist *l, char *s) {
    if (!s) return VS_ENOMEM;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        char **nv = reallocarray(l->v, ncap, sizeof *nv);
        if (!nv) { free(s); return VS_ENOMEM; }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = s;
    return VS_OK;
}

static char *path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *s = malloc(a + (size_t)slash + b + 1);
    if (!s) return NULL;
    memcpy(s, dir, a);
    if (slash) s[a] = '/';
    memcpy(s + a + (size_t)slash, name, b + 1);
    return s;
}

struct frame {
    char *path;
    dev_t dev;
    ino_t ino;
    struct plist kids;   /* subdirectories still to visit */
    size_t next;
};

/* Reads one directory: regular files go to files, subdirectories to f->kids. Names starting
 * with '.' are skipped. A directory that cannot be read is warned about (an error under
 * strict). */
static vs_rc list_dir(struct frame *f, const vs_source_opts *o, struct plist *files, vs_err *err) {
    DIR *d = opendir(f->path);
    if (!d) {
        int e = errno;
        if (o->strict) return vs_err_errno(err, VS_EIO, e, "cannot open directory '%s'", f->path);
        warnf(o, "cannot open directory '%s': %s", f->path, strerror(e));
        return VS_OK;
    }
    vs_rc rc = VS_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            int e = errno;
            if (e) {
                if (o->strict) rc = vs_err_errno(err, VS_EIO, e, "cannot read directory '%s'", f->path);
                else warnf(o, "cannot read directory '%s': %s", f->path, strerror(e));
            }
            break;
        }
        if (de->d_name[0] == '.') continue;
        char *full = path_join(f->path, de->d_name);
        if (!full) { rc = VS_ENOMEM; break; }
        int isdir = de->d_type == DT_DIR, isreg = de->d_type == DT_REG;
        if (!isdir && !isreg) { /* symlink or unknown: look at the target */
            struct stat sb;
            if (stat(full, &sb) != 0) {
                warnf(o, "%s: skipped: %s", full, strerror(errno));
                free(full);
                continue;
            }
            isdir = S_ISDIR(sb.st_mode);
            isreg = S_ISREG(sb.st_mode);
        }
        if (isreg) rc = plist_add(files, full);
        else if (isdir) rc = plist_add(&f->kids, full);
        else {
            warnf(o, "%s: skipped: not a regular file", full);
            free(full);
        }
        if (rc != VS_OK) break;
    }
    closedir(d);
    if (rc == VS_ENOMEM) return vs_err_set(err, VS_ENOMEM, "out of memory listing '%s'", f->path);
    return rc;
}

static void frame_free(struct frame *f) {
    free(f->path);
    for (size_t i = f->next; i < f->kids.n; i++) free(f->kids.v[i]);
    free(f->kids.v);
}

/* Depth-first walk with an explicit stack of frames (no recursion). Each frame is a directory
 * on the current path, so a subdirectory whose dev/ino matches a frame is a loop (a symlink
 * back to an ancestor) and is skipped. Directories are read whole and closed before descending,
 * so the walk holds one open descriptor at a time whatever the depth. */
static vs_rc walk_dir(const char *root, const struct stat *rsb, const vs_source_opts *o,
                      struct plist *files, vs_err *err) {
    struct frame *stack = NULL;
    size_t n = 0, cap = 0;
    vs_rc rc = VS_OK;
    char *path = strdup(root);
    dev_t dev = rsb->st_dev;
    ino_t ino = rsb->st_ino;
    if (!path) return vs_err_set(err, VS_ENOMEM, "out of memory listing '%s'", root);
    for (;;) {
        if (path) { /* push and read a new directory */
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct frame *ns = reallocarray(stack, ncap, sizeof *ns);
                if (!ns) {
                    free(path);
                    rc = vs_err_set(err, VS_ENOMEM, "out of memory listing '%s'", root);
                    break;
                }
                stack = ns;
                cap = ncap;
            }
            stack[n] = (struct frame){ path, dev, ino, { NULL, 0, 0 }, 0 };
            path = NULL;
            if ((rc = list_dir(&stack[n++], o, files, err)) != VS_OK) break;
        }
        if (n == 0) break;
        struct frame *f = &stack[n - 1];
        if (f->next == f->kids.n) {
            frame_free(f);
            n--;
            continue;
        }
        char *kid = f->kids.v[f->next++];
        struct stat sb;
        if (stat(kid, &sb) != 0) {
            warnf(o, "%s: skipped: %s", kid, strerror(errno));
            free(kid);
            continue;
        }
        size_t k = 0;
        while (k < n && !(stack[k].dev == sb.st_dev && stack[k].ino == sb.st_ino)) k++;
        if (k < n) {
            warnf(o, "%s: skipped: directory loop (it is '%s')", kid, stack[k].path);
            free(kid);
            continue;
        }
        if (n >= WALK_MAX_DEPTH) {
            warnf(o, "%s: skipped: directories nested deeper than %d levels", kid, WALK_MAX_DEPTH);
            free(kid);
            continue;
        }
        path = kid;
        dev = sb.st_dev;
        ino = sb.st_ino;
    }
    while (n) frame_free(&stack[--n]);
    free(stack);
    return rc;
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

vs_rc vs_source_walk(const char *const *paths, size_t n, const vs_source_opts *opts, char ***out,
                     size_t *n_out, vs_err *err) {
    static const vs_source_opts defaults = { VS_FMT_AUTO, 0, NULL, NULL };
    struct plist l = { NULL, 0, 0 };
    vs_rc rc = VS_OK;
    if (!opts) opts = &defaults;
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n && rc == VS_OK; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            int e = errno;
            rc = vs_err_errno(err, e == ENOENT || e == ENOTDIR ? VS_ENOENT : VS_EIO, e, "cannot open '%s'", paths[i]);
        } else if (S_ISDIR(sb.st_mode)) {
            rc = walk_dir(paths[i], &sb, opts, &l, err);
        } else if ((rc = plist_add(&l, strdup(paths[i]))) != VS_OK) {
            rc = vs_err_set(err, VS_ENOMEM, "out of memory listing '%s'", paths[i]);
        }
    }
    if (rc != VS_OK) {
        vs_source_paths_free(l.v, l.n);
        return rc;
    }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, cmp_path);
    size_t w = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (w && strcmp(l.v[w - 1], l.v[i]) == 0) free(l.v[i]);
        else l.v[w++] = l.v[i];
    }
    *out = l.v;
    *n_out = w;
    return VS_OK;
}

void vs_source_paths_free(char **paths, size_t n) {
    if (!paths) return;
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
