/* segment.c: open, verify and read a segment file (see segment.h, index/FORMAT.md). */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "le.h"
#include "postings.h"

typedef struct section {
    uint64_t off, len;
} section;

struct vs_segment {
    char *name;
    const uint8_t *base;
    uint64_t size;
    int mapped;
    uint64_t table_off, n_pages;
    const uint8_t *sums;        /* n_pages x u64 */
    uint8_t *verified;          /* one byte per page, set atomically once checked */
    section sec[VS_SEC_COUNT_];
    vs_segment_meta meta;
};

static vs_rc corrupt(vs_err *err, const vs_segment *s, uint64_t off, const char *what) {
    return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged at byte %" PRIu64 ": %s", s->name, off, what);
}

static vs_rc check_page(vs_segment *s, uint64_t page, vs_err *err) {
    if (__atomic_load_n(&s->verified[page], __ATOMIC_ACQUIRE)) return VS_OK;
    uint64_t off = page * VS_SEG_PAGE;
    uint64_t n = s->table_off - off < VS_SEG_PAGE ? s->table_off - off : VS_SEG_PAGE;
    if (XXH3_64bits(s->base + off, n) != vs_le_get64(s->sums + page * 8))
        return corrupt(err, s, off, "page checksum mismatch");
    __atomic_store_n(&s->verified[page], 1, __ATOMIC_RELEASE);
    return VS_OK;
}

static vs_rc need_abs(vs_segment *s, uint64_t off, uint64_t len, vs_err *err) {
    if (len == 0) return VS_OK;
    if (off > s->table_off || len > s->table_off - off) return corrupt(err, s, off, "read past the data area");
    for (uint64_t p = off / VS_SEG_PAGE, last = (off + len - 1) / VS_SEG_PAGE; p <= last; p++) {
        if (__atomic_load_n(&s->verified[p], __ATOMIC_ACQUIRE)) continue; /* the common case */
        vs_rc rc = check_page(s, p, err);
        if (rc != VS_OK) return rc;
    }
    return VS_OK;
}

vs_rc vs_segment_need(vs_segment *s, int id, uint64_t off, uint64_t len, vs_err *err) {
    const section *c = &s->sec[id];
    if (off > c->len || len > c->len - off)
        return corrupt(err, s, c->off + off, "reference past the end of a section");
    /* sections lie inside the data area (checked at open): a verified page needs nothing more */
    uint64_t a = c->off + off;
    if (len > 0 && a / VS_SEG_PAGE == (a + len - 1) / VS_SEG_PAGE &&
        __atomic_load_n(&s->verified[a / VS_SEG_PAGE], __ATOMIC_ACQUIRE))
        return VS_OK;
    return need_abs(s, a, len, err);
}

