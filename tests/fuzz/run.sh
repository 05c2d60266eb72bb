#!/bin/sh
# run.sh: one libFuzzer run of one target, logged. Used by mk/fuzz.mk.
# Usage: tests/fuzz/run.sh TARGET SECONDS BUILD_DIR
# Corpus dirs: BUILD/corpus/TARGET (grows, kept between runs), BUILD/seeds/TARGET (tests/fuzz/mkseeds.sh),
# tests/fixtures/crashes/TARGET (past findings). A crashing input goes to BUILD/crashes/TARGET-*.
# Appends "date<TAB>target<TAB>seconds<TAB>executions<TAB>result" to BUILD/fuzz-log.tsv.
# Exits non-zero on any finding (crash, leak, timeout, failed invariant).
set -u
t=$1 secs=$2 B=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
mkdir -p "$B/corpus/$t" "$B/crashes" "$B/seeds/$t"
# Inputs: segments and MANIFESTs up to 64 KiB (the seeds are 1.6-12 KB); text up to 16 KiB.
# A malloc above 2 GiB or an RSS above it is a finding (-rss_limit_mb also limits malloc).
case $t in segment|manifest) maxlen=65536 ;; *) maxlen=16384 ;; esac
rss=2048
dict=tests/fuzz/dict/${t%%_*}.dict
set -- -timeout=20 -rss_limit_mb=$rss -max_len=$maxlen -print_final_stats=1 -max_total_time="$secs" \
    -artifact_prefix="$B/crashes/$t-"
[ -f "$dict" ] && set -- "$@" -dict="$dict"
set -- "$@" "$B/corpus/$t" "$B/seeds/$t"
[ -d "tests/fixtures/crashes/$t" ] && set -- "$@" "tests/fixtures/crashes/$t"
echo "== fuzz_$t: $secs s"
"$B/fuzz_$t" "$@" >"$B/fuzz_$t.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz_$t.log" | tail -1)
[ $rc -eq 0 ] && res=ok || res="FAILED(rc=$rc)"
printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%d)" "$t" "$secs" "${execs:-0}" "$res" >>"$B/fuzz-log.tsv"
echo "   ${execs:-0} executions, $res"
if [ $rc -ne 0 ]; then
    grep -m1 -A30 'ERROR\|fuzz invariant\|deadly signal\|Timeout\|SUMMARY' "$B/fuzz_$t.log" | head -40
    echo "   log: $B/fuzz_$t.log; input: $(ls "$B/crashes/$t-"* 2>/dev/null | head -1)"
    exit 1
fi
