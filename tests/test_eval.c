/* test_eval.c: `vsearch eval` (query/eval.c) against NIST trec_eval's own outputs, hand-worked
 * examples of every measure, trec_eval's edge cases, exact error messages; and the topic readers
 * (query/topics.c) on fixtures and on the real CACM query.text. */
#include "testutil.h"

#include <math.h>

#include "buf.h"
#include "eval.h"
#include "topics.h"

/* ------------------------------------------------------------------ helpers */

/* Directory of the trec_eval golden outputs: $VSEARCH_EVAL_GOLDEN, else eval-golden beside the
 * shared corpora (../../shared/eval-golden from tests/). NULL if absent. */
static const char *golden_dir(void) {
    static char buf[4200];
    struct stat st;
    const char *env = getenv("VSEARCH_EVAL_GOLDEN");
    if (env && *env && stat(env, &st) == 0 && S_ISDIR(st.st_mode)) return env;
    const char *cands[] = { "../../shared/eval-golden", "../shared/eval-golden" };
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) return cands[i];
    const char *corp = tu_corpora();
    if (corp && strlen(corp) < 4096) {
        snprintf(buf, sizeof buf, "%s/../eval-golden", corp);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) return buf;
    }
    return NULL;
}

#define SKIP_NO_GOLDEN(d) do { if (!(d)) { \
    print_message("skipped: ../shared/eval-golden not found (set VSEARCH_EVAL_GOLDEN)\n"); \
    skip(); } } while (0)

static vs_qrels *qrels_of(const char *text) {
    vs_qrels *q = NULL;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc = vs_eval_qrels_parse("q.txt", text, strlen(text), &q, &err);
    if (rc != VS_OK) print_message("qrels: %s\n", err.msg);
    assert_int_equal(rc, VS_OK);
    return q;
}

static vs_run *run_of(const char *text) {
    vs_run *r = NULL;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc = vs_eval_run_parse("r.txt", text, strlen(text), &r, &err);
    if (rc != VS_OK) print_message("run: %s\n", err.msg);
    assert_int_equal(rc, VS_OK);
    return r;
}

/* Evaluates and formats; returns the text (malloc'd) and the compute status in *rc_out. */
static char *eval_text(const char *qrels, const char *run, const char *measures, int complete,
                       int per_query, vs_rc *rc_out, vs_err *err) {
    vs_qrels *q = qrels_of(qrels);
    vs_run *r = run_of(run);
    vs_eval_measures m;
    memset(&m, 0, sizeof m);
    if (measures)
        assert_int_equal(vs_eval_measures_add(&m, measures, err), VS_OK);
    else
        vs_eval_measures_default(&m);
    vs_eval_result *res = NULL;
    vs_rc rc = vs_eval_compute(q, r, &m, complete, &res, err);
    if (rc_out) *rc_out = rc;
    else assert_int_equal(rc, VS_OK);
    assert_non_null(res);
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_eval_format(res, per_query, &b), VS_OK);
    assert_int_equal(vs_buf_append(&b, "", 1), VS_OK);
    vs_eval_result_free(res);
    vs_eval_run_free(r);
    vs_eval_qrels_free(q);
    return (char *)b.p;
}

static void expect_eval(const char *qrels, const char *run, const char *measures, int complete,
                        int per_query, const char *want) {
    vs_err err;
    vs_err_clear(&err);
    char *got = eval_text(qrels, run, measures, complete, per_query, NULL, &err);
    assert_string_equal(got, want);
    free(got);
}

static void expect_qrels_error(const char *text, const char *msg) {
    vs_qrels *q = (vs_qrels *)1;
    vs_err err;
    vs_err_clear(&err);
    assert_int_equal(vs_eval_qrels_parse("q.txt", text, strlen(text), &q, &err), VS_EDATA);
    assert_null(q);
    assert_string_equal(err.msg, msg);
}

static void expect_run_error(const char *text, const char *msg) {
    vs_run *r = (vs_run *)1;
    vs_err err;
    vs_err_clear(&err);
    assert_int_equal(vs_eval_run_parse("r.txt", text, strlen(text), &r, &err), VS_EDATA);
    assert_null(r);
    assert_string_equal(err.msg, msg);
}

/* ------------------------------------------------------------------ golden trec_eval outputs */

/* trec_eval's output with its own diagnostics ("trec_eval: ..." lines, captured with stderr)
 * taken out: what vsearch must print on stdout. */
static char *golden_stdout(const char *path) {
    char *g = tu_slurp(path, NULL);
    assert_non_null(g);
    char *w = g;
    for (char *p = g; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, "trec_eval:", 10) != 0) {
            memmove(w, p, n);
            w += n;
        }
        p += n;
    }
    *w = '\0';
    return g;
}

