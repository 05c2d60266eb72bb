/* fuzz_source_input.c: the streaming source reader (vs_source_read_input) that `vsearch build`
 * uses: windows cut at record boundaries, gzip/zstd decompression, memory or file descriptor.
 *
 * Input: byte 0 picks the name (extension, .gz/.zst suffix) and strict mode (bit 7); byte 1 the
 * window (4 KiB << (b & 1): 4 or 8 KiB, the reader's smallest windows, so that records of a
 * 16 KiB input straddle windows) and, bit 7,
 * whether the bytes are read through a file descriptor (memfd) instead of memory. The rest is
 * the file, compressed or not.
 *
 * Invariants: those of fuzz_source.c (valid UTF-8, NUL-terminated strings, ids non-empty and on
 * one line, VS_OK or VS_EDATA under strict or for damaged compressed data, with a message), and
 * the contract of source.h: for input that is not compressed, the documents (id, title, body,
 * offset, line) and the return code are exactly those of vs_source_read_mem over the same bytes,
 * whatever the window. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "source.h"

typedef struct docs {
    size_t len;
    uint64_t n;
    uint64_t h[64];      /* hash of each of the first 64 documents */
    uint64_t all;        /* running hash of every document */
} docs;

static void check_str(const char *s, size_t n, int oneline, const char *what) {
    FZ_CHECK(s != NULL && s[n] == '\0', what);
    FZ_CHECK(fz_utf8_valid((const uint8_t *)s, n), what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FZ_CHECK(c >= 0x20 || c == '\n' || c == '\t', what);
        if (oneline) FZ_CHECK(c != '\n', what);
    }
}

static int on_doc(void *vc, const vs_doc *d) {
    docs *c = vc;
    check_str(d->id, d->id_len, 1, "doc id");
    FZ_CHECK(d->id_len > 0, "empty doc id");
    check_str(d->title, d->title_len, 1, "doc title");
    check_str(d->body, d->body_len, 0, "doc body");
    uint64_t h = XXH3_64bits(d->id, d->id_len) ^ (XXH3_64bits(d->title, d->title_len) * 3) ^
                 (XXH3_64bits(d->body, d->body_len) * 7) ^ (d->offset * 0x9E3779B97F4A7C15ull) ^ (d->line << 17);
    if (c->n < 64) c->h[c->n] = h;
    c->all = c->all * 31 + h;
    c->n++;
    return 0;
}

static const char *const names[] = {
    "a.txt", "a.md", "a.trec", "a.jsonl", "a.sgm", "a.xml", "a.all", "a.json", "news-post",
    "a.txt.gz", "a.trec.gz", "a.jsonl.zst", "b.gz", "c.zst", "a.ndjson", "a.text",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in in = { data, size };
    uint8_t sel = fz_u8(&in), wsel = fz_u8(&in);
    const char *name = names[(sel & 0x7f) % (sizeof names / sizeof *names)];
    vs_source_opts o = { VS_FMT_AUTO, (sel & 0x80) != 0, NULL, NULL };
    size_t window = (size_t)4096 << (wsel & 1);
    uint8_t *buf = malloc(in.n ? in.n : 1); /* exact size: ASan sees reads past the end */
    if (!buf) return 0;
    memcpy(buf, in.p, in.n);
    int compressed = in.n >= 2 && ((buf[0] == 0x1f && buf[1] == 0x8b) ||
                                   (in.n >= 4 && buf[0] == 0x28 && buf[1] == 0xb5 && buf[2] == 0x2f && buf[3] == 0xfd));
    vs_source_in src = { -1, buf, in.n };
    int fd = -1;
    if (wsel & 0x80) {
        fd = memfd_create("fuzz", 0);
        if (fd >= 0 && (in.n == 0 || write(fd, buf, in.n) == (ssize_t)in.n) && lseek(fd, 0, SEEK_SET) == 0) src.fd = fd;
    }
    docs a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    vs_source_stats st = { 0 }, st2 = { 0 };
    vs_err err, err2;
    err.msg[0] = err2.msg[0] = '\0';
    uint64_t raw_hash = 0;
    vs_rc rc = vs_source_read_input(name, &src, window, &o, on_doc, &a, &st, &raw_hash, &err);
    FZ_CHECK(rc == VS_OK || rc == VS_EDATA, "reader error code");
    if (rc != VS_OK) FZ_CHECK(err.msg[0] != '\0', "error without a message");
    if (rc == VS_EDATA && !o.strict) FZ_CHECK(compressed, "VS_EDATA outside strict mode for uncompressed input");
    FZ_CHECK(st.docs == a.n, "stats.docs differs from the documents delivered");
    if (rc == VS_OK) FZ_CHECK(raw_hash == XXH3_64bits(buf, in.n), "raw_hash is not the XXH3 of the input");
    if (!compressed) {
        vs_rc rc2 = vs_source_read_mem(name, buf, in.n, &o, on_doc, &b, &st2, &err2);
        FZ_CHECK(rc == rc2, "read_input and read_mem return different codes");
        FZ_CHECK(a.n == b.n, "read_input and read_mem deliver different numbers of documents");
        for (uint64_t i = 0; i < a.n && i < 64; i++)
            if (a.h[i] != b.h[i]) {
                fprintf(stderr, "document %llu differs (window %zu)\n", (unsigned long long)i, window);
                FZ_CHECK(0, "read_input and read_mem deliver different documents");
            }
        FZ_CHECK(a.all == b.all, "read_input and read_mem deliver different documents");
        FZ_CHECK(st.skipped_records == st2.skipped_records && st.skipped_files == st2.skipped_files &&
                 st.invalid_utf8 == st2.invalid_utf8, "read_input and read_mem count differently");
    }
    if (fd >= 0) close(fd);
    free(buf);
    return 0;
}
