/* plist.h: a cursor over one term's postings in one segment (layout: index/FORMAT.md).
 * The cursor decodes one block of 128 postings at a time, skips whole blocks through the skip
 * table, and reads positions only when asked. Every byte it reads is checksum-verified first
 * (vs_segment_need); on damage the cursor ends (doc == VS_PLIST_END) and pl->rc / pl->err say
 * why, so a scorer checks pl->rc once at the end. The cursor borrows the segment. */
#ifndef VS_PLIST_H
#define VS_PLIST_H

#include <stdint.h>

#include "postings.h"
#include "segment.h"

#define VS_PLIST_END UINT32_MAX

typedef struct vs_plist {
    vs_segment *s;
    vs_term_info ti;
    const uint8_t *skip;        /* the skip table's last ids (nblocks x u32), or NULL for a single block */
    const uint8_t *skip_ent;    /* its entries: nblocks x skip_esz bytes */
    uint32_t skip_esz;          /* bytes per entry: the sum of skip_w */
    uint8_t skip_w[4];          /* bytes of data offset, positions offset, max tf, min length */
    const uint8_t *blocks;      /* first block */
    uint64_t blocks_off;        /* offset of `blocks` in the POSTINGS section */
    uint64_t blocks_len;
    uint32_t nblocks;
    uint32_t block;             /* decoded block, or UINT32_MAX */
    uint32_t n;                 /* postings in the decoded block */
    uint32_t i;                 /* index of the current posting in the block */
    uint32_t doc;               /* current passage id, or VS_PLIST_END */
    uint32_t docs[VS_BLOCK_DOCS], tfs[VS_BLOCK_DOCS];
    /* positions of the decoded block */
    const uint8_t *pos, *pos_end;
    uint32_t pos_i;             /* posting index `pos` points at */
    vs_rc rc;
    vs_err err;
} vs_plist;

/* Opens the cursor on the first posting. Returns the error also kept in pl->rc. */
VS_MUST_CHECK vs_rc vs_plist_open(vs_plist *pl, vs_segment *s, const vs_term_info *ti);
/* Advances to the next posting; returns its passage id or VS_PLIST_END. */
uint32_t vs_plist_next(vs_plist *pl);
/* Advances to the first posting with passage id >= target (never moves backwards). */
uint32_t vs_plist_seek(vs_plist *pl, uint32_t target);
static inline uint32_t vs_plist_tf(const vs_plist *pl) { return pl->tfs[pl->i]; }
/* Score-bound data of the block that would hold `target` (the first block whose last id >=
 * target), without decoding it: its max tf, min passage length and last id. Returns 0 when
 * no block is left (all postings < target). */
int vs_plist_block_bound(vs_plist *pl, uint32_t target, uint32_t *max_tf, uint32_t *min_len,
                         uint32_t *last);
/* Positions of the current posting (tf of them, increasing) into out[0..cap); returns how
 * many were written (min(tf, cap)), or -1 on damage (pl->rc set). */
int vs_plist_positions(vs_plist *pl, uint32_t *out, uint32_t cap);

#endif