static void check_golden(const char *dir, char run_letter, const char *mode) {
    char qpath[4200], rpath[4200], gpath[4200];
    snprintf(qpath, sizeof qpath, "%s/cacm.qrels", dir);
    snprintf(rpath, sizeof rpath, "%s/run-%c.txt", dir, run_letter);
    snprintf(gpath, sizeof gpath, "%s/run-%c.trec_eval%s.txt", dir, run_letter, mode);
    int complete = strcmp(mode, "-c") == 0, per_query = strcmp(mode, "-q") == 0;
    vs_err err;
    vs_err_clear(&err);
    vs_qrels *q = NULL;
    vs_run *r = NULL;
    assert_int_equal(vs_eval_qrels_read(qpath, &q, &err), VS_OK);
    assert_int_equal(vs_eval_qrels_queries(q), 52);   /* README: 52 judged queries, */
    assert_int_equal(vs_eval_qrels_judgments(q), 796); /* 796 pairs */
    assert_int_equal(vs_eval_run_read(rpath, &r, &err), VS_OK);
    vs_eval_measures m;
    vs_eval_measures_default(&m);
    vs_eval_result *res = NULL;
    vs_rc rc = vs_eval_compute(q, r, &m, complete, &res, &err);
    assert_non_null(res);
    if (run_letter == 'c' && !complete) {
        /* trec_eval 10.0-rc3: "result qid '10' not found in qrels" and it stops; with -q it has
         * already printed query 1 (qids go in byte order: 1, 10, 11, ...). */
        char want[9000];
        snprintf(want, sizeof want, "query '10' is judged in '%s' but has no results in '%s':"
                 " use -c to score it 0 (trec_eval 10.0 stops here too)", qpath, rpath);
        assert_int_equal(rc, VS_EDATA);
        assert_string_equal(err.msg, want);
        assert_int_equal(res->has_summary, 0);
        assert_int_equal(res->nq, 1);
    } else {
        assert_int_equal(rc, VS_OK);
    }
    vs_buf b = VS_BUF_INIT;
    assert_int_equal(vs_eval_format(res, per_query, &b), VS_OK);
    assert_int_equal(vs_buf_append(&b, "", 1), VS_OK);
    char *want = golden_stdout(gpath);
    assert_string_equal((char *)b.p, want); /* byte for byte */
    free(want);
    vs_buf_free(&b);
    vs_eval_result_free(res);
    vs_eval_run_free(r);
    vs_eval_qrels_free(q);
}

static void test_golden_all_nine(void **state) {
    (void)state;
    const char *dir = golden_dir();
    SKIP_NO_GOLDEN(dir);
    const char *modes[] = { "", "-q", "-c" };
    for (const char *l = "abc"; *l; l++)
        for (size_t i = 0; i < 3; i++) check_golden(dir, *l, modes[i]);
}

/* ------------------------------------------------------------------ hand-worked measures */

/* Query 1, binary judgments: d1 d3 d5 d7 relevant, d9 judged non-relevant (num_rel = 4, d7 is
 * never retrieved). The rank column is nonsense on purpose: trec_eval ranks by score.
 * Ranking by score: d1 d2 d3 d4 d5 d9, relevant at ranks 1, 3, 5.
 *   map        = (1/1 + 2/3 + 3/5) / 4 = 2.266667 / 4                  = 0.566667 -> 0.5667
 *   recip_rank = 1/1                                                            -> 1.0000
 *   P_5        = 3/5; P_10 = 3/10 (missing ranks count as non-relevant)       -> 0.6000 0.3000
 *   recall_5   = 3/4; recall_1000 = 3/4                                        -> 0.7500
 *   ndcg_cut_10: DCG = 1/log2(2) + 1/log2(4) + 1/log2(6) = 1 + 0.5 + 0.386853 = 1.886853
 *                IDCG (4 relevant) = 1 + 1/log2(3) + 1/log2(4) + 1/log2(5)
 *                     = 1 + 0.630930 + 0.5 + 0.430677 = 2.561606; 1.886853 / 2.561606
 *                                                                  = 0.736590 -> 0.7366
 *   num_ret 6, num_rel 4, num_rel_ret 3. */
static const char q1_qrels[] =
    "1 0 d1 1\n1 0 d3 1\n1 0 d5 1\n1 0 d7 1\n1 0 d9 0\n";
static const char q1_run[] =
    "1 Q0 d9 1 0.5 t\n1 Q0 d5 2 0.6 t\n1 Q0 d4 3 0.7 t\n"
    "1 Q0 d3 4 0.8 t\n1 Q0 d2 5 0.9 t\n1 Q0 d1 6 1.0 t\n";

