#!/bin/sh
# Damaged index files through the CLI: a sample of the damage tests/test_corrupt.c applies to
# every byte in process. For each damaged state:
#   vsearch check   exits 65 and names the damaged file (with a byte offset where one exists)
#   vsearch query   prints exactly what it printed on the intact index (exit 0), or exits 65
# A damaged LOCK changes nothing (exit 0, same answers, and a rebuild works); no MANIFEST at all
# is 66; a MANIFEST naming a missing segment is 65; stray files in the directory are ignored.
# Usage: tests/cli/corrupt.sh BIN/vsearch. Ends with "N passed, N failed".
set -u
VS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vsearch-corrupt.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }

cd "$ROOT"
I=$T/intact
"$VS" build -q -i "$I" corpus/ tests/fixtures/source/sample.trec tests/fixtures/source/sample.jsonl >/dev/null 2>&1 || { echo "FAIL build"; exit 1; }
Q1='security cooperation'
Q2='"german gas" profits'
"$VS" query -i "$I" --json "$Q1" >"$T/base1" && "$VS" query -i "$I" --json "$Q2" >"$T/base2" || { echo "FAIL intact query"; exit 1; }
"$VS" check -i "$I" >/dev/null || { echo "FAIL intact check"; exit 1; }
SEG=$(cd "$I" && ls seg-*.vsg)

# mutate FILE KIND OFFSET: flip | trunc | zero (4 KiB) | garbage (replace content)
mutate() {
    python3 - "$@" <<'PY'
import sys
path, kind, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = bytearray(open(path, "rb").read())
off = min(off, max(len(b) - 1, 0))
if kind == "flip":
    b[off] ^= 0xFF
elif kind == "trunc":
    del b[off:]
elif kind == "zero":
    end = min(off + 4096, len(b))
    b[off:end] = bytes(end - off)
elif kind == "garbage":
    b = bytearray(b"\xff\xfe not a pid at all \x00\x01" * 100)
open(path, "wb").write(bytes(b))
PY
}

# damaged NAME FILE: the copy in $D has FILE damaged; check must refuse it, queries answer or refuse
damaged() {
    name=$1 file=$2
    "$VS" check -i "$D" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -ne 65 ]; then bad "$name: check exit $rc, want 65" "$(head -c 300 "$T/err")"; else ok; fi
    if grep -q "$file" "$T/err"; then ok; else bad "$name: check message does not name '$file'" "$(head -c 300 "$T/err")"; fi
    if grep -q " byte [0-9]" "$T/err" || grep -q "bad magic\|format\|too short\|inconsistent" "$T/err"; then ok
    else bad "$name: check message gives no offset" "$(head -c 300 "$T/err")"; fi
    for q in 1 2; do
        [ $q -eq 1 ] && text=$Q1 || text=$Q2
        "$VS" query -i "$D" --json "$text" >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -eq 0 ]; then
            if cmp -s "$T/out" "$T/base$q"; then ok; else bad "$name: query '$text' answers differently from the intact index"; fi
        elif [ $rc -eq 65 ]; then
            if grep -q "$file" "$T/err"; then ok; else bad "$name: query message does not name '$file'" "$(head -c 300 "$T/err")"; fi
        else
            bad "$name: query '$text' exit $rc, want 0 or 65" "$(head -c 300 "$T/err")"
        fi
    done
}

# harmless NAME: the copy in $D must behave exactly as the intact index
harmless() {
    name=$1
    "$VS" check -i "$D" >/dev/null 2>"$T/err" && ok || bad "$name: check fails" "$(head -c 300 "$T/err")"
    "$VS" query -i "$D" --json "$Q1" >"$T/out" 2>"$T/err" && cmp -s "$T/out" "$T/base1" && ok || bad "$name: query differs" "$(head -c 300 "$T/err")"
}

fresh() { rm -rf "$T/d"; cp -r "$I" "$T/d"; D=$T/d; }

SIZE=$(wc -c <"$I/$SEG")
n=0
for kind in flip trunc zero; do
    for off in 0 3 8 12 16 64 200 $((SIZE / 7)) $((SIZE * 2 / 7)) $((SIZE * 3 / 7)) $((SIZE * 4 / 7)) $((SIZE * 5 / 7)) \
               $((SIZE * 6 / 7)) $((SIZE - 300)) $((SIZE - 57)) $((SIZE - 56)) $((SIZE - 40)) $((SIZE - 16)) $((SIZE - 1)); do
        fresh; mutate "$D/$SEG" $kind $off; damaged "segment $kind at $off" "$SEG"; n=$((n + 1))
    done
done
MSIZE=$(wc -c <"$I/MANIFEST")
for kind in flip trunc; do
    for off in 0 8 9 16 24 28 32 36 40 $((MSIZE / 2)) $((MSIZE - 17)) $((MSIZE - 16)) $((MSIZE - 8)) $((MSIZE - 1)); do
        fresh; mutate "$D/MANIFEST" $kind $off; damaged "MANIFEST $kind at $off" MANIFEST; n=$((n + 1))
    done
done
fresh; mutate "$D/MANIFEST" zero 0; damaged "MANIFEST zeroed" MANIFEST; n=$((n + 1))

# LOCK: informational only
for kind in flip trunc garbage; do
    fresh; mutate "$D/LOCK" $kind 1; harmless "LOCK $kind"; n=$((n + 1))
done
fresh; rm -f "$D/LOCK"; harmless "LOCK missing"; n=$((n + 1))
fresh; mutate "$D/LOCK" garbage 0
"$VS" build -q -i "$D" corpus/ tests/fixtures/source/sample.trec tests/fixtures/source/sample.jsonl >/dev/null 2>"$T/err" && ok || bad "rebuild over a garbage LOCK" "$(head -c 300 "$T/err")"
harmless "rebuilt over a garbage LOCK"

# stray files are ignored; missing files have their exit codes
fresh; printf 'junk' >"$D/seg-ffffffffffffffff-00000000.vsg"; printf 'junk' >"$D/notes.txt"; printf 'x' >"$D/MANIFEST.tmp"
harmless "stray files"
fresh; rm "$D/$SEG"
"$VS" query -i "$D" "$Q1" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 65 ] && grep -q "$SEG" "$T/err" && ok || bad "missing segment: exit $rc, want 65 naming it" "$(head -c 300 "$T/err")"
fresh; rm "$D/MANIFEST"
"$VS" check -i "$D" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 66 ] && ok || bad "no MANIFEST: check exit $rc, want 66"
"$VS" query -i "$D" "$Q1" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 66 ] && grep -q "vsearch build" "$T/err" && ok || bad "no MANIFEST: query exit $rc, want 66 saying to build" "$(head -c 300 "$T/err")"

echo "corrupt.sh: $n damaged or odd index directories through the CLI"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
