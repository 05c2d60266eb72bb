/* gencorpus.c: vs-gencorpus, a generator of large news-like collections (TREC or JSONL), so the
 * benchmarks can run at 1-20 GB without downloading anything. Notes and measured figures:
 * bench/gencorpus.md; checks: tests/cli/gencorpus.sh.
 *
 * The model in brief. Every word is a rank in [1, RANK_MAX]. Ranks 1..NCORE are real English
 * words (CORE[], roughly in newswire frequency order); every higher rank is a pseudo-English
 * word spelled from the rank alone (spell()), so word #k is the same string in every run and
 * no two ranks share a spelling. Background tokens follow a two-regime Zipf law: exponent 1 up
 * to rank ZIPF_KNEE and 7/4 beyond it, the shape of large English corpora (Ferrer i Cancho &
 * Sole 2001 measure 1 then ~2). Drawing the steep tail from a huge rank space keeps the
 * vocabulary growing with the collection, as Heaps' law with beta = 1/1.75 = 0.57. Each
 * document also picks 1-3 topics (fixed word lists) and 2-8 focus words, which get a share of
 * its tokens, and it re-uses words it has already used (a per-document cache, like a Polya urn).
 * So content words co-occur, and a word seen once in a document is likely to come again.
 *
 * Invariant: the output is a function of (seed, options) alone, byte for byte, on any machine.
 * Sampling uses only integer arithmetic on xoshiro256** output. No floating point and no libm
 * reach the bytes written, because exp/log/pow are not correctly rounded and C libraries
 * disagree in the last bit (so rejection-inversion Zipf sampling is out). Document i draws from
 * its own stream, seeded by (seed, i), and topics depend on the topic id alone. So splitting
 * into files changes no byte, and a --docs N run is a prefix of any longer run with the same
 * seed and format.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ random numbers */

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64 as its authors advise. */
struct rng { uint64_t s[4]; };

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t x) { return splitmix64(&x); }

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return out;
}

/* Stream `stream` of seed `seed`: the two are mixed before seeding, so streams i and i+1 start
 * far apart. */
static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = mix64(seed) ^ mix64(stream ^ 0x5851f42d4c957f2du);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

/* Uniform in [0, n) by multiply-shift (Lemire) without the rejection step: the bias is below
 * n / 2^32, far under anything a benchmark can see, and the result is still exact integers. */
static inline uint32_t below32(uint32_t x, uint32_t n) { return (uint32_t)(((uint64_t)x * n) >> 32); }
static inline uint32_t rng_below(struct rng *r, uint32_t n) { return below32((uint32_t)(rng_next(r) >> 32), n); }

/* base * 2^(k/16) in integers, for log-uniform and log-normal draws without libm.
 * EXP2_16[i] = round(2^(i/16) * 2^32), computed once in Python; base * EXP2_16[i] stays
 * below 2^64 while base < 2^30. */
static const uint64_t EXP2_16[16] = {
    4294967296u, 4485121744u, 4683695048u, 4891059943u, 5107605667u, 5333738689u, 5569883475u, 5816483285u,
    6074001000u, 6342919999u, 6623745059u, 6917003306u, 7223245206u, 7543045592u, 7877004752u, 8225749546u };

static uint64_t exp2_16(uint64_t base, unsigned k) { return ((base * EXP2_16[k & 15]) >> 32) << (k >> 4); }

/* ------------------------------------------------------------------ alias tables */

/* Walker's alias method built by Vose's algorithm, in integers: slot i yields i when the low
 * 32 bits of the draw are below thr, else alias. One draw, one table read per sample, whatever
 * the number of items: this is what keeps Zipf sampling O(1) over millions of ranks. */
struct slot { uint32_t thr, alias; };
struct alias { uint32_t n; struct slot *slot; };

/* Masses must sum to less than 2^32: then mass * n compared with the total is exact in 64 bits,
 * and so is (mass * n) << 32 / total for a slot whose mass * n is below the total. */
static int alias_build(struct alias *a, const uint64_t *mass, uint32_t n)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += mass[i];
    if (total == 0 || total >> 32) return -1;
    uint64_t *sc = malloc((size_t)n * sizeof *sc);
    uint32_t *small = malloc((size_t)n * sizeof *small), *large = malloc((size_t)n * sizeof *large);
    a->slot = malloc((size_t)n * sizeof *a->slot);
    a->n = n;
    if (!sc || !small || !large || !a->slot) { free(sc); free(small); free(large); return -1; }
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        sc[i] = mass[i] * n;                       /* < 2^32 * 2^32: fits */
        if (sc[i] < total) small[ns++] = i; else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        uint32_t s = small[--ns], l = large[nl - 1];
        a->slot[s].thr = (uint32_t)((sc[s] << 32) / total);
        a->slot[s].alias = l;
        sc[l] -= total - sc[s];
        if (sc[l] < total) { nl--; small[ns++] = l; }
    }
    /* What is left is full (up to rounding): it always yields itself. */
    while (nl > 0) { uint32_t l = large[--nl]; a->slot[l].thr = UINT32_MAX; a->slot[l].alias = l; }
    while (ns > 0) { uint32_t s = small[--ns]; a->slot[s].thr = UINT32_MAX; a->slot[s].alias = s; }
    free(sc); free(small); free(large);
    return 0;
}

static inline uint32_t alias_pick(const struct alias *a, uint64_t x)
{
    uint32_t i = below32((uint32_t)(x >> 32), a->n);
    return (uint32_t)x < a->slot[i].thr ? i : a->slot[i].alias;
}

/* ------------------------------------------------------------------ vocabulary */

/* The real words, most frequent first (rank = index + 1), all lower case except names, which
 * keep their capital wherever they appear. Numbers are not here: number() makes "5.93",
 * "1,750" and "1987" with their own distribution, so they cannot repeat a rank's spelling. */
