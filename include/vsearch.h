/* vsearch.h: the public API of libvsearch — build an index, open it, search it.
 *
 *   vs_build_opts bo; vs_build_opts_default(&bo);
 *   const char *paths[] = { "corpus/" };
 *   vs_build(".vsearch", paths, 1, &bo, &stats, &err);            // write an index
 *   vs_index *ix; vs_index_open(".vsearch", &ix, &err);             // mmap it
 *   vs_search_opts so; vs_search_opts_default(&so);
 *   vs_results *r; vs_search(ix, "security cooperation", &so, &r, &err);
 *   for (size_t i = 0; i < r->n; i++) printf("%s %.4f\n", r->hits[i].doc, r->hits[i].score);
 *   vs_results_free(r); vs_index_close(ix);
 *
 * Every function returns a vs_rc and fills a caller-provided vs_err with a one-line message.
 * Link with: libvsearch.a -lxxhash -llz4 -lbsd -lutf8proc -lstemmer -lz -lzstd -lm -lpthread.
 * An open vs_index may be searched from several threads at once (each call allocates its
 * own scratch); vs_results belong to the caller. */
#ifndef VSEARCH_H
#define VSEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "vs_err.h"

/* ---- building ---- */

/* Progress of a build, reported about twice a second (from the building thread). */
typedef struct vs_build_progress {
    uint64_t docs;          /* documents indexed so far */
    uint64_t bytes;         /* bytes of input consumed so far */
    uint64_t total_bytes;   /* bytes of input to read (0 when unknown: stdin) */
    double seconds;         /* since the start */
} vs_build_progress;

typedef struct vs_build_opts {
    int format;             /* 0 auto; else a vs_format (text=1, trec, jsonl, reuters, smart) */
    int strict;             /* stop at the first bad record (exit 65) instead of skipping it */
    int unit_doc;           /* index whole documents as single units */
    int stem;               /* English Snowball stemming (default 1) */
    int stop_default;       /* built-in stopword list (default 1) */
    const char *stopwords_file; /* custom stopword list (overrides stop_default), or NULL */
    uint32_t max_words;     /* passage split size (0: default 250) */
    /* Warnings (skipped records/files), one line each, no trailing newline; may be NULL.
     * Called from the calling thread, in input order, whatever `threads`. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    /* added with incremental indexing (issue 4): */
    uint64_t memory;        /* memory budget in bytes, peak RSS (0: default 1 GiB) */
    unsigned threads;       /* analysis threads; 1 = everything in the calling thread (0: 2) */
    int replace;            /* vs_build: rebuild from scratch even when an index exists */
    void (*progress)(void *ctx, const vs_build_progress *p); /* may be NULL */
    void *progress_ctx;
} vs_build_opts;

typedef struct vs_build_stats {
    uint64_t files, docs, passages, terms, postings, positions;
    uint64_t raw_bytes, index_bytes;
    uint64_t skipped_records, skipped_files, invalid_utf8;
    double seconds;
    /* added with incremental indexing (issue 4): */
    int mode;               /* VS_BUILD_CREATED, _REPLACED, _SYNCED, _UP_TO_DATE (build); add: _SYNCED */
    uint64_t files_new, files_changed, files_removed, files_unchanged;
    uint64_t docs_deleted;  /* live documents deleted: removed/changed files, replaced ids */
    uint64_t segments;      /* segments in the index after the operation */
    uint64_t merges;        /* segment merges done (the tiered policy, or vs_merge) */
    uint64_t spills;        /* sorted runs the inverter wrote */
    uint64_t peak_rss;      /* bytes: the process's peak resident set (getrusage) */
    double input_seconds;   /* of `seconds`: reading, analysing and inverting the input */
    double terms_seconds;   /* of `seconds`: writing the postings and finishing the segment */
    uint64_t segments_written; /* new segments written by the input (more than one when the
                                  collection's per-document tables outgrow the budget) */
} vs_build_stats;