static vs_rc open_common(vs_segment *s, vs_err *err) {
    const uint8_t *b = s->base;
    uint64_t size = s->size;
    if (size < 16 + VS_SEG_TRAILER)
        return vs_err_set(err, VS_ECORRUPT, "'%s' is damaged: %" PRIu64 " bytes is too short for a segment", s->name, size);
    if (memcmp(b, VS_SEG_MAGIC, 8) != 0)
        return vs_err_set(err, VS_ECORRUPT, "'%s' is not a vsearch segment (bad magic)", s->name);
    if (vs_le_get16(b + 8) > VS_SEG_MAJOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses segment format %u; this vsearch reads up to %u: rebuild with 'vsearch build'",
                          s->name, vs_le_get16(b + 8), VS_SEG_MAJOR);
    if (vs_le_get16(b + 8) != VS_SEG_MAJOR)
        return vs_err_set(err, VS_EVERSION, "'%s' uses old segment format %u: rebuild with 'vsearch build'", s->name, vs_le_get16(b + 8));
    if (vs_le_get32(b + 12) != VS_SEG_PAGE) return corrupt(err, s, 12, "unexpected page size");
    const uint8_t *tr = b + size - VS_SEG_TRAILER;
    if (memcmp(tr + 48, VS_SEG_MAGIC, 8) != 0) return corrupt(err, s, size - 8, "bad trailer magic (truncated file?)");
    if (XXH3_64bits(tr, 40) != vs_le_get64(tr + 40)) return corrupt(err, s, size - VS_SEG_TRAILER, "trailer checksum mismatch");
    uint64_t table_off = vs_le_get64(tr);
    uint32_t nsec = vs_le_get32(tr + 8);
    uint64_t n_pages = vs_le_get64(tr + 16);
    if (vs_le_get32(tr + 12) != VS_SEG_PAGE) return corrupt(err, s, size - VS_SEG_TRAILER + 12, "unexpected page size");
    if (table_off < 16 || table_off > size || nsec == 0 || nsec > 64 ||
        n_pages != (table_off + VS_SEG_PAGE - 1) / VS_SEG_PAGE ||
        table_off + (uint64_t)nsec * 32 + n_pages * 8 + VS_SEG_TRAILER != size)
        return corrupt(err, s, size - VS_SEG_TRAILER, "inconsistent trailer");
    const uint8_t *table = b + table_off;
    if (XXH3_64bits(table, (size_t)nsec * 32) != vs_le_get64(tr + 24)) return corrupt(err, s, table_off, "section table checksum mismatch");
    s->sums = table + (size_t)nsec * 32;
    if (XXH3_64bits(s->sums, n_pages * 8) != vs_le_get64(tr + 32)) return corrupt(err, s, table_off + nsec * 32, "page checksum table mismatch");
    s->table_off = table_off;
    s->n_pages = n_pages;
    s->verified = calloc(n_pages ? n_pages : 1, 1);
    if (!s->verified) return vs_err_set(err, VS_ENOMEM, "out of memory opening '%s'", s->name);
    for (uint32_t i = 0; i < nsec; i++) {
        const uint8_t *t = table + (size_t)i * 32;
        uint32_t id = vs_le_get32(t);
        uint64_t off = vs_le_get64(t + 8), len = vs_le_get64(t + 16);
        if (id == 0 || id >= VS_SEC_COUNT_) continue; /* unknown sections: a later minor version */
        if (off < 16 || off % 64 != 0 || off > table_off || len > table_off - off || s->sec[id].off)
            return corrupt(err, s, table_off + (uint64_t)i * 32, "section out of range");
        s->sec[id].off = off;
        s->sec[id].len = len;
    }
    for (int id = VS_SEC_META; id < VS_SEC_COUNT_; id++)
        if (!s->sec[id].off) return corrupt(err, s, table_off, "a required section is missing");
    /* META */
    if (s->sec[VS_SEC_META].len < VS_META_SIZE) return corrupt(err, s, s->sec[VS_SEC_META].off, "META section too short");
    vs_rc rc = vs_segment_need(s, VS_SEC_META, 0, VS_META_SIZE, err);
    if (rc != VS_OK) return rc;
    const uint8_t *m = b + s->sec[VS_SEC_META].off;
    vs_segment_meta *mt = &s->meta;
    mt->n_docs = vs_le_get32(m);
    mt->n_passages = vs_le_get32(m + 4);
    mt->total_len = vs_le_get64(m + 8);
    mt->n_terms = vs_le_get64(m + 16);
    mt->n_postings = vs_le_get64(m + 24);
    mt->n_positions = vs_le_get64(m + 32);
    mt->raw_bytes = vs_le_get64(m + 40);
    mt->n_dict_blocks = vs_le_get32(m + 48);
    mt->n_stored_blocks = vs_le_get32(m + 52);
    mt->n_files = vs_le_get32(m + 56);
    mt->n_titled = vs_le_get32(m + 60);
    mt->title_len = vs_le_get64(m + 64);
    /* Fixed-width tables must match the counts exactly. */
    if (s->sec[VS_SEC_LENS].len != (uint64_t)mt->n_passages * 4 ||
        s->sec[VS_SEC_PASSAGES].len != (uint64_t)mt->n_passages * 4 ||
        s->sec[VS_SEC_STORED_OFFS].len != (uint64_t)mt->n_passages * 4 ||
        s->sec[VS_SEC_DOCS].len != (uint64_t)mt->n_docs * VS_DOCS_ENTRY ||
        s->sec[VS_SEC_FILES].len != (uint64_t)mt->n_files * 8 ||
        (mt->n_docs > 0 && mt->n_files == 0) || (mt->n_passages > 0 && mt->n_stored_blocks == 0) ||
        s->sec[VS_SEC_DOCIDX].len != (uint64_t)mt->n_docs * 4 ||
        s->sec[VS_SEC_DOCRANK].len != (uint64_t)mt->n_docs * 4 ||
        s->sec[VS_SEC_TLENS].len != (uint64_t)mt->n_docs * 4 || mt->n_titled > mt->n_docs ||
        s->sec[VS_SEC_DICT_INDEX].len != (uint64_t)mt->n_dict_blocks * 24 ||
        s->sec[VS_SEC_STORED_DIR].len != (uint64_t)mt->n_stored_blocks * VS_STORED_DIR_ENTRY ||
        mt->n_terms > (uint64_t)VS_DICT_BLOCK * UINT32_MAX ||
        mt->n_dict_blocks != (mt->n_terms + VS_DICT_BLOCK - 1) / VS_DICT_BLOCK)
        return corrupt(err, s, s->sec[VS_SEC_META].off, "section sizes disagree with the counts in META");
    return VS_OK;
}

static vs_rc set_name(vs_segment *s, const char *name, vs_err *err) {
    s->name = strdup(name);
    return s->name ? VS_OK : vs_err_set(err, VS_ENOMEM, "out of memory");
}

