/* test_jsonw.c — util/jsonw.c writes what cJSON_PrintUnformatted prints: numbers (every format
 * path: integers, the exact microsecond path, printf), strings (every escape), nested values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/jsonw.h"

static void same_number(double d)
{
    cJSON *n = cJSON_CreateNumber(d);
    char *want = cJSON_PrintUnformatted(n);
    pl_buf b = {0};
    pl_jw_num(&b, d);
    if (strcmp(want, pl_buf_cstr(&b)) != 0)
        fail_msg("%.17g: cJSON prints %s, pl_jw_num %s", d, want, pl_buf_cstr(&b));
    cJSON_free(want);
    cJSON_Delete(n);
    pl_buf_free(&b);
}

/* xorshift: the same values every run */
static unsigned long long rnd(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_numbers(void **state)
{
    (void)state;
    const double fixed[] = {0, 1, -1, 0.5, 0.1, 0.2, 0.3, 1e-4, 0.0001, 0.00010000000000000001, 9.999999999999991,
                            2147483647.0, 2147483648.0, -2147483649.0, 3e9, 1796004076.5793591, 0.00099492073059082,
                            1e15, 1e16, 1e300, 1e-300, 4.8e-06, 8589934591.999999, 8589934592.5, 123456.789};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        same_number(fixed[i]);
        same_number(-fixed[i]);
    }
    unsigned long long s = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 300000; i++) {
        unsigned long long r = rnd(&s);
        /* microsecond-rounded times and durations, as the export writes them */
        double t = (double)(long long)(r % 9000000000000000ULL) / 1e6;
        same_number(t);
        same_number((double)(long long)(r % 100000000ULL) / 1e6);
        double x;   /* and any double at all */
        memcpy(&x, &r, sizeof x);
        if (x == x)
            same_number(x);
    }
}

static void test_strings_and_values(void **state)
{
    (void)state;
    const char *text = "{\"a\":[1,2.5,-3e-7,true,false,null,\"q\\\"uote\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f é\"],"
                       "\"b\":{},\"c\":[],\"\":{\"x\":\"\"}}";
    cJSON *v = cJSON_Parse(text);
    assert_non_null(v);
    char *want = cJSON_PrintUnformatted(v);
    pl_buf b = {0};
    assert_int_equal(pl_jw_value(&b, v), 0);
    assert_string_equal(pl_buf_cstr(&b), want);
    cJSON_free(want);
    cJSON_Delete(v);
    /* every byte alone */
    for (int c = 1; c < 256; c++) {
        char str[2] = {(char)c, 0};
        cJSON *sv = cJSON_CreateString(str);
        char *w = cJSON_PrintUnformatted(sv);
        pl_buf_reset(&b);
        pl_jw_str(&b, str);
        assert_string_equal(pl_buf_cstr(&b), w);
        cJSON_free(w);
        cJSON_Delete(sv);
    }
    pl_buf_reset(&b);
    pl_jw_str(&b, NULL);
    assert_string_equal(pl_buf_cstr(&b), "\"\"");
    pl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
