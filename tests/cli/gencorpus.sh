#!/bin/sh
# Checks of bin/vs-gencorpus, the synthetic collection generator (tools/gencorpus.c).
# Usage: tests/cli/gencorpus.sh BIN/vs-gencorpus
# Checks determinism, both output formats, --docs / --size / -o, the vocabulary's growth (Heaps'
# law) and usage errors. Prints one line per check and ends with "N passed, N failed"; exits 1
# if any check failed. Needs python3 (the JSONL and TREC shape checks). Takes a few seconds.
# shellcheck disable=SC2016,SC2034  # check() evals its single-quoted condition, which reads them
set -u
GC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d /tmp/vs-gencorpus-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
# check NAME CONDITION: CONDITION is shell code, run by eval; conditions only read variables set
# just before, so they need no quoting beyond double quotes.
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# stat KEY FILE: VALUE of " KEY=VALUE" in a --stats line
stat() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$2"; }
count() { grep -c -- "$1" "$2"; }

# --- help
"$GC" --help >"$T/out" 2>"$T/err"; rc=$?
check "--help exits 0" '[ $rc -eq 0 ]'
check "--help prints usage on stdout" 'grep -q "^usage: vs-gencorpus" "$T/out"'
check "--help prints nothing on stderr" '[ ! -s "$T/err" ]'

# --- determinism: same seed and options, same bytes; another seed, other bytes
"$GC" --size 2M --seed 7 >"$T/a.trec" && "$GC" --size 2M --seed 7 >"$T/b.trec" &&
    "$GC" --size 2M --seed 8 >"$T/c.trec"; rc=$?
check "generation exits 0" '[ $rc -eq 0 ]'
a=$(sum "$T/a.trec"); b=$(sum "$T/b.trec"); c=$(sum "$T/c.trec")
check "same seed: identical sha256 (trec)" '[ "$a" = "$b" ]'
check "other seed: different sha256 (trec)" '[ "$a" != "$c" ]'
"$GC" --size 2M --seed 7 --format jsonl >"$T/a.jsonl"
"$GC" --size 2M --seed 7 --format jsonl >"$T/b.jsonl"
"$GC" --size 2M --format jsonl >"$T/c.jsonl"
a=$(sum "$T/a.jsonl"); b=$(sum "$T/b.jsonl"); c=$(sum "$T/c.jsonl")
check "same seed: identical sha256 (jsonl)" '[ "$a" = "$b" ]'
check "default seed differs from seed 7 (jsonl)" '[ "$a" != "$c" ]'
# Same bytes on every machine and compiler: these hashes were taken with gcc 12 and clang on
# x86-64. If the model was changed on purpose, put the new hashes here and say so in
# bench/gencorpus.md (old benchmark collections can no longer be regenerated).
GOLDEN_TREC=83e3f99e82deb134429aaa3236062f1d0fcad5dd087ac9724349c01abbec0953
GOLDEN_JSONL=01e879d339ea9daa7e7d92506f60e122ab0e04af3ebd969ab1b7fa412d9bf578
"$GC" --docs 200 --seed 1 >"$T/g.trec"; "$GC" --docs 200 --seed 1 --format jsonl >"$T/g.jsonl"
a=$(sum "$T/g.trec"); b=$(sum "$T/g.jsonl")
check "--docs 200 --seed 1: the recorded sha256 (trec)" '[ "$a" = "$GOLDEN_TREC" ]' "got $a"
check "--docs 200 --seed 1: the recorded sha256 (jsonl)" '[ "$b" = "$GOLDEN_JSONL" ]' "got $b"

# --- TREC: well-formed, --docs N gives exactly N documents with unique ids
"$GC" --docs 500 --seed 3 >"$T/d.trec"
n1=$(count '^<DOC>$' "$T/d.trec"); n2=$(count '^</DOC>$' "$T/d.trec")
check "trec: --docs 500 gives 500 <DOC> and 500 </DOC> ($n1, $n2)" '[ "$n1" -eq 500 ] && [ "$n2" -eq 500 ]'
n1=$(count '^<DOCNO> GEN-[0-9]\{9\} </DOCNO>$' "$T/d.trec"); n2=$(count '^<HEADLINE> .* </HEADLINE>$' "$T/d.trec")
n3=$(count '^<TEXT>$' "$T/d.trec"); n4=$(count '^</TEXT>$' "$T/d.trec")
check "trec: every document has DOCNO, HEADLINE, TEXT" \
    '[ "$n1" -eq 500 ] && [ "$n2" -eq 500 ] && [ "$n3" -eq 500 ] && [ "$n4" -eq 500 ]'
n1=$(count '^<P>$' "$T/d.trec"); n2=$(count '^</P>$' "$T/d.trec")
check "trec: <P> and </P> balance ($n1)" '[ "$n1" -eq "$n2" ]'
n1=$(sed -n 's/^<DOCNO> \(.*\) <\/DOCNO>$/\1/p' "$T/d.trec" | sort -u | wc -l)
check "trec: ids unique, GEN-000000001..GEN-000000500" \
    '[ "$n1" -eq 500 ] && grep -q "^<DOCNO> GEN-000000500 </DOCNO>$" "$T/d.trec"'
python3 - "$T/d.trec" >"$T/py" 2>&1 <<'PY'
import re, sys
t = open(sys.argv[1], encoding="ascii").read()
docs = re.findall(r"<DOC>\n(.*?)</DOC>\n", t, re.S)
assert len(docs) == 500, len(docs)
for d in docs:
    head = re.search(r"<HEADLINE> (.*) </HEADLINE>", d).group(1).split()
    assert 4 <= len(head) <= 12, head
    assert all(w[0].isupper() for w in head), head
    paras = re.findall(r"<P>\n(.*?)\n</P>", d, re.S)
    assert 3 <= len(paras) <= 20, len(paras)
    assert re.match(r"[A-Z][A-Z ]+, [A-Z][a-z]+ [0-9]{1,2} - [A-Z]", paras[0]), paras[0][:40]
    assert all(len(l) <= 100 for p in paras for l in p.split("\n")), "line not wrapped"
    assert all(p.endswith(".") for p in paras), "paragraph does not end a sentence"