vs_rc vs_segment_open(const char *path, vs_segment **out, vs_err *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vs_err_errno(err, errno == ENOENT ? VS_ECORRUPT : VS_EIO, errno, "cannot open segment '%s'", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vs_err_errno(err, VS_EIO, e, "cannot stat '%s'", path);
    }
    vs_segment *s = calloc(1, sizeof *s);
    if (!s || set_name(s, path, err) != VS_OK) {
        free(s);
        close(fd);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    s->size = (uint64_t)st.st_size;
    if (s->size > 0) {
        void *p = mmap(NULL, (size_t)s->size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            vs_segment_close(s);
            return vs_err_errno(err, VS_EIO, e, "cannot map '%s'", path);
        }
        s->base = p;
        s->mapped = 1;
    } else {
        s->base = (const uint8_t *)"";
    }
    close(fd);
    vs_rc rc = open_common(s, err);
    if (rc != VS_OK) {
        vs_segment_close(s);
        return rc;
    }
    *out = s;
    return VS_OK;
}

vs_rc vs_segment_open_mem(const uint8_t *data, size_t size, const char *name, vs_segment **out, vs_err *err) {
    *out = NULL;
    vs_segment *s = calloc(1, sizeof *s);
    if (!s || set_name(s, name, err) != VS_OK) {
        free(s);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    s->base = data;
    s->size = size;
    vs_rc rc = open_common(s, err);
    if (rc != VS_OK) {
        vs_segment_close(s);
        return rc;
    }
    *out = s;
    return VS_OK;
}

void vs_segment_close(vs_segment *s) {
    if (!s) return;
    if (s->mapped) munmap((void *)s->base, (size_t)s->size);
    free(s->verified);
    free(s->name);
    free(s);
}

const vs_segment_meta *vs_segment_get_meta(const vs_segment *s) { return &s->meta; }
const char *vs_segment_name(const vs_segment *s) { return s->name; }
uint64_t vs_segment_size(const vs_segment *s) { return s->size; }
int vs_segment_mapped(const vs_segment *s) { return s->mapped; }
uint64_t vs_segment_trailer_hash(const vs_segment *s) { return vs_le_get64(s->base + s->size - 16); }

const uint8_t *vs_segment_section(const vs_segment *s, int id, uint64_t *len) {
    if (len) *len = s->sec[id].len;
    return s->base + s->sec[id].off;
}

uint64_t vs_segment_section_off(const vs_segment *s, int id) { return s->sec[id].off; }

/* ---- dictionary ---- */

typedef struct dict_iter {
    vs_segment *s;
    const uint8_t *p, *end;     /* within DICT */
    uint64_t post_off, pos_off; /* running offsets */
    char *term;                 /* the first min(tlen, cap) bytes of the current term */
    size_t cap;                 /* 1..65536: a lookup needs only one byte more than its term */
    size_t tlen;                /* the whole term's length */
    vs_term_info ti;
} dict_iter;

static vs_rc block_start(vs_segment *s, uint32_t blk, dict_iter *it, vs_err *err) {
    vs_rc rc = vs_segment_need(s, VS_SEC_DICT_INDEX, (uint64_t)blk * 24, 24, err);
    if (rc != VS_OK) return rc;
    const uint8_t *e = vs_segment_section(s, VS_SEC_DICT_INDEX, NULL) + (size_t)blk * 24;
    uint64_t dlen, doff = vs_le_get64(e);
    const uint8_t *d = vs_segment_section(s, VS_SEC_DICT, &dlen);
    uint64_t dend = dlen;
    if (blk + 1 < s->meta.n_dict_blocks) {
        rc = vs_segment_need(s, VS_SEC_DICT_INDEX, (uint64_t)(blk + 1) * 24, 8, err);
        if (rc != VS_OK) return rc;
        dend = vs_le_get64(e + 24);
    }
    if (doff > dend || dend > dlen) return corrupt(err, s, s->sec[VS_SEC_DICT_INDEX].off + (uint64_t)blk * 24, "dictionary block out of range");
    rc = vs_segment_need(s, VS_SEC_DICT, doff, dend - doff, err);
    if (rc != VS_OK) return rc;
    it->s = s;
    it->p = d + doff;
    it->end = d + dend;
    it->post_off = vs_le_get64(e + 8);
    it->pos_off = vs_le_get64(e + 16);
    it->tlen = 0;
    return VS_OK;
}

/* Decodes the next entry of the current block. */
static vs_rc next_entry(dict_iter *it, vs_err *err) {
    uint64_t v[8];
    const uint8_t *p = it->p;
    vs_segment *s = it->s;
    uint64_t at = (uint64_t)(p - s->base);
    for (int i = 0; i < 2; i++) {
        size_t k = vs_varint_get(p, it->end, &v[i]);
        if (!k) return corrupt(err, s, at, "truncated dictionary entry");
        p += k;
    }
    uint64_t prefix = v[0], suffix = v[1];
    if (prefix > it->tlen || suffix > (uint64_t)(it->end - p) || prefix + suffix == 0 || prefix + suffix > 65535)
        return corrupt(err, s, at, "bad dictionary entry");
    if (prefix < it->cap) memcpy(it->term + prefix, p, (size_t)(prefix + suffix <= it->cap ? suffix : it->cap - prefix));
    it->tlen = prefix + suffix;
    p += suffix;
    for (int i = 2; i < 8; i++) {
        size_t k = vs_varint_get(p, it->end, &v[i]);
        if (!k) return corrupt(err, s, at, "truncated dictionary entry");
        p += k;
    }
    vs_term_info *ti = &it->ti;
    if (v[2] == 0 || v[2] > s->meta.n_passages || v[3] < v[2] || v[6] == 0 || v[6] > UINT32_MAX || v[7] > UINT32_MAX)
        return corrupt(err, s, at, "bad dictionary entry");
    ti->df = (uint32_t)v[2];
    ti->cf = v[3];
    ti->post_off = it->post_off;
    ti->post_len = v[4];
    ti->pos_off = it->pos_off;
    ti->pos_len = v[5];
    ti->max_tf = (uint32_t)v[6];
    ti->min_len = (uint32_t)v[7];
    if (ti->post_off > s->sec[VS_SEC_POSTINGS].len || ti->post_len > s->sec[VS_SEC_POSTINGS].len - ti->post_off ||
        ti->pos_off > s->sec[VS_SEC_POSITIONS].len || ti->pos_len > s->sec[VS_SEC_POSITIONS].len - ti->pos_off)
        return corrupt(err, s, at, "postings of a term out of range");
    it->post_off += ti->post_len;
    it->pos_off += ti->pos_len;
    it->p = p;
    return VS_OK;
}

static int cmp_term(const char *a, size_t al, const char *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : (al > bl ? 1 : 0);
}

/* The first term of dictionary block blk, in place in the mapped DICT (its prefix is 0). */
static vs_rc block_first(vs_segment *s, uint32_t blk, const char **t, size_t *tlen, vs_err *err) {
    dict_iter it;
    vs_rc rc = block_start(s, blk, &it, err);
    if (rc != VS_OK) return rc;
    uint64_t prefix, suffix;
    const uint8_t *p = it.p;
    size_t k = vs_varint_get(p, it.end, &prefix);
    size_t k2 = k ? vs_varint_get(p + k, it.end, &suffix) : 0;
    if (!k2 || prefix != 0 || suffix == 0 || suffix > 65535 || suffix > (uint64_t)(it.end - p - k - k2))
        return corrupt(err, s, (uint64_t)(p - s->base), "bad dictionary entry");
    *t = (const char *)p + k + k2;
    *tlen = (size_t)suffix;
    return VS_OK;
}

vs_rc vs_segment_lookup(vs_segment *s, const char *term, size_t len, vs_term_info *ti, int *found, vs_err *err) {
    *found = 0;
    if (s->meta.n_terms == 0 || len == 0 || len > 65535) return VS_OK;
    /* Binary search for the last block whose first term <= term, comparing in place. */
    uint32_t lo = 0, hi = s->meta.n_dict_blocks; /* invariant: answer in [lo, hi) */
    vs_rc rc = VS_OK;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *ft = NULL;
        size_t fl = 0;
        if ((rc = block_first(s, mid, &ft, &fl, err)) != VS_OK) return rc;
        if (cmp_term(ft, fl, term, len) <= 0) lo = mid;
        else hi = mid;
    }
    /* Scan the block. Comparing with a term of len bytes needs at most len + 1 bytes of each entry. */
    char small[256];
    dict_iter it;
    it.cap = len + 1;
    it.term = it.cap <= sizeof small ? small : malloc(it.cap);
    if (!it.term) return vs_err_set(err, VS_ENOMEM, "out of memory");
    if ((rc = block_start(s, lo, &it, err)) != VS_OK) goto out;
    uint64_t in_block = s->meta.n_terms - (uint64_t)lo * VS_DICT_BLOCK;
    if (in_block > VS_DICT_BLOCK) in_block = VS_DICT_BLOCK;
    for (uint64_t i = 0; i < in_block; i++) {
        if ((rc = next_entry(&it, err)) != VS_OK) goto out;
        int c = cmp_term(it.term, it.tlen < it.cap ? it.tlen : it.cap, term, len);
        if (c == 0) {
            *ti = it.ti;
            *found = 1;
            break;
        }
        if (c > 0) break;
    }
out:
    if (it.term != small) free(it.term);
    return rc;
}

vs_rc vs_segment_title_part(vs_segment *s, uint64_t *n_terms, uint64_t *post_bytes, uint64_t *pos_bytes, vs_err *err) {
    *n_terms = *post_bytes = *pos_bytes = 0;
    if (s->meta.n_terms == 0) return VS_OK;
    char first[1]; /* telling a title term needs its first byte only */
    dict_iter iter = { .term = first, .cap = 1 }, *it = &iter;
    /* Title terms sort first: find the first block that starts with a body term (binary search),
     * then the first body term in the block before it. Postings and positions are laid out in
     * term order, so that term's offsets are the title part's sizes. */
    uint32_t lo = 0, hi = s->meta.n_dict_blocks; /* first block not starting with a title term in [lo, hi] */
    vs_rc rc = VS_OK;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((rc = block_start(s, mid, it, err)) != VS_OK || (rc = next_entry(it, err)) != VS_OK) goto out;
        if (vs_term_is_title(it->term, it->tlen)) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) goto out; /* no title term */
    if ((rc = block_start(s, lo - 1, it, err)) != VS_OK) goto out;
    uint64_t in_block = s->meta.n_terms - (uint64_t)(lo - 1) * VS_DICT_BLOCK;
    if (in_block > VS_DICT_BLOCK) in_block = VS_DICT_BLOCK;
    uint64_t k = 0;
    for (; k < in_block; k++) {
        if ((rc = next_entry(it, err)) != VS_OK) goto out;
        if (!vs_term_is_title(it->term, it->tlen)) {
            *post_bytes = it->ti.post_off;
            *pos_bytes = it->ti.pos_off;
            break;
        }
    }
    if (k == in_block) { /* the block ends with a title term: the next block (or the end) starts the body */
        *post_bytes = it->post_off;
        *pos_bytes = it->pos_off;
    }
    *n_terms = (uint64_t)(lo - 1) * VS_DICT_BLOCK + k;
out:
    return rc;
}

