/* cost.c — cost_usd of one call (see cost.h). Cached-token counts are not columns of the store,
 * so they are read from the stored response body by a key scan that works for every framing
 * (JSON, SSE, NDJSON, JSON arrays): the last occurrence wins, as stream usage is cumulative. */
#include "cost.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The value of the last `"key": N` in body, or -1. The quote before the key must not be escaped,
 * so text inside a JSON string (where quotes are \") never matches. */
static long long last_count(const char *body, size_t len, const char *key)
{
    size_t klen = strlen(key);
    long long found = -1;
    for (size_t i = 0; i + klen + 2 < len; i++) {
        if (body[i] != '"' || (i > 0 && body[i - 1] == '\\'))
            continue;
        if (memcmp(body + i + 1, key, klen) != 0 || body[i + 1 + klen] != '"')
            continue;
        size_t j = i + klen + 2;
        while (j < len && (body[j] == ' ' || body[j] == '\t'))
            j++;
        if (j >= len || body[j] != ':')
            continue;
        j++;
        while (j < len && (body[j] == ' ' || body[j] == '\t'))
            j++;
        long long v = 0;
        size_t start = j;
        while (j < len && isdigit((unsigned char)body[j]) && v < 1000000000000LL)
            v = v * 10 + (body[j++] - '0');
        if (j > start)
            found = v;
    }
    return found;
}

static int is_anthropic(const pl_row *r)
{
    return r->api && strcmp(r->api, "anthropic.messages") == 0;
}

void pl_cost_tokens(const pl_row *r, pl_tokens *t)
{
    t->input = r->input_tokens;
    t->output = r->output_tokens;
    t->cached_read = 0;
    t->cache_write = 0;
    if (!r->resp_body || !r->resp_len)
        return;
    long long v;
    if (is_anthropic(r)) {
        if ((v = last_count(r->resp_body, r->resp_len, "cache_read_input_tokens")) > 0)
            t->cached_read = v;
        if ((v = last_count(r->resp_body, r->resp_len, "cache_creation_input_tokens")) > 0)
            t->cache_write = v;
        return;
    }
    /* OpenAI chat: usage.prompt_tokens_details.cached_tokens; Responses:
     * usage.input_tokens_details.cached_tokens; Gemini: usageMetadata.cachedContentTokenCount. */
    if ((v = last_count(r->resp_body, r->resp_len, "cached_tokens")) > 0)
        t->cached_read = v;
    else if ((v = last_count(r->resp_body, r->resp_len, "cachedContentTokenCount")) > 0)
        t->cached_read = v;
}

double pl_cost_usd(const pl_prices *p, const pl_row *r)
{
    pl_tokens t;
    pl_cost_tokens(r, &t);
    if (t.input < 0)
        return -1;
    if (t.output < 0) {
        if (r->kind && strcmp(r->kind, "embedding") == 0)
            t.output = 0;
        else
            return -1;
    }
    const pl_price *e = pl_prices_find(p, r->provider, r->model, t.input);
    if (!e || e->input < 0)
        return -1;
    if (t.output > 0 && e->output < 0)
        return -1;
    if (t.cached_read > 0 && e->cached_input < 0)
        return -1;
    if (t.cache_write > 0 && e->cache_write < 0)
        return -1;
    double usd = 0;
    if (is_anthropic(r)) {
        usd += (double)t.input * e->input;
        usd += (double)t.cache_write * (t.cache_write > 0 ? e->cache_write : 0);
    } else {
        long long uncached = t.input - t.cached_read;
        usd += (double)(uncached > 0 ? uncached : 0) * e->input;
    }
    usd += (double)t.cached_read * (t.cached_read > 0 ? e->cached_input : 0);
    usd += (double)t.output * (t.output > 0 ? e->output : 0);
    return usd / 1e6;
}
