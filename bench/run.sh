#!/bin/sh
# bench/run.sh: the benchmark harness (DESIGN.md §8), run by `make bench` after `make all`.
#
# Inputs: Reuters-21578 (the 22 reut2-*.sgm files) and BBC News (its 5 topic folders), found at
# $VSEARCH_CORPORA or ../shared/corpora; without them it says so and exits 0.
# Measures, on this machine:
#   build   `bin/vsearch build` of each corpus, 3 times from scratch: the best wall time and the
#           best CPU time (user + sys), MB/s of raw input for each (1 MB = 10^6 bytes, raw = the
#           bytes the builder read, `stats` raw_bytes) and the highest peak RSS of the 3 runs,
#           from GNU time. CPU time is shown because wall time on a shared machine moves with
#           other load (BBC: 0.23-0.47 s wall at a steady 0.22 s CPU); MB per CPU-second is
#           also the unit of the per-core build budget;
#   size    `bin/vsearch stats --json` of the Reuters index: bytes of each part, % of raw text;
#   queries bench/qbench (in-process, one thread) over bench/queries-reuters.tsv on the Reuters
#           index: p50/p95/p99/mean per query type, top-10 and top-1000, pruned vs exhaustive.
# Output: stdout, bench/out/* (scratch, ignored by git), and a new dated section at the top of
# bench/RESULTS.md (older sections are kept below it: the file is the history).
# Environment: VSEARCH_CORPORA, CC (default cc), BENCH_REPS (timed query passes, default 10; see qbench.c).
# At the end it runs bench/peers.sh (the peer engines) when any of them is installed.
set -eu

cd "$(dirname "$0")/.."
CORPORA=${VSEARCH_CORPORA:-../shared/corpora}
CC=${CC:-cc}
REPS=${BENCH_REPS:-10}
OUT=bench/out
REUTERS=$CORPORA/reuters21578-sgml
BBC=$CORPORA/bbc

if [ ! -f "$REUTERS/reut2-000.sgm" ] || [ ! -d "$BBC/business" ]; then
    echo "bench: corpora not found at '$CORPORA' (need reuters21578-sgml/ and bbc/);" \
         "set VSEARCH_CORPORA to the folder holding them. Skipping the benchmarks."
    exit 0
fi
if [ ! -x bin/vsearch ] || [ ! -f lib/libvsearch.a ]; then
    echo "bench: bin/vsearch or lib/libvsearch.a missing; run 'make all' first" >&2
    exit 1
fi
mkdir -p "$OUT"

# GNU time gives wall seconds and peak RSS; without it, wall time from date(1) and no RSS.
if /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.probe" true 2>/dev/null; then
    HAVE_GNU_TIME=1
else
    HAVE_GNU_TIME=0
    echo "bench: GNU time (/usr/bin/time) not found: no peak RSS" >&2
fi

