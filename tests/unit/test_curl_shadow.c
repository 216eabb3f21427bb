/* test_curl_shadow.c — the per-handle libcurl option mirror: method rules as libcurl applies
 * them, POSTFIELDS/COPYPOSTFIELDS/POSTFIELDSIZE interplay, implied request headers, dup/reset,
 * and the handle table. Compiles preload/curl_shadow.c in (preload objects are not in CORE_OBJ). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../preload/curl_shadow.c"

#define H(n) ((CURL *)(uintptr_t)(0x1000 * (n)))

static pl_curl_arg L(long v) { pl_curl_arg a; a.l = v; return a; }
static pl_curl_arg P(const void *p) { pl_curl_arg a; a.p = (void *)p; return a; }
static pl_curl_arg OFF(curl_off_t v) { pl_curl_arg a; a.off = v; return a; }

static pl_curl_shadow *fresh(int n)
{
    pl_curl_shadow_drop(H(n));
    pl_curl_shadow *s = pl_curl_shadow_get(H(n), 1);
    assert_non_null(s);
    return s;
}

static void test_defaults_and_table(void **st)
{
    (void)st;
    pl_curl_shadow *s = fresh(1);
    assert_ptr_equal(s->handle, H(1));
    assert_ptr_equal(s->writedata, stdout);
    assert_ptr_equal(s->readdata, stdin);
    assert_null(s->writefn);
    assert_int_equal(s->postfieldsize, -1);
    assert_string_equal(pl_curl_shadow_method(s), "GET");
    /* Many handles hashing into shared buckets stay distinct. */
    for (int i = 2; i < 3000; i++)
        assert_non_null(pl_curl_shadow_get(H(i), 1));
    assert_ptr_equal(pl_curl_shadow_get(H(1), 0), s);
    for (int i = 2; i < 3000; i++) {
        assert_ptr_equal(pl_curl_shadow_get(H(i), 0)->handle, H(i));
        pl_curl_shadow_drop(H(i));
        assert_null(pl_curl_shadow_get(H(i), 0));
    }
    assert_ptr_equal(pl_curl_shadow_get(H(1), 0), s);
    pl_curl_shadow_drop(H(1));
    assert_null(pl_curl_shadow_get(H(1), 0));
    assert_null(pl_curl_shadow_get(NULL, 1));
}

static void test_method_rules(void **st)
{
    (void)st;
    pl_curl_shadow *s = fresh(1);
    pl_curl_shadow_record(s, CURLOPT_POST, L(1));
    assert_string_equal(pl_curl_shadow_method(s), "POST");
    pl_curl_shadow_record(s, CURLOPT_POST, L(0));
    assert_string_equal(pl_curl_shadow_method(s), "GET");
    pl_curl_shadow_record(s, CURLOPT_NOBODY, L(1));
    assert_string_equal(pl_curl_shadow_method(s), "HEAD");
    pl_curl_shadow_record(s, CURLOPT_POST, L(1)); /* POST implies a body again */
    assert_string_equal(pl_curl_shadow_method(s), "POST");
    pl_curl_shadow_record(s, CURLOPT_NOBODY, L(1));
    pl_curl_shadow_record(s, CURLOPT_NOBODY, L(0));
    assert_string_equal(pl_curl_shadow_method(s), "GET");
    pl_curl_shadow_record(s, CURLOPT_UPLOAD, L(1));
    assert_string_equal(pl_curl_shadow_method(s), "PUT");
    pl_curl_shadow_record(s, CURLOPT_HTTPGET, L(1));
    assert_string_equal(pl_curl_shadow_method(s), "GET");
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDS, P("{}"));
    assert_string_equal(pl_curl_shadow_method(s), "POST");
    pl_curl_shadow_record(s, CURLOPT_CUSTOMREQUEST, P("PATCH"));
    assert_string_equal(pl_curl_shadow_method(s), "PATCH");
    pl_curl_shadow_record(s, CURLOPT_CUSTOMREQUEST, P(NULL));
    assert_string_equal(pl_curl_shadow_method(s), "POST");
    pl_curl_shadow_record(s, CURLOPT_MIMEPOST, P((void *)1));
    assert_string_equal(pl_curl_shadow_method(s), "POST");
    size_t len;
    assert_null(pl_curl_shadow_body(s, &len)); /* a multipart body is not ours to read */
    pl_curl_shadow_drop(H(1));
}

static void test_postfields(void **st)
{
    (void)st;
    pl_curl_shadow *s = fresh(1);
    size_t len = 99;
    assert_null(pl_curl_shadow_body(s, &len));
    char prog[] = "{\"model\":\"m\"}";
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDS, P(prog));
    const char *b = pl_curl_shadow_body(s, &len);
    assert_ptr_equal(b, prog); /* not copied: read at perform time, as libcurl does */
    assert_int_equal(len, strlen(prog));
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDSIZE, L(4));
    b = pl_curl_shadow_body(s, &len);
    assert_int_equal(len, 4);
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDSIZE_LARGE, OFF(-1));
    b = pl_curl_shadow_body(s, &len);
    assert_int_equal(len, strlen(prog));
    pl_curl_shadow_record(s, CURLOPT_HTTPGET, L(1));
    assert_null(pl_curl_shadow_body(s, &len)); /* GET sends no body */

    /* COPYPOSTFIELDS copies, with the size set before it (binary data, embedded NUL). */
    s = fresh(2);
    char bin[] = {'a', '\0', 'b', 'c'};
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDSIZE, L(4));
    pl_curl_shadow_record(s, CURLOPT_COPYPOSTFIELDS, P(bin));
    bin[0] = 'X';
    b = pl_curl_shadow_body(s, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(b, "a\0bc", 4);
    /* A larger size afterwards invalidates the copy, as in libcurl. */
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDSIZE, L(100));
    assert_null(pl_curl_shadow_body(s, &len));

    s = fresh(3);
    char txt[] = "hello";
    pl_curl_shadow_record(s, CURLOPT_COPYPOSTFIELDS, P(txt));
    txt[0] = 'J';
    b = pl_curl_shadow_body(s, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(b, "hello", 5);
    /* POSTFIELDS replaces the copy. */
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDS, P(txt));
    b = pl_curl_shadow_body(s, &len);
    assert_ptr_equal(b, txt);
    pl_curl_shadow_drop(H(1));
    pl_curl_shadow_drop(H(2));
    pl_curl_shadow_drop(H(3));
}