static const char *const CORE[] = {
    "the", "of", "to", "in", "and", "a", "said", "for", "on", "that", "is", "it", "by", "with", "at",
    "from", "as", "was", "its", "be", "he", "will", "has", "have", "are", "an", "were", "but", "not",
    "this", "which", "would", "had", "year", "percent", "million", "new", "been", "also", "or",
    "company", "after", "their", "they", "up", "more", "billion", "than", "two", "last", "over",
    "first", "one", "who", "about", "market", "government", "there", "into", "other", "we",
    "president", "three", "could", "shares", "some", "her", "she", "his", "him", "if", "out", "no",
    "all", "when", "can", "may", "week", "years", "officials", "only", "most", "state", "per",
    "because", "do", "our", "us", "you", "them", "what", "such", "so", "any", "did", "while",
    "under", "against", "between", "through", "during", "before", "down", "since", "now", "next",
    "prices", "bank", "oil", "trade", "stock", "exchange", "interest", "rates", "rate", "dollar",
    "dollars", "economic", "economy", "growth", "official", "minister", "spokesman", "analysts",
    "industry", "sales", "profit", "quarter", "net", "loss", "income", "revenue", "tax", "budget",
    "debt", "foreign", "national", "federal", "international", "world", "country", "countries",
    "people", "police", "military", "security", "war", "talks", "agreement", "deal", "group",
    "business", "financial", "investors", "investment", "fund", "funds", "capital", "corp", "inc",
    "share", "stake", "offer", "bid", "buy", "sell", "sold", "bought", "rose", "fell", "rise",
    "fall", "higher", "lower", "increase", "decline", "report", "reported", "expected", "statement",
    "chairman", "executive", "chief", "director", "board", "court", "law", "bill", "vote",
    "election", "party", "leader", "leaders", "union", "workers", "jobs", "production", "output",
    "crude", "gas", "energy", "exports", "imports", "four", "five", "six", "seven", "eight", "nine",
    "ten", "hundred", "thousand", "dozen", "price", "public", "major", "early", "late", "time",
    "day", "days", "month", "months", "today", "yesterday", "told", "says", "say", "added",
    "announced", "according", "including", "expects", "plan", "plans", "program", "policy",
    "system", "service", "services", "issue", "issues", "news", "agency", "office", "members",
    "member", "house", "city", "area", "region", "water", "food", "health", "care", "hospital",
    "school", "students", "children", "women", "men", "family", "home", "life", "death", "killed",
    "attack", "forces", "troops", "army", "peace", "crisis", "support", "opposition", "power",
    "control", "case", "trial", "charges", "judge", "lawyers", "prison", "investigation", "dlrs",
    "tonnes", "barrels", "cents", "points", "index", "bonds", "bond", "yield", "futures",
    "contracts", "banks", "loans", "credit", "currency", "inflation", "unemployment", "demand",
    "supply", "costs", "cost", "earnings", "dividend", "firm", "firms", "companies", "markets",
    "trading", "traders", "economists", "central", "reserve", "treasury", "secretary", "senator",
    "governor", "mayor", "council", "committee", "commission", "department", "ministry",
    "administration", "parliament", "republic", "democratic", "political", "social", "general",
    "high", "low", "long", "short", "big", "small", "good", "strong", "weak", "recent", "current",
    "former", "final", "second", "third", "half", "end", "part", "level", "number", "total",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "June", "July", "August", "September", "October",
    "November", "December",                          /* May is "may", capitalised in datelines */
    "Japan", "China", "Britain", "France", "Germany", "Canada", "Mexico", "Brazil", "Russia",
    "India", "Europe", "European", "American", "Japanese", "Chinese", "British", "French",
    "German", "Congress", "Senate",
    "Washington", "York", "London", "Tokyo", "Paris", "Frankfurt", "Hong", "Kong", "Singapore",
    "Sydney", "Toronto", "Brussels", "Zurich", "Moscow", "Beijing", "Chicago", "Houston", "Los",
    "Angeles", "San", "Francisco", "Geneva", "Madrid", "Rome", "Seoul", "Ottawa", "Berlin",
    "Milan", "Dubai", "Cairo", "Mumbai", "Bangkok", "Jakarta", "Manila", "Johannesburg", "Boston",
    "Dallas", "Atlanta", "Miami", "Detroit",
};
#define NCORE ((uint32_t)(sizeof CORE / sizeof *CORE))

/* Datelines: "NEW YORK, March 3 - ". Every word is a CORE word, so a dateline adds no rank
 * that the counts miss. */
static const char *const CITY[] = {
    "New York", "Washington", "London", "Tokyo", "Paris", "Frankfurt", "Hong Kong", "Singapore",
    "Sydney", "Toronto", "Brussels", "Zurich", "Moscow", "Beijing", "Chicago", "Houston",
    "Los Angeles", "San Francisco", "Geneva", "Madrid", "Rome", "Seoul", "Ottawa", "Berlin",
    "Milan", "Dubai", "Cairo", "Mumbai", "Bangkok", "Jakarta", "Manila", "Johannesburg", "Boston",
    "Dallas", "Atlanta", "Miami", "Detroit" };