# json_get FILE KEY [OBJECT]: a number from the flat JSON of `vsearch stats --json`, at the top
# level or inside OBJECT ("bytes", "percent_of_raw").
# shellcheck disable=SC2020 # tr: each of , { } becomes a newline
json_get() {
    if [ $# -eq 3 ]; then
        sed -n "s/.*\"$3\":{\([^}]*\)}.*/\1/p" "$1"
    else
        cat "$1"
    fi | tr ',{}' '\n\n\n' | sed -n "s/^\"$2\":\([-0-9.e+]*\)\$/\1/p" | head -n 1
}

# time_build NAME PATH...: builds $OUT/NAME.idx from scratch 3 times; appends a row to the
# build table and a machine line to $OUT/bench.txt.
time_build() {
    name=$1
    shift
    idx=$OUT/$name.idx
    best=
    cpu=
    peak=0
    for _ in 1 2 3; do
        rm -rf "$idx"
        if [ "$HAVE_GNU_TIME" = 1 ]; then
            if ! /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" \
                    bin/vsearch build -q -i "$idx" "$@" 2>"$OUT/$name-build.log"; then
                echo "bench: building $name failed:" >&2
                cat "$OUT/$name-build.log" >&2
                exit 1
            fi
            # GNU time puts "Command exited ..." first on failure; the numbers are the last line.
            s=$(tail -n 1 "$OUT/time.txt" | cut -d' ' -f1)
            c=$(tail -n 1 "$OUT/time.txt" | awk '{ printf "%.2f", $2 + $3 }')
            kb=$(tail -n 1 "$OUT/time.txt" | cut -d' ' -f4)
        else
            t0=$(date +%s%N)
            if ! bin/vsearch build -q -i "$idx" "$@" 2>"$OUT/$name-build.log"; then
                echo "bench: building $name failed:" >&2
                cat "$OUT/$name-build.log" >&2
                exit 1
            fi
            t1=$(date +%s%N)
            s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
            c=0
            kb=0
        fi
        best=$(awk -v a="$best" -v b="$s" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
        cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
        peak=$(awk -v a="$peak" -v b="$kb" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
    done
    bin/vsearch stats -i "$idx" --json >"$OUT/$name-stats.json"
    j=$OUT/$name-stats.json
    raw=$(json_get "$j" raw_bytes)
    docs=$(json_get "$j" documents)
    passages=$(json_get "$j" passages)
    postings=$(json_get "$j" postings)
    files=$(grep -c . "$OUT/$name-files.txt")
    awk -v name="$name" -v files="$files" -v docs="$docs" -v passages="$passages" \
        -v postings="$postings" -v raw="$raw" -v s="$best" -v c="$cpu" -v kb="$peak" \
        -v gt="$HAVE_GNU_TIME" '
        BEGIN {
            mbs = s > 0 ? sprintf("%.1f", raw / 1e6 / s) : "n/a"
            cs = gt ? sprintf("%.2f", c) : "n/a"
            mbc = gt && c > 0 ? sprintf("%.1f", raw / 1e6 / c) : "n/a"
            rss = gt ? sprintf("%.1f", kb / 1024) : "n/a"
            printf "bench-build input=%s files=%d docs=%d passages=%d postings=%d raw_bytes=%d " \
                   "best_of_3_wall_s=%.2f mb_per_s=%s best_of_3_cpu_s=%s mb_per_cpu_s=%s " \
                   "peak_rss_mib=%s\n",
                   name, files, docs, passages, postings, raw, s, mbs, cs, mbc, rss
            printf "| %s | %d | %d | %d | %.1f | %.2f | %s | %s | %s | %s |\n",
                   name, files, docs, passages, raw / 1e6, s, mbs, cs, mbc, rss >> "'"$OUT/build.md"'"
        }' | tee -a "$OUT/bench.txt"
}

: >"$OUT/bench.txt"
printf '| corpus | files | documents | passages | raw MB | wall s (best of 3) | MB/s | CPU s (best of 3) | MB per CPU-s | peak RSS MiB (max of 3) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n' >"$OUT/build.md"

# ---- build speed ----
set -- "$REUTERS"/reut2-*.sgm
if [ $# != 22 ]; then
    echo "bench: expected 22 reut2-*.sgm files in $REUTERS, found $#" >&2
    exit 1
fi
printf '%s\n' "$@" >"$OUT/reuters-files.txt"
echo "bench: building Reuters-21578 (3 runs)"
time_build reuters "$@"
find "$BBC/business" "$BBC/entertainment" "$BBC/politics" "$BBC/sport" "$BBC/tech" -type f \
    >"$OUT/bbc-files.txt"
echo "bench: building BBC News (3 runs)"
time_build bbc "$BBC/business" "$BBC/entertainment" "$BBC/politics" "$BBC/sport" "$BBC/tech"

# ---- index size (Reuters) ----
j=$OUT/reuters-stats.json
{
    printf '| part | bytes | MB | %% of raw |\n|---|---:|---:|---:|\n'
    for part in dictionary postings positions lengths passages documents strings stored overhead total \
            without_stored without_stored_fields without_stored_positions; do
        b=$(json_get "$j" "$part" bytes)
        p=$(json_get "$j" "$part" percent_of_raw)
        label=$part
        [ "$part" = without_stored ] && label="total without stored text"
        [ "$part" = without_stored_fields ] && label="total without stored text and stored fields (ids, titles, paths)"
        [ "$part" = without_stored_positions ] && label="total without stored text and positions"
        awk -v l="$label" -v b="$b" -v p="$p" 'BEGIN { printf "| %s | %d | %.2f | %.2f%% |\n", l, b, b / 1e6, p }'
    done
} >"$OUT/size.md"
awk -v raw="$(json_get "$j" raw_bytes)" -v tot="$(json_get "$j" total bytes)" \
    -v ns="$(json_get "$j" without_stored bytes)" -v nsp="$(json_get "$j" without_stored_positions bytes)" \
    -v bpp="$(json_get "$j" bytes_per_posting)" 'BEGIN {
        printf "bench-size input=reuters raw_bytes=%d index_bytes=%d pct_of_raw=%.2f " \
               "pct_without_stored=%.2f pct_without_stored_positions=%.2f bytes_per_posting=%s\n",
               raw, tot, 100 * tot / raw, 100 * ns / raw, 100 * nsp / raw, bpp }' | tee -a "$OUT/bench.txt"

# ---- query latency (Reuters) ----
echo "bench: compiling bench/qbench.c"
"$CC" -O2 -std=c11 -D_GNU_SOURCE -Iinclude -o "$OUT/qbench" bench/qbench.c lib/libvsearch.a \
    -lxxhash -llz4 -lbsd -lutf8proc -lstemmer -lz -lzstd -lm -lpthread
echo "bench: query latency on Reuters-21578 (bench/queries-reuters.tsv, best of $REPS passes)"
# To a file first: in a pipeline (no pipefail in POSIX sh) a failing qbench would go unnoticed.
"$OUT/qbench" -n reuters -r "$REPS" -m "$OUT/latency.md" "$OUT/reuters.idx" bench/queries-reuters.tsv \
    >"$OUT/qbench.txt"
cat "$OUT/qbench.txt"
cat "$OUT/qbench.txt" >>"$OUT/bench.txt"

# ---- postings codec: decode speed (every decoder level) and bits per posting on the Reuters index ----
echo "bench: compiling bench/codec_bench.c"
"$CC" -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Iindex -Iquery -o "$OUT/codec_bench" bench/codec_bench.c \
    lib/libvsearch.a -lxxhash -llz4 -lbsd -lutf8proc -lstemmer -lz -lzstd -lm -lpthread
"$OUT/codec_bench" "$OUT/reuters.idx" reuters >"$OUT/codec.txt"
cat "$OUT/codec.txt"
cat "$OUT/codec.txt" >>"$OUT/bench.txt"

# ---- bench/RESULTS.md: new section on top, older ones kept ----
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- . ':!bench/RESULTS.md' 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
{
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(uname -m), ${cpu:-unknown CPU}, $cores cores"
    echo "- compiler: $("$CC" --version 2>/dev/null | head -n 1) (library as built by make; qbench -O2)"
    echo "- commit: $commit"
    echo "- index options: vsearch build defaults (passage units, Snowball stemming, default stopwords)"
    echo
    echo "### Build"
    echo
    echo "Reuters-21578: the 22 reut2-*.sgm files; BBC News: business, entertainment, politics,"
    echo "sport, tech (one file per article). Each built 3 times from scratch by \`bin/vsearch build\`;"
    echo "MB/s = raw input bytes / 10^6 / best wall seconds; CPU s = user + sys, which varies less"
    echo "than wall time when other work shares the machine."
    echo
    cat "$OUT/build.md"
    echo
    echo "### Index size (Reuters-21578)"
    echo
    echo "From \`bin/vsearch stats --json\`; % of the raw input bytes."
    echo
    cat "$OUT/size.md"
    echo
    echo "### Query latency (Reuters-21578)"
    echo
    echo "Queries: bench/queries-reuters.tsv (bench/gen_queries.py): 'term' one word, 'and' two words"
    echo "with and_mode, 'or' 2-4 words; all from Reuters story bodies."
    echo
    cat "$OUT/latency.md"
    echo
    echo "### Postings codec (Reuters-21578 index)"
    echo
    echo "bench/codec_bench.c: every list re-encoded, then decoded 15 times (best pass) at every decoder"
    echo "level; docids/s = full 128-posting blocks unpacked to absolute ids (prefix sum included); bits"
    echo "per gap and tf for full blocks, tails and all; codec_pfor / codec_reorder: measured experiments"
    echo "(patched exceptions; documents renumbered by MinHash or graph bisection), not what is shipped."
    echo
    echo '```'
    cat "$OUT/codec.txt"
    echo '```'
    echo
    echo "Machine-readable:"
    echo
    echo '```'
    cat "$OUT/bench.txt"
    echo '```'
    echo
} >"$OUT/section.md"
{
    echo "# vsearch benchmark results"
    echo
    echo "Written by \`make bench\` (bench/run.sh). Newest run first; older runs stay below as the"
    echo "history. Compare numbers only between runs on the same machine."
    echo
    cat "$OUT/section.md"
    if [ -f bench/RESULTS.md ]; then sed -n '/^## /,$p' bench/RESULTS.md; fi
} >"$OUT/RESULTS.md.new"
mv "$OUT/RESULTS.md.new" bench/RESULTS.md
echo "bench: wrote bench/RESULTS.md"

# ---- peer engines (bench/peers.sh): SQLite FTS5, Xapian, Lucene 4.10 side by side ----
# Runs only when at least one peer is installed (tools/install-deps.sh --bench); otherwise it
# says so and `make bench` ends here. By default the CACM and Reuters parts; the ~1 GB generated
# collection takes about an hour more: PEERS_PARTS=effect,reuters,gen make bench.
if [ -f /usr/include/sqlite3.h ] || command -v xapian-config >/dev/null 2>&1 ||
    ls /usr/share/java/lucene-core-4.10*.jar >/dev/null 2>&1; then
    PEERS_PARTS=${PEERS_PARTS:-effect,reuters} sh bench/peers.sh
else
    echo "bench: no peer engine installed (tools/install-deps.sh --bench installs SQLite FTS5," \
         "Xapian and Lucene 4.10); skipping the side-by-side comparison"
fi
