/* parse.c: recursive-descent parser for the query language (see parse.h).
 *
 *   or_expr  := and_expr { ("OR" | <adjacent, default OR>) and_expr }
 *   and_expr := unary    { ("AND" | <adjacent, default AND>) unary }
 *   unary    := ("NOT" | "+" | "-") unary | primary
 *   primary  := "(" or_expr ")" [boost] | ["title:"] (WORD | "PHRASE") [boost]
 *
 * Recursion depth is bounded by VS_QUERY_MAX_DEPTH (parentheses and prefixes), so hostile
 * input cannot exhaust the stack; node count and text size are bounded too. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vs_qtree {
    vs_qnode *root;
    vs_qnode **all;             /* every node, for freeing */
    size_t n_all, cap_all;
};

typedef struct parser {
    const char *s;
    size_t n, i;
    int default_and;
    unsigned depth;
    vs_qtree *t;
    vs_err *err;
    vs_rc rc;
} parser;

static vs_rc fail(parser *p, size_t at, const char *msg) {
    p->rc = vs_err_set(p->err, VS_EUSAGE, "%s at position %zu", msg, at + 1);
    return p->rc;
}

static vs_qnode *node(parser *p, vs_qkind k, size_t at) {
    if (p->t->n_all >= VS_QUERY_MAX_NODES) {
        fail(p, at, "query too complex (more than 100000 clauses)");
        return NULL;
    }
    if (p->t->n_all == p->t->cap_all) {
        size_t cap = p->t->cap_all ? p->t->cap_all * 2 : 16;
        vs_qnode **a = realloc(p->t->all, cap * sizeof *a);
        if (!a) { p->rc = vs_err_set(p->err, VS_ENOMEM, "out of memory"); return NULL; }
        p->t->all = a;
        p->t->cap_all = cap;
    }
    vs_qnode *x = calloc(1, sizeof *x);
    if (!x) { p->rc = vs_err_set(p->err, VS_ENOMEM, "out of memory"); return NULL; }
    x->kind = k;
    x->boost = 1.0;
    x->pos = (uint32_t)(at + 1);
    p->t->all[p->t->n_all++] = x;
    return x;
}

