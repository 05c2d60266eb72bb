/* test_parse.c: the query language — structure of valid queries (canonical form) and the
 * exact message of every malformed case, plus hostile sizes. */
#include "testutil.h"

#include "parse.h"

static char *canon(const char *q, int default_and) {
    static char buf[4096];
    vs_qtree *t;
    vs_err err;
    vs_rc rc = vs_parse(q, strlen(q), default_and, &t, &err);
    if (rc != VS_OK) fail_msg("'%s' does not parse: %s", q, err.msg);
    assert_int_equal(vs_parse_format(vs_parse_root(t), buf, sizeof buf), VS_OK);
    vs_parse_free(t);
    return buf;
}

static const char *error_of(const char *q) {
    static vs_err err;
    vs_qtree *t = NULL;
    vs_rc rc = vs_parse(q, strlen(q), 0, &t, &err);
    if (rc == VS_OK) {
        vs_parse_free(t);
        fail_msg("'%s' parsed but should not", q);
    }
    assert_int_equal(rc, VS_EUSAGE);
    return err.msg;
}

static void test_valid_queries(void **state) {
    (void)state;
    assert_string_equal(canon("cocoa", 0), "cocoa");
    assert_string_equal(canon("cocoa bahia", 0), "(cocoa bahia)");
    assert_string_equal(canon("cocoa bahia", 1), "(+cocoa +bahia)");
    assert_string_equal(canon("\"security cooperation\"", 0), "\"security cooperation\"");
    assert_string_equal(canon("+cocoa bahia -coffee", 0), "(+cocoa bahia -coffee)");
    assert_string_equal(canon("cocoa AND bahia", 0), "(+cocoa +bahia)");
    assert_string_equal(canon("a OR b AND c", 0), "(a (+b +c))");
    assert_string_equal(canon("a AND b OR c", 0), "((+a +b) c)");
    assert_string_equal(canon("a AND NOT b", 0), "(+a -b)");
    assert_string_equal(canon("a NOT b", 0), "(a -b)");
    assert_string_equal(canon("(a OR b) AND c", 0), "(+(a b) +c)");
    assert_string_equal(canon("title:cocoa body", 0), "(title:cocoa body)");
    assert_string_equal(canon("title:\"cocoa review\"^2", 0), "title:\"cocoa review\"^2");
    assert_string_equal(canon("oil^2.5 prices", 0), "(oil^2.5 prices)");
    assert_string_equal(canon("(oil prices)^2", 0), "(oil^2 prices^2)");
    assert_string_equal(canon("+oil", 0), "(+oil)");
    assert_string_equal(canon("and or not", 0), "(and or not)"); /* lower case: words */
    assert_string_equal(canon("Putin's 5.93 U.S.", 0), "(Putin's 5.93 U.S.)");
    assert_string_equal(canon("  spaced   out  ", 0), "(spaced out)");
    assert_string_equal(canon("e-mail x+y", 0), "(e-mail x+y)");
}

static void test_malformed_queries(void **state) {
    (void)state;
    assert_string_equal(error_of("\"security cooperation"), "missing closing quote for the phrase at position 1");
    assert_string_equal(error_of("cocoa \"\""), "empty phrase at position 7");
    assert_string_equal(error_of("cocoa \"   \""), "empty phrase at position 7");
    assert_string_equal(error_of("(cocoa bahia"), "unbalanced '(': no matching ')' at position 1");
    assert_string_equal(error_of("cocoa)"), "unbalanced ')': no matching '(' at position 6");
    assert_string_equal(error_of("()"), "empty group '()' at position 1");
    assert_string_equal(error_of("NOT"), "NOT has nothing to negate at position 1");
    assert_string_equal(error_of("cocoa NOT"), "NOT has nothing to negate at position 7");
    assert_string_equal(error_of("NOT cocoa"), "a group of only excluded clauses matches nothing at position 1");
    assert_string_equal(error_of("-cocoa -coffee"), "a group of only excluded clauses matches nothing at position 1");
    assert_string_equal(error_of("cocoa AND"), "AND needs a clause on each side at position 7");
    assert_string_equal(error_of("OR cocoa"), "OR needs a clause on each side at position 1");
    assert_string_equal(error_of("cocoa AND AND b"), "AND needs a clause on each side at position 7");
    assert_string_equal(error_of("cocoa OR OR bahia"), "OR needs a clause on each side at position 7");
    assert_string_equal(error_of("cocoa^"), "boost must be a positive number up to 1000000, as in word^2.5 at position 6");
    assert_string_equal(error_of("cocoa^-1"), "boost must be a positive number up to 1000000, as in word^2.5 at position 6");
    assert_string_equal(error_of("cocoa^abc"), "boost must be a positive number up to 1000000, as in word^2.5 at position 6");
    assert_string_equal(error_of("^2"), "'^' must follow a word, a phrase or a group at position 1");
    assert_string_equal(error_of(""), "empty query");
    assert_string_equal(error_of("   "), "empty query");
}

static void test_hostile_sizes(void **state) {
    (void)state;
    vs_qtree *t;
    vs_err err;
    /* 100k characters of words: parses (within limits) */
    size_t n = 100000;
    char *q = malloc(n + 1);
    for (size_t i = 0; i < n; i++) q[i] = (i % 6 == 5) ? ' ' : (char)('a' + i % 5);
    q[n] = '\0';
    assert_int_equal(vs_parse(q, n, 0, &t, &err), VS_OK);
    vs_parse_free(t);
    /* deep nesting: refused with a message, no stack overflow */
    for (size_t i = 0; i < n; i++) q[i] = i < n / 2 ? '(' : ')';
    assert_int_equal(vs_parse(q, n, 0, &t, &err), VS_EUSAGE);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    for (size_t i = 0; i + 4 < n; i += 4) memcpy(q + i, "NOT ", 4);
    assert_int_equal(vs_parse(q, n, 0, &t, &err), VS_EUSAGE);
    /* too many clauses */
    char *big = malloc(4 * 200000 + 1);
    for (size_t i = 0; i < 200000; i++) memcpy(big + 4 * i, "ab  ", 4);
    assert_int_equal(vs_parse(big, 4 * 200000, 0, &t, &err), VS_EUSAGE);
    assert_non_null(strstr(err.msg, "too complex"));
    /* over 1 MiB */
    char *huge = malloc(VS_QUERY_MAX_BYTES + 2);
    memset(huge, 'a', VS_QUERY_MAX_BYTES + 1);
    assert_int_equal(vs_parse(huge, VS_QUERY_MAX_BYTES + 1, 0, &t, &err), VS_EUSAGE);
    /* NUL inside */
    assert_int_equal(vs_parse("a\0b", 3, 0, &t, &err), VS_EUSAGE);
    free(huge);
    free(big);
    free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_queries),
        cmocka_unit_test(test_malformed_queries),
        cmocka_unit_test(test_hostile_sizes),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