static void test_binary_measures_by_hand(void **state) {
    (void)state;
    expect_eval(q1_qrels, q1_run,
                "num_q,num_ret,num_rel,num_rel_ret,map,recip_rank,P.5,10,recall.5,1000,ndcg_cut.10",
                0, 1,
                "num_q                 \t1\t1\n"
                "num_ret               \t1\t6\n"
                "num_rel               \t1\t4\n"
                "num_rel_ret           \t1\t3\n"
                "map                   \t1\t0.5667\n"
                "recip_rank            \t1\t1.0000\n"
                "P_5                   \t1\t0.6000\n"
                "P_10                  \t1\t0.3000\n"
                "recall_5              \t1\t0.7500\n"
                "recall_1000           \t1\t0.7500\n"
                "ndcg_cut_10           \t1\t0.7366\n"
                "num_q                 \tall\t1\n"
                "num_ret               \tall\t6\n"
                "num_rel               \tall\t4\n"
                "num_rel_ret           \tall\t3\n"
                "map                   \tall\t0.5667\n"
                "recip_rank            \tall\t1.0000\n"
                "P_5                   \tall\t0.6000\n"
                "P_10                  \tall\t0.3000\n"
                "recall_5              \tall\t0.7500\n"
                "recall_1000           \tall\t0.7500\n"
                "ndcg_cut_10           \tall\t0.7366\n");
}

/* Query 2, graded: c=3, a=2, f=2, b=1 relevant (num_rel 4; f never retrieved), d=0 judged
 * non-relevant, e=-1 (negative: not relevant, no gain, and not in the ideal ranking).
 * Ranking by score: e b a x c d (x is not judged), relevant at ranks 2, 3, 5.
 *   map        = (1/2 + 2/3 + 3/5) / 4 = 1.766667 / 4 = 0.441667            -> 0.4417
 *   recip_rank = 1/2                                                         -> 0.5000
 *   P_5 = 3/5 -> 0.6000; recall_5 = 3/4 -> 0.7500
 *   ndcg_cut_2: DCG@2 = 0 + 1/log2(3) = 0.630930; IDCG@2 = 3/1 + 2/log2(3) = 4.261860
 *               0.630930 / 4.261860 = 0.148041                               -> 0.1480
 *   ndcg_cut_10: DCG = 1/log2(3) + 2/log2(4) + 3/log2(6) = 0.630930 + 1 + 1.160558 = 2.791488
 *                IDCG = 3 + 2/log2(3) + 2/log2(4) + 1/log2(5)
 *                     = 3 + 1.261860 + 1 + 0.430677 = 5.692536
 *                2.791488 / 5.692536 = 0.490377                              -> 0.4904 */
static void test_graded_ndcg_and_negative_grades(void **state) {
    (void)state;
    expect_eval("2 0 a 2\n2 0 b 1\n2 0 c 3\n2 0 d 0\n2 0 e -1\n2 0 f 2\n",
                "2 Q0 e 1 6 t\n2 Q0 b 2 5 t\n2 Q0 a 3 4 t\n2 Q0 x 4 3 t\n2 Q0 c 5 2 t\n"
                "2 Q0 d 6 1 t\n",
                "map,recip_rank,P.5,recall.5,ndcg_cut.2,10,num_rel,num_rel_ret", 0, 0,
                "num_rel               \tall\t4\n"
                "num_rel_ret           \tall\t3\n"
                "map                   \tall\t0.4417\n"
                "recip_rank            \tall\t0.5000\n"
                "P_5                   \tall\t0.6000\n"
                "recall_5              \tall\t0.7500\n"
                "ndcg_cut_2            \tall\t0.1480\n"
                "ndcg_cut_10           \tall\t0.4904\n");
}

/* Two queries average: map (0.566667 + 0.441667) / 2 = 0.504167 -> 0.5042; recip_rank
 * (1 + 0.5) / 2 = 0.75; num_ret and num_rel are sums (6 + 6, 4 + 4), num_q the count. Queries are
 * printed in qid byte order, so "10" comes before "2". */
