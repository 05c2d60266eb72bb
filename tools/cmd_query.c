/* cmd_query.c: `vsearch query TEXT` — print the top passages. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vsearch.h"

static void help(void) {
    printf("usage: vsearch query [options] TEXT\n\n"
           "Print the passages that best match TEXT, ranked by BM25. TEXT is in the query language:\n"
           "words (OR by default), \"phrases\", +required, -excluded, AND, OR, NOT, parentheses and\n"
           "word^2.5 boosts; --bag-of-words takes it as plain words.\n\n"
           "  -i, --index DIR   index directory (default ./.vsearch or $VSEARCH_INDEX)\n"
           "  -k, --top N       number of hits (default 10)\n"
           "      --json        one JSON document: {\"query\",\"hits\":[{rank,score,doc,passage,title,path,snippet,text}]}\n"
           "      --trec        TREC run lines: qid Q0 docid rank score tag\n"
           "      --qid ID      query id for --trec (default 1);  --tag T  run tag (default vsearch)\n"
           "      --explain     per-term BM25 breakdown of every hit\n"
           "      --exhaustive  score every posting (no pruning; for testing)\n"
           "      --color WHEN  highlight matches: auto (default, on a tty), always, never\n"
           CLI_SEARCH_HELP
           "  -h, --help        this help\n");
}

static void print_marked(const vs_hit *h, int color) {
    const char *s = h->snippet;
    size_t at = 0, n = strlen(s);
    for (size_t m = 0; m < h->n_marks; m++) {
        uint32_t a = h->marks[2 * m], b = h->marks[2 * m + 1];
        if (a < at || b > n) continue;
        fwrite(s + at, 1, a - at, stdout);
        if (color) fputs("\033[1;31m", stdout);
        fwrite(s + a, 1, b - a, stdout);
        if (color) fputs("\033[0m", stdout);
        at = b;
    }
    fputs(s + at, stdout);
}

static void print_explain_text(const vs_results *r, const vs_hit *h) {
    for (size_t t = 0; t < r->n_terms; t++) {
        const vs_term_explain *e = &h->explain[t];
        /* a title clause: its document's title length, the average title length, N_T */
        printf("      %-16s tf=%u df=%u N=%llu idf=%.6f %s=%u avglen=%.4f weight=%g -> %.6f (%.1f%%)\n", e->term, e->tf,
               e->df, (unsigned long long)e->N, e->idf, e->title ? "tlen" : "len", e->len, e->avglen, e->weight, e->contribution,
               h->score > 0 ? 100.0 * e->contribution / h->score : 0.0);
    }
}

static void print_json(const vs_results *r, int explain, double k1, double b) {
    fputs("{\"query\":", stdout);
    cli_json_str(stdout, r->query, strlen(r->query));
    fputs(",\"terms\":[", stdout);
    for (size_t t = 0; t < r->n_terms; t++) {
        if (t) fputc(',', stdout);
        cli_json_str(stdout, r->terms[t], strlen(r->terms[t]));
    }
    printf("],\"k1\":%.17g,\"b\":%.17g,\"N\":%llu,\"avglen\":%.17g,\"hits\":[", k1, b, (unsigned long long)r->N, r->avglen);
    for (size_t i = 0; i < r->n; i++) {
        const vs_hit *h = &r->hits[i];
        printf("%s{\"rank\":%zu,\"score\":%.17g,\"doc\":", i ? "," : "", i + 1, h->score);
        cli_json_str(stdout, h->doc, strlen(h->doc));
        printf(",\"passage\":%u,\"title\":", h->passage);
        cli_json_str(stdout, h->title, strlen(h->title));
        fputs(",\"path\":", stdout);
        cli_json_str(stdout, h->path, strlen(h->path));
        fputs(",\"snippet\":", stdout);
        cli_json_str(stdout, h->snippet, strlen(h->snippet));
        fputs(",\"text\":", stdout);
        cli_json_str(stdout, h->text, strlen(h->text));
        printf(",\"len\":%u", h->len);
        if (explain) {
            fputs(",\"explain\":[", stdout);
            for (size_t t = 0; t < r->n_terms; t++) {
                const vs_term_explain *e = &h->explain[t];
                printf("%s{\"term\":", t ? "," : "");
                cli_json_str(stdout, e->term, strlen(e->term));
                printf(",\"field\":\"%s\",\"weight\":%.17g,\"tf\":%u,\"df\":%u,\"idf\":%.17g,\"len\":%u,\"avglen\":%.17g,\"N\":%llu,\"contribution\":%.17g}",
                       e->title ? "title" : "body", e->weight, e->tf, e->df, e->idf, e->len, e->avglen,
                       (unsigned long long)e->N, e->contribution);
            }
            fputc(']', stdout);
        }
        fputc('}', stdout);
    }
    fputs("]}\n", stdout);
}