vs_rc vs_segment_terms(vs_segment *s, vs_term_fn fn, void *ctx, vs_err *err) {
    dict_iter *it = malloc(sizeof *it);
    char *term = malloc(65536);
    if (!it || !term) {
        free(it);
        free(term);
        return vs_err_set(err, VS_ENOMEM, "out of memory");
    }
    it->term = term;
    it->cap = 65536;
    vs_rc rc = VS_OK;
    uint64_t left = s->meta.n_terms;
    for (uint32_t b = 0; b < s->meta.n_dict_blocks && rc == VS_OK; b++) {
        if ((rc = block_start(s, b, it, err)) != VS_OK) break;
        uint64_t in_block = left < VS_DICT_BLOCK ? left : VS_DICT_BLOCK;
        for (uint64_t i = 0; i < in_block; i++) {
            if ((rc = next_entry(it, err)) != VS_OK) break;
            if (fn(ctx, it->term, it->tlen, &it->ti)) {
                free(term);
                free(it);
                return VS_OK;
            }
        }
        if (rc == VS_OK && it->p != it->end)
            rc = corrupt(err, s, (uint64_t)(it->p - s->base), "trailing bytes in a dictionary block");
        left -= in_block;
    }
    free(term);
    free(it);
    return rc;
}

/* ---- passages, documents, stored text ---- */

