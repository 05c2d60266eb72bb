#!/bin/sh
# End-to-end tests of the vsearch CLI: stdout, stderr and exit codes.
# Usage: tests/cli/run.sh BIN/vsearch BUILD/tests/example_embed
# Prints one line per check and ends with "N passed, N failed".
set -u
VS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
EX=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vsearch-cli.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
PASS=0
FAIL=0
CORPORA=${VSEARCH_CORPORA:-$ROOT/../shared/corpora}

ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }

# run NAME EXPECTED_EXIT CMD... : runs CMD with stdout in $T/out, stderr in $T/err
run() {
    name=$1; want=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name (exit $want)"; else bad "$name: exit $got, want $want" "$(head -c 400 "$T/err")"; fi
}
has_out() { if grep -q -- "$2" "$T/out"; then ok "$1"; else bad "$1: stdout lacks '$2'" "$(head -c 300 "$T/out")"; fi; }
has_err() { if grep -q -- "$2" "$T/err"; then ok "$1"; else bad "$1: stderr lacks '$2'" "$(head -c 300 "$T/err")"; fi; }
no_out() { if [ ! -s "$T/out" ]; then ok "$1"; else bad "$1: stdout not empty" "$(head -c 200 "$T/out")"; fi; }

cd "$ROOT"

# --- the README's main job on the sample corpus
I=$T/idx
run "build corpus/" 0 "$VS" build -i "$I" corpus/
has_out "build prints a one-line summary" "indexed 1 documents, [0-9]* passages, [0-9]* terms, [0-9]* postings"
[ "$(wc -l <"$T/out")" -eq 1 ] && ok "summary is one line" || bad "summary is one line"
run "query security cooperation" 0 "$VS" query -i "$I" "security cooperation"
sed -n 1,4p "$T/out" | grep -q "Security cooperation was a major theme during Putin's visit" \
    && ok "security cooperation passage ranks first" || bad "security cooperation passage ranks first" "$(head -5 "$T/out")"
head -1 "$T/out" | grep -q "^ 1\. [0-9.]*  corpus/000_79d01c390d725485.txt  passage [0-9]*$" \
    && ok "hit line has rank, score, file, passage" || bad "hit line format" "$(head -1 "$T/out")"
