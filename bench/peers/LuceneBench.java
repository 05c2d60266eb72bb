/* LuceneBench.java: Lucene 4.10 (Debian liblucene4.10-java) as a peer engine for bench/peers.sh.
 *
 *   java LuceneBench build [-T TOK] [-s 0|1] [--ram MB] DIR UNITS.jsonl
 *   java LuceneBench run   [-T TOK] [--k1 X] [--b X] [-k N] [--tag T] DIR TOPICS.tsv > run.txt
 *   java LuceneBench lat   [-T TOK] [--k1 X] [--b X] [-r REPS] [-n NAME] DIR QUERIES.tsv
 *
 * TOK, the analyzer (the same at index and query time; no stopwords in any):
 *   plain   StandardTokenizer (UAX#29 words) -> EnglishPossessiveFilter (drops a final 's, as
 *           vsearch does) -> LowerCaseFilter. This is EnglishAnalyzer without its stop and stem
 *           filters.
 *   english plain -> SnowballFilter(EnglishStemmer): Snowball English (Porter2), as vsearch.
 *   porter  plain -> PorterStemFilter: the original Porter stemmer, EnglishAnalyzer's own.
 *   ws      WhitespaceTokenizer only: for export_passages -a units and topics (vsearch's own
 *           analysed terms).
 * Fields: "id" (StringField, stored) and "text" (TextField: docs, freqs, positions, norms;
 * stored with -s 1, the default, not with -s 0). IndexWriterConfig: OpenMode.CREATE,
 * BM25Similarity(k1, b) (norms: Lucene 4.10 keeps a field's length as one byte,
 * 1/sqrt(length) in SmallFloat's 3-bit-mantissa format, so BM25 sees lengths rounded to one of
 * 256 buckets), RAM buffer --ram MB (default 256), no compound files, one indexing thread (this one; merges run in
 * Lucene's background merge threads), forceMerge(1) at the end (one segment, like the vsearch
 * and FTS5 indexes), commit, close. Prints
 *   peer-build engine=lucene units= text_bytes= load_s= merge_commit_s= heap_used_mib=
 *
 * Searching: DirectoryReader over FSDirectory.open (MMapDirectory on 64-bit Linux),
 * IndexSearcher with BM25Similarity(k1, b) (defaults 0.9, 0.4; BM25Similarity's coord and
 * queryNorm are 1; its scores carry a constant (k1 + 1) factor, which does not change ranking).
 *   run: the topic is analysed with TOK; one TermQuery per distinct term, boost = times it
 *        occurs (so a repeated word counts twice, as in vsearch), all SHOULD in a BooleanQuery;
 *        top N (default 1000) as a TREC run.
 *   lat: term (TermQuery), and (BooleanQuery, MUST), or (BooleanQuery, SHOULD), phrase
 *        (PhraseQuery; the query file writes it "w1 w2"); the words go through TOK's analyzer inside the timed call.
 *        IndexSearcher.search(query, k) (TopScoreDocCollector), docids of the hits collected.
 *        Timing protocol as peerbench.h (System.nanoTime). */
import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.core.LowerCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;
import org.tartarus.snowball.ext.EnglishStemmer;

public class LuceneBench {
    static String tok = "plain", tag = "lucene", name = "unnamed";
    static double k1 = 0.9, b = 0.4, ramMB = 256;
    static int store = 1, reps = 10, k = 1000;