vs_rc vs_segment_plen(vs_segment *s, uint32_t pid, uint32_t *len, vs_err *err) {
    if (pid >= s->meta.n_passages) return corrupt(err, s, s->sec[VS_SEC_LENS].off, "passage id out of range");
    uint64_t off = s->sec[VS_SEC_LENS].off + (uint64_t)pid * 4;
    uint64_t page = off / VS_SEG_PAGE;
    if (!__atomic_load_n(&s->verified[page], __ATOMIC_ACQUIRE)) {
        vs_rc rc = need_abs(s, off, 4, err);
        if (rc != VS_OK) return rc;
    }
    *len = vs_le_get32(s->base + off);
    return VS_OK;
}

void vs_segment_lens_view(const vs_segment *s, vs_lens *v) {
    v->file = s->base;
    v->off = s->sec[VS_SEC_LENS].off;
    v->verified = s->verified;
}

/* Passages [first, next) of document doc < n_docs: its DOCS entry and the next one's first field
 * (n_passages after the last), read with one check. */
static vs_rc doc_range(vs_segment *s, uint32_t doc, uint32_t *first, uint32_t *next, vs_err *err) {
    uint64_t eoff = (uint64_t)doc * VS_DOCS_ENTRY;
    int last = doc + 1 == s->meta.n_docs;
    vs_rc rc = vs_segment_need(s, VS_SEC_DOCS, eoff, last ? 4 : VS_DOCS_ENTRY + 4, err);
    if (rc != VS_OK) return rc;
    const uint8_t *p = s->base + s->sec[VS_SEC_DOCS].off + eoff;
    *first = vs_le_get32(p);
    *next = last ? s->meta.n_passages : vs_le_get32(p + VS_DOCS_ENTRY);
    if (*first > *next || *next > s->meta.n_passages) return corrupt(err, s, s->sec[VS_SEC_DOCS].off + eoff, "bad document entry");
    return VS_OK;
}

