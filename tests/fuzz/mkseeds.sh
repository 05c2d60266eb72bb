#!/bin/sh
# mkseeds.sh: seed corpora for the fuzz targets, from the small real files in tests/fixtures/ and
# corpus/. Segment and MANIFEST seeds are indexes built by the current bin/vsearch, so they always
# match the current format. Usage: tests/fuzz/mkseeds.sh BIN/vsearch OUTDIR
# Each target's seeds go to OUTDIR/TARGET/. Targets read parameter bytes before their payload
# (see each fuzz_*.c), so seeds are written with those bytes in front.
set -eu
VS=$1
OUT=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
F=$ROOT/tests/fixtures
S=$F/source
rm -rf "$OUT"
mkdir -p "$OUT"
T=$(mktemp -d /tmp/vsearch-seeds.XXXXXX)
trap 'rm -rf "$T"' EXIT

# seed TARGET NAME PREFIX_OCTAL FILE: writes PREFIX bytes (printf escapes) then FILE
seed() {
    mkdir -p "$OUT/$1"
    { printf "$3"; cat "$4"; } >"$OUT/$1/$2"
}

# source readers: byte 0 = name index (see names[] in fuzz_source.c) | 0x80 strict
for f in article.txt blank.txt latin1.txt news-post; do seed source_text "$f" '\000' "$S/$f"; done
seed source_text crlf.md '\001' "$S/crlf.md"
seed source_text corpus.txt '\000' "$ROOT/corpus/000_79d01c390d725485.txt"
for f in sample.trec bad.trec; do seed source_trec "$f" '\002' "$S/$f"; seed source_trec "strict-$f" '\202' "$S/$f"; done
for f in sample.jsonl bad.jsonl; do seed source_jsonl "$f" '\003' "$S/$f"; seed source_jsonl "strict-$f" '\203' "$S/$f"; done
seed source_reuters reut2-sample.sgm '\004' "$S/reut2-sample.sgm"
seed source_reuters reut2-sample.xml '\005' "$S/reut2-sample.xml"
seed source_smart cacm-sample.all '\006' "$S/cacm-sample.all"
seed source_auto article.txt '\000' "$S/article.txt"
seed source_auto crlf.md '\001' "$S/crlf.md"
seed source_auto sample.trec '\002' "$S/sample.trec"
seed source_auto sample.jsonl '\003' "$S/sample.jsonl"
seed source_auto reut2-sample.sgm '\004' "$S/reut2-sample.sgm"
seed source_auto reut2-sample.xml '\005' "$S/reut2-sample.xml"
seed source_auto cacm-sample.all '\006' "$S/cacm-sample.all"
seed source_auto news-post '\010' "$S/news-post"
seed source_auto binary.dat '\011' "$S/binary.dat"
seed source_auto trec-no-ext '\010' "$S/sample.trec"

# streaming reader: byte 0 = name index (see names[] in fuzz_source_input.c), byte 1 = window
# (64 << (b & 7)) | 0x80 to read through a file descriptor; plain and compressed files
seed source_input sample.trec '\002\000' "$S/sample.trec"
seed source_input sample.jsonl '\003\201' "$S/sample.jsonl"
seed source_input reut2-sample.sgm '\004\002' "$S/reut2-sample.sgm"
seed source_input cacm-sample.all '\006\003' "$S/cacm-sample.all"
seed source_input article.txt '\000\000' "$S/article.txt"
seed source_input corpus.txt '\000\205' "$ROOT/corpus/000_79d01c390d725485.txt"
gzip -9nc "$S/sample.trec" >"$T/trec.gz" && seed source_input sample.trec.gz '\012\001' "$T/trec.gz"
gzip -9nc "$S/sample.jsonl" >"$T/jsonl.gz" && seed source_input sample.jsonl.gz '\014\201' "$T/jsonl.gz"
{ gzip -nc "$S/article.txt"; gzip -nc "$S/article.txt"; } >"$T/two.gz" && seed source_input two-members.gz '\011\000' "$T/two.gz"
if command -v zstd >/dev/null 2>&1; then
    zstd -q -c "$S/sample.jsonl" >"$T/jsonl.zst" && seed source_input sample.jsonl.zst '\013\002' "$T/jsonl.zst"
