/* topics.c: TREC, SMART and TSV topic readers (see topics.h).
 *
 * All three readers add topics through one builder: qids and texts are appended to a single
 * byte buffer (text whitespace-collapsed on the way in) and remembered as offsets, turned into
 * pointers once the buffer stops moving. Duplicate qids are found at the end by sorting topic
 * indices by qid, so memory stays linear in the file size and time O(n log n). */
#include "topics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

static int is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* ------------------------------------------------------------------ builder */

typedef struct builder {
    const char *name;
    vs_buf b;           /* "qid\0text\0" per topic */
    size_t *qoff, *toff;
    uint64_t *line;
    size_t n, cap;
} builder;

static void builder_free(builder *bd) {
    vs_buf_free(&bd->b);
    free(bd->qoff);
    free(bd->toff);
    free(bd->line);
}

/* Appends s[0..n) with whitespace runs collapsed to one space and no space right after `start`
 * (where the current text began); returns *rc. A trailing space may remain: builder_end trims it. */
static vs_rc put_collapsed(vs_buf *b, const char *s, size_t n, size_t start, vs_rc *rc) {
    for (size_t i = 0; i < n && *rc == VS_OK; i++) {
        if (is_ws(s[i])) {
            if (b->len > start && b->p[b->len - 1] != ' ') vs_buf_put8(b, ' ', rc);
        } else {
            vs_buf_put8(b, (uint8_t)s[i], rc);
        }
    }
    return *rc;
}

/* Starts a topic: appends its qid. Digits-only qids lose leading zeros when `strip`. */
static vs_rc builder_begin(builder *bd, const char *qid, size_t qlen, int strip, uint64_t line) {
    if (bd->n == bd->cap) {
        size_t cap = bd->cap ? bd->cap * 2 : 64;
        size_t *q = reallocarray(bd->qoff, cap, sizeof *q);
        if (!q) return VS_ENOMEM;
        bd->qoff = q;
        size_t *t = reallocarray(bd->toff, cap, sizeof *t);
        if (!t) return VS_ENOMEM;
        bd->toff = t;
        uint64_t *l = reallocarray(bd->line, cap, sizeof *l);
        if (!l) return VS_ENOMEM;
        bd->line = l;
        bd->cap = cap;
    }
    if (strip) {
        size_t i = 0;
        while (i < qlen && qid[i] >= '0' && qid[i] <= '9') i++;
        if (i == qlen)
            while (qlen > 1 && qid[0] == '0') qid++, qlen--;
    }
    vs_rc rc = VS_OK;
    bd->qoff[bd->n] = bd->b.len;
    vs_buf_put(&bd->b, qid, qlen, &rc);
    vs_buf_put8(&bd->b, 0, &rc);
    bd->toff[bd->n] = bd->b.len;
    bd->line[bd->n] = line;
    return rc;
}

/* Ends the current topic's text; returns VS_EDATA (no message) if it is empty. */
static vs_rc builder_end(builder *bd) {
    vs_buf *b = &bd->b;
    if (b->len > bd->toff[bd->n] && b->p[b->len - 1] == ' ') b->len--;
    if (b->len == bd->toff[bd->n]) return VS_EDATA;
    vs_rc rc = VS_OK;
    vs_buf_put8(b, 0, &rc);
    if (rc == VS_OK) bd->n++;
    return rc;
}

typedef struct qix { const char *q; uint64_t line; } qix;

static int cmp_qix(const void *a, const void *b) {
    const qix *x = a, *y = b;
    int c = strcmp(x->q, y->q);
    if (c) return c;
    return (x->line > y->line) - (x->line < y->line);
}