has_out "title shown" "Putin In Uzbekistan: Key Highlights & What It Means"
grep -q "$(printf '\033')" "$T/out" && bad "no colour when stdout is not a tty" || ok "no colour when stdout is not a tty"
run "query --color always" 0 "$VS" query -i "$I" --color always "security cooperation"
grep -q "$(printf '\033')\[1;31mSecurity" "$T/out" && ok "matches highlighted with --color always" || bad "highlight" "$(head -4 "$T/out")"
run "query --json" 0 "$VS" query -i "$I" --json -k 1 "security cooperation"
has_out "json hit text" '"text":"Security Cooperation: Countering Regional Threats\\nSecurity cooperation was a major theme'
has_out "json keys" '"rank":1,"score":[0-9.e-]*,"doc":"corpus/000_79d01c390d725485.txt","passage":[0-9]*,"title":"Putin In Uzbekistan'
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null && ok "json parses" || bad "json parses"
run "query trade agreements" 0 "$VS" query -i "$I" --json -k 1 "trade agreements"
grep -qi 'trade agreements' "$T/out" && ok "trade agreements passage first" || bad "trade agreements passage first" "$(head -c 300 "$T/out")"
run "query --trec" 0 "$VS" query -i "$I" --trec --qid 7 --tag t1 "security cooperation"
head -1 "$T/out" | grep -q "^7 Q0 corpus/000_79d01c390d725485.txt#[0-9]* 1 [0-9.]* t1$" && ok "trec line" || bad "trec line" "$(head -1 "$T/out")"
run "query --by doc" 0 "$VS" query -i "$I" --by doc --trec "security cooperation"
[ "$(wc -l <"$T/out")" -eq 1 ] && ok "--by doc gives one hit per document" || bad "--by doc" "$(cat "$T/out")"
run "query --explain" 0 "$VS" query -i "$I" --explain -k 1 "security cooperation"
has_out "explain shows tf df idf" "tf=[0-9]* df=[0-9]* N=[0-9]* idf=[0-9.]* len=[0-9]* avglen=[0-9.]*"
run "exhaustive equals pruned" 0 sh -c "'$VS' query -i '$I' --json -k 5 'uzbekistan russia trade' > '$T/a'; '$VS' query -i '$I' --json --exhaustive -k 5 'uzbekistan russia trade' > '$T/b'; cmp '$T/a' '$T/b'"
run "query -k 2" 0 "$VS" query -i "$I" --trec -k 2 "russia"
[ "$(wc -l <"$T/out")" -eq 2 ] && ok "-k limits hits" || bad "-k limits hits"
# --- the title field (title:word, title:"a phrase", --title-weight)
run "title:putin" 0 "$VS" query -i "$I" --trec -k 1000 "title:putin"
[ "$(wc -l <"$T/out")" -gt 10 ] && ok "title:putin returns every passage of the article" || bad "title:putin" "$(head -3 "$T/out")"
grep -q "not searchable" "$T/err" && bad "no 'not searchable' message any more" "$(cat "$T/err")" || ok "no 'not searchable' message any more"
run "title phrase" 0 "$VS" query -i "$I" --trec -k 3 'title:"putin in uzbekistan"^2 +security'
[ "$(wc -l <"$T/out")" -eq 3 ] && ok "title phrase with boost and a required word" || bad "title phrase" "$(cat "$T/out")"
run "title phrase in the wrong order" 0 "$VS" query -i "$I" --trec 'title:"uzbekistan putin"'
no_out "title phrase in the wrong order: no hits"
run "NOT title:" 0 "$VS" query -i "$I" --trec -- 'security -title:putin'
no_out "a clause excluding the only title: no hits"
run "explain labels title clauses" 0 "$VS" query -i "$I" --explain -k 1 "uzbekistan security"
has_out "explain: title clause of --title-weight" "title:uzbekistan *tf=1 df=1 N=1 idf=[0-9.]* tlen=6 avglen=6.0000 weight=0.4"
run "--title-weight 0: no title clause" 0 "$VS" query -i "$I" --explain -k 1 --title-weight 0 "uzbekistan security"
grep -q "title:" "$T/out" && bad "--title-weight 0 adds no title clause" || ok "--title-weight 0 adds no title clause"
run "--title-weight bad value" 64 "$VS" query -i "$I" --title-weight -1 "russia"
run "title pruned equals exhaustive" 0 sh -c "'$VS' query -i '$I' --json -k 3 'title:uzbekistan trade^2 OR title:\"key highlights\"' > '$T/a'; '$VS' query -i '$I' --json --exhaustive -k 3 'title:uzbekistan trade^2 OR title:\"key highlights\"' > '$T/b'; cmp '$T/a' '$T/b'"
run "stats reports the title part" 0 "$VS" stats -i "$I" --json
has_out "stats --json title bytes" '"title":[1-9][0-9]*'
if [ -d "$CORPORA/reuters21578-sgml" ]; then
    run "build Reuters" 0 "$VS" build -q -i "$T/reut" "$CORPORA/reuters21578-sgml"
    run "Reuters title:cocoa" 0 "$VS" query -i "$T/reut" --by doc -k 100 "title:cocoa"
    has_out "title:cocoa finds BAHIA COCOA REVIEW" "^    BAHIA COCOA REVIEW$"
    run "check Reuters (title lists, TLENS, META)" 0 "$VS" check -i "$T/reut"
fi
run "stopword-only query: 0 hits" 0 "$VS" query -i "$I" "the of and"
no_out "stopword-only query prints no hits"
has_err "stopword-only query says why" "no indexed terms"
run "unknown word: 0 hits" 0 "$VS" query -i "$I" "xylophonequartz"
run "stats" 0 "$VS" stats -i "$I"
has_out "stats documents" "^documents   1$"
run "stats --json" 0 "$VS" stats -i "$I" --json
python3 - "$T/out" <<'PY' && ok "stats json keys" || bad "stats json keys"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("documents", "passages", "terms", "postings", "segments", "bytes", "percent_of_raw"):
    assert k in d, k
