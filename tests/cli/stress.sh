#!/bin/sh
# Stress run of indexing at scale (make stress; not in CI).
# Usage: tests/cli/stress.sh BIN/vsearch BIN/vs-gencorpus DIR SIZE MEMORY
# Generates SIZE of TREC into DIR/corpus (kept between runs), builds it with --memory MEMORY
# -j2, and checks: peak RSS <= MEMORY + 10% + 48 MiB (executable, two analyzer caches of a
# large vocabulary, input mapping), `check`, a no-op re-sync, add + delete + merge, and -j1.
# Ends with "N passed, N failed".
set -u
VS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
GEN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
D=$3 SIZE=$4 MEM=$5
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
mkdir -p "$D"
mib() { awk -v s="$1" 'BEGIN { n = s + 0; u = substr(s, length(s)); if (u == "G" || u == "g") n *= 1024; else if (u == "K" || u == "k") n /= 1024; print int(n) }'; }
if [ ! -f "$D/corpus.done-$SIZE" ]; then
    rm -rf "$D/corpus" "$D"/corpus.done-*
    "$GEN" --size "$SIZE" --format trec -o "$D/corpus" --file-size 256M --stats && touch "$D/corpus.done-$SIZE"
fi
"$GEN" --size 64M --format trec --seed 99 -o "$D/extra" --file-size 64M 2>/dev/null
sed -i 's/GEN-/XTRA-/' "$D/extra"/*.trec
rm -rf "$D/ix"
"$VS" build -i "$D/ix" -j2 --memory "$MEM" "$D/corpus" | tee "$D/build.log"
rss=$(sed -n 's/.*peak RSS \([0-9]*\) MiB.*/\1/p' "$D/build.log")
lim=$(( $(mib "$MEM") * 11 / 10 + 48 ))
[ -n "$rss" ] && [ "$rss" -le "$lim" ] && ok "peak RSS $rss MiB <= $lim MiB" || bad "peak RSS ${rss:-?} MiB > $lim MiB"
"$VS" check -i "$D/ix" && ok "check" || bad "check"
"$VS" build -i "$D/ix" "$D/corpus" | tee "$D/resync.log"
grep -q "up to date" "$D/resync.log" && ok "re-sync: up to date" || bad "re-sync"
"$VS" add -i "$D/ix" --memory "$MEM" "$D/extra" && ok "add" || bad "add"
"$VS" delete -i "$D/ix" GEN-000000001 XTRA-000000001 && ok "delete" || bad "delete"
"$VS" merge -i "$D/ix" --memory "$MEM" | tee "$D/merge.log"
rss=$(sed -n 's/.*peak RSS \([0-9]*\) MiB.*/\1/p' "$D/merge.log")
[ -n "$rss" ] && [ "$rss" -le "$lim" ] && ok "merge peak RSS $rss MiB <= $lim MiB" || bad "merge peak RSS ${rss:-?} MiB > $lim MiB"
"$VS" check -i "$D/ix" && ok "check after merge" || bad "check after merge"
rm -rf "$D/ix1"
"$VS" build -i "$D/ix1" -j1 --memory "$MEM" "$D/corpus" | tee "$D/build-j1.log"
rm -rf "$D/ix"
"$VS" build -i "$D/ix" -j2 --memory "$MEM" "$D/corpus" >/dev/null
cmp -s "$D/ix1"/seg-*.vsg "$D/ix"/seg-*.vsg && ok "-j1 and -j2 segments identical" || bad "-j1 and -j2 segments differ"
rm -rf "$D/ix1"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
