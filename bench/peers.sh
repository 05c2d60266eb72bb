#!/bin/sh
# bench/peers.sh: vsearch side by side with the peer engines Debian packages (DESIGN.md §8,
# issues 3, 4 and 5): SQLite FTS5 (libsqlite3-dev), Xapian 1.4 (libxapian-dev, xapian-tools),
# Lucene 4.10 (liblucene4.10-java, default-jdk-headless). `tools/install-deps.sh --bench`
# installs them; a peer that is missing is skipped with a message (none: exit 0).
#
#   sh bench/peers.sh            (also run at the end of `make bench` by bench/run.sh)
#
# Parts (PEERS_PARTS, comma separated; default all):
#   effect   CACM (../shared/corpora/cacm, qrels ../shared/eval-golden/cacm.qrels): every engine
#            indexes the same documents (title + abstract + authors as one field, the text
#            vsearch --unit doc indexes, exported from its index), no stopwords, with and without
#            stemming, BM25 at k1/b 0.9/0.4 and 1.2/0.75, top 1000 per query.text topic as a TREC
#            run, `vsearch eval -c -m map,P_10,ndcg_cut_10,recall_1000`. Plus vsearch RM3, QL and
#            its default configuration, and diagnostic runs where the peers index vsearch's own
#            analysed terms (export_passages -a).
#   reuters  Reuters-21578 passages: the passages a vsearch --no-stem --stopwords none index holds,
#            exported as JSONL and indexed by every peer without stemming or stopwords. Build
#            time (best of PEERS_BUILD_REPS, default 3), peak RSS, index size with and without
#            stored text; query latency (bench/queries-reuters.tsv: term, and, or, phrase)
#            in-process, one thread, per-query best of BENCH_REPS (default 10) timed passes
#            after warm-up, top-10 and top-1000.
#   gen      the same as reuters on a ~PEERS_GEN_MB (default 1000) MB collection from
#            bin/vs-gencorpus, if that generator exists (skipped with a message otherwise);
#            the generated data and indexes are deleted afterwards.
# Output: stdout, bench/out/peers/* (scratch) and a new dated section at the top of
# bench/RESULTS.md (older sections kept).
# Environment: VSEARCH_CORPORA, VSEARCH_EVAL_GOLDEN, CC, CXX, BENCH_REPS, PEERS_BUILD_REPS,
# PEERS_PARTS, PEERS (subset of fts5,xapian,lucene), PEERS_GEN_MB, JAVA_OPTS (default -Xmx1g),
# PEERS_RESULTS (the file to prepend the section to; default bench/RESULTS.md), PEERS_VSEARCH
# (tree or head, below).
set -eu

cd "$(dirname "$0")/.."
CORPORA=${VSEARCH_CORPORA:-../shared/corpora}
GOLDEN=${VSEARCH_EVAL_GOLDEN:-../shared/eval-golden}
CC=${CC:-cc}
CXX=${CXX:-g++}
REPS=${BENCH_REPS:-10}
BREPS=${PEERS_BUILD_REPS:-3}
PARTS=${PEERS_PARTS:-effect,reuters,gen}
WANT=${PEERS:-fts5,xapian,lucene}
GEN_MB=${PEERS_GEN_MB:-1000}
JAVA_OPTS=${JAVA_OPTS:--Xmx1g}
RESULTS=${PEERS_RESULTS:-bench/RESULTS.md}
OUT=bench/out/peers
P=bench/peers
VS=bin/vsearch
LIBS="-lxxhash -llz4 -lbsd -lutf8proc -lstemmer -lz -lzstd -lm -lpthread"
METRICS=map,P_10,ndcg_cut_10,recall_1000

mkdir -p "$OUT"
# Which vsearch: PEERS_VSEARCH=tree (default) snapshots bin/vsearch and lib/libvsearch.a as they
# are (other work may rebuild them while this runs); PEERS_VSEARCH=head builds the committed HEAD
# afresh in $OUT/src (git archive + make), independent of uncommitted edits in the tree.
VSMODE=${PEERS_VSEARCH:-tree}
VSCOMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown) # what is measured, taken now
VSDIRTY=$(git status --porcelain -- . ':!bench/RESULTS.md' 2>/dev/null | head -n 1)
case $VSMODE in
    head)
        rm -rf "$OUT/src"
        mkdir -p "$OUT/src"
        git archive "$VSCOMMIT" | tar -x -C "$OUT/src"
        echo "peers: building vsearch at HEAD ($VSCOMMIT) in $OUT/src"
        make -C "$OUT/src" -s all >"$OUT/src-make.log" 2>&1 || { cat "$OUT/src-make.log" >&2; exit 1; }
        VSSRC=$OUT/src
        ;;
    tree)
        if [ ! -x bin/vsearch ] || [ ! -f lib/libvsearch.a ]; then
            echo "peers: bin/vsearch or lib/libvsearch.a missing; run 'make all' first" >&2
            exit 1
        fi
        VSSRC=.
        ;;
    *) echo "peers: PEERS_VSEARCH must be tree or head" >&2; exit 64 ;;
esac
cp "$VSSRC/bin/vsearch" "$OUT/vsearch"
cp "$VSSRC/lib/libvsearch.a" "$OUT/libvsearch.a"
if nm "$OUT/libvsearch.a" 2>/dev/null | grep -q '__asan_init'; then
    echo "peers: lib/libvsearch.a is a sanitizer build; rebuild it (rm lib/libvsearch.a; make all) or use PEERS_VSEARCH=head" >&2
    exit 1
fi
VS=$OUT/vsearch
has_part() { case ",$PARTS," in *",$1,"*) return 0 ;; esac; return 1; }
wanted() { case ",$WANT," in *",$1,"*) return 0 ;; esac; return 1; }

# ---- which peers are here; compile their runners ----
HAVE_FTS5=0 HAVE_XAPIAN=0 HAVE_LUCENE=0
CFLAGS_P="-O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra"
if wanted fts5; then
    if "$CC" $CFLAGS_P -o "$OUT/fts5_bench" $P/fts5_bench.c -lsqlite3 -lm 2>"$OUT/cc-fts5.log"; then
        HAVE_FTS5=1
    else
        echo "peers: SQLite FTS5 skipped (cannot build bench/peers/fts5_bench.c against libsqlite3-dev; see $OUT/cc-fts5.log)"
    fi