vs_rc vs_segment_passage_doc(vs_segment *s, uint32_t pid, uint32_t *doc, uint32_t *pno, vs_err *err) {
    if (pid >= s->meta.n_passages) return corrupt(err, s, s->sec[VS_SEC_PASSAGES].off, "passage id out of range");
    vs_rc rc = vs_segment_need(s, VS_SEC_PASSAGES, (uint64_t)pid * 4, 4, err);
    if (rc != VS_OK) return rc;
    uint32_t d = vs_le_get32(s->base + s->sec[VS_SEC_PASSAGES].off + (size_t)pid * 4), first, next;
    if (d >= s->meta.n_docs) return corrupt(err, s, s->sec[VS_SEC_PASSAGES].off + (uint64_t)pid * 4, "bad passage entry");
    if ((rc = doc_range(s, d, &first, &next, err)) != VS_OK) return rc;
    if (pid < first || pid >= next)
        return corrupt(err, s, s->sec[VS_SEC_PASSAGES].off + (uint64_t)pid * 4, "passage table disagrees with the document table");
    *doc = d;
    *pno = pid - first + 1;
    return VS_OK;
}

vs_rc vs_segment_stored_block(vs_segment *s, uint32_t b, vs_stored_block *sb, vs_err *err) {
    uint64_t eoff = (uint64_t)b * VS_STORED_DIR_ENTRY;
    if (b >= s->meta.n_stored_blocks) return corrupt(err, s, s->sec[VS_SEC_STORED_DIR].off, "stored text block out of range");
    vs_rc rc = vs_segment_need(s, VS_SEC_STORED_DIR, eoff, VS_STORED_DIR_ENTRY, err);
    if (rc != VS_OK) return rc;
    const uint8_t *e = s->base + s->sec[VS_SEC_STORED_DIR].off + eoff;
    sb->off = vs_le_get64(e);
    sb->clen = vs_le_get32(e + 8);
    sb->rlen = vs_le_get32(e + 12);
    sb->first = vs_le_get32(e + 16);
    /* LZ4 expands at most ~255x: a larger recorded size is damage, not a reason to allocate */
    if (sb->off > s->sec[VS_SEC_STORED].len || sb->clen > s->sec[VS_SEC_STORED].len - sb->off ||
        sb->rlen > (uint32_t)LZ4_MAX_INPUT_SIZE || (uint64_t)sb->rlen > 255ull * sb->clen + 16 ||
        sb->first >= s->meta.n_passages || (b == 0 && sb->first != 0))
        return corrupt(err, s, s->sec[VS_SEC_STORED_DIR].off + eoff, "stored text block out of range");
    return VS_OK;
}

/* The stored block holding passage pid: the last block whose first passage is <= pid. */
static vs_rc find_block(vs_segment *s, uint32_t pid, uint32_t *blk, vs_stored_block *sb, vs_err *err) {
    uint32_t lo = 0, hi = s->meta.n_stored_blocks; /* answer in [lo, hi) */
    if (hi == 0) return corrupt(err, s, s->sec[VS_SEC_STORED_DIR].off, "passages without stored text blocks");
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint64_t eoff = (uint64_t)mid * VS_STORED_DIR_ENTRY + 16;
        vs_rc rc = vs_segment_need(s, VS_SEC_STORED_DIR, eoff, 4, err);
        if (rc != VS_OK) return rc;
        if (vs_le_get32(s->base + s->sec[VS_SEC_STORED_DIR].off + eoff) <= pid) lo = mid;
        else hi = mid;
    }
    *blk = lo;
    return vs_segment_stored_block(s, lo, sb, err);
}

static vs_rc stored_off(vs_segment *s, uint32_t pid, uint32_t *off, vs_err *err) {
    vs_rc rc = vs_segment_need(s, VS_SEC_STORED_OFFS, (uint64_t)pid * 4, 4, err);
    if (rc == VS_OK) *off = vs_le_get32(s->base + s->sec[VS_SEC_STORED_OFFS].off + (size_t)pid * 4);
    return rc;
}

