/* test_passage.c: the passage splitter (index/passage.h): blank-line paragraphs, newswire
 * indentation, heading joins, long paragraphs split at sentence ends, CRLF, whole_doc, and
 * degenerate bodies. Expected passages for the sample article and the Reuters excerpts were
 * worked out by hand from the rules in passage.c. */
#include "testutil.h"

#include "passage.h"

static vs_passage_list L = VS_PASSAGE_LIST_INIT;

static int ends(size_t i, const char *suffix) {
    size_t k = strlen(suffix);
    return L.v[i].len >= k && memcmp(L.v[i].text + L.v[i].len - k, suffix, k) == 0;
}

#define ASSERT_ENDS(i, suffix) do { \
    if (!ends((i), (suffix))) \
        fail_msg("passage %zu ends '%s', expected '%s'", (size_t)(i), \
                 L.v[i].text + (L.v[i].len > 40 ? L.v[i].len - 40 : 0), (suffix)); \
    } while (0)

static size_t split(const char *body, size_t len, uint32_t max_words, int whole) {
    vs_passage_opts o = { max_words, whole };
    vs_err err;
    assert_int_equal(vs_passage_split(body, len, &o, &L, &err), VS_OK);
    for (size_t i = 0; i < L.n; i++) {
        const vs_passage *p = &L.v[i];
        assert_true(p->len > 0);
        assert_int_equal(p->text[p->len], '\0');        /* NUL-terminated copy */
        if (!whole) assert_null(memchr(p->text, '\r', p->len)); /* whole_doc is verbatim */
        assert_true(p->src_off < len);
        assert_true(p->text[0] != ' ' && p->text[0] != '\n');
        assert_true(p->text[p->len - 1] != ' ' && p->text[p->len - 1] != '\n');
        /* src_off points at the passage's first byte in the body */
        size_t k = strcspn(p->text, "\n");
        assert_memory_equal(body + p->src_off, p->text, k);
    }
    return L.n;
}

static size_t words(const char *p, size_t n) {
    size_t w = 0;
    int in = 0;
    for (size_t i = 0; i < n; i++) {
        int sp = p[i] == ' ' || p[i] == '\n' || p[i] == '\t';
        if (!sp && !in) w++;
        in = !sp;
    }
    return w;
}

static int starts(size_t i, const char *prefix) {
    return L.v[i].len >= strlen(prefix) && memcmp(L.v[i].text, prefix, strlen(prefix)) == 0;
}

#define ASSERT_STARTS(i, prefix) do { \
    if (!starts((i), (prefix))) \
        fail_msg("passage %zu starts '%.60s', expected '%s'", (size_t)(i), L.v[i].text, (prefix)); \
    } while (0)

/* ---- the sample article ------------------------------------------------------------------ */

