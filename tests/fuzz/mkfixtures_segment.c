/* mkfixtures_segment.c: writes the segment regression inputs of fuzz findings F1, F2 and F6
 * (tests/fuzz/README.md) in the current segment format, from a small well-formed segment made
 * here with the segment writer (3 documents, 6 passages, terms alpha, beta, gamma):
 *
 *   F1  the last passage's STORED_OFFS entry points past its block's decompressed end
 *   F2  the positions of "beta" (the second word of fuzz_segment's phrase "alpha beta") are all
 *       continuation bytes, so they never decode
 *   F6  stored block 0's decompressed length is 0x7E000000, beyond LZ4's 255x expansion
 *
 * Checksums are left stale: fuzz_segment's second pass (and fz_mkindex) recompute them, so the
 * structural checks and readers behind them see the damage. The findings were first found as
 * format-1 segments; run `make fuzz-fixtures` after a format change to write them again.
 * Usage: mkfixtures_segment DIR  (writes DIR/base.vsg, DIR/F1, DIR/F2, DIR/F6) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "segment.h"
#include "segwriter.h"
#include "le.h"

static void die(const char *m) { fprintf(stderr, "%s\n", m); exit(1); }
static unsigned char *slurp(const char *p, size_t *n) {
    FILE *f = fopen(p, "rb"); if (!f) die(p);
    fseek(f, 0, SEEK_END); *n = (size_t)ftell(f); fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n); if (fread(b, 1, *n, f) != *n) die("read"); fclose(f); return b;
}
static void out(const char *p, const unsigned char *b, size_t n) {
    FILE *f = fopen(p, "wb"); fwrite(b, 1, n, f); fclose(f);
}
int main(int argc, char **argv) {
    if (argc != 2) die("usage: mkfixtures_segment DIR");
    const char *dir = argv[1];
    char path[512];
    snprintf(path, sizeof path, "%s/base.vsg", dir);
    vs_segwriter *w; vs_err err;
    if (vs_segwriter_new(&w, &err)) die("new");
    uint32_t doc, pid;
    static const char *texts[6] = { "alpha beta gamma", "beta alpha beta", "alpha beta", "gamma alpha", "beta beta alpha beta", "alpha" };
    for (int d = 0; d < 3; d++) {
        char id[8]; snprintf(id, sizeof id, "d%d", d);
        if (vs_segwriter_add_doc(w, id, strlen(id), "", 0, "f.txt", 5, &doc, &err)) die("doc");
        for (int k = 0; k < 2; k++) {
            const char *t = texts[d * 2 + k];
            uint32_t nt = 1; for (const char *c = t; *c; c++) nt += *c == ' ';
            if (vs_segwriter_add_passage(w, t, strlen(t), nt, &pid, &err)) die("psg");
        }
    }
    /* postings from the texts: term -> passages, tfs, positions */
    static const char *terms[3] = { "alpha", "beta", "gamma" };
    for (int ti = 0; ti < 3; ti++) {
        uint32_t pids[6], tfs[6], pos[32], n = 0, np = 0;
        for (uint32_t p = 0; p < 6; p++) {
            char buf[64]; snprintf(buf, sizeof buf, "%s", texts[p]);
            uint32_t tf = 0, wp = 0;
            for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " "), wp++)
                if (!strcmp(tok, terms[ti])) { pos[np++] = wp; tf++; }
            if (tf) { pids[n] = p; tfs[n] = tf; n++; }
        }
        if (vs_segwriter_add_term(w, terms[ti], strlen(terms[ti]), n, pids, tfs, pos, &err)) die(err.msg);
    }
    if (vs_segwriter_finish(w, path, 100, &err)) die(err.msg);
    vs_segwriter_free(w);
    vs_segment *s;
    if (vs_segment_open(path, &s, &err)) die(err.msg);
    uint64_t sd = vs_segment_section_off(s, VS_SEC_STORED_DIR), so = vs_segment_section_off(s, VS_SEC_STORED_OFFS),
             po = vs_segment_section_off(s, VS_SEC_POSITIONS);
    vs_term_info tb; int found;
    if (vs_segment_lookup(s, "beta", 4, &tb, &found, &err) || !found) die("beta");
    const vs_segment_meta *m = vs_segment_get_meta(s);
    printf("blocks %u passages %u; stored_dir %llu stored_offs %llu positions %llu, beta pos %llu+%llu\n", m->n_stored_blocks, m->n_passages,
           (unsigned long long)sd, (unsigned long long)so, (unsigned long long)po, (unsigned long long)tb.pos_off, (unsigned long long)tb.pos_len);
    vs_segment_close(s);
    size_t n; unsigned char *b;
    /* F6: block 0's decompressed length far beyond what LZ4 can expand its compressed bytes to */
    b = slurp(path, &n);
    vs_le_put32(b + sd + 12, 0x7E000000u);
    snprintf(path, sizeof path, "%s/F6", dir); out(path, b, n); free(b);
    /* F1: the last passage's text starts past its block's decompressed end */
    snprintf(path, sizeof path, "%s/base.vsg", dir);
    b = slurp(path, &n);
    uint32_t rlen = vs_le_get32(b + sd + 12);
    vs_le_put32(b + so + 4 * 5, rlen + 7);
    snprintf(path, sizeof path, "%s/F1", dir); out(path, b, n); free(b);
    /* F2: the positions of "beta", the phrase's second word, do not decode (continuation bytes) */
    snprintf(path, sizeof path, "%s/base.vsg", dir);
    b = slurp(path, &n);
    memset(b + po + tb.pos_off, 0xFF, tb.pos_len);
    snprintf(path, sizeof path, "%s/F2", dir); out(path, b, n); free(b);
    return 0;
}
