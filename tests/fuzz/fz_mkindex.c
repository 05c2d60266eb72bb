/* fz_mkindex.c: turns a fuzzer's segment input into an index directory that the vsearch CLI can
 * open, so that a segment finding has a command-line reproducer:
 *
 *   build-fuzz/fz_mkindex CRASH_FILE DIR     then   bin/vsearch check -i DIR; bin/vsearch query -i DIR ...
 *
 * The bytes get their checksums recomputed exactly as fuzz_segment does for its second pass
 * (fz_fix_segment), are written as DIR/seg-0000000000000001-0f0f0f0f.vsg, and a MANIFEST naming
 * that file with its real size, counts and trailer hash is committed, with the analyzer the
 * fuzzer uses (no stemming, no stopwords). Exit 0 when the directory was written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "manifest.h"
#include "segment.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fz_mkindex SEGMENT_BYTES DIR\n");
        return 64;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 66; }
    vs_buf b = VS_BUF_INIT;
    uint8_t chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (vs_buf_append(&b, chunk, k) != VS_OK) return 70;
    fclose(f);
    if (!fz_fix_segment(b.p, b.len)) fprintf(stderr, "fz_mkindex: trailer geometry does not fit: bytes kept as they are\n");
    mkdir(argv[2], 0755);
    const char *name = "seg-0000000000000001-0f0f0f0f.vsg";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[2], name);
    f = fopen(path, "wb");
    if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0) { perror(path); return 74; }
    vs_manifest m;
    memset(&m, 0, sizeof m);
    m.generation = 1;
    m.max_words = 250;
    vs_analyze_config_default(&m.acfg);
    m.acfg.stem = 0;
    m.acfg.stop_default = 0;
    vs_manifest_seg ms;
    memset(&ms, 0, sizeof ms);
    ms.name = (char *)name;
    ms.size = b.len;
    vs_segment *s = NULL;
    vs_err err;
    if (vs_segment_open_mem(b.p, b.len, name, &s, &err) == VS_OK) {
        const vs_segment_meta *mt = vs_segment_get_meta(s);
        ms.n_docs = mt->n_docs;
        ms.n_passages = mt->n_passages;
        ms.total_len = mt->total_len;
        ms.trailer_hash = vs_segment_trailer_hash(s);
        vs_segment_close(s);
    } else {
        fprintf(stderr, "fz_mkindex: the segment does not open (%s): MANIFEST counts are zero\n", err.msg);
    }
    m.seg = &ms;
    m.n_seg = 1;
    if (vs_manifest_commit(argv[2], &m, &err) != VS_OK) {
        fprintf(stderr, "fz_mkindex: %s\n", err.msg);
        return 74;
    }
    vs_buf_free(&b);
    printf("%s\n", argv[2]);
    return 0;
}
