/* fts5_bench.c: SQLite FTS5 as a peer engine for bench/peers.sh (build, TREC run, latency).
 *
 *   fts5_bench build [-T TOK] [-s 0|1] DB UNITS.jsonl
 *   fts5_bench run   [-T TOK] [-k N] [--tag T] DB TOPICS.tsv > run.txt
 *   fts5_bench lat   [-T TOK] [-r REPS] [-n NAME] DB QUERIES.tsv
 *   fts5_bench size  DB      (prints total=BYTES content=BYTES: the file, and its stored text)
 *
 * TOK, the tokenizer (the same at build and query time):
 *   plain   unicode61 remove_diacritics 0: runs of Unicode letters/digits, lower-cased
 *   porter  porter unicode61 remove_diacritics 0: the same, then the original Porter (1980)
 *           stemmer (FTS5 has no Snowball "english"/Porter2)
 *   ws      split at spaces only, nothing else (for the units and topics export_passages -a
 *           writes: vsearch's own analysed terms)
 * Schema: docs(id TEXT) with rowid = line number of the unit, and
 *   CREATE VIRTUAL TABLE t USING fts5(text, tokenize=TOK, detail=full[, content=''])
 * -s 0 makes t contentless (content=''), i.e. no stored text; default -s 1 stores it. Loading:
 * journal_mode=OFF, synchronous=OFF, one transaction, then INSERT INTO t(t) VALUES('optimize')
 * (merges all b-tree segments into one, like Lucene's forceMerge(1)) and COMMIT; then VACUUM
 * (timed apart) so the file holds no free pages. Prints one line:
 *   peer-build engine=fts5 units= text_bytes= load_s= optimize_s= vacuum_s= peak_rss_mib=
 *
 * Ranking: ORDER BY rank, i.e. FTS5's built-in bm25() with its fixed k1 = 1.2, b = 0.75 and
 * idf = ln((N - n + 0.5) / (n + 0.5)), floored at 1e-6 (a term in more than half the rows adds
 * about nothing). Scores reported as -bm25().
 *   run: every topic is tokenized by TOK's own xTokenize; each token's source text is quoted
 *        ("..." with " doubled) and the quoted tokens are joined with OR (a bag of words; a
 *        repeated word is repeated, so it counts twice, as in vsearch). Top N (default 1000) as
 *        a TREC run "qid Q0 id rank score tag".
 *   lat: queries of type term ("w"), and ("a" AND "b"), or ("a" OR "b" ...), phrase ("a b");
 *        SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT ?2, every row stepped. Timing
 *        protocol in peerbench.h. The connection has a 1 GiB page cache and 2 GB mmap so warm
 *        queries do not go through read(2). */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerbench.h"