static int add_kid(parser *p, vs_qnode *b, vs_qnode *k, vs_qoccur o) {
    if ((b->n_kids & (b->n_kids - 1)) == 0) { /* grow at powers of two */
        size_t cap = b->n_kids ? b->n_kids * 2 : 2;
        vs_qnode **a = realloc(b->kids, cap * sizeof *a);
        if (a) b->kids = a;
        vs_qoccur *oc = a ? realloc(b->occur, cap * sizeof *oc) : NULL;
        if (oc) b->occur = oc;
        if (!a || !oc) { p->rc = vs_err_set(p->err, VS_ENOMEM, "out of memory"); return -1; }
    }
    b->kids[b->n_kids] = k;
    b->occur[b->n_kids] = o;
    b->n_kids++;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_special(char c) { return c == '(' || c == ')' || c == '"' || c == '^'; }

static void skip_space(parser *p) {
    while (p->i < p->n && is_space(p->s[p->i])) p->i++;
}

/* Is the next token the operator word w (upper case, standing alone)? */
static int at_op(parser *p, const char *w) {
    size_t l = strlen(w);
    if (p->n - p->i < l || memcmp(p->s + p->i, w, l) != 0) return 0;
    size_t e = p->i + l;
    return e == p->n || is_space(p->s[e]) || p->s[e] == '(' || p->s[e] == ')' || p->s[e] == '"';
}

static int at_clause_start(parser *p) {
    skip_space(p);
    if (p->i >= p->n) return 0;
    char c = p->s[p->i];
    if (c == ')') return 0;
    if (at_op(p, "AND") || at_op(p, "OR")) return 0;
    return 1;
}

static vs_qnode *or_expr(parser *p);

static int parse_boost(parser *p, vs_qnode *x) {
    if (p->i >= p->n || p->s[p->i] != '^') return 0;
    size_t at = p->i++;
    char buf[64];
    size_t k = 0;
    while (p->i < p->n && !is_space(p->s[p->i]) && !is_special(p->s[p->i]) && k < sizeof buf - 1) buf[k++] = p->s[p->i++];
    buf[k] = '\0';
    char *end;
    errno = 0;
    double v = k ? strtod(buf, &end) : 0;
    if (!k || *end || errno || !isfinite(v) || v <= 0 || v > 1e6) {
        fail(p, at, "boost must be a positive number up to 1000000, as in word^2.5");
        return -1;
    }
    x->boost *= v;
    return 0;
}

static char *copy_text(parser *p, size_t from, size_t to) {
    char *t = malloc(to - from + 1);
    if (!t) { p->rc = vs_err_set(p->err, VS_ENOMEM, "out of memory"); return NULL; }
    memcpy(t, p->s + from, to - from);
    t[to - from] = '\0';
    return t;
}

/* Multiplies every leaf boost below x by f (a boost on a group). */
static void scale_boost(vs_qnode *x, double f) {
    if (x->kind == VS_Q_BOOL)
        for (size_t i = 0; i < x->n_kids; i++) scale_boost(x->kids[i], f);
    else
        x->boost *= f;
}

static vs_qnode *primary(parser *p) {
    skip_space(p);
    size_t at = p->i;
    if (p->i >= p->n) { fail(p, at, "expected a word, a phrase or '('"); return NULL; }
    char c = p->s[p->i];
    if (c == '(') {
        if (++p->depth > VS_QUERY_MAX_DEPTH) { fail(p, at, "parentheses nested too deeply"); return NULL; }
        p->i++;
        skip_space(p);
        if (p->i < p->n && p->s[p->i] == ')') { fail(p, at, "empty group '()'"); return NULL; }
        vs_qnode *x = or_expr(p);
        if (!x) return NULL;
        skip_space(p);
        if (p->i >= p->n || p->s[p->i] != ')') { fail(p, at, "unbalanced '(': no matching ')'"); return NULL; }
        p->i++;
        p->depth--;
        vs_qnode tmp = { .boost = 1.0 };
        if (parse_boost(p, &tmp) < 0) return NULL;
        if (tmp.boost != 1.0) scale_boost(x, tmp.boost);
        return x;
    }
    if (c == ')') { fail(p, at, "unbalanced ')': no matching '('"); return NULL; }
    if (c == '^') { fail(p, at, "'^' must follow a word, a phrase or a group"); return NULL; }
    vs_qfield field = VS_FIELD_BODY;
    if (p->n - p->i > 6 && memcmp(p->s + p->i, "title:", 6) == 0 && !is_space(p->s[p->i + 6])) {
        field = VS_FIELD_TITLE;
        p->i += 6;
        c = p->s[p->i];
    }
    vs_qnode *x;
    if (c == '"') {
        size_t q = p->i++;
        size_t from = p->i;
        while (p->i < p->n && p->s[p->i] != '"') p->i++;
        if (p->i >= p->n) { fail(p, q, "missing closing quote for the phrase"); return NULL; }
        size_t to = p->i++;
        size_t k = from;
        while (k < to && is_space(p->s[k])) k++;
        if (k == to) { fail(p, q, "empty phrase"); return NULL; }
        if (!(x = node(p, VS_Q_PHRASE, q))) return NULL;
        if (!(x->text = copy_text(p, from, to))) return NULL;
        x->len = to - from;
    } else {
        size_t from = p->i;
        while (p->i < p->n && !is_space(p->s[p->i]) && !is_special(p->s[p->i])) p->i++;
        if (p->i == from) { fail(p, at, "expected a word"); return NULL; }
        if (!(x = node(p, VS_Q_WORD, at))) return NULL;
        if (!(x->text = copy_text(p, from, p->i))) return NULL;
        x->len = p->i - from;
    }
    x->field = field;
    if (parse_boost(p, x) < 0) return NULL;
    return x;
}

/* A clause with its prefix: *occ gets MUST / MUST_NOT for +, -, NOT, else def. */
static vs_qnode *unary(parser *p, vs_qoccur def, vs_qoccur *occ) {
    skip_space(p);
    size_t at = p->i;
    *occ = def;
    if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-') && p->i + 1 < p->n && !is_space(p->s[p->i + 1])) {
        *occ = p->s[p->i] == '+' ? VS_OCCUR_MUST : VS_OCCUR_MUST_NOT;
        p->i++;
        return primary(p);
    }
    if (at_op(p, "AND") || at_op(p, "OR")) {
        fail(p, at, p->s[at] == 'A' ? "AND needs a clause on each side" : "OR needs a clause on each side");
        return NULL;
    }
    if (at_op(p, "NOT")) {
        p->i += 3;
        if (!at_clause_start(p)) { fail(p, at, "NOT has nothing to negate"); return NULL; }
        if (++p->depth > VS_QUERY_MAX_DEPTH) { fail(p, at, "NOT nested too deeply"); return NULL; }
        vs_qoccur inner;
        vs_qnode *x = unary(p, VS_OCCUR_MUST, &inner);
        p->depth--;
        if (!x) return NULL;
        if (inner == VS_OCCUR_MUST_NOT) { fail(p, at, "NOT of an exclusion"); return NULL; }
        *occ = VS_OCCUR_MUST_NOT;
        return x;
    }
    return primary(p);
}