static void test_sample_article(void **state) {
    (void)state;
    size_t len = 0;
    char *doc = tu_slurp("../corpus/000_79d01c390d725485.txt", &len);
    assert_non_null(doc);
    const char *body = strchr(doc, '\n') + 1; /* the first line is the title */
    size_t blen = len - (size_t)(body - doc);

    static const char *const first[] = {
        "by Jhon Lennon 52 views\nHey guys! Let's dive into Vladimir Putin's recent trip",
        "Why Uzbekistan? A Strategic Ally\nUzbekistan holds a crucial spot",
        "Then there's the security angle.",
        "And let's not forget the cultural ties.",
        "Key Highlights of the Visit\nSo, what exactly went down",
        "Another biggie was discussions on security cooperation.",
        "Beyond the formal agreements,",
        "Economic Implications: Trade and Investment\nWhen we talk about the economic side",
        "Investment is another huge piece of the puzzle.",
        "These economic ties have broader implications",
        "Security Cooperation: Countering Regional Threats\n"
        "Security cooperation was a major theme during Putin's visit",
        "Joint military exercises are another important aspect",
        "Russia views Uzbekistan as a key partner",
        "Geopolitical Implications: Russia's Influence in Central Asia\nPutin's visit to Uzbekistan has",
        "One of the ways Russia is doing this",
        "Putin's visit to Uzbekistan is part of a broader strategy",
        "The Future of Russia-Uzbekistan Relations\nLooking ahead,",
        "Of course, there will also be challenges",
        "So, there you have it!",
    };
    size_t n = split(body, blen, 0, 0);
    assert_int_equal(n, sizeof first / sizeof *first); /* 19 */
    for (size_t i = 0; i < n; i++) ASSERT_STARTS(i, first[i]);

    /* the heading passage is exactly heading + "\n" + its paragraph */
    const vs_passage *p = &L.v[10];
    const char *para = strstr(body, "Security cooperation was a major theme");
    const char *para_end = strstr(para, "\n\n");
    assert_int_equal(p->len, strlen("Security Cooperation: Countering Regional Threats\n") +
                                 (size_t)(para_end - para));
    assert_int_equal(p->src_off, (size_t)(strstr(body, "Security Cooperation:") - body));
    /* the byline joins the "Hey guys!" paragraph; the body's leading blank line is skipped */
    assert_int_equal(L.v[0].src_off, 1);
    /* last passage: the final paragraph, without the file's missing final newline */
    ASSERT_ENDS(n - 1, "\xe2\x80\x93 it's definitely one to watch!");
    for (size_t i = 0; i < n; i++) assert_true(words(L.v[i].text, L.v[i].len) <= 250);

    /* whole_doc: the whole body, trimmed */
    assert_int_equal(split(body, blen, 0, 1), 1);
    assert_int_equal(L.v[0].src_off, 1);
    assert_int_equal(L.v[0].len, blen - 1);
    free(doc);
}

/* ---- newswire ------------------------------------------------------------------------------ */

/* Reuters-21578 NEWID 1 (BAHIA COCOA REVIEW), body start and end, as in the SGML <BODY>. */
static const char REUTERS_COCOA[] =
    "Showers continued throughout the week in\n"
    "the Bahia cocoa zone, alleviating the drought since early\n"
    "January and improving prospects for the coming temporao,\n"
    "although normal humidity levels have not been restored,\n"
    "Comissaria Smith said in its weekly review.\n"
    "    The dry period means the temporao will be late this year.\n"
    "    Arrivals for the week ended February 22 were 155,221 bags\n"
    "of 60 kilos making a cumulative total for the season of 5.93\n"
    "mln against 5.81 at the same stage last year. Again it seems\n"
    "that cocoa delivered earlier on consignment was included in the\n"
    "arrivals figures.\n"
    "    Comissaria Smith said there is still some doubt as to how\n"
    "much old crop cocoa is still available as harvesting has\n"
    "practically come to an end.\n"
    "    Final figures for the period to February 28 are expected to\n"
    "be published by the Brazilian Cocoa Trade Commission after\n"
    "carnival which ends midday on February 27.\n"
    " Reuter\n";

static void test_reuters_indented_paragraphs(void **state) {
    (void)state;
    size_t n = split(REUTERS_COCOA, sizeof REUTERS_COCOA - 1, 0, 0);
    assert_int_equal(n, 5);
    ASSERT_STARTS(0, "Showers continued throughout the week in\nthe Bahia cocoa zone,");
    ASSERT_ENDS(0, "said in its weekly review.");
    /* a one-line indented paragraph ending a sentence is a paragraph of its own */
    assert_int_equal(L.v[1].len, strlen("The dry period means the temporao will be late this year."));
    ASSERT_STARTS(1, "The dry period means the temporao will be late this year.");
    assert_int_equal(L.v[1].src_off, (size_t)(strstr(REUTERS_COCOA, "The dry") - REUTERS_COCOA));
    ASSERT_STARTS(2, "Arrivals for the week ended February 22 were 155,221 bags\nof 60 kilos");
    ASSERT_STARTS(3, "Comissaria Smith said there is still some doubt");
    ASSERT_STARTS(4, "Final figures for the period");
    /* the one-space " Reuter" sign-off is not an indented paragraph start */
    ASSERT_ENDS(4, "February 27.\n Reuter");
}

