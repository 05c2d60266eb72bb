/* segment.h: read-only access to one immutable segment file (layout: index/FORMAT.md).
 * vs_segment_open() mmaps the file and checks, in this order: size, magic, major version, the
 * trailer's own XXH3, the section table's and the page-checksum table's XXH3, every section's
 * range, and the META section's page. There is no parse step proportional to the index size.
 * Every other page (4 KiB) of the file is checked against its XXH3 the first time a reader needs
 * it (vs_segment_need); `vsearch check` verifies every page and every structural invariant
 * (vs_segment_check). Pointers handed out borrow the mapping and stay valid until
 * vs_segment_close(). A segment may be shared by several threads. */
#ifndef VS_SEGMENT_H
#define VS_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vs_err.h"

#define VS_SEG_MAGIC "\x89VSG\r\n\x1a\n"
#define VS_SEG_MAJOR 2
#define VS_SEG_MINOR 0
#define VS_SEG_PAGE 4096u
#define VS_SEG_TRAILER 56u
#define VS_DICT_BLOCK 32u     /* terms per front-coded dictionary block */
#define VS_SKIP_ENTRY 20u     /* bytes per skip entry as the writer collects it (stored narrower: FORMAT.md) */
#define VS_DOCS_ENTRY 16u     /* bytes per DOCS entry */
#define VS_STORED_DIR_ENTRY 20u /* bytes per STORED_DIR entry */
#define VS_STORED_BLOCK (64u * 1024) /* raw bytes of passage text per LZ4 block (a passage may exceed it) */

enum vs_section_id {
    VS_SEC_META = 1, VS_SEC_DICT_INDEX, VS_SEC_DICT, VS_SEC_POSTINGS, VS_SEC_POSITIONS,
    VS_SEC_LENS, VS_SEC_PASSAGES, VS_SEC_DOCS, VS_SEC_DOCIDX, VS_SEC_STRINGS,
    VS_SEC_STORED_DIR, VS_SEC_STORED, VS_SEC_STORED_OFFS, VS_SEC_FILES, VS_SEC_DOCRANK, VS_SEC_TLENS,
    VS_SEC_COUNT_ /* one past the last id */
};

/* Title terms live in the dictionary as this byte + the analyzed term (analyzed terms never hold
 * control bytes, so they cannot clash, and they sort before every body term). Their one posting
 * per titled document has the document's first passage id; score bounds use title lengths. */
#define VS_TITLE_PREFIX 0x01
#define VS_META_SIZE 72u

typedef struct vs_segment vs_segment;

typedef struct vs_segment_meta {
    uint32_t n_docs, n_passages;
    uint64_t total_len;     /* sum of passage lengths (indexed tokens) */
    uint64_t n_terms, n_postings, n_positions;
    uint64_t raw_bytes;     /* bytes of source text that went into this segment */
    uint32_t n_dict_blocks, n_stored_blocks;
    uint32_t n_files;       /* source files (paths) of the documents */
    uint32_t n_titled;      /* documents with passages and a non-empty analyzed title */
    uint64_t title_len;     /* sum of TLENS (title lengths in indexed tokens) */
} vs_segment_meta;

typedef struct vs_term_info {
    uint32_t df;            /* passages containing the term in this segment */
    uint64_t cf;            /* total occurrences */
    uint64_t post_off, post_len; /* within the POSTINGS section */
    uint64_t pos_off, pos_len;   /* within the POSITIONS section */
    uint32_t max_tf, min_len;    /* score bound data over the whole list */
} vs_term_info;

typedef struct vs_doc_info {
    const char *id;    uint32_t id_len;
    const char *title; uint32_t title_len;
    const char *path;  uint32_t path_len;
    uint32_t first_passage, n_passages;
} vs_doc_info;

typedef struct vs_passage_info {
    uint32_t doc, pno;      /* document (segment-local) and 1-based passage number in it */
    uint32_t len;           /* indexed tokens */
    uint32_t sblock, soff, slen; /* stored text: LZ4 block, offset and length in it */
} vs_passage_info;

VS_MUST_CHECK vs_rc vs_segment_open(const char *path, vs_segment **out, vs_err *err);
/* Opens from bytes owned by the caller (kept until close); `name` appears in messages. */
VS_MUST_CHECK vs_rc vs_segment_open_mem(const uint8_t *data, size_t size, const char *name,
                                        vs_segment **out, vs_err *err);
void vs_segment_close(vs_segment *s);

const vs_segment_meta *vs_segment_get_meta(const vs_segment *s);
const char *vs_segment_name(const vs_segment *s);
uint64_t vs_segment_size(const vs_segment *s);
/* 1 when s maps its file (vs_segment_open), 0 when it reads a caller's buffer (open_mem). */
int vs_segment_mapped(const vs_segment *s);
/* The trailer's own XXH3 (identifies this exact file; recorded in the MANIFEST). */
uint64_t vs_segment_trailer_hash(const vs_segment *s);
/* Section bytes (unverified: call vs_segment_need on what you read). */
const uint8_t *vs_segment_section(const vs_segment *s, int id, uint64_t *len);
uint64_t vs_segment_section_off(const vs_segment *s, int id);
/* Verifies the pages covering [sec_off, sec_off + len) of section `id` (once each). */
VS_MUST_CHECK vs_rc vs_segment_need(vs_segment *s, int id, uint64_t off, uint64_t len, vs_err *err);