vs_rc vs_segment_passage(vs_segment *s, uint32_t pid, vs_passage_info *pi, vs_err *err) {
    vs_rc rc = vs_segment_passage_doc(s, pid, &pi->doc, &pi->pno, err);
    if (rc == VS_OK) rc = vs_segment_plen(s, pid, &pi->len, err);
    if (rc != VS_OK) return rc;
    vs_stored_block sb;
    if ((rc = find_block(s, pid, &pi->sblock, &sb, err)) != VS_OK) return rc;
    /* The text runs to the next passage's offset if that passage is in the same block, else to
     * the end of the block. */
    uint32_t start, end = sb.rlen;
    if ((rc = stored_off(s, pid, &start, err)) != VS_OK) return rc;
    if (pid + 1 < s->meta.n_passages) {
        vs_stored_block nb = { .first = UINT32_MAX };
        if (pi->sblock + 1 < s->meta.n_stored_blocks && (rc = vs_segment_stored_block(s, pi->sblock + 1, &nb, err)) != VS_OK)
            return rc;
        if (pid + 1 < nb.first && (rc = stored_off(s, pid + 1, &end, err)) != VS_OK) return rc;
    }
    if (start > end || end > sb.rlen)
        return corrupt(err, s, s->sec[VS_SEC_STORED_OFFS].off + (uint64_t)pid * 4, "stored text reference out of range");
    pi->soff = start;
    pi->slen = end - start;
    return VS_OK;
}

/* Strings at off in STRINGS: n varint lengths (each < 2^32), then the bytes they measure. */
static vs_rc strings_at(vs_segment *s, uint64_t off, int n, uint32_t *lens, const char **bytes, vs_err *err) {
    uint64_t slen = s->sec[VS_SEC_STRINGS].len;
    if (off > slen) return corrupt(err, s, s->sec[VS_SEC_STRINGS].off, "string reference out of range");
    /* one check covers the lengths and, usually, the strings (up to 256 bytes, within the section) */
    uint64_t head = slen - off < 10u * (uint64_t)n + 256 ? slen - off : 10u * (uint64_t)n + 256;
    vs_rc rc = vs_segment_need(s, VS_SEC_STRINGS, off, head, err);
    if (rc != VS_OK) return rc;
    const uint8_t *p0 = s->base + s->sec[VS_SEC_STRINGS].off + off, *p = p0, *end = p0 + head;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        uint64_t v;
        size_t k = vs_varint_get(p, end, &v);
        if (!k || v > UINT32_MAX) return corrupt(err, s, s->sec[VS_SEC_STRINGS].off + off, "bad string lengths");
        lens[i] = (uint32_t)v;
        total += v;
        p += k;
    }
    uint64_t at = off + (uint64_t)(p - p0);
    if (total > slen - at) return corrupt(err, s, s->sec[VS_SEC_STRINGS].off + off, "string runs past its section");
    if (at + total > off + head && (rc = vs_segment_need(s, VS_SEC_STRINGS, at, total, err)) != VS_OK) return rc;
    *bytes = (const char *)s->base + s->sec[VS_SEC_STRINGS].off + at;
    return VS_OK;
}

vs_rc vs_segment_doc_rank(vs_segment *s, uint32_t doc, uint32_t *rank, vs_err *err) {
    if (doc >= s->meta.n_docs) return corrupt(err, s, s->sec[VS_SEC_DOCRANK].off, "document number out of range");
    vs_rc rc = vs_segment_need(s, VS_SEC_DOCRANK, (uint64_t)doc * 4, 4, err);
    if (rc != VS_OK) return rc;
    *rank = vs_le_get32(s->base + s->sec[VS_SEC_DOCRANK].off + (size_t)doc * 4);
    if (*rank >= s->meta.n_docs) return corrupt(err, s, s->sec[VS_SEC_DOCRANK].off + (uint64_t)doc * 4, "document rank out of range");
    return VS_OK;
}

vs_rc vs_segment_doc_id(vs_segment *s, uint32_t doc, const char **id, uint32_t *id_len, vs_err *err) {
    if (doc >= s->meta.n_docs) return corrupt(err, s, s->sec[VS_SEC_DOCS].off, "document number out of range");
    uint64_t eoff = (uint64_t)doc * VS_DOCS_ENTRY;
    vs_rc rc = vs_segment_need(s, VS_SEC_DOCS, eoff, VS_DOCS_ENTRY, err);
    if (rc != VS_OK) return rc;
    uint32_t lens[2];
    const char *str;
    if ((rc = strings_at(s, vs_le_get64(s->base + s->sec[VS_SEC_DOCS].off + eoff + 8), 2, lens, &str, err)) != VS_OK) return rc;
    if (lens[0] == 0) return corrupt(err, s, s->sec[VS_SEC_DOCS].off + eoff, "document with an empty id");
    *id = str;
    *id_len = lens[0];
    return VS_OK;
}