/* Reuters NEWID 5 (tables): indented table rows stay together; prose after a table starts anew. */
static const char REUTERS_TABLE[] =
    "The U.S. Agriculture Department\n"
    "reported the farmer-owned reserve national five-day average\n"
    "price through February 25 as follows (Dlrs/Bu-Sorghum Cwt) -\n"
    "         Natl   Loan           Release   Call\n"
    "         Avge   Rate-X  Level    Price  Price\n"
    " Wheat   2.55   2.40       IV     4.65     --\n"
    "                            V     4.65     --\n"
    " Corn    1.35   1.92       IV     3.15   3.15\n"
    " X - 1986 Rates.\n"
    "\n"
    "          Natl   Loan          Release   Call\n"
    " Sorghum  2.34   3.25-Y     IV    5.36   5.36\n"
    "                             V    5.54    --\n"
    "    Reserves I, II and III have matured. Level IV reflects\n"
    "grain entered after Oct 6, 1981 for feedgrain.\n"
    "    Sorghum nil (nil)\n"
    "    Oilseed export registrations were:\n"
    "    Sunflowerseed total 15.0 (7.9)\n"
    " Reuter\n";

static void test_reuters_tables(void **state) {
    (void)state;
    size_t n = split(REUTERS_TABLE, sizeof REUTERS_TABLE - 1, 0, 0);
    assert_int_equal(n, 4);
    ASSERT_STARTS(0, "The U.S. Agriculture Department\n");
    /* later lines keep their indentation */
    assert_non_null(strstr(L.v[0].text, "-\n         Natl   Loan"));
    ASSERT_ENDS(0, "3.15\n X - 1986 Rates.");
    ASSERT_STARTS(1, "Natl   Loan          Release   Call\n Sorghum");
    ASSERT_STARTS(2, "Reserves I, II and III have matured.");
    ASSERT_ENDS(2, "after Oct 6, 1981 for feedgrain.");
    /* indented lines that do not end sentences stay together */
    ASSERT_STARTS(3, "Sorghum nil (nil)\n    Oilseed export registrations were:\n    Sunflowerseed");
}

/* Tabs count as indentation; a single space does not. */
static void test_indentation_rules(void **state) {
    (void)state;
    static const char b[] = "First paragraph line\ncontinues here.\n\tSecond starts with a tab\n"
                            "and goes on.\n one space is not a start\nend.";
    assert_int_equal(split(b, sizeof b - 1, 0, 0), 2);
    ASSERT_STARTS(0, "First paragraph line\ncontinues here.");
    ASSERT_STARTS(1, "Second starts with a tab\nand goes on.\n one space is not a start\nend.");
}

/* ---- headings ------------------------------------------------------------------------------ */

static void test_headings(void **state) {
    (void)state;
    /* ':' ends a lead-in, which is joined too; '.', '!', '?', ',' and ';' are not headings */
    static const char a[] = "Highlights:\n\nFirst point here.\n\nA sentence.\n\nNext one.\n\n"
                            "Wow!\n\nQuestion?\n\nWith comma,\n\nSemicolon;\n\nEnd.";
    assert_int_equal(split(a, sizeof a - 1, 0, 0), 8);
    ASSERT_STARTS(0, "Highlights:\nFirst point here.");
    ASSERT_STARTS(1, "A sentence.");
    assert_int_equal(L.v[1].len, 11);

    /* a closing quote after the full stop still ends a sentence */
    static const char q[] = "\"He said so.\"\n\nNext.";
    assert_int_equal(split(q, sizeof q - 1, 0, 0), 2);

    /* 12 words join, 13 do not */
    static const char w12[] = "one two three four five six seven eight nine ten eleven twelve\n\nBody.";
    assert_int_equal(split(w12, sizeof w12 - 1, 0, 0), 1);
    static const char w13[] =
        "one two three four five six seven eight nine ten eleven twelve thirteen\n\nBody.";
    assert_int_equal(split(w13, sizeof w13 - 1, 0, 0), 2);

    /* headings chain; a heading at the end stands alone; two-line paragraphs are not headings */
    static const char c[] = "Part One\n\nChapter 1\n\nText here.\n\nTwo lines\nno punctuation\n\n"
                            "Body.\n\nTrailing heading";
    assert_int_equal(split(c, sizeof c - 1, 0, 0), 4);
    ASSERT_STARTS(0, "Part One\nChapter 1\nText here.");
    assert_int_equal(L.v[0].src_off, 0);
    ASSERT_STARTS(1, "Two lines\nno punctuation");
    ASSERT_STARTS(2, "Body.");
    ASSERT_STARTS(3, "Trailing heading");
    assert_int_equal(L.v[3].len, 16);
}

