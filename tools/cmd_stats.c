/* cmd_stats.c: `vsearch stats` — counts and the size of each part of the index. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vsearch.h"

static void help(void) {
    printf("usage: vsearch stats [-i DIR] [--json]\n\n"
           "Print documents, passages, terms, postings, segments, and the bytes of each part of the\n"
           "index with its share of the raw text.\n");
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

int cmd_stats(int argc, char **argv) {
    static const struct option opts[] = {
        { "index", required_argument, NULL, 'i' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    const char *dir = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': dir = optarg; break;
        case 'j': json = 1; break;
        case 'h': help(); return 0;
        default: return cli_usage("stats", "bad option");
        }
    }
    if (optind != argc) return cli_usage("stats", "unexpected argument '%s'", argv[optind]);
    vs_err err;
    vs_err_clear(&err);
    vs_index *ix;
    vs_rc rc = vs_index_open(cli_index_dir(dir), &ix, &err);
    if (rc != VS_OK) return cli_fail(&err);
    vs_index_stats s;
    rc = vs_index_stats_get(ix, &s, &err);
    vs_index_close(ix);
    if (rc != VS_OK) return cli_fail(&err);
    const struct { const char *name; uint64_t v; } parts[] = {
        { "dictionary", s.bytes_dict }, { "postings", s.bytes_postings }, { "positions", s.bytes_positions },
        { "lengths", s.bytes_lengths }, { "passages", s.bytes_passages }, { "documents", s.bytes_docs },
        { "strings", s.bytes_strings }, { "stored", s.bytes_stored }, { "title", s.bytes_title },
        { "overhead", s.bytes_overhead + s.bytes_manifest }, { "total", s.bytes_total } };
    size_t np = sizeof parts / sizeof *parts;
    /* without stored: minus the passage text; without stored fields: minus ids, titles and paths too
     * (what Lucene's stored fields would hold) */
    uint64_t no_stored = s.bytes_total - s.bytes_stored;
    uint64_t no_fields = no_stored - s.bytes_strings;
    uint64_t no_stored_pos = no_stored - s.bytes_positions;
    if (json) {
        printf("{\"documents\":%" PRIu64 ",\"passages\":%" PRIu64 ",\"terms\":%" PRIu64 ",\"postings\":%" PRIu64
               ",\"positions\":%" PRIu64 ",\"segments\":%" PRIu64 ",\"raw_bytes\":%" PRIu64 ",\"avglen\":%.6f"
               ",\"titled_documents\":%" PRIu64 ",\"title_terms\":%" PRIu64
               ",\"unit\":\"%s\",\"stem\":%s,\"stopwords\":\"%s\",\"bytes\":{",
               s.documents, s.passages, s.terms, s.postings, s.positions, s.segments, s.raw_bytes, s.avglen,
               s.titled_documents, s.title_terms, s.unit_doc ? "doc" : "passage", s.stem ? "true" : "false",
               s.n_stopwords ? "custom" : (s.stop_default ? "default" : "none"));
        for (size_t i = 0; i < np; i++) printf("%s\"%s\":%" PRIu64, i ? "," : "", parts[i].name, parts[i].v);
        printf(",\"without_stored\":%" PRIu64 ",\"without_stored_fields\":%" PRIu64 ",\"without_stored_positions\":%" PRIu64
               "},\"percent_of_raw\":{", no_stored, no_fields, no_stored_pos);
        for (size_t i = 0; i < np; i++) printf("%s\"%s\":%.2f", i ? "," : "", parts[i].name, pct(parts[i].v, s.raw_bytes));
        printf(",\"without_stored\":%.2f,\"without_stored_fields\":%.2f,\"without_stored_positions\":%.2f},"
               "\"bytes_per_posting\":%.3f}\n",
               pct(no_stored, s.raw_bytes), pct(no_fields, s.raw_bytes), pct(no_stored_pos, s.raw_bytes),
               s.postings ? (double)(s.bytes_postings + s.bytes_title_postings) / (double)s.postings : 0.0);
        return 0;
    }
    printf("documents   %" PRIu64 "\npassages    %" PRIu64 "  (average %.1f terms, unit %s)\nterms       %" PRIu64
           "\npostings    %" PRIu64 "  (%.2f bytes per posting)\npositions   %" PRIu64 "\nsegments    %" PRIu64
           "\ntitles      %" PRIu64 " documents, %" PRIu64 " terms\nraw text    %" PRIu64 " bytes\nanalyzer    stemming %s, stopwords %s\n\n",
           s.documents, s.passages, s.avglen, s.unit_doc ? "doc" : "passage", s.terms, s.postings,
           s.postings ? (double)(s.bytes_postings + s.bytes_title_postings) / (double)s.postings : 0.0, s.positions, s.segments,
           s.titled_documents, s.title_terms, s.raw_bytes, s.stem ? "on" : "off", s.n_stopwords ? "custom" : (s.stop_default ? "default" : "none"));
    printf("%-24s %12s %9s\n", "part", "bytes", "% of raw");
    for (size_t i = 0; i < np; i++) printf("%-24s %12" PRIu64 " %8.2f%%\n", parts[i].name, parts[i].v, pct(parts[i].v, s.raw_bytes));
    printf("%-24s %12" PRIu64 " %8.2f%%\n", "total without stored", no_stored, pct(no_stored, s.raw_bytes));
    printf("%-24s %12" PRIu64 " %8.2f%%\n", "  and without positions", no_stored_pos, pct(no_stored_pos, s.raw_bytes));
    printf("%-24s %12" PRIu64 " %8.2f%%  (nor ids, titles, paths: Lucene's stored fields)\n", "  and without strings",
           no_fields, pct(no_fields, s.raw_bytes));
    return 0;
}