/* Checks duplicates and hands the topics over. */
static vs_rc builder_finish(builder *bd, vs_topics_format fmt, vs_topics **out, vs_err *err) {
    if (bd->n == 0) return vs_err_set(err, VS_EDATA, "'%s' has no topics", bd->name);
    vs_topics *t = calloc(1, sizeof *t);
    qix *ix = reallocarray(NULL, bd->n, sizeof *ix);
    if (t) {
        t->qid = reallocarray(NULL, bd->n, sizeof *t->qid);
        t->text = reallocarray(NULL, bd->n, sizeof *t->text);
    }
    if (!t || !ix || !t->qid || !t->text) {
        free(ix);
        vs_topics_free(t);
        return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    }
    char *base = (char *)bd->b.p;
    for (size_t i = 0; i < bd->n; i++) {
        t->qid[i] = base + bd->qoff[i];
        t->text[i] = base + bd->toff[i];
        ix[i] = (qix){ t->qid[i], bd->line[i] };
    }
    qsort(ix, bd->n, sizeof *ix, cmp_qix);
    const qix *dup = NULL, *first = NULL;
    size_t same = 0; /* first entry of the current run of equal qids */
    for (size_t i = 1; i < bd->n; i++) {
        if (strcmp(ix[i].q, ix[same].q) != 0) {
            same = i;
        } else if (!dup || ix[i].line < dup->line) {
            dup = &ix[i];
            first = &ix[same];
        }
    }
    if (dup) {
        vs_rc rc = vs_err_set(err, VS_EDATA, "%s:%llu: duplicate topic '%.80s' (first at line %llu)",
                              bd->name, (unsigned long long)dup->line, dup->q,
                              (unsigned long long)first->line);
        free(ix);
        free(t->qid);
        free(t->text);
        free(t);
        return rc;
    }
    free(ix);
    t->n = bd->n;
    t->line = bd->line;
    t->format = fmt;
    bd->line = NULL;
    t->block = (char *)bd->b.p; /* the strings now belong to t */
    bd->b.p = NULL;
    bd->b.len = bd->b.cap = 0;
    *out = t;
    return VS_OK;
}

/* ------------------------------------------------------------------ line counting */

/* Tracks the line number of a forward-moving position. */
typedef struct lines { const char *pos; uint64_t line; } lines;

static uint64_t line_at(lines *l, const char *p) {
    for (const char *s = l->pos; s < p; s++) l->line += *s == '\n';
    l->pos = p;
    return l->line;
}

/* ------------------------------------------------------------------ TREC */

enum { F_NONE = 0, F_NUM, F_TITLE, F_DESC, F_NARR, F_OTHER };

static const char *const field_tag[] = { "", "num", "title", "desc", "narr", "" };
static const char *const field_label[] = { "", "Number:", "Topic:", "Description:",
                                           "Narrative:", "" };

typedef struct span { const char *s, *e; uint64_t line; } span;

/* Recognises a tag at p ('<'): `<name ...>` or `</name>` on one line, name alphanumeric. Sets
 * *closing, the name, and *end just past '>'. */