static void test_mean_and_qid_order(void **state) {
    (void)state;
    char qrels[512], run[512];
    /* Query 1 becomes "10" (qid renamed), query 2 stays "2". */
    snprintf(qrels, sizeof qrels, "%s%s",
             "2 0 a 2\n2 0 b 1\n2 0 c 3\n2 0 d 0\n2 0 e -1\n2 0 f 2\n",
             "10 0 d1 1\n10 0 d3 1\n10 0 d5 1\n10 0 d7 1\n10 0 d9 0\n");
    snprintf(run, sizeof run, "%s%s",
             "2 Q0 e 1 6 t\n2 Q0 b 2 5 t\n2 Q0 a 3 4 t\n2 Q0 x 4 3 t\n2 Q0 c 5 2 t\n2 Q0 d 6 1 t\n",
             "10 Q0 d9 1 0.5 t\n10 Q0 d5 2 0.6 t\n10 Q0 d4 3 0.7 t\n"
             "10 Q0 d3 4 0.8 t\n10 Q0 d2 5 0.9 t\n10 Q0 d1 6 1.0 t\n");
    expect_eval(qrels, run, "num_q,num_ret,num_rel,map,recip_rank", 0, 1,
                "num_q                 \t10\t1\n"
                "num_ret               \t10\t6\n"
                "num_rel               \t10\t4\n"
                "map                   \t10\t0.5667\n"
                "recip_rank            \t10\t1.0000\n"
                "num_q                 \t2\t1\n"
                "num_ret               \t2\t6\n"
                "num_rel               \t2\t4\n"
                "map                   \t2\t0.4417\n"
                "recip_rank            \t2\t0.5000\n"
                "num_q                 \tall\t2\n"
                "num_ret               \tall\t12\n"
                "num_rel               \tall\t8\n"
                "map                   \tall\t0.5042\n"
                "recip_rank            \tall\t0.7500\n");
}

/* Ties: equal scores are ordered by docid descending in byte order, whatever the rank column
 * says. "z" > "m" > "a", so z (relevant) is first: recip_rank 1 (by the rank column it would be
 * 1/3). "9" > "10" as strings, so 10 (relevant) is second: recip_rank 1/2. */
static void test_ties_docid_descending(void **state) {
    (void)state;
    expect_eval("1 0 z 1\n", "1 Q0 a 1 1.0 t\n1 Q0 m 2 1.0 t\n1 Q0 z 3 1.0 t\n", "recip_rank", 0,
                0, "recip_rank            \tall\t1.0000\n");
    expect_eval("1 0 10 1\n", "1 Q0 10 1 5 t\n1 Q0 9 2 5 t\n", "recip_rank", 0, 0,
                "recip_rank            \tall\t0.5000\n");
    /* Scores compare as numbers, not strings: 10 > 9.5 > -1e3. */
    expect_eval("1 0 b 1\n", "1 Q0 a 1 9.5 t\n1 Q0 b 2 10 t\n1 Q0 c 3 -1e3 t\n", "recip_rank", 0,
                0, "recip_rank            \tall\t1.0000\n");
}

/* A query with judgments but none relevant: every measure is 0 (trec_eval leaves them 0: no
 * division by num_rel = 0, and nDCG's ideal DCG is 0 so DCG (0) is kept). */
static void test_query_without_relevant_documents(void **state) {
    (void)state;
    expect_eval("1 0 a 0\n1 0 b -2\n", "1 Q0 a 1 2 t\n1 Q0 b 2 1 t\n", NULL, 0, 0,
                "map                   \tall\t0.0000\n"
                "recip_rank            \tall\t0.0000\n"
                "P_10                  \tall\t0.0000\n"
                "recall_1000           \tall\t0.0000\n"
                "ndcg_cut_10           \tall\t0.0000\n");
}

/* A run query that has no judgments is ignored: num_q counts judged queries only. */
static void test_unjudged_run_query_is_ignored(void **state) {
    (void)state;
    expect_eval("1 0 a 1\n", "1 Q0 a 1 2 t\n99 Q0 a 1 2 t\n99 Q0 b 2 1 t\n", "num_q,num_ret,map",
                0, 0,
                "num_q                 \tall\t1\n"
                "num_ret               \tall\t1\n"
                "map                   \tall\t1.0000\n");
}

/* -c: judged query 2 is missing from the run; it scores 0 and counts in every mean:
 * map (1 + 0) / 2 = 0.5; num_ret 0 for it, but num_rel keeps its 2 judgments. */
static void test_complete_scores_missing_queries_zero(void **state) {
    (void)state;
    expect_eval("1 0 a 1\n2 0 a 1\n2 0 b 1\n", "1 Q0 a 1 2 t\n", "num_q,num_ret,num_rel,map", 1, 1,
                "num_q                 \t1\t1\n"
                "num_ret               \t1\t1\n"
                "num_rel               \t1\t1\n"
                "map                   \t1\t1.0000\n"
                "num_q                 \t2\t1\n"
                "num_ret               \t2\t0\n"
                "num_rel               \t2\t2\n"
                "map                   \t2\t0.0000\n"
                "num_q                 \tall\t2\n"
                "num_ret               \tall\t1\n"
                "num_rel               \tall\t3\n"
                "map                   \tall\t0.5000\n");
}

