#!/bin/sh
# End-to-end tests of indexing at scale (issue 4): add / delete / merge / re-sync from the CLI,
# crash safety (a writer killed between any two of its write/fsync/rename/unlink calls through
# VSEARCH_FAILPOINT, and by real SIGKILLs at random times, for build, add and merge), file-size
# limits (ulimit -f), the memory budget, a 10,000-file no-op re-sync, progress output.
# Usage: tests/cli/scale.sh BIN/vsearch BIN/vs-gencorpus
# Prints one line per check and ends with "N passed, N failed". Inputs come from vs-gencorpus
# (deterministic); the memory test uses Reuters-21578 when the shared corpora are present.
# SCALE_POINTS (default 32): failpoints per operation, spread over all of its counted calls
# (every other one also reruns the operation to completion and looks for leftovers).
set -u
VS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
GEN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vsearch-scale.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
PASS=0
FAIL=0
POINTS=${SCALE_POINTS:-32}
CORPORA=${VSEARCH_CORPORA:-$ROOT/../shared/corpora}

ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
run() {
    name=$1; want=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name (exit $want)"; else bad "$name: exit $got, want $want" "$(head -c 400 "$T/err")"; fi
}
has_out() { if grep -q -- "$2" "$T/out"; then ok "$1"; else bad "$1: stdout lacks '$2'" "$(head -c 300 "$T/out")"; fi; }
has_err() { if grep -q -- "$2" "$T/err"; then ok "$1"; else bad "$1: stderr lacks '$2'" "$(head -c 300 "$T/err")"; fi; }

# answers DIR: the JSON answers of a fixed query set (what "the index answers identically" means)
QUERIES="$T/queries"
answers() {
    while IFS= read -r q; do "$VS" query -i "$1" --json -k 20 "$q" 2>&1; done <"$QUERIES"
}
# garbage DIR: files a finished writer should not leave (temporaries, unnamed segments)
garbage() {
    segs=$(ls "$1" | grep -c '^seg-.*\.vsg$')
    named=$("$VS" stats -i "$1" --json 2>/dev/null | sed -n 's/.*"segments":\([0-9]*\).*/\1/p')
    ls "$1" | grep -E '^(tmp-|MANIFEST\.tmp)' | head -3
    [ "$segs" = "$named" ] || echo "seg files $segs, MANIFEST names $named"
}

cd "$T"