/* ---- long paragraphs ----------------------------------------------------------------------- */

static void test_long_paragraph_split_at_sentences(void **state) {
    (void)state;
    /* a heading + 60 sentences of 10 words = 602 words: 3 pieces, cut at sentence ends near
     * 602 / 3: the first piece has the heading and 20 sentences (202 words). */
    char *b = malloc(100000);
    assert_non_null(b);
    size_t n = (size_t)sprintf(b, "Heading line\n\n");
    for (int s = 0; s < 60; s++) {
        n += (size_t)sprintf(b + n, "Sentence%d", s);
        for (int w = 0; w < 9; w++) n += (size_t)sprintf(b + n, " w");
        n += (size_t)sprintf(b + n, ".%s", s % 7 == 6 ? "\n" : " ");
    }
    assert_int_equal(split(b, n, 0, 0), 3);
    assert_int_equal(words(L.v[0].text, L.v[0].len), 202);
    assert_int_equal(words(L.v[1].text, L.v[1].len), 200);
    assert_int_equal(words(L.v[2].text, L.v[2].len), 200);
    ASSERT_STARTS(0, "Heading line\nSentence0 w");
    ASSERT_STARTS(1, "Sentence20 w");
    ASSERT_STARTS(2, "Sentence40 w");
    for (size_t i = 0; i < 3; i++) assert_int_equal(L.v[i].text[L.v[i].len - 1], '.');
    assert_int_equal(L.v[1].src_off, (size_t)(strstr(b, "Sentence20 ") - b));

    /* smaller max_words: every piece fits */
    assert_int_equal(split(b, n, 25, 0), 30);
    for (size_t i = 0; i < L.n; i++) assert_true(words(L.v[i].text, L.v[i].len) <= 25);

    /* a lower-case word after a full stop is not a sentence start ("U.S. officials") */
    static const char u[] = "One two three. four five six. Seven eight nine.";
    assert_int_equal(split(u, sizeof u - 1, 6, 0), 2);
    ASSERT_STARTS(0, "One two three. four five six.");
    ASSERT_STARTS(1, "Seven eight nine.");
    free(b);
}

static void test_huge_paragraph_without_sentence_ends(void **state) {
    (void)state;
    size_t nw = 100000;
    char *b = malloc(nw * 8);
    assert_non_null(b);
    size_t n = 0;
    for (size_t i = 0; i < nw; i++) n += (size_t)sprintf(b + n, "%s%zu", i ? " " : "", i % 1000);
    assert_int_equal(split(b, n, 0, 0), 400);
    size_t total = 0;
    for (size_t i = 0; i < L.n; i++) {
        size_t w = words(L.v[i].text, L.v[i].len);
        assert_int_equal(w, 250);
        total += w;
    }
    assert_int_equal(total, nw);
    ASSERT_STARTS(0, "0 1 2 3");
    ASSERT_STARTS(1, "250 251");
    assert_int_equal(L.v[1].src_off, (size_t)(strstr(b, " 250 ") - b) + 1);
    ASSERT_ENDS(L.n - 1, " 998 999");

    /* 300 words: two pieces of 150, not 250 + 50 */
    n = 0;
    for (size_t i = 0; i < 300; i++) n += (size_t)sprintf(b + n, "%sw", i ? " " : "");
    assert_int_equal(split(b, n, 0, 0), 2);
    assert_int_equal(words(L.v[0].text, L.v[0].len), 150);
    assert_int_equal(words(L.v[1].text, L.v[1].len), 150);
    free(b);
}

