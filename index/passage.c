/* passage.c: document body -> passages (see passage.h, DESIGN.md §4).
 *
 * The rules, in the order they apply (all deterministic, byte-based, no locale):
 *
 * 1. Lines. A line ends at "\n", "\r\n" or a lone "\r". Whitespace is ' ', '\t', '\v', '\f', '\r'
 *    and U+00A0 (NBSP, common in web text). Trailing whitespace of every line is dropped. A line
 *    of only whitespace is blank.
 * 2. Paragraphs. Blank lines separate paragraphs. Inside a run of non-blank lines, a line L also
 *    starts a new paragraph when L is indented by at least INDENT_MIN = 2 columns (space and NBSP
 *    count 1, tab 4), L is not a table row, and the line before L is unindented (< 2 columns),
 *    or is a table row, or ends a sentence ('.', '!' or '?', possibly followed by closing quotes
 *    or brackets). A table row has a tab or TABLE_GAP = 3 spaces in a row after its indentation
 *    (column alignment; prose has at most two spaces, after a full stop). This is the newswire
 *    convention (Reuters: paragraph starts indented by 4-5 spaces, continuation lines not
 *    indented): a one-line indented paragraph ending in '.' is followed by a new one; indented
 *    lines that do not end sentences ("    Sorghum nil (nil)") and table rows stay together;
 *    prose after a table starts anew; Reuters' one-space " Reuter" sign-off stays with the text.
 * 3. Headings. A paragraph of one line with at most HEADING_MAX_WORDS words and
 *    HEADING_MAX_BYTES bytes whose last character (after closing quotes/brackets) is not '.', '!',
 *    '?', ',' or ';' is a heading: it is joined to the next paragraph with one "\n"
 *    ("Security Cooperation: Countering Regional Threats\nSecurity cooperation was ..."). A line
 *    ending in ':' counts as a heading too: it introduces what follows. Consecutive headings
 *    chain; a heading chain that would exceed max_words words, or that ends the body, becomes a
 *    passage of its own.
 * 4. Text. A passage keeps its lines separated by "\n" (no "\r"), each without trailing
 *    whitespace; the first line loses its indentation, later lines keep theirs (tables).
 * 5. Long paragraphs. Words are runs of non-whitespace. A paragraph (with its headings) of more
 *    than max_words words is cut into pieces of at most max_words words. The number of pieces is
 *    ceil(words / max_words) at each step and the aim is equal pieces: the cut is made at the
 *    sentence end closest to that target size (ties: the longer piece); a sentence end is a word
 *    ending in '.', '!' or '?' (closing quotes/brackets allowed) followed by a word starting
 *    (after opening quotes/brackets) with an ASCII capital, a digit or a non-ASCII character.
 *    With no sentence end within max_words words, the cut falls after exactly the target number
 *    of words. Whitespace between pieces belongs to neither.
 * 6. whole_doc: the body with leading and trailing whitespace removed, byte for byte, is the
 *    only passage; a body of only whitespace gives none.
 *
 * Every passage text is followed by a NUL in the list's buffer (not counted in len). src_off is
 * the body offset of the passage's first byte. */
#include "passage.h"

#include <stdlib.h>
#include <string.h>

#define HEADING_MAX_WORDS 12
#define HEADING_MAX_BYTES 200
#define TABLE_GAP 3
#define INDENT_MIN 2 /* columns: a single leading space is noise (" Reuter"), not a paragraph */

typedef struct seg {
    size_t off, len; /* a piece of a line in the body */
} seg;

typedef struct span {
    size_t start, end; /* a word in the paragraph text */
} span;

typedef struct splitter {
    const uint8_t *body;
    uint32_t max_words;
    vs_passage_list *out;
    vs_rc rc; /* sticky */

    seg *para; /* lines of the paragraph being read */
    size_t n_para, cap_para;
    seg *head; /* pending heading lines */
    size_t n_head, cap_head, head_words;
    seg *all; /* head + para, for emission */
    size_t cap_all;

    vs_buf text;  /* a paragraph being cut into pieces */
    size_t *toff; /* offset of each segment in the paragraph text */
    size_t cap_toff;
    span *words; /* window of max_words + 1 words of the paragraph being cut */
    size_t cap_words;
} splitter;

/* ---- characters -------------------------------------------------------------------------- */

/* Bytes of the whitespace character at p (0 if none); p < end. */
static inline size_t ws_at(const uint8_t *p, const uint8_t *end) {
    switch (*p) {
    case ' ': case '\t': case '\v': case '\f': case '\r': case '\n':
        return 1;
    case 0xC2:
        return p + 1 < end && p[1] == 0xA0 ? 2 : 0;
    default:
        return 0;
    }
}