#define NCITY ((uint32_t)(sizeof CITY / sizeof *CITY))
static const char *const MONTH[12] = { "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December" };
static const uint8_t MONTH_DAYS[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
/* Words that follow a number: after small ones ("5.2 percent"; repeats weight "percent") and
 * after thousands ("1,750 tonnes"). */
static const char *const UNIT[12] = { "percent", "percent", "percent", "million", "billion", "dlrs",
    "points", "cents", "tonnes", "shares", "dlrs", "barrels" };
#define UNIT_SMALL 8u                   /* UNIT[0..8) follow small numbers, UNIT[8..12) thousands */

/* Pseudo-words are syllables: [onset] nucleus (onset nucleus)* [coda]. Onsets and codas use
 * consonants only and nuclei vowels only, so a spelling splits into letter runs in one way: the
 * vowel runs are the nuclei, the consonant run before a nucleus is its onset, and a trailing
 * consonant run is the coda. So distinct digit strings give distinct words (no two entries of a
 * table are equal), across syllable counts too. 'x' appears in no table: spell() appends it to
 * the few pseudo-words that would equal a CORE word, which puts them outside this scheme and
 * keeps them apart from each other. The longest word: onset 2 + 3 x nucleus 2 + 2 x onset 2 +
 * coda 2 = 14 letters; the shortest is onset + nucleus = 2. */
static const char *const ONSET[] = { "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p",
    "r", "s", "t", "v", "w", "z", "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl",
    "pr", "sh", "sk", "sl", "sp", "st", "th", "tr", "wh" };
static const char *const NUCLEUS[] = { "a", "e", "i", "o", "u", "ai", "au", "ea", "ee", "ie", "io",
    "oa", "oo", "ou", "ue" };
static const char *const CODA[] = { "", "n", "r", "s", "t", "l", "m", "d", "k", "nd", "nt", "rd",
    "rn", "rs", "st", "ng", "ck", "ll", "ss", "th" };
#define NONSET ((uint64_t)(sizeof ONSET / sizeof *ONSET))        /* 38 */
#define NNUC ((uint64_t)(sizeof NUCLEUS / sizeof *NUCLEUS))      /* 15 */
#define NCODA ((uint64_t)(sizeof CODA / sizeof *CODA))           /* 20, "" included */

/* Syllable count by pseudo-word index (rank - NCORE - 1): frequent words are short, as in real
 * text. One syllable always has an onset: 38 * 15 * 20 = 11,400 words. Two syllables (first
 * onset optional): 39 * 15 * 38 * 15 * 20 = 6,669,000 spellings, of which the first 2^19 - 11,400
 * indexes use a scattered subset; three syllables: 39 * 15 * 570^2 * 20 = 3.8e9 spellings, more
 * than RANK_MAX. */
#define SYL1_WORDS (NONSET * NNUC * NCODA)
#define SYL2_END (1u << 19)
#define SYL2_SPACE ((NONSET + 1) * NNUC * NONSET * NNUC * NCODA)
#define SYL3_SPACE ((NONSET + 1) * NNUC * NONSET * NNUC * NONSET * NNUC * NCODA)
/* spell() scatters each band over 2^14, 2^24 and 2^32 values (scatter()'s h = 7, 12, 16). */
_Static_assert(SYL1_WORDS <= (1u << 14) && SYL2_SPACE <= (1u << 24) && SYL3_SPACE <= (1ull << 32),
               "a syllable band outgrew its scatter() domain");
_Static_assert(SYL2_END - SYL1_WORDS <= SYL2_SPACE, "two-syllable band too small");

/* 2^28 = 268M ranks (spelled in 14 letters at most, since SYL3_SPACE > 2^28). The background law
 * puts 3.3e-5 of its mass beyond: a 20 GB collection (3.5e9 tokens, 73% of them background
 * draws, 4.6M distinct words) would draw about 8e4 words there, so the cap, which folds that
 * mass back below, costs it under 2% of its vocabulary (bench/gencorpus.md). */
#define RANK_BITS 28
#define RANK_MAX (1u << RANK_BITS)
_Static_assert(RANK_MAX - SYL2_END <= SYL3_SPACE, "more ranks than three-syllable spellings");

/* One word as 16 bytes, copied whole into the output (which keeps 16 bytes of slack) and then
 * advanced by len: no per-word length-dependent copy. */
struct word { char s[15]; uint8_t len; };
_Static_assert(sizeof(struct word) == 16, "struct word must be 16 bytes");

/* Ranks 1..WORD_CACHE are spelled once at start (2^18 x 16 bytes = 4 MB); they carry about 99.5%
 * of the tokens. Rarer ranks are spelled when drawn. */
#define WORD_CACHE (1u << 18)

/* The few-hundred CORE words in an open-addressing set (lower case), for spell()'s clash check. */
#define CORE_SET 1024
_Static_assert(CORE_SET >= 2 * (sizeof CORE / sizeof *CORE), "CORE_SET must stay at most half full");

/* ------------------------------------------------------------------ model constants */

/* Background Zipf: weight W / (r + q) up to rank K = ZIPF_KNEE, and W / (r + q) * ((K + q) /
 * (r + q))^(3/4) beyond, which meet at the knee: exponent 1, then 7/4. The 3/4 power is two
 * integer square roots (isqrt64), so no libm. q = 1/4 (ZIPF_Q4 = 4q keeps it in integers) flattens
 * the very top a little. With these values the background alone gives "the" 8% of its draws, the
 * top 100 ranks 49%, the top 1000 72% (mixed with the documents' topic and focus words: 5.5%,
 * 37% and 63%, against 5.5-6%, 45% and 72-76% in Reuters-21578 and BBC News);
 * the 7/4 tail makes the vocabulary grow as n^(1/1.75) = n^0.57, and K sets its size: about a
 * million distinct words by 1 GB (bench/gencorpus.md). The total weight is about
 * W * (ln(4096 / 1.25) + 0.58 + 1/0.75) = 10 W = 1.3e9 < 2^32, as alias_build() needs. */
#define ZIPF_W (1u << 27)
#define ZIPF_Q4 1u
#define ZIPF_KNEE 4096u
/* Ranks up to ZIPF_EXACT have an alias slot each (16K x 8 bytes = 128 KB, in L2). Beyond, a slot
 * covers a bucket [lo, lo + lo/32), picked uniformly inside: across a bucket the r^-1.75 weight
 * varies by (33/32)^1.75 - 1 = 5.5%, and about 315 buckets reach RANK_MAX. */
#define ZIPF_EXACT 16384u
#define ZIPF_BUCKET_SHIFT 5

/* Topics: NTOPIC lists of 50-200 words, popularity W / (t + 10). Topic words are log-uniform over
 * ranks [64, 2^18): from common news words to rare ones, which a topic then makes frequent in its
 * documents. Word i of a list has weight 1 / (i + 3), over the first TOPIC_MAX_WORDS. */
#define NTOPIC 2048u
#define TOPIC_MIN_WORDS 50u
#define TOPIC_MAX_WORDS 200u
#define TOPIC_LOG_LO 64u          /* 2^6 */
#define TOPIC_LOG_STEPS (12u * 16) /* log2(2^18 / 2^6) = 12 octaves in 1/16 steps */

/* Ranks up to CACHE_MIN_RANK (function words, "said", "percent") are everywhere already; the
 * document cache only re-uses rarer words. A document has at most ~4,500 tokens (DOC_MAX_BYTES). */
#define CACHE_MIN_RANK 50u
#define DOC_CACHE_MAX 8192u
/* Each document has 2-8 focus words. */
#define DOC_FOCUS_MIN 2u
#define DOC_FOCUS_MAX 8u

/* Shares of a document's body tokens (thresholds on a 32-bit draw): re-use 4-10%, focus words
 * 3-9%, topic words 8-20%; the rest, 61-85%, are background Zipf draws. */
#define P32(pct) ((uint32_t)((uint64_t)(pct) * 0xffffffffu / 100))

/* Document shape. Length in words is log-normal: 400 * 2^(Z * 14/16) with Z ~ N(0, 1) from the
 * sum of 12 uniforms (Irwin-Hall), i.e. median 400 and sigma = 0.875 * ln 2 = 0.61 in ln units,
 * mean 400 * e^(0.61^2 / 2) = 482. Clamped to 400 * 2^(-48/16) = 50 .. 400 * 2^(52/16) = 3805. */
#define DOC_MEDIAN_WORDS 400u
#define DOC_SIGMA_16THS 14
#define DOC_K_MIN (-48)
#define DOC_K_MAX 52
/* ~21 words a sentence, ~2.2 sentences a paragraph: 46 words a paragraph, clamped to 3..20. */
#define PARA_WORDS 46u
#define SENT_WORDS 21u
#define SENT_MIN 5u
#define SENT_MAX 35u

/* Upper bound on one document's bytes, checked after each: at most 20 paragraphs x 6 sentences
 * x (35 words + 3 for a quote's "said First Last") + 12 headline + 4 dateline = 4,576 words of
 * at most 15 letters + 1 separator + 1 comma, plus per sentence 4 quote and 2 punctuation bytes,
 * per paragraph 16 bytes of markup and 200 bytes of document markup: 4,576 * 17 + 120 * 6 +
 * 20 * 16 + 200 = 79,032 < 96 KB. */
#define DOC_MAX_BYTES (96u * 1024)
/* The output buffer holds many documents and is written in one write(2) when it passes
 * FLUSH_AT; DOC_MAX_BYTES + 16 bytes of slack always stay free for the next document. */
#define OUT_CAP (8u << 20)
#define FLUSH_AT (OUT_CAP - DOC_MAX_BYTES - 64)

/* TREC text lines wrap after this column, like newswire sources. */
#define WRAP_COL 72

/* Numbers get their own key space for the distinct-term count: year 1900..2029, integer
 * 0..999, one decimal 0.0..99.9, two decimals 0.00..99.99, thousands 1,000..999,999. */
#define NUM_YEAR 0u
#define NUM_INT (NUM_YEAR + 130u)
#define NUM_DEC1 (NUM_INT + 1000u)
#define NUM_DEC2 (NUM_DEC1 + 1000u)
#define NUM_THOU (NUM_DEC2 + 10000u)
#define NUM_KEYS (NUM_THOU + 999000u)

/* ------------------------------------------------------------------ generator state */

struct gen {
    int json;
    struct word *words;                /* [0..WORD_CACHE], index = rank */
    struct word tmp;                   /* spelling of a rank beyond the cache */
    uint32_t core_set[CORE_SET];       /* CORE index + 1, 0 = empty */
    struct alias zipf;                 /* slots 0..ZIPF_EXACT-1: rank = slot + 1; then buckets */
    uint32_t *tail_lo, *tail_w;        /* bucket b covers [tail_lo[b], tail_lo[b] + tail_w[b]) */
    struct alias topic_pop, topic_pick;
    uint32_t *topic_words[NTOPIC];     /* built on first use */
    uint32_t topic_n[NTOPIC];
    uint32_t city[NCITY][2], month[12], unit[12], said;
    uint64_t *seen_rank, *seen_num;    /* bitmaps, only with --stats */
    uint64_t tokens;
};

/* Where a document's next word comes from, as cumulative thresholds on a 32-bit draw: below
 * rep a word it already used, below foc one of its focus words, below top one of its topics'
 * words, else the background Zipf law. */
struct share { uint32_t rep, foc, top; };

struct doc {
    struct rng r;
    uint32_t topic[3], ntopic;
    uint32_t focus[DOC_FOCUS_MAX], nfocus;
    struct share body, head;
    uint32_t ncache;
    char *line;                        /* TREC: where the current output line starts */
    uint32_t cache[DOC_CACHE_MAX];
};

static uint32_t hash_str(const char *s, size_t n)
{
    uint32_t h = 2166136261u;          /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)(s[i] | 0x20)) * 16777619u;
    return h;
}

