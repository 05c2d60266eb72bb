#!/bin/sh
# bench/build_bench.sh: indexing at scale (issue 4): build throughput with -j1 and -j2, peak RSS
# against --memory, index size per part, merge and no-op re-sync, on Reuters-21578 (the 22 .sgm
# files, from $VSEARCH_CORPORA or ../shared/corpora) and on a generated TREC collection of
# BENCH_GEN bytes (default 1G; bin/vs-gencorpus, seed 1; kept in bench/out/gen-<size>/).
#
#   sh bench/build_bench.sh            # after `make all bin/vs-gencorpus`
#   BENCH_GEN=5G BENCH_MEMORY="256M 1G" sh bench/build_bench.sh
#
# Each build starts from an empty index directory. MB/s = input bytes / 10^6 / wall seconds;
# CPU s = user + sys (wall time moves with other load on a shared machine; MB per CPU-second is
# the per-core figure); peak RSS from GNU time (ru_maxrss, mapped pages included). Runs: Reuters
# best of BENCH_REPS (default 3), generated best of BENCH_GEN_REPS (default 1).
# Output: stdout and bench/out/build-scale.md (a section for bench/RESULTS.md).
set -eu
cd "$(dirname "$0")/.."
CORPORA=${VSEARCH_CORPORA:-../shared/corpora}
GEN_SIZE=${BENCH_GEN:-1G}
MEMS=${BENCH_MEMORY:-256M 1G}
REPS=${BENCH_REPS:-3}
GREPS=${BENCH_GEN_REPS:-1}
OUT=bench/out
VS=bin/vsearch
mkdir -p "$OUT"
[ -x "$VS" ] && [ -x bin/vs-gencorpus ] || { echo "build_bench: run 'make all bin/vs-gencorpus' first" >&2; exit 1; }
/usr/bin/time -f '%e' -o "$OUT/time.probe" true 2>/dev/null || { echo "build_bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }

GEN=$OUT/gen-$GEN_SIZE
if [ ! -f "$GEN/.done" ]; then
    rm -rf "$GEN"
    bin/vs-gencorpus --size "$GEN_SIZE" --format trec -o "$GEN" --file-size 64M --stats
    touch "$GEN/.done"
fi
INPUTS="generated-$GEN_SIZE:$GEN"
[ -f "$CORPORA/reuters21578-sgml/reut2-000.sgm" ] && INPUTS="reuters:$CORPORA/reuters21578-sgml $INPUTS"

MD=$OUT/build-scale.md
{
    echo "### Indexing at scale (bench/build_bench.sh)"
    echo
    echo "- machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
    echo
    echo "| input | MB | run | wall s | MB/s | CPU s | MB per CPU-s | docs/s | peak RSS MiB | spilled runs |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$MD"
MACHINE=$OUT/build-scale.txt
: >"$MACHINE"

# build_run NAME INPUT_DIR IDX REPS ARGS...: best wall of REPS runs; appends a table row.
build_run() {
    name=$1 in=$2 idx=$3 reps=$4
    shift 4
    best= cpu= rss=0 line=
    i=0
    while [ $i -lt "$reps" ]; do
        i=$((i + 1))
        rm -rf "$idx"
        /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$VS" build -i "$idx" "$@" "$in" >"$OUT/summary.txt" 2>"$OUT/build.err" ||
            { cat "$OUT/build.err" >&2; exit 1; }
        w=$(tail -n 1 "$OUT/time.txt" | cut -d' ' -f1)
        c=$(tail -n 1 "$OUT/time.txt" | awk '{ printf "%.2f", $2 + $3 }')
        k=$(tail -n 1 "$OUT/time.txt" | cut -d' ' -f4)
        if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$w cpu=$c line=$(cat "$OUT/summary.txt"); fi
        [ "$k" -gt "$rss" ] && rss=$k
    done
    raw=$("$VS" stats -i "$idx" --json | sed -n 's/.*"raw_bytes":\([0-9]*\).*/\1/p')
    docs=$("$VS" stats -i "$idx" --json | sed -n 's/^{"documents":\([0-9]*\),.*/\1/p')
    runs=$(echo "$line" | sed -n 's/.*, \([0-9]*\) spilled runs.*/\1/p')
    awk -v n="$name" -v r="$*" -v raw="$raw" -v w="$best" -v c="$cpu" -v d="$docs" -v k="$rss" -v s="${runs:-0}" 'BEGIN {
        printf "| %s | %.0f | %s | %.2f | %.1f | %.2f | %.1f | %.0f | %.0f | %s |\n", n, raw / 1e6, r, w, raw / 1e6 / w, c, raw / 1e6 / c, d / w, k / 1024, s }' >>"$MD"
    echo "bench-build-scale input=$name args=\"$*\" raw_bytes=$raw wall_s=$best cpu_s=$cpu peak_rss_kib=$rss spilled_runs=${runs:-0} docs=$docs" >>"$MACHINE"
    tail -n 1 "$MD"
}

for spec in $INPUTS; do
    name=${spec%%:*} in=${spec#*:}
    reps=$REPS
    case $name in generated*) reps=$GREPS ;; esac
    build_run "$name" "$in" "$OUT/bs-$name-j1" "$reps" -j1
    build_run "$name" "$in" "$OUT/bs-$name-j2" "$reps" -j2
    cmp -s "$OUT/bs-$name-j1"/seg-*.vsg "$OUT/bs-$name-j2"/seg-*.vsg || echo "build_bench: -j1 and -j2 segments differ for $name" >&2
    rm -rf "$OUT/bs-$name-j1"
    for m in $MEMS; do build_run "$name" "$in" "$OUT/bs-$name-m" 1 -j2 --memory "$m"; done
    rm -rf "$OUT/bs-$name-m"
done

# speedup and sizes
{
    echo
    awk -F'|' '$4 ~ /-j1 *$/ { j1[$2] = $5 } $4 ~ /-j2 *$/ { j2[$2] = $5 }
        END { for (k in j1) if (k in j2) printf "- %s: -j2 / -j1 wall speedup %.2fx\n", k, j1[k] / j2[k] }' "$MD"
    echo
    echo "Index size (the -j2 builds), % of the input bytes:"
    echo
    echo "| input | total | without stored text | without stored text and positions | postings | positions | stored | passages + documents tables | bytes per posting |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >>"$MD"
for spec in $INPUTS; do
    name=${spec%%:*}
    "$VS" stats -i "$OUT/bs-$name-j2" --json >"$OUT/stats.json"
    python3 - "$name" "$OUT/stats.json" >>"$MD" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
b, raw = d["bytes"], d["raw_bytes"]
pct = lambda x: "%.1f%%" % (100.0 * x / raw)
tot = b["total"]
print("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f |" % (sys.argv[1], pct(tot), pct(tot - b["stored"]),
      pct(tot - b["stored"] - b["positions"]), pct(b["postings"]), pct(b["positions"]), pct(b["stored"]),
      pct(b["passages"] + b["documents"]), b["postings"] / max(1, d["postings"])))
PY
done

# merge and re-sync on the generated collection: 4 segments (build of half, 3 adds), 1% deleted
name=generated-$GEN_SIZE
idx=$OUT/bs-merge
rm -rf "$idx" "$OUT/bs-halves"
mkdir -p "$OUT/bs-halves/a" "$OUT/bs-halves/b"
n=0
for f in "$GEN"/gen-*.trec; do
    n=$((n + 1))
    if [ $((n % 2)) -eq 1 ]; then ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$OUT/bs-halves/a/"; else ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$OUT/bs-halves/b/"; fi
done
"$VS" build -q -i "$idx" "$OUT/bs-halves/a"
[ -n "$(ls "$OUT/bs-halves/b")" ] || { echo "build_bench: BENCH_GEN too small for the merge test (one file)" >&2; cat "$MD"; exit 0; }
for f in "$OUT"/bs-halves/b/*; do "$VS" add -q -i "$idx" "$f"; done
segs=$("$VS" stats -i "$idx" --json | sed -n 's/.*"segments":\([0-9]*\).*/\1/p')
"$VS" query -i "$idx" --trec -k 1000 "said" | awk '{ sub(/#.*/, "", $3); print $3 }' | sort -u | head -500 >"$OUT/del-ids.txt"
# shellcheck disable=SC2046
"$VS" delete -q -i "$idx" $(cat "$OUT/del-ids.txt")
/usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$VS" merge -i "$idx" --memory 256M >"$OUT/merge.txt"
mw=$(cut -d' ' -f1 "$OUT/time.txt"); mk=$(cut -d' ' -f4 "$OUT/time.txt")
/usr/bin/time -f '%e' -o "$OUT/time.txt" "$VS" build -i "$idx" "$OUT/bs-halves/a" "$OUT/bs-halves/b" >"$OUT/resync.txt" 2>&1 || true
rw=$(cut -d' ' -f1 "$OUT/time.txt")
{
    echo
    echo "- $name: merge of $segs segments with $(wc -l <"$OUT/del-ids.txt") deleted documents into one (--memory 256M): ${mw} s, peak RSS $((mk / 1024)) MiB"
    echo "- $name: re-sync of the unchanged collection: ${rw} s ($(cat "$OUT/resync.txt" | head -1))"
} >>"$MD"
echo "bench-merge input=$name segments=$segs wall_s=$mw peak_rss_kib=$mk" >>"$MACHINE"
rm -rf "$idx" "$OUT/bs-halves" "$OUT"/bs-*-j2
echo
cat "$MD"
echo
cat "$MACHINE"
