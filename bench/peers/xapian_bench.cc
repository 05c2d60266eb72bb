/* xapian_bench.cc: Xapian 1.4 as a peer engine for bench/peers.sh (build, TREC run, latency).
 *
 *   xapian_bench build [-T TOK] [-s 0|1] DB UNITS.jsonl
 *   xapian_bench run   [-T TOK] [-W WEIGHT] [--k1 X] [--b X] [-k N] [--tag T] DB TOPICS.tsv
 *   xapian_bench lat   [-T TOK] [-W WEIGHT] [--k1 X] [--b X] [-r REPS] [-n NAME] DB QUERIES.tsv
 *
 * TOK (the same at build and query time):
 *   plain   Xapian::TermGenerator, no stemmer (STEM_NONE), no stopper: Xapian's own word
 *           rules, lower-cased, with positions
 *   english TermGenerator with Xapian::Stem("english") (Snowball English = Porter2, as
 *           vsearch) and STEM_ALL: only stemmed terms, no "Z" prefix, with positions
 *   ws      terms split at spaces, added as they are with add_posting (positions 1, 2, ...):
 *           for export_passages -a units and topics, i.e. vsearch's own analysed terms
 * Every document gets its external id in value slot 0 (for run output; values are not counted
 * in document length). -s 1 (default) stores the unit's text as document data; -s 0 does not.
 * Loading: one WritableDatabase (glass, Xapian 1.4's default backend), documents added in
 * order, commit at the end (and every XAPIAN_FLUSH_THRESHOLD documents, Xapian's own setting;
 * bench/peers.sh says which). Prints
 *   peer-build engine=xapian units= text_bytes= load_s= commit_s= peak_rss_mib=
 * (xapian-compact is run by bench/peers.sh, not here.)
 *
 * WEIGHT:
 *   bm25    (default) Xapian::BM25Weight(k1, k2 = 0, k3 = 1e9, b, min_normlen = 0): Xapian's
 *           BM25 with the document-length correction k2 off, the normalised length not floored
 *           (Xapian's default floors it at 0.5), and wqf counted linearly (k3 -> infinity; a word
 *           repeated in the query counts twice, as in vsearch and Lucene). Its idf is Robertson-
 *           Sparck Jones ln((N - n + 0.5) / (n + 0.5)), and when (N - n + 0.5) / (n + 0.5) < 2 Xapian
 *           replaces the ratio r by r / 2 + 1 (so terms in more than ~1/3 of the documents keep a
 *           small positive weight): that is not Lucene's ln(1 + r). The constant factor (k1 + 1)
 *           Xapian multiplies in does not change the ranking.
 *   lucene  a Xapian::Weight subclass here with exactly vsearch's (Lucene 8 / Anserini) BM25:
 *           idf = ln(1 + (N - n + 0.5) / (n + 0.5)), times wqf, times
 *           tf / (tf + k1 (1 - b + b len / avglen)), exact lengths. Not a stock Xapian scheme:
 *           it separates formula differences from engine/tokenisation differences.
 *   run: the topic is tokenized exactly like documents (TermGenerator into a scratch document,
 *        or the space split for ws); the query is OP_OR over its distinct terms, each with wqf =
 *        times it occurs. Top N (default 1000) as a TREC run.
 *   lat: term (one term), and (OP_AND), or (OP_OR), phrase (OP_PHRASE, window 2); the words are
 *        put through the stemmer when TOK is english. Enquire::get_mset(0, k), docids of the
 *        hits collected. Timing protocol in peerbench.h. */
#include <getopt.h>
#include <xapian.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "peerbench.h"

namespace {

/* vsearch's / Lucene 8's BM25 as a Xapian weighting scheme. */
class LuceneBM25 : public Xapian::Weight {
    double k1_, b_;
    double termweight_ = 0, avglen_ = 1;