static void test_headers(void **st)
{
    (void)st;
    pl_curl_shadow *s = fresh(1);
    struct curl_slist n3 = {"X-Empty;", NULL};
    struct curl_slist n2 = {"Accept:", &n3};   /* removes libcurl's Accept: not sent */
    struct curl_slist n1 = {"X-Trace: abc", &n2};
    pl_curl_shadow_record(s, CURLOPT_HTTPHEADER, P(&n1));
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDS, P("a=b"));
    pl_curl_shadow_record(s, CURLOPT_USERAGENT, P("ua/1"));
    pl_curl_shadow_record(s, CURLOPT_XOAUTH2_BEARER, P("sk-secret"));
    pl_headers h = {0};
    pl_curl_shadow_headers(s, &h);
    assert_string_equal(pl_headers_get(&h, "x-trace"), "abc");
    assert_null(pl_headers_get(&h, "Accept"));
    assert_string_equal(pl_headers_get(&h, "X-Empty"), "");
    assert_string_equal(pl_headers_get(&h, "Content-Type"), "application/x-www-form-urlencoded");
    assert_string_equal(pl_headers_get(&h, "User-Agent"), "ua/1");
    assert_string_equal(pl_headers_get(&h, "Authorization"), "Bearer " PL_REDACTED);
    for (size_t i = 0; i < h.count; i++)
        assert_null(strstr(h.items[i].value, "sk-secret"));
    pl_headers_free(&h);

    /* The program's own Content-Type and Authorization win. */
    struct curl_slist m2 = {"authorization: Bearer sk-x", NULL};
    struct curl_slist m1 = {"Content-Type: application/json", &m2};
    pl_curl_shadow_record(s, CURLOPT_HTTPHEADER, P(&m1));
    pl_curl_shadow_headers(s, &h);
    assert_string_equal(pl_headers_get(&h, "Content-Type"), "application/json");
    assert_string_equal(pl_headers_get(&h, "Authorization"), "Bearer sk-x");
    size_t ct = 0;
    for (size_t i = 0; i < h.count; i++)
        ct += strcasecmp(h.items[i].name, "content-type") == 0;
    assert_int_equal(ct, 1);
    pl_headers_free(&h);
    pl_curl_shadow_drop(H(1));
}

static size_t wfn(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }

static void test_callbacks_dup_reset(void **st)
{
    (void)st;
    pl_curl_shadow *s = fresh(1);
    pl_curl_arg f;
    f.fn = (void (*)(void))wfn;
    pl_curl_shadow_record(s, CURLOPT_WRITEFUNCTION, f);
    pl_curl_shadow_record(s, CURLOPT_WRITEDATA, P(stderr));
    pl_curl_shadow_record(s, CURLOPT_HEADERDATA, P(stderr));
    pl_curl_shadow_record(s, CURLOPT_URL, P("https://api.openai.com/v1/chat/completions"));
    pl_curl_shadow_record(s, CURLOPT_POSTFIELDSIZE, L(3));
    pl_curl_shadow_record(s, CURLOPT_COPYPOSTFIELDS, P("abcdef"));
    assert_true(pl_curl_shadow_is_wrapped(CURLOPT_WRITEFUNCTION));
    assert_true(pl_curl_shadow_is_wrapped(CURLOPT_HEADERDATA));
    assert_false(pl_curl_shadow_is_wrapped(CURLOPT_URL));
    s->xfer = (struct pl_curl_xfer *)s; /* pretend a capture is armed */

    pl_curl_shadow *d = pl_curl_shadow_dup(s, H(2));
    assert_non_null(d);
    assert_ptr_equal(d->handle, H(2));
    assert_null(d->xfer);                       /* the copy is not armed */
    assert_ptr_equal(d->writefn, wfn);
    assert_ptr_equal(d->writedata, stderr);
    assert_string_equal(d->url, s->url);
    assert_ptr_not_equal(d->url, s->url);
    size_t len;
    const char *b = pl_curl_shadow_body(d, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(b, "abc", 3);
    assert_ptr_not_equal(b, s->copypostfields); /* its own copy */
    assert_ptr_equal(pl_curl_shadow_get(H(2), 0), d);

    pl_curl_shadow_reset(d);
    assert_null(d->url);
    assert_null(d->writefn);
    assert_ptr_equal(d->writedata, stdout);
    assert_string_equal(pl_curl_shadow_method(d), "GET");
    assert_ptr_equal(pl_curl_shadow_get(H(2), 0), d); /* still in the table */

    s->xfer = NULL;
    pl_curl_shadow_drop(H(1));
    pl_curl_shadow_drop(H(2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_table),
        cmocka_unit_test(test_method_rules),
        cmocka_unit_test(test_postfields),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_callbacks_dup_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