# --- inputs: generated TREC (3 x 1 MB), a second batch, small JSONL
"$GEN" --size 3M --format trec -o "$T/c" --file-size 1M 2>/dev/null
"$GEN" --size 2M --format trec --seed 7 -o "$T/more" --file-size 1M 2>/dev/null
sed -i 's/GEN-/MORE-/' "$T/more"/*.trec
grep -h '<HEADLINE>' "$T/c/gen-00000.trec" | sed -n '1p;3p;5p;7p' | sed 's/<[^>]*>//g' >"$QUERIES"
grep -h '<HEADLINE>' "$T/more/gen-00000.trec" | sed -n '2p;4p' | sed 's/<[^>]*>//g' >>"$QUERIES"
printf 'said price\nshares officials\n' >>"$QUERIES"
[ -s "$T/c/gen-00002.trec" ] && [ "$(wc -l <"$QUERIES")" -eq 8 ] && ok "generated inputs" || bad "generated inputs"

# --- add / delete / merge / re-sync from the command line
I=$T/ix
run "build" 0 "$VS" build -i "$I" "$T/c"
has_out "build summary reports throughput and peak RSS" "MB/s, [0-9]* docs/s, peak RSS [0-9]* MiB"
run "build again: no-op" 0 "$VS" build -i "$I" "$T/c"
has_out "unchanged corpus is up to date" "is up to date: 3 files unchanged"
run "add" 0 "$VS" add -i "$I" "$T/more"
has_out "add summary" "2 new, 0 changed, 0 removed"
run "stats: two segments" 0 "$VS" stats -i "$I" --json
has_out "two segments" '"segments":2'
run "query a MORE document" 0 "$VS" query -i "$I" --trec --by doc -k 1 "$(sed -n 5p "$QUERIES")"
has_out "added documents are found" " MORE-"
DOC=$(sed -n '1s/^[^ ]* Q0 \([^ #]*\).*/\1/p' "$T/out")
run "delete $DOC" 0 "$VS" delete -i "$I" "$DOC"
has_out "delete summary" "deleted 1 documents"
run "deleted document gone" 0 "$VS" query -i "$I" --trec --by doc -k 50 "$(sed -n 5p "$QUERIES")"
grep -q " $DOC " "$T/out" && bad "deleted document still found" || ok "deleted document not found"
run "delete unknown id" 65 "$VS" delete -i "$I" "$DOC" "NO-SUCH-DOC"
has_err "unknown id named" "no document with id '$DOC'"
run "delete without index" 66 "$VS" delete -i "$T/none" X
run "delete without ids" 64 "$VS" delete -i "$I"
run "check with deletions" 0 "$VS" check -i "$I"
run "merge" 0 "$VS" merge -i "$I"
has_out "merge summary" "1 segments"
[ -z "$(garbage "$I")" ] && ok "merge leaves no garbage" || bad "merge leaves no garbage" "$(garbage "$I")"
run "check after merge" 0 "$VS" check -i "$I"
run "merge --max-segments 0" 64 "$VS" merge -i "$I" --max-segments 0
printf '{"id":"stdin-1","title":"Piped","contents":"zorblax quintessence arrives via pipe."}\n' |
    "$VS" add -i "$I" - >"$T/out" 2>"$T/err" && ok "add - (stdin)" || bad "add - (stdin)" "$(cat "$T/err")"
run "stdin document found" 0 "$VS" query -i "$I" --trec "zorblax"
has_out "stdin id" "^1 Q0 stdin-1#1 1 "
run "build --unit doc replaces the index" 0 "$VS" build -i "$I" --unit doc "$T/c"
has_out "replace is a full build" "^indexed [0-9]* documents"
run "build -j1 --memory 8M" 0 "$VS" build -i "$T/j1" -j1 --memory 8M "$T/c"
run "build -j3" 0 "$VS" build -i "$T/j3" -j3 "$T/c"
cmp -s "$T/j1"/seg-*.vsg "$T/j3"/seg-*.vsg && ok "-j1 with spills and -j3: identical segment" || bad "-j1 and -j3 segments differ"
run "bad --memory" 64 "$VS" build -i "$T/x" --memory lots "$T/c"
has_err "bad --memory message" "invalid --memory 'lots'"
run "bad -j" 64 "$VS" build -i "$T/x" -j 0 "$T/c"

# a second writer is refused, naming the holder
if command -v flock >/dev/null 2>&1; then
    flock "$I/LOCK" sleep 3 &
    sleep 0.5
    run "second writer refused" 74 "$VS" add -i "$I" "$T/more"
    has_err "lock message" "is locked by another writer (pid"
    wait
else
    echo "skip lock test: no flock(1)"
fi

# --- progress: nothing on a non-tty stderr unless --progress
run "quiet stderr without a tty" 0 "$VS" build -i "$T/p1" "$T/c"
[ ! -s "$T/err" ] && ok "no progress on a non-tty" || bad "no progress on a non-tty" "$(head -c 200 "$T/err")"
run "--progress" 0 "$VS" build -i "$T/p2" --progress "$T/c"
has_err "--progress shows documents and MB/s" "documents  [0-9.]* MB  [0-9.]* MB/s"