/* ---- line endings, empty bodies, whole_doc --------------------------------------------------- */

static void test_crlf_and_cr(void **state) {
    (void)state;
    static const char b[] = "Title line\r\n\r\nFirst para line one\r\nline two.  \r\n \r\nSecond.\r\n";
    assert_int_equal(split(b, sizeof b - 1, 0, 0), 2);
    assert_string_equal(L.v[0].text, "Title line\nFirst para line one\nline two.");
    assert_string_equal(L.v[1].text, "Second.");
    assert_int_equal(L.v[1].src_off, (size_t)(strstr(b, "Second") - b));

    static const char cr[] = "Old Mac text.\rSame para.\r\rNew para.";
    assert_int_equal(split(cr, sizeof cr - 1, 0, 0), 2);
    assert_string_equal(L.v[0].text, "Old Mac text.\nSame para.");
    assert_string_equal(L.v[1].text, "New para.");
}

static void test_empty_and_blank_bodies(void **state) {
    (void)state;
    assert_int_equal(split("", 0, 0, 0), 0);
    assert_int_equal(split("", 0, 0, 1), 0);
    static const char ws[] = "\n\n \t\r\n\xc2\xa0\n\v\f  ";
    assert_int_equal(split(ws, sizeof ws - 1, 0, 0), 0);
    assert_int_equal(split(ws, sizeof ws - 1, 0, 1), 0);
    /* a NUL byte is text, not whitespace */
    static const char nul[] = "a\0b.\n\nc";
    assert_int_equal(split(nul, sizeof nul - 1, 0, 0), 2);
    assert_int_equal(L.v[0].len, 4);
    assert_memory_equal(L.v[0].text, "a\0b.", 4);
}

static void test_whole_doc(void **state) {
    (void)state;
    static const char b[] = "  \nFirst.\r\n\r\n    Second para\nwith more.\n\n ";
    assert_int_equal(split(b, sizeof b - 1, 0, 1), 1);
    assert_int_equal(L.v[0].src_off, 3);
    assert_int_equal(L.v[0].len, strlen("First.\r\n\r\n    Second para\nwith more."));
    assert_memory_equal(L.v[0].text, "First.\r\n\r\n    Second para\nwith more.", L.v[0].len);

    /* whole_doc never splits, whatever its length */
    char *big = malloc(10000);
    assert_non_null(big);
    for (size_t i = 0; i < 5000; i++) memcpy(big + 2 * i, "w ", 2);
    assert_int_equal(split(big, 10000, 0, 1), 1);
    assert_int_equal(L.v[0].len, 9999);
    free(big);
}

/* The list is reused: a new split replaces the old passages. */
static void test_list_reuse(void **state) {
    (void)state;
    static const char a[] = "One.\n\nTwo.\n\nThree.";
    assert_int_equal(split(a, sizeof a - 1, 0, 0), 3);
    static const char b[] = "Only.";
    assert_int_equal(split(b, sizeof b - 1, 0, 0), 1);
    assert_string_equal(L.v[0].text, "Only.");
    vs_passage_list_free(&L);
    vs_passage_list_free(&L);
    vs_passage_list_free(NULL);
    assert_int_equal(L.n, 0);
}

static int teardown(void **state) {
    (void)state;
    vs_passage_list_free(&L);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_article),
        cmocka_unit_test(test_reuters_indented_paragraphs),
        cmocka_unit_test(test_reuters_tables),
        cmocka_unit_test(test_indentation_rules),
        cmocka_unit_test(test_headings),
        cmocka_unit_test(test_long_paragraph_split_at_sentences),
        cmocka_unit_test(test_huge_paragraph_without_sentence_ends),
        cmocka_unit_test(test_crlf_and_cr),
        cmocka_unit_test(test_empty_and_blank_bodies),
        cmocka_unit_test(test_whole_doc),
        cmocka_unit_test(test_list_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
