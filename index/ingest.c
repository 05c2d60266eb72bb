/* ingest.c: the build pipeline (see ingest.h). */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "invert.h"
#include "passage.h"
#include "segment.h"
#include "segwriter.h"

double vs_ingest_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- batches ---- */

typedef struct bdoc {
    uint64_t id_off, title_off;
    uint32_t id_len, title_len, n_psg;
    uint32_t t_groups, t_ntok;  /* title terms (groups after the passages'), title length */
} bdoc;

typedef struct bpsg {
    uint64_t text_off;
    uint32_t text_len, ntok, n_groups;
} bpsg;

typedef struct bterm {
    uint64_t hash;
    uint32_t off, len;
} bterm;

typedef struct bgroup {
    uint32_t bterm, tf;
} bgroup;

typedef struct batch {
    struct batch *next;
    size_t task;
    int last;
    vs_buf arena;               /* ids, titles, passage texts */
    vs_buf tstr;                /* term bytes */
    vs_buf warns;               /* warnings, NUL-terminated each */
    bdoc *docs;
    size_t n_docs, cap_docs;
    bpsg *psgs;
    size_t n_psgs, cap_psgs;
    bterm *terms;
    size_t n_terms, cap_terms;
    uint32_t *tmark, *tgroup;   /* per batch term: last passage that used it (+1), its group */
    uint32_t *slots;            /* batch term + 1, by hash */
    size_t n_slots;
    bgroup *groups;
    size_t n_groups, cap_groups;
    uint32_t *pos;
    size_t n_pos, cap_pos;
    uint64_t text_bytes;
    /* the task's outcome (last batch) */
    vs_rc rc;
    vs_err err;
    int skipped;
    uint64_t size, hash;
    int64_t mtime_ns;
    vs_source_stats ss;
} batch;

static size_t batch_mem(const batch *b) {
    return sizeof *b + b->arena.cap + b->tstr.cap + b->warns.cap + b->cap_docs * sizeof *b->docs +
           b->cap_psgs * sizeof *b->psgs + b->cap_terms * (sizeof *b->terms + 8) + b->n_slots * 4 +
           b->cap_groups * sizeof *b->groups + b->cap_pos * 4;
}

static void batch_free(batch *b) {
    if (!b) return;
    vs_buf_free(&b->arena);
    vs_buf_free(&b->tstr);
    vs_buf_free(&b->warns);
    free(b->docs);
    free(b->psgs);
    free(b->terms);
    free(b->tmark);
    free(b->tgroup);
    free(b->slots);
    free(b->groups);
    free(b->pos);
    free(b);
}

/* Grows an array to hold n + extra elements. */
static int grow(void **p, size_t *cap, size_t n, size_t extra, size_t elem) {
    if (n + extra <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < n + extra) c *= 2;
    void *np = reallocarray(*p, c, elem);
    if (!np) return -1;
    *p = np;
    *cap = c;
    return 0;
}

/* ---- the pipeline ---- */

typedef struct pipe_ pipe_;

typedef struct producer {
    pipe_ *p;
    pthread_t th;
    vs_analyzer *an;
    vs_passage_list pl;
    vs_buf unit;
    batch *b;
    size_t task;
    uint32_t marker;            /* passage marker for tmark (b->n_psgs + 1) */
    uint32_t pfirst;            /* first group of the passage being analyzed */
    uint32_t *tok_g, *tok_pos, *cursor;
    size_t n_tok, cap_tok, cap_cursor;
    int title_mode;             /* analysing a title: terms get VS_TITLE_PREFIX */
    vs_buf tterm;               /* the prefixed title term */
    /* The analyzer hands out terms from its cache: the same pointer, most of the time, for the
     * same term. A direct-mapped cache from (pointer, length) to the batch term skips hashing
     * and probing for most tokens; a hit is confirmed by comparing bytes (the analyzer may
     * reuse memory after clearing its cache). */
    struct pslot { const char *ptr; uint32_t len, bterm; uint64_t batch; char head[16]; } *pcache;
    uint64_t batch_seq;
    vs_rc rc;                   /* failure inside callbacks */
    vs_err err;
    /* the task's outcome, copied into its last batch */
    vs_source_stats ss;
    uint64_t size, hash;
    int64_t mtime_ns;
    /* the task's input, opened once (open_input) */
    int fd;
    int regular;
    vs_rc in_rc;
    vs_err in_err;
} producer;