/* Without -c, trec_eval 10.0 stops at the first judged query (in qid byte order) that the run
 * lacks, after printing the -q lines of the queries before it, and prints no "all" lines. */
static void test_missing_query_without_complete_stops(void **state) {
    (void)state;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc;
    char *got = eval_text("1 0 a 1\n2 0 a 1\n3 0 a 1\n", "1 Q0 a 1 2 t\n3 Q0 a 1 2 t\n", "map", 0,
                          1, &rc, &err);
    assert_int_equal(rc, VS_EDATA);
    assert_string_equal(err.msg, "query '2' is judged in 'q.txt' but has no results in 'r.txt':"
                        " use -c to score it 0 (trec_eval 10.0 stops here too)");
    assert_string_equal(got, "map                   \t1\t1.0000\n");
    free(got);
}

/* An empty run (comments and blank lines only) evaluates to zeros over every judged query,
 * with or without -c; the CLI warns about it. */
static void test_empty_run_scores_zero(void **state) {
    (void)state;
    vs_run *r = run_of("# nothing retrieved\n\n");
    assert_int_equal(vs_eval_run_results(r), 0);
    assert_int_equal(vs_eval_run_queries(r), 0);
    vs_eval_run_free(r);
    expect_eval("1 0 a 1\n2 0 b 1\n", "", "num_q,num_ret,num_rel,map,ndcg_cut.10", 0, 0,
                "num_q                 \tall\t2\n"
                "num_ret               \tall\t0\n"
                "num_rel               \tall\t2\n"
                "map                   \tall\t0.0000\n"
                "ndcg_cut_10           \tall\t0.0000\n");
    vs_qrels *q = qrels_of("1 0 a 1\n2 0 b 1\n");
    r = run_of("");
    vs_eval_measures m;
    vs_eval_measures_default(&m);
    vs_eval_result *res = NULL;
    vs_err err;
    assert_int_equal(vs_eval_compute(q, r, &m, 0, &res, &err), VS_OK);
    assert_int_equal(res->scored_zero, 2);
    vs_eval_result_free(res);
    vs_eval_run_free(r);
    vs_eval_qrels_free(q);
}

/* Inputs as people write them: CRLF, tabs, several spaces, '#' comments, extra run columns,
 * no final newline. */
static void test_input_whitespace_and_comments(void **state) {
    (void)state;
    expect_eval("# judged by hand\r\n1\t0\td1\t1\r\n\r\n  1 0   d2  0",
                "1 Q0 d2 1 3.0 tag extra columns\r\n#1 Q0 d1 2 9 t\n1  Q0\td1 2 2.5e0 t", "map", 0,
                0, "map                   \tall\t0.5000\n");
}

/* ------------------------------------------------------------------ malformed input */

static void test_qrels_errors(void **state) {
    (void)state;
    expect_qrels_error("1 0 d1 1\n1 0 d2\n",
                       "q.txt:2: expected 4 fields 'qid iter docid rel', found 3");
    expect_qrels_error("1 0 d1 1 5\n", "q.txt:1: expected 4 fields 'qid iter docid rel', found 5");
    expect_qrels_error("\n1 0 d1 x\n", "q.txt:2: relevance 'x' is not a whole number");
    expect_qrels_error("1 0 d1 1.5\n", "q.txt:1: relevance '1.5' is not a whole number");
    expect_qrels_error("1 0 d1 99999999999999999999\n",
                       "q.txt:1: relevance '99999999999999999999' is not a whole number");
    expect_qrels_error("1 0 d1 1\n2 0 d1 1\n1 0 d1 0\n",
                       "q.txt:3: document 'd1' is judged twice for query '1' (first at line 1)");
    expect_qrels_error("# only a comment\n\n", "'q.txt' has no judgments");
    expect_qrels_error("", "'q.txt' has no judgments");
    vs_qrels *q = NULL;
    vs_err err;
    assert_int_equal(vs_eval_qrels_parse("q.txt", "1 0 d\0 1\n", 9, &q, &err), VS_EDATA);
    assert_string_equal(err.msg, "q.txt:1: NUL byte in line");
    assert_int_equal(vs_eval_qrels_read("no-such-qrels.txt", &q, &err), VS_ENOENT);
    assert_string_equal(err.msg, "cannot open qrels 'no-such-qrels.txt': No such file or directory");
}

