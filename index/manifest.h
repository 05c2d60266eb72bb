/* manifest.h: the MANIFEST file of an index directory (layout: index/FORMAT.md, "MANIFEST").
 * It names the live segments with their counts and, for each, the deletion file that marks its
 * deleted documents (delfile.h); the file catalog (catalog.h) used by re-sync; the analyzer
 * configuration and the passage unit. A commit writes MANIFEST.tmp, fsyncs it, renames it over
 * MANIFEST and fsyncs the directory: readers see the old index or the new one, never a mix.
 * Version 1.1 added the deletion and catalog references; 1.0 files are still read (no
 * deletions, no catalog) and the next commit writes 1.1. */
#ifndef VS_MANIFEST_H
#define VS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "vs_err.h"

#define VS_MAN_MAGIC "\x89VSM\r\n\x1a\n"
#define VS_MAN_MAJOR 1
#define VS_MAN_MINOR 1

typedef struct vs_manifest_seg {
    char *name;             /* file name inside the index directory */
    uint64_t size;          /* bytes of the file */
    uint64_t n_docs, n_passages, total_len;
    uint64_t trailer_hash;  /* the segment trailer's own XXH3: ties the entry to one file */
    char *del_name;         /* deletion file, or NULL when no document is deleted */
    uint64_t n_del_docs, n_del_passages;
    uint64_t del_hash;      /* the deletion file's checksum (its last-but-one 8 bytes) */
} vs_manifest_seg;

typedef struct vs_manifest {
    uint64_t generation;    /* +1 per commit */
    uint32_t unit;          /* 0: passages, 1: whole documents (--unit doc) */
    uint32_t max_words;     /* passage split size */
    vs_analyze_config acfg;
    vs_manifest_seg *seg;
    size_t n_seg;
    char *cat_name;         /* file catalog, or NULL */
    uint64_t cat_size, cat_hash, cat_files;
} vs_manifest;

/* Reads DIR/MANIFEST. VS_ENOENT when it does not exist ("no index at 'DIR'"). */
VS_MUST_CHECK vs_rc vs_manifest_read(const char *dir, vs_manifest *m, vs_err *err);
VS_MUST_CHECK vs_rc vs_manifest_decode(const uint8_t *p, size_t n, const char *name, vs_manifest *m, vs_err *err);
VS_MUST_CHECK vs_rc vs_manifest_encode(const vs_manifest *m, vs_buf *out);
/* Atomically replaces DIR/MANIFEST with m (see above). */
VS_MUST_CHECK vs_rc vs_manifest_commit(const char *dir, const vs_manifest *m, vs_err *err);
void vs_manifest_free(vs_manifest *m);
/* Is `name` a file the MANIFEST references (a segment, deletion file or catalog)? */
int vs_manifest_names(const vs_manifest *m, const char *name);

#endif
