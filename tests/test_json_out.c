/*
 * test_json_out - the JSON writer of the CLI's --json and jifend's export
 * (common/json_out.c, jansson behind it): compact, fields in the order
 * added, integers as integers, strings escaped as JSON needs, and always
 * valid JSON, also for text that is not UTF-8 or a figure beyond int64.
 */
#include "json_out.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* What json_out_print writes for doc, as a string (static). */
static const char *printed(json_out *doc)
{
    static char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    json_out_print(f, &doc);
    assert_null(doc);
    fclose(f);
    return buf;
}

static void test_order_and_types(void **state)
{
    (void)state;
    json_out *o = json_out_new();
    json_out_str(o, "status", "ok");
    json_out_u64(o, "entry", 42);
    json_out_i64(o, "fee_due_fen", -12825);
    json_out_bool(o, "ok", true);
    json_out *list = json_out_array(o, "postings");
    json_out *p = json_out_object(list, NULL);
    json_out_str(p, "asset", "fee");
    json_out_u64(p, "amount", 100000000000u);
    json_out_array(o, "empty");
    assert_string_equal(printed(o),
                        "{\"status\":\"ok\",\"entry\":42,\"fee_due_fen\":"
                        "-12825,\"ok\":true,\"postings\":[{\"asset\":\"fee\","
                        "\"amount\":100000000000}],\"empty\":[]}\n");
}

static void test_strings(void **state)
{
    (void)state;
    json_out *o = json_out_new();
    json_out_str(o, "note", "a \"quoted\" \\ note\nwith\ttabs\x01 张三 /");
    assert_string_equal(printed(o), "{\"note\":\"a \\\"quoted\\\" \\\\ note\\n"
                                    "with\\ttabs\\u0001 张三 /\"}\n");
    /* Not UTF-8 (a command-line argument): still JSON, bytes marked. */
    o = json_out_new();
    json_out_str(o, "error", "unknown option '--\xff\xfe'");
    assert_string_equal(printed(o), "{\"error\":\"unknown option '--?\?'\"}\n");
}

static void test_limits(void **state)
{
    (void)state;
    json_out *o = json_out_new();
    json_out_i64(o, "min", INT64_MIN);
    json_out_i64(o, "max", INT64_MAX);
    json_out_u64(o, "u", (uint64_t)INT64_MAX);
    json_out_u64(o, "beyond", UINT64_MAX); /* digits, never wrapped */
    assert_string_equal(printed(o),
                        "{\"min\":-9223372036854775808,\"max\":"
                        "9223372036854775807,\"u\":9223372036854775807,"
                        "\"beyond\":\"18446744073709551615\"}\n");
    /* A NULL parent (memory ran out before) is ignored, not a crash. */
    json_out_str(NULL, "k", "v");
    assert_null(json_out_object(NULL, "k"));
}

/* json_out_write fails, writing nothing, on a full stream. */
static void test_write_failure(void **state)
{
    (void)state;
    char buf[8];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    setvbuf(f, NULL, _IONBF, 0);
    json_out *o = json_out_new();
    json_out_str(o, "long", "more than eight bytes");
    assert_int_equal(json_out_write(f, &o), -1);
    assert_null(o);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_types),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_write_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