assert d["documents"] == 1 and d["segments"] == 1 and d["passages"] > 10
PY
run "check sound index" 0 "$VS" check -i "$I"
run "analyze" 0 "$VS" analyze -i "$I" "Putin's 5.93 mln bags, 1,750 tonnes"
has_out "analyze possessive" "	putin	Putin's"
has_out "analyze decimal number" "	5.93	5.93"
has_out "analyze thousands" "	1,750	1,750"
run "embedding example" 0 "$EX" "$T/emb" corpus/ "security cooperation"
has_out "embedding example finds the passage" "Security Cooperation"
VSEARCH_INDEX="$I" run "VSEARCH_INDEX is honoured" 0 "$VS" stats

# --- rebuild replaces atomically; old segment files are removed
run "rebuild" 0 "$VS" build -q -i "$I" corpus/
[ "$(ls "$I" | grep -c '^seg-.*\.vsg$')" -eq 1 ] && ok "one segment after rebuild" || bad "one segment after rebuild" "$(ls "$I")"

# --- options
run "--no-stem build" 0 "$VS" build -q -i "$T/ns" --no-stem --stopwords none corpus/
run "--no-stem query" 0 "$VS" analyze -i "$T/ns" "The running"
has_out "no stemming recorded in the index" "	running	running"
has_out "no stopwords recorded in the index" "	the	The"
printf 'uzbekistan\n# comment\nrussia\n' >"$T/stop.txt"
run "custom stopwords build" 0 "$VS" build -q -i "$T/cs" --stopwords "$T/stop.txt" corpus/
run "custom stopwords drop terms" 0 "$VS" query -i "$T/cs" "uzbekistan"
no_out "custom stopword gives no hits"
run "--unit doc" 0 "$VS" build -i "$T/ud" --unit doc corpus/
has_out "--unit doc: one passage" "1 documents, 1 passages"

# --- errors and bad input (DESIGN §9)
run "no arguments" 64 "$VS"
run "unknown command" 64 "$VS" frobnicate
run "query --help" 0 "$VS" query --help
has_out "help on stdout" "usage: vsearch query"
run "bad -k" 64 "$VS" query -i "$I" -k abc "x"
has_err "bad -k message" "invalid -k 'abc': expected a whole number from 1 to 1000000"
run "bad --b" 64 "$VS" query -i "$I" --b 2 "x"
run "unknown --format" 64 "$VS" build -i "$T/x" --format xyz corpus/
has_err "unknown format message" "unknown format 'xyz'"
run "nonexistent path" 66 "$VS" build -i "$T/x" "$T/does-not-exist"
has_err "nonexistent path named" "does-not-exist"
mkdir -p "$T/empty"
run "empty directory" 66 "$VS" build -i "$T/x" "$T/empty"
has_err "empty directory message" "no files to index"
run "no index" 66 "$VS" query -i "$T/none" "x"
has_err "no index message" "run 'vsearch build' first"
run "no index (check)" 66 "$VS" check -i "$T/none"

mkdir -p "$T/mixed"
cp corpus/000_79d01c390d725485.txt "$T/mixed/a.txt"
printf 'ELF\000\001\002\003binary\000junk' >"$T/mixed/b.bin"
printf 'Caf\351 title\n\nna\357ve caf\351 text here\n' >"$T/mixed/c.txt"
run "binary + invalid UTF-8" 0 "$VS" build -i "$T/m" "$T/mixed"
has_err "binary file skipped and named" "b.bin"
has_err "skip summary" "skipped 0 bad record(s) and 1 file(s); replaced [1-9][0-9]* invalid UTF-8"
has_out "two documents indexed" "indexed 2 documents"
run "strict: binary file is fatal" 65 "$VS" build -i "$T/m2" --strict "$T/mixed"

mkdir -p "$T/trec"
cat >"$T/trec/a.trec" <<'TREC'
<DOC>
<DOCNO> D1 </DOCNO>
<HEADLINE> Cocoa prices rise </HEADLINE>
<TEXT>
<P> Cocoa prices rose sharply in Bahia. </P>
<P> Traders expect more rain. </P>
</TEXT>
</DOC>
<DOC>
<HEADLINE> No docno here </HEADLINE>
<TEXT> lost text </TEXT>
</DOC>
<DOC>
<DOCNO> D3 </DOCNO>
<TEXT> Coffee exports fell. </TEXT>
</DOC>
TREC
run "malformed TREC record skipped" 0 "$VS" build -i "$T/t" "$T/trec"
has_err "TREC warning names file:line" "a.trec:[0-9]*:"
has_out "two TREC documents" "indexed 2 documents"
run "TREC query by DOCNO" 0 "$VS" query -i "$T/t" --trec --by doc "cocoa"
has_out "DOCNO is the id" "^1 Q0 D1 1 "
run "malformed TREC under --strict" 65 "$VS" build -i "$T/t2" --strict "$T/trec"
has_err "strict names file:line" "a.trec:[0-9]*:"

