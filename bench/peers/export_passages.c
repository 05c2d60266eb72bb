/* export_passages.c: writes the units a vsearch index holds, so that the peer engines index
 * exactly the text vsearch indexed (bench/peers.sh).
 *
 *   export_passages [-a] INDEX_DIR > units.jsonl
 *       One JSON object a line, in index order (segment, then passage id), deleted passages
 *       skipped: {"id": "DOC#PNO", "text": "..."} — the stored text of the passage, which is
 *       byte for byte what vsearch analysed (for a --unit doc index: title, blank line, body;
 *       the id is then DOC alone). -a: "text" is vsearch's analysed terms instead (folded,
 *       stemmed and stopped as the index was built), separated by single spaces; peers that
 *       index it with a whitespace tokenizer see vsearch's exact terms and lengths.
 *   export_passages -t TOPICS [-a INDEX_DIR] > topics.tsv
 *       The topics `vsearch batch` would run (TREC, SMART or TSV; title field), one a line:
 *       qid<TAB>text (text with whitespace collapsed, as batch reads it). With -a INDEX_DIR the
 *       text is the analysed terms, as for units.
 * On stderr: units (or topics) written and text bytes. Exit 0, or 1 on any error.
 *
 * Uses the library's internal headers (index/ixread.h, index/segment.h, query/topics.h): this
 * tool belongs to the benchmark, not to the public API. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ixread.h"
#include "segment.h"
#include "topics.h"
#include "vsearch.h"

static void die(const char *what, const char *msg) {
    fprintf(stderr, "export_passages: %s: %s\n", what, msg);
    exit(1);
}

/* JSON string body (no quotes) of s[0..n): ", \ and control bytes escaped; UTF-8 passes as is
 * (stored text is valid UTF-8: the sources repair it before indexing). */
static void put_json(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
}

typedef struct terms_ctx {
    vs_buf out;
    vs_rc rc;
} terms_ctx;

static int on_term(void *ctx, const vs_token *t) {
    terms_ctx *c = ctx;
    if (c->out.len) vs_buf_put(&c->out, " ", 1, &c->rc);
    vs_buf_put(&c->out, t->term, t->len, &c->rc);
    return c->rc != VS_OK;
}

/* The analysed terms of text, space separated, into c->out. */
static void analyse(vs_index *ix, const char *text, size_t len, terms_ctx *c) {
    vs_err err;
    vs_buf_reset(&c->out);
    c->rc = VS_OK;
    if (vs_index_analyze(ix, text, len, on_term, c, &err) != VS_OK) die("analyzer", err.msg);
    if (c->rc != VS_OK) die("analyzer", "out of memory");
}

static void usage(void) {
    fprintf(stderr, "usage: export_passages [-a] INDEX_DIR > units.jsonl\n"
                    "       export_passages -t TOPICS [-a INDEX_DIR] > topics.tsv\n");
    exit(64);
}

static int export_topics(const char *path, vs_index *ix) {
    vs_topics *t;
    vs_err err;
    if (vs_topics_read(path, VS_TOPICS_TITLE, &t, &err) != VS_OK) die(path, err.msg);
    terms_ctx tc = { VS_BUF_INIT, VS_OK };
    uint64_t bytes = 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *text = t->text[i];
        size_t len = strlen(text);
        if (ix) {
            analyse(ix, text, len, &tc);
            text = (const char *)tc.out.p;
            len = tc.out.len;
        }
        /* TSV: a tab or newline inside the text would break the line (the reader collapses
         * whitespace, so there is none; be safe anyway). */
        printf("%s\t", t->qid[i]);
        for (size_t j = 0; j < len; j++) putchar(text[j] == '\t' || text[j] == '\n' ? ' ' : text[j]);
        putchar('\n');
        bytes += len;
    }
    fprintf(stderr, "export_passages: %zu topics, %llu bytes of text\n", t->n, (unsigned long long)bytes);
    vs_buf_free(&tc.out);
    vs_topics_free(t);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

int main(int argc, char **argv) {
    int terms = 0, c;
    const char *topics = NULL, *aindex = NULL;
    while ((c = getopt(argc, argv, "at:h")) != -1) {
        switch (c) {
        case 'a': terms = 1; break;
        case 't': topics = optarg; break;
        default: usage();
        }
    }
    vs_err err;
    vs_index *ix = NULL;
    if (topics) {
        if (argc - optind > 1 || (argc - optind == 1 && !terms) || (terms && argc - optind != 1)) usage();
        if (terms) {
            aindex = argv[optind];
            if (vs_index_open(aindex, &ix, &err) != VS_OK) die(aindex, err.msg);
        }
        int rc = export_topics(topics, ix);
        if (ix) vs_index_close(ix);
        return rc;
    }
    if (argc - optind != 1) usage();
    const char *dir = argv[optind];
    if (vs_index_open(dir, &ix, &err) != VS_OK) die(dir, err.msg);
    int unit_doc = ix->man.unit == 1;

    vs_buf text = VS_BUF_INIT;
    terms_ctx tc = { VS_BUF_INIT, VS_OK };
    uint64_t units = 0, bytes = 0;
    for (size_t s = 0; s < ix->n_seg; s++) {
        vs_segment *seg = ix->seg[s];
        const vs_segment_meta *m = vs_segment_get_meta(seg);
        for (uint32_t pid = 0; pid < m->n_passages; pid++) {
            if (vs_index_is_deleted(ix, s, pid)) continue;
            vs_passage_info pi;
            vs_doc_info di;
            if (vs_segment_passage(seg, pid, &pi, &err) != VS_OK) die(vs_segment_name(seg), err.msg);
            if (vs_segment_doc(seg, pi.doc, &di, &err) != VS_OK) die(vs_segment_name(seg), err.msg);
            if (vs_segment_text(seg, pid, &text, &err) != VS_OK) die(vs_segment_name(seg), err.msg);
            const char *t = (const char *)text.p;
            size_t tl = text.len;
            if (terms) {
                analyse(ix, t, tl, &tc);
                t = (const char *)tc.out.p;
                tl = tc.out.len;
            }
            fputs("{\"id\":\"", stdout);
            put_json(stdout, di.id, di.id_len);
            if (!unit_doc) printf("#%u", pi.pno);
            fputs("\",\"text\":\"", stdout);
            put_json(stdout, t, tl);
            fputs("\"}\n", stdout);
            units++;
            bytes += tl;
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) die("stdout", "write failed");
    fprintf(stderr, "export_passages: %llu %s, %llu bytes of text\n", (unsigned long long)units,
            unit_doc ? "documents" : "passages", (unsigned long long)bytes);
    vs_buf_free(&text);
    vs_buf_free(&tc.out);
    vs_index_close(ix);
    return 0;
}