struct pipe_ {
    const vs_ingest_opts *o;
    vs_ingest_task *tasks;
    size_t n;
    size_t batch_text;          /* cut batches at about this much text */
    size_t window;              /* source read window */
    size_t cap;                 /* bytes of batches in flight */
    int threaded;
    pthread_mutex_t mu;
    pthread_cond_t cv_cons, cv_prod;
    pthread_mutex_t open_mu;    /* tasks are claimed and opened strictly in order */
    size_t next;                /* next task to claim (under open_mu) */
    batch **head, **tail;       /* per task */
    size_t cur;                 /* task being consumed */
    size_t inflight;
    int abort;
    vs_rc fail_rc;              /* a producer could not even make a batch */
    vs_err fail_err;
    /* consumer */
    vs_segwriter *sw;
    vs_invert *iv;
    char seg_path[4096];        /* the segment being written */
    size_t seg_first;           /* its first task */
    uint64_t seg_bytes0;        /* input bytes before it */
    uint32_t *tids;
    size_t cap_tids;
    vs_ingest_stats *st;
    vs_err *err;
    uint64_t done_bytes, total_bytes;
    double last_progress;
};

static vs_rc consume(pipe_ *p, batch *b);

static batch *batch_new(size_t task) {
    batch *b = calloc(1, sizeof *b);
    if (b) b->task = task;
    return b;
}

/* Hands b to the consumer (directly when single-threaded). Returns non-zero to stop. */
static int push(producer *pr, batch *b) {
    pipe_ *p = pr->p;
    if (!p->threaded) {
        vs_rc rc = consume(p, b);
        batch_free(b);
        if (rc != VS_OK) p->abort = 1;
        return rc != VS_OK;
    }
    size_t m = batch_mem(b);
    pthread_mutex_lock(&p->mu);
    while (!p->abort && b->task != p->cur && p->inflight + m > p->cap) pthread_cond_wait(&p->cv_prod, &p->mu);
    if (p->abort) {
        pthread_mutex_unlock(&p->mu);
        batch_free(b);
        return 1;
    }
    b->next = NULL;
    if (p->tail[b->task]) p->tail[b->task]->next = b;
    else p->head[b->task] = b;
    p->tail[b->task] = b;
    p->inflight += m;
    pthread_cond_broadcast(&p->cv_cons);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static void fail_pipe(pipe_ *p, vs_rc rc, const char *msg) {
    if (p->threaded) pthread_mutex_lock(&p->mu);
    if (p->fail_rc == VS_OK) {
        p->fail_rc = rc;
        p->fail_err.rc = rc;
        snprintf(p->fail_err.msg, sizeof p->fail_err.msg, "%s", msg);
    }
    p->abort = 1;
    if (p->threaded) {
        pthread_cond_broadcast(&p->cv_cons);
        pthread_cond_broadcast(&p->cv_prod);
        pthread_mutex_unlock(&p->mu);
    }
}

/* ---- producer: analysis ---- */

static void on_warn(void *ctx, const char *msg) {
    producer *pr = ctx;
    vs_rc rc = VS_OK;
    vs_buf_put(&pr->b->warns, msg, strlen(msg) + 1, &rc);
}

#define PCACHE 16384u

static int same_bytes(const uint8_t *a, const char *b, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != (uint8_t)b[i]) return 0;
    return 1;
}

