/* plist.c: postings cursor (see plist.h). */
#include "plist.h"

#include <inttypes.h>
#include <string.h>

#include "le.h"

static uint32_t fail(vs_plist *pl, vs_rc rc) {
    if (pl->rc == VS_OK) pl->rc = rc;
    pl->doc = VS_PLIST_END;
    return VS_PLIST_END;
}

static uint32_t damaged(vs_plist *pl, const char *what) {
    vs_rc rc = vs_err_set(&pl->err, VS_ECORRUPT, "'%s' is damaged: %s (postings at byte %" PRIu64 ")",
                          vs_segment_name(pl->s), what,
                          vs_segment_section_off(pl->s, VS_SEC_POSTINGS) + pl->ti.post_off);
    return fail(pl, rc);
}

static inline uint32_t skip_last(const vs_plist *pl, uint32_t b) {
    return vs_le_get32(pl->skip + (size_t)b * 4);
}

/* Field f (0 data offset, 1 positions offset, 2 max tf, 3 min length) of block b's skip entry. */
static inline uint32_t skip_field(const vs_plist *pl, uint32_t b, int f) {
    const uint8_t *e = pl->skip_ent + (size_t)b * pl->skip_esz;
    for (int k = 0; k < f; k++) e += pl->skip_w[k];
    uint32_t v = 0;
    for (uint32_t k = 0; k < pl->skip_w[f]; k++) v |= (uint32_t)e[k] << (8 * k);
    return v;
}

/* Decodes block b and positions the cursor on its first posting. */
static uint32_t load_block(vs_plist *pl, uint32_t b) {
    uint64_t off = 0, end = pl->blocks_len, pos_off = 0;
    if (pl->skip) {
        off = skip_field(pl, b, 0);
        pos_off = skip_field(pl, b, 1);
        if (b + 1 < pl->nblocks) end = skip_field(pl, b + 1, 0);
        if (off > end || end > pl->blocks_len || pos_off > pl->ti.pos_len) return damaged(pl, "bad skip entry");
    }
    vs_rc rc = vs_segment_need(pl->s, VS_SEC_POSTINGS, pl->blocks_off + off, end - off, &pl->err);
    if (rc != VS_OK) return fail(pl, rc);
    uint32_t n = b + 1 < pl->nblocks ? VS_BLOCK_DOCS : pl->ti.df - b * VS_BLOCK_DOCS;
    uint32_t prev = b > 0 ? (pl->skip ? skip_last(pl, b - 1) : 0) : 0;
    size_t used = vs_postings_decode_block(pl->blocks + off, pl->blocks + end, n, b > 0, prev, pl->docs, pl->tfs);
    if (!used || pl->docs[n - 1] >= vs_segment_get_meta(pl->s)->n_passages ||
        (pl->skip && pl->docs[n - 1] != skip_last(pl, b)))
        return damaged(pl, "postings block does not decode");
    pl->block = b;
    pl->n = n;
    pl->i = 0;
    const uint8_t *pbase = vs_segment_section(pl->s, VS_SEC_POSITIONS, NULL) + pl->ti.pos_off;
    pl->pos = pbase + pos_off;
    pl->pos_end = pbase + pl->ti.pos_len;
    pl->pos_i = 0;
    pl->doc = pl->docs[0];
    return pl->doc;
}

vs_rc vs_plist_open(vs_plist *pl, vs_segment *s, const vs_term_info *ti) {
    pl->s = s;
    pl->ti = *ti;
    pl->rc = VS_OK;
    vs_err_clear(&pl->err);
    pl->block = UINT32_MAX;
    pl->doc = VS_PLIST_END;
    pl->nblocks = (ti->df + VS_BLOCK_DOCS - 1) / VS_BLOCK_DOCS;
    const uint8_t *base = vs_segment_section(s, VS_SEC_POSTINGS, NULL) + ti->post_off;
    uint64_t skip_bytes = 0;
    if (ti->df == 0 || (pl->nblocks > 1 && ti->post_len < 1)) {
        damaged(pl, "skip table larger than the list");
        return pl->rc;
    }
    if (pl->nblocks > 1) {
        /* the widths byte first (its page verified), then the table it sizes */
        vs_rc rc = vs_segment_need(s, VS_SEC_POSTINGS, ti->post_off, 1, &pl->err);
        if (rc != VS_OK) {
            fail(pl, rc);
            return rc;
        }
        pl->skip_esz = 0;
        for (int f = 0; f < 4; f++) {
            pl->skip_w[f] = (uint8_t)(1 + ((base[0] >> (2 * f)) & 3));
            pl->skip_esz += pl->skip_w[f];
        }
        skip_bytes = 1 + (uint64_t)pl->nblocks * (4 + pl->skip_esz);
        if (skip_bytes > ti->post_len) {
            damaged(pl, "skip table larger than the list");
            return pl->rc;
        }
        rc = vs_segment_need(s, VS_SEC_POSTINGS, ti->post_off, skip_bytes, &pl->err);
        if (rc != VS_OK) {
            fail(pl, rc);
            return rc;
        }
    }
    pl->skip = skip_bytes ? base + 1 : NULL;
    pl->skip_ent = skip_bytes ? base + 1 + (size_t)pl->nblocks * 4 : NULL;
    pl->blocks = base + skip_bytes;
    pl->blocks_off = ti->post_off + skip_bytes;
    pl->blocks_len = ti->post_len - skip_bytes;
    load_block(pl, 0);
    return pl->rc;
}