/* Bytes of the whitespace character ending just before e (0 if none); b < e. */
static inline size_t ws_before(const uint8_t *b, const uint8_t *e) {
    uint8_t c = e[-1];
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n') return 1;
    if (c == 0xA0 && e - b >= 2 && e[-2] == 0xC2) return 2;
    return 0;
}

/* Length of a closing quote/bracket ending just before e, or 0. */
static size_t closer_before(const uint8_t *b, const uint8_t *e) {
    uint8_t c = e[-1];
    if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '}') return 1;
    /* U+2019 ’ = E2 80 99, U+201D ” = E2 80 9D */
    if (e - b >= 3 && e[-3] == 0xE2 && e[-2] == 0x80 && (c == 0x99 || c == 0x9D)) return 3;
    return 0;
}

/* Length of an opening quote/bracket starting at p, or 0. */
static size_t opener_at(const uint8_t *p, const uint8_t *end) {
    uint8_t c = *p;
    if (c == '"' || c == '\'' || c == '(' || c == '[' || c == '{') return 1;
    /* U+2018 ‘ = E2 80 98, U+201C “ = E2 80 9C */
    if (end - p >= 3 && c == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x9C)) return 3;
    return 0;
}

/* The last character of [b, e) that is not a closing quote/bracket, or 0. */
static uint8_t last_char(const uint8_t *b, const uint8_t *e) {
    size_t k;
    while (e > b && (k = closer_before(b, e)) != 0) e -= k;
    return e > b ? e[-1] : 0;
}

static int ends_sentence(const uint8_t *b, const uint8_t *e) {
    uint8_t c = last_char(b, e);
    return c == '.' || c == '!' || c == '?';
}

static int starts_sentence(const uint8_t *p, const uint8_t *end) {
    size_t k;
    while (p < end && (k = opener_at(p, end)) != 0) p += k;
    if (p >= end) return 0;
    return (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p >= 0xC0;
}

/* A table row: a tab or TABLE_GAP spaces in a row after the text has started (column
 * alignment; prose has at most two spaces, after a full stop). */
static int tabular(const uint8_t *p, const uint8_t *end) {
    static const char gap[TABLE_GAP + 1] = "   ";
    size_t n = (size_t)(end - p);
    return memchr(p, '\t', n) != NULL || memmem(p, n, gap, TABLE_GAP) != NULL;
}

/* Words (runs of non-whitespace) in [p, end), counting stops once past stop_after. Branch-light:
 * this runs over every byte of every paragraph. */
static size_t count_words(const uint8_t *p, const uint8_t *end, size_t stop_after) {
    size_t n = 0;
    unsigned prev_ws = 1;
    for (; p < end; p++) {
        uint8_t c = *p;
        unsigned ws = (c == ' ') | ((uint8_t)(c - '\t') < 5); /* \t \n \v \f \r */
        if (c == 0xC2 && p + 1 < end && p[1] == 0xA0) {
            ws = 1;
            p++;
        }
        n += (ws ^ 1u) & prev_ws;
        prev_ws = ws;
        if (n > stop_after) break;
    }
    return n;
}

/* ---- growth ------------------------------------------------------------------------------ */

/* Returns v grown to hold need elements (and updates *cap), or v itself with *rc = VS_ENOMEM. */
static void *grow_to(void *v, size_t *cap, size_t need, size_t size, vs_rc *rc) {
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) {
            *rc = VS_ENOMEM;
            return v;
        }
        nc *= 2;
    }
    void *p = reallocarray(v, nc, size);
    if (!p) {
        *rc = VS_ENOMEM;
        return v;
    }
    *cap = nc;
    return p;
}

/* Makes room for `need` elements in arr; 0 on success, -1 once sp->rc is set (sticky). */
#define GROW(sp, arr, cap, need)                                                              \
    (((sp)->rc == VS_OK && (need) > (cap)                                                     \
          ? (void)((arr) = grow_to((arr), &(cap), (need), sizeof *(arr), &(sp)->rc))          \
          : (void)0),                                                                         \
     (sp)->rc == VS_OK ? 0 : -1)

/* ---- emission ---------------------------------------------------------------------------- */

static void add_passage(splitter *sp, const uint8_t *p, size_t n, size_t src_off) {
    vs_passage_list *o = sp->out;
    if (GROW(sp, o->v, o->cap, o->n + 1) != 0) return;
    vs_buf_put(&o->text, p, n, &sp->rc);
    vs_buf_put8(&o->text, 0, &sp->rc);
    if (sp->rc != VS_OK) return;
    o->v[o->n].text = NULL; /* set once the buffer stops moving */
    o->v[o->n].len = n;
    o->v[o->n].src_off = src_off;
    o->n++;
}