/* Checks that a finished BOOL has something positive to match. */
static int has_positive(parser *p, vs_qnode *b) {
    for (size_t i = 0; i < b->n_kids; i++)
        if (b->occur[i] != VS_OCCUR_MUST_NOT) return 1;
    fail(p, b->pos - 1, "a group of only excluded clauses matches nothing");
    return 0;
}

static vs_qnode *and_expr(parser *p) {
    vs_qoccur occ;
    size_t at = p->i;
    vs_qnode *first = unary(p, p->default_and ? VS_OCCUR_MUST : VS_OCCUR_SHOULD, &occ);
    if (!first) return NULL;
    vs_qnode *b = NULL;
    vs_qoccur first_occ = occ;
    for (;;) {
        skip_space(p);
        size_t op_at = p->i;
        int explicit_and = at_op(p, "AND");
        if (explicit_and) {
            p->i += 3;
            if (!at_clause_start(p)) { fail(p, op_at, "AND needs a clause on each side"); return NULL; }
        } else if (!(p->default_and && at_clause_start(p))) {
            break;
        }
        if (!b) {
            if (!(b = node(p, VS_Q_BOOL, at))) return NULL;
            if (add_kid(p, b, first, first_occ == VS_OCCUR_SHOULD ? VS_OCCUR_MUST : first_occ) < 0) return NULL;
        }
        vs_qnode *x = unary(p, VS_OCCUR_MUST, &occ);
        if (!x) return NULL;
        if (add_kid(p, b, x, occ == VS_OCCUR_SHOULD ? VS_OCCUR_MUST : occ) < 0) return NULL;
    }
    if (!b) {
        if (first_occ == VS_OCCUR_SHOULD || (first_occ == VS_OCCUR_MUST && p->default_and)) return first;
        /* a lone prefixed clause: keep its prefix for the enclosing OR level */
        if (!(b = node(p, VS_Q_BOOL, at))) return NULL;
        if (add_kid(p, b, first, first_occ) < 0) return NULL;
        b->pos = (uint32_t)(at + 1);
        b->n_kids = 1;
        return b;
    }
    return has_positive(p, b) ? b : NULL;
}

