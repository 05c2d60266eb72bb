#!/bin/sh
# Hostile inputs for the vsearch CLI (DESIGN.md §9, issue "Robustness"): each case checks the exit
# code, a clear message, a bounded time (timeout is only a hang detector: limits are generous),
# bounded memory (peak RSS, when /usr/bin/time is there) and that the rest of the corpus is
# still indexed (a copy of corpus/ sits next to every hostile file and must be found).
#
# Usage: tests/cli/hostile.sh BIN/vsearch [ci|stress] [BUILD/tests/vanish.so]
#   ci      (default, `make test`): a 50 MB file with no newline, a 10 MB token, 10^4 files,
#           a JSONL line of 10^5 fields, 10^5 nested brackets; about a minute.
#   stress  (`make stress`): 1 GB with no newline, a 100 MB token, 10^6 files, 10^6 fields.
# Cases that hit a finding reported to the owner of the code are marked "known" (tests/fuzz/
# README.md, "Findings"): they print "known FN" instead of failing, and "ok (FN fixed)" once fixed.
# Prints one line per check and ends with "N passed, N failed".
set -u
VS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MODE=${2:-ci}
SHIM=${3:-}
case $SHIM in ""|/*) ;; *) SHIM=$(pwd)/$SHIM ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vsearch-hostile.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
PASS=0
FAIL=0
KNOWN=0
GOOD=$ROOT/corpus/000_79d01c390d725485.txt

if [ "$MODE" = stress ]; then
    BIG=1000000000 TOKEN=100000000 FILES=1000000 FIELDS=1000000 LIMIT=3600 RSS_MB=1600
else
    BIG=50000000 TOKEN=10000000 FILES=10000 FIELDS=100000 LIMIT=300 RSS_MB=1024
fi
# Peak RSS is measured when /usr/bin/time exists and the binary is not sanitized (ASan reserves
# and touches far more memory than the program asks for).
TIME=""
if [ -x /usr/bin/time ] && ! nm "$VS" 2>/dev/null | grep -q __asan_init; then TIME=/usr/bin/time; fi

ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
known() { KNOWN=$((KNOWN + 1)); echo "known $1"; }

# run NAME EXPECTED_EXIT CMD... : stdout in $T/out, stderr in $T/err, peak RSS checked
run() {
    name=$1; want=$2; shift 2
    if [ -n "$TIME" ]; then
        $TIME -o "$T/rss" -f '%M' timeout "$LIMIT" "$@" >"$T/out" 2>"$T/err"
    else
        timeout "$LIMIT" "$@" >"$T/out" 2>"$T/err"
    fi
    got=$?
    if [ "$got" -eq 124 ]; then bad "$name: no answer within $LIMIT s (hang?)"; return; fi
    if [ "$got" -eq "$want" ]; then ok "$name (exit $want)"; else bad "$name: exit $got, want $want" "$(head -c 400 "$T/err")"; fi
    if [ -n "$TIME" ] && [ -s "$T/rss" ] && [ -z "${VSEARCH_ASAN:-}" ]; then # ASan's shadow memory is resident too
        kb=$(tail -1 "$T/rss")
        case $kb in *[!0-9]*|"") ;; *)
            if [ "$kb" -le $((RSS_MB * 1024)) ]; then ok "$name: peak RSS $((kb / 1024)) MB <= $RSS_MB MB"
            else bad "$name: peak RSS $((kb / 1024)) MB > $RSS_MB MB"; fi ;;
        esac
    fi
}
has_out() { if grep -q -- "$2" "$T/out"; then ok "$1"; else bad "$1: stdout lacks '$2'" "$(head -c 300 "$T/out")"; fi; }
has_err() { if grep -q -- "$2" "$T/err"; then ok "$1"; else bad "$1: stderr lacks '$2'" "$(head -c 300 "$T/err")"; fi; }
# good_indexed NAME IDX: the copy of corpus/ was indexed next to the hostile input
good_indexed() {
    timeout 60 "$VS" query -i "$2" --trec -k 1 "security cooperation" >"$T/q" 2>&1
    if grep -q "good.txt" "$T/q"; then ok "$1: the rest of the corpus is indexed"; else bad "$1: the rest of the corpus is not indexed" "$(head -c 200 "$T/q")"; fi
}
# json_ok NAME FILE: valid JSON in valid UTF-8
json_ok() { python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$2" 2>/dev/null; }
newdir() { rm -rf "$T/c"; mkdir -p "$T/c"; cp "$GOOD" "$T/c/good.txt"; }

cd "$ROOT"
echo "hostile inputs ($MODE): file $BIG bytes, token $TOKEN bytes, $FILES files, $FIELDS JSON fields"

# --- a huge file with no newline (one line of words): indexed, split into passages, bounded memory
newdir
yes 'alpha beta gamma delta epsilon.' | tr '\n' ' ' | head -c "$BIG" >"$T/c/noline.txt"
run "no-newline file of $BIG bytes" 0 "$VS" build -q -i "$T/i1" "$T/c"
good_indexed "no-newline file" "$T/i1"
run "query the no-newline file" 0 "$VS" query -i "$T/i1" --trec -k 3 "gamma epsilon"
has_out "no-newline file is searchable" "noline.txt#"
rm -rf "$T/i1"

# --- one huge token: cut at VS_MAX_TOKEN (128 bytes), the rest of the run skipped
newdir
head -c "$TOKEN" /dev/zero | tr '\0' 'a' >"$T/c/token.txt"
printf '\n\nwords after the token tokentail\n' >>"$T/c/token.txt"
run "single token of $TOKEN bytes" 0 "$VS" build -q -i "$T/i2" "$T/c"
good_indexed "single token" "$T/i2"
A128=$(head -c 128 /dev/zero | tr '\0' 'a')
run "the token is indexed cut to 128 bytes" 0 "$VS" query -i "$T/i2" --trec "$A128"
has_out "the cut token is found" "token.txt#"
run "text after the token is indexed" 0 "$VS" query -i "$T/i2" --trec "tokentail"
has_out "text after the token is found" "token.txt#"
rm -rf "$T/i2"

# --- many tiny files in a tree
newdir
python3 - "$T/c/tree" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 1000
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // per))
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%07d.txt" % i), "w") as f:
        f.write("Tiny %d\n\ntiny file number %d says hello%d\n" % (i, i, i % 97))
PY
run "$FILES tiny files" 0 "$VS" build -i "$T/i3" "$T/c"
has_out "every tiny file is a document" "indexed $((FILES + 1)) documents"
good_indexed "tiny files" "$T/i3"
run "query the tiny files" 0 "$VS" query -i "$T/i3" --trec -k 5 "hello42"
has_out "a tiny file is found" "f[0-9]*.txt#"
rm -rf "$T/i3" "$T/c/tree"

# --- directory symlink loops (to an ancestor, to itself, two directories pointing at each other)
newdir
mkdir -p "$T/c/a/b" "$T/c/x" "$T/c/y"
printf 'Deep\n\ndeep file loopword\n' >"$T/c/a/b/deep.txt"
ln -s .. "$T/c/a/b/up"
ln -s . "$T/c/a/self"
ln -s ../y "$T/c/x/toy"
ln -s ../x "$T/c/y/tox"
run "symlink loops" 0 "$VS" build -i "$T/i4" "$T/c"
has_err "symlink loop is named" "loop"
has_out "loops: each file indexed once" "indexed 2 documents"
good_indexed "symlink loops" "$T/i4"
rm -rf "$T/i4"

# --- file names that are not UTF-8 (Latin-1, a lone surrogate, an overlong slash)
newdir
printf 'Latin\n\nlatin one file name nameword1\n' >"$T/c/caf$(printf '\351').txt"
printf 'Surrogate\n\nsurrogate file name nameword2\n' >"$T/c/s$(printf '\355\240\200').txt"
printf 'Overlong\n\noverlong file name nameword3\n' >"$T/c/o$(printf '\300\257').txt"
run "non-UTF-8 file names" 0 "$VS" build -i "$T/i5" "$T/c"
has_out "non-UTF-8 names: all indexed" "indexed 4 documents"
good_indexed "non-UTF-8 names" "$T/i5"
run "query non-UTF-8 names" 0 "$VS" query -i "$T/i5" --trec "nameword1 nameword2 nameword3"
[ "$(wc -l <"$T/out")" -eq 3 ] && ok "non-UTF-8 names: three hits" || bad "non-UTF-8 names: three hits" "$(cat "$T/out")"
run "query --json non-UTF-8 names" 0 "$VS" query -i "$T/i5" --json "nameword1 nameword2 nameword3"
if json_ok x "$T/out"; then ok "--json stays valid UTF-8 with non-UTF-8 paths (F5 fixed)"; else known "F5: --json prints non-UTF-8 file paths raw: not valid UTF-8 JSON"; fi
rm -rf "$T/i5"

# --- files that vanish, become unreadable or fail on disk between listing and reading: the
# LD_PRELOAD shim tests/cli/vanish.c fails open() of "vanish-*" (ENOENT), "eacces-*" (EACCES) and
# "eio-*" (EIO) while stat and readdir still see them: deterministic, as if changed mid-build
if [ -n "$SHIM" ] && [ -f "$SHIM" ]; then
    newdir
    for p in vanish eacces eio; do printf 'Victim\n\nvictim %s text victimword\n' $p >"$T/c/$p-victim.txt"; done
    run "files vanish during the build" 0 env LD_PRELOAD="$SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$VS" build -i "$T/i6" "$T/c"
    has_err "vanished file is named" "vanish-victim.txt': No such file or directory"
    has_err "unreadable file is named" "eacces-victim.txt': Permission denied"
    has_err "I/O error is named" "eio-victim.txt': Input/output error"
    has_err "the skipped files are counted" "skipped 0 bad record(s) and 3 file(s)"
    has_out "one document indexed" "indexed 1 documents"
    good_indexed "vanishing files" "$T/i6"
    rm -rf "$T/i6"
else
    echo "skip vanishing-file checks: no LD_PRELOAD shim (third argument; mk/robust.mk builds it)"
fi
# a FIFO named on the command line is read like standard input: the build waits for its writer
# (process substitution, `vsearch build <(zcat f.trec.gz)`, is such a FIFO; F4 in
# tests/fuzz/README.md); one met while walking a directory is skipped (below)
rm -f "$T/c/0-hold.fifo"; mkfifo "$T/c/0-hold.fifo"
timeout 60 "$VS" build -i "$T/i7" "$T/c/0-hold.fifo" "$T/c/good.txt" >"$T/out" 2>"$T/err" &
bp=$!
printf 'Fifo story\n\nzorbfifo arrives through a named pipe.\n' >"$T/c/0-hold.fifo"
wait $bp
rc=$?
[ $rc -eq 0 ] && ok "a FIFO on the command line is read once its writer comes" || bad "FIFO on the command line: exit $rc" "$(head -c 300 "$T/err")"
"$VS" query -i "$T/i7" --trec zorbfifo >"$T/out" 2>"$T/err" && grep -q "0-hold.fifo" "$T/out" &&
    ok "the FIFO's document is indexed" || bad "the FIFO's document is not found" "$(head -c 300 "$T/out")"
rm -rf "$T/c/0-hold.fifo" "$T/i7"
# a dangling symlink and a FIFO inside a directory are skipped with a warning
newdir
ln -s "$T/c/nowhere.txt" "$T/c/dangling.txt"
mkfifo "$T/c/pipe.txt"
run "dangling link and FIFO in a directory" 0 "$VS" build -i "$T/i8" "$T/c"
has_err "dangling link is named" "dangling.txt"
has_err "FIFO is named" "pipe.txt"
good_indexed "dangling link and FIFO" "$T/i8"
rm -rf "$T/i8"

# --- JSONL: one line nested 10^5 deep, one line with $FIELDS fields, then a good record
newdir
{ printf '{"id":"deep","contents":'; head -c 100000 /dev/zero | tr '\0' '['; printf '}\n'; } >"$T/c/deep.jsonl"
python3 - "$T/c/wide.jsonl" "$FIELDS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('{"id":"wide","contents":"wide record widefield"')
    for i in range(n):
        f.write(',"f%d":%d' % (i, i))
    f.write('}\n{"id":"after","contents":"the record after the wide one afterword"}\n')
PY
run "JSONL nesting and $FIELDS fields" 0 "$VS" build -i "$T/i9" "$T/c"
has_err "deep nesting is refused with file:line" "deep.jsonl:1: invalid JSON at column [0-9]*: .*nested deeper than 512"
good_indexed "JSONL" "$T/i9"
run "wide record is indexed" 0 "$VS" query -i "$T/i9" --trec "widefield afterword"
has_out "wide record found" "Q0 wide#1 "
has_out "record after the wide one found" "Q0 after#1 "
rm -rf "$T/i9"

# --- NUL bytes in text: binary by content (skipped, named), text when the format is forced
newdir
printf 'Nul title\n\nbefore\000nul\000bytes nulword text\n' >"$T/c/nul.txt"
run "NUL bytes: skipped as binary" 0 "$VS" build -i "$T/i10" "$T/c"
has_err "NUL file named as binary" "nul.txt: skipped: binary file"
good_indexed "NUL bytes" "$T/i10"
run "NUL bytes with --format text" 0 "$VS" build -q -i "$T/i11" --format text "$T/c"
run "NUL bytes are separators" 0 "$VS" query -i "$T/i11" --json "nulword"
has_out "NUL text is found" '"text":"before nul bytes nulword text"'
rm -rf "$T/i10" "$T/i11"

# --- overlong UTF-8, surrogates, code points above U+10FFFF, truncated sequences
newdir
printf 'Bad UTF-8\n\nOverlong \300\257 \340\200\257 surrogate \355\240\200\355\277\277 big \364\220\200\200 cut \342\202 utfword \303\251t\303\251\n' >"$T/c/bad.txt"
run "invalid UTF-8" 0 "$VS" build -i "$T/i12" "$T/c"
has_err "invalid UTF-8 counted" "replaced [1-9][0-9]* invalid UTF-8"
good_indexed "invalid UTF-8" "$T/i12"
run "invalid UTF-8: --json" 0 "$VS" query -i "$T/i12" --json "utfword"
json_ok x "$T/out" && ok "invalid UTF-8 comes out valid" || bad "invalid UTF-8 comes out valid" "$(head -c 300 "$T/out")"
has_out "replacement characters in the stored text" 'utfword été'

# --- RM3 when the feedback passages give no usable expansion term (F3: qsort on an empty set,
# fatal under `make asan`); regression input tests/fixtures/crashes/F3-rm3-no-feedback-terms.txt
run "RM3 with no usable feedback terms: build" 0 "$VS" build -q -i "$T/i13" tests/fixtures/crashes/F3-rm3-no-feedback-terms.txt
run "RM3 with no usable feedback terms" 0 "$VS" query -i "$T/i13" --bag-of-words --rm3 "café"
rm -rf "$T/i13"

# --- queries of 10^5 terms and 10^6 characters (batch: argv holds at most 128 KiB per argument)
python3 - "$T/q.tsv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("q1\t" + " ".join("w%d" % i for i in range(100000)) + " security\n")
    f.write("q2\t" + "x" * 1000000 + "\n")
    f.write("q3\t" + ("security " * 111111)[:1000000] + "\n")
    f.write("q4\tsecurity cooperation\n")
PY
run "batch: 10^5-term and 10^6-character queries" 65 "$VS" batch -i "$T/i12" "$T/q.tsv"
has_err "too many terms: the topic is named" "topic q1 (line 1): query has more than [0-9]* terms"
has_out "the other topics are answered" "^q4 Q0 .*good.txt"
has_out "a 10^6-character token is one (cut) term" "^q3 Q0 "
run "batch --syntax: 10^5 clauses" 65 "$VS" batch --syntax -i "$T/i12" "$T/q.tsv"
has_err "too many clauses: the topic is named" "topic q1 (line 1): "
has_out "--syntax: the other topics are answered" "^q4 Q0 .*good.txt"
Q=$(python3 -c 'print(" ".join("w%d" % i for i in range(15000)))')
run "query of 15000 terms (argv)" 64 "$VS" query -i "$T/i12" "$Q"
has_err "too many terms message" "more than [0-9]* terms"
Q=$(head -c 120000 /dev/zero | tr '\0' '(')
run "query of 120000 '('" 64 "$VS" query -i "$T/i12" "$Q"
has_err "deep nesting message has a position" "position"

# --- -k limits
run "-k 0" 64 "$VS" query -i "$T/i12" -k 0 "security"
has_err "-k 0 message" "invalid -k '0': expected a whole number from 1 to 1000000"
run "-k 1000000000" 64 "$VS" query -i "$T/i12" -k 1000000000 "security"
has_err "-k 10^9 message" "invalid -k '1000000000': expected a whole number from 1 to 1000000"
run "-k 1000000" 0 "$VS" query -i "$T/i12" --trec -k 1000000 "security"
has_out "-k 10^6 answers" "good.txt"
run "-k -1" 64 "$VS" query -i "$T/i12" -k -1 "security"
run "-k 99999999999999999999" 64 "$VS" query -i "$T/i12" -k 99999999999999999999 "security"
rm -rf "$T/i12"

echo "$KNOWN known finding(s) (see above)"
echo "$PASS passed, $FAIL failed, $KNOWN skipped"
[ "$FAIL" -eq 0 ]
