/* fuzz_catalog.c: the two small index files that sit next to segments: the file catalog
 * (vs_catalog_decode, index/catalog.h) and deletion files (vs_delfile_decode, index/delfile.h),
 * on arbitrary bytes, raw and with magic, major version and checksum repaired (so that the field
 * checks behind the checksum are reached).
 *
 * Input byte 0: bit 0 = deletion file (else catalog); bit 1 = the expected segment hash and
 * document count are taken from the file itself (else from bytes 1..12 of the input). The rest
 * is the file.
 * Invariants: failures are VS_ECORRUPT / VS_EVERSION with a message naming the file; a decoded
 * catalog has paths of 1..VS_CAT_MAX_PATH bytes without NUL, strictly increasing, and encodes back
 * to the same bytes (but minor version and flags) with the same file hash; a decoded deletion
 * file has exactly n_deleted bits set, none past n_docs, and encodes back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "delfile.h"
#include "fuzz_util.h"

#define NAME "idx/files-fuzz.vsf"

static void fix(uint8_t *b, size_t n, const char *magic, uint16_t major) {
    if (n < 32) return;
    memcpy(b, magic, 8);
    vs_le_put16(b + 8, major);
    memcpy(b + n - 8, magic, 8);
    vs_le_put64(b + n - 16, XXH3_64bits(b, n - 16));
}

static void check_err(vs_rc rc, const vs_err *err) {
    if (!(rc == VS_ECORRUPT || rc == VS_EVERSION) || !strstr(err->msg, NAME))
        fprintf(stderr, "rc %d: %s\n", (int)rc, err->msg);
    FZ_CHECK(rc == VS_ECORRUPT || rc == VS_EVERSION, "error code");
    FZ_CHECK(strstr(err->msg, NAME) != NULL, "message does not name the file");
}

static void catalog(const uint8_t *p, size_t n) {
    vs_catalog c;
    memset(&c, 0, sizeof c);
    uint64_t h = 0;
    vs_err err;
    vs_rc rc = vs_catalog_decode(p, n, NAME, &c, &h, &err);
    if (rc != VS_OK) {
        check_err(rc, &err);
        vs_catalog_free(&c);
        return;
    }
    for (size_t i = 0; i < c.n; i++) {
        size_t l = strlen(c.v[i].path);
        FZ_CHECK(l >= 1 && l <= VS_CAT_MAX_PATH, "path length");
        if (i > 0) FZ_CHECK(strcmp(c.v[i - 1].path, c.v[i].path) < 0, "paths not strictly increasing");
    }
    vs_buf out = VS_BUF_INIT;
    uint64_t h2 = 0;
    FZ_CHECK(vs_catalog_encode(&c, &out, &h2) == VS_OK, "re-encode a catalog");
    FZ_CHECK(out.len == n && memcmp(out.p, p, 10) == 0 && memcmp(out.p + 16, p + 16, n - 32) == 0,
             "re-encoded catalog differs");
    FZ_CHECK(h == XXH3_64bits(p, n) || h == vs_le_get64(p + n - 16) || h == h2, "file hash");
    vs_buf_free(&out);
    vs_catalog_free(&c);
}

static void delfile(const uint8_t *p, size_t n, uint64_t seg, uint32_t ndocs) {
    uint8_t *bits = NULL;
    uint32_t ndel = 0;
    uint64_t h = 0;
    vs_err err;
    vs_rc rc = vs_delfile_decode(p, n, NAME, seg, ndocs, &bits, &ndel, &h, &err);
    if (rc != VS_OK) {
        check_err(rc, &err);
        free(bits);
        return;
    }
    uint32_t set = 0;
    size_t nb = vs_delfile_bytes(ndocs);
    for (uint32_t d = 0; d < ndocs; d++) set += (uint32_t)vs_delfile_test(bits, d);
    FZ_CHECK(set == ndel, "n_deleted differs from the bits set");
    for (uint64_t d = ndocs; d < (uint64_t)nb * 8; d++) FZ_CHECK(!vs_delfile_test(bits, (uint32_t)d), "bit past n_docs");
    vs_buf out = VS_BUF_INIT;
    uint64_t h2 = 0;
    FZ_CHECK(vs_delfile_encode(seg, ndocs, bits, &out, &h2) == VS_OK, "re-encode a deletion file");
    FZ_CHECK(out.len == n && memcmp(out.p, p, 10) == 0 && memcmp(out.p + 16, p + 16, n - 32) == 0,
             "re-encoded deletion file differs");
    /* (the file hash covers the minor version and flags, which are not kept) */
    vs_buf_free(&out);
    free(bits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    uint8_t sel = fz_u8(&in);
    uint64_t seg = fz_u32(&in);
    seg |= (uint64_t)fz_u32(&in) << 32;
    uint32_t ndocs = fz_u32(&in) & 0xFFFFF; /* up to ~10^6 documents: a 128 KiB bitmap */
    uint8_t *b = malloc(in.n ? in.n : 1);
    if (!b) return 0;
    for (int pass = 0; pass < 2; pass++) {
        memcpy(b, in.p, in.n);
        if (sel & 1) {
            if (pass) fix(b, in.n, "\x89VSD\r\n\x1a\n", VS_DEL_MAJOR);
            if ((sel & 2) && in.n >= 32) { seg = vs_le_get64(b + 16); ndocs = vs_le_get32(b + 24); }
            delfile(b, in.n, seg, ndocs);
        } else {
            if (pass) fix(b, in.n, VS_CAT_MAGIC, VS_CAT_MAJOR);
            catalog(b, in.n);
        }
    }
    free(b);
    return 0;
}