# --- compressed inputs and standard input give the same index as the plain files
trec_answers() { while IFS= read -r q; do "$VS" query -i "$1" --trec -k 20 "$q" 2>&1; done <"$QUERIES"; }
mkdir -p "$T/z"
gzip -c "$T/c/gen-00000.trec" >"$T/z/a.trec.gz"
if command -v zstd >/dev/null 2>&1; then zstd -q -c "$T/c/gen-00001.trec" >"$T/z/b.trec.zst"
else gzip -c "$T/c/gen-00001.trec" >"$T/z/b.trec.zst.gz"; fi
gzip -c "$T/c/gen-00002.trec" >"$T/z/c-no-extension"
run "build .gz / .zst / gzip magic without extension" 0 "$VS" build -i "$T/zi" "$T/z"
has_out "compressed: 3 files read" "from 3 files"
run "plain build for comparison" 0 "$VS" build -i "$T/pi" "$T/c"
trec_answers "$T/zi" >"$T/a1"; trec_answers "$T/pi" >"$T/a2"
cmp -s "$T/a1" "$T/a2" && ok "compressed inputs answer like the plain files" || bad "compressed inputs answer differently"
cat "$T/c"/gen-*.trec | gzip -c | "$VS" build -i "$T/si" --memory 8M - >"$T/out" 2>"$T/err" && ok "gzip TREC on stdin" || bad "gzip TREC on stdin" "$(cat "$T/err")"
trec_answers "$T/si" >"$T/a1"
cmp -s "$T/a1" "$T/a2" && ok "stdin answers like the files" || bad "stdin answers differently"
head -c 30000 "$T/z/a.trec.gz" >"$T/z/d-truncated.trec.gz"
run "truncated gzip: warned and skipped" 0 "$VS" build -i "$T/zt" "$T/z"
has_err "truncated gzip message" "d-truncated.trec.gz: gzip data is damaged or truncated near byte"
run "truncated gzip under --strict" 65 "$VS" build -i "$T/zt2" --strict "$T/z"

