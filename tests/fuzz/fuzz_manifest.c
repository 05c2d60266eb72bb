/* fuzz_manifest.c: vs_manifest_decode on arbitrary bytes, raw and with the checksum, magics and
 * version repaired by fz_fix_manifest() (so that the field checks behind the checksum are
 * reached).
 *
 * Invariants (index/FORMAT.md, "MANIFEST"): failures are VS_ECORRUPT or VS_EVERSION with a message
 * naming the file; a decoded MANIFEST has unit 0 or 1, segment names of 1..255 bytes without '/'
 * or NUL that do not start with '.', and encodes back to the bytes it was decoded from (but for
 * the minor version and flags: the format has one encoding of each value), which decode again
 * to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "manifest.h"

#define NAME "idx/MANIFEST"

static void visit(const uint8_t *p, size_t n) {
    vs_manifest m;
    vs_err err;
    vs_rc rc = vs_manifest_decode(p, n, NAME, &m, &err);
    if (rc != VS_OK) {
        FZ_CHECK(rc == VS_ECORRUPT || rc == VS_EVERSION, "manifest error code");
        FZ_CHECK(strstr(err.msg, NAME) != NULL || strstr(err.msg, "analyzer config") != NULL,
                 "manifest error message names neither the file nor the part");
        vs_manifest_free(&m); /* must be safe after a failed decode */
        return;
    }
    FZ_CHECK(m.unit <= 1, "unit out of range");
    for (size_t i = 0; i < m.n_seg; i++) {
        size_t l = strlen(m.seg[i].name);
        FZ_CHECK(l >= 1 && l <= 255, "segment name length");
        FZ_CHECK(strchr(m.seg[i].name, '/') == NULL && m.seg[i].name[0] != '.', "segment name");
    }
    vs_buf out = VS_BUF_INIT;
    FZ_CHECK(vs_manifest_encode(&m, &out) == VS_OK, "re-encode");
    /* Minor version and flags (bytes 10..15) are not kept: readers read 1.0 and 1.1 and write
     * 1.1; for a file of the current minor everything else has exactly one encoding (F7, fixed:
     * fields that must be 0 without a deletion file or catalog are refused when they are not). */
    if (vs_le_get16(p + 10) == VS_MAN_MINOR) /* an older minor is written as the current one */
        FZ_CHECK(out.len == n && memcmp(out.p, p, 10) == 0 && memcmp(out.p + 16, p + 16, n - 32) == 0,
                 "re-encoded MANIFEST differs from the bytes decoded");
    vs_manifest m2;
    FZ_CHECK(vs_manifest_decode(out.p, out.len, NAME, &m2, &err) == VS_OK, "decode the re-encoded MANIFEST");
    FZ_CHECK(m2.generation == m.generation && m2.n_seg == m.n_seg && m2.max_words == m.max_words, "round trip");
    vs_manifest_free(&m2);
    vs_buf_free(&out);
    vs_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *b = malloc(size ? size : 1);
    if (!b) return 0;
    memcpy(b, data, size);
    visit(b, size);
    if (fz_fix_manifest(b, size)) visit(b, size);
    free(b);
    return 0;
}