static void sql_die(sqlite3 *db, const char *what) {
    fprintf(stderr, "fts5_bench: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fts5_bench: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

/* ---- the "ws" tokenizer: split at ' ' (and \t \n \r), nothing else ---- */

static int ws_create(void *ud, const char **az, int n, Fts5Tokenizer **out) {
    (void)ud;
    (void)az;
    (void)n;
    static int dummy;
    *out = (Fts5Tokenizer *)&dummy;
    return SQLITE_OK;
}

static void ws_delete(Fts5Tokenizer *t) { (void)t; }

static int ws_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
                       int (*tok)(void *, int, const char *, int, int, int)) {
    (void)t;
    (void)flags;
    int i = 0;
    while (i < n) {
        while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
        int s = i;
        while (i < n && !(text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
        if (i > s) {
            int rc = tok(ctx, 0, text + s, i - s, s, i);
            if (rc != SQLITE_OK) return rc;
        }
    }
    return SQLITE_OK;
}

static fts5_api *get_api(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) sql_die(db, "fts5()");
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (!api) pb_die("fts5", "no fts5_api");
    return api;
}

static void register_ws(sqlite3 *db) {
    fts5_api *api = get_api(db);
    static fts5_tokenizer ws = { ws_create, ws_delete, ws_tokenize };
    if (api->xCreateTokenizer(api, "vsws", NULL, &ws, NULL) != SQLITE_OK) sql_die(db, "xCreateTokenizer");
}

/* FTS5 tokenize= argument for a -T name. */
static const char *tok_spec(const char *name) {
    if (strcmp(name, "plain") == 0) return "unicode61 remove_diacritics 0";
    if (strcmp(name, "porter") == 0) return "porter unicode61 remove_diacritics 0";
    if (strcmp(name, "ws") == 0) return "vsws";
    pb_die(name, "unknown tokenizer (plain, porter, ws)");
    return NULL;
}

static sqlite3 *open_db(const char *path, int create) {
    sqlite3 *db;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) sql_die(db, path);
    register_ws(db);
    return db;
}

static double secs(uint64_t a, uint64_t b) { return (double)(b - a) / 1e9; }

static int cmd_build(const char *tok, int store, const char *dbpath, const char *units) {
    remove(dbpath);
    sqlite3 *db = open_db(dbpath, 1);
    exec(db, "PRAGMA journal_mode=OFF");
    exec(db, "PRAGMA synchronous=OFF");
    exec(db, "CREATE TABLE docs(id TEXT)");
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='%s', detail=full%s)",
             tok_spec(tok), store ? "" : ", content=''");
    exec(db, sql);
    FILE *f = fopen(units, "r");
    if (!f) pb_die(units, "cannot open");
    sqlite3_stmt *ins_d, *ins_t;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(rowid, id) VALUES(?1, ?2)", -1, &ins_d, NULL) != SQLITE_OK)
        sql_die(db, "prepare");
    if (sqlite3_prepare_v2(db, "INSERT INTO t(rowid, text) VALUES(?1, ?2)", -1, &ins_t, NULL) != SQLITE_OK)
        sql_die(db, "prepare");
    uint64_t t0 = pb_now_ns();
    exec(db, "BEGIN");
    char *line = NULL;
    size_t cap = 0;
    long len;
    sqlite3_int64 row = 0;
    unsigned long long bytes = 0;
    while ((len = pb_getline(f, &line, &cap)) >= 0) {
        if (len == 0) continue;
        char *id, *text;
        size_t il, tl;
        if (pb_parse_unit(line, &id, &il, &text, &tl) != 0) pb_die(units, "bad line");
        row++;
        bytes += tl;
        sqlite3_bind_int64(ins_d, 1, row);
        sqlite3_bind_text(ins_d, 2, id, (int)il, SQLITE_STATIC);
        if (sqlite3_step(ins_d) != SQLITE_DONE) sql_die(db, "insert docs");
        sqlite3_reset(ins_d);
        sqlite3_bind_int64(ins_t, 1, row);
        sqlite3_bind_text(ins_t, 2, text, (int)tl, SQLITE_STATIC);
        if (sqlite3_step(ins_t) != SQLITE_DONE) sql_die(db, "insert t");
        sqlite3_reset(ins_t);
    }
    fclose(f);
    free(line);
    uint64_t t1 = pb_now_ns();
    exec(db, "INSERT INTO t(t) VALUES('optimize')");
    exec(db, "COMMIT");
    uint64_t t2 = pb_now_ns();
    sqlite3_finalize(ins_d);
    sqlite3_finalize(ins_t);
    exec(db, "VACUUM");
    uint64_t t3 = pb_now_ns();
    if (sqlite3_close(db) != SQLITE_OK) pb_die(dbpath, "close failed");
    printf("peer-build engine=fts5 units=%lld text_bytes=%llu load_s=%.3f optimize_s=%.3f vacuum_s=%.3f "
           "peak_rss_mib=%.1f\n",
           (long long)row, bytes, secs(t0, t1), secs(t1, t2), secs(t2, t3), pb_peak_rss_mib());
    return 0;
}

/* ---- queries ---- */