static vs_qnode *or_expr(parser *p) {
    size_t at = p->i;
    vs_qnode *first = and_expr(p);
    if (!first) return NULL;
    vs_qnode *b = NULL;
    for (;;) {
        skip_space(p);
        size_t op_at = p->i;
        if (at_op(p, "OR")) {
            p->i += 2;
            if (!at_clause_start(p)) { fail(p, op_at, "OR needs a clause on each side"); return NULL; }
        } else if (p->default_and || !at_clause_start(p)) {
            break;
        }
        if (!b) {
            if (!(b = node(p, VS_Q_BOOL, at))) return NULL;
            if (add_kid(p, b, first, VS_OCCUR_SHOULD) < 0) return NULL;
        }
        vs_qnode *x = and_expr(p);
        if (!x) return NULL;
        if (add_kid(p, b, x, VS_OCCUR_SHOULD) < 0) return NULL;
    }
    vs_qnode *res = b ? b : first;
    /* Lift single-kid prefixed BOOLs ("+a", "-a") into their parent as occur flags. */
    if (b) {
        for (size_t i = 0; i < b->n_kids; i++) {
            vs_qnode *k = b->kids[i];
            if (k->kind == VS_Q_BOOL && k->n_kids == 1 && k->occur[0] != VS_OCCUR_SHOULD) {
                b->occur[i] = k->occur[0];
                b->kids[i] = k->kids[0];
            }
        }
        if (!has_positive(p, b)) return NULL;
    } else if (res->kind == VS_Q_BOOL && !has_positive(p, res)) {
        return NULL;
    }
    return res;
}

vs_rc vs_parse(const char *text, size_t len, int default_and, vs_qtree **out, vs_err *err) {
    *out = NULL;
    if (len > VS_QUERY_MAX_BYTES)
        return vs_err_set(err, VS_EUSAGE, "query of %zu bytes is too long (at most %u)", len, VS_QUERY_MAX_BYTES);
    if (memchr(text, '\0', len)) return vs_err_set(err, VS_EUSAGE, "query contains a NUL byte");
    vs_qtree *t = calloc(1, sizeof *t);
    if (!t) return vs_err_set(err, VS_ENOMEM, "out of memory");
    parser p = { .s = text, .n = len, .default_and = default_and, .t = t, .err = err, .rc = VS_OK };
    skip_space(&p);
    if (p.i >= p.n) {
        vs_parse_free(t);
        return vs_err_set(err, VS_EUSAGE, "empty query");
    }
    vs_qnode *root = or_expr(&p);
    if (root) {
        skip_space(&p);
        if (p.i < p.n) {
            if (p.s[p.i] == ')') fail(&p, p.i, "unbalanced ')': no matching '('");
            else fail(&p, p.i, "unexpected text");
            root = NULL;
        }
    }
    if (!root) {
        vs_rc rc = p.rc != VS_OK ? p.rc : vs_err_set(err, VS_EUSAGE, "cannot parse the query");
        vs_parse_free(t);
        return rc;
    }
    t->root = root;
    *out = t;
    return VS_OK;
}

const vs_qnode *vs_parse_root(const vs_qtree *t) { return t->root; }

void vs_parse_free(vs_qtree *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_all; i++) {
        free((char *)t->all[i]->text);
        free(t->all[i]->kids);
        free(t->all[i]->occur);
        free(t->all[i]);
    }
    free(t->all);
    free(t);
}

typedef struct sink {
    char *out;
    size_t cap, len;
} sink;

static void put(sink *s, const char *x) {
    size_t l = strlen(x);
    if (s->len + l < s->cap) memcpy(s->out + s->len, x, l + 1);
    s->len += l;
}

static void fmt(sink *s, const vs_qnode *n) {
    char num[48];
    if (n->kind == VS_Q_BOOL) {
        put(s, "(");
        for (size_t i = 0; i < n->n_kids; i++) {
            if (i) put(s, " ");
            if (n->occur[i] == VS_OCCUR_MUST) put(s, "+");
            if (n->occur[i] == VS_OCCUR_MUST_NOT) put(s, "-");
            fmt(s, n->kids[i]);
        }
        put(s, ")");
        return;
    }
    if (n->field == VS_FIELD_TITLE) put(s, "title:");
    if (n->kind == VS_Q_PHRASE) put(s, "\"");
    put(s, n->text);
    if (n->kind == VS_Q_PHRASE) put(s, "\"");
    if (n->boost != 1.0) {
        snprintf(num, sizeof num, "^%g", n->boost);
        put(s, num);
    }
}

vs_rc vs_parse_format(const vs_qnode *n, char *out, size_t cap) {
    sink s = { out, cap, 0 };
    if (cap) out[0] = '\0';
    fmt(&s, n);
    return s.len < cap ? VS_OK : VS_ENOMEM;
}