static int on_token(void *ctx, const vs_token *t0) {
    producer *pr = ctx;
    batch *b = pr->b;
    const vs_token *t = t0;
    vs_token tt;
    struct pslot *ps = &pr->pcache[((uintptr_t)t->term >> 3 ^ (uintptr_t)t->term >> 15) & (PCACHE - 1)];
    uint32_t bt = UINT32_MAX;
    if (pr->title_mode) { /* a title term: VS_TITLE_PREFIX + the term, not through the pointer cache */
        vs_buf_reset(&pr->tterm);
        vs_rc rc = VS_OK;
        uint8_t pre = VS_TITLE_PREFIX;
        vs_buf_put(&pr->tterm, &pre, 1, &rc);
        vs_buf_put(&pr->tterm, t->term, t->len, &rc);
        if (rc != VS_OK) goto nomem;
        tt = *t;
        tt.term = (const char *)pr->tterm.p;
        tt.len = t->len + 1;
        t = &tt;
        ps = NULL;
    }
    /* the bytes are compared with a copy in the slot (same cache line), longer terms with the batch */
    if (ps && ps->ptr == t->term && ps->len == t->len && ps->batch == pr->batch_seq &&
        (t->len <= sizeof ps->head ? same_bytes((const uint8_t *)ps->head, t->term, t->len)
                                   : same_bytes(b->tstr.p + b->terms[ps->bterm].off, t->term, t->len))) {
        bt = ps->bterm;
        goto found;
    }
    uint64_t h = XXH3_64bits(t->term, t->len);
    size_t mask = b->n_slots - 1, j = h & mask;
    for (;;) {
        uint32_t s = b->slots[j];
        if (!s) break;
        const bterm *e = &b->terms[s - 1];
        if (e->hash == h && e->len == t->len && same_bytes(b->tstr.p + e->off, t->term, t->len)) {
            bt = s - 1;
            break;
        }
        j = (j + 1) & mask;
    }
    if (bt == UINT32_MAX) {
        size_t c0 = b->cap_terms;
        if (grow((void **)&b->terms, &b->cap_terms, b->n_terms, 1, sizeof *b->terms)) goto nomem;
        if (b->cap_terms != c0) {
            size_t c1 = c0, c2 = c0;
            if (grow((void **)&b->tmark, &c1, 0, b->cap_terms, 4) || grow((void **)&b->tgroup, &c2, 0, b->cap_terms, 4)) goto nomem;
        }
        if (b->tstr.len + t->len > UINT32_MAX) goto nomem;
        bt = (uint32_t)b->n_terms++;
        b->terms[bt] = (bterm){ h, (uint32_t)b->tstr.len, t->len };
        b->tmark[bt] = 0;
        if (vs_buf_append(&b->tstr, t->term, t->len) != VS_OK) goto nomem;
        b->slots[j] = bt + 1;
        if (b->n_terms * 2 > b->n_slots) {
            size_t n = b->n_slots * 2;
            uint32_t *s = calloc(n, sizeof *s);
            if (!s) goto nomem;
            for (size_t i = 0; i < b->n_terms; i++) {
                size_t k = b->terms[i].hash & (n - 1);
                while (s[k]) k = (k + 1) & (n - 1);
                s[k] = (uint32_t)i + 1;
            }
            free(b->slots);
            b->slots = s;
            b->n_slots = n;
        }
    }
    if (ps) {
        ps->ptr = t->term;
        ps->len = t->len;
        ps->bterm = bt;
        ps->batch = pr->batch_seq;
        if (t->len <= sizeof ps->head) memcpy(ps->head, t->term, t->len);
    }
found:
    if (b->tmark[bt] != pr->marker) {
        if (grow((void **)&b->groups, &b->cap_groups, b->n_groups, 1, sizeof *b->groups)) goto nomem;
        b->tmark[bt] = pr->marker;
        b->tgroup[bt] = (uint32_t)(b->n_groups - pr->pfirst);
        b->groups[b->n_groups++] = (bgroup){ bt, 0 };
    }
    b->groups[pr->pfirst + b->tgroup[bt]].tf++;
    if (pr->n_tok == pr->cap_tok) {
        size_t c1 = pr->cap_tok, c2 = pr->cap_tok;
        if (grow((void **)&pr->tok_g, &c1, pr->n_tok, 1, 4) || grow((void **)&pr->tok_pos, &c2, pr->n_tok, 1, 4)) goto nomem;
        pr->cap_tok = c1 < c2 ? c1 : c2;
    }
    pr->tok_g[pr->n_tok] = b->tgroup[bt];
    pr->tok_pos[pr->n_tok++] = t->pos;
    return 0;
nomem:
    pr->rc = vs_err_set(&pr->err, VS_ENOMEM, "out of memory while analysing");
    return 1;
}

/* Analyses one unit (a passage, or a title with `marker` >= 2^31) into groups (one per distinct
 * term, with its tf) and their positions, grouped by term; *ntok = indexed tokens, *ng = groups. */
static vs_rc analyze_unit(producer *pr, const char *text, size_t len, uint32_t marker, uint32_t *ntok_out, size_t *ng_out) {
    batch *b = pr->b;
    if (!b->slots) {
        b->n_slots = 1024;
        if (!(b->slots = calloc(b->n_slots, sizeof *b->slots))) goto nomem;
    }
    pr->marker = marker;
    pr->pfirst = (uint32_t)b->n_groups;
    pr->n_tok = 0;
    uint32_t ntok = 0, next = 0;
    vs_rc rc = vs_analyze_text(pr->an, text, len, 0, on_token, pr, &next, &ntok);
    if (pr->rc != VS_OK) return pr->rc;
    if (rc != VS_OK) return vs_err_set(&pr->err, rc, "cannot analyse a %s of %zu bytes", marker >> 31 ? "title" : "passage", len);
    /* positions grouped by term: offsets by prefix sums of tf, then a scatter in token order */
    size_t ng = b->n_groups - pr->pfirst;
    if (grow((void **)&pr->cursor, &pr->cap_cursor, 0, ng + 1, 4)) goto nomem;
    if (grow((void **)&b->pos, &b->cap_pos, b->n_pos, pr->n_tok, 4)) goto nomem;
    uint32_t acc = 0;
    for (size_t g = 0; g < ng; g++) {
        pr->cursor[g] = acc;
        acc += b->groups[pr->pfirst + g].tf;
    }
    uint32_t *out = b->pos + b->n_pos;
    for (size_t k = 0; k < pr->n_tok; k++) out[pr->cursor[pr->tok_g[k]]++] = pr->tok_pos[k];
    b->n_pos += pr->n_tok;
    *ntok_out = ntok;
    *ng_out = ng;
    return VS_OK;
nomem:
    return vs_err_set(&pr->err, VS_ENOMEM, "out of memory while analysing");
}