static void test_run_errors(void **state) {
    (void)state;
    expect_run_error("1 Q0 d1 1 2.0 t\n1 Q0 d2 2 1.0\n",
                     "r.txt:2: expected 6 fields 'qid Q0 docid rank score tag', found 5");
    expect_run_error("1 Q0 d1 1 abc t\n", "r.txt:1: score 'abc' is not a number");
    expect_run_error("1 Q0 d1 1 1.5x t\n", "r.txt:1: score '1.5x' is not a number");
    expect_run_error("1 Q0 d1 1 nan t\n", "r.txt:1: score 'nan' is not a number");
    /* trec_eval stops on a document retrieved twice for one query ("duplicate docs"). */
    expect_run_error("1 Q0 d1 1 3 t\n1 Q0 d2 2 2 t\n2 Q0 d1 1 3 t\n1 Q0 d1 3 1 t\n1 Q0 d1 4 0 t\n",
                     "r.txt:4: document 'd1' is retrieved twice for query '1' (first at line 1)");
    vs_run *r = NULL;
    vs_err err;
    assert_int_equal(vs_eval_run_read("no-such-run.txt", &r, &err), VS_ENOENT);
    assert_null(r);
}

static void test_measure_lists(void **state) {
    (void)state;
    vs_eval_measures m;
    vs_err err;
    memset(&m, 0, sizeof m);
    assert_int_equal(vs_eval_measures_add(&m, "P.20,5,10,ndcg_cut_10,map", &err), VS_OK);
    assert_int_equal(vs_eval_measures_add(&m, "P_10,recall", &err), VS_OK);
    assert_int_equal(m.flags, VS_EVAL_MAP);
    assert_int_equal(m.p.n, 3); /* sorted, duplicates merged */
    assert_int_equal(m.p.k[0], 5);
    assert_int_equal(m.p.k[1], 10);
    assert_int_equal(m.p.k[2], 20);
    assert_int_equal(m.ndcg_cut.n, 1);
    assert_int_equal(m.recall.n, 9); /* trec_eval's defaults 5..1000 */
    assert_int_equal(m.recall.k[8], 1000);
    assert_int_equal(vs_eval_measures_add(&m, "bpref", &err), VS_EUSAGE);
    assert_string_equal(err.msg, "unknown measure 'bpref': expected map, recip_rank, P.N,"
                        " recall.N, ndcg_cut.N, num_q, num_ret, num_rel or num_rel_ret");
    assert_int_equal(vs_eval_measures_add(&m, "map,10", &err), VS_EUSAGE);
    assert_string_equal(err.msg, "cutoff '10' must follow a measure with cutoffs, as in P.5,10");
    assert_int_equal(vs_eval_measures_add(&m, "P.0", &err), VS_EUSAGE);
    assert_string_equal(err.msg, "invalid cutoff '0' for P: expected a whole number from 1 to"
                        " 100000000");
    assert_int_equal(vs_eval_measures_add(&m, "ndcg_cut.x", &err), VS_EUSAGE);
    assert_int_equal(vs_eval_measures_add(&m, "map,,P.5", &err), VS_EUSAGE);
    assert_string_equal(err.msg, "empty measure name in 'map,,P.5'");
    assert_int_equal(vs_eval_measures_add(&m, "Px", &err), VS_EUSAGE);
}

/* ------------------------------------------------------------------ topics */

static vs_topics *topics_file(const char *path, vs_topics_field f) {
    vs_topics *t = NULL;
    vs_err err;
    vs_err_clear(&err);
    vs_rc rc = vs_topics_read(path, f, &t, &err);
    if (rc != VS_OK) print_message("%s\n", err.msg);
    assert_int_equal(rc, VS_OK);
    return t;
}

static void expect_topics_error(const char *text, vs_topics_field f, const char *msg) {
    vs_topics *t = (vs_topics *)1;
    vs_err err;
    vs_err_clear(&err);
    assert_int_equal(vs_topics_parse("t.txt", text, strlen(text), f, &t, &err), VS_EDATA);
    assert_null(t);
    assert_string_equal(err.msg, msg);
}

static void test_topics_trec_open_tags(void **state) {
    (void)state;
    vs_topics *t = topics_file("fixtures/topics-trec.txt", VS_TOPICS_TITLE);
    assert_int_equal(t->format, VS_TOPICS_TREC);
    assert_int_equal(t->n, 2);
    assert_string_equal(t->qid[0], "51"); /* "Number: 051" */
    assert_string_equal(t->text[0], "Cocoa Export Quotas"); /* "Topic:" dropped */
    assert_int_equal(t->line[0], 1);
    assert_string_equal(t->qid[1], "302");
    assert_string_equal(t->text[1], "Coffee price collapse");
    assert_int_equal(t->line[1], 24);
    vs_topics_free(t);
    t = topics_file("fixtures/topics-trec.txt", VS_TOPICS_DESC);
    assert_string_equal(t->text[0], "Document will report on agreements between producing"
                        " countries to limit cocoa exports.");
    assert_string_equal(t->text[1], "What caused the fall of world coffee prices?");
    vs_topics_free(t);
    t = topics_file("fixtures/topics-trec.txt", VS_TOPICS_NARR);
    assert_string_equal(t->text[1], "Relevant documents give a cause: oversupply, the end of the"
                        " quota system, or a < 5% fall in demand.");
    vs_topics_free(t);
    t = topics_file("fixtures/topics-trec.txt", VS_TOPICS_TITLE_DESC);
    assert_string_equal(t->text[1], "Coffee price collapse What caused the fall of world coffee"
                        " prices?");
    vs_topics_free(t);
}