#define VS_BUILD_CREATED 0    /* there was no index */
#define VS_BUILD_REPLACED 1   /* the index was rebuilt from scratch (--replace, analyzer changed) */
#define VS_BUILD_SYNCED 2     /* new/changed files indexed, removed ones deleted */
#define VS_BUILD_UP_TO_DATE 3 /* nothing changed: no commit */

void vs_build_opts_default(vs_build_opts *o);
/* Indexes files/directories into index directory `dir` (created if needed) and commits.
 * Without an index (or with `replace`, or other analyzer options than the index's) it builds a
 * new one and replaces whatever was there atomically. Otherwise it re-syncs: files that are new
 * or changed (size and mtime, then XXH3 of their bytes) are indexed into a new segment, the
 * documents of changed and removed files are deleted, and unchanged files are not read; with
 * nothing to do it commits nothing (VS_BUILD_UP_TO_DATE). A path "-" reads JSONL or TREC from
 * standard input (always indexed). The tiered merge policy runs after the commit. */
VS_MUST_CHECK vs_rc vs_build(const char *dir, const char *const *paths, size_t n_paths,
                             const vs_build_opts *o, vs_build_stats *st, vs_err *err);
/* Indexes files/directories ("-": stdin) into a new segment of the index in `dir` (created
 * with o's analyzer options if there is none; otherwise the index's options are used). A
 * document whose id is already in the index replaces it; a file indexed before under the same
 * path replaces its old documents, and is skipped when unchanged. One atomic commit, then the
 * tiered merge policy. */
VS_MUST_CHECK vs_rc vs_add(const char *dir, const char *const *paths, size_t n_paths,
                           const vs_build_opts *o, vs_build_stats *st, vs_err *err);
/* Deletes documents by external id, in one atomic commit. An id with no live document is
 * VS_EDATA ("no document with id 'X' in the index: nothing deleted") and nothing is deleted.
 * Deleted passages stop matching at once but still count in N, df and avglen until a merge
 * drops them. *n_passages (may be NULL) receives the passages deleted. */
VS_MUST_CHECK vs_rc vs_delete(const char *dir, const char *const *ids, size_t n_ids,
                              uint64_t *n_passages, vs_err *err);
/* Rewrites the segments with deletions and merges the smallest segments until at most
 * max_segments (>= 1) remain; each merge one atomic commit. o may be NULL (memory budget). */
VS_MUST_CHECK vs_rc vs_merge(const char *dir, uint32_t max_segments, const vs_build_opts *o,
                             vs_build_stats *st, vs_err *err);

/* ---- searching ---- */

typedef struct vs_index vs_index;

VS_MUST_CHECK vs_rc vs_index_open(const char *dir, vs_index **out, vs_err *err);
void vs_index_close(vs_index *ix);

typedef struct vs_search_opts {
    uint32_t k;             /* hits wanted (default 10) */
    double k1, b;           /* BM25 parameters (default 0.9, 0.4) */
    int by_doc;             /* best passage per document */
    int exhaustive;         /* score every posting: no pruning (for tests) */
    int and_mode;           /* conjunctive: a hit must contain every query term */
    int syntax;             /* parse the query language (phrases, +/-, AND/OR/NOT, (), ^boost);
                               otherwise the text is a bag of words */
    int explain;            /* fill vs_hit.explain */
    int snippets;           /* fill text and snippet (default 1) */
    int model;              /* VS_MODEL_BM25 (default) or VS_MODEL_QL */
    double mu;              /* QL Dirichlet prior (default 1000) */
    int rm3;                /* RM3 pseudo-relevance feedback (Anserini's definition) */
    uint32_t fb_docs, fb_terms; /* RM3: feedback units and expansion terms (default 10, 10) */
    double orig_weight;     /* RM3: weight of the original query (default 0.5) */
    double title_weight;    /* each positive word or phrase w of the query also gets an optional
                               clause title:w of this weight times w's (0: none; default
                               VS_TITLE_WEIGHT) */
} vs_search_opts;

#define VS_MODEL_BM25 0
#define VS_MODEL_QL 1
/* Default title_weight, chosen on CACM (docs/DECISIONS.md, "The title field"). */
#define VS_TITLE_WEIGHT 0.4

