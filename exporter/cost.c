/* cost.c — cost_usd of one call (see cost.h). Cached-token counts come from the store's columns
 * (schema 4) or, for older rows, from the stored response body by the store's own key scan. */
#include "cost.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
    if (r->resp_body && r->resp_len) {
        pl_store_scan_cached(r->api, r->resp_body, r->resp_len, &t->cached_read, &t->cache_write);
    } else if (r->cached_tokens >= 0) {   /* scanned by the store on insert (schema 4) */
        t->cached_read = r->cached_tokens;
        t->cache_write = r->cache_write_tokens > 0 ? r->cache_write_tokens : 0;
    }
    if (!is_anthropic(r))
        t->cache_write = 0;
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