static vs_rc add_passage(producer *pr, const char *text, size_t len) {
    batch *b = pr->b;
    if (grow((void **)&b->psgs, &b->cap_psgs, b->n_psgs, 1, sizeof *b->psgs))
        return vs_err_set(&pr->err, VS_ENOMEM, "out of memory while analysing");
    uint32_t ntok;
    size_t ng;
    vs_rc rc = analyze_unit(pr, text, len, (uint32_t)b->n_psgs + 1, &ntok, &ng);
    if (rc != VS_OK) return rc;
    uint64_t off = b->arena.len;
    if (vs_buf_append(&b->arena, text, len) != VS_OK) return vs_err_set(&pr->err, VS_ENOMEM, "out of memory while analysing");
    b->psgs[b->n_psgs++] = (bpsg){ off, (uint32_t)len, ntok, (uint32_t)ng };
    b->docs[b->n_docs - 1].n_psg++;
    b->text_bytes += len;
    return VS_OK;
}

/* The title field of the last document (which has passages): its terms with VS_TITLE_PREFIX,
 * positions within the title. Markers of titles (2^31 + document) never equal a passage's. */
static vs_rc add_title(producer *pr, const char *text, size_t len) {
    batch *b = pr->b;
    bdoc *bd = &b->docs[b->n_docs - 1];
    pr->title_mode = 1;
    uint32_t ntok;
    size_t ng;
    vs_rc rc = analyze_unit(pr, text, len, 0x80000000u | (uint32_t)b->n_docs, &ntok, &ng);
    pr->title_mode = 0;
    if (rc != VS_OK) return rc;
    bd->t_groups = (uint32_t)ng;
    bd->t_ntok = ntok;
    return VS_OK;
}

static int on_doc(void *ctx, const vs_doc *d) {
    producer *pr = ctx;
    pipe_ *p = pr->p;
    if (p->abort) return 1;
    batch *b = pr->b;
    const vs_ingest_opts *o = p->o;
    if (grow((void **)&b->docs, &b->cap_docs, b->n_docs, 1, sizeof *b->docs)) goto nomem;
    bdoc *bd = &b->docs[b->n_docs++];
    bd->id_off = b->arena.len;
    bd->id_len = (uint32_t)d->id_len;
    bd->title_len = (uint32_t)d->title_len;
    bd->n_psg = 0;
    bd->t_groups = bd->t_ntok = 0;
    vs_rc rc = VS_OK;
    vs_buf_put(&b->arena, d->id, d->id_len, &rc);
    bd->title_off = b->arena.len;
    vs_buf_put(&b->arena, d->title, d->title_len, &rc);
    if (rc != VS_OK || d->id_len > UINT32_MAX || d->title_len > UINT32_MAX) goto nomem;
    vs_passage_opts po = { .max_words = o->max_words, .whole_doc = o->unit_doc };
    if (o->unit_doc) {
        vs_buf_reset(&pr->unit);
        vs_buf_put(&pr->unit, d->title, d->title_len, &rc);
        if (d->title_len && d->body_len) vs_buf_put(&pr->unit, "\n\n", 2, &rc);
        vs_buf_put(&pr->unit, d->body, d->body_len, &rc);
        if (rc != VS_OK) goto nomem;
        rc = vs_passage_split((const char *)pr->unit.p, pr->unit.len, &po, &pr->pl, &pr->err);
    } else {
        rc = vs_passage_split(d->body, d->body_len, &po, &pr->pl, &pr->err);
    }
    if (rc != VS_OK) { pr->rc = rc; return 1; }
    if (pr->pl.n == 0 && d->title_len > 0 && !o->unit_doc) {
        /* A title-only story (Reuters BRIEF) is findable through its title. */
        if ((rc = add_passage(pr, d->title, d->title_len)) != VS_OK) { pr->rc = rc; return 1; }
    } else {
        for (size_t i = 0; i < pr->pl.n; i++)
            if ((rc = add_passage(pr, pr->pl.v[i].text, pr->pl.v[i].len)) != VS_OK) { pr->rc = rc; return 1; }
    }
    /* A document that can be returned (it has passages) gets its title indexed as a field. */
    bd = &b->docs[b->n_docs - 1];
    if (bd->n_psg > 0 && d->title_len > 0 && (rc = add_title(pr, d->title, d->title_len)) != VS_OK) { pr->rc = rc; return 1; }
    b->text_bytes += d->id_len + d->title_len;
    if (b->text_bytes >= p->batch_text) {
        batch *nb = batch_new(pr->task);
        if (!nb) goto nomem;
        pr->b = nb;
        pr->batch_seq++;
        if (push(pr, b)) return 1;
    }
    return 0;
nomem:
    pr->rc = vs_err_set(&pr->err, VS_ENOMEM, "out of memory while reading documents");
    return 1;
}

/* Opens task t's input once (a FIFO, or a file replaced meanwhile, is read exactly once, and
 * the hash is of exactly the bytes indexed). Errors as vs_source_read_file's ("cannot read
 * 'PATH'"). */
