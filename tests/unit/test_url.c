/* test_url.c — the one URL splitter (util/url.h) and the header list (util/headers.h): every part
 * of a URL found where the curl hooks, the exchange, redaction and the exporter expect it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../util/headers.h"
#include "../../util/url.h"

#define assert_view(p, n, want)                                                                    \
    do {                                                                                           \
        assert_non_null(p);                                                                        \
        assert_int_equal((n), strlen(want));                                                       \
        assert_memory_equal((p), (want), strlen(want));                                            \
    } while (0)

static void test_full_url(void **state)
{
    (void)state;
    pl_url u;
    pl_url_split("HTTPS://user:p@ss@API.Example.com:8443/v1/chat?key=1&x=2#frag", &u);
    assert_view(u.scheme, u.scheme_len, "HTTPS");
    assert_view(u.userinfo, u.userinfo_len, "user:p@ss");   /* the last '@' ends the userinfo */
    assert_view(u.host, u.host_len, "API.Example.com");
    assert_int_equal(u.port, 8443);
    assert_view(u.target, u.target_len, "/v1/chat?key=1&x=2");
    assert_view(u.path, u.path_len, "/v1/chat");
    assert_view(u.query, u.query_len, "key=1&x=2");
    assert_string_equal(u.fragment, "frag");
    char *h = pl_url_host_dup(&u), *s = pl_url_scheme_dup(&u), *t = pl_url_target_dup(&u);
    assert_string_equal(h, "api.example.com");
    assert_string_equal(s, "https");
    assert_string_equal(t, "/v1/chat?key=1&x=2");
    free(h);
    free(s);
    free(t);
    assert_int_equal(pl_url_default_port(u.scheme, u.scheme_len), 443);
}

static void test_edges(void **state)
{
    (void)state;
    pl_url u;
    pl_url_split("http://[::1]:11434", &u);
    assert_view(u.host, u.host_len, "[::1]");
    assert_int_equal(u.port, 11434);
    assert_int_equal(u.target_len, 0);
    char *t = pl_url_target_dup(&u);
    assert_string_equal(t, "/");
    free(t);

    pl_url_split("http://h?q=1", &u);   /* "?q" after the authority means "/?q" */
    t = pl_url_target_dup(&u);
    assert_string_equal(t, "/?q=1");
    free(t);
    assert_int_equal(u.path_len, 0);

    pl_url_split("api.example.com:99999/x", &u);   /* no scheme: libcurl's "host/path" */
    assert_null(u.scheme);
    assert_view(u.host, u.host_len, "api.example.com");
    assert_int_equal(u.port, 0);                    /* out of range reads as absent */
    char *s = pl_url_scheme_dup(&u);
    assert_string_equal(s, "http");
    free(s);

    pl_url_split("/v1/x?u=http://evil/", &u);      /* "://" in a query is not a scheme */
    assert_null(u.scheme);
    assert_int_equal(u.host_len, 0);
    assert_view(u.target, u.target_len, "/v1/x?u=http://evil/");
    assert_null(u.userinfo);

    pl_url_split_authority("h.example:8080", 14, &u);
    assert_view(u.host, u.host_len, "h.example");
    assert_int_equal(u.port, 8080);
    assert_int_equal(pl_url_default_port("http", 4), 80);
    assert_int_equal(pl_url_default_port(NULL, 0), 80);
}

static void test_headers(void **state)
{
    (void)state;
    pl_headers a = {0}, b = {0};
    assert_int_equal(pl_headers_add_line(&a, "Content-Type :  text/plain \r\n", 29), 0);
    assert_int_equal(pl_headers_add_line(&a, "no colon here", 13), 0);
    assert_int_equal(a.count, 1);
    assert_string_equal(pl_headers_get(&a, "content-type"), "text/plain");
    assert_int_equal(pl_headers_add(&b, "Authorization", 13, PL_REDACTED, strlen(PL_REDACTED)), 0);
    assert_int_equal(pl_headers_move(&a, &b), 0);
    assert_int_equal(b.count, 0);
    assert_int_equal(a.count, 2);
    assert_string_equal(a.items[1].name, "Authorization");
    assert_string_equal(pl_headers_get(&a, "AUTHORIZATION"), "[REDACTED]");
    pl_headers_free(&a);
    pl_headers_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_url),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