fi
if wanted xapian; then
    if command -v xapian-config >/dev/null 2>&1 &&
        "$CXX" -O2 -std=c++17 -Wall -Wextra $(xapian-config --cxxflags) -o "$OUT/xapian_bench" \
            $P/xapian_bench.cc $(xapian-config --libs) 2>"$OUT/cc-xapian.log"; then
        HAVE_XAPIAN=1
    else
        echo "peers: Xapian skipped (needs libxapian-dev and g++; see $OUT/cc-xapian.log)"
    fi
fi
LUCENE_JARS=
if wanted lucene; then
    core=$(ls /usr/share/java/lucene-core-4.10*.jar 2>/dev/null | head -n 1 || true)
    ana=$(ls /usr/share/java/lucene-analyzers-common-4.10*.jar 2>/dev/null | head -n 1 || true)
    if [ -n "$core" ] && [ -n "$ana" ] && command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
        LUCENE_JARS=$core:$ana
        rm -rf "$OUT/classes"
        mkdir -p "$OUT/classes"
        if javac -nowarn -cp "$LUCENE_JARS" -d "$OUT/classes" $P/LuceneBench.java 2>"$OUT/cc-lucene.log"; then
            HAVE_LUCENE=1
        else
            echo "peers: Lucene skipped (javac failed; see $OUT/cc-lucene.log)"
        fi
    else
        echo "peers: Lucene 4.10 skipped (needs liblucene4.10-java and default-jdk-headless)"
    fi
fi
if [ $((HAVE_FTS5 + HAVE_XAPIAN + HAVE_LUCENE)) = 0 ]; then
    echo "peers: no peer engine installed (tools/install-deps.sh --bench installs them); skipping the peer comparison."
    exit 0
fi
"$CC" $CFLAGS_P -I"$VSSRC/include" -I"$VSSRC/index" -I"$VSSRC/query" -o "$OUT/export_passages" $P/export_passages.c "$OUT/libvsearch.a" $LIBS
"$CC" $CFLAGS_P -I"$VSSRC/include" -o "$OUT/vs_lat" $P/vs_lat.c "$OUT/libvsearch.a" $LIBS
"$CC" -O2 -std=c11 -D_GNU_SOURCE -I"$VSSRC/include" -o "$OUT/qbench" "$VSSRC/bench/qbench.c" "$OUT/libvsearch.a" $LIBS
EXPORT=$OUT/export_passages
FTS5=$OUT/fts5_bench
XAPIAN=$OUT/xapian_bench
lucene() { java $JAVA_OPTS -cp "$OUT/classes:$LUCENE_JARS" LuceneBench "$@"; }

if /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.probe" true 2>/dev/null; then
    HAVE_GNU_TIME=1
else
    HAVE_GNU_TIME=0
    echo "peers: GNU time (/usr/bin/time) not found: no CPU time or peak RSS" >&2
fi