static void open_input(producer *pr, const char *path) {
    pr->fd = -1;
    pr->regular = 0;
    pr->size = pr->hash = 0;
    pr->mtime_ns = 0;
    pr->in_rc = VS_OK;
    vs_err_clear(&pr->in_err);
    if (strcmp(path, "-") == 0) {
        pr->fd = 0;
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        pr->in_rc = vs_err_errno(&pr->in_err, e == ENOENT || e == ENOTDIR ? VS_ENOENT : VS_EIO, e, "cannot read '%s'", path);
        return;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
        int e = S_ISDIR(sb.st_mode) ? EISDIR : errno;
        close(fd);
        pr->in_rc = vs_err_errno(&pr->in_err, VS_EIO, e, "cannot read '%s'", path);
        return;
    }
    pr->fd = fd;
    pr->regular = S_ISREG(sb.st_mode);
    pr->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

static void close_input(producer *pr) {
    if (pr->fd > 0) close(pr->fd);
    pr->fd = -1;
}

vs_rc vs_ingest_hash_file(const char *path, uint64_t *hash, uint64_t *size, int64_t *mtime_ns, vs_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return vs_err_errno(err, e == ENOENT || e == ENOTDIR ? VS_ENOENT : VS_EIO, e, "cannot read '%s'", path);
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return vs_err_errno(err, VS_EIO, e, "cannot read '%s'", path);
    }
    *size = (uint64_t)sb.st_size;
    *mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    XXH3_state_t *st = XXH3_createState();
    uint8_t *buf = malloc(256 * 1024);
    vs_rc rc = VS_OK;
    if (!st || !buf) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    else XXH3_64bits_reset(st);
    while (rc == VS_OK) {
        ssize_t k = read(fd, buf, 256 * 1024);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) rc = vs_err_errno(err, VS_EIO, errno, "cannot read '%s'", path);
        if (k <= 0) break;
        XXH3_64bits_update(st, buf, (size_t)k);
    }
    if (rc == VS_OK) *hash = XXH3_64bits_digest(st);
    if (st) XXH3_freeState(st);
    free(buf);
    close(fd);
    return rc;
}

/* Reads task t into batches. */
static void produce(producer *pr, size_t t) {
    pipe_ *p = pr->p;
    const vs_ingest_opts *o = p->o;
    vs_ingest_task *task = &p->tasks[t];
    pr->task = t;
    pr->rc = VS_OK;
    batch *b = pr->b = batch_new(t);
    pr->batch_seq++;
    if (!b) {
        fail_pipe(p, VS_ENOMEM, "out of memory");
        return;
    }
    vs_source_opts so = { .format = o->format, .strict = o->strict, .warn = on_warn, .warn_ctx = pr };
    vs_err err;
    vs_err_clear(&err);
    memset(&pr->ss, 0, sizeof pr->ss);
    vs_rc rc = pr->in_rc;
    if (rc != VS_OK) {
        err = pr->in_err;
    } else {
        vs_source_in in = { .fd = pr->fd };
        rc = vs_source_read_input(task->path, &in, p->window, &so, on_doc, pr, &pr->ss, &pr->hash, &err);
        pr->size = pr->ss.bytes; /* decompressed; the raw size is the file's (catalog) */
        if (pr->regular) {
            struct stat sb;
            if (fstat(pr->fd, &sb) == 0) pr->size = (uint64_t)sb.st_size;
        }
    }
    close_input(pr);
    b = pr->b; /* on_doc may have moved on to a new batch */
    pr->b = NULL;
    if (p->abort) { /* the consumer failed: its error stands */
        batch_free(b);
        return;
    }
    if (pr->rc != VS_OK) {
        rc = pr->rc;
        err = pr->err;
    } else if (rc != VS_OK && (rc == VS_EIO || rc == VS_ENOENT) && !o->strict) {
        /* unreadable or vanished file: skipped and counted (by the consumer) */
        b->skipped = 1;
        vs_rc r2 = VS_OK;
        vs_buf_put(&b->warns, err.msg, strlen(err.msg) + 1, &r2);
        rc = VS_OK;
    }
    b->ss = pr->ss;
    b->size = pr->size;
    b->hash = pr->hash;
    b->mtime_ns = pr->mtime_ns;
    b->rc = rc;
    b->err = err;
    b->last = 1;
    push(pr, b);
}

static void *producer_main(void *arg) {
    producer *pr = arg;
    pipe_ *p = pr->p;
    for (;;) {
        /* Claim and open in task order (opening a FIFO may wait for its writer: the next task
         * is not opened before); parse and analyse in parallel. A pipe, FIFO or device is read
         * to its end before the next input is opened. */
        pthread_mutex_lock(&p->open_mu);
        size_t t = p->abort ? p->n : p->next++;
        int done_here = 0;
        if (t < p->n) {
            open_input(pr, p->tasks[t].path);
            if (pr->in_rc == VS_OK && !pr->regular) {
                produce(pr, t);
                done_here = 1;
            }
        }
        pthread_mutex_unlock(&p->open_mu);
        if (t >= p->n) break;
        if (!done_here) produce(pr, t);
    }
    return NULL;
}