uint32_t vs_plist_next(vs_plist *pl) {
    if (pl->doc == VS_PLIST_END) return VS_PLIST_END;
    if (++pl->i < pl->n) return pl->doc = pl->docs[pl->i];
    if (pl->block + 1 >= pl->nblocks) return pl->doc = VS_PLIST_END;
    return load_block(pl, pl->block + 1);
}

uint32_t vs_plist_seek(vs_plist *pl, uint32_t target) {
    if (pl->doc == VS_PLIST_END || pl->doc >= target) return pl->doc;
    if (pl->skip && skip_last(pl, pl->block) < target) {
        uint32_t b = pl->block + 1;
        while (b < pl->nblocks && skip_last(pl, b) < target) b++;
        if (b >= pl->nblocks) return pl->doc = VS_PLIST_END;
        if (load_block(pl, b) == VS_PLIST_END) return VS_PLIST_END;
    }
    uint32_t i = pl->i;
    while (i < pl->n && pl->docs[i] < target) i++;
    if (i == pl->n) {
        /* only possible in the last block, or with a single block */
        if (pl->block + 1 >= pl->nblocks) return pl->doc = VS_PLIST_END;
        if (load_block(pl, pl->block + 1) == VS_PLIST_END) return VS_PLIST_END;
        return vs_plist_seek(pl, target);
    }
    pl->i = i;
    return pl->doc = pl->docs[i];
}

int vs_plist_block_bound(vs_plist *pl, uint32_t target, uint32_t *max_tf, uint32_t *min_len, uint32_t *last) {
    if (pl->doc == VS_PLIST_END) return 0;
    if (!pl->skip) {
        *max_tf = pl->ti.max_tf;
        *min_len = pl->ti.min_len;
        *last = pl->docs[pl->n - 1];
        return *last >= target;
    }
    uint32_t b = pl->block;
    while (b < pl->nblocks && skip_last(pl, b) < target) b++;
    if (b >= pl->nblocks) return 0;
    *last = skip_last(pl, b);
    *max_tf = skip_field(pl, b, 2);
    *min_len = skip_field(pl, b, 3);
    return 1;
}

int vs_plist_positions(vs_plist *pl, uint32_t *out, uint32_t cap) {
    if (pl->doc == VS_PLIST_END) return -1;
    /* Skip the positions of the postings before the current one in this block, over verified
     * pages: a damaged byte there would shift every position after it (at most 5 bytes per
     * position, the varint maximum for 32 bits, clamped to the list). */
    if (pl->pos_i < pl->i) {
        uint64_t skip = 0;
        for (uint32_t j = pl->pos_i; j < pl->i; j++) skip += pl->tfs[j];
        uint64_t want = skip * 5, left = (uint64_t)(pl->pos_end - pl->pos);
        uint64_t off = (uint64_t)(pl->pos - vs_segment_section(pl->s, VS_SEC_POSITIONS, NULL));
        vs_rc rc = vs_segment_need(pl->s, VS_SEC_POSITIONS, off, want < left ? want : left, &pl->err);
        if (rc != VS_OK) { fail(pl, rc); return -1; }
    }
    while (pl->pos_i < pl->i) {
        for (uint32_t j = 0; j < pl->tfs[pl->pos_i]; j++) {
            while (pl->pos < pl->pos_end && (*pl->pos & 0x80)) pl->pos++;
            if (pl->pos >= pl->pos_end) { damaged(pl, "positions run past their list"); return -1; }
            pl->pos++;
        }
        pl->pos_i++;
    }
    if (pl->pos_i != pl->i) return -1; /* positions already consumed past this posting */
    uint64_t off = (uint64_t)(pl->pos - vs_segment_section(pl->s, VS_SEC_POSITIONS, NULL));
    uint32_t tf = pl->tfs[pl->i];
    /* Verify up to 5 bytes per position (the varint maximum for 32 bits), clamped to the list. */
    uint64_t want = (uint64_t)tf * 5, left = (uint64_t)(pl->pos_end - pl->pos);
    vs_rc rc = vs_segment_need(pl->s, VS_SEC_POSITIONS, off, want < left ? want : left, &pl->err);
    if (rc != VS_OK) { fail(pl, rc); return -1; }
    uint64_t cur = 0;
    uint32_t n = 0;
    for (uint32_t j = 0; j < tf; j++) {
        uint64_t v;
        size_t k = vs_varint_get(pl->pos, pl->pos_end, &v);
        if (!k) { damaged(pl, "positions do not decode"); return -1; }
        pl->pos += k;
        cur = j == 0 ? v : cur + v + 1;
        if (cur > UINT32_MAX) { damaged(pl, "position out of range"); return -1; }
        if (n < cap) out[n++] = (uint32_t)cur;
    }
    pl->pos_i++;
    return (int)n;
}