static int same_folded(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) if (b[i] == '\0' || (a[i] | 0x20) != (b[i] | 0x20)) return 0;
    return b[n] == '\0';
}

/* CORE index + 1 of s[0..n) ignoring case, or 0. */
static uint32_t core_find(const struct gen *g, const char *s, size_t n)
{
    for (uint32_t h = hash_str(s, n) & (CORE_SET - 1);; h = (h + 1) & (CORE_SET - 1)) {
        uint32_t v = g->core_set[h];
        if (v == 0 || same_folded(s, CORE[v - 1], n)) return v;
    }
}

/* A bijection on [0, 2^(2h)): four Feistel rounds keyed by `key`. Cycle-walking it below
 * `space` gives a bijection on [0, space), so pseudo-word indexes land scattered over their
 * spelling space (not "ba", "bab", "bac"...) and still never share a spelling. */
static uint64_t scatter(uint64_t v, uint64_t space, unsigned h, uint64_t key)
{
    uint64_t mask = (1ull << h) - 1;
    do {
        uint64_t l = v >> h, r = v & mask;
        for (uint64_t i = 0; i < 4; i++) {
            uint64_t t = l ^ (mix64(r ^ key ^ (i << 60)) & mask);
            l = r; r = t;
        }
        v = (l << h) | r;
    } while (v >= space);
    return v;
}

static char *put_str(char *p, const char *s) { while (*s) *p++ = *s++; return p; }

/* The spelling of pseudo-word `rank` (> NCORE) into w. */
static void spell(const struct gen *g, uint32_t rank, struct word *w)
{
    uint64_t x = rank - NCORE - 1, v;
    char buf[32], *p = buf;
    unsigned syl;
    if (x < SYL1_WORDS) { syl = 1; v = scatter(x, SYL1_WORDS, 7, 0x1111); }
    else if (x < SYL2_END) { syl = 2; v = scatter(x - SYL1_WORDS, SYL2_SPACE, 12, 0x2222); }
    else { syl = 3; v = scatter(x - SYL2_END, SYL3_SPACE, 16, 0x3333); }
    /* Mixed radix: first onset (optional unless one syllable), then nucleus, (onset, nucleus)
     * per further syllable, coda. */
    if (syl == 1) { p = put_str(p, ONSET[v % NONSET]); v /= NONSET; }
    else { uint64_t o = v % (NONSET + 1); v /= NONSET + 1; if (o) p = put_str(p, ONSET[o - 1]); }
    p = put_str(p, NUCLEUS[v % NNUC]); v /= NNUC;
    for (unsigned i = 1; i < syl; i++) {
        p = put_str(p, ONSET[v % NONSET]); v /= NONSET;
        p = put_str(p, NUCLEUS[v % NNUC]); v /= NNUC;
    }
    p = put_str(p, CODA[v % NCODA]);
    if (core_find(g, buf, (size_t)(p - buf))) *p++ = 'x';
    /* One pseudo-word in four is a name and keeps its capital everywhere. */
    if ((mix64(rank ^ 0x4e414d45u) & 3) == 0) buf[0] = (char)(buf[0] - 32);
    memset(w, 0, sizeof *w);
    memcpy(w->s, buf, (size_t)(p - buf));
    w->len = (uint8_t)(p - buf);
}

/* floor(sqrt(n)), bit by bit: exact, so the same on every machine. */
static uint64_t isqrt64(uint64_t n)
{
    uint64_t root = 0, bit = 1ull << 62;
    while (bit > n) bit >>= 2;
    for (; bit; bit >>= 2) {
        if (n >= root + bit) { n -= root + bit; root = (root >> 1) + bit; }
        else root >>= 1;
    }
    return root;
}

/* The background weight of rank r (see ZIPF_KNEE) times 2^32, from x4 = 4 (r + q) = 4r + ZIPF_Q4:
 * 4W / x4 at the head, times f^(3/4) with f = k4 / x4 < 1 in the tail, where f^(3/4) =
 * sqrt(f) * sqrt(sqrt(f)) in 32.32 fixed point. f >= 2^14 / 2^30 keeps 16 significant bits. */
static uint64_t zipf_weight(uint64_t x4)
{
    const uint64_t k4 = 4 * (uint64_t)ZIPF_KNEE + ZIPF_Q4, w4 = 4 * (uint64_t)ZIPF_W;   /* w4 = 2^29 */
    if (x4 <= k4) return (w4 << 32) / x4;
    uint64_t f = (k4 << 32) / x4;                       /* < 2^32 */
    uint64_t s = isqrt64(f << 32), t = isqrt64(s << 32); /* f^(1/2), f^(1/4): < 2^32 */
    uint64_t f34 = (s * t) >> 32;
    return (w4 * f34) / x4;                             /* < 2^29 * 2^32 / x4 */
}