    static Analyzer analyzer(final String t) {
        return new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String field, Reader r) {
                if (t.equals("ws")) {
                    Tokenizer src = new WhitespaceTokenizer(r);
                    return new TokenStreamComponents(src);
                }
                Tokenizer src = new StandardTokenizer(r);
                TokenStream ts = new EnglishPossessiveFilter(src);
                ts = new LowerCaseFilter(ts);
                if (t.equals("english")) ts = new SnowballFilter(ts, new EnglishStemmer());
                else if (t.equals("porter")) ts = new PorterStemFilter(ts);
                return new TokenStreamComponents(src, ts);
            }
        };
    }

    static List<String> analyse(Analyzer a, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (TokenStream ts = a.tokenStream("text", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) out.add(term.toString());
            ts.end();
        }
        return out;
    }

    /* {"id":"...","text":"..."} as export_passages writes it. */
    static int pos;

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder();
        while (pos < s.length() && s.charAt(pos) != '"') {
            char c = s.charAt(pos++);
            if (c == '\\') {
                char e = s.charAt(pos++);
                switch (e) {
                case 'n': sb.append('\n'); break;
                case 't': sb.append('\t'); break;
                case 'r': sb.append('\r'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'u': sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16)); pos += 4; break;
                default: sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
        pos++;
        return sb.toString();
    }

    static String[] parseUnit(String line) {
        int i = line.indexOf("\"id\":\"");
        if (i < 0) throw new IllegalArgumentException("bad line");
        pos = i + 6;
        String id = jsonString(line);
        int j = line.indexOf("\"text\":\"", pos);
        if (j < 0) throw new IllegalArgumentException("bad line");
        pos = j + 8;
        String text = jsonString(line);
        return new String[] { id, text };
    }

    static BufferedReader open(String path) throws IOException {
        return new BufferedReader(new InputStreamReader(new FileInputStream(path), StandardCharsets.UTF_8), 1 << 16);
    }

    static void build(String dir, String units) throws IOException {
        long t0 = System.nanoTime();
        Directory d = FSDirectory.open(new File(dir));
        IndexWriterConfig iwc = new IndexWriterConfig(Version.LUCENE_4_10_4, analyzer(tok));
        iwc.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        iwc.setSimilarity(new BM25Similarity((float) k1, (float) b));
        iwc.setRAMBufferSizeMB(ramMB);
        iwc.setUseCompoundFile(false); /* flushed segments as plain files: forceMerge(1) of one flush is then a no-op */
        IndexWriter w = new IndexWriter(d, iwc);
        long rows = 0, bytes = 0;
        Field.Store st = store != 0 ? Field.Store.YES : Field.Store.NO;
        try (BufferedReader in = open(units)) {
            String line;
            Document doc = new Document();
            StringField idf = new StringField("id", "", Field.Store.YES);
            TextField tf = new TextField("text", "", st);
            doc.add(idf);
            doc.add(tf);
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                String[] u = parseUnit(line);
                idf.setStringValue(u[0]);
                tf.setStringValue(u[1]);
                w.addDocument(doc);
                rows++;
                bytes += u[1].getBytes(StandardCharsets.UTF_8).length;
            }
        }
        long t1 = System.nanoTime();
        w.forceMerge(1);
        w.commit();
        w.close();
        d.close();
        long t2 = System.nanoTime();
        Runtime rt = Runtime.getRuntime();
        System.out.printf("peer-build engine=lucene units=%d text_bytes=%d load_s=%.3f merge_commit_s=%.3f heap_used_mib=%.1f%n",
                rows, bytes, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (rt.totalMemory() - rt.freeMemory()) / 1048576.0);
    }

    static IndexSearcher searcher(String dir) throws IOException {
        IndexSearcher s = new IndexSearcher(DirectoryReader.open(FSDirectory.open(new File(dir))));
        s.setSimilarity(new BM25Similarity((float) k1, (float) b));
        return s;
    }

    static void run(String dir, String topics) throws IOException {
        IndexSearcher s = searcher(dir);
        Analyzer a = analyzer(tok);
        BooleanQuery.setMaxClauseCount(1 << 16);
        StringBuilder out = new StringBuilder();
        try (BufferedReader in = open(topics)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                String qid = line.substring(0, tab);
                Map<String, Integer> wqf = new LinkedHashMap<>();
                for (String t : analyse(a, line.substring(tab + 1))) wqf.merge(t, 1, Integer::sum);
                if (wqf.isEmpty()) continue;
                BooleanQuery q = new BooleanQuery();
                for (Map.Entry<String, Integer> e : wqf.entrySet()) {
                    TermQuery tq = new TermQuery(new Term("text", e.getKey()));
                    tq.setBoost(e.getValue());
                    q.add(tq, BooleanClause.Occur.SHOULD);
                }
                TopDocs td = s.search(q, k);
                int rank = 0;
                for (ScoreDoc sd : td.scoreDocs)
                    out.append(String.format("%s Q0 %s %d %.6f %s%n", qid, s.doc(sd.doc).get("id"), ++rank, sd.score, tag));
            }
        }
        System.out.print(out);
    }

    /* ---- latency (the protocol of peerbench.h) ---- */
    static IndexSearcher ls;
    static Analyzer la;
    static int[] hitIds = new int[1000];

    static int latSearch(String type, String text, int kk) throws IOException {
        List<String> words = new ArrayList<>();
        if (type.equals("phrase") && text.length() >= 2 && text.startsWith("\"") && text.endsWith("\""))
            text = text.substring(1, text.length() - 1);
        for (String w : text.split(" ")) {
            if (w.isEmpty()) continue;
            if (tok.equals("ws")) words.add(w);
            else words.addAll(analyse(la, w));
        }
        Query q;
        if (type.equals("phrase")) {
            PhraseQuery pq = new PhraseQuery();
            for (String w : words) pq.add(new Term("text", w));
            q = pq;
        } else if (words.size() == 1) {
            q = new TermQuery(new Term("text", words.get(0)));
        } else {
            BooleanQuery bq = new BooleanQuery();
            BooleanClause.Occur o = type.equals("and") ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD;
            for (String w : words) bq.add(new TermQuery(new Term("text", w)), o);
            q = bq;
        }
        TopDocs td = ls.search(q, kk);
        int n = 0;
        for (ScoreDoc sd : td.scoreDocs) hitIds[n++] = sd.doc;
        return n;
    }

    static double pct(long[] v, double p) {
        int r = (int) Math.ceil(p * v.length);
        if (r < 1) r = 1;
        if (r > v.length) r = v.length;
        return v[r - 1] / 1e3;
    }

    static void lat(String dir, String queries) throws IOException {
        ls = searcher(dir);
        la = analyzer(tok);
        List<String[]> qs = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (BufferedReader in = open(queries)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                String[] q = { line.substring(0, tab), line.substring(tab + 1) };
                qs.add(q);
                if (!types.contains(q[0])) types.add(q[0]);
            }
        }
        int nj = types.size() * 2;
        String[][][] jq = new String[nj][][];
        int[] jk = new int[nj];
        String[] jt = new String[nj];
        long[][] best = new long[nj][];
        double[] hits = new double[nj];
        int[] zero = new int[nj];
        for (int t = 0; t < types.size(); t++) {
            List<String[]> sel = new ArrayList<>();
            for (String[] q : qs) if (q[0].equals(types.get(t))) sel.add(q);
            for (int c = 0; c < 2; c++) {
                int j = 2 * t + c;
                jq[j] = sel.toArray(new String[0][]);
                jk[j] = c == 1 ? 1000 : 10;
                jt[j] = types.get(t);
                best[j] = new long[sel.size()];
            }
        }
        for (String[] q : qs) latSearch(q[0], q[1], 1000); /* process warm-up */
        for (int j = 0; j < nj; j++) {
            long h = 0;
            for (int i = 0; i < jq[j].length; i++) {
                int n = latSearch(jt[j], jq[j][i][1], jk[j]);
                h += n;
                if (n == 0) zero[j]++;
                best[j][i] = Long.MAX_VALUE;
            }
            hits[j] = (double) h / jq[j].length;
        }
        for (int r = 0; r < reps; r++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < jq[j].length; i++) {
                    long t0 = System.nanoTime();
                    latSearch(jt[j], jq[j][i][1], jk[j]);
                    long dt = System.nanoTime() - t0;
                    if (dt < best[j][i]) best[j][i] = dt;
                }
        for (int j = 0; j < nj; j++) {
            double sum = 0;
            for (long x : best[j]) sum += x;
            Arrays.sort(best[j]);
            double mean = sum / best[j].length / 1e3;
            System.out.printf("peer engine=lucene input=%s type=%s queries=%d k=%d stat=best_of_%d p50_us=%.1f "
                    + "p95_us=%.1f p99_us=%.1f mean_us=%.1f qps=%.0f hits_avg=%.1f zero_hits=%d%n",
                    name, jt[j], best[j].length, jk[j], reps, pct(best[j], 0.50), pct(best[j], 0.95),
                    pct(best[j], 0.99), mean, 1e6 / mean, hits[j], zero[j]);
        }
    }

    static void usage() {
        System.err.println("usage: LuceneBench build|run|lat [-T plain|english|porter|ws] [-s 0|1] [--ram MB] "
                + "[--k1 X] [--b X] [-k N] [--tag T] [-r REPS] [-n NAME] DIR FILE");
        System.exit(64);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) usage();
        String cmd = args[0];
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("-") && i + 1 < args.length) {
                String v = args[++i];
                switch (a) {
                case "-T": tok = v; break;
                case "-s": store = Integer.parseInt(v); break;
                case "--ram": ramMB = Double.parseDouble(v); break;
                case "--k1": k1 = Double.parseDouble(v); break;
                case "--b": b = Double.parseDouble(v); break;
                case "-k": k = Integer.parseInt(v); break;
                case "--tag": tag = v; break;
                case "-r": reps = Integer.parseInt(v); break;
                case "-n": name = v; break;
                default: usage();
                }
            } else {
                rest.add(a);
            }
        }
        if (rest.size() != 2) usage();
        if (!Arrays.asList("plain", "english", "porter", "ws").contains(tok)) usage();
        switch (cmd) {
        case "build": build(rest.get(0), rest.get(1)); break;
        case "run": run(rest.get(0), rest.get(1)); break;
        case "lat": lat(rest.get(0), rest.get(1)); break;
        default: usage();
        }
    }
}
