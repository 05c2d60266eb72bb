#!/usr/bin/env python3
"""gen_queries_units.py: a query file for a collection given as export_passages JSONL (used by
bench/peers.sh for the generated collection, whose words are not Reuters').

    python3 bench/peers/gen_queries_units.py UNITS.jsonl > queries.tsv

The recipe of bench/gen_queries.py for term / and / or, on the units' text instead of Reuters
story bodies; phrases are two words that follow each other in a passage with only blanks
between them, neither a stopword, the pair found in at least PHRASE_MIN_DF sampled documents,
drawn weighted by sqrt(that count) and written "w1 w2" as bench/gen_queries.py writes them: a "story" is a document (the
units whose id shares the part before '#'); words are whole words of 3-20 ASCII letters,
lower-cased, not in gen_queries.py's stopword list. To bound the time on a large collection
only every STEP-th document is read (STEP chosen so that about MAX_DOCS are). Deterministic:
random.Random(SEED), sorted candidates. Output: 300 queries of each type, `type<TAB>words`.
"""
import json
import math
import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gen_queries  # noqa: E402

SEED = 20261128
N_EACH = 300
MAX_DOCS = 60000
MIN_DF = 5
MAX_DF_FRACTION = 0.05
P_FREQUENT = 0.15
PHRASE_MIN_DF = 3
TOKEN = re.compile(r"[a-z0-9]+")
WORD = re.compile(r"^[a-z]{3,20}$")
BLANK = re.compile(r"^[ \t\r\n]+$")


def read_docs(path):
    """Yields (word list, bigram set) per sampled document."""
    ndocs = 0
    last = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = line[line.index('"id":"') + 6:]
            did = d[:d.index('"')].split("#")[0]
            if did != last:
                ndocs += 1
                last = did
    step = max(1, ndocs // MAX_DOCS)
    cur, words, bigrams, idx = None, [], set(), -1
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = line[line.index('"id":"') + 6:]
            did = d[:d.index('"')].split("#")[0]
            if did != cur:
                if cur is not None and idx % step == 0:
                    yield words, bigrams
                cur, words, bigrams = did, [], set()
                idx += 1
            if idx % step:
                continue
            text = json.loads(line)["text"].lower()
            toks = list(TOKEN.finditer(text))
            for t in toks:
                w = t.group(0)
                if WORD.match(w) and w not in gen_queries.STOP:
                    words.append(w)
            for a, b in zip(toks, toks[1:]):
                w1, w2 = a.group(0), b.group(0)
                if (WORD.match(w1) and WORD.match(w2) and w1 not in gen_queries.STOP
                        and w2 not in gen_queries.STOP and BLANK.match(text[a.end():b.start()])):
                    bigrams.add((w1, w2))
    if cur is not None and idx % step == 0:
        yield words, bigrams


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_queries_units.py UNITS.jsonl > queries.tsv")
    docs, bdf = [], {}
    for words, bigrams in read_docs(sys.argv[1]):
        ws = sorted(set(words))
        if ws:
            docs.append(ws)
        for bg in bigrams:
            bdf[bg] = bdf.get(bg, 0) + 1
    df = {}
    for d in docs:
        for w in d:
            df[w] = df.get(w, 0) + 1
    max_df = int(MAX_DF_FRACTION * len(docs))
    mid = sorted(w for w, n in df.items() if MIN_DF <= n <= max_df)
    frequent = sorted(w for w, n in df.items() if n > max_df)
    if not mid or not frequent:
        sys.exit("gen_queries_units: too little text")
    mid_set = set(mid)
    mid_cum, acc = [], 0.0
    for w in mid:
        acc += math.sqrt(df[w])
        mid_cum.append(acc)
    rng = random.Random(SEED)

    def one_word():
        if rng.random() < P_FREQUENT:
            return rng.choice(frequent)
        return rng.choices(mid, cum_weights=mid_cum, k=1)[0]

    def story_words(n):
        while True:
            d = docs[rng.randrange(len(docs))]
            dm = [w for w in d if w in mid_set]
            dfq = [w for w in d if df[w] > max_df]
            out = []
            for _ in range(n):
                freq = [w for w in dfq if w not in out]
                rare = [w for w in dm if w not in out]
                if freq and (rng.random() < P_FREQUENT or not rare):
                    out.append(rng.choice(freq))
                elif rare:
                    out.append(rng.choices(rare, weights=[math.sqrt(df[w]) for w in rare], k=1)[0])
            if len(out) == n:
                return out

    cands = sorted(bg for bg, n in bdf.items() if n >= PHRASE_MIN_DF)
    cweights = [math.sqrt(bdf[bg]) for bg in cands]

    def phrase():
        a, b = rng.choices(cands, weights=cweights, k=1)[0]
        return ['"' + a, b + '"']  # written "a b", as bench/gen_queries.py writes phrases

    seen = set()
    for kind, make in (("term", lambda: [one_word()]), ("and", lambda: story_words(2)),
                       ("or", lambda: story_words(rng.randint(2, 4))), ("phrase", phrase)):
        done = 0
        while done < N_EACH:
            q = " ".join(make())
            if (kind, q) in seen:
                continue
            seen.add((kind, q))
            sys.stdout.write(f"{kind}\t{q}\n")
            done += 1
    print(f"gen_queries_units: {len(docs)} documents read, {len(df)} words, mid band {len(mid)}, "
          f"frequent band {len(frequent)}, {len(cands)} phrase candidates", file=sys.stderr)


if __name__ == "__main__":
    main()
