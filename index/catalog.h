/* catalog.h: the file catalog (layout: index/FORMAT.md, "File catalog"): for every source file
 * the index was built from, its path, size, modification time, XXH3 of its bytes, the format it
 * was read as, and where its documents are (segment trailer hash, first document number, count:
 * the documents of one file are consecutive in one segment, and merges keep them so). `vsearch
 * build` on an existing index compares the corpus with it to index only new and changed files
 * and delete the documents of removed ones. Writers only: readers never open it.
 *
 * Entries are kept sorted by path (bytes); the writer edits them in memory and writes a new
 * catalog file when they change. */
#ifndef VS_CATALOG_H
#define VS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vs_err.h"

#define VS_CAT_MAGIC "\x89VSF\r\n\x1a\n"
#define VS_CAT_MAJOR 1
#define VS_CAT_MINOR 0
#define VS_CAT_MAX_PATH 4095

typedef struct vs_catalog_file {
    char *path;             /* owned, NUL-terminated */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t hash;          /* XXH3_64bits of the file's bytes */
    uint8_t format;         /* the --format it was read with (0 = auto) */
    uint64_t seg;           /* trailer hash of the segment holding its documents; 0 = none */
    uint32_t first_doc, n_docs;
} vs_catalog_file;

typedef struct vs_catalog {
    vs_catalog_file *v;
    size_t n, cap;
} vs_catalog;

void vs_catalog_free(vs_catalog *c);
/* Appends a copy of f (path copied). Call vs_catalog_sort() before lookups and writing. */
VS_MUST_CHECK vs_rc vs_catalog_add(vs_catalog *c, const vs_catalog_file *f);
/* Sorts by path; of entries with the same path, keeps the one added last. */
void vs_catalog_sort(vs_catalog *c);
/* Binary search (sorted catalog); NULL when absent. */
vs_catalog_file *vs_catalog_find(const vs_catalog *c, const char *path);
/* Removes entries whose path was set to NULL (after freeing it). */
void vs_catalog_compact(vs_catalog *c);

VS_MUST_CHECK vs_rc vs_catalog_encode(const vs_catalog *c, vs_buf *out, uint64_t *file_hash);
VS_MUST_CHECK vs_rc vs_catalog_decode(const uint8_t *p, size_t n, const char *name, vs_catalog *c,
                                      uint64_t *file_hash, vs_err *err);
/* Reads DIR/NAME; the MANIFEST recorded its size and checksum. */
VS_MUST_CHECK vs_rc vs_catalog_read(const char *dir, const char *name, uint64_t size,
                                    uint64_t expect_hash, vs_catalog *c, vs_err *err);
/* The same through an open descriptor (path is for messages). */
VS_MUST_CHECK vs_rc vs_catalog_read_fd(int fd, const char *dir, const char *path, uint64_t size,
                                       uint64_t expect_hash, vs_catalog *c, vs_err *err);

#endif