  public:
    LuceneBM25(double k1, double b) : k1_(k1), b_(b) {
        need_stat(COLLECTION_SIZE);
        need_stat(TERMFREQ);
        need_stat(AVERAGE_LENGTH);
        need_stat(DOC_LENGTH);
        need_stat(DOC_LENGTH_MIN);
        need_stat(WDF);
        need_stat(WDF_MAX);
        need_stat(WQF);
    }
    Xapian::Weight *clone() const override { return new LuceneBM25(k1_, b_); }
    std::string name() const override { return "LuceneBM25"; }
    void init(double factor) override {
        avglen_ = get_average_length();
        if (avglen_ <= 0) avglen_ = 1;
        if (factor == 0.0) { /* the term-independent part: none */
            termweight_ = 0;
            return;
        }
        double N = get_collection_size(), n = get_termfreq();
        termweight_ = std::log(1.0 + (N - n + 0.5) / (n + 0.5)) * get_wqf() * factor;
    }
    double part(double wdf, double len) const {
        if (wdf == 0) return 0;
        return termweight_ * wdf / (wdf + k1_ * (1 - b_ + b_ * len / avglen_));
    }
    double get_sumpart(Xapian::termcount wdf, Xapian::termcount len, Xapian::termcount) const override {
        return part(wdf, len);
    }
    double get_maxpart() const override {
        /* Increasing in wdf, decreasing in length: the bound uses the largest wdf and the
         * smallest length. */
        return part(get_wdf_upper_bound(), get_doclength_lower_bound());
    }
    double get_sumextra(Xapian::termcount, Xapian::termcount) const override { return 0; }
    double get_maxextra() const override { return 0; }
};

struct Opts {
    std::string tok = "plain", weight = "bm25", tag = "xapian", name = "unnamed";
    double k1 = 0.9, b = 0.4;
    int store = 1, reps = 10;
    unsigned k = 1000;
};

void setup_termgen(Xapian::TermGenerator &tg, const Opts &o) {
    if (o.tok == "english") {
        tg.set_stemmer(Xapian::Stem("english"));
        tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
    } else {
        tg.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
    }
}

void ws_postings(Xapian::Document &doc, const char *text) {
    Xapian::termpos pos = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        const char *s = p;
        while (*p && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p > s) doc.add_posting(std::string(s, (size_t)(p - s)), ++pos);
    }
}

int cmd_build(const Opts &o, const char *dbpath, const char *units) {
    FILE *f = std::fopen(units, "r");
    if (!f) pb_die(units, "cannot open");
    uint64_t t0 = pb_now_ns();
    Xapian::WritableDatabase db(dbpath, Xapian::DB_CREATE_OR_OVERWRITE);
    Xapian::TermGenerator tg;
    setup_termgen(tg, o);
    char *line = nullptr;
    size_t cap = 0;
    long len;
    unsigned long long rows = 0, bytes = 0;
    while ((len = pb_getline(f, &line, &cap)) >= 0) {
        if (len == 0) continue;
        char *id, *text;
        size_t il, tl;
        if (pb_parse_unit(line, &id, &il, &text, &tl) != 0) pb_die(units, "bad line");
        Xapian::Document doc;
        if (o.tok == "ws") {
            ws_postings(doc, text);
        } else {
            tg.set_document(doc);
            tg.index_text(std::string(text, tl));
        }
        doc.add_value(0, std::string(id, il));
        if (o.store) doc.set_data(std::string(text, tl));
        db.add_document(doc);
        rows++;
        bytes += tl;
    }
    std::fclose(f);
    std::free(line);
    uint64_t t1 = pb_now_ns();
    db.commit();
    db.close();
    uint64_t t2 = pb_now_ns();
    std::printf("peer-build engine=xapian units=%llu text_bytes=%llu load_s=%.3f commit_s=%.3f peak_rss_mib=%.1f\n",
                rows, bytes, (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9, pb_peak_rss_mib());
    return 0;
}

struct QCtx {
    Xapian::Database db;
    Xapian::Enquire *enq = nullptr;
    Xapian::Stem stem;
    bool stemming = false;
    std::vector<Xapian::docid> ids;
};

Xapian::Weight *make_weight(const Opts &o) {
    if (o.weight == "bm25") return new Xapian::BM25Weight(o.k1, 0, 1e9, o.b, 0);
    if (o.weight == "lucene") return new LuceneBM25(o.k1, o.b);
    pb_die(o.weight.c_str(), "unknown weight (bm25, lucene)");
    return nullptr;
}

/* OP_OR over the analysed terms of a topic (in term order), each with wqf = its count. */
Xapian::Query topic_query(const Opts &o, const char *text) {
    std::map<std::string, Xapian::termcount> wqf;
    if (o.tok == "ws") {
        Xapian::Document doc;
        ws_postings(doc, text);
        for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) wqf[*it] = it.get_wdf();
    } else {
        Xapian::TermGenerator tg;
        setup_termgen(tg, o);
        Xapian::Document doc;
        tg.set_document(doc);
        tg.index_text(text);
        for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) wqf[*it] = it.get_wdf();
    }
    std::vector<Xapian::Query> sub;
    for (auto &kv : wqf) sub.emplace_back(kv.first, kv.second);
    return Xapian::Query(Xapian::Query::OP_OR, sub.begin(), sub.end());
}