typedef struct qctx {
    sqlite3 *db;
    sqlite3_stmt *st;
    fts5_tokenizer tk;
    Fts5Tokenizer *tok;
    char *buf;          /* the MATCH string being built */
    size_t len, cap;
    const char *src;    /* text being tokenized */
    int ntok;
    sqlite3_int64 *ids; /* hits of the last query */
} qctx;

static void put(qctx *q, const char *s, size_t n) {
    if (q->len + n + 1 > q->cap) {
        q->cap = (q->len + n + 1) * 2;
        q->buf = (char *)realloc(q->buf, q->cap);
        if (!q->buf) pb_die("query", "out of memory");
    }
    memcpy(q->buf + q->len, s, n);
    q->len += n;
    q->buf[q->len] = 0;
}

/* Appends "s" with every " doubled. */
static void put_quoted(qctx *q, const char *s, size_t n) {
    put(q, "\"", 1);
    for (size_t i = 0; i < n; i++) put(q, s[i] == '"' ? "\"\"" : s + i, 1 + (s[i] == '"'));
    put(q, "\"", 1);
}

static int on_query_token(void *ctx, int flags, const char *tok, int n, int start, int end) {
    (void)flags;
    (void)tok;
    (void)n;
    qctx *q = ctx;
    if (q->ntok++) put(q, " OR ", 4);
    put_quoted(q, q->src + start, (size_t)(end - start));
    return SQLITE_OK;
}

static void setup_query(qctx *q, const char *tok, const char *dbpath) {
    memset(q, 0, sizeof *q);
    q->db = open_db(dbpath, 0);
    exec(q->db, "PRAGMA cache_size=-1048576");
    exec(q->db, "PRAGMA mmap_size=2000000000");
    if (sqlite3_prepare_v2(q->db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT ?2", -1, &q->st,
                           NULL) != SQLITE_OK)
        sql_die(q->db, "prepare");
    /* The tokenizer named by the spec, for topics. */
    fts5_api *api = get_api(q->db);
    char spec[128];
    snprintf(spec, sizeof spec, "%s", tok_spec(tok));
    const char *az[8];
    int naz = 0;
    for (char *p = strtok(spec, " "); p && naz < 8; p = strtok(NULL, " ")) az[naz++] = p;
    void *ud;
    if (api->xFindTokenizer(api, az[0], &ud, &q->tk) != SQLITE_OK) pb_die(az[0], "tokenizer not found");
    if (q->tk.xCreate(ud, az + 1, naz - 1, &q->tok) != SQLITE_OK) pb_die(az[0], "tokenizer create failed");
    q->ids = (sqlite3_int64 *)malloc(1000 * sizeof *q->ids);
}

static size_t search(qctx *q, const char *match, unsigned k) {
    sqlite3_bind_text(q->st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int(q->st, 2, (int)k);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW)
        if (n < 1000) q->ids[n++] = sqlite3_column_int64(q->st, 0);
    if (rc != SQLITE_DONE) sql_die(q->db, match);
    sqlite3_reset(q->st);
    return n;
}

static int cmd_run(const char *tok, const char *dbpath, const char *topics, unsigned k, const char *tag) {
    qctx q;
    setup_query(&q, tok, dbpath);
    sqlite3_stmt *st, *idst;
    if (sqlite3_prepare_v2(q.db, "SELECT rowid, -bm25(t) FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT ?2", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q.db, "SELECT id FROM docs WHERE rowid = ?1", -1, &idst, NULL) != SQLITE_OK)
        sql_die(q.db, "prepare");
    size_t nt;
    pb_query *t = pb_read_tsv(topics, &nt);
    for (size_t i = 0; i < nt; i++) {
        q.len = 0;
        q.ntok = 0;
        put(&q, "", 0);
        q.src = t[i].text;
        if (q.tk.xTokenize(q.tok, &q, FTS5_TOKENIZE_QUERY, t[i].text, (int)strlen(t[i].text), on_query_token) !=
            SQLITE_OK)
            pb_die(t[i].key, "tokenize failed");
        if (q.ntok == 0) continue;
        sqlite3_bind_text(st, 1, q.buf, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)k);
        int rank = 0, rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            sqlite3_bind_int64(idst, 1, sqlite3_column_int64(st, 0));
            if (sqlite3_step(idst) != SQLITE_ROW) sql_die(q.db, "id lookup");
            printf("%s Q0 %s %d %.6f %s\n", t[i].key, (const char *)sqlite3_column_text(idst, 0), ++rank,
                   sqlite3_column_double(st, 1), tag);
            sqlite3_reset(idst);
        }
        if (rc != SQLITE_DONE) sql_die(q.db, q.buf);
        sqlite3_reset(st);
    }
    return 0;
}

