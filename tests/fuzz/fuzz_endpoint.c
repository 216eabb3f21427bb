/* fuzz_endpoint.c — libFuzzer harness for endpoint recognition and user rules (llm/llm.h
 * pl_endpoint_match, pl_endpoint_rules_parse): the matcher runs on every request a host makes.
 *
 * Input: [port lo][port hi] endpoints FUZZ_SEP ignore FUZZ_SEP method FUZZ_SEP host FUZZ_SEP target
 * (each part becomes a C string, cut at its first NUL). An empty method part means NULL. */
#include <stdint.h>
#include <stdlib.h>

#include "../../llm/llm.h"
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

static char *ep_str(const fuzz_part *p)
{
    char *s = malloc(p->n + 1);
    if (s) {
        memcpy(s, p->p, p->n);
        s[p->n] = '\0';
    }
    return s;
}

static void ep_check(const pl_endpoint *e, int matched)
{
    FUZZ_CHECK(memchr(e->provider, '\0', sizeof e->provider) != NULL, "provider not NUL-terminated");
    FUZZ_CHECK(memchr(e->model, '\0', sizeof e->model) != NULL, "model not NUL-terminated");
    if (matched) {
        FUZZ_CHECK(e->api != PL_API_NONE, "a match without an api");
        FUZZ_CHECK(pl_api_from_name(pl_api_name(e->api)) == e->api, "api name round trip");
        FUZZ_CHECK(e->provider[0] != '\0', "a match without a provider");
    }
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int port = data[0] | data[1] << 8;
    fuzz_part parts[5];
    fuzz_split(data + 2, size - 2, parts, 5);
    char *s[5];
    for (int i = 0; i < 5; i++)
        s[i] = ep_str(&parts[i]);
    if (!s[0] || !s[1] || !s[2] || !s[3] || !s[4])
        goto out;
    const char *method = parts[2].n ? s[2] : NULL;

    pl_endpoint e;
    memset(&e, 0x5a, sizeof e);  /* garbage in, so an unset field shows */
    int m = pl_endpoint_match(method, s[3], port, s[4], &e);
    FUZZ_CHECK(m == 0 || m == 1, "match returned %d", m);
    if (m)
        ep_check(&e, 1);

    char err[128];
    pl_endpoint_rules *r = pl_endpoint_rules_parse(s[0], s[1], err, sizeof err);
    if (!r) {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL, "error message not NUL-terminated");
    } else {
        memset(&e, 0x5a, sizeof e);
        int mr = pl_endpoint_match_rules(r, method, s[3], port, s[4], &e);
        FUZZ_CHECK(mr == 0 || mr == 1, "match_rules returned %d", mr);
        if (mr)
            ep_check(&e, 1);
        pl_endpoint_rules_free(r);
    }
    /* Tiny error buffers must stay within bounds. */
    char tiny[1];
    r = pl_endpoint_rules_parse(s[0], s[1], tiny, sizeof tiny);
    pl_endpoint_rules_free(r);
    /* The rule text doubles as a host and a path: globs and odd bytes in both places. */
    pl_endpoint_match(method, s[0], port, s[1], &e);
out:
    for (int i = 0; i < 5; i++)
        free(s[i]);
    return 0;
}
