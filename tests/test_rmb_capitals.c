/*
 * rmb_capitals: amounts in Chinese capitals (人民币大写) against a table
 * of known cases - 零 for skipped zeros, 整 after 元 and 角, 角 and 分,
 * the 万 and 亿 boundaries - as the People's Bank's rules for filling in
 * bills write them.
 */
#include "rmb_capitals.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const struct {
    uint64_t fen;
    const char *text;
} CASES[] = {
    {0, "零元整"},
    {1, "壹分"},
    {5, "伍分"},
    {10, "壹角整"},
    {55, "伍角伍分"},
    {100, "壹元整"},
    {101, "壹元零壹分"},
    {110, "壹元壹角整"},
    {1000, "壹拾元整"},
    {1001, "壹拾元零壹分"},
    {1050, "壹拾元伍角整"},
    {1500, "壹拾伍元整"},
    {10000, "壹佰元整"},
    {12850, "壹佰贰拾捌元伍角整"}, /* the example */
    {32504, "叁佰贰拾伍元零肆分"}, /* DESIGN.md */
    {100005, "壹仟元零伍分"},      /* DESIGN.md */
    {100100, "壹仟零壹元整"},
    {101000, "壹仟零壹拾元整"},
    {168032, "壹仟陆佰捌拾元叁角贰分"},
    {200001, "贰仟元零壹分"},
    {1000000, "壹万元整"},
    {1000100, "壹万零壹元整"},
    {1010000, "壹万零壹佰元整"},
    {1100000, "壹万壹仟元整"},
    {10000000, "壹拾万元整"},
    {10010000, "壹拾万零壹佰元整"},
    {10100000, "壹拾万壹仟元整"},
    {100000000, "壹佰万元整"},
    {1000000000, "壹仟万元整"},
    {1000000100, "壹仟万零壹元整"},
    {10000000000ull, "壹亿元整"},
    {10000000100ull, "壹亿零壹元整"},
    {10000010000ull, "壹亿零壹佰元整"},
    {10001000000ull, "壹亿零壹万元整"},
    {11000000000ull, "壹亿壹仟万元整"},
    {10100000000ull, "壹亿零壹佰万元整"},
    {99999999999ull, "玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
    {10700053, "壹拾万柒仟元伍角叁分"}, /* the People's Bank's example: the
                                            * 0 of 万 before a 千 not written */
    {100001000, "壹佰万零壹拾元整"},
    {1000100000, "壹仟万壹仟元整"},
    {1000000010, "壹仟万元壹角整"},
    {10000001001ull, "壹亿零壹拾元零壹分"},
    {100000000000000ull, "壹万亿元整"},
    {100000001000000ull, "壹万亿零壹万元整"},
    {100010000000000ull, "壹万零壹亿元整"},
    {100000000000001ull, "壹万亿元零壹分"},
    {RMB_CAPITALS_MAX_FEN,
     "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        char out[RMB_CAPITALS_LEN];
        int n = rmb_capitals(CASES[i].fen, out, sizeof out);
        if (n < 0 || strcmp(out, CASES[i].text) != 0)
            fail_msg("%llu fen: got \"%s\", expected \"%s\"",
                     (unsigned long long)CASES[i].fen, n < 0 ? "(error)" : out,
                     CASES[i].text);
        assert_int_equal((size_t)n, strlen(out));
    }
}

static void test_limits(void **state)
{
    (void)state;
    char out[RMB_CAPITALS_LEN];
    assert_int_equal(rmb_capitals(RMB_CAPITALS_MAX_FEN + 1, out, sizeof out),
                     -1);
    char tiny[8];
    assert_int_equal(rmb_capitals(12850, tiny, sizeof tiny), -1);
    assert_int_equal(rmb_capitals(12850, out, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
