/* cached.c — the cached-token counts of a response body (store.h: pl_store_scan_cached), scanned
 * once on insert so an export's cost needs no body; the exporter scans old rows' bodies alike. */
#include "store.h"

#include <ctype.h>
#include <string.h>

/* The value of the last `"key": N` in body, or -1. The quote before the key must not be escaped,
 * so text inside a JSON string (where quotes are \") never matches. A key scan works for every
 * framing (JSON, SSE, NDJSON, JSON arrays). */
static long long last_count(const char *body, size_t len, const char *key)
{
    /* memmem for the quoted key, not memchr for every quote: a streamed body has a quote every
     * few bytes, and this runs on every captured call (issue 14). */
    char needle[64];
    size_t klen = strlen(key);
    if (klen + 2 > sizeof needle)
        return -1;
    needle[0] = '"';
    memcpy(needle + 1, key, klen);
    needle[klen + 1] = '"';
    long long found = -1;
    for (const char *p = body, *end = body + len; p < end;) {
        const char *q = memmem(p, (size_t)(end - p), needle, klen + 2);
        if (!q)
            break;
        size_t i = (size_t)(q - body);
        p = q + 1;
        if (i > 0 && body[i - 1] == '\\')
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

void pl_store_scan_cached(const char *api, const char *body, size_t len, long long *cached, long long *cache_write)
{
    *cached = *cache_write = 0;
    if (!body || !len)
        return;
    long long v;
    if (api && strcmp(api, "anthropic.messages") == 0) {
        if ((v = last_count(body, len, "cache_read_input_tokens")) > 0)
            *cached = v;
        if ((v = last_count(body, len, "cache_creation_input_tokens")) > 0)
            *cache_write = v;
        return;
    }
    /* OpenAI chat: usage.prompt_tokens_details.cached_tokens; Responses:
     * usage.input_tokens_details.cached_tokens; Gemini: usageMetadata.cachedContentTokenCount. */
    if ((v = last_count(body, len, "cached_tokens")) > 0)
        *cached = v;
    else if ((v = last_count(body, len, "cachedContentTokenCount")) > 0)
        *cached = v;
}