static void test_topics_trec_closed_tags(void **state) {
    (void)state;
    vs_topics *t = topics_file("fixtures/topics-trec-closed.txt", VS_TOPICS_TITLE_DESC);
    assert_int_equal(t->n, 2);
    assert_string_equal(t->qid[0], "7");
    assert_string_equal(t->text[0], "grain shipments to the USSR Which ports shipped grain to"
                        " the Soviet Union?");
    assert_string_equal(t->qid[1], "0");
    assert_string_equal(t->text[1], "sugar beet harvest European sugar beet harvest estimates.");
    vs_topics_free(t);
    /* Topic 0 has no <narr>. */
    vs_topics *bad = NULL;
    vs_err err;
    assert_int_equal(vs_topics_read("fixtures/topics-trec-closed.txt", VS_TOPICS_NARR, &bad,
                                    &err), VS_EDATA);
    assert_string_equal(err.msg, "fixtures/topics-trec-closed.txt:2: topic '0' has no <narr> text");
}

static void test_topics_tsv_and_smart(void **state) {
    (void)state;
    vs_topics *t = topics_file("fixtures/topics-tsv.txt", VS_TOPICS_TITLE);
    assert_int_equal(t->format, VS_TOPICS_TSV);
    assert_int_equal(t->n, 3);
    assert_string_equal(t->qid[0], "1");
    assert_string_equal(t->text[0], "cocoa export quotas");
    assert_string_equal(t->qid[1], "2"); /* trimmed */
    assert_string_equal(t->text[1], "coffee prices"); /* extra tab and CR are spaces */
    assert_int_equal(t->line[1], 3);
    assert_string_equal(t->qid[2], "Q-3");
    vs_topics_free(t);
    t = topics_file("fixtures/topics-smart.txt", VS_TOPICS_TITLE);
    assert_int_equal(t->format, VS_TOPICS_SMART);
    assert_int_equal(t->n, 3);
    assert_string_equal(t->qid[0], "1");
    assert_string_equal(t->text[0], "Articles on time sharing systems."); /* .N skipped */
    assert_string_equal(t->qid[1], "2"); /* ".I 02" */
    assert_string_equal(t->text[1], "Compilers intermediate languages"); /* .T + .W, .A skipped */
    assert_string_equal(t->text[2], "parallel sorting");
    vs_topics_free(t);
}

