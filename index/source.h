/* source.h: format readers. Turn files (plain text/Markdown, TREC <DOC>, JSONL, Reuters-21578
 * SGML/XML, SMART) into documents: a stable external id, a title, and a body whose paragraphs are
 * separated by blank lines (readers translate <P> and the like) or, in newswire, start with an
 * indented line (kept as is, for the passage splitter: see "What each reader produces").
 *
 * Every string handed to the callback is valid UTF-8: invalid bytes are replaced by U+FFFD and
 * counted in vs_source_stats.invalid_utf8. Character references (&lt; &amp; &#3; ...) are decoded;
 * control characters other than \n and \t become spaces. Strings in a vs_doc are borrowed and
 * valid only during the callback.
 *
 * A malformed record is skipped: warn() gets a message "FILE:LINE: <what>" and skipped_records
 * is incremented; with opts->strict the reader stops at the first bad record and returns
 * VS_EDATA with that message in err. A file that is binary (NUL bytes or mostly control bytes)
 * or of an unknown format is skipped whole (skipped_files), or VS_EDATA under strict.
 *
 * What each reader produces (source.c implements exactly this; tests/test_source.c checks it):
 * - All formats: ids and titles have each whitespace run folded to one space and are trimmed.
 *   Bodies keep their line structure: trailing blanks of each line are removed, runs of blank
 *   lines fold into one ("\n\n"), leading/trailing blank lines are dropped, and the leading
 *   indentation of lines is KEPT (a Reuters/AP paragraph starts with an indented line; the
 *   passage splitter uses that). A UTF-8 BOM at the start of a file is ignored. Every
 *   vs_doc string is also NUL-terminated at its length.
 * - TEXT: id = path as given, title = first line with non-blank content, body = the lines
 *   after it. A first line longer than 1000 bytes is not taken for a heading: the title is then
 *   empty and the whole text is the body. In .md/.markdown files a leading "# " is dropped
 *   from the title. A file with no non-blank content gives no document.
 * - TREC: DOCNO (required, non-empty) -> id. Title: the first non-empty of <HEADLINE>, <TITLE>,
 *   <HL>, <TI>, <HEAD> (in that order of preference), tags inside it becoming spaces. Body:
 *   everything else inside <DOC> with tags removed, except <DOCNO>, <DOCID>, <DOCHDR> and the
 *   element chosen as title; block tags (<P>, <TEXT>, any tag but inline ones like <B> <I> <A>
 *   <F>) separate paragraphs, <BR> separates lines; comments are dropped, CDATA kept.
 *   Malformed: no <DOCNO>, empty or unclosed <DOCNO>, <DOC> not closed before the next <DOC>
 *   or the end of the file (reading resumes at the next <DOC>).
 * - JSONL: "id" (string, or number as written) required; "title" optional; body from
 *   "contents", else "text" ("contents" wins when both are present); null = absent; other keys
 *   are validated and skipped. A record needs an id and at least one of contents/text/title.
 *   Containers nested deeper than 512 levels are refused (no recursion). Raw control characters
 *   inside strings are malformed (RFC 8259). Messages give the byte column: "F:L: invalid JSON
 *   at column C: <what>" for syntax errors, "F:L: bad JSON record: <what>" for missing fields
 *   and wrong types. Blank lines are ignored.
 * - REUTERS: id = NEWID attribute (required). Title = <TITLE>. Body = <BODY>; for a story with
 *   TYPE="UNPROC" and no <BODY>, the raw text inside <TEXT>. TYPE="BRIEF" stories have a title
 *   and an empty body (their "Blah blah blah." lies outside <BODY>) and are still documents.
 *   The "Reuter"/"REUTER" sign-off ending every body is dropped (when on its own last line,
 *   after a sentence end, or in capitals; "... told Reuter." is kept).
 * - SMART: ".I <id>" starts a record (id as written; a missing id is malformed). Title = .T
 *   lines. Body = the .W lines with their leading blanks removed (in CACM a leading blank marks
 *   a sentence start, not a paragraph), then, if present, a blank line and the .A author lines.
 *   .B .N .X .K .C and unknown fields are not indexed.
 * - Character references (TREC, Reuters): &lt; &gt; &amp; &quot; &apos;, a few SGML/HTML names
 *   (&nbsp; &hyph; &blank; &mdash; ...; see source.c), &#N; and &#xH; (must end with ';';
 *   others stay as text). A reference to a surrogate or a value above U+10FFFF is U+FFFD and
 *   counted in invalid_utf8.
 * - A TREC, Reuters or SMART file with non-blank content but no record at all is warned about
 *   as "PATH: skipped: no <DOC> records" (skipped_files), or VS_EDATA under strict. */
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
    const char *body;  size_t body_len;   /* paragraphs: "\n\n" or an indented line; may be empty */
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

/* Reads one file (any size: through vs_source_read_input, so .gz and .zst files are
 * decompressed, and files above 64 MiB read in windows) and delivers its documents in file order. opts and
 * st may be NULL (defaults: AUTO, not strict, no warnings). A file that cannot be opened or
 * read returns VS_ENOENT (missing) or VS_EIO, "cannot read 'PATH': <strerror>", and is not
 * counted in st: the caller decides whether to go on (and counts it in skipped_files if it
 * does). An empty file gives zero documents (it
 * counts in files). With format AUTO, a binary or unknown-format file is skipped with the
 * warning "PATH: skipped: binary file" / "PATH: skipped: unknown format" (VS_OK), or returns
 * VS_EDATA "PATH: binary file" under strict. With a forced format the file is read as that
 * format whatever it looks like. */
