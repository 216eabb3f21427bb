/* test_llm_util.h — shared helpers for the LLM-layer unit tests: fixture loading, one-call
 * normalization, and dotted-path access into records ("completions.0.tool_calls.1.id"). */
#ifndef TEST_LLM_UTIL_H
#define TEST_LLM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../../llm/llm.h"

static inline char *load_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Normalizes req (a string) + body through the endpoint the target names on host. */
static inline cJSON *norm_body(const char *host, const char *target, const char *req, const char *body, size_t len,
                        const char *ct, int status, int incomplete)
{
    pl_endpoint ep;
    memset(&ep, 0, sizeof ep);
    assert_int_equal(pl_endpoint_match("POST", host, 443, target, &ep), 1);
    pl_llm_input in = {
        .api = ep.api, .provider = ep.provider, .target = target, .model_hint = ep.model,
        .status = status, .content_type = ct, .req_body = req, .req_len = req ? strlen(req) : 0,
        .resp_body = body, .resp_len = len, .incomplete = incomplete,
    };
    cJSON *r = pl_llm_normalize(&in);
    assert_non_null(r);
    return r;
}

static inline cJSON *norm_fixture(const char *host, const char *target, const char *req, const char *fixture,
                           const char *ct, int status)
{
    size_t len;
    char *body = load_fixture(fixture, &len);
    cJSON *r = norm_body(host, target, req, body, len, ct, status, 0);
    free(body);
    return r;
}

/* "a.0.b": object keys and array indexes separated by dots. */
static inline const cJSON *jp(const cJSON *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = root;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (cJSON_IsArray(cur) && tok[0] >= '0' && tok[0] <= '9')
            cur = cJSON_GetArrayItem(cur, atoi(tok));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    return cur;
}

static inline const char *jstr(const cJSON *root, const char *path)
{
    const cJSON *v = jp(root, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

#define assert_jstr(root, path, expected) do { \
        const char *v_ = jstr((root), (path)); \
        if (!v_) fail_msg("%s: missing string", (path)); \
        assert_string_equal(v_, (expected)); \
    } while (0)

#define assert_jint(root, path, expected) do { \
        const cJSON *v_ = jp((root), (path)); \
        if (!cJSON_IsNumber(v_)) fail_msg("%s: missing number", (path)); \
        assert_int_equal((long long)v_->valuedouble, (long long)(expected)); \
    } while (0)

#define assert_jtrue(root, path) assert_true(cJSON_IsTrue(jp((root), (path))))
#define assert_jabsent(root, path) assert_null(jp((root), (path)))

static inline int jcount(const cJSON *root, const char *path)
{
    return cJSON_GetArraySize(jp(root, path));
}

/* Cuts the body after every `step` bytes. Every cut must normalize without crashing, keep a
 * prefix of the full completion text (`text_path`), and be marked incomplete when it ends before
 * the last occurrence of `terminal` (the protocol's end marker). Returns the number of cuts. */
static inline size_t check_all_cuts(const char *host, const char *target, const char *req, const char *fixture,
                             const char *ct, size_t step, const char *terminal, const char *text_path)
{
    size_t len, tried = 0;
    char *body = load_fixture(fixture, &len);
    cJSON *full = norm_body(host, target, req, body, len, ct, 200, 0);
    const char *full_text = jstr(full, text_path);
    assert_non_null(full_text);
    size_t term = 0;
    for (const char *p = body; (p = strstr(p, terminal)) != NULL; p++)
        term = (size_t)(p - body);
    assert_true(term > 0);
    for (size_t cut = 0; cut < len; cut += step) {
        char *copy = malloc(cut + 1);  /* exact-size copy so ASan sees any overread */
        memcpy(copy, body, cut);
        cJSON *r = norm_body(host, target, req, copy, cut, ct, 200, 0);
        if (cut > 0 && cut <= term && !cJSON_IsTrue(jp(r, "incomplete")))
            fail_msg("%s cut at %zu not marked incomplete", fixture, cut);
        const char *t = jstr(r, text_path);
        if (t && strncmp(full_text, t, strlen(t)) != 0)
            fail_msg("%s cut at %zu: text is not a prefix of the full text", fixture, cut);
        if (jp(r, "parse_error"))
            fail_msg("%s cut at %zu: a cut is not a parse error (%s)", fixture, cut, jstr(r, "parse_error"));
        cJSON_Delete(r);
        free(copy);
        tried++;
    }
    cJSON_Delete(full);
    free(body);
    return tried;
}

#endif