PY
rc=$?
check "trec: 4-12 capitalised headline words, 3-20 paragraphs, dateline, wrapped lines" '[ $rc -eq 0 ]' "$(tail -2 "$T/py")"

# --- a --docs run is a prefix of a longer run, and -o files concatenate to stdout
"$GC" --docs 250 --seed 3 >"$T/d250.trec"
n1=$(wc -c <"$T/d250.trec")
check "--docs 250 is a prefix of --docs 500" 'cmp -s -n "$n1" "$T/d250.trec" "$T/d.trec"'
"$GC" --docs 500 --seed 3 -o "$T/dir" --file-size 300K >"$T/out" 2>"$T/err"; rc=$?
check "-o exits 0 and writes nothing on stdout" '[ $rc -eq 0 ] && [ ! -s "$T/out" ]'
check "-o splits into gen-00000.trec, gen-00001.trec..." '[ -f "$T/dir/gen-00000.trec" ] && [ -f "$T/dir/gen-00001.trec" ]'
cat "$T/dir"/gen-*.trec >"$T/cat.trec"
check "-o files concatenate to the stdout bytes" 'cmp -s "$T/cat.trec" "$T/d.trec"'
"$GC" --docs 10 --seed 3 -o "$T/dir" --file-size 300K
n1=$(find "$T/dir" -type f | wc -l)
check "a smaller run into the same -o removes its stale files ($n1 left)" '[ "$n1" -eq 1 ]'

# --- JSONL: every line parses, ids unique, --docs exact
"$GC" --docs 400 --seed 5 --format jsonl >"$T/d.jsonl"
python3 - "$T/d.jsonl" >"$T/py" 2>&1 <<'PY'
import json, sys
ids, quoted, n = set(), 0, 0
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert list(d) == ["id", "title", "contents"], list(d)
    assert d["title"] and d["contents"], d["id"]
    assert 3 <= len(d["contents"].split("\n\n")) <= 20, d["id"]
    ids.add(d["id"])
    quoted += '"' in d["contents"]
    n += 1
assert n == 400, n
assert len(ids) == 400, len(ids)
assert quoted > 0, "no quotes: escaping untested"
PY
rc=$?
check "jsonl: 400 lines parse, keys id/title/contents, ids unique, quotes escaped" '[ $rc -eq 0 ]' "$(tail -2 "$T/py")"

# --- --size within 10% (3M = 3145728 bytes), and --stats agrees with what was written
"$GC" --size 3M --stats >"$T/s.trec" 2>"$T/s.err"
n1=$(wc -c <"$T/s.trec")
check "--size 3M: 3145728 bytes +-10% ($n1)" '[ "$n1" -ge 2831155 ] && [ "$n1" -le 3460300 ]'
n2=$(stat bytes "$T/s.err")
check "--stats bytes = bytes written ($n2)" '[ "$n2" = "$n1" ]'
n1=$(stat docs "$T/s.err"); n2=$(count '^<DOC>$' "$T/s.trec")
check "--stats docs = <DOC> count ($n1)" '[ "$n1" = "$n2" ]'
"$GC" --size 3M --format jsonl >"$T/s.jsonl"
n1=$(wc -c <"$T/s.jsonl")
check "--size 3M jsonl: within 10% ($n1)" '[ "$n1" -ge 2831155 ] && [ "$n1" -le 3460300 ]'

# --- Heaps' law: 4x the text, about 2x the distinct words (beta 0.35-0.7)
"$GC" --size 4M --stats 2>"$T/h4" >/dev/null
"$GC" --size 16M --stats 2>"$T/h16" >/dev/null
v4=$(stat distinct_words "$T/h4"); v16=$(stat distinct_words "$T/h16")
ratio=$(awk -v a="$v4" -v b="$v16" 'BEGIN { printf "%.2f", b / a }')
check "distinct words 4M -> 16M: $v4 -> $v16, ratio $ratio in [1.6, 2.6]" \
    'awk -v r="$ratio" "BEGIN { exit !(r >= 1.6 && r <= 2.6) }"'

# --- usage errors: exit 64, one line on stderr naming the problem, nothing on stdout
usage() {
    name=$1; shift
    "$GC" "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq 64 ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
        grep -q "^vs-gencorpus: error: " "$T/err"; then
        ok "$name: exit 64, one line on stderr"
    else
        bad "$name: exit $got, want 64 and one line on stderr" "$(head -c 300 "$T/err")"
    fi
}
usage "neither --size nor --docs"
usage "--format xml" --docs 1 --format xml
usage "--size abc" --size abc
usage "--size 0" --size 0
usage "--size 5X" --size 5X
usage "--docs 0" --docs 0
usage "--docs -3" --docs -3
usage "--docs 1e3" --docs 1e3
usage "--seed -1" --docs 1 --seed -1
usage "--seed 2^64" --docs 1 --seed 18446744073709551616
usage "--file-size 1" --docs 1 -o "$T/x" --file-size 1
usage "unknown option" --docs 1 --bogus
usage "unknown short option" --docs 1 -z
usage "missing value" --docs
usage "extra argument" --docs 1 extra
"$GC" --docs 0 2>"$T/err"
check "the message quotes the option and value" 'grep -q "invalid --docs '"'0'"'" "$T/err"' "$(cat "$T/err")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