mkdir -p "$T/jsonl"
printf '{"id":"j1","title":"Gold","contents":"Gold output rose."}\n{"id": broken\n{"id":"j3","text":"Silver fell."}\n' >"$T/jsonl/a.jsonl"
run "malformed JSONL line skipped" 0 "$VS" build -i "$T/j" "$T/jsonl"
has_err "JSONL warning names file:2" "a.jsonl:2:"
run "malformed JSONL under --strict" 65 "$VS" build -i "$T/j2" --strict "$T/jsonl"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
    AS=""
fi
mkdir -p "$T/unread"
cp corpus/000_79d01c390d725485.txt "$T/unread/a.txt"
echo "secret text" >"$T/unread/b.txt"
chmod 000 "$T/unread/b.txt"
chmod 777 "$T"
if [ -n "$AS" ] || [ "$(id -u)" -ne 0 ]; then
    run "unreadable file skipped" 0 $AS "$VS" build -i "$T/u" "$T/unread"
    has_err "unreadable file named" "b.txt"
    has_out "unreadable: one document indexed" "indexed 1 documents"
else
    echo "skip unreadable-file test: running as root without setpriv"
fi

# --- JSON stays valid for a file name that is not UTF-8 (fuzz finding F5)
mkdir -p "$T/latin1"
printf 'T\n\nx nameword\n' >"$T/latin1/caf$(printf '\351').txt"
run "build a file with a Latin-1 name" 0 "$VS" build -q -i "$T/l1" "$T/latin1"
run "query --json on it" 0 "$VS" query -i "$T/l1" --json nameword
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["hits"][0]["path"].endswith("caf\ufffd.txt")' "$T/out" \
    && ok "json path with U+FFFD for the bad byte" || bad "json path with U+FFFD for the bad byte" "$(head -c 300 "$T/out")"

# --- damaged and newer-format indexes
cp -r "$I" "$T/dmg"
SEG=$(ls "$T/dmg"/seg-*.vsg)
python3 - "$SEG" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[200] ^= 0xFF; open(p, "wb").write(b)
PY
run "check detects a flipped byte" 65 "$VS" check -i "$T/dmg"
has_err "damage message names the file and offset" "seg-.*vsg' is damaged at byte [0-9]*"
cp -r "$I" "$T/trunc"
SEG=$(ls "$T/trunc"/seg-*.vsg)
truncate -s 1000 "$SEG"
run "truncated segment" 65 "$VS" query -i "$T/trunc" "russia"
cp -r "$I" "$T/newer"
python3 - "$T/newer/MANIFEST" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[8] = 9; open(p, "wb").write(b)
PY
run "newer format version" 65 "$VS" query -i "$T/newer" "russia"
has_err "newer format says rebuild" "rebuild with 'vsearch build'"
cp -r "$I" "$T/newseg"
SEG=$(ls "$T/newseg"/seg-*.vsg)
python3 - "$SEG" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[8] = 7; open(p, "wb").write(b)
PY
run "newer segment version" 65 "$VS" check -i "$T/newseg"
has_err "segment version message" "uses segment format 7"
cp -r "$I" "$T/gone"
rm "$T/gone"/seg-*.vsg
run "missing segment" 65 "$VS" query -i "$T/gone" "russia"

# --- shared corpora (skipped when absent)
if [ -d "$CORPORA/bbc" ]; then
    run "build BBC" 0 "$VS" build -q -i "$T/bbc" "$CORPORA/bbc/business" "$CORPORA/bbc/entertainment" "$CORPORA/bbc/politics" "$CORPORA/bbc/sport" "$CORPORA/bbc/tech"
    run "stats BBC" 0 "$VS" stats -i "$T/bbc" --json
    has_out "BBC: 2225 documents" '"documents":2225'
    run "check BBC" 0 "$VS" check -i "$T/bbc"