typedef struct vs_term_explain {
    const char *term;       /* analyzed query term, or a phrase as "a b"; title:... for the title field */
    double weight;          /* query-term weight (times it occurs in the query; RM3: its weight) */
    uint32_t tf, df;        /* tf in the passage, df in the index */
    uint64_t cf;            /* occurrences in the index */
    double idf;             /* BM25: idf; QL: collection probability (cf + 1) / (tokens + 1) */
    double contribution;
    /* the statistics it was scored with: a title clause (title) uses its document's title
     * length, the average title length and N_T (titled documents); a body clause the passage's */
    int title;
    uint32_t len;
    uint64_t N;
    double avglen;
} vs_term_explain;

typedef struct vs_hit {
    double score;
    const char *doc;        /* external id */
    uint32_t passage;       /* 1-based passage number in the document */
    const char *title, *path;
    const char *text;       /* the whole passage (when snippets) */
    const char *snippet;    /* a window of the passage around the matches, plain text */
    /* Byte ranges of the query terms inside `snippet` (highlighting), pairs [start, end). */
    const uint32_t *marks;
    size_t n_marks;
    uint32_t len;           /* passage length in indexed tokens */
    const vs_term_explain *explain; /* one per query term, when explain */
} vs_hit;

typedef struct vs_results {
    const char *query;
    vs_hit *hits;
    size_t n;
    size_t n_terms;         /* scoring clauses (terms or phrases), in query order */
    const double *weights;  /* their weights (boost x occurrences, or RM3 weights) */
    const char *const *terms;
    uint64_t N;             /* passages in the index */
    double avglen;          /* average passage length */
    uint64_t scored;        /* postings scored (work done) */
    void *strings;          /* internal: one block holding every hit's doc, title and path */
} vs_results;

void vs_search_opts_default(vs_search_opts *o);
/* Searches: free text is the OR of its analyzed terms (all of them with and_mode); with syntax,
 * the query language of query/parse.h. Ranked by BM25 (DESIGN.md §5) or query likelihood; with
 * rm3 (free text only), expanded by pseudo-relevance feedback first. A malformed query is
 * VS_EUSAGE with the position in the message. A query with no indexed terms gives 0 hits. */
VS_MUST_CHECK vs_rc vs_search(vs_index *ix, const char *query, const vs_search_opts *o,
                              vs_results **out, vs_err *err);
void vs_results_free(vs_results *r);

/* ---- index facts ---- */

typedef struct vs_index_stats {
    uint64_t segments, documents, passages, terms, postings, positions, raw_bytes;
    double avglen;
    /* bytes per part, summed over segments */
    uint64_t bytes_total, bytes_dict, bytes_postings, bytes_positions, bytes_lengths,
        bytes_passages, bytes_docs, bytes_stored, bytes_overhead, bytes_manifest;
    int stem, stop_default;
    uint64_t n_stopwords;
    int unit_doc;
    /* added with incremental indexing (issue 4): deleted (not yet merged) documents/passages,
     * included in documents/passages above and in N, df and avglen */
    uint64_t deleted_documents, deleted_passages;
    /* segment format 2: the documents' ids, titles and paths (stored fields; not in bytes_docs) */
    uint64_t bytes_strings;
    /* the title field: bytes of its postings, positions and title lengths (not counted in
     * bytes_postings / bytes_positions), its terms, the documents with an indexed title */
    uint64_t bytes_title, title_terms, titled_documents;
    uint64_t bytes_title_postings; /* of bytes_title: the postings (bytes per posting counts them) */
} vs_index_stats;

/* terms counts distinct terms over all segments (exact for one segment, an upper bound
 * otherwise). */
VS_MUST_CHECK vs_rc vs_index_stats_get(vs_index *ix, vs_index_stats *st, vs_err *err);
/* Verifies every checksum and invariant of every file (vsearch check). */
VS_MUST_CHECK vs_rc vs_index_check(vs_index *ix, vs_err *err);

#endif
