#!/usr/bin/env python3
"""gen_queries.py: writes the benchmark query set bench/queries-reuters.tsv from Reuters-21578.

Deterministic: the stories are read in file order, every candidate list is sorted before it is
sampled, and the only randomness is random.Random(SEED), so the same corpus gives the same file
byte for byte (whatever PYTHONHASHSEED is). Python 3 standard library only.

    python3 bench/gen_queries.py ../shared/corpora/reuters21578-sgml > bench/queries-reuters.tsv

Output: one query a line, `type<TAB>query`, types term / and / or, in that order:
  term  300 single words;
  and   300 two-word queries whose words co-occur in one story (so most have hits, as a user's
        conjunctive query would);
  or    300 queries of 2-4 words drawn from one story (a topical free-text query).
Words come from the story bodies: whole words of 3-20 lowercase ASCII letters, not stopwords (a
list much wider than the index's, so no query word is a function word) and not the 'Reuter'
sign-off. A word is drawn
from the "mid" band (document frequency from MIN_DF to 5% of stories) with probability
1 - P_FREQUENT, weighted by sqrt(df) (commoner words are commoner in real queries), or
otherwise from the "frequent" band (df above 5%: mln, dlrs, pct, company...), uniformly.
"""
import glob
import math
import os
import random
import re
import sys

SEED = 21578
N_TERM, N_AND, N_OR = 300, 300, 300
MIN_DF = 5
MAX_DF_FRACTION = 0.05
P_FREQUENT = 0.15

STOP = set("""
a about above after again against all almost also although always am among an and another any
are around as at be because been before being below between both but by can cannot could did do
does doing done down during each either else even ever every few for from further get gets got
had has have having he her here hers herself him himself his how however i if in into is it its
itself just last least less like made make many may me might more most much must my myself near
neither never new next no nor not now of off often on once one only or other others our ours
ourselves out over own per perhaps put rather said same say says see seen several shall she
should since so some still such than that the their theirs them themselves then there these they
this those though through thus to too two under until up upon us very was we well were what when
where whether which while who whom whose why will with within without would yet you your yours
yourself yourselves mr mrs reuter reuters told also three four five six seven eight nine ten
""".split())

WORD = re.compile(r"\b[a-z]{3,20}\b")
STORY = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)
BODY = re.compile(rb"<BODY>(.*?)</BODY>", re.S)
ENTITY = re.compile(r"&#?\w+;")


def stories(corpus_dir):
    """Yields the words of each story's BODY, lowercased. Titles are left out: the index shows
    them with every passage but does not score them yet (DESIGN.md §4 makes that a field
    weight), so a word found only in titles (e.g. the ticker 'alk') would be a query with no
    hits. Stories without a BODY are skipped."""
    files = sorted(glob.glob(os.path.join(corpus_dir, "reut2-*.sgm")))
    if len(files) != 22:
        sys.exit(f"gen_queries: expected 22 reut2-*.sgm files in {corpus_dir}, found {len(files)}")
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for m in STORY.finditer(data):
            s = m.group(0)
            body = BODY.search(s)
            if body:
                yield WORD.findall(ENTITY.sub(" ", body.group(1).decode("latin-1").lower()))


N_PHRASE = 300


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_queries.py REUTERS_SGML_DIR > queries-reuters.tsv")
    seqs = list(stories(sys.argv[1]))
    docs = [sorted(set(w for w in ws if w not in STOP)) for ws in seqs]
    docs = [d for d in docs if d]
    df = {}
    for d in docs:
        for w in d:
            df[w] = df.get(w, 0) + 1
    max_df = int(MAX_DF_FRACTION * len(docs))
    mid = sorted(w for w, n in df.items() if MIN_DF <= n <= max_df)
    frequent = sorted(w for w, n in df.items() if n > max_df)
    mid_set = set(mid)
    mid_cum, acc = [], 0.0
    for w in mid:
        acc += math.sqrt(df[w])
        mid_cum.append(acc)

    rng = random.Random(SEED)

    def band_frequent():
        return rng.random() < P_FREQUENT

    def one_word():
        if band_frequent():
            return rng.choice(frequent)
        return rng.choices(mid, cum_weights=mid_cum, k=1)[0]

    def story_words(n):
        """n distinct words of one random story, each from the frequent band with probability
        P_FREQUENT (uniformly) or else from the mid band (weighted by sqrt(df))."""
        while True:
            d = docs[rng.randrange(len(docs))]
            dm = [w for w in d if w in mid_set]
            dfq = [w for w in d if df[w] > max_df]
            out = []
            for _ in range(n):
                freq = [w for w in dfq if w not in out]
                rare = [w for w in dm if w not in out]
                if freq and (band_frequent() or not rare):
                    out.append(rng.choice(freq))
                elif rare:
                    out.append(rng.choices(rare, weights=[math.sqrt(df[w]) for w in rare], k=1)[0])
            if len(out) == n:
                return out

    seen = set()

    def emit(kind, words):
        q = " ".join(words)
        if (kind, q) in seen:
            return False
        seen.add((kind, q))
        sys.stdout.write(f"{kind}\t{q}\n")
        return True

    for kind, n, make in (("term", N_TERM, lambda: [one_word()]),
                          ("and", N_AND, lambda: story_words(2)),
                          ("or", N_OR, lambda: story_words(rng.randint(2, 4)))):
        done = 0
        while done < n:
            done += emit(kind, make())
    # Phrases: two adjacent words of a random story, neither a stopword, both in at least
    # MIN_DF stories; generated after the other types so their queries stay as they were.
    done = 0
    while done < N_PHRASE:
        ws = seqs[rng.randrange(len(seqs))]
        if len(ws) < 2:
            continue
        i = rng.randrange(len(ws) - 1)
        a, b = ws[i], ws[i + 1]
        if a in STOP or b in STOP or df.get(a, 0) < MIN_DF or df.get(b, 0) < MIN_DF:
            continue
        done += emit("phrase", ['"' + a, b + '"'])
    print(f"gen_queries: {len(docs)} stories, {len(df)} words, mid band {len(mid)} "
          f"(df {MIN_DF}..{max_df}), frequent band {len(frequent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