# --- crash safety: failpoints and real SIGKILLs
# crash_test NAME PREP OP: PREP DIR makes the previous index in DIR; OP DIR changes it (one or
# more commits: the build, then merges). After a kill anywhere: check passes, and the index is
# exactly one of the committed states: the previous index (its answers), the finished one, or
# an intermediate commit (every kill that stops at that MANIFEST generation must give the same
# answers); then OP again succeeds, answers as the finished index and leaves no garbage.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
gen_of() { od -An -tu8 -j16 -N8 "$1/MANIFEST" | tr -d ' '; }
# same_state DIR: is DIR one of the committed states? (problems are appended to $problems)
same_state() {
    g=$(gen_of "$1")
    answers "$1" >"$T/got"
    if [ "$g" = "$g0" ]; then
        cmp -s "$T/got" "$T/old" && oldseen=$((oldseen + 1)) && return 0
        problems="$problems $2: generation $g answers differ from the previous index;"; return 1
    elif [ "$g" = "$gn" ]; then
        cmp -s "$T/got" "$T/new" && newseen=$((newseen + 1)) && return 0
        problems="$problems $2: generation $g answers differ from the finished index;"; return 1
    elif [ -f "$T/gen-$g" ]; then
        cmp -s "$T/got" "$T/gen-$g" && midseen=$((midseen + 1)) && return 0
        problems="$problems $2: two different states at generation $g;"; return 1
    fi
    cp "$T/got" "$T/gen-$g"
    midseen=$((midseen + 1))
}
crash_test() {
    name=$1; prep=$2; op=$3
    rm -rf "$T/base" "$T"/gen-*
    $prep "$T/base" || { bad "$name: preparing the previous index"; return; }
    answers "$T/base" >"$T/old"
    g0=$(gen_of "$T/base")
    rm -rf "$T/full"; cp -r "$T/base" "$T/full"
    rm -f "$T/count"
    export VSEARCH_FAILPOINT_COUNT="$T/count"
    t0=$(now_ms)
    $op "$T/full" >/dev/null 2>"$T/err"
    st=$?
    dur=$(( $(now_ms) - t0 ))
    unset VSEARCH_FAILPOINT_COUNT
    [ $st -eq 0 ] || { bad "$name: the operation itself fails" "$(head -c 300 "$T/err")"; return; }
    answers "$T/full" >"$T/new"
    gn=$(gen_of "$T/full")
    n=$(cat "$T/count")
    [ "$n" -ge "$POINTS" ] || { bad "$name: only $n counted calls (want >= $POINTS)"; return; }
    tried=0 killed=0 oldseen=0 newseen=0 midseen=0 problems=""
    while [ $tried -lt "$POINTS" ]; do
        k=$((1 + tried * (n - 1) / (POINTS - 1)))
        tried=$((tried + 1))
        rm -rf "$T/k"; cp -r "$T/base" "$T/k"
        export VSEARCH_FAILPOINT=$k
        $op "$T/k" >/dev/null 2>&1
        st=$?
        unset VSEARCH_FAILPOINT
        [ $st -eq 137 ] && killed=$((killed + 1))
        if ! "$VS" check -q -i "$T/k" >/dev/null 2>"$T/cerr"; then
            problems="$problems point $k: check fails ($(head -c 200 "$T/cerr"));"; continue
        fi
        same_state "$T/k" "point $k" || continue
        [ $((tried % 2)) -eq 0 ] || continue # every other point: finish the job and look for garbage
        if ! $op "$T/k" >/dev/null 2>"$T/rerr"; then problems="$problems point $k: rerun fails ($(head -c 200 "$T/rerr"));"; continue; fi
        answers "$T/k" >"$T/got"
        cmp -s "$T/got" "$T/new" || problems="$problems point $k: after rerun answers differ;"
        g=$(garbage "$T/k")
        [ -z "$g" ] || problems="$problems point $k: garbage left: $g;"
    done
    # (the number of calls varies a little between runs: spills follow the resident size)
    if [ -z "$problems" ] && [ $killed -ge $((POINTS - 2)) ]; then
        ok "$name: killed at $killed of $n counted calls: previous index ($oldseen), intermediate commits ($midseen) or finished ($newseen), all intact; reruns clean"
    else
        bad "$name: failpoints (killed $killed of $tried)" "$problems"
    fi
    # real SIGKILL at random moments of a run (it takes about $dur ms)
    problems=""
    i=0
    while [ $i -lt 10 ]; do
        i=$((i + 1))
        rm -rf "$T/k"; cp -r "$T/base" "$T/k"
        d=$(awk -v s="$i" -v t="$dur" 'BEGIN { srand(s * 7919); printf "%.3f", rand() * (t + 20) / 1000 }')
        EXEC=exec $op "$T/k" >/dev/null 2>&1 &
        pid=$!
        sleep "$d"
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        if ! "$VS" check -q -i "$T/k" >/dev/null 2>"$T/cerr"; then problems="$problems kill after ${d}s: check fails ($(head -c 200 "$T/cerr"));"; continue; fi
        same_state "$T/k" "kill after ${d}s"
    done
    [ -z "$problems" ] && ok "$name: 10 SIGKILLs at random times within its ${dur} ms: index intact" || bad "$name: SIGKILL" "$problems"
}

mkdir -p "$T/c2"
cp "$T/c/gen-00000.trec" "$T/c/gen-00002.trec" "$T/c2/"
cp "$T/more/gen-00000.trec" "$T/c2/gen-00003.trec"
sed 's/said/told/g' "$T/c/gen-00001.trec" >"$T/c2/gen-00001.trec"
prep_build() { "$VS" build -q -i "$1" "$T/c" 2>/dev/null; }
# build: re-sync to a corpus with a file changed, one removed, one new (new segment, deletion
# file, catalog), with a budget that makes it spill
op_build() { ${EXEC:-} "$VS" build -q -i "$1" --memory 8M "$T/c2"; }
crash_test "build (re-sync)" prep_build op_build
# (--replace writes one segment per file here: VSEARCH_TEST_SEG_LIMIT stands for a budget too
# small for the collection, so kills also land between the segments of one build)
op_replace() { VSEARCH_TEST_SEG_LIMIT=20000 ${EXEC:-} "$VS" build -q -i "$1" --replace -j1 "$T/c2"; }
crash_test "build --replace" prep_build op_replace
op_add() { ${EXEC:-} "$VS" add -q -i "$1" --memory 8M "$T/more"; }
crash_test "add" prep_build op_add
prep_merge() {
    "$VS" build -q -i "$1" "$T/c" 2>/dev/null && "$VS" add -q -i "$1" "$T/more" 2>/dev/null &&
        "$VS" delete -q -i "$1" GEN-000000001 MORE-000000002 2>/dev/null
}
op_merge() { ${EXEC:-} "$VS" merge -q -i "$1"; }
crash_test "merge" prep_merge op_merge

