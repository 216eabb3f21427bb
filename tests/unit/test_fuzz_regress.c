/* test_fuzz_regress.c — replays every fuzz seed (tests/fuzz/corpus/<harness>) and every kept
 * crashing input (tests/fuzz/regress/<harness>) through the libFuzzer harnesses, built by gcc.
 *
 * The harness sources are included here with their entry point renamed, so `make unit` and
 * `make asan` rerun them without clang. A harness aborts on a broken contract (whole vs split
 * feed differ, invariant broken) and ASan/UBSan catch memory errors under `make asan`. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FUZZ_ENTRY fuzz_http1_one
#include "../fuzz/fuzz_http1.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_http2_one
#include "../fuzz/fuzz_http2.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_sse_one
#include "../fuzz/fuzz_sse.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_decode_one
#include "../fuzz/fuzz_decode.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_llm_one
#include "../fuzz/fuzz_llm.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_endpoint_one
#include "../fuzz/fuzz_endpoint.c"
#undef FUZZ_ENTRY

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pl_buf b = {0};
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        pl_buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    /* An exact-size copy, as libFuzzer hands inputs over, so over-reads show under ASan. */
    char *exact = malloc(b.len ? b.len : 1);
    if (exact && b.len)
        memcpy(exact, b.data, b.len);
    pl_buf_free(&b);
    return exact;
}

/* Runs fn over every file of tests/fuzz/<kind>/<harness>; returns how many there were. */
static int replay_dir(const char *kind, const char *harness, fuzz_fn fn)
{
    const char *fixtures = getenv("PROMPTLOG_FIXTURES");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../fuzz/%s/%s", fixtures ? fixtures : "tests/fixtures", kind, harness);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *data = read_all(path, &len);
        if (!data)
            continue;
        fprintf(stderr, "  %s %s/%s\n", harness, kind, e->d_name);
        fn((const uint8_t *)data, len);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

static void replay(const char *harness, fuzz_fn fn)
{
    int seeds = replay_dir("corpus", harness, fn);
    replay_dir("regress", harness, fn);
    if (seeds == 0)
        fail_msg("no seed corpus for %s (PROMPTLOG_FIXTURES=%s)", harness, getenv("PROMPTLOG_FIXTURES"));
    /* Degenerate inputs every harness must take. */
    fn((const uint8_t *)"", 0);
    fn((const uint8_t *)"\xff", 1);
    fn((const uint8_t *)"\0\0\0" FUZZ_SEP FUZZ_SEP, 3 + 2 * FUZZ_SEP_LEN);
}

static void test_http1(void **state) { (void)state; replay("http1", fuzz_http1_one); }
static void test_http2(void **state) { (void)state; replay("http2", fuzz_http2_one); }
static void test_sse(void **state) { (void)state; replay("sse", fuzz_sse_one); }
static void test_decode(void **state) { (void)state; replay("decode", fuzz_decode_one); }
static void test_llm(void **state) { (void)state; replay("llm", fuzz_llm_one); }
static void test_endpoint(void **state) { (void)state; replay("endpoint", fuzz_endpoint_one); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http1),  cmocka_unit_test(test_http2), cmocka_unit_test(test_sse),
        cmocka_unit_test(test_decode), cmocka_unit_test(test_llm),   cmocka_unit_test(test_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
