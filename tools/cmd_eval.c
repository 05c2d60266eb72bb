/* cmd_eval.c: `vsearch eval [-q] [-c] [-m MEASURE,...] QRELS RUN`: trec_eval's numbers and layout
 * (query/eval.h). Results go to stdout; a malformed input line is reported as FILE:LINE (exit 65). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "eval.h"

static const char usage[] =
    "usage: vsearch eval [-q] [-c] [-m MEASURE[,...]]... QRELS RUN\n"
    "\n"
    "Scores a TREC run (qid Q0 docid rank score tag) against TREC qrels (qid iter docid rel)\n"
    "with the definitions and output format of NIST trec_eval 10.0. Each query's results are\n"
    "ranked by score, ties by docid descending; the rank column is ignored. RUN may be '-'.\n"
    "\n"
    "  -q, --per-query      print every query's values before the 'all' lines\n"
    "  -c, --complete       average over every judged query: a judged query missing from the\n"
    "                       run scores 0 (without -c such a query stops the evaluation, as\n"
    "                       trec_eval 10.0 does)\n"
    "  -m, --measure LIST   measures to print, comma-separated (repeatable): map, recip_rank,\n"
    "                       P.N[,N...], recall.N, ndcg_cut.N (also written P_10), num_q,\n"
    "                       num_ret, num_rel, num_rel_ret; P, recall or ndcg_cut alone use\n"
    "                       trec_eval's cutoffs 5,10,15,20,30,100,200,500,1000\n"
    "                       default: map,recip_rank,P.10,recall.1000,ndcg_cut.10\n"
    "  -h, --help           show this help\n";

/* Writes b to stdout; 74 on failure. */
static int emit(const vs_buf *b) {
    if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len) goto fail;
    if (fflush(stdout) != 0) goto fail;
    return 0;
fail:
    cli_error("cannot write results to stdout");
    return EX_IOERR;
}

int cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {
        { "per-query", no_argument, NULL, 'q' }, { "complete", no_argument, NULL, 'c' },
        { "measure", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 } };
    int per_query = 0, complete = 0, have_m = 0, c;
    vs_eval_measures m;
    memset(&m, 0, sizeof m);
    vs_err err;
    vs_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qcm:h", opts, NULL)) != -1) {
        switch (c) {
        case 'q': per_query = 1; break;
        case 'c': complete = 1; break;
        case 'm':
            if (vs_eval_measures_add(&m, optarg, &err) != VS_OK)
                return cli_usage("eval", "%s", err.msg);
            have_m = 1;
            break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return cli_usage("eval", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) return cli_usage("eval", "unknown option '-%c'", optopt);
            return cli_usage("eval", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage("eval", "expected QRELS and RUN files, got %d argument%s",
                         argc - optind, argc - optind == 1 ? "" : "s");
    if (!have_m) vs_eval_measures_default(&m);
    const char *qpath = argv[optind], *rpath = argv[optind + 1];

    vs_qrels *qrels = NULL;
    vs_run *run = NULL;
    vs_eval_result *res = NULL;
    vs_buf out = VS_BUF_INIT;
    int status = 0;
    if (vs_eval_qrels_read(qpath, &qrels, &err) != VS_OK ||
        vs_eval_run_read(rpath, &run, &err) != VS_OK) {
        status = cli_fail(&err);
        goto done;
    }
    if (vs_eval_run_results(run) == 0)
        cli_warn("run '%s' has no results: every judged query scores 0", rpath);
    vs_rc rc = vs_eval_compute(qrels, run, &m, complete, &res, &err);
    if (!res) {
        status = cli_fail(&err);
        goto done;
    }
    /* Even when a judged query is missing (rc != VS_OK), print what trec_eval prints before
     * it stops: the -q lines of the queries before it. */
    if (vs_eval_format(res, per_query, &out) != VS_OK) {
        status = cli_fail(&(vs_err){ VS_ENOMEM, "out of memory formatting results" });
        goto done;
    }
    status = emit(&out);
    if (status == 0 && rc != VS_OK) status = cli_fail(&err);
done:
    vs_buf_free(&out);
    vs_eval_result_free(res);
    vs_eval_run_free(run);
    vs_eval_qrels_free(qrels);
    return status;
}