static int gen_init(struct gen *g, int json, int stats)
{
    memset(g, 0, sizeof *g);
    g->json = json;
    for (uint32_t i = 0; i < NCORE; i++) {
        size_t n = strlen(CORE[i]);
        if (n < 1 || n > 14 || core_find(g, CORE[i], n)) return -1;   /* bad or duplicate word */
        uint32_t h = hash_str(CORE[i], n) & (CORE_SET - 1);
        while (g->core_set[h]) h = (h + 1) & (CORE_SET - 1);
        g->core_set[h] = i + 1;
    }
    /* spell()'s 'x' escape stays unique only if no CORE word is another CORE word + "x". */
    for (uint32_t i = 0; i < NCORE; i++) {
        size_t n = strlen(CORE[i]);
        if (n > 1 && (CORE[i][n - 1] | 0x20) == 'x' && core_find(g, CORE[i], n - 1)) return -1;
    }
    g->words = malloc((size_t)(WORD_CACHE + 1) * sizeof *g->words);
    if (!g->words) return -1;
    memset(&g->words[0], 0, sizeof g->words[0]);
    for (uint32_t r = 1; r <= WORD_CACHE; r++) {
        struct word *w = &g->words[r];
        if (r <= NCORE) {
            memset(w, 0, sizeof *w);
            w->len = (uint8_t)strlen(CORE[r - 1]);
            memcpy(w->s, CORE[r - 1], w->len);
        } else {
            spell(g, r, w);
        }
    }

    /* Zipf slots: exact ranks, then geometric buckets up to RANK_MAX. */
    uint32_t nb = 0;
    for (uint64_t lo = ZIPF_EXACT + 1; lo <= RANK_MAX; lo += (lo >> ZIPF_BUCKET_SHIFT)) nb++;
    uint32_t n = ZIPF_EXACT + nb;
    uint64_t *mass = malloc((size_t)n * sizeof *mass);
    g->tail_lo = malloc((size_t)nb * sizeof *g->tail_lo);
    g->tail_w = malloc((size_t)nb * sizeof *g->tail_w);
    if (!mass || !g->tail_lo || !g->tail_w) { free(mass); return -1; }
    for (uint32_t r = 1; r <= ZIPF_EXACT; r++) mass[r - 1] = zipf_weight(4 * (uint64_t)r + ZIPF_Q4) >> 32;
    uint32_t b = 0;
    for (uint64_t lo = ZIPF_EXACT + 1; lo <= RANK_MAX; lo += (lo >> ZIPF_BUCKET_SHIFT), b++) {
        uint64_t hi = lo + (lo >> ZIPF_BUCKET_SHIFT);
        if (hi > (uint64_t)RANK_MAX + 1) hi = (uint64_t)RANK_MAX + 1;
        g->tail_lo[b] = (uint32_t)lo;
        g->tail_w[b] = (uint32_t)(hi - lo);
        /* Midpoint rule: width * weight((lo + hi - 1) / 2), off by at most s (s + 1) / 24 *
         * (width / lo)^2 = 0.2 / 32^2 = 2e-4 for s = 7/4. The weight is below 2^61 / x4 and the
         * width below x4 / 128, so (weight >> 11) * width < 2^43. */
        mass[ZIPF_EXACT + b] = ((zipf_weight(2 * (lo + hi - 1) + ZIPF_Q4) >> 11) * (hi - lo)) >> 21;
    }
    int rc = alias_build(&g->zipf, mass, n);
    free(mass);
    if (rc) return -1;

    uint64_t tmass[NTOPIC];
    for (uint32_t t = 0; t < NTOPIC; t++) tmass[t] = (1u << 20) / (t + 10);
    if (alias_build(&g->topic_pop, tmass, NTOPIC)) return -1;
    for (uint32_t i = 0; i < TOPIC_MAX_WORDS; i++) tmass[i] = (1u << 20) / (i + 3);
    if (alias_build(&g->topic_pick, tmass, TOPIC_MAX_WORDS)) return -1;

    /* Dateline cities, months, units and "said" by rank. */
    for (uint32_t c = 0; c < NCITY; c++) {
        const char *s = CITY[c], *sp = strchr(s, ' ');
        g->city[c][0] = core_find(g, s, sp ? (size_t)(sp - s) : strlen(s));
        g->city[c][1] = sp ? core_find(g, sp + 1, strlen(sp + 1)) : 0;
        if (!g->city[c][0] || (sp && !g->city[c][1])) return -1;
    }
    for (uint32_t m = 0; m < 12; m++) if (!(g->month[m] = core_find(g, MONTH[m], strlen(MONTH[m])))) return -1;
    for (uint32_t u = 0; u < 12; u++) if (!(g->unit[u] = core_find(g, UNIT[u], strlen(UNIT[u])))) return -1;
    if (!(g->said = core_find(g, "said", 4))) return -1;

    if (stats) {
        g->seen_rank = calloc((RANK_MAX >> 6) + 1, sizeof *g->seen_rank);
        g->seen_num = calloc((NUM_KEYS >> 6) + 1, sizeof *g->seen_num);
        if (!g->seen_rank || !g->seen_num) return -1;
    }
    return 0;
}

static void gen_free(struct gen *g)
{
    free(g->words); free(g->zipf.slot); free(g->tail_lo); free(g->tail_w);
    free(g->topic_pop.slot); free(g->topic_pick.slot);
    for (uint32_t t = 0; t < NTOPIC; t++) free(g->topic_words[t]);
    free(g->seen_rank); free(g->seen_num);
}

/* Topic t's word list, from a stream of its own: the same for every seed and every document. */
static int topic_build(struct gen *g, uint32_t t)
{
    struct rng r;
    rng_seed(&r, 0x746f706963u, t);
    uint32_t n = TOPIC_MIN_WORDS + rng_below(&r, TOPIC_MAX_WORDS - TOPIC_MIN_WORDS + 1);
    uint32_t *w = malloc(n * sizeof *w);
    if (!w) return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = rng_below(&r, TOPIC_LOG_STEPS);
        uint64_t lo = exp2_16(TOPIC_LOG_LO, k), hi = exp2_16(TOPIC_LOG_LO, k + 1);
        w[i] = (uint32_t)(lo + rng_below(&r, (uint32_t)(hi - lo)));
    }
    g->topic_words[t] = w;
    g->topic_n[t] = n;
    return 0;
}

/* ------------------------------------------------------------------ tokens */

static inline uint32_t zipf_rank(const struct gen *g, struct rng *r)
{
    uint32_t b = alias_pick(&g->zipf, rng_next(r));
    if (b < ZIPF_EXACT) return b + 1;
    b -= ZIPF_EXACT;
    return g->tail_lo[b] + rng_below(r, g->tail_w[b]);
}

/* Which of the document's topics: with 2 topics 4:2, with 3 topics 3:2:1 (draws of 6). */
static const uint8_t TOPIC_SHARE[3][6] = { { 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 1, 1 }, { 0, 0, 0, 1, 1, 2 } };

static inline uint32_t topic_word(const struct gen *g, struct doc *d, uint32_t x)
{
    uint32_t t = d->topic[TOPIC_SHARE[d->ntopic - 1][below32(x, 6)]];
    uint32_t i = alias_pick(&g->topic_pick, rng_next(&d->r));
    if (i >= g->topic_n[t]) i %= g->topic_n[t];
    return g->topic_words[t][i];
}

/* The next word of the document, from the source its shares pick. */
static inline uint32_t pick_rank(const struct gen *g, struct doc *d, const struct share *s)
{
    uint64_t x = rng_next(&d->r);
    uint32_t u = (uint32_t)x, rank;
    if (u < s->rep && d->ncache > 0) rank = d->cache[below32((uint32_t)(x >> 32), d->ncache)];
    else if (u < s->foc) rank = d->focus[below32((uint32_t)(x >> 32), d->nfocus)];
    else if (u < s->top) rank = topic_word(g, d, (uint32_t)(x >> 32));
    else rank = zipf_rank(g, &d->r);
    if (rank > CACHE_MIN_RANK && d->ncache < DOC_CACHE_MAX) d->cache[d->ncache++] = rank;
    return rank;
}

enum { AS_IS, CAP_FIRST, ALL_CAPS };

