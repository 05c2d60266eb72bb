/* eval.h: `vsearch eval`: score a TREC run against TREC qrels exactly as NIST trec_eval 10.0
 * does, for map, P_N, recall_N, ndcg_cut_N, recip_rank, num_q, num_ret, num_rel and num_rel_ret,
 * and print the result in trec_eval's layout ("%-22s\t%s\t%6.4f", counts as integers).
 *
 * Inputs (whitespace-separated fields; blank lines and lines starting with '#' are skipped):
 *   qrels  `qid iter docid rel`            exactly 4 fields; rel a whole number; a document is
 *                                          relevant when rel >= 1, and rel is its nDCG gain.
 *   run    `qid Q0 docid rank score tag`   at least 6 fields (more are ignored); the rank column
 *                                          is ignored: each query's list is ordered by score
 *                                          descending, then docid descending (byte order).
 * A malformed line stops the reader with VS_EDATA and "FILE:LINE: what". A docid judged twice
 * for one query, or retrieved twice for one query, is malformed too (trec_eval stops on both).
 *
 * What is evaluated (trec_eval 10.0-rc3): every query of the qrels, in qid byte order. A run query
 * that is not judged is ignored. A judged query that has no results in the run scores 0 on every
 * measure (num_rel keeps its count) with `complete` (-c), or when the run is empty; otherwise the
 * evaluation stops there with VS_EDATA, as trec_eval does (see vs_eval_compute).
 *
 * Readers keep the whole file in memory (strings point into it), so memory is bounded by a small
 * multiple of the input size; everything is O(n log n) in the number of lines. */
#ifndef VS_EVAL_H
#define VS_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vs_err.h"

typedef struct vs_qrels vs_qrels; /* opaque: parsed judgments */
typedef struct vs_run vs_run;     /* opaque: parsed run */

/* Reads a qrels file. VS_ENOENT if it cannot be opened, VS_EIO on a read error, VS_EDATA for a
 * malformed line or a file without judgments. */
VS_MUST_CHECK vs_rc vs_eval_qrels_read(const char *path, vs_qrels **out, vs_err *err);
/* Same from memory; `name` is used in messages. data need not be NUL-terminated (it is copied). */
VS_MUST_CHECK vs_rc vs_eval_qrels_parse(const char *name, const char *data, size_t len,
                                        vs_qrels **out, vs_err *err);
void vs_eval_qrels_free(vs_qrels *q); /* NULL is a no-op */
size_t vs_eval_qrels_queries(const vs_qrels *q);   /* judged queries */
size_t vs_eval_qrels_judgments(const vs_qrels *q); /* judgment lines */

/* Reads a run file ("-" reads stdin). An empty run (no result lines) is valid. Errors as above. */
VS_MUST_CHECK vs_rc vs_eval_run_read(const char *path, vs_run **out, vs_err *err);
VS_MUST_CHECK vs_rc vs_eval_run_parse(const char *name, const char *data, size_t len,
                                      vs_run **out, vs_err *err);
void vs_eval_run_free(vs_run *r); /* NULL is a no-op */
size_t vs_eval_run_queries(const vs_run *r); /* distinct qids */
size_t vs_eval_run_results(const vs_run *r); /* result lines */

/* Which measures to compute. Zero-initialise, then vs_eval_measures_default() or
 * vs_eval_measures_add(). Cutoff lists are kept ascending and without duplicates. */
#define VS_EVAL_MAX_CUTOFFS 32
enum {
    VS_EVAL_NUM_Q = 1u << 0,
    VS_EVAL_NUM_RET = 1u << 1,
    VS_EVAL_NUM_REL = 1u << 2,
    VS_EVAL_NUM_REL_RET = 1u << 3,
    VS_EVAL_MAP = 1u << 4,
    VS_EVAL_RECIP_RANK = 1u << 5
};
typedef struct vs_eval_cutoffs {
    size_t n;
    uint32_t k[VS_EVAL_MAX_CUTOFFS];
} vs_eval_cutoffs;
typedef struct vs_eval_measures {
    unsigned flags;                        /* VS_EVAL_* */
    vs_eval_cutoffs p, recall, ndcg_cut;   /* P_k, recall_k, ndcg_cut_k */
} vs_eval_measures;

/* The set the golden trec_eval outputs use: map, recip_rank, P_10, recall_1000, ndcg_cut_10. */
void vs_eval_measures_default(vs_eval_measures *m);
/* Adds a comma-separated list, trec_eval style: "map", "recip_rank", "num_q", "num_ret",
 * "num_rel", "num_rel_ret", "P" (trec_eval's default cutoffs 5,10,15,20,30,100,200,500,1000),
 * "P.5,10" (numbers after a measure are more cutoffs for it), "P_10"; the same for "recall" and
 * "ndcg_cut". VS_EUSAGE with a message for an unknown name or a bad cutoff (1 to 100000000). */
VS_MUST_CHECK vs_rc vs_eval_measures_add(vs_eval_measures *m, const char *list, vs_err *err);

/* Evaluation result. Measures are in trec_eval's output order: num_q, num_ret, num_rel,
 * num_rel_ret, map, recip_rank, P_k..., recall_k..., ndcg_cut_k... (k ascending). */
typedef struct vs_eval_result {
    size_t nmeas;
    const char **name;        /* "map", "P_10", ... */
    const unsigned char *is_count; /* 1: printed as an integer (num_*) */
    size_t nq;                /* queries with per-query values, in qid byte order */
    const char **qid;         /* borrowed from the qrels: valid while they live */
    const double *value;      /* nq x nmeas, row-major: value[i * nmeas + m] */
    int has_summary;          /* 0 if evaluation stopped early (see vs_eval_compute) */
    const double *summary;    /* nmeas: mean over nq queries; sums for num_ret, num_rel,
                                 num_rel_ret; nq for num_q */
    size_t scored_zero;       /* judged queries without results that were scored 0 */
} vs_eval_result;

/* Evaluates run against qrels. `complete` is trec_eval's -c. On success *out is a full result.
 * When a judged query has no results, the run is not empty and complete is 0, this returns
 * VS_EDATA ("query 'Q' is judged in 'QRELS' but has no results in 'RUN' ...") and, like
 * trec_eval 10.0, still hands back in *out the queries evaluated before it, with has_summary 0, so
 * that the caller can print what trec_eval prints before it stops. On any other error *out is NULL.
 * Free *out with vs_eval_result_free() in both cases. */
VS_MUST_CHECK vs_rc vs_eval_compute(const vs_qrels *qrels, const vs_run *run,
                                    const vs_eval_measures *m, int complete,
                                    vs_eval_result **out, vs_err *err);
void vs_eval_result_free(vs_eval_result *r); /* NULL is a no-op */

/* Appends trec_eval's text: with per_query (-q) each query's lines first, then the "all" lines
 * (only if has_summary). VS_ENOMEM if the buffer cannot grow. */
VS_MUST_CHECK vs_rc vs_eval_format(const vs_eval_result *r, int per_query, vs_buf *out);

#endif