# --- file-size limit: a clear error, the previous index intact, temporary files removed
rm -rf "$T/lim"; "$VS" build -q -i "$T/lim" "$T/c" 2>/dev/null
answers "$T/lim" >"$T/old"
sh -c 'ulimit -f 1024; exec "$0" build -i "$1" --replace --no-stem "$2"' "$VS" "$T/lim" "$T/c2" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 74 ] && ok "file-size limit: exit 74" || bad "file-size limit: exit $st, want 74" "$(cat "$T/err")"
has_err "file-size limit: message names the file" "cannot write '.*': File too large"
answers "$T/lim" >"$T/got"
cmp -s "$T/got" "$T/old" && ok "file-size limit: previous index answers identically" || bad "file-size limit: answers changed"
[ -z "$(ls "$T/lim" | grep -E '^(tmp-|MANIFEST\.tmp)')" ] && ok "file-size limit: temporary files removed" || bad "file-size limit: temporaries left" "$(ls "$T/lim")"
run "file-size limit: check" 0 "$VS" check -i "$T/lim"

# --- memory budget: peak RSS <= budget + 10% + a fixed baseline of 16 MiB (executable and
# libraries ~4 MiB, two analysis threads' analyzer caches, the mapped input file, read buffers)
MEMIN=$CORPORA/reuters21578-sgml
if [ ! -f "$MEMIN/reut2-000.sgm" ]; then
    "$GEN" --size 30M --format trec -o "$T/mem" --file-size 2M 2>/dev/null
    MEMIN=$T/mem
fi
run "build --memory 8M" 0 "$VS" build -i "$T/m8" --memory 8M "$MEMIN"
rss=$(sed -n 's/.*peak RSS \([0-9]*\) MiB.*/\1/p' "$T/out")
runs=$(sed -n 's/.*, \([0-9]*\) spilled runs.*/\1/p' "$T/out")
if [ -n "${VSEARCH_ASAN:-}" ]; then
    echo "skip peak RSS bound: under ASan the resident size includes its shadow memory"
else
    [ -n "$rss" ] && [ "$rss" -le 24 ] && ok "peak RSS $rss MiB <= 8 MiB + 10% + 16 MiB" || bad "peak RSS ${rss:-?} MiB > 24 MiB" "$(cat "$T/out")"
fi
[ -n "$runs" ] && [ "$runs" -ge 3 ] && ok "$runs sorted runs spilled" || bad "several runs spilled" "$(cat "$T/out")"
run "build --memory 1G" 0 "$VS" build -i "$T/m1g" "$MEMIN"
cmp -s "$T/m8"/seg-*.vsg "$T/m1g"/seg-*.vsg && ok "spilled and in-memory builds: identical segment" || bad "spilled build differs"