# bytes PATH: apparent size of a file or of all files under a directory.
bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# json_get FILE KEY [OBJECT]: a number from `vsearch stats --json` (as in bench/run.sh).
# shellcheck disable=SC2020
json_get() {
    if [ $# -eq 3 ]; then
        sed -n "s/.*\"$3\":{\([^}]*\)}.*/\1/p" "$1"
    else
        cat "$1"
    fi | tr ',{}' '\n\n\n' | sed -n "s/^\"$2\":\([-0-9.e+]*\)\$/\1/p" | head -n 1
}

# timed NAME TARGET REPS CMD...: runs CMD REPS times (TARGET removed before each run), stdout to
# $OUT/NAME.out, stderr to $OUT/NAME.log; writes "best_wall best_cpu max_rss_kb" to $OUT/NAME.time.
timed() {
    name=$1 target=$2 n=$3
    shift 3
    best= cpu= peak=0
    i=0
    while [ $i -lt "$n" ]; do
        i=$((i + 1))
        rm -rf "$target"
        if [ "$HAVE_GNU_TIME" = 1 ]; then
            if ! /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$@" >"$OUT/$name.out" 2>"$OUT/$name.log"; then
                echo "peers: $name failed:" >&2
                cat "$OUT/$name.log" >&2
                exit 1
            fi
            s=$(tail -n 1 "$OUT/time.txt" | cut -d' ' -f1)
            c=$(tail -n 1 "$OUT/time.txt" | awk '{ printf "%.2f", $2 + $3 }')
            kb=$(tail -n 1 "$OUT/time.txt" | cut -d' ' -f4)
        else
            t0=$(date +%s%N)
            if ! "$@" >"$OUT/$name.out" 2>"$OUT/$name.log"; then
                echo "peers: $name failed:" >&2
                cat "$OUT/$name.log" >&2
                exit 1
            fi
            t1=$(date +%s%N)
            s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
            c=0 kb=0
        fi
        best=$(awk -v a="$best" -v b="$s" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
        cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
        peak=$(awk -v a="$peak" -v b="$kb" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
    done
    echo "$best $cpu $peak" >"$OUT/$name.time"
}

: >"$OUT/peers.txt"
: >"$OUT/notes.md"
EFFECT_DONE=0 REUTERS_DONE=0 GEN_DONE=0

# =====================================================================================
# A. Effectiveness on CACM
# =====================================================================================
CACM=$CORPORA/cacm
QRELS=$GOLDEN/cacm.qrels
# evalrun ENGINE ANALYSIS STEM K1B RUNFILE: appends a row to the effectiveness table (and
# keeps the per-query AP for the significance column).
evalrun() {
    "$VS" eval -c -m "$METRICS" "$QRELS" "$5" >"$5.eval"
    "$VS" eval -q -c -m map "$QRELS" "$5" | awk '$2 != "all" { print $2, $3 }' >"$5.ap"
    awk -v e="$1" -v a="$2" -v s="$3" -v kb="$4" -v run="$5" '
        { v[$1] = $3 }
        END {
            printf "peer-effect corpus=cacm engine=%s analysis=%s stemming=%s k1b=%s map=%s P_10=%s ndcg_cut_10=%s recall_1000=%s run=%s\n",
                   e, a, s, kb, v["map"], v["P_10"], v["ndcg_cut_10"], v["recall_1000"], run
        }' "$5.eval" | tee -a "$OUT/effect.txt"
}

# ptest A.ap B.ap: two-sided paired randomization test on per-query AP (10000 sign flips,
# fixed seed), queries judged in both; prints the p-value.
ptest() {
    awk 'NR == FNR { a[$1] = $2; next }
         ($1 in a) { n++; d[n] = $2 - a[$1] }
         END {
             if (n == 0) { print "n/a"; exit }
             o = 0; for (j = 1; j <= n; j++) o += d[j]; o = o < 0 ? -o : o
             srand(20261128); B = 10000; c = 0
             for (i = 0; i < B; i++) {
                 s = 0
                 for (j = 1; j <= n; j++) s += (rand() < 0.5) ? d[j] : -d[j]
                 s = s < 0 ? -s : s
                 if (s >= o - 1e-12) c++
             }
             printf "%.3f\n", (c + 1) / (B + 1)
         }' "$1" "$2"
}

if has_part effect; then
    if [ ! -f "$CACM/cacm.all" ] || [ ! -f "$CACM/query.text" ] || [ ! -f "$QRELS" ]; then
        echo "peers: CACM not found ($CACM/cacm.all, query.text, $QRELS); skipping the effectiveness part"
    else
        echo "peers: CACM effectiveness"
        E=$OUT/cacm
        rm -rf "$E"
        mkdir -p "$E"
        : >"$OUT/effect.txt"
        "$VS" build -q -i "$E/vs-stem.idx" --unit doc --stopwords none "$CACM/cacm.all" 2>"$E/build.log"
        "$VS" build -q -i "$E/vs-nostem.idx" --unit doc --stopwords none --no-stem "$CACM/cacm.all" 2>>"$E/build.log"
        "$VS" build -q -i "$E/vs-default.idx" --unit doc "$CACM/cacm.all" 2>>"$E/build.log"
        "$EXPORT" "$E/vs-stem.idx" >"$E/units.jsonl" 2>>"$E/build.log"
        "$EXPORT" -t "$CACM/query.text" >"$E/topics.tsv" 2>>"$E/build.log"
        for st in stem nostem; do
            "$EXPORT" -a "$E/vs-$st.idx" >"$E/units-$st.jsonl" 2>>"$E/build.log"
            "$EXPORT" -t "$CACM/query.text" -a "$E/vs-$st.idx" >"$E/topics-$st.tsv" 2>>"$E/build.log"
        done
        KBS="0.9_0.4 1.2_0.75" # k1_b (file names); shown as k1/b
        # vsearch
        for st in stem nostem; do
            yn=$([ $st = stem ] && echo yes || echo no)
            for kb in $KBS; do
                k1=${kb%_*} b=${kb#*_}
                "$VS" batch -i "$E/vs-$st.idx" --k1 "$k1" --b "$b" --tag vsearch "$CACM/query.text" >"$E/vs-bm25-$st-$kb.run" 2>/dev/null
                evalrun "vsearch BM25" "vsearch" "$yn" "$(echo "$kb" | tr _ /)" "$E/vs-bm25-$st-$kb.run"
            done
        done
        for st in stem nostem; do
            yn=$([ $st = stem ] && echo yes || echo no)
            for kb in $KBS; do
                k1=${kb%_*} b=${kb#*_}
                "$VS" batch -i "$E/vs-$st.idx" --k1 "$k1" --b "$b" --rm3 --tag rm3 "$CACM/query.text" >"$E/vs-rm3-$st-$kb.run" 2>/dev/null
                evalrun "vsearch BM25+RM3" "vsearch" "$yn" "$(echo "$kb" | tr _ /)" "$E/vs-rm3-$st-$kb.run"
            done
            "$VS" batch -i "$E/vs-$st.idx" --model ql --mu 1000 --tag ql "$CACM/query.text" >"$E/vs-ql-$st.run" 2>/dev/null
            evalrun "vsearch QL" "vsearch" "$yn" "mu=1000" "$E/vs-ql-$st.run"
        done
        "$VS" batch -i "$E/vs-default.idx" --tag default "$CACM/query.text" >"$E/vs-default.run" 2>/dev/null
        evalrun "vsearch default config" "vsearch, default stopwords" "yes" "0.9/0.4" "$E/vs-default.run"
        "$VS" batch -i "$E/vs-default.idx" --rm3 --tag default-rm3 "$CACM/query.text" >"$E/vs-default-rm3.run" 2>/dev/null
        evalrun "vsearch default config +RM3" "vsearch, default stopwords" "yes" "0.9/0.4" "$E/vs-default-rm3.run"
        # SQLite FTS5 (bm25() fixed at 1.2/0.75)
        if [ $HAVE_FTS5 = 1 ]; then
            for t in plain porter; do
                yn=$([ $t = porter ] && echo "yes (Porter)" || echo no)
                "$FTS5" build -T $t "$E/fts5-$t.db" "$E/units.jsonl" >/dev/null
                "$FTS5" run -T $t --tag fts5 "$E/fts5-$t.db" "$E/topics.tsv" >"$E/fts5-$t.run"
                evalrun "SQLite FTS5 bm25()" "fts5 $t" "$yn" "1.2/0.75" "$E/fts5-$t.run"
            done
        fi
        # Xapian (stock BM25Weight)
        if [ $HAVE_XAPIAN = 1 ]; then
            for t in plain english; do
                yn=$([ $t = english ] && echo yes || echo no)
                "$XAPIAN" build -T $t "$E/xapian-$t.db" "$E/units.jsonl" >/dev/null
                for kb in $KBS; do
                    "$XAPIAN" run -T $t -W bm25 --k1 "${kb%_*}" --b "${kb#*_}" --tag xapian "$E/xapian-$t.db" "$E/topics.tsv" >"$E/xapian-$t-$kb.run"
                    evalrun "Xapian BM25Weight" "xapian $t" "$yn" "$(echo "$kb" | tr _ /)" "$E/xapian-$t-$kb.run"
                done
            done
        fi
        # Lucene 4.10 (BM25Similarity)
        if [ $HAVE_LUCENE = 1 ]; then
            for t in plain english porter; do
                yn=$([ $t = english ] && echo yes || { [ $t = porter ] && echo "yes (Porter)"; } || echo no)
                lucene build -T $t "$E/lucene-$t.idx" "$E/units.jsonl" >/dev/null
                for kb in $KBS; do
                    lucene run -T $t --k1 "${kb%_*}" --b "${kb#*_}" --tag lucene "$E/lucene-$t.idx" "$E/topics.tsv" >"$E/lucene-$t-$kb.run"
                    evalrun "Lucene 4.10 BM25Similarity" "lucene $t" "$yn" "$(echo "$kb" | tr _ /)" "$E/lucene-$t-$kb.run"
                done
            done
        fi
        # Diagnosis: the peers index vsearch's analysed terms (whitespace tokenizer), so only the
        # ranking (formula, length encoding, idf) differs; and Xapian with vsearch's formula.
        for st in stem nostem; do
            yn=$([ $st = stem ] && echo yes || echo no)
            U=$E/units-$st.jsonl T=$E/topics-$st.tsv
            if [ $HAVE_FTS5 = 1 ]; then
                "$FTS5" build -T ws "$E/fts5-ws-$st.db" "$U" >/dev/null
                "$FTS5" run -T ws --tag fts5 "$E/fts5-ws-$st.db" "$T" >"$E/fts5-ws-$st.run"
                evalrun "SQLite FTS5 bm25() [diag]" "vsearch terms" "$yn" "1.2/0.75" "$E/fts5-ws-$st.run"
            fi
            if [ $HAVE_XAPIAN = 1 ]; then
                "$XAPIAN" build -T ws "$E/xapian-ws-$st.db" "$U" >/dev/null
                for kb in $KBS; do
                    for w in bm25 lucene; do
                        lab=$([ $w = bm25 ] && echo "Xapian BM25Weight [diag]" || echo "Xapian + vsearch's BM25 formula [diag]")
                        "$XAPIAN" run -T ws -W $w --k1 "${kb%_*}" --b "${kb#*_}" --tag xapian "$E/xapian-ws-$st.db" "$T" >"$E/xapian-ws-$w-$st-$kb.run"
                        evalrun "$lab" "vsearch terms" "$yn" "$(echo "$kb" | tr _ /)" "$E/xapian-ws-$w-$st-$kb.run"
                    done
                done
            fi
            if [ $HAVE_LUCENE = 1 ]; then
                lucene build -T ws "$E/lucene-ws-$st.idx" "$U" >/dev/null
                for kb in $KBS; do
                    lucene run -T ws --k1 "${kb%_*}" --b "${kb#*_}" --tag lucene "$E/lucene-ws-$st.idx" "$T" >"$E/lucene-ws-$st-$kb.run"
                    evalrun "Lucene 4.10 BM25Similarity [diag]" "vsearch terms" "$yn" "$(echo "$kb" | tr _ /)" "$E/lucene-ws-$st-$kb.run"
                done
            fi
        done
        if [ $HAVE_XAPIAN = 1 ]; then
            for t in plain english; do
                yn=$([ $t = english ] && echo yes || echo no)
                for kb in $KBS; do
                    "$XAPIAN" run -T $t -W lucene --k1 "${kb%_*}" --b "${kb#*_}" --tag xapian "$E/xapian-$t.db" "$E/topics.tsv" >"$E/xapian-lf-$t-$kb.run"
                    evalrun "Xapian + vsearch's BM25 formula [diag]" "xapian $t" "$yn" "$(echo "$kb" | tr _ /)" "$E/xapian-lf-$t-$kb.run"
                done
            done
        fi
        # The table: p = paired randomization test on AP against vsearch BM25 at the same
        # stemming and k1/b (FTS5: 1.2/0.75).
        {
            printf '| engine | analysis | stemming | k1/b | MAP | P@10 | nDCG@10 | R@1000 | p (AP vs vsearch BM25, same stemming, k1/b) |\n'
            printf '|---|---|---|---|---:|---:|---:|---:|---:|\n'
        } >"$OUT/effect.md"
        { printf '| engine | analysis | stemming | k1/b | MAP | P@10 | nDCG@10 | R@1000 | p vs vsearch |\n'
          printf '|---|---|---|---|---:|---:|---:|---:|---:|\n'; } >"$OUT/effect-diag.md"
        while IFS= read -r line; do
            eng=$(echo "$line" | sed 's/.* engine=\(.*\) analysis=.*/\1/')
            ana=$(echo "$line" | sed 's/.* analysis=\(.*\) stemming=.*/\1/')
            stm=$(echo "$line" | sed 's/.* stemming=\(.*\) k1b=.*/\1/')
            kb=$(echo "$line" | sed 's/.* k1b=\([^ ]*\) .*/\1/')
            run=$(echo "$line" | sed 's/.* run=\([^ ]*\)$/\1/')
            st=$(case $stm in no) echo nostem ;; *) echo stem ;; esac)
            ref=$E/vs-bm25-$st-$(echo "$kb" | tr / _).run
            p=
            case $eng in
                "vsearch BM25") p="—" ;;
                *) if [ -f "$ref.ap" ] && [ "$ana" != "vsearch, default stopwords" ]; then p=$(ptest "$ref.ap" "$run.ap"); else p="—"; fi ;;
            esac
            row=$(echo "$line" | awk -v e="$eng" -v a="$ana" -v s="$stm" -v kb="$kb" -v p="$p" '{
                for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                printf "| %s | %s | %s | %s | %.4f | %.4f | %.4f | %.4f | %s |\n", e, a, s, kb, v["map"], v["P_10"], v["ndcg_cut_10"], v["recall_1000"], p }')
            case $eng in
                *"[diag]"*) echo "$row" | sed 's/ \[diag\]//' >>"$OUT/effect-diag.md" ;;
                *) echo "$row" >>"$OUT/effect.md" ;;
            esac
        done <"$OUT/effect.txt"
        cat "$OUT/effect.txt" >>"$OUT/peers.txt"
        EFFECT_DONE=1
    fi
