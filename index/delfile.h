/* delfile.h: deletion files (layout: index/FORMAT.md, "Deletion file"). A deletion file marks
 * the deleted documents of one segment as a bitmap, bit d % 8 of byte d / 8 for document d, and
 * is tied to that exact segment by the segment's trailer hash. Segments are immutable: deleting
 * a document writes a new deletion file for its segment, and the next MANIFEST names it. Readers
 * expand the document bitmap into a passage bitmap (vs_delfile_passages), which is what search
 * consults (ixread.h, vs_index_is_deleted). */
#ifndef VS_DELFILE_H
#define VS_DELFILE_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"
#include "vs_err.h"

#define VS_DEL_MAGIC "\x89VSD\r\n\x1a\n"
#define VS_DEL_MAJOR 1
#define VS_DEL_MINOR 0

/* Bytes of a bitmap of n bits. */
static inline size_t vs_delfile_bytes(uint64_t n) { return (size_t)((n + 7) / 8); }
static inline int vs_delfile_test(const uint8_t *b, uint32_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static inline void vs_delfile_set(uint8_t *b, uint32_t i) { b[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* Encodes a deletion file for a segment of n_docs documents into out (appended). *file_hash
 * receives the checksum the MANIFEST records. */
VS_MUST_CHECK vs_rc vs_delfile_encode(uint64_t seg_hash, uint32_t n_docs, const uint8_t *bits,
                                      vs_buf *out, uint64_t *file_hash);
/* Checks and decodes one: magic, version, size, checksum, segment hash, document count, unused
 * bits zero and the count of set bits. *bits is malloc'd (vs_delfile_bytes(n_docs) bytes). */
VS_MUST_CHECK vs_rc vs_delfile_decode(const uint8_t *p, size_t n, const char *name, uint64_t seg_hash,
                                      uint32_t n_docs, uint8_t **bits, uint32_t *n_deleted,
                                      uint64_t *file_hash, vs_err *err);
/* Reads and decodes DIR/NAME; expect_hash is the MANIFEST's record of it. */
VS_MUST_CHECK vs_rc vs_delfile_read(const char *dir, const char *name, uint64_t expect_hash,
                                    uint64_t seg_hash, uint32_t n_docs, uint8_t **bits,
                                    uint32_t *n_deleted, vs_err *err);
/* Passage bitmap of the deleted documents' passages (calloc'd, n_passages bits) and its count. */
VS_MUST_CHECK vs_rc vs_delfile_passages(vs_segment *s, const uint8_t *docbits, uint8_t **pbits,
                                        uint64_t *n_passages, vs_err *err);

#endif