int cmd_run(const Opts &o, const char *dbpath, const char *topics) {
    Xapian::Database db(dbpath);
    Xapian::Enquire enq(db);
    Xapian::Weight *w = make_weight(o);
    enq.set_weighting_scheme(*w);
    size_t nt;
    pb_query *t = pb_read_tsv(topics, &nt);
    for (size_t i = 0; i < nt; i++) {
        Xapian::Query q = topic_query(o, t[i].text);
        if (q.empty()) continue;
        enq.set_query(q);
        Xapian::MSet ms = enq.get_mset(0, o.k);
        int rank = 0;
        for (auto it = ms.begin(); it != ms.end(); ++it)
            std::printf("%s Q0 %s %d %.6f %s\n", t[i].key, it.get_document().get_value(0).c_str(), ++rank,
                        it.get_weight(), o.tag.c_str());
    }
    delete w;
    return 0;
}

size_t lat_search(void *ctx, const char *type, const char *text, unsigned k) {
    QCtx *c = static_cast<QCtx *>(ctx);
    std::vector<Xapian::Query> terms;
    char unq[1024];
    const char *p = std::strcmp(type, "phrase") == 0 ? pb_unquote(text, unq, sizeof unq) : text;
    while (*p) {
        while (*p == ' ') p++;
        const char *s = p;
        while (*p && *p != ' ') p++;
        if (p > s) {
            std::string w(s, (size_t)(p - s));
            terms.emplace_back(c->stemming ? c->stem(w) : w);
        }
    }
    Xapian::Query q;
    if (std::strcmp(type, "phrase") == 0)
        q = Xapian::Query(Xapian::Query::OP_PHRASE, terms.begin(), terms.end(), (Xapian::termcount)terms.size());
    else if (std::strcmp(type, "and") == 0)
        q = Xapian::Query(Xapian::Query::OP_AND, terms.begin(), terms.end());
    else if (terms.size() == 1)
        q = terms[0];
    else
        q = Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
    c->enq->set_query(q);
    Xapian::MSet ms = c->enq->get_mset(0, k);
    c->ids.clear();
    for (auto it = ms.begin(); it != ms.end(); ++it) c->ids.push_back(*it);
    return c->ids.size();
}

int cmd_lat(const Opts &o, const char *dbpath, const char *queries) {
    QCtx c;
    c.db = Xapian::Database(dbpath);
    c.enq = new Xapian::Enquire(c.db);
    Xapian::Weight *w = make_weight(o);
    c.enq->set_weighting_scheme(*w);
    if (o.tok == "english") {
        c.stem = Xapian::Stem("english");
        c.stemming = true;
    }
    pb_latency(o.weight == "lucene" ? "xapian-lucenebm25" : "xapian", o.name.c_str(), queries, o.reps,
               lat_search, &c);
    delete c.enq;
    delete w;
    return 0;
}

void usage() {
    std::fprintf(stderr,
                 "usage: xapian_bench build [-T plain|english|ws] [-s 0|1] DB UNITS.jsonl\n"
                 "       xapian_bench run [-T TOK] [-W bm25|lucene] [--k1 X] [--b X] [-k N] [--tag T] DB TOPICS.tsv\n"
                 "       xapian_bench lat [-T TOK] [-W bm25|lucene] [--k1 X] [--b X] [-r REPS] [-n NAME] DB QUERIES.tsv\n");
    std::exit(64);
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) usage();
    std::string cmd = argv[1];
    Opts o;
    static const struct option lo[] = { { "tag", required_argument, nullptr, 't' },
                                        { "k1", required_argument, nullptr, '1' },
                                        { "b", required_argument, nullptr, '2' },
                                        { nullptr, 0, nullptr, 0 } };
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "T:W:s:k:r:n:", lo, nullptr)) != -1) {
        switch (c) {
        case 'T': o.tok = optarg; break;
        case 'W': o.weight = optarg; break;
        case 's': o.store = std::atoi(optarg); break;
        case 'k': o.k = (unsigned)std::atoi(optarg); break;
        case 'r': o.reps = std::atoi(optarg); break;
        case 'n': o.name = optarg; break;
        case 't': o.tag = optarg; break;
        case '1': o.k1 = std::atof(optarg); break;
        case '2': o.b = std::atof(optarg); break;
        default: usage();
        }
    }
    if (argc - optind != 2) usage();
    if (o.tok != "plain" && o.tok != "english" && o.tok != "ws") pb_die(o.tok.c_str(), "unknown tokenizer");
    try {
        if (cmd == "build") return cmd_build(o, argv[optind], argv[optind + 1]);
        if (cmd == "run") return cmd_run(o, argv[optind], argv[optind + 1]);
        if (cmd == "lat") return cmd_lat(o, argv[optind], argv[optind + 1]);
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian_bench: %s\n", e.get_description().c_str());
        return 1;
    }
    usage();
    return 64;
}