static inline char *put_word(struct gen *g, char *p, uint32_t rank, int caps)
{
    const struct word *w;
    if (rank <= WORD_CACHE) w = &g->words[rank];
    else { spell(g, rank, &g->tmp); w = &g->tmp; }
    memcpy(p, w, sizeof *w);
    if (caps == CAP_FIRST) { if (p[0] >= 'a' && p[0] <= 'z') p[0] = (char)(p[0] - 32); }
    else if (caps == ALL_CAPS) { for (int i = 0; i < w->len; i++) if (p[i] >= 'a' && p[i] <= 'z') p[i] = (char)(p[i] - 32); }
    if (g->seen_rank) g->seen_rank[rank >> 6] |= 1ull << (rank & 63);
    g->tokens++;
    return p + w->len;
}

static char *put_uint(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static char *put_frac(char *p, uint32_t v, uint32_t digits)
{
    uint32_t scale = digits == 1 ? 10 : digits == 2 ? 100 : 1000;
    p = put_uint(p, v / scale);
    *p++ = digits == 3 ? ',' : '.';
    v %= scale;
    if (digits >= 3) *p++ = (char)('0' + v / 100);
    if (digits >= 2) *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

/* Counts a number token and, with --stats, its value. */
static inline void note_number(struct gen *g, uint32_t key)
{
    if (g->seen_num) g->seen_num[key >> 6] |= 1ull << (key & 63);
    g->tokens++;
}

/* Number kinds, out of 20 draws: 4 years, 5 integers, 4 one-decimal, 3 two-decimal, 4 thousands.
 * All but years may take a unit word. */
#define NUM_KINDS 20u
#define NUM_KIND_YEARS 4u
#define NUM_KIND_THOUSANDS 16u

/* A number of the given kind: "1987", "12", "5.2", "5.93", "1,750". Small values are likelier
 * (a uniform below a uniform). */
static char *number(struct gen *g, struct doc *d, char *p, uint32_t kind)
{
    struct rng *r = &d->r;
    uint32_t v, key;
    if (kind < NUM_KIND_YEARS) {        /* recent years likelier: 2025 - (0..63)^2 / 64 */
        uint32_t a = rng_below(r, 64), b = rng_below(r, 64);
        v = 2025 - a * b / 64;
        p = put_uint(p, v); key = NUM_YEAR + v - 1900;
    } else if (kind < 9) {
        v = rng_below(r, 1 + rng_below(r, 1000));
        p = put_uint(p, v); key = NUM_INT + v;
    } else if (kind < 13) {
        v = rng_below(r, 1 + rng_below(r, 1000));
        p = put_frac(p, v, 1); key = NUM_DEC1 + v;
    } else if (kind < 16) {
        v = rng_below(r, 1 + rng_below(r, 10000));
        p = put_frac(p, v, 2); key = NUM_DEC2 + v;
    } else {                            /* NUM_KIND_THOUSANDS.., half of them round: "1,750" */
        v = 1000 + rng_below(r, 1 + rng_below(r, 999000));
        if (rng_below(r, 2)) v -= v % 50;
        if (v < 1000) v = 1000;
        p = put_frac(p, v, 3); key = NUM_THOU + v - 1000;
    }
    note_number(g, key);
    return p;
}

/* Word separator: TREC wraps lines past WRAP_COL; JSONL paragraphs are one line. */
static inline char *sep(const struct gen *g, struct doc *d, char *p)
{
    if (!g->json && p - d->line >= WRAP_COL) { *p++ = '\n'; d->line = p; }
    else *p++ = ' ';
    return p;
}

/* The only character JSON needs escaped in our text: it holds letters, digits, space and
 * , . - " alone, and paragraph breaks, which gen_doc() writes as \n\n itself. */
static char *put_quote(const struct gen *g, char *p)
{
    if (g->json) *p++ = '\\';
    *p++ = '"';
    return p;
}

/* One sentence of n <= SENT_MAX words: first word capitalised, a comma after about one word in
 * 16, a number in about one slot in 40, followed by a unit word half the time ("5.2 percent").
 * A quoted sentence ends ,"  said First [Last]. */
static char *sentence(struct gen *g, struct doc *d, char *p, uint32_t n, int quoted)
{
    uint32_t tok[SENT_MAX];             /* rank, or 0 for a number of kind[i] */
    uint8_t kind[SENT_MAX];
    uint64_t commas = 0;
    /* First pick every word and prefetch its spelling: the emit loop below then finds the 4 MB
     * word table in cache instead of waiting on one miss after another (10% faster overall). */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = rng_next(&d->r);
        if (i + 1 < n && (x >> 60) == 0) commas |= 1ull << i;
        if (i > 0 && below32((uint32_t)x, 40) == 0) {
            uint32_t k = rng_below(&d->r, NUM_KINDS);
            tok[i] = 0;
            kind[i] = (uint8_t)k;
            if (k >= NUM_KIND_YEARS && i + 1 < n && rng_below(&d->r, 2)) {
                commas &= ~(1ull << i);
                tok[++i] = k < NUM_KIND_THOUSANDS ? g->unit[rng_below(&d->r, UNIT_SMALL)]
                                                  : g->unit[UNIT_SMALL + rng_below(&d->r, 12 - UNIT_SMALL)];
            }
        } else {
            tok[i] = pick_rank(g, d, &d->body);
            if (tok[i] <= WORD_CACHE) __builtin_prefetch(&g->words[tok[i]]);
        }
    }
    if (quoted) p = put_quote(g, p);
    for (uint32_t i = 0; i < n; i++) {
        if (i) p = sep(g, d, p);
        if (tok[i]) p = put_word(g, p, tok[i], i == 0 ? CAP_FIRST : AS_IS);
        else p = number(g, d, p, kind[i]);
        if (commas >> i & 1) *p++ = ',';
    }
    if (quoted) {
        *p++ = ',';
        p = put_quote(g, p);
        p = sep(g, d, p);
        p = put_word(g, p, g->said, AS_IS);
        for (uint32_t k = 1 + rng_below(&d->r, 2); k > 0; k--) {
            uint32_t rank;
            do rank = zipf_rank(g, &d->r); while (rank <= NCORE);
            p = sep(g, d, p);
            p = put_word(g, p, rank, CAP_FIRST);
        }
    }
    *p++ = '.';
    return p;
}

static char *put_docno(char *p, uint64_t docno)
{
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + docno % 10); docno /= 10; } while (docno);
    p = put_str(p, "GEN-");
    for (int z = n; z < 9; z++) *p++ = '0';
    while (n) *p++ = tmp[--n];
    return p;
}

/* Words in the document body: log-normal around DOC_MEDIAN_WORDS, see its comment. */
static uint32_t doc_words(struct rng *r)
{
    int64_t s = 0;                     /* sum of 12 uniforms in 1/65536ths */
    for (int i = 0; i < 3; i++) {
        uint64_t x = rng_next(r);
        for (int j = 0; j < 4; j++) s += (int64_t)((x >> (16 * j)) & 0xffff);
    }
    s -= 6 * 65536;                    /* Z * 65536, |Z| <= 6 */
    /* k = round(Z * 14): the offset of 128 * 65536 keeps the shifted value non-negative. */
    int k = (int)((s * DOC_SIGMA_16THS + 128 * 65536 + 32768) >> 16) - 128;
    if (k < DOC_K_MIN) k = DOC_K_MIN;
    if (k > DOC_K_MAX) k = DOC_K_MAX;
    return (uint32_t)(exp2_16(DOC_MEDIAN_WORDS, (unsigned)(k + 64)) >> 4);
}

