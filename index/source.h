/* source.h: format readers. Turn files (plain text/Markdown, TREC <DOC>, JSONL, Reuters-21578
 * SGML/XML, SMART) into documents: a stable external id, a title, and a body whose paragraphs are
 * separated by blank lines (readers translate <P>, Reuters indented-line paragraphs, etc.).
 *
 * Every string handed to the callback is valid UTF-8: invalid bytes are replaced by U+FFFD and
 * counted in vs_source_stats.invalid_utf8. Character references (&lt; &amp; &#3; ...) are decoded;
 * control characters other than \n and \t become spaces. Strings in a vs_doc are borrowed and
 * valid only during the callback.
 *
 * A malformed record is skipped: warn() gets a message "FILE:LINE: <what>" and skipped_records
 * is incremented; with opts->strict the reader stops at the first bad record and returns
 * VS_EDATA with that message in err. A file that is binary (NUL bytes or mostly control bytes)
 * or of an unknown format is skipped whole (skipped_files), or VS_EDATA under strict. */
#ifndef VS_SOURCE_H
#define VS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vs_err.h"

typedef enum {
    VS_FMT_AUTO = 0, /* by extension, then by content */
    VS_FMT_TEXT,     /* .txt .md or any valid text: title = first non-empty line, id = path */
    VS_FMT_TREC,     /* <DOC><DOCNO>..</DOCNO><HEADLINE|TITLE>..<TEXT>..<P>..</DOC> */
    VS_FMT_JSONL,    /* one JSON object per line: id, title, contents|text */
    VS_FMT_REUTERS,  /* Reuters-21578 <REUTERS NEWID=..> records, .sgm or .xml */
    VS_FMT_SMART     /* SMART collections (CACM): .I id, .T title, .W text, ... */
} vs_format;

typedef struct vs_doc {
    const char *id;    size_t id_len;     /* external id: path, DOCNO, JSON id, NEWID, .I number */
    const char *title; size_t title_len;  /* may be empty */
    const char *body;  size_t body_len;   /* paragraphs separated by "\n\n"; may be empty */
    const char *path;                     /* file the document came from (NUL-terminated) */
    uint64_t offset;                      /* byte offset of the record in the file */
    uint64_t line;                        /* 1-based line of the record start */
} vs_doc;

typedef struct vs_source_stats {
    uint64_t files;            /* files read */
    uint64_t docs;             /* documents delivered */
    uint64_t bytes;            /* raw bytes read */
    uint64_t skipped_records;  /* malformed records skipped */
    uint64_t skipped_files;    /* binary / unknown-format / unreadable files skipped */
    uint64_t invalid_utf8;     /* invalid byte sequences replaced by U+FFFD */
} vs_source_stats;

typedef struct vs_source_opts {
    vs_format format; /* VS_FMT_AUTO unless --format */
    int strict;       /* stop at the first bad record / file */
    /* Receives one-line warnings ("FILE:LINE: what"); may be NULL. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
} vs_source_opts;

/* Called once per document; a non-zero return stops reading (the reader returns VS_OK). */
typedef int (*vs_doc_fn)(void *ctx, const vs_doc *d);

/* Reads one file (mmap or read; any size) and delivers its documents in file order. */
VS_MUST_CHECK vs_rc vs_source_read_file(const char *path, const vs_source_opts *opts,
                                        vs_doc_fn fn, void *ctx, vs_source_stats *st, vs_err *err);
/* Same over bytes in memory; `name` is used as path and, for plain text, as the id. */
VS_MUST_CHECK vs_rc vs_source_read_mem(const char *name, const uint8_t *data, size_t len,
                                       const vs_source_opts *opts, vs_doc_fn fn, void *ctx,
                                       vs_source_stats *st, vs_err *err);
/* The format a file would be read as: by extension (.txt .md .text -> TEXT, .trec .sgml? ...),
 * then by content (first 4 KiB). Returns VS_FMT_AUTO when the file is binary or unrecognised. */
vs_format vs_source_detect(const char *path, const uint8_t *head, size_t n);
/* "text", "trec", "jsonl", "reuters", "smart" <-> enum; parse returns -1 when unknown. */
const char *vs_format_name(vs_format f);
int vs_format_parse(const char *name);

/* Expands files and directories (recursively, following no symlink loops, skipping names that
 * start with '.') into a sorted (byte order), de-duplicated list of regular file paths.
 * Directory-relative paths are joined as given ("corpus/" + "a.txt" -> "corpus/a.txt").
 * A path that does not exist -> VS_ENOENT naming it. Unreadable directories are warned about
 * and skipped. *out is a malloc'd array of malloc'd strings: free with vs_source_paths_free(). */
VS_MUST_CHECK vs_rc vs_source_walk(const char *const *paths, size_t n, const vs_source_opts *opts,
                                   char ***out, size_t *n_out, vs_err *err);
void vs_source_paths_free(char **paths, size_t n);

/* Copies [s, s+n) to out replacing each invalid UTF-8 sequence (overlong, surrogate, > U+10FFFF,
 * truncated) by U+FFFD; returns the number replaced. out is reset first. */
VS_MUST_CHECK vs_rc vs_utf8_sanitize(const char *s, size_t n, vs_buf *out, uint64_t *n_invalid);

#endif
