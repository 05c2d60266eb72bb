/* fuzz_eval.c: the qrels and run parsers and the evaluation behind `vsearch eval` (query/eval.h).
 *
 * Input: byte 0 flags (bit 0 complete (-c), bit 1 per-query output (-q), bit 2 all measures),
 * bytes 1-2 the length of the qrels part; then the qrels text, then the run text.
 * Invariants: parsers return VS_OK or VS_EDATA with a message naming the file; on success,
 * vs_eval_compute returns VS_OK, or VS_EDATA with a partial result only when a judged query has no
 * results and complete is off; every measure is finite and within its range (num_* >= 0, map,
 * P, recall, ndcg, recip_rank in [0, 1]); the output formats. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    uint8_t flags = fz_u8(&in);
    size_t ql = fz_u8(&in);
    ql |= (size_t)fz_u8(&in) << 8;
    if (ql > in.n) ql = in.n;
    char *qb = malloc(ql ? ql : 1), *rb = malloc(in.n - ql ? in.n - ql : 1);
    if (!qb || !rb) abort();
    memcpy(qb, in.p, ql);
    memcpy(rb, in.p + ql, in.n - ql);
    vs_qrels *q = NULL;
    vs_run *r = NULL;
    vs_err err;
    vs_rc rc = vs_eval_qrels_parse("qrels.txt", qb, ql, &q, &err);
    if (rc != VS_OK) {
        FZ_CHECK(rc == VS_EDATA || rc == VS_ENOMEM, "qrels error code");
        FZ_CHECK(strstr(err.msg, "qrels.txt") != NULL, "qrels message does not name the file");
    }
    vs_rc rc2 = vs_eval_run_parse("run.txt", rb, in.n - ql, &r, &err);
    if (rc2 != VS_OK) {
        FZ_CHECK(rc2 == VS_EDATA || rc2 == VS_ENOMEM, "run error code");
        FZ_CHECK(strstr(err.msg, "run.txt") != NULL, "run message does not name the file");
    }
    if (rc == VS_OK && rc2 == VS_OK) {
        vs_eval_measures m;
        memset(&m, 0, sizeof m);
        if (flags & 4) FZ_CHECK(vs_eval_measures_add(&m, "num_q,num_ret,num_rel,num_rel_ret,map,recip_rank,P.1,5,10,recall.3,1000,ndcg_cut.1,10", &err) == VS_OK, "measures");
        else vs_eval_measures_default(&m);
        vs_eval_result *res = NULL;
        vs_rc rc3 = vs_eval_compute(q, r, &m, flags & 1, &res, &err);
        FZ_CHECK(rc3 == VS_OK || rc3 == VS_EDATA, "compute error code");
        if (rc3 == VS_EDATA) FZ_CHECK(!(flags & 1), "compute fails with complete on");
        if (res) {
            for (size_t i = 0; i < res->nq; i++)
                for (size_t k = 0; k < res->nmeas; k++) {
                    double v = res->value[i * res->nmeas + k];
                    FZ_CHECK(isfinite(v) && v >= 0, "measure not finite or negative");
                    if (!res->is_count[k]) FZ_CHECK(v <= 1.0 + 1e-9, "measure above 1");
                }
            if (res->has_summary)
                for (size_t k = 0; k < res->nmeas; k++) FZ_CHECK(isfinite(res->summary[k]), "summary not finite");
            vs_buf out = VS_BUF_INIT;
            FZ_CHECK(vs_eval_format(res, (flags & 2) != 0, &out) == VS_OK, "format");
            vs_buf_free(&out);
            vs_eval_result_free(res);
        }
    }
    vs_eval_qrels_free(q);
    vs_eval_run_free(r);
    free(qb);
    free(rb);
    return 0;
}