static uint32_t clamp32(uint32_t v, uint32_t lo, uint32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Document `docno` (from 1) at p; returns the end. */
static char *gen_doc(struct gen *g, struct doc *d, uint64_t seed, uint64_t docno, char *p)
{
    struct rng *r = &d->r;
    rng_seed(r, seed, docno);
    d->ncache = 0;
    /* 1 topic in 2 documents, 2 in 3 of 10, 3 in 1 of 5. */
    uint32_t nt = rng_below(r, 10);
    d->ntopic = nt < 5 ? 1 : nt < 8 ? 2 : 3;
    for (uint32_t i = 0; i < d->ntopic; i++) {
        uint32_t t = alias_pick(&g->topic_pop, rng_next(r));
        if (!g->topic_words[t] && topic_build(g, t)) return NULL;
        d->topic[i] = t;
    }
    /* Focus words: what this story is about (a company, a place, a product), drawn from the
     * background law without its top ranks. With the re-use cache they make a word seen once in
     * a document likely to come again, about as often as in Reuters-21578 and BBC News. */
    d->nfocus = DOC_FOCUS_MIN + rng_below(r, DOC_FOCUS_MAX - DOC_FOCUS_MIN + 1);
    for (uint32_t i = 0; i < d->nfocus; i++) {
        uint32_t rank;
        do rank = zipf_rank(g, r); while (rank <= CACHE_MIN_RANK);
        d->focus[i] = rank;
    }
    d->body.rep = P32(4) + rng_below(r, P32(6));
    d->body.foc = d->body.rep + P32(3) + rng_below(r, P32(6));
    d->body.top = d->body.foc + P32(8) + rng_below(r, P32(12));
    /* Headlines: a third focus words, a third topic words, a third background. */
    d->head = (struct share){ 0, P32(33), P32(67) };

    if (g->json) { p = put_str(p, "{\"id\":\""); p = put_docno(p, docno); p = put_str(p, "\",\"title\":\""); }
    else { p = put_str(p, "<DOC>\n<DOCNO> "); p = put_docno(p, docno); p = put_str(p, " </DOCNO>\n<HEADLINE> "); }
    /* Headline: 4-12 words, each capitalised. */
    uint32_t hw = 4 + rng_below(r, 9);
    for (uint32_t i = 0; i < hw; i++) {
        if (i) *p++ = ' ';
        p = put_word(g, p, pick_rank(g, d, &d->head), CAP_FIRST);
    }
    p = put_str(p, g->json ? "\",\"contents\":\"" : " </HEADLINE>\n<TEXT>\n");

    uint32_t words = doc_words(r);
    uint32_t np = clamp32((words + PARA_WORDS / 2) / PARA_WORDS, 3, 20);
    for (uint32_t j = 0; j < np; j++) {
        if (g->json) { if (j) p = put_str(p, "\\n\\n"); }
        else p = put_str(p, "<P>\n");
        d->line = p;
        if (j == 0) {                   /* dateline: "NEW YORK, March 3 - " */
            const uint32_t *c = g->city[rng_below(r, NCITY)];
            p = put_word(g, p, c[0], ALL_CAPS);
            if (c[1]) { *p++ = ' '; p = put_word(g, p, c[1], ALL_CAPS); }
            p = put_str(p, ", ");
            uint32_t m = rng_below(r, 12), day = 1 + rng_below(r, MONTH_DAYS[m]);
            p = put_word(g, p, g->month[m], CAP_FIRST);
            *p++ = ' ';
            p = put_uint(p, day);
            note_number(g, NUM_INT + day);
            p = put_str(p, " - ");
        }
        /* Paragraph length uniform in [w/2, 3w/2] around its share w of the document. */
        uint32_t pw = words / np;
        pw = pw / 2 + rng_below(r, pw + 1);
        uint32_t ns = clamp32((pw + SENT_WORDS / 2) / SENT_WORDS, 1, 6);
        for (uint32_t k = 0; k < ns; k++) {
            uint32_t sw = pw / ns;
            sw = clamp32(sw * 3 / 4 + rng_below(r, sw / 2 + 1), SENT_MIN, SENT_MAX);
            if (k) p = sep(g, d, p);
            p = sentence(g, d, p, sw, j > 0 && rng_below(r, 8) == 0);
        }
        if (!g->json) p = put_str(p, "\n</P>\n");
    }
    p = put_str(p, g->json ? "\"}\n" : "</TEXT>\n</DOC>\n");
    return p;
}

/* ------------------------------------------------------------------ output */

struct out {
    const char *dir, *ext;
    int fd;                            /* -1: no file open (with -o) */
    uint32_t fileno;                   /* files opened so far */
    uint64_t file_bytes, file_size;
    char path[PATH_MAX];
};

static void set_path(struct out *o, uint32_t n)
{
    snprintf(o->path, sizeof o->path, "%s/gen-%05" PRIu32 ".%s", o->dir, n, o->ext);
}

static int write_all(struct out *o, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(o->fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "vs-gencorpus: error: cannot write '%s': %s\n", o->dir ? o->path : "stdout", strerror(errno));
            return EX_IOERR;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int out_open(struct out *o)
{
    set_path(o, o->fileno);
    o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (o->fd < 0) {
        fprintf(stderr, "vs-gencorpus: error: cannot create '%s': %s\n", o->path, strerror(errno));
        return EX_CANTCREAT;
    }
    o->fileno++;
    o->file_bytes = 0;
    return 0;
}

static int out_close(struct out *o)
{
    if (o->fd >= 0 && close(o->fd) != 0) {
        fprintf(stderr, "vs-gencorpus: error: cannot write '%s': %s\n", o->path, strerror(errno));
        o->fd = -1;
        return EX_IOERR;
    }
    o->fd = -1;
    return 0;
}

/* ------------------------------------------------------------------ command line */

static void help(void)
{
    printf("usage: vs-gencorpus (--size SIZE | --docs N) [--format trec|jsonl] [--seed S]\n"
           "                    [-o DIR [--file-size SIZE]] [--stats]\n\n"
           "Generate a synthetic news-like collection for benchmarks: pseudo-English words with\n"
           "Zipf frequencies, a vocabulary that grows with size (Heaps' law, beta ~ 0.55), topical\n"
           "bursts, headlines, datelines and numbers. The output depends only on the seed and the\n"
           "options: byte-identical on every machine.\n\n"
           "  --size SIZE       stop after about SIZE bytes (whole documents): 100M, 1.5G, 20G\n"
           "                    (K, M, G, T = 2^10, 2^20, 2^30, 2^40)\n"
           "  --docs N          stop after N documents (with --size too: whichever comes first)\n"
           "  --format F        trec (default: <DOC> <DOCNO> <HEADLINE> <TEXT> <P>) or jsonl\n"
           "                    ({\"id\",\"title\",\"contents\"}, paragraphs split by a blank line)\n"
           "  --seed S          any whole number 0..2^64-1 (default 1)\n"
           "  -o, --output DIR  write DIR/gen-00000.trec (or .jsonl), gen-00001... of about\n"
           "                    --file-size each (default 64M); DIR is created if missing, and\n"
           "                    gen-* files of the same format left from a larger earlier run are\n"
           "                    removed. Without -o: standard output\n"
           "  --stats           print docs, bytes, tokens and distinct words and numbers to stderr\n"
           "  -h, --help        this text\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vs-gencorpus: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; try 'vs-gencorpus --help'\n", stderr);
    va_end(ap);
    return EX_USAGE;
}

/* digits[.digits][K|M|G|T][B], case-insensitive, binary multiples; 1 .. 2^50. */
static int parse_size(const char *s, uint64_t *out)
{
    const uint64_t max = 1ull << 50;
    uint64_t whole = 0, frac = 0, fscale = 1, mult = 1;
    const char *p = s;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > max) return -1;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return -1;
        for (; *p >= '0' && *p <= '9'; p++)
            if (fscale < 1000000) { frac = frac * 10 + (uint64_t)(*p - '0'); fscale *= 10; }
    }
    switch (*p) {
    case 'k': case 'K': mult = 1ull << 10; p++; break;
    case 'm': case 'M': mult = 1ull << 20; p++; break;
    case 'g': case 'G': mult = 1ull << 30; p++; break;
    case 't': case 'T': mult = 1ull << 40; p++; break;
    default: break;
    }
    if (*p == 'b' || *p == 'B') p++;
    if (*p != '\0' || whole > max / mult) return -1;
    uint64_t v = whole * mult + frac * mult / fscale;
    if (v < 1 || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (*s < '0' || *s > '9') return -1;          /* strtoull would take "-1" and " 1" */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t popcount_all(const uint64_t *bm, size_t words)
{
    uint64_t n = 0;
    for (size_t i = 0; i < words; i++) n += (uint64_t)__builtin_popcountll(bm[i]);
    return n;
}

/* Removes gen-NNNNN.ext from `from` on while they exist: what an earlier, larger run left. */
static void remove_stale(struct out *o, uint32_t from)
{
    for (uint32_t n = from;; n++) {
        set_path(o, n);
        if (unlink(o->path) != 0) break;
    }
}

static int run(struct gen *g, struct out *o, uint64_t seed, uint64_t max_docs, uint64_t max_bytes,
               uint64_t *docs_out, uint64_t *bytes_out)
{
    char *buf = malloc(OUT_CAP);
    struct doc *d = malloc(sizeof *d);
    if (!buf || !d) { free(buf); free(d); fputs("vs-gencorpus: error: out of memory\n", stderr); return EX_OSERR; }
    size_t len = 0;
    uint64_t docs = 0, bytes = 0;
    int rc = 0;
    while ((!max_docs || docs < max_docs) && (!max_bytes || bytes < max_bytes)) {
        if (o->dir && o->fd < 0 && (rc = out_open(o)) != 0) break;
        char *start = buf + len, *end = gen_doc(g, d, seed, docs + 1, start);
        if (!end) { fputs("vs-gencorpus: error: out of memory\n", stderr); rc = EX_OSERR; break; }
        size_t n = (size_t)(end - start);
        if (n > DOC_MAX_BYTES) {       /* the bound in DOC_MAX_BYTES's comment is wrong */
            fprintf(stderr, "vs-gencorpus: error: document %" PRIu64 " has %zu bytes, over the %u-byte bound\n",
                    docs + 1, n, DOC_MAX_BYTES);
            rc = EX_SOFTWARE;
            break;
        }
        len += n; bytes += n; docs++;
        o->file_bytes += n;
        int rotate = o->dir && o->file_bytes >= o->file_size;
        if (len >= FLUSH_AT || rotate) {
            if ((rc = write_all(o, buf, len)) != 0) break;
            len = 0;
        }
        if (rotate && (rc = out_close(o)) != 0) break;
    }
    if (rc == 0 && len > 0) rc = write_all(o, buf, len);
    if (o->dir) {
        int crc = out_close(o);
        if (rc == 0) rc = crc;
        if (rc == 0) remove_stale(o, o->fileno);
    }
    free(buf);
    free(d);
    *docs_out = docs;
    *bytes_out = bytes;
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "size", required_argument, NULL, 's' },
        { "docs", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 'S' },
        { "output", required_argument, NULL, 'o' }, { "file-size", required_argument, NULL, 'F' },
        { "stats", no_argument, NULL, 'x' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
    uint64_t max_docs = 0, max_bytes = 0, seed = 1, file_size = 64ull << 20;
    int json = 0, stats = 0, c;
    const char *dir = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "trec") == 0) json = 0;
            else if (strcmp(optarg, "jsonl") == 0) json = 1;
            else return usage_error("invalid --format '%s': expected trec or jsonl", optarg);
            break;
        case 's':
            if (parse_size(optarg, &max_bytes))
                return usage_error("invalid --size '%s': expected a size such as 500K, 100M or 1.5G", optarg);
            break;
        case 'n':
            if (parse_u64(optarg, 1, 999999999, &max_docs))
                return usage_error("invalid --docs '%s': expected a whole number from 1 to 999999999", optarg);
            break;
        case 'S':
            if (parse_u64(optarg, 0, UINT64_MAX, &seed))
                return usage_error("invalid --seed '%s': expected a whole number from 0 to 18446744073709551615", optarg);
            break;
        case 'o':
            if (!*optarg) return usage_error("-o needs a directory name");
            dir = optarg;
            break;
        case 'F':
            if (parse_size(optarg, &file_size) || file_size < 4096)
                return usage_error("invalid --file-size '%s': expected a size of at least 4K, such as 64M", optarg);
            break;
        case 'x': stats = 1; break;
        case 'h': help(); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) return usage_error("unknown option '-%c'", optopt);
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    if (!max_docs && !max_bytes) return usage_error("say how much to generate with --size or --docs");

    struct gen *g = malloc(sizeof *g);
    if (!g || gen_init(g, json, stats)) {
        fputs("vs-gencorpus: error: cannot set up the generator (out of memory, or a bad word table)\n", stderr);
        return EX_SOFTWARE;
    }
    struct out o = { .dir = dir, .ext = json ? "jsonl" : "trec", .fd = dir ? -1 : STDOUT_FILENO,
                     .file_size = file_size };
    if (dir && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "vs-gencorpus: error: cannot create directory '%s': %s\n", dir, strerror(errno));
        gen_free(g); free(g);
        return EX_CANTCREAT;
    }
    double t0 = now_sec();
    uint64_t docs, bytes;
    int rc = run(g, &o, seed, max_docs, max_bytes, &docs, &bytes);
    double secs = now_sec() - t0;
    if (stats && rc == 0) {
        uint64_t dw = popcount_all(g->seen_rank, (RANK_MAX >> 6) + 1);
        uint64_t dn = popcount_all(g->seen_num, (NUM_KEYS >> 6) + 1);
        fprintf(stderr, "vs-gencorpus: docs=%" PRIu64 " bytes=%" PRIu64 " tokens=%" PRIu64
                " tokens_per_doc=%.1f distinct_words=%" PRIu64 " distinct_numbers=%" PRIu64
                " distinct_terms=%" PRIu64 " files=%" PRIu32 " seconds=%.2f mb_per_s=%.1f\n",
                docs, bytes, g->tokens, docs ? (double)g->tokens / (double)docs : 0.0, dw, dn, dw + dn,
                dir ? o.fileno : 0, secs, secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
    }
    gen_free(g);
    free(g);
    return rc;
}