static vs_rc producer_init(producer *pr, pipe_ *p, vs_err *err) {
    memset(pr, 0, sizeof *pr);
    pr->p = p;
    pr->fd = -1;
    vs_passage_list pl0 = VS_PASSAGE_LIST_INIT;
    pr->pl = pl0;
    if (!(pr->pcache = calloc(PCACHE, sizeof *pr->pcache))) return vs_err_set(err, VS_ENOMEM, "out of memory");
    vs_rc rc = vs_analyze_new(p->o->acfg, &pr->an, err);
    /* The analysis threads' term caches share a quarter of the budget: left alone each would
     * grow to ~80 MiB on a large vocabulary, memory that a spill cannot give back. */
    unsigned nth = p->threaded ? p->o->threads : 1;
    if (rc == VS_OK && vs_analyze_set_cache_limit(pr->an, (size_t)(p->o->memory / 4 / nth)) != VS_OK)
        rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    return rc;
}

static void producer_free(producer *pr) {
    vs_analyze_free(pr->an);
    vs_passage_list_free(&pr->pl);
    vs_buf_free(&pr->unit);
    vs_buf_free(&pr->tterm);
    free(pr->tok_g);
    free(pr->tok_pos);
    free(pr->cursor);
    free(pr->pcache);
    batch_free(pr->b);
    close_input(pr);
}

/* ---- consumer: segment writer and inverter ---- */

static void progress(pipe_ *p, int force) {
    const vs_ingest_opts *o = p->o;
    if (!o->progress) return;
    double now = vs_ingest_now();
    if (!force && now - p->last_progress < 0.5) return;
    p->last_progress = now;
    vs_build_progress pg = { p->st->docs, p->done_bytes, p->total_bytes, now - o->t0 };
    o->progress(o->progress_ctx, &pg);
}

/* Resident bytes of this process now (0 if unknown). */
static uint64_t resident(void) {
    static long page;
    if (!page) page = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    unsigned long long size = 0, res = 0;
    if (sscanf(buf, "%llu %llu", &size, &res) != 2) return 0;
    return (uint64_t)res * (uint64_t)page;
}

/* Starts a segment: its file (o->seg_open), writer and inverter. */
static vs_rc seg_start(pipe_ *p, size_t first_task) {
    const vs_ingest_opts *o = p->o;
    p->seg_first = first_task;
    p->seg_bytes0 = p->st->src.bytes;
    vs_rc rc = o->seg_open(o->seg_ctx, p->seg_path, sizeof p->seg_path, p->err);
    if (rc == VS_OK) rc = vs_segwriter_new_tmp(o->tmp_prefix, p->seg_path, &p->sw, p->err);
    if (rc == VS_OK) rc = vs_invert_new(o->tmp_prefix, &p->iv, p->err);
    return rc;
}

/* Finishes the segment of tasks [seg_first, end): merges the inverter's runs into its postings
 * (read buffers: read_mem in all), writes and fsyncs it when it has a passage, and hands it to
 * o->seg_done. */
static vs_rc seg_end(pipe_ *p, size_t end, size_t read_mem) {
    const vs_ingest_opts *o = p->o;
    vs_ingest_stats *st = p->st;
    vs_rc rc = VS_OK;
    int wrote = 0;
    double t = vs_ingest_now();
    if (vs_segwriter_passages(p->sw) > 0) {
        rc = vs_invert_write(p->iv, p->sw, read_mem, o->threads, p->err);
        st->spills += vs_invert_runs(p->iv);
        vs_invert_free(p->iv);
        p->iv = NULL;
        if (rc == VS_OK) rc = vs_segwriter_finish(p->sw, p->seg_path, st->src.bytes - p->seg_bytes0, p->err);
        wrote = rc == VS_OK;
        st->terms_seconds += vs_ingest_now() - t;
    }
    vs_invert_free(p->iv);
    p->iv = NULL;
    vs_segwriter_free(p->sw);
    p->sw = NULL;
    if (rc != VS_OK) return rc;
    st->segments += (unsigned)wrote;
    return o->seg_done(o->seg_ctx, wrote ? p->seg_path : NULL, p->seg_first, end, p->err);
}