/* Body offset of paragraph-text offset t (t is inside a segment, never on a joining "\n"). */
static size_t src_of(const splitter *sp, size_t nseg, size_t t) {
    size_t lo = 0, hi = nseg;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (sp->toff[mid] <= t) lo = mid;
        else hi = mid;
    }
    return sp->all[lo].off + (t - sp->toff[lo]);
}

static int sentence_cut(const splitter *sp, size_t w) {
    const uint8_t *t = sp->text.p;
    const span *a = &sp->words[w], *b = &sp->words[w + 1];
    return ends_sentence(t + a->start, t + a->end) && starts_sentence(t + b->start, t + b->end);
}

/* Emits segments all[0..n) as one paragraph, split into pieces of <= max_words words. The
 * paragraph is built straight into the list's buffer; only one that must be cut is moved to the
 * scratch buffer first. */
static void emit(splitter *sp, size_t n) {
    if (n == 0 || sp->rc != VS_OK) return;
    vs_passage_list *o = sp->out;
    if (GROW(sp, sp->toff, sp->cap_toff, n) != 0 || GROW(sp, o->v, o->cap, o->n + 1) != 0) return;
    size_t base = o->text.len;
    for (size_t i = 0; i < n; i++) {
        if (i) vs_buf_put8(&o->text, '\n', &sp->rc);
        sp->toff[i] = o->text.len - base;
        vs_buf_put(&o->text, sp->body + sp->all[i].off, sp->all[i].len, &sp->rc);
    }
    if (sp->rc != VS_OK) return;
    size_t plen = o->text.len - base, nw = 0;
    /* n bytes hold at most (n + 1) / 2 words: most paragraphs need no counting at all. */
    if ((plen + 1) / 2 > sp->max_words) {
        const uint8_t *t0 = o->text.p + base;
        nw = count_words(t0, t0 + plen, SIZE_MAX);
    }
    if (nw <= sp->max_words) {
        vs_buf_put8(&o->text, 0, &sp->rc);
        if (sp->rc != VS_OK) return;
        o->v[o->n].text = NULL; /* set once the buffer stops moving */
        o->v[o->n].len = plen;
        o->v[o->n].src_off = sp->all[0].off;
        o->n++;
        return;
    }
    sp->text.len = 0;
    vs_buf_put(&sp->text, o->text.p + base, plen, &sp->rc);
    o->text.len = base;
    if (sp->rc != VS_OK) return;
    const uint8_t *t = sp->text.p, *end = t + sp->text.len;

    /* Cut piece by piece. Only a window of max_words + 1 words is kept (memory stays
     * O(max_words) whatever the paragraph's size); each step rescans at most that window. */
    size_t max = sp->max_words, done = 0;
    if (GROW(sp, sp->words, sp->cap_words, (size_t)max + 1) != 0) return;
    const uint8_t *p = t;
    while (done < nw && sp->rc == VS_OK) {
        size_t rem = nw - done, want = rem < max + 1 ? rem : max + 1, m = 0;
        while (m < want && p < end) {
            size_t k = ws_at(p, end);
            if (k) {
                p += k;
                continue;
            }
            sp->words[m].start = (size_t)(p - t);
            while (p < end && !ws_at(p, end)) p++;
            sp->words[m++].end = (size_t)(p - t);
        }
        if (m == 0) break; /* cannot happen: nw counted the same words */
        size_t k = rem < m ? rem : m;
        if (rem > max && m == max + 1) {
            size_t pieces = (rem + max - 1) / max;
            size_t target = (rem + pieces - 1) / pieces;
            size_t best = 0, best_d = SIZE_MAX;
            for (size_t c = 1; c <= max; c++) { /* piece = window words 0 .. c-1 */
                if (!sentence_cut(sp, c - 1)) continue;
                size_t d = c > target ? c - target : target - c;
                if (d <= best_d) {
                    best = c;
                    best_d = d;
                }
            }
            k = best ? best : target;
        }
        size_t a = sp->words[0].start, b = sp->words[k - 1].end;
        add_passage(sp, t + a, b - a, src_of(sp, n, a));
        p = t + b;
        done += k;
    }
}

/* Emits pending headings followed by the current paragraph lines (either may be empty). */
static void emit_with_heads(splitter *sp, int with_para) {
    size_t n = sp->n_head + (with_para ? sp->n_para : 0);
    if (GROW(sp, sp->all, sp->cap_all, n) != 0) return;
    if (sp->n_head) memcpy(sp->all, sp->head, sp->n_head * sizeof *sp->all);
    if (with_para && sp->n_para) memcpy(sp->all + sp->n_head, sp->para, sp->n_para * sizeof *sp->all);
    emit(sp, n);
    sp->n_head = 0;
    sp->head_words = 0;
}