static int read_tag(const char *p, const char *end, int *closing, const char **name,
                    size_t *nlen, const char **tend) {
    const char *s = p + 1;
    *closing = s < end && *s == '/';
    if (*closing) s++;
    const char *n = s;
    while (s < end && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                       (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
        s++;
    if (s == n || s - n > 32) return 0;
    *name = n;
    *nlen = (size_t)(s - n);
    /* Attributes, if any, up to '>' on the same line. */
    for (size_t k = 0; s < end && *s != '>' && k < 256; s++, k++)
        if (*s == '\n' || *s == '<') return 0;
    if (s >= end || *s != '>') return 0;
    *tend = s + 1;
    return 1;
}

static int field_of(const char *name, size_t n) {
    for (int f = F_NUM; f <= F_NARR; f++)
        if (strlen(field_tag[f]) == n && strncasecmp(field_tag[f], name, n) == 0) return f;
    return F_OTHER;
}

/* Trims span s and drops a leading label ("Number:" ...) if present. */
static void trim_label(span *s, const char *label) {
    while (s->s < s->e && is_ws(*s->s)) s->s++;
    while (s->e > s->s && is_ws(s->e[-1])) s->e--;
    size_t l = strlen(label);
    if (l && (size_t)(s->e - s->s) >= l && strncasecmp(s->s, label, l) == 0) {
        s->s += l;
        while (s->s < s->e && is_ws(*s->s)) s->s++;
    }
}

typedef struct trec_topic {
    int open;
    uint64_t line;
    span f[F_OTHER]; /* by field; s == NULL: absent */
} trec_topic;

static const char *const field_name[] = { "", "<num>", "<title>", "<desc>", "<narr>" };

static vs_rc trec_finish(builder *bd, trec_topic *tp, vs_topics_field field, vs_err *err) {
    tp->open = 0;
    if (!tp->f[F_NUM].s)
        return vs_err_set(err, VS_EDATA, "%s:%llu: topic has no <num>", bd->name,
                          (unsigned long long)tp->line);
    span num = tp->f[F_NUM];
    trim_label(&num, field_label[F_NUM]);
    const char *q = num.s;
    while (q < num.e && !is_ws(*q)) q++;
    if (q == num.s)
        return vs_err_set(err, VS_EDATA, "%s:%llu: empty <num>", bd->name,
                          (unsigned long long)num.line);
    if (builder_begin(bd, num.s, (size_t)(q - num.s), 1, tp->line) != VS_OK)
        return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    int want[2] = { F_TITLE, F_NONE };
    if (field == VS_TOPICS_DESC) want[0] = F_DESC;
    if (field == VS_TOPICS_NARR) want[0] = F_NARR;
    if (field == VS_TOPICS_TITLE_DESC) want[1] = F_DESC;
    vs_rc rc = VS_OK;
    size_t start = bd->toff[bd->n];
    for (int w = 0; w < 2 && want[w] != F_NONE; w++) {
        span s = tp->f[want[w]];
        if (!s.s) continue;
        trim_label(&s, field_label[want[w]]);
        if (bd->b.len > start && bd->b.p[bd->b.len - 1] != ' ' && s.s < s.e)
            vs_buf_put8(&bd->b, ' ', &rc);
        put_collapsed(&bd->b, s.s, (size_t)(s.e - s.s), start, &rc);
    }
    if (rc != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    rc = builder_end(bd);
    if (rc == VS_EDATA)
        return vs_err_set(err, VS_EDATA, "%s:%llu: topic '%s' has no %s%s text", bd->name,
                          (unsigned long long)tp->line, (char *)bd->b.p + bd->qoff[bd->n],
                          field_name[want[0]], want[1] ? " or <desc>" : "");
    if (rc != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    return VS_OK;
}

static vs_rc parse_trec(builder *bd, const char *data, size_t len, vs_topics_field field,
                        vs_err *err) {
    const char *p = data, *end = data + len;
    lines ln = { data, 1 };
    trec_topic tp;
    memset(&tp, 0, sizeof tp);
    int cur = F_NONE;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt) break;
        int closing;
        const char *name, *tend;
        size_t nlen;
        if (!read_tag(lt, end, &closing, &name, &nlen, &tend)) {
            p = lt + 1; /* a '<' in the text */
            continue;
        }
        uint64_t line = line_at(&ln, lt);
        if (cur != F_NONE && cur != F_OTHER) tp.f[cur].e = lt; /* the field ends at any tag */
        cur = F_NONE;
        p = tend;
        if (nlen == 3 && strncasecmp(name, "top", 3) == 0) {
            if (closing) {
                if (!tp.open)
                    return vs_err_set(err, VS_EDATA, "%s:%llu: </top> without <top>", bd->name,
                                      (unsigned long long)line);
                vs_rc rc = trec_finish(bd, &tp, field, err);
                if (rc != VS_OK) return rc;
            } else {
                if (tp.open) { /* unclosed: a new <top> ends the previous topic */
                    vs_rc rc = trec_finish(bd, &tp, field, err);
                    if (rc != VS_OK) return rc;
                }
                memset(&tp, 0, sizeof tp);
                tp.open = 1;
                tp.line = line;
            }
            continue;
        }
        int f = field_of(name, nlen);
        if (closing || f == F_OTHER) {
            cur = F_OTHER; /* </title> or <dom>, <smry>, ...: text up to the next tag is skipped */
            continue;
        }
        if (!tp.open)
            return vs_err_set(err, VS_EDATA, "%s:%llu: <%.*s> outside <top>", bd->name,
                              (unsigned long long)line, (int)nlen, name);
        if (tp.f[f].s)
            return vs_err_set(err, VS_EDATA, "%s:%llu: second %s in topic at line %llu",
                              bd->name, (unsigned long long)line, field_name[f],
                              (unsigned long long)tp.line);
        tp.f[f] = (span){ tend, end, line };
        cur = f;
    }
    if (tp.open) {
        /* Unclosed last topic: its last field runs to the end of the file. */
        vs_rc rc = trec_finish(bd, &tp, field, err);
        if (rc != VS_OK) return rc;
    }
    return VS_OK;
}

/* ------------------------------------------------------------------ SMART */

/* A SMART command line: '.' + uppercase letter, then end of line or whitespace. */
static int smart_cmd(const char *s, const char *le) {
    if (le - s < 2 || s[0] != '.' || s[1] < 'A' || s[1] > 'Z') return 0;
    if (le - s > 2 && !is_ws(s[2])) return 0;
    return s[1];
}

static vs_rc smart_end(builder *bd, int open, const char *qid, uint64_t line, vs_err *err) {
    if (!open) return VS_OK;
    vs_rc rc = builder_end(bd);
    if (rc == VS_EDATA)
        return vs_err_set(err, VS_EDATA, "%s:%llu: query '%s' has no .W text", bd->name,
                          (unsigned long long)line, qid);
    if (rc != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    return VS_OK;
}

static vs_rc parse_smart(builder *bd, const char *data, size_t len, vs_err *err) {
    const char *p = data, *end = data + len;
    uint64_t lineno = 0, qline = 0;
    int open = 0, in_text = 0;
    vs_rc rc = VS_OK;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        p = nl ? nl + 1 : end;
        int cmd = smart_cmd(s, le);
        if (cmd == 'I') {
            rc = smart_end(bd, open, open ? (char *)bd->b.p + bd->qoff[bd->n] : "", qline, err);
            if (rc != VS_OK) return rc;
            const char *q = s + 2;
            while (q < le && is_ws(*q)) q++;
            const char *qe = q;
            while (qe < le && !is_ws(*qe)) qe++;
            if (qe == q)
                return vs_err_set(err, VS_EDATA, "%s:%llu: .I without a query number", bd->name,
                                  (unsigned long long)lineno);
            if (builder_begin(bd, q, (size_t)(qe - q), 1, lineno) != VS_OK)
                return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
            open = 1;
            in_text = 0;
            qline = lineno;
        } else if (cmd) {
            if (!open)
                return vs_err_set(err, VS_EDATA, "%s:%llu: .%c before the first .I", bd->name,
                                  (unsigned long long)lineno, cmd);
            in_text = cmd == 'W' || cmd == 'T';
            /* Text may follow the command on its own line (".W text"). */
            if (in_text && le - s > 2) {
                size_t start = bd->toff[bd->n];
                if (bd->b.len > start && bd->b.p[bd->b.len - 1] != ' ')
                    vs_buf_put8(&bd->b, ' ', &rc);
                put_collapsed(&bd->b, s + 2, (size_t)(le - s - 2), start, &rc);
            }
        } else {
            const char *t = s;
            while (t < le && is_ws(*t)) t++;
            if (t == le) continue; /* blank */
            if (!open)
                return vs_err_set(err, VS_EDATA, "%s:%llu: text before the first .I", bd->name,
                                  (unsigned long long)lineno);
            if (in_text) {
                size_t start = bd->toff[bd->n];
                if (bd->b.len > start && bd->b.p[bd->b.len - 1] != ' ')
                    vs_buf_put8(&bd->b, ' ', &rc);
                put_collapsed(&bd->b, s, (size_t)(le - s), start, &rc);
            }
        }
        if (rc != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    }
    return smart_end(bd, open, open ? (char *)bd->b.p + bd->qoff[bd->n] : "", qline, err);
}

/* ------------------------------------------------------------------ TSV */

static vs_rc parse_tsv(builder *bd, const char *data, size_t len, vs_err *err) {
    const char *p = data, *end = data + len;
    uint64_t lineno = 0;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        p = nl ? nl + 1 : end;
        const char *t = s;
        while (t < le && is_ws(*t)) t++;
        if (t == le) continue; /* blank */
        const char *tab = memchr(s, '\t', (size_t)(le - s));
        if (!tab)
            return vs_err_set(err, VS_EDATA, "%s:%llu: expected 'qid<TAB>text'", bd->name,
                              (unsigned long long)lineno);
        const char *q = s, *qe = tab;
        while (q < qe && is_ws(*q)) q++;
        while (qe > q && is_ws(qe[-1])) qe--;
        if (q == qe)
            return vs_err_set(err, VS_EDATA, "%s:%llu: empty qid", bd->name,
                              (unsigned long long)lineno);
        for (const char *c = q; c < qe; c++)
            if (is_ws(*c))
                return vs_err_set(err, VS_EDATA, "%s:%llu: qid '%.*s' contains whitespace",
                                  bd->name, (unsigned long long)lineno,
                                  (int)(qe - q > 80 ? 80 : qe - q), q);
        if (builder_begin(bd, q, (size_t)(qe - q), 0, lineno) != VS_OK)
            return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
        vs_rc rc = VS_OK;
        put_collapsed(&bd->b, tab + 1, (size_t)(le - tab - 1), bd->toff[bd->n], &rc);
        if (rc == VS_OK) rc = builder_end(bd);
        if (rc == VS_EDATA)
            return vs_err_set(err, VS_EDATA, "%s:%llu: query '%.*s' has no text", bd->name,
                              (unsigned long long)lineno, (int)(qe - q > 80 ? 80 : qe - q), q);
        if (rc != VS_OK) return vs_err_set(err, VS_ENOMEM, "out of memory reading '%s'", bd->name);
    }
    return VS_OK;
}

/* ------------------------------------------------------------------ entry points */

vs_rc vs_topics_field_parse(const char *s, vs_topics_field *out, vs_err *err) {
    static const struct { const char *name; vs_topics_field f; } names[] = {
        { "title", VS_TOPICS_TITLE }, { "desc", VS_TOPICS_DESC }, { "narr", VS_TOPICS_NARR },
        { "title+desc", VS_TOPICS_TITLE_DESC } };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return VS_OK;
        }
    return vs_err_set(err, VS_EUSAGE, "invalid topic field '%.80s': expected title, desc, narr"
                      " or title+desc", s);
}

vs_rc vs_topics_parse(const char *name, const char *data, size_t len, vs_topics_field field,
                      vs_topics **out, vs_err *err) {
    *out = NULL;
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        uint64_t line = 1;
        for (const char *s = data; s < nul; s++) line += *s == '\n';
        return vs_err_set(err, VS_EDATA, "%s:%llu: NUL byte in line", name,
                          (unsigned long long)line);
    }
    /* The first non-blank character tells the format (after a UTF-8 byte order mark). */
    const char *p = data, *end = data + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    const char *body = p, *ls = p, *le = p;
    for (; ls < end; ls = le + 1) { /* first non-blank line: [ls, le) */
        le = memchr(ls, '\n', (size_t)(end - ls));
        if (!le) le = end;
        p = ls;
        while (p < le && is_ws(*p)) p++;
        if (p < le) break;
    }
    if (ls >= end) return vs_err_set(err, VS_EDATA, "'%s' has no topics", name);
    vs_topics_format fmt;
    if (*p == '<')
        fmt = VS_TOPICS_TREC;
    else if (smart_cmd(p, le) == 'I')
        fmt = VS_TOPICS_SMART;
    else if (memchr(ls, '\t', (size_t)(le - ls)))
        fmt = VS_TOPICS_TSV;
    else
        return vs_err_set(err, VS_EDATA, "'%s' is not a topic file: expected TREC topics (<top>),"
                          " SMART queries (.I N) or TSV (qid<TAB>text)", name);
    builder bd;
    memset(&bd, 0, sizeof bd);
    bd.name = name;
    size_t blen = (size_t)(end - body);
    vs_rc rc = fmt == VS_TOPICS_TREC  ? parse_trec(&bd, body, blen, field, err)
             : fmt == VS_TOPICS_SMART ? parse_smart(&bd, body, blen, err)
                                      : parse_tsv(&bd, body, blen, err);
    if (rc == VS_OK) rc = builder_finish(&bd, fmt, out, err);
    builder_free(&bd);
    return rc;
}

vs_rc vs_topics_read(const char *path, vs_topics_field field, vs_topics **out, vs_err *err) {
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return vs_err_errno(err, VS_ENOENT, errno, "cannot open topics '%s'", path);
    vs_buf b = VS_BUF_INIT;
    vs_rc rc = VS_OK;
    for (;;) {
        if (vs_buf_reserve(&b, 1 << 16) != VS_OK) {
            rc = vs_err_set(err, VS_ENOMEM, "out of memory reading topics '%s'", path);
            break;
        }
        size_t got = fread(b.p + b.len, 1, b.cap - b.len, f);
        b.len += got;
        if (got == 0) {
            if (ferror(f)) rc = vs_err_errno(err, VS_EIO, errno, "cannot read topics '%s'", path);
            break;
        }
    }
    if (!is_stdin) fclose(f);
    if (rc == VS_OK)
        rc = vs_topics_parse(is_stdin ? "stdin" : path, (const char *)b.p, b.len, field, out, err);
    vs_buf_free(&b);
    return rc;
}

void vs_topics_free(vs_topics *t) {
    if (!t) return;
    free(t->block);
    free(t->qid);
    free(t->text);
    free(t->line);
    free(t);
}