vs_rc vs_segment_doc(vs_segment *s, uint32_t doc, vs_doc_info *di, vs_err *err) {
    if (doc >= s->meta.n_docs) return corrupt(err, s, s->sec[VS_SEC_DOCS].off, "document number out of range");
    uint64_t eoff = (uint64_t)doc * VS_DOCS_ENTRY;
    vs_rc rc = vs_segment_need(s, VS_SEC_DOCS, eoff, VS_DOCS_ENTRY, err);
    if (rc != VS_OK) return rc;
    const uint8_t *p = s->base + s->sec[VS_SEC_DOCS].off + eoff;
    uint32_t first, next, file = vs_le_get32(p + 4), lens[2];
    if ((rc = doc_range(s, doc, &first, &next, err)) != VS_OK) return rc;
    if (file >= s->meta.n_files) return corrupt(err, s, s->sec[VS_SEC_DOCS].off + eoff, "bad document entry");
    di->first_passage = first;
    di->n_passages = next - first;
    const char *str;
    if ((rc = strings_at(s, vs_le_get64(p + 8), 2, lens, &str, err)) != VS_OK) return rc;
    if (lens[0] == 0) return corrupt(err, s, s->sec[VS_SEC_DOCS].off + eoff, "document with an empty id");
    di->id = str;
    di->id_len = lens[0];
    di->title = str + lens[0];
    di->title_len = lens[1];
    uint64_t foff = (uint64_t)file * 8;
    if ((rc = vs_segment_need(s, VS_SEC_FILES, foff, 8, err)) != VS_OK) return rc;
    if ((rc = strings_at(s, vs_le_get64(s->base + s->sec[VS_SEC_FILES].off + foff), 1, &di->path_len, &di->path, err)) != VS_OK)
        return rc;
    return VS_OK;
}

vs_rc vs_segment_tlen(vs_segment *s, uint32_t doc, uint32_t *tlen, vs_err *err) {
    if (doc >= s->meta.n_docs) return corrupt(err, s, s->sec[VS_SEC_TLENS].off, "document number out of range");
    vs_rc rc = vs_segment_need(s, VS_SEC_TLENS, (uint64_t)doc * 4, 4, err);
    if (rc != VS_OK) return rc;
    *tlen = vs_le_get32(s->base + s->sec[VS_SEC_TLENS].off + (size_t)doc * 4);
    return VS_OK;
}

vs_rc vs_segment_doc_span(vs_segment *s, uint32_t pid, uint32_t *first, uint32_t *end, uint32_t *tlen, vs_err *err) {
    uint32_t doc, pno;
    vs_rc rc = vs_segment_passage_doc(s, pid, &doc, &pno, err);
    if (rc != VS_OK) return rc;
    if ((rc = doc_range(s, doc, first, end, err)) != VS_OK) return rc;
    return vs_segment_tlen(s, doc, tlen, err);
}

vs_rc vs_segment_find_doc(vs_segment *s, const char *id, size_t len, uint32_t *doc, int *found, vs_err *err) {
    *found = 0;
    size_t lo = 0, hi = s->meta.n_docs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        vs_rc rc = vs_segment_need(s, VS_SEC_DOCIDX, (uint64_t)mid * 4, 4, err);
        if (rc != VS_OK) return rc;
        uint32_t d = vs_le_get32(s->base + s->sec[VS_SEC_DOCIDX].off + mid * 4);
        vs_doc_info di;
        if ((rc = vs_segment_doc(s, d, &di, err)) != VS_OK) return rc;
        int c = cmp_term(di.id, di.id_len, id, len);
        if (c == 0) {
            *doc = d;
            *found = 1;
            return VS_OK;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return VS_OK;
}

vs_rc vs_segment_text(vs_segment *s, uint32_t pid, vs_buf *out, vs_err *err) {
    vs_passage_info pi;
    vs_stored_block sb;
    vs_rc rc = vs_segment_passage(s, pid, &pi, err);
    if (rc == VS_OK) rc = vs_segment_stored_block(s, pi.sblock, &sb, err);
    if (rc != VS_OK) return rc;
    if ((rc = vs_segment_need(s, VS_SEC_STORED, sb.off, sb.clen, err)) != VS_OK) return rc;
    vs_buf_reset(out);
    if ((rc = vs_buf_reserve(out, (size_t)sb.rlen + 1)) != VS_OK) return vs_err_set(err, rc, "out of memory");
    int n = sb.rlen == 0 ? 0 : LZ4_decompress_safe((const char *)s->base + s->sec[VS_SEC_STORED].off + sb.off, (char *)out->p,
                                                   (int)sb.clen, (int)sb.rlen);
    if (n != (int)sb.rlen) return corrupt(err, s, s->sec[VS_SEC_STORED].off + sb.off, "stored text block does not decompress");
    memmove(out->p, out->p + pi.soff, pi.slen);
    out->len = pi.slen;
    out->p[out->len] = '\0';
    return VS_OK;
}