static int is_heading(const uint8_t *p, size_t n, size_t *words) {
    if (n > HEADING_MAX_BYTES) return 0;
    *words = count_words(p, p + n, HEADING_MAX_WORDS);
    if (*words > HEADING_MAX_WORDS) return 0;
    uint8_t c = last_char(p, p + n);
    return c != '.' && c != '!' && c != '?' && c != ',' && c != ';';
}

/* The paragraph in sp->para is complete. */
static void end_para(splitter *sp) {
    if (sp->n_para == 0 || sp->rc != VS_OK) return;
    size_t hw;
    if (sp->n_para == 1 && is_heading(sp->body + sp->para[0].off, sp->para[0].len, &hw)) {
        if (sp->n_head && sp->head_words + hw > sp->max_words) emit_with_heads(sp, 0);
        if (GROW(sp, sp->head, sp->cap_head, sp->n_head + 1) == 0) {
            sp->head[sp->n_head++] = sp->para[0];
            sp->head_words += hw;
        }
    } else {
        emit_with_heads(sp, 1);
    }
    sp->n_para = 0;
}

static void split_paragraphs(splitter *sp, size_t len) {
    const uint8_t *b = sp->body;
    size_t pos = 0;
    int have_prev = 0;
    size_t prev_indent = 0, prev_off = 0, prev_end = 0;
    while (pos < len && sp->rc == VS_OK) {
        size_t line = pos, e;
        const uint8_t *nl = memchr(b + pos, '\n', len - pos);
        e = nl ? (size_t)(nl - b) : len;
        const uint8_t *cr = memchr(b + pos, '\r', e - pos); /* "\r\n" or a lone "\r" */
        if (cr) e = (size_t)(cr - b);
        pos = e;
        if (pos < len) pos += (b[pos] == '\r' && pos + 1 < len && b[pos + 1] == '\n') ? 2 : 1;

        size_t s = line, k, indent = 0;
        while (e > s && (k = ws_before(b + s, b + e)) != 0) e -= k;
        while (s < e && (k = ws_at(b + s, b + e)) != 0) {
            indent += b[s] == '\t' ? 4 : 1;
            s += k;
        }
        if (s == e) { /* blank */
            end_para(sp);
            have_prev = 0;
            continue;
        }
        /* tabular() is only worked out for indented lines and the line before them */
        if (have_prev && indent >= INDENT_MIN && !tabular(b + s, b + e) &&
            (prev_indent < INDENT_MIN || ends_sentence(b + prev_off, b + prev_end) ||
             tabular(b + prev_off, b + prev_end)))
            end_para(sp);
        if (GROW(sp, sp->para, sp->cap_para, sp->n_para + 1) != 0) return;
        /* The first line of a paragraph loses its indentation; later lines keep it (tables). */
        seg g;
        g.off = sp->n_para == 0 ? s : line;
        g.len = e - g.off;
        sp->para[sp->n_para++] = g;
        have_prev = 1;
        prev_indent = indent;
        prev_off = s;
        prev_end = e;
    }
    end_para(sp);
    if (sp->n_head) emit_with_heads(sp, 0);
}

vs_rc vs_passage_split(const char *body, size_t len, const vs_passage_opts *opts,
                       vs_passage_list *out, vs_err *err) {
    out->n = 0;
    out->text.len = 0;
    splitter sp;
    memset(&sp, 0, sizeof sp);
    sp.body = (const uint8_t *)body;
    sp.max_words = opts && opts->max_words ? opts->max_words : VS_PASSAGE_MAX_WORDS;
    sp.out = out;
    sp.rc = VS_OK;

    if (opts && opts->whole_doc) {
        const uint8_t *b = sp.body, *e = b + len;
        size_t k;
        while (b < e && (k = ws_at(b, e)) != 0) b += k;
        while (e > b && (k = ws_before(b, e)) != 0) e -= k;
        if (e > b) add_passage(&sp, b, (size_t)(e - b), (size_t)(b - sp.body));
    } else {
        split_paragraphs(&sp, len);
    }

    free(sp.para);
    free(sp.head);
    free(sp.all);
    free(sp.toff);
    free(sp.words);
    vs_buf_free(&sp.text);
    if (sp.rc != VS_OK) {
        out->n = 0;
        out->text.len = 0;
        return vs_err_set(err, sp.rc, "out of memory splitting a document of %zu bytes into passages",
                          len);
    }
    /* The buffer no longer moves: point the passages into it. */
    size_t off = 0;
    for (size_t i = 0; i < out->n; i++) {
        out->v[i].text = (const char *)out->text.p + off;
        off += out->v[i].len + 1;
    }
    return VS_OK;
}

void vs_passage_list_free(vs_passage_list *l) {
    if (!l) return;
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
    vs_buf_free(&l->text);
}