static vs_rc consume(pipe_ *p, batch *b) {
    const vs_ingest_opts *o = p->o;
    vs_err *err = p->err;
    vs_ingest_task *task = &p->tasks[b->task];
    if (o->warn)
        for (size_t i = 0; i < b->warns.len;) {
            const char *m = (const char *)b->warns.p + i;
            o->warn(o->warn_ctx, m);
            i += strlen(m) + 1;
        }
    if (b->rc != VS_OK) {
        *err = b->err;
        return b->rc;
    }
    if (!task->read && !task->n_docs) task->first_doc = vs_segwriter_docs(p->sw);
    /* intern the batch's terms once */
    if (b->n_terms > p->cap_tids) {
        uint32_t *t = reallocarray(p->tids, b->n_terms, sizeof *t);
        if (!t) return vs_err_set(err, VS_ENOMEM, "out of memory");
        p->tids = t;
        p->cap_tids = b->n_terms;
    }
    vs_rc rc;
    for (size_t i = 0; i < b->n_terms; i++) {
        const bterm *e = &b->terms[i];
        if ((rc = vs_invert_intern(p->iv, (const char *)b->tstr.p + e->off, e->len, e->hash, &p->tids[i], err)) != VS_OK) return rc;
    }
    size_t pi = 0, gi = 0, qi = 0;
    size_t plen = strlen(task->path);
    for (size_t d = 0; d < b->n_docs; d++) {
        const bdoc *bd = &b->docs[d];
        uint32_t docno;
        rc = vs_segwriter_add_doc(p->sw, (const char *)b->arena.p + bd->id_off, bd->id_len,
                                  (const char *)b->arena.p + bd->title_off, bd->title_len, task->path, plen, &docno, err);
        if (rc != VS_OK) return rc;
        task->n_docs++;
        p->st->docs++;
        uint32_t first = vs_segwriter_passages(p->sw);
        for (uint32_t k = 0; k < bd->n_psg; k++, pi++) {
            const bpsg *ps = &b->psgs[pi];
            uint32_t pid;
            rc = vs_segwriter_add_passage(p->sw, (const char *)b->arena.p + ps->text_off, ps->text_len, ps->ntok, &pid, err);
            if (rc != VS_OK) return rc;
            p->st->passages++;
            for (uint32_t g = 0; g < ps->n_groups; g++, gi++) {
                const bgroup *bg = &b->groups[gi];
                if ((rc = vs_invert_add(p->iv, p->tids[bg->bterm], pid, bg->tf, b->pos + qi, err)) != VS_OK) return rc;
                qi += bg->tf;
            }
        }
        if (bd->t_groups > 0) { /* the title's postings, at the document's first passage */
            if ((rc = vs_segwriter_doc_title(p->sw, bd->t_ntok, err)) != VS_OK) return rc;
            for (uint32_t g = 0; g < bd->t_groups; g++, gi++) {
                const bgroup *bg = &b->groups[gi];
                if ((rc = vs_invert_add(p->iv, p->tids[bg->bterm], first, bg->tf, b->pos + qi, err)) != VS_OK) return rc;
                qi += bg->tf;
            }
        }
    }
    p->done_bytes += b->text_bytes;
    if (b->last) {
        task->read = !b->skipped;
        task->size = b->size;
        task->hash = b->hash;
        task->mtime_ns = b->mtime_ns;
        vs_source_stats *s = &p->st->src;
        s->files += b->ss.files;
        s->docs += b->ss.docs;
        s->bytes += b->ss.bytes;
        s->skipped_records += b->ss.skipped_records;
        s->skipped_files += b->ss.skipped_files + (uint64_t)b->skipped;
        s->invalid_utf8 += b->ss.invalid_utf8;
        if (!task->read) task->n_docs = 0;
        /* The writer's tables have reached their share of the budget: the next task starts a
         * new segment (the inverter's runs go into this one's postings first, with read
         * buffers of memory / 8, the analyzer caches and batches in flight still held). */
        if (o->seg_limit && b->task + 1 < p->n && vs_segwriter_tables(p->sw) > o->seg_limit) {
            if ((rc = seg_end(p, b->task + 1, (size_t)(o->memory / 8))) != VS_OK) return rc;
            if ((rc = seg_start(p, b->task + 1)) != VS_OK) return rc;
            return VS_OK;
        }
    }
    /* Over budget: write a sorted run. The budget is the process's resident memory: what we
     * account for (inverter, segment writer, batches in flight) and what we cannot (analyzer
     * caches, the mapped input, malloc's slack), so both are watched. Below 1/16 of the budget
     * the inverter is not worth a run. */
    size_t iv = vs_invert_bytes(p->iv);
    if (iv > o->memory / 16) {
        size_t held = iv + vs_segwriter_mem(p->sw) + p->cap + p->cap_tids * 4;
        if (held > o->memory / 10 * 8 || resident() > o->memory / 10 * 9) {
            if ((rc = vs_invert_spill(p->iv, err)) != VS_OK) return rc;
            malloc_trim(0); /* give the freed postings back, so that the resident size drops */
        }
    }
    progress(p, 0);
    return VS_OK;
}

