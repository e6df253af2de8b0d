/*
 * csv: the one CSV cell writer (client/csv.c): RFC 4180 quoting, and
 * cells that a spreadsheet would run as formulas neutralised.
 */
#include "csv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* What csv_cell writes for s. */
static char *cell(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    csv_cell(f, s);
    fclose(f);
    return buf;
}

static void expect(const char *in, const char *out)
{
    char *got = cell(in);
    if (strcmp(got, out) != 0)
        fail_msg("csv_cell(\"%s\") wrote \"%s\", expected \"%s\"", in, got,
                 out);
    free(got);
}

static void test_plain_and_quoted(void **state)
{
    (void)state;
    expect("3-2-501", "3-2-501");
    expect("张伟", "张伟");
    expect("", "");
    expect("a,b", "\"a,b\"");
    expect("say \"hi\"", "\"say \"\"hi\"\"\"");
    expect("two\nlines", "\"two\nlines\"");
}

/* Formula starts: a household code "-A1" is accepted by the codec and
 * must not become a formula in a spreadsheet. */
static void test_formulas_neutralised(void **state)
{
    (void)state;
    expect("-A1", "'-A1");
    expect("=HYPERLINK(\"http://x\",\"y\")",
           "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    expect("+1+1", "'+1+1");
    expect("@SUM(A1:A2)", "'@SUM(A1:A2)");
    expect("\tx", "'\tx");
    expect("\rx", "\"'\rx\"");
    expect("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0");
    expect("=1,2", "\"'=1,2\"");
}

/* Numbers stay numbers: a prepaid fee is a negative amount. */
static void test_numbers_kept(void **state)
{
    (void)state;
    expect("-5000", "-5000");
    expect("13000", "13000");
    expect("-12.50", "-12.50");
    expect("-", "-"); /* a lone dash is text: "nothing", not a formula */
    expect("-1.", "'-1.");
    expect("-1e5", "'-1e5");
    assert_true(csv_is_number("0"));
    assert_true(csv_is_number("-0.5"));
    assert_false(csv_is_number(""));
    assert_false(csv_is_number("1.2.3"));
    assert_false(csv_is_number("+5"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_quoted),
        cmocka_unit_test(test_formulas_neutralised),
        cmocka_unit_test(test_numbers_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