else
    echo "skip BBC tests: $CORPORA not found (set VSEARCH_CORPORA)"
fi

# --- IR workflow on CACM: effectiveness must stay at the recorded figures (bench/RESULTS.md)
if [ -f "$CORPORA/cacm/cacm.all" ] && [ -f "$ROOT/../shared/eval-golden/cacm.qrels" ]; then
    QR="$ROOT/../shared/eval-golden/cacm.qrels"
    run "build CACM (--unit doc)" 0 "$VS" build -q -i "$T/cacm" --unit doc "$CORPORA/cacm/cacm.all"
    run "batch CACM queries" 0 "$VS" batch -i "$T/cacm" -j 2 "$CORPORA/cacm/query.text"
    cp "$T/out" "$T/cacm.run"
    [ "$(cut -d' ' -f1 "$T/cacm.run" | sort -u | wc -l)" -eq 64 ] && ok "64 CACM topics in the run" || bad "64 CACM topics"
    run "batch -j1 is byte-identical to -j2" 0 sh -c "'$VS' batch -i '$T/cacm' -j 1 '$CORPORA/cacm/query.text' | cmp - '$T/cacm.run'"
    check_metric() { # NAME MEASURE WANT RUNFILE
        got=$("$VS" eval -c -m "$2" "$QR" "$4" | awk -v m="$2" '$1 == m { print $3 }')
        if awk -v g="$got" -v w="$3" 'BEGIN { exit !(g - w < 0.00051 && w - g < 0.00051) }'; then ok "$1 $2 = $got"
        else bad "$1 $2 = $got, recorded $3"; fi
    }
    # the default --title-weight 0.4 (the title field), and without it (the figures before it)
    check_metric "CACM BM25" map 0.3420 "$T/cacm.run"
    check_metric "CACM BM25" ndcg_cut_10 0.5010 "$T/cacm.run"
    "$VS" batch -i "$T/cacm" -j 2 --title-weight 0 "$CORPORA/cacm/query.text" >"$T/notitle.run" 2>/dev/null
    check_metric "CACM BM25 --title-weight 0" map 0.3264 "$T/notitle.run"
    check_metric "CACM BM25 --title-weight 0" ndcg_cut_10 0.4761 "$T/notitle.run"
    "$VS" batch -i "$T/cacm" -j 2 --rm3 "$CORPORA/cacm/query.text" >"$T/rm3.run" 2>/dev/null
    check_metric "CACM BM25+RM3" map 0.3243 "$T/rm3.run"
    "$VS" batch -i "$T/cacm" -j 2 --model ql "$CORPORA/cacm/query.text" >"$T/ql.run" 2>/dev/null
    check_metric "CACM QL" map 0.3394 "$T/ql.run"
    "$VS" batch -i "$T/cacm" -j 2 --model ql --title-weight 0 "$CORPORA/cacm/query.text" >"$T/ql0.run" 2>/dev/null
    check_metric "CACM QL --title-weight 0" map 0.3282 "$T/ql0.run"
    run "vs-sweep grid" 0 "$ROOT/tools/vs-sweep" -i "$T/cacm" -t "$CORPORA/cacm/query.text" -q "$QR" --k1 0.9:1.2:0.3 --b 0.4:0.4:0.1
    has_out "vs-sweep prints the grid and the best pair" "^best: k1 "
else
    echo "skip CACM tests: $CORPORA/cacm or ../shared/eval-golden not found"
fi

# --- batch and eval errors
printf '1\tcocoa\n1\tcoffee\n' >"$T/dup.tsv"
run "duplicate qid in topics" 65 "$VS" batch -i "$I" "$T/dup.tsv"
has_err "duplicate qid names file:line" "dup.tsv:2:"
printf 'q1\t"unclosed\n' >"$T/bad.tsv"
run "a failing topic under --syntax: reported, exit 65" 65 "$VS" batch -i "$I" --syntax "$T/bad.tsv"
has_err "failing topic names its qid" "topic q1"
printf '1 0 d1\n' >"$T/bad.qrels"
printf '1 Q0 d1 1 2.0 t\n' >"$T/ok.run"
run "malformed qrels line" 65 "$VS" eval "$T/bad.qrels" "$T/ok.run"
has_err "qrels error names file:line" "bad.qrels:1:"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