static void test_topics_errors(void **state) {
    (void)state;
    vs_topics *t = NULL;
    vs_err err;
    assert_int_equal(vs_topics_read("fixtures/topics-bad-nonum.txt", VS_TOPICS_TITLE, &t, &err),
                     VS_EDATA);
    assert_string_equal(err.msg, "fixtures/topics-bad-nonum.txt:6: topic has no <num>");
    assert_int_equal(vs_topics_read("fixtures/topics-bad-dup.txt", VS_TOPICS_TITLE, &t, &err),
                     VS_EDATA);
    assert_string_equal(err.msg, "fixtures/topics-bad-dup.txt:4: duplicate topic '1' (first at"
                        " line 1)");
    assert_int_equal(vs_topics_read("fixtures/no-such-topics.txt", VS_TOPICS_TITLE, &t, &err),
                     VS_ENOENT);
    expect_topics_error("<top>\n<num> Number: 1\n<title> a\n</top>\n<top>\n<num> 01\n<title> b\n",
                        VS_TOPICS_TITLE, "t.txt:5: duplicate topic '1' (first at line 1)");
    expect_topics_error("<num> 1\n<title> x\n", VS_TOPICS_TITLE, "t.txt:1: <num> outside <top>");
    expect_topics_error("<top><num> Number: </num><title>x</title></top>", VS_TOPICS_TITLE,
                        "t.txt:1: empty <num>");
    expect_topics_error("<top>\n<num> 1\n<title> x\n<title> y\n</top>", VS_TOPICS_TITLE,
                        "t.txt:4: second <title> in topic at line 1");
    expect_topics_error("<top>\n<num> 1\n<title> x\n</top>\n</top>\n", VS_TOPICS_TITLE,
                        "t.txt:5: </top> without <top>");
    expect_topics_error("<top>\n<num> 1\n<title>\n</top>\n", VS_TOPICS_TITLE_DESC,
                        "t.txt:1: topic '1' has no <title> or <desc> text");
    expect_topics_error("1\tcocoa\n2 coffee\n", VS_TOPICS_TITLE,
                        "t.txt:2: expected 'qid<TAB>text'");
    expect_topics_error("1\tcocoa\n2\t  \n", VS_TOPICS_TITLE, "t.txt:2: query '2' has no text");
    expect_topics_error("a b\tcocoa\n", VS_TOPICS_TITLE, "t.txt:1: qid 'a b' contains whitespace");
    expect_topics_error("\tcocoa\n", VS_TOPICS_TITLE, "t.txt:1: empty qid");
    expect_topics_error(".I 1\n.W\n text\n.I 2\n.N\n note\n", VS_TOPICS_TITLE,
                        "t.txt:4: query '2' has no .W text");
    expect_topics_error(".I\n.W\n text\n", VS_TOPICS_TITLE, "t.txt:1: .I without a query number");
    expect_topics_error("\n\n  \n", VS_TOPICS_TITLE, "'t.txt' has no topics");
    expect_topics_error("just some words\n", VS_TOPICS_TITLE, "'t.txt' is not a topic file:"
                        " expected TREC topics (<top>), SMART queries (.I N) or TSV (qid<TAB>text)");
    assert_int_equal(vs_topics_parse("t.txt", "1\tco\0coa\n", 9, VS_TOPICS_TITLE, &t, &err),
                     VS_EDATA);
    assert_string_equal(err.msg, "t.txt:1: NUL byte in line");
    vs_topics_field f;
    assert_int_equal(vs_topics_field_parse("title+desc", &f, &err), VS_OK);
    assert_int_equal(f, VS_TOPICS_TITLE_DESC);
    assert_int_equal(vs_topics_field_parse("body", &f, &err), VS_EUSAGE);
    assert_string_equal(err.msg, "invalid topic field 'body': expected title, desc, narr or"
                        " title+desc");
}

/* The real CACM queries: 64, qids "1".."64" as in the golden qrels (so every judged qid is a
 * topic qid), .W text only (query 2's .A author lines are not text). */
static void test_topics_cacm_query_text(void **state) {
    (void)state;
    const char *corp = tu_corpora();
    TU_SKIP_NO_CORPORA(corp);
    char path[4200];
    snprintf(path, sizeof path, "%s/cacm/query.text", corp);
    vs_topics *t = topics_file(path, VS_TOPICS_TITLE);
    assert_int_equal(t->format, VS_TOPICS_SMART);
    assert_int_equal(t->n, 64);
    for (size_t i = 0; i < t->n; i++) {
        char want[32];
        snprintf(want, sizeof want, "%zu", i + 1);
        assert_string_equal(t->qid[i], want);
    }
    assert_string_equal(t->text[0], "What articles exist which deal with TSS (Time Sharing"
                        " System), an operating system for IBM computers?");
    assert_string_equal(t->text[1], "I am interested in articles written either by Prieve or"
                        " Udo Pooch");
    const char *gold = golden_dir();
    if (gold) {
        char qpath[4200];
        snprintf(qpath, sizeof qpath, "%s/cacm.qrels", gold);
        char *q = tu_slurp(qpath, NULL);
        assert_non_null(q);
        for (char *line = strtok(q, "\n"); line; line = strtok(NULL, "\n")) {
            char qid[32];
            assert_int_equal(sscanf(line, "%31s", qid), 1);
            size_t i = 0;
            while (i < t->n && strcmp(t->qid[i], qid) != 0) i++;
            assert_true(i < t->n);
        }
        free(q);
    }
    vs_topics_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_all_nine),
        cmocka_unit_test(test_binary_measures_by_hand),
        cmocka_unit_test(test_graded_ndcg_and_negative_grades),
        cmocka_unit_test(test_mean_and_qid_order),
        cmocka_unit_test(test_ties_docid_descending),
        cmocka_unit_test(test_query_without_relevant_documents),
        cmocka_unit_test(test_unjudged_run_query_is_ignored),
        cmocka_unit_test(test_complete_scores_missing_queries_zero),
        cmocka_unit_test(test_missing_query_without_complete_stops),
        cmocka_unit_test(test_empty_run_scores_zero),
        cmocka_unit_test(test_input_whitespace_and_comments),
        cmocka_unit_test(test_qrels_errors),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_measure_lists),
        cmocka_unit_test(test_topics_trec_open_tags),
        cmocka_unit_test(test_topics_trec_closed_tags),
        cmocka_unit_test(test_topics_tsv_and_smart),
        cmocka_unit_test(test_topics_errors),
        cmocka_unit_test(test_topics_cacm_query_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