# --- a collection whose per-document tables outgrow the budget's share is written as several
# segments (cut at file boundaries; VSEARCH_TEST_SEG_LIMIT stands for a small --memory): the same
# answers as one segment, the same segments for any -j, and merged, the very same segment
segs() { ls "$1" | grep -c '^seg-.*\.vsg$'; }
VSEARCH_TEST_SEG_LIMIT=300000 run "build cut into segments" 0 "$VS" build -i "$T/cut" -j2 "$MEMIN"
nw=$(sed -n 's/.*, \([0-9]*\) segments written.*/\1/p' "$T/out")
[ -n "$nw" ] && [ "$nw" -ge 3 ] && [ "$(segs "$T/cut")" -ge 3 ] && ok "$nw segments written" || bad "several segments written" "$(cat "$T/out")"
run "check the cut index" 0 "$VS" check -i "$T/cut"
answers "$T/m1g" >"$T/one"
answers "$T/cut" >"$T/got"
cmp -s "$T/got" "$T/one" && ok "cut index: same answers as one segment" || bad "cut index: answers differ"
VSEARCH_TEST_SEG_LIMIT=300000 run "build cut, -j1" 0 "$VS" build -i "$T/cut1" -j1 "$MEMIN"
sums() { for f in "$1"/seg-*.vsg; do cksum <"$f"; done | sort; }
[ "$(sums "$T/cut1")" = "$(sums "$T/cut")" ] && ok "cut index: same segments for -j1 and -j2" || bad "cut segments differ between -j1 and -j2"
run "merge the cut index" 0 "$VS" merge -i "$T/cut"
cmp -s "$T/cut"/seg-*.vsg "$T/m1g"/seg-*.vsg && ok "cut index merged: identical to the one-segment build" || bad "merged cut index differs"
# the merge policy makes no segment larger than the budget allows: 10+ small segments stay
VSEARCH_TEST_SEG_LIMIT=60000 run "build cut into many segments" 0 "$VS" build -i "$T/many-segs" "$MEMIN"
nw=$(sed -n 's/.*, \([0-9]*\) segments written.*/\1/p' "$T/out")
[ -n "$nw" ] && [ "$nw" -ge 10 ] && [ "$(segs "$T/many-segs")" = "$nw" ] && ok "$nw segments, none merged beyond the limit" || bad "merge policy and the segment limit" "written ${nw:-?}, left $(segs "$T/many-segs")"
# ... and of a full tier whose merge would pass it, the smallest segments that fit are merged
mkdir -p "$T/thirty"
for i in $(seq 10 39); do
    printf 'Note %s\n\nCocoa and rain number %s.\n\nSecond paragraph %s about grain.\n' "$i" "$i" "$i" >"$T/thirty/n$i.txt"
done
VSEARCH_TEST_SEG_LIMIT=2000 run "build 30 one-document segments" 0 "$VS" build -i "$T/thirty-i" -j1 "$T/thirty"
left=$(segs "$T/thirty-i")
has_out "30 segments written" "30 segments written"
[ "$left" -gt 1 ] && [ "$left" -lt 10 ] && ok "merge policy merged the smallest that fit: $left segments left" || bad "partial tier merge" "$left segments left"
run "check after partial merges" 0 "$VS" check -i "$T/thirty-i"
run "the 30 files as one segment" 0 "$VS" build -i "$T/thirty-1" "$T/thirty"
"$VS" query -i "$T/thirty-i" --trec -k 40 "cocoa grain" >"$T/got" 2>&1
"$VS" query -i "$T/thirty-1" --trec -k 40 "cocoa grain" >"$T/one" 2>&1
cmp -s "$T/got" "$T/one" && ok "partially merged: same answers as one segment" || bad "partially merged: answers differ" "$(diff "$T/got" "$T/one" | head -5)"

# --- re-sync of 10,000 unchanged files: a no-op well under a second
awk -v d="$T/many" 'BEGIN { system("mkdir -p " d); for (i = 0; i < 10000; i++) { f = sprintf("%s/f%05d.txt", d, i);
    printf "Note %d\n\nShort text number %d about cocoa and rain.\n", i, i > f; close(f) } }'
run "build 10,000 files" 0 "$VS" build -q -i "$T/mi" "$T/many"
t0=$(date +%s%N)
run "re-sync 10,000 unchanged files" 0 "$VS" build -i "$T/mi" "$T/many"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
has_out "10,000 files up to date" "up to date: 10000 files unchanged"
[ "$ms" -lt 1000 ] && ok "no-op re-sync of 10,000 files took $ms ms" || bad "no-op re-sync took $ms ms (want < 1000)"
echo "changed text" >>"$T/many/f00042.txt"
rm "$T/many/f00007.txt"
run "re-sync one changed, one removed" 0 "$VS" build -i "$T/mi" "$T/many"
has_out "re-sync counts" "0 new, 1 changed, 1 removed, 9998 unchanged"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