static vs_rc consume_all(pipe_ *p) {
    vs_rc rc = VS_OK;
    pthread_mutex_lock(&p->mu);
    for (size_t t = 0; t < p->n && rc == VS_OK; t++) {
        p->cur = t;
        pthread_cond_broadcast(&p->cv_prod);
        for (;;) {
            while (!p->head[t] && !p->abort) pthread_cond_wait(&p->cv_cons, &p->mu);
            if (!p->head[t]) { /* aborted by a producer */
                rc = p->fail_rc != VS_OK ? p->fail_rc : VS_EINTERNAL;
                *p->err = p->fail_err;
                break;
            }
            batch *b = p->head[t];
            p->head[t] = b->next;
            if (!p->head[t]) p->tail[t] = NULL;
            size_t m = batch_mem(b);
            pthread_mutex_unlock(&p->mu);
            rc = consume(p, b);
            int last = b->last;
            batch_free(b);
            pthread_mutex_lock(&p->mu);
            p->inflight -= m;
            pthread_cond_broadcast(&p->cv_prod);
            if (rc != VS_OK || last) break;
        }
    }
    if (rc != VS_OK) {
        p->abort = 1;
        pthread_cond_broadcast(&p->cv_prod);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

vs_rc vs_ingest_run(vs_ingest_task *tasks, size_t n, const vs_ingest_opts *o, vs_ingest_stats *st,
                    vs_err *err) {
    memset(st, 0, sizeof *st);
    pipe_ p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.tasks = tasks;
    p.n = n;
    p.st = st;
    p.err = err;
    p.threaded = o->threads > 1;
    p.cap = (size_t)(o->memory / 8);
    if (p.cap < (512u << 10)) p.cap = 512u << 10;
    if (p.cap > (64u << 20)) p.cap = 64u << 20;
    p.batch_text = p.cap / (4 * (o->threads ? o->threads : 1) + 4);
    if (p.batch_text < (32u << 10)) p.batch_text = 32u << 10;
    if (p.batch_text > (4u << 20)) p.batch_text = 4u << 20;
    p.window = (size_t)(o->memory / 16);
    if (p.window < (1u << 20)) p.window = 1u << 20;
    if (p.window > (64u << 20)) p.window = 64u << 20;
    for (size_t i = 0; i < n; i++) {
        tasks[i].read = 0;
        tasks[i].first_doc = tasks[i].n_docs = 0;
        struct stat sb;
        if (strcmp(tasks[i].path, "-") != 0 && stat(tasks[i].path, &sb) == 0) p.total_bytes += (uint64_t)sb.st_size;
    }
    vs_rc rc = seg_start(&p, 0);
    unsigned nth = p.threaded ? o->threads : 1;
    producer *prs = calloc(nth, sizeof *prs);
    if (rc == VS_OK && !prs) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
    unsigned started = 0;
    if (rc == VS_OK && p.threaded) {
        p.head = calloc(n ? n : 1, sizeof *p.head);
        p.tail = calloc(n ? n : 1, sizeof *p.tail);
        if (!p.head || !p.tail) rc = vs_err_set(err, VS_ENOMEM, "out of memory");
        pthread_mutex_init(&p.mu, NULL);
        pthread_mutex_init(&p.open_mu, NULL);
        pthread_cond_init(&p.cv_cons, NULL);
        pthread_cond_init(&p.cv_prod, NULL);
    }
    for (unsigned i = 0; i < nth && rc == VS_OK; i++) rc = producer_init(&prs[i], &p, err);
    if (rc == VS_OK && p.threaded) {
        for (unsigned i = 0; i < nth; i++) {
            if (pthread_create(&prs[i].th, NULL, producer_main, &prs[i]) != 0) {
                fail_pipe(&p, VS_ENOMEM, "cannot start an analysis thread");
                break;
            }
            started++;
        }
        rc = consume_all(&p);
        for (unsigned i = 0; i < started; i++) pthread_join(prs[i].th, NULL);
        /* batches left behind after a failure */
        for (size_t t = 0; t < n; t++)
            for (batch *b = p.head[t], *nx; b; b = nx) {
                nx = b->next;
                batch_free(b);
            }
    } else if (rc == VS_OK) {
        for (size_t t = 0; t < n && !p.abort; t++) {
            open_input(&prs[0], tasks[t].path);
            produce(&prs[0], t);
        }
        if (p.abort) rc = p.fail_rc != VS_OK ? (*err = p.fail_err, p.fail_rc) : err->rc != VS_OK ? err->rc : VS_EINTERNAL;
    }
    if (prs)
        for (unsigned i = 0; i < nth; i++) producer_free(&prs[i]);
    free(prs);
    if (p.threaded && p.head) {
        pthread_mutex_destroy(&p.mu);
        pthread_mutex_destroy(&p.open_mu);
        pthread_cond_destroy(&p.cv_cons);
        pthread_cond_destroy(&p.cv_prod);
    }
    free(p.head);
    free(p.tail);
    free(p.tids);
    p.tids = NULL;
    st->input_seconds = vs_ingest_now() - o->t0 - st->terms_seconds; /* less the cuts' postings */
    if (rc == VS_OK) {
        progress(&p, 1);
        rc = seg_end(&p, n, (size_t)(o->memory / 4));
    }
    vs_invert_free(p.iv);
    vs_segwriter_free(p.sw);
    return rc;
}