/* Dictionary lookup. *found = 0 when absent (VS_OK). */
VS_MUST_CHECK vs_rc vs_segment_lookup(vs_segment *s, const char *term, size_t len,
                                      vs_term_info *ti, int *found, vs_err *err);
/* The title field's part of the dictionary: its terms, and the bytes of their postings and
 * positions (title terms come first; O(log terms)). */
VS_MUST_CHECK vs_rc vs_segment_title_part(vs_segment *s, uint64_t *n_terms, uint64_t *post_bytes,
                                          uint64_t *pos_bytes, vs_err *err);
/* Calls fn for every term in order (for check/stats/merge); fn returns non-zero to stop. */
typedef int (*vs_term_fn)(void *ctx, const char *term, size_t len, const vs_term_info *ti);
VS_MUST_CHECK vs_rc vs_segment_terms(vs_segment *s, vs_term_fn fn, void *ctx, vs_err *err);

/* Passage length (hot path of scoring). Returns VS_ECORRUPT if the page fails its checksum. */
VS_MUST_CHECK vs_rc vs_segment_plen(vs_segment *s, uint32_t pid, uint32_t *len, vs_err *err);
/* Hot-loop view of the lengths: vs_lens_get() answers from a page already verified and returns
 * 0 otherwise (then call vs_segment_plen, which verifies). pid must be < n_passages. */
typedef struct vs_lens {
    const uint8_t *file;        /* the mapping */
    uint64_t off;               /* file offset of LENS */
    const uint8_t *verified;    /* one byte per page */
} vs_lens;
void vs_segment_lens_view(const vs_segment *s, vs_lens *v);
static inline int vs_lens_get(const vs_lens *v, uint32_t pid, uint32_t *len) {
    uint64_t o = v->off + (uint64_t)pid * 4;
    if (!__atomic_load_n(&v->verified[o / VS_SEG_PAGE], __ATOMIC_ACQUIRE)) return 0;
    const uint8_t *p = v->file + o;
    *len = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return 1;
}
VS_MUST_CHECK vs_rc vs_segment_passage(vs_segment *s, uint32_t pid, vs_passage_info *pi, vs_err *err);
/* The cheap part of vs_segment_passage: document and 1-based passage number. */
VS_MUST_CHECK vs_rc vs_segment_passage_doc(vs_segment *s, uint32_t pid, uint32_t *doc, uint32_t *pno, vs_err *err);
VS_MUST_CHECK vs_rc vs_segment_doc(vs_segment *s, uint32_t doc, vs_doc_info *di, vs_err *err);
/* The document's position in external-id order within this segment (DOCRANK): comparing ranks
 * of two documents of one segment compares their ids. */
VS_MUST_CHECK vs_rc vs_segment_doc_rank(vs_segment *s, uint32_t doc, uint32_t *rank, vs_err *err);
/* The external id only (no title, path or passage range). */
VS_MUST_CHECK vs_rc vs_segment_doc_id(vs_segment *s, uint32_t doc, const char **id, uint32_t *id_len, vs_err *err);
/* Title length (TLENS) of document doc: indexed tokens, 0 without an indexed title. */
VS_MUST_CHECK vs_rc vs_segment_tlen(vs_segment *s, uint32_t doc, uint32_t *tlen, vs_err *err);
/* The document holding passage pid: its passages [*first, *end) and its title length. */
VS_MUST_CHECK vs_rc vs_segment_doc_span(vs_segment *s, uint32_t pid, uint32_t *first, uint32_t *end,
                                        uint32_t *tlen, vs_err *err);
/* Is this dictionary term a title term? */
static inline int vs_term_is_title(const char *term, size_t len) {
    return len > 0 && (unsigned char)term[0] == VS_TITLE_PREFIX;
}
/* Finds a document by external id (binary search over DOCIDX). *found = 0 when absent. */
VS_MUST_CHECK vs_rc vs_segment_find_doc(vs_segment *s, const char *id, size_t len, uint32_t *doc,
                                        int *found, vs_err *err);
/* Stored-text block b: offset and compressed length in STORED, decompressed length, and the
 * first passage it holds (checked against the section's bounds, not decompressed). */
typedef struct vs_stored_block {
    uint64_t off;
    uint32_t clen, rlen, first;
} vs_stored_block;
VS_MUST_CHECK vs_rc vs_segment_stored_block(vs_segment *s, uint32_t b, vs_stored_block *sb, vs_err *err);
/* Copies passage pid's stored text into out (reset first). */
VS_MUST_CHECK vs_rc vs_segment_text(vs_segment *s, uint32_t pid, vs_buf *out, vs_err *err);

/* Verifies every page checksum and every structural invariant (dictionary order, list
 * decoding, docids in range, tf/cf/df sums, lengths, bounds, doc/passage tables, stored text).
 * Returns the first problem found, with the file and byte offset. */
VS_MUST_CHECK vs_rc vs_segment_check(vs_segment *s, vs_err *err);

#endif