fi

# =====================================================================================
# B + C. Build and query latency on a passage collection (Reuters, or generated)
# =====================================================================================
# collection NAME SOURCE_DESC QUERIES BUILD_REPS QUERY_REPS VS_BUILD_ARGS...: builds vsearch (no
# stemming, no stopwords) from the original files, exports its passages, builds every peer from
# them (one build each, BUILD_REPS times), measures sizes, times QUERIES (a file, or "generate":
# drawn from the exported passages by gen_queries_units.py).
collection() {
    cname=$1 srcdesc=$2 queries=$3 nb=$4 nq=$5
    shift 5
    C=$OUT/$cname
    rm -rf "$C" "$OUT/$cname"-*.out "$OUT/$cname"-*.log "$OUT/$cname"-*.time
    mkdir -p "$C"
    echo "peers: $cname: vsearch build from $srcdesc ($nb run(s))"
    timed "$cname-vs" "$C/vs.idx" "$nb" "$VS" build -q -i "$C/vs.idx" --no-stem --stopwords none "$@"
    "$VS" stats -i "$C/vs.idx" --json >"$C/vs-stats.json"
    "$EXPORT" "$C/vs.idx" >"$C/units.jsonl" 2>"$C/export.log"
    text_bytes=$(sed -n 's/.*passages, \([0-9]*\) bytes of text/\1/p' "$C/export.log")
    units=$(sed -n 's/.*: \([0-9]*\) passages,.*/\1/p' "$C/export.log")
    echo "peers: $cname: $units passages, $text_bytes bytes of passage text"
    if [ "$queries" = generate ]; then
        queries=$C/queries.tsv
        python3 $P/gen_queries_units.py "$C/units.jsonl" >"$queries" 2>"$C/queries.log"
    fi
    echo "peers: $cname: vsearch build from the exported JSONL ($nb run(s))"
    timed "$cname-vsjsonl" "$C/vsj.idx" "$nb" "$VS" build -q -i "$C/vsj.idx" --format jsonl --no-stem --stopwords none "$C/units.jsonl"
    "$VS" stats -i "$C/vsj.idx" --json >"$C/vsj-stats.json"
    rm -rf "$C/vsj.idx"
    # Sizes: "total without stored text" = the index minus the part that holds the stored text and
    # stored fields: for vsearch the passage text and the ids, titles and paths (without_stored_fields),
    # for Lucene its stored fields (.fdt/.fdx: text and id), for FTS5 its content table, for Xapian docdata.
    if [ $HAVE_FTS5 = 1 ]; then
        echo "peers: $cname: FTS5 build ($nb run(s))"
        timed "$cname-fts5" "$C/fts5.db" "$nb" "$FTS5" build -T plain -s 1 "$C/fts5.db" "$C/units.jsonl"
        "$FTS5" size "$C/fts5.db" | awk '{ split($1, t, "="); split($2, c, "="); printf "%.0f %.0f\n", t[2], t[2] - c[2] }' >"$C/fts5.bytes"
    fi
    if [ $HAVE_XAPIAN = 1 ]; then
        echo "peers: $cname: Xapian build ($nb run(s)) and xapian-compact"
        timed "$cname-xapian" "$C/xapian.db" "$nb" "$XAPIAN" build -T plain -s 1 "$C/xapian.db" "$C/units.jsonl"
        echo "$(bytes "$C/xapian.db") $(($(bytes "$C/xapian.db") - $(bytes "$C/xapian.db/docdata.glass")))" >"$C/xapian.bytes"
        timed "$cname-xapian-compact" "$C/xapian-c.db" 1 xapian-compact "$C/xapian.db" "$C/xapian-c.db"
        echo "$(bytes "$C/xapian-c.db") $(($(bytes "$C/xapian-c.db") - $(bytes "$C/xapian-c.db/docdata.glass")))" >"$C/xapian-c.bytes"
        rm -rf "$C/xapian.db"
    fi
    if [ $HAVE_LUCENE = 1 ]; then
        echo "peers: $cname: Lucene build ($nb run(s))"
        timed "$cname-lucene" "$C/lucene.idx" "$nb" java $JAVA_OPTS -cp "$OUT/classes:$LUCENE_JARS" LuceneBench build -T plain -s 1 "$C/lucene.idx" "$C/units.jsonl"
        fdt=$(find "$C/lucene.idx" -type f \( -name '*.fdt' -o -name '*.fdx' \) -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
        echo "$(bytes "$C/lucene.idx") $(($(bytes "$C/lucene.idx") - fdt))" >"$C/lucene.bytes"
    fi
    # ---- build table ----
    src_raw=$(json_get "$C/vs-stats.json" raw_bytes)
    {
        printf '| engine | input read | settings | wall s | CPU s | MB/s (wall) | MB per CPU-s | peak RSS MiB | index bytes | %% of text | without stored text | %% of text |\n'
        printf '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    } >"$C/build.md"
    # row ENGINE INPUT SETTINGS TIMEFILE BYTES_TOTAL BYTES_WITHOUT_STORED [MB_DENOMINATOR]
    row() {
        read -r w c kb <"$4"
        awk -v e="$1" -v i="$2" -v s="$3" -v w="$w" -v c="$c" -v kb="$kb" -v b1="$5" -v b0="$6" \
            -v tb="$text_bytes" -v den="${7:-$text_bytes}" -v gt="$HAVE_GNU_TIME" -v cn="$cname" 'BEGIN {
            cs = gt ? sprintf("%.2f", c) : "n/a"
            mbc = gt && c > 0 ? sprintf("%.1f", den / 1e6 / c) : "n/a"
            rss = gt ? sprintf("%.1f", kb / 1024) : "n/a"
            printf "| %s | %s | %s | %.2f | %s | %.1f | %s | %s | %.0f | %.1f%% | %.0f | %.1f%% |\n", e, i, s, w, cs, den / 1e6 / w, mbc, rss, b1, 100 * b1 / tb, b0, 100 * b0 / tb
            printf "peer-build-row input=%s engine=\"%s\" wall_s=%.2f cpu_s=%s peak_rss_mib=%s index_bytes=%.0f without_stored_bytes=%.0f text_bytes=%.0f mb_denominator=%.0f\n", cn, e, w, cs, rss, b1, b0, tb, den > "/dev/stderr"
        }' 2>>"$OUT/peers.txt"
    }
    {
        row "vsearch" "original files ($srcdesc; MB/s of their $src_raw bytes)" "--no-stem --stopwords none, other build defaults (threads, --memory); positions; stored text (LZ4), titles, paths" "$OUT/$cname-vs.time" \
            "$(json_get "$C/vs-stats.json" total bytes)" "$(json_get "$C/vs-stats.json" without_stored_fields bytes)" "$src_raw"
        row "vsearch" "exported passages (JSONL)" "the same, --format jsonl (every passage a document)" "$OUT/$cname-vsjsonl.time" \
            "$(json_get "$C/vsj-stats.json" total bytes)" "$(json_get "$C/vsj-stats.json" without_stored_fields bytes)"
        if [ $HAVE_FTS5 = 1 ]; then
            read -r b1 b0 <"$C/fts5.bytes"
            row "SQLite FTS5" "exported passages" "unicode61 remove_diacritics 0, detail=full, one transaction, 'optimize' (VACUUM after, not timed)" "$OUT/$cname-fts5.time" "$b1" "$b0"
        fi
        if [ $HAVE_XAPIAN = 1 ]; then
            read -r b1 b0 <"$C/xapian.bytes"
            row "Xapian" "exported passages" "glass; TermGenerator, no stemmer; positions; flush every ${XAPIAN_FLUSH_THRESHOLD:-10000} documents (its default)" "$OUT/$cname-xapian.time" "$b1" "$b0"
            read -r b1 b0 <"$C/xapian-c.bytes"
            row "Xapian, xapian-compact" "the index above" "xapian-compact alone (add its time to the row above); the compacted index is the one queried" "$OUT/$cname-xapian-compact.time" "$b1" "$b0"
        fi
        if [ $HAVE_LUCENE = 1 ]; then
            read -r b1 b0 <"$C/lucene.bytes"
            row "Lucene 4.10" "exported passages" "StandardTokenizer, possessive, lowercase; positions, norms; RAM buffer 256 MB, no compound files, forceMerge(1); JVM $JAVA_OPTS, start-up included" "$OUT/$cname-lucene.time" "$b1" "$b0"
        fi
    } >>"$C/build.md"
    # In-process build phases as the runners print them (no process start-up).
    for f in "$OUT/$cname"-*.out; do
        [ -f "$f" ] || continue
        sed -n "s/^peer-build /peer-build input=$cname /p" "$f" >>"$OUT/peers.txt"
    done

    # ---- latency ----
    echo "peers: $cname: query latency (best of $nq passes)"
    "$OUT/qbench" -n "$cname" -r "$nq" "$C/vs.idx" "$queries" >"$C/qbench.txt"
    "$OUT/vs_lat" -n "$cname" -r "$nq" "$C/vs.idx" "$queries" >"$C/lat-vsearch.txt"
    : >"$C/lat-peers.txt"
    if [ $HAVE_FTS5 = 1 ]; then
        "$FTS5" lat -T plain -n "$cname" -r "$nq" "$C/fts5.db" "$queries" >>"$C/lat-peers.txt"
    fi
    if [ $HAVE_XAPIAN = 1 ]; then
        "$XAPIAN" lat -T plain -W bm25 -n "$cname" -r "$nq" "$C/xapian-c.db" "$queries" >>"$C/lat-peers.txt"
    fi
    if [ $HAVE_LUCENE = 1 ]; then
        lucene lat -T plain -n "$cname" -r "$nq" "$C/lucene.idx" "$queries" >>"$C/lat-peers.txt"
    fi
    cat "$C/qbench.txt" "$C/lat-vsearch.txt" "$C/lat-peers.txt" >>"$OUT/peers.txt"
    # Side by side: rows type x k; per engine "p50 / p95 / p99 µs / queries/s". qbench rows
    # (mode=pruned) are vsearch's own harness; "vsearch" went through the peers' harness.
    awk '
        function add(eng, type, k, p50, p95, p99, qps, hits) {
            key = type SUBSEP k
            if (!(key in seen)) { seen[key] = 1; order[++nk] = key; T[nk] = type; K[nk] = k }
            if (!(eng in eseen)) { eseen[eng] = 1; eorder[++ne] = eng }
            cell[key, eng] = sprintf("%s / %s / %s / %s", p50, p95, p99, qps)
            h[key, eng] = hits
            P50[key, eng] = p50
            P99[key, eng] = p99
        }
        {
            delete v
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if ($1 == "qbench" && v["mode"] == "pruned")
                add("vsearch (qbench)", v["type"], v["k"], v["p50_us"], v["p95_us"], v["p99_us"], v["qps"], v["hits_avg"])
            else if ($1 == "peer")
                add(v["engine"], v["type"], v["k"], v["p50_us"], v["p95_us"], v["p99_us"], v["qps"], v["hits_avg"])
        }
        END {
            printf "| type | k |"
            for (e = 1; e <= ne; e++) printf " %s |", eorder[e]
            printf " fastest peer ÷ vsearch, p50 / p99 |\n|---|---:|"
            for (e = 1; e <= ne; e++) printf "---:|"
            printf "---:|\n"
            for (r = 1; r <= nk; r++) {
                key = order[r]
                printf "| %s | %s |", T[r], K[r]
                b50 = b99 = ""
                for (e = 1; e <= ne; e++) {
                    eng = eorder[e]
                    printf " %s |", ((key, eng) in cell) ? cell[key, eng] : "—"
                    if (eng ~ /^vsearch/ || !((key, eng) in P50)) continue
                    if (b50 == "" || P50[key, eng] + 0 < b50 + 0) b50 = P50[key, eng]
                    if (b99 == "" || P99[key, eng] + 0 < b99 + 0) b99 = P99[key, eng]
                }
                if (b50 != "" && ((key, "vsearch") in P50) && P50[key, "vsearch"] > 0)
                    printf " %.1fx / %.1fx |\n", b50 / P50[key, "vsearch"], b99 / P99[key, "vsearch"]
                else
                    printf " — |\n"
            }
            printf "\nHits returned per query (mean): a check that the engines match the same passages.\n\n| type | k |"
            for (e = 1; e <= ne; e++) printf " %s |", eorder[e]
            printf "\n|---|---:|"
            for (e = 1; e <= ne; e++) printf "---:|"
            printf "\n"
            for (r = 1; r <= nk; r++) {
                key = order[r]
                printf "| %s | %s |", T[r], K[r]
                for (e = 1; e <= ne; e++) printf " %s |", ((key, eorder[e]) in h) ? h[key, eorder[e]] : "—"
                printf "\n"
            }
        }' "$C/qbench.txt" "$C/lat-vsearch.txt" "$C/lat-peers.txt" >"$C/latency.md"
}

if has_part reuters; then
    REUTERS=$CORPORA/reuters21578-sgml
    set -- "$REUTERS"/reut2-*.sgm
    if [ ! -f "$REUTERS/reut2-000.sgm" ] || [ $# != 22 ]; then
        echo "peers: Reuters-21578 not found at $REUTERS; skipping the Reuters part"
    else
        collection reuters "the 22 reut2-*.sgm files" bench/queries-reuters.tsv "$BREPS" "$REPS" "$@"
        REUTERS_DONE=1
    fi
fi

# =====================================================================================
# D. A generated collection of ~PEERS_GEN_MB MB (tools/gencorpus.c), if the generator exists
# =====================================================================================
GEN_NOTE=
if has_part gen; then
    # The generator from the working tree (it may be newer than HEAD), compiled here.
    if ! grep -q 'usage: vs-gencorpus' tools/gencorpus.c 2>/dev/null ||
        ! "$CC" -O2 -std=c11 -D_GNU_SOURCE -o "$OUT/vs-gencorpus" tools/gencorpus.c -lm 2>"$OUT/cc-gencorpus.log"; then
        GEN_NOTE="Skipped: tools/gencorpus.c (vs-gencorpus) is not there yet, is still the placeholder, or does not compile."
    elif ! command -v python3 >/dev/null 2>&1; then
        GEN_NOTE="Skipped: python3 is needed to draw queries from the generated text (bench/peers/gen_queries_units.py)."
    else
        avail_mb=$(df -Pm "$OUT" | awk 'NR == 2 { print $4 }')
        need_mb=$((GEN_MB * 20))
        if [ "$avail_mb" -lt "$need_mb" ]; then
            GEN_NOTE="Skipped: ${avail_mb} MB free on the disk of $OUT, ~${need_mb} MB needed for a ${GEN_MB} MB collection (Xapian's uncompacted index alone is ~8x the text)."
        else
            G=$OUT/gen-corpus
            rm -rf "$G"
            # A failed run must not leave gigabytes behind.
            trap 'rm -rf "$G" "$OUT/gen"' EXIT INT TERM
            echo "peers: generating ${GEN_MB} MiB (vs-gencorpus --size ${GEN_MB}M --format trec --seed 1)"
            "$OUT/vs-gencorpus" --size "${GEN_MB}M" --format trec --seed 1 -o "$G" --stats 2>"$OUT/gencorpus.log"
            GEN_STATS=$(cat "$OUT/gencorpus.log")
            GEN_SRC=$(git hash-object tools/gencorpus.c)
            GEN_COMMITTED=$(git log -1 --format=%h -- tools/gencorpus.c 2>/dev/null || true)
            if git diff --quiet HEAD -- tools/gencorpus.c 2>/dev/null; then GEN_STATE="as committed"; else GEN_STATE="with uncommitted changes"; fi
            GEN_REPS=${PEERS_GEN_REPS:-3}
            collection gen "vs-gencorpus TREC files, ${GEN_MB} MiB" generate 1 "$GEN_REPS" "$G"
            GEN_DONE=1
            GEN_NOTE="Generated by tools/gencorpus.c (blob $GEN_SRC, $GEN_STATE; last commit touching it: ${GEN_COMMITTED:-none}): \`vs-gencorpus --size ${GEN_MB}M --format trec --seed 1\` ($GEN_STATS). Queries: 300 each of term / and / or / phrase drawn from the exported passages by bench/peers/gen_queries_units.py (the recipe of bench/gen_queries.py). Builds run once; latency is the best of $GEN_REPS passes (PEERS_GEN_REPS). The collection and all its indexes were deleted afterwards."
            rm -rf "$G" "$OUT/gen/units.jsonl" "$OUT/gen/vs.idx" "$OUT/gen/fts5.db" "$OUT/gen/xapian-c.db" "$OUT/gen/lucene.idx"
            trap - EXIT INT TERM
        fi
    fi
    echo "peers: generated collection: $GEN_NOTE"
fi

# =====================================================================================
# bench/RESULTS.md
# =====================================================================================
if [ $((EFFECT_DONE + REUTERS_DONE + GEN_DONE)) = 0 ]; then
    echo "peers: nothing was measured (no corpora); bench/RESULTS.md unchanged"
    exit 0
fi
commit=$VSCOMMIT
if [ "$VSMODE" = head ]; then
    commit="$commit (vsearch built clean from that commit: PEERS_VSEARCH=head)"
elif [ -n "$VSDIRTY" ]; then
    commit="$commit (with uncommitted changes)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
{
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — peer engines (bench/peers.sh)"
    echo
    echo "- machine: $(uname -m), ${cpu:-unknown CPU}, $cores cores, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare CPU seconds and best-of-N figures)"
    echo "- commit: $commit; vsearch as built by make; runners compiled with -O2 ($("$CC" --version | head -n 1); $("$CXX" --version | head -n 1))"
    echo "- SQLite $(pkgver libsqlite3-dev) (FTS5), Xapian $(pkgver libxapian-dev) (glass backend), Lucene $(pkgver liblucene4.10-java) on $(java -version 2>&1 | head -n 1) with $JAVA_OPTS"
    echo "- runners: bench/peers/{fts5_bench.c,xapian_bench.cc,LuceneBench.java} (their header comments give every setting); vsearch through bench/qbench.c and bench/peers/vs_lat.c (the peers' harness, bench/peers/peerbench.h)"
    echo
    if [ $EFFECT_DONE = 1 ]; then
        echo "### Effectiveness on CACM (3204 documents, 64 topics of which 52 are judged)"
        echo
        echo "Every engine indexes the same text: what \`vsearch build --unit doc\` indexes for a CACM record"
        echo "(title .T, abstract .W, authors .A, as one field), exported from vsearch's index by"
        echo "bench/peers/export_passages; topics are query.text's .W text (qids without leading zeros), each"
        echo "engine analysing it like its documents and running it as a bag of words (OR; a repeated word"
        echo "counts twice everywhere). No stopwords anywhere except the last rows. Stemming: vsearch,"
        echo "Xapian and Lucene 'english' use Snowball English (Porter2); FTS5's porter tokenizer and"
        echo "Lucene's PorterStemFilter are the original Porter stemmer. FTS5's bm25() is fixed at"
        echo "k1 = 1.2, b = 0.75. Top 1000 per topic; \`vsearch eval -c -m $METRICS\` (trec_eval-identical)."
        echo "p: two-sided paired randomization test (10,000 sign flips) on per-topic AP against vsearch BM25"
        echo "at the same stemming and k1/b; with 52 judged topics, MAP differences under ~0.01 are noise and"
        echo "only p < 0.05 suggests a real difference."
        echo
        cat "$OUT/effect.md"
        echo
        echo "Diagnosis: the same peers fed vsearch's own analysed terms (export_passages -a, indexed and"
        echo "queried with a whitespace tokenizer), so tokenisation is identical and only the ranking"
        echo "differs; and Xapian with vsearch's exact BM25 formula (a Xapian::Weight subclass in"
        echo "xapian_bench.cc: idf = ln(1 + (N - n + 0.5)/(n + 0.5)), exact lengths)."
        echo
        cat "$OUT/effect-diag.md"
        echo
    fi
    for cn in reuters gen; do
        [ $cn = reuters ] && [ $REUTERS_DONE = 0 ] && continue
        [ $cn = gen ] && [ $GEN_DONE = 0 ] && continue
        if [ $cn = reuters ]; then
            title="Reuters-21578 passages"
            qdesc="bench/queries-reuters.tsv (300 term, 300 two-word AND, 300 OR of 2-4 words, 300 two-word phrases)"
            nq=$REPS nb=$BREPS
        else
            title="generated collection (${GEN_MB} MiB of TREC files)"
            qdesc="300 each of term / and / or / phrase drawn from the generated passages (bench/peers/gen_queries_units.py)"
            nq=${PEERS_GEN_REPS:-3} nb=1
        fi
        echo "### Build speed and index size: $title"
        echo
        echo "vsearch builds from the original files (--no-stem --stopwords none) and, to read the same input as"
        echo "the peers, from the JSONL of its own passages (export_passages); the peers build from that JSONL,"
        echo "one passage = one document. MB/s and % are of the passage text ($(sed -n 's/.*passages, \([0-9]*\) bytes of text/\1/p' "$OUT/$cn/export.log") bytes: what every"
        echo "engine tokenises), except the first row's MB/s, which is of the original files. Wall and CPU (user +"
        echo "sys) seconds: the best of $nb run(s), whole process (Lucene: JVM start-up included); peak RSS: GNU"
        echo "time's maximum resident set. Every index has positions. 'Without stored text' = the index minus"
        echo "the part that stores text: vsearch's stored-text part (it also keeps ids, titles and paths),"
        echo "FTS5's content table (t_content pages, from dbstat; equal to a content='' build), Xapian's"
        echo "docdata table, Lucene's stored-fields files (.fdt/.fdx, which also hold the ids)."
        echo
        cat "$OUT/$cn/build.md"
        echo
        echo "### Query latency: $title"
        echo
        echo "One thread, in-process, warm: a warm-up pass over all queries at top-1000 and an untimed pass per"
        echo "(type, k), then $nq timed passes round-robin; a query's time is its best pass. Cells: p50 / p95 /"
        echo "p99 µs (nearest rank) / queries/s (1e6 / mean). Queries: $qdesc."
        echo "No stemming and no stopwords on any side. BM25 k1/b 0.9/0.4 for vsearch, Xapian (BM25Weight) and"
        echo "Lucene; FTS5 at its fixed 1.2/0.75. Hit ids only (no stored text, no snippets). 'vsearch (qbench)'"
        echo "is bench/qbench.c, vsearch's own harness (pruned mode); 'vsearch' is the same index timed by the"
        echo "peers' harness (bench/peers/vs_lat.c with peerbench.h). Phrases: vsearch with its query language"
        echo "on (\"w1 w2\"), FTS5 \"w1 w2\", Xapian OP_PHRASE, Lucene PhraseQuery."
        echo
        cat "$OUT/$cn/latency.md"
        echo
    done
    if [ -n "$GEN_NOTE" ]; then
        echo "### Generated collection"
        echo
        echo "$GEN_NOTE"
        echo
    fi
    if [ -s "$OUT/notes.md" ]; then cat "$OUT/notes.md"; echo; fi
    echo "Machine-readable:"
    echo
    echo '```'
    cat "$OUT/peers.txt"
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
    if [ -f "$RESULTS" ]; then sed -n '/^## /,$p' "$RESULTS"; fi
} >"$OUT/RESULTS.md.new"
mv "$OUT/RESULTS.md.new" "$RESULTS"
echo "peers: wrote $RESULTS"