fi

# analyzer: byte 0 config, byte 1 bit 0 = also decode as an analyzer config
seed analyze article '\003\000' "$S/article.txt"
seed analyze latin1 '\007\000' "$S/latin1.txt"
seed analyze corpus-nostem '\002\000' "$ROOT/corpus/000_79d01c390d725485.txt"
printf '\003\000Putin'"'"'s 5.93 mln bags, 1,750 tonnes \342\200\231s caf\303\251 \346\227\245\346\234\254\350\252\236 \357\274\241\357\274\242 e\314\201t\303\251 STRASSE stra\303\237e' >"$OUT/analyze/unicode"
printf '\013\001\001\001\001\002\000\000\000\005\000cocoa\004\000\303\251t\303\251' >"$OUT/analyze/config"
printf '\033\000a b c d e f g h i j k l m n o p' >"$OUT/analyze/near-max-pos"

# passage splitter: byte 0 = max_words (0: 250) | 0x80 whole_doc
seed passage article '\000' "$S/article.txt"
seed passage article-small '\005' "$S/article.txt"
seed passage corpus '\000' "$ROOT/corpus/000_79d01c390d725485.txt"
seed passage corpus-whole '\200' "$ROOT/corpus/000_79d01c390d725485.txt"
seed passage reuters '\012' "$S/reut2-sample.sgm"
seed passage crlf '\000' "$S/crlf.md"

# topics: byte 0 = field
for f in topics-trec.txt topics-trec-closed.txt topics-smart.txt topics-tsv.txt topics-bad-dup.txt topics-bad-nonum.txt; do
    seed topics "$f" '\000' "$F/$f"
done
seed topics topics-trec-desc '\003' "$F/topics-trec.txt"

# query parser: byte 0 bit 0 = default AND
mkdir -p "$OUT/parse"
printf '\000security cooperation' >"$OUT/parse/or"
printf '\001cocoa "bahia brazil" +rain -coffee (a OR b)^2 title:gold NOT x' >"$OUT/parse/all-operators"
printf '\000((("a b" c)^3 AND -d) OR title:"e f")' >"$OUT/parse/nested"
printf '\000"unclosed phrase (a' >"$OUT/parse/bad"

# eval: byte 0 flags, bytes 1-2 qrels length (little-endian), qrels, run
mkdir -p "$OUT/eval"
printf '1 0 d1 1\n1 0 d2 0\n1 0 d3 2\n2 0 d9 1\n' >"$T/q"
printf '1 Q0 d1 1 2.5 t\n1 Q0 d4 2 2.0 t\n1 Q0 d3 3 2.0 t\n2 Q0 d9 1 1 t\n3 Q0 d1 1 1 t\n' >"$T/r"
for fl in 000 001 006 007; do
    { printf "\\$fl"; python3 -c "import sys; n=$(wc -c <"$T/q"); sys.stdout.buffer.write(bytes([n & 255, n >> 8]))"; cat "$T/q" "$T/r"; } >"$OUT/eval/small-$fl"
done

# postings: byte 0 mode (0 decode, 1 round trip), then parameters and bytes
mkdir -p "$OUT/postings"
python3 - "$OUT/postings" <<'PY'
import os, random, struct, sys
out = sys.argv[1]
rnd = random.Random(6)
def varint(v):
    b = bytearray()
    while v >= 0x80:
        b.append((v & 0x7f) | 0x80); v >>= 7
    b.append(v)
    return bytes(b)