/* Latency: MATCH string from the query type and its space-separated words. */
static size_t lat_search(void *ctx, const char *type, const char *text, unsigned k) {
    qctx *q = ctx;
    q->len = 0;
    put(q, "", 0);
    if (strcmp(type, "phrase") == 0) {
        char w[1024];
        pb_unquote(text, w, sizeof w);
        put_quoted(q, w, strlen(w));
    } else {
        const char *op = strcmp(type, "and") == 0 ? " AND " : " OR ";
        const char *p = text;
        int n = 0;
        while (*p) {
            while (*p == ' ') p++;
            const char *s = p;
            while (*p && *p != ' ') p++;
            if (p > s) {
                if (n++) put(q, op, strlen(op));
                put_quoted(q, s, (size_t)(p - s));
            }
        }
    }
    return search(q, q->buf, k);
}

static int cmd_lat(const char *tok, const char *dbpath, const char *queries, int reps, const char *name) {
    qctx q;
    setup_query(&q, tok, dbpath);
    pb_latency("fts5", name, queries, reps, lat_search, &q);
    return 0;
}

/* Bytes of the database file, and of the pages holding the stored text (the content table
 * t_content, from the dbstat virtual table): "without stored text" = total - content. */
static int cmd_size(const char *dbpath) {
    sqlite3 *db = open_db(dbpath, 0);
    sqlite3_stmt *st;
    long long total = 0, content = 0;
    if (sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", -1, &st,
                           NULL) != SQLITE_OK)
        sql_die(db, "page_count");
    if (sqlite3_step(st) == SQLITE_ROW) total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 't_content'", -1, &st,
                           NULL) != SQLITE_OK)
        sql_die(db, "dbstat");
    if (sqlite3_step(st) == SQLITE_ROW) content = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    printf("total=%lld content=%lld\n", total, content);
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: fts5_bench build [-T plain|porter|ws] [-s 0|1] DB UNITS.jsonl\n"
                    "       fts5_bench run [-T TOK] [-k N] [--tag T] DB TOPICS.tsv\n"
                    "       fts5_bench lat [-T TOK] [-r REPS] [-n NAME] DB QUERIES.tsv\n"
                    "       fts5_bench size DB\n");
    exit(64);
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    const char *cmd = argv[1];
    const char *tok = "plain", *tag = "fts5", *name = "unnamed";
    int store = 1, reps = 10;
    unsigned k = 1000;
    static const struct option lo[] = { { "tag", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "T:s:k:r:n:", lo, NULL)) != -1) {
        switch (c) {
        case 'T': tok = optarg; break;
        case 's': store = atoi(optarg); break;
        case 'k': k = (unsigned)atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'n': name = optarg; break;
        case 't': tag = optarg; break;
        default: usage();
        }
    }
    if (strcmp(cmd, "size") == 0 && argc - optind == 1) return cmd_size(argv[optind]);
    if (argc - optind != 2) usage();
    tok_spec(tok);
    if (strcmp(cmd, "build") == 0) return cmd_build(tok, store, argv[optind], argv[optind + 1]);
    if (strcmp(cmd, "run") == 0) return cmd_run(tok, argv[optind], argv[optind + 1], k, tag);
    if (strcmp(cmd, "lat") == 0) return cmd_lat(tok, argv[optind], argv[optind + 1], reps, name);
    usage();
    return 64;
}