VS_MUST_CHECK vs_rc vs_source_read_file(const char *path, const vs_source_opts *opts,
                                        vs_doc_fn fn, void *ctx, vs_source_stats *st, vs_err *err);
/* One input read as a stream by vs_source_read_input: a file descriptor (read to its end), or,
 * when fd < 0, len bytes at data. */
typedef struct vs_source_in {
    int fd;
    const uint8_t *data;
    size_t len;
} vs_source_in;

/* Reads one input of any size in bounded memory and delivers its documents in order, exactly as
 * vs_source_read_mem would over its (decompressed) bytes: an input that starts with a gzip
 * (1f 8b) or zstd (28 b5 2f fd) header is decompressed on the fly (concatenated members/frames
 * too), and its format detected from the decompressed head and the name without its .gz/.zst
 * suffix; the text is parsed in windows of about `window` bytes (at least 4 KiB, the head that
 * format detection reads) cut at record boundaries (a
 * longer record, or a plain-text file, which is one document, grows the window). Damaged or
 * truncated compressed data is VS_EDATA "NAME: gzip data is damaged or truncated near byte N:
 * ..." (the documents before it have been delivered). st->bytes counts decompressed bytes.
 * raw_hash (may be NULL) receives XXH3_64bits of the raw input bytes, all of them. */
VS_MUST_CHECK vs_rc vs_source_read_input(const char *name, const vs_source_in *in, size_t window,
                                         const vs_source_opts *opts, vs_doc_fn fn, void *ctx,
                                         vs_source_stats *st, uint64_t *raw_hash, vs_err *err);
/* Same over bytes in memory; `name` is used as path and, for plain text, as the id. */
VS_MUST_CHECK vs_rc vs_source_read_mem(const char *name, const uint8_t *data, size_t len,
                                       const vs_source_opts *opts, vs_doc_fn fn, void *ctx,
                                       vs_source_stats *st, vs_err *err);
/* The format a file would be read as. Binary first: a NUL byte, a compressed/image/PDF
 * signature, or more than 10% control bytes (not counting \t \n \r \f) in the first 4 KiB of
 * head -> VS_FMT_AUTO; invalid UTF-8 alone (Latin-1 text) is not binary. Then the extension:
 * .txt .text .md .markdown -> TEXT; .trec .trectext -> TREC; .jsonl .ndjson -> JSONL; .all ->
 * SMART; .sgm .sgml .xml -> REUTERS if the head has <REUTERS, TREC if it starts with <DOC>,
 * else AUTO (other markup is not indexed as text); .json -> JSONL if the head starts with '{';
 * .gz .zst .bz2 .xz .zip .pdf and other binary extensions -> AUTO (vs_source_read_input and
 * read_file decompress gzip and zstd first and detect on what they contain). Otherwise the content (after
 * a BOM and blanks): <DOC> -> TREC, '<' ... <REUTERS -> REUTERS, ".I " -> SMART, a first line
 * that is a '{' ... '}' object -> JSONL, anything else (valid text) -> TEXT. head may be NULL
 * (n = 0): extension only. */
vs_format vs_source_detect(const char *path, const uint8_t *head, size_t n);
/* "auto", "text", "trec", "jsonl", "reuters", "smart" <-> enum; parse returns -1 when unknown. */
const char *vs_format_name(vs_format f);
int vs_format_parse(const char *name);

/* Expands files and directories (recursively, following no symlink loops, skipping names that
 * start with '.') into a sorted (byte order), de-duplicated list of regular file paths.
 * Directory-relative paths are joined as given ("corpus/" + "a.txt" -> "corpus/a.txt").
 * A path that does not exist -> VS_ENOENT "cannot open 'PATH': No such file or directory".
 * Unreadable directories are warned about and skipped (VS_EIO under strict). Paths named
 * explicitly are taken as they are (even dotfiles or non-regular files); inside directories,
 * only regular files (symlinks followed) are listed, a symlink back to a directory on the
 * current path is warned about ("PATH: skipped: directory loop ...") and not followed, and
 * dangling links are warned about. Dedup is by path string. The walk uses an explicit stack
 * (no recursion) and holds one directory open at a time.
 * *out is a malloc'd array of malloc'd strings: free with vs_source_paths_free(). */
VS_MUST_CHECK vs_rc vs_source_walk(const char *const *paths, size_t n, const vs_source_opts *opts,
                                   char ***out, size_t *n_out, vs_err *err);
void vs_source_paths_free(char **paths, size_t n);

/* Copies [s, s+n) to out replacing each invalid UTF-8 sequence (overlong, surrogate, > U+10FFFF,
 * truncated) by U+FFFD; returns the number replaced. out is reset first. Each maximal ill-formed
 * subpart (Unicode 3.9) is one replacement: "\xE0\x80\x80" -> 3, truncated "\xF0\x9F\x98" -> 1.
 * Control characters are left alone. out is NUL-terminated (not counted in len); n_invalid may
 * be NULL. Returns VS_ENOMEM if out cannot grow. */
VS_MUST_CHECK vs_rc vs_utf8_sanitize(const char *s, size_t n, vs_buf *out, uint64_t *n_invalid);

#endif