# decode: a tail block of 3 postings (gaps 4, 0, 9 at 4 bits; tfs 1, 2, 1 as tf-1 at 1 bit):
# header 4 | 1 << 6, then the 15-bit stream 0010 0000 1001 010 (LSB first)
open(os.path.join(out, "tail3"), "wb").write(bytes([0, 2, 0]) + struct.pack("<I", 0) + bytes([0x44, 0x04, 0x29]))
# decode: a tail block whose header has a second byte (tf width 9)
open(os.path.join(out, "tail2-w9"), "wb").write(bytes([0, 1, 1]) + struct.pack("<I", 7) + bytes([0xC5, 9]) + bytes(rnd.getrandbits(8) for _ in range(4)))
# decode: a full block at widths 3 and 1 (one header byte: 3 | 1 << 6)
full = bytes([0x43]) + bytes(rnd.getrandbits(8) for _ in range(16 * 4))
open(os.path.join(out, "full-3-1"), "wb").write(bytes([0, 0x80, 1]) + struct.pack("<I", 1000) + full)
# round trips at lengths 1, 127, 128 and several widths
for name, nb, w in [("rt1", 0, 5), ("rt127", 126, 12), ("rt128", 0x80, 17), ("rt128w32", 0x80, 32), ("rt128w0", 0x80, 0)]:
    body = bytearray([1, nb, 1, w]) + struct.pack("<I", rnd.getrandbits(20))
    for _ in range(128):
        body += bytes([w]) + struct.pack("<I", rnd.getrandbits(32)) + bytes([w % 9]) + struct.pack("<I", rnd.getrandbits(32))
    open(os.path.join(out, name), "wb").write(bytes(body))
PY

# segments and MANIFESTs: small indexes built by the current vsearch
mkdir -p "$OUT/segment" "$OUT/manifest" "$OUT/catalog" "$T/many"
i=0
while [ $i -lt 300 ]; do
    printf 'alpha beta %d gamma\n\n' "$i"
    [ $((i % 3)) -eq 0 ] && printf 'delta alpha alpha epsilon %d.\n\n' "$i"
    i=$((i + 1))
done >"$T/many/blocks.txt"
n=0
build() { # NAME OPTIONS... PATHS...
    name=$1; shift
    "$VS" build -q -i "$T/idx-$name" "$@" >/dev/null 2>&1 || { echo "mkseeds: build $name failed" >&2; return 0; }
    for s in "$T/idx-$name"/seg-*.vsg; do cp "$s" "$OUT/segment/$name.vsg"; done
    cp "$T/idx-$name/MANIFEST" "$OUT/manifest/$name"
    # catalog seeds: byte 0 = 0 (catalog), 12 bytes of unused parameters, the file
    for s in "$T/idx-$name"/files-*.vsf; do [ -f "$s" ] && seed catalog "$name.vsf" '\000\000\000\000\000\000\000\000\000\000\000\000\000' "$s"; done
}
build article "$S/article.txt"
build trec "$S/sample.trec"
build jsonl-nostem --no-stem --stopwords none "$S/sample.jsonl"
build cacm-doc --unit doc "$S/cacm-sample.all"
build blocks "$T/many/blocks.txt"
printf 'uzbekistan\nrussia\n' >"$T/stop.txt"
build custom-stop --stopwords "$T/stop.txt" "$S/article.txt" "$S/reut2-sample.sgm"
# deletion files: byte 0 = 3 (deletion file, expected values from the file itself)
"$VS" build -q -i "$T/idx-del" "$S/sample.trec" >/dev/null 2>&1 && "$VS" delete -i "$T/idx-del" FT911-1 >/dev/null 2>&1 &&
    for s in "$T/idx-del"/del-*.vsd; do [ -f "$s" ] && seed catalog del.vsd '\003\000\000\000\000\000\000\000\000\000\000\000\000' "$s"; done
cp "$T/idx-del/MANIFEST" "$OUT/manifest/with-deletions" 2>/dev/null || true
mkdir -p "$OUT/catalog"
echo "seeds: $(find "$OUT" -type f | wc -l) files in $OUT"