int cmd_query(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "top", required_argument, NULL, 'k' },
        { "json", no_argument, NULL, 'j' }, { "trec", no_argument, NULL, 't' },
        { "qid", required_argument, NULL, 'Q' }, { "tag", required_argument, NULL, 'T' },
        { "explain", no_argument, NULL, 'e' },
        { "exhaustive", no_argument, NULL, 'X' }, { "color", required_argument, NULL, 'C' },
        CLI_SEARCH_OPTIONS, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL, *qid = "1", *tag = "vsearch";
    int json = 0, trec = 0, color = -1, c;
    vs_search_opts so;
    vs_search_opts_default(&so);
    so.syntax = 1; /* interactive queries speak the query language; batch topics are bag of words */
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:k:h", opts, NULL)) != -1) {
        uint64_t v;
        int handled = cli_search_opt("query", c, optarg, &so);
        if (handled < 0) return 64;
        if (handled) continue;
        switch (c) {
        case 'i': dir = optarg; break;
        case 'k':
            if (cli_parse_u64("-k", optarg, 1, 1000000, &v) != 0) return 64;
            so.k = (uint32_t)v;
            break;
        case 'j': json = 1; break;
        case 't': trec = 1; break;
        case 'Q': qid = optarg; break;
        case 'T': tag = optarg; break;
        case 'e': so.explain = 1; break;
        case 'X': so.exhaustive = 1; break;
        case 'C':
            if (!strcmp(optarg, "always")) color = 1;
            else if (!strcmp(optarg, "never")) color = 0;
            else if (!strcmp(optarg, "auto")) color = -1;
            else return cli_usage("query", "unknown --color '%s': expected auto, always or never", optarg);
            break;
        case 'h': help(); return 0;
        default: return cli_usage("query", "bad option");
        }
    }
    if (optind != argc - 1) return cli_usage("query", optind >= argc ? "missing query text" : "give the query as one argument (quote it)");
    if (json && trec) return cli_usage("query", "--json and --trec exclude each other");
    if (color < 0) color = isatty(1);
    const char *text = argv[optind];
    vs_err err;
    vs_err_clear(&err);
    vs_index *ix;
    vs_rc rc = vs_index_open(cli_index_dir(dir), &ix, &err);
    if (rc != VS_OK) return cli_fail(&err);
    so.snippets = !trec;
    vs_results *r;
    rc = vs_search(ix, text, &so, &r, &err);
    if (rc != VS_OK) {
        vs_index_close(ix);
        return cli_fail(&err);
    }
    vs_index_stats ist;
    int unit_doc = vs_index_stats_get(ix, &ist, &err) == VS_OK && ist.unit_doc;
    if (json) {
        print_json(r, so.explain, so.k1, so.b);
    } else if (trec) {
        for (size_t i = 0; i < r->n; i++) {
            const vs_hit *h = &r->hits[i];
            if (so.by_doc || unit_doc) printf("%s Q0 %s %zu %.6f %s\n", qid, h->doc, i + 1, h->score, tag);
            else printf("%s Q0 %s#%u %zu %.6f %s\n", qid, h->doc, h->passage, i + 1, h->score, tag);
        }
    } else {
        if (so.explain && r->n)
            printf("score = sum over terms of weight * idf * tf / (tf + k1 * (1 - b + b * len / avglen)),"
                   " idf = ln(1 + (N - df + 0.5) / (df + 0.5)); k1 = %g, b = %g\n\n", so.k1, so.b);
        size_t live = 0;
        for (size_t t = 0; t < r->n_terms; t++) live += r->terms[t][0] != '\0';
        if (r->n == 0) fprintf(stderr, "vsearch: no hits for '%s'%s\n", text, live ? "" : " (no indexed terms in the query)");
        for (size_t i = 0; i < r->n; i++) {
            const vs_hit *h = &r->hits[i];
            if (color) printf("\033[1m%2zu.\033[0m \033[32m%.4f\033[0m  \033[35m%s\033[0m  passage %u\n", i + 1, h->score, h->path, h->passage);
            else printf("%2zu. %.4f  %s  passage %u\n", i + 1, h->score, h->path, h->passage);
            if (strcmp(h->doc, h->path) != 0) printf("    doc: %s\n", h->doc);
            if (*h->title) printf(color ? "    \033[1m%s\033[0m\n" : "    %s\n", h->title);
            fputs("    ", stdout);
            print_marked(h, color);
            fputc('\n', stdout);
            if (so.explain) print_explain_text(r, h);
            if (i + 1 < r->n) fputc('\n', stdout);
        }
    }
    vs_results_free(r);
    vs_index_close(ix);
    return 0;
}
