/* hdrsets.c — splitting a header list into its reusable template and its changing values, and
 * joining them back (see hdrsets.h). */
#include "hdrsets.h"

#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "redact.h"
#include "../util/jsonw.h"

/* Values that change from call to call while the rest of the list stays: kept out of the set. */
static const char *const VOLATILE[] = {
    "content-length", "date", "x-request-id", "request-id", "openai-processing-ms", "cf-ray",
    "x-envoy-upstream-service-time", "req-cost-time", "x-amzn-requestid", "x-amzn-trace-id",
    "apim-request-id", "traceparent", "x-cloud-trace-context", "server-timing", "age", "expires",
    "last-modified", "etag", "x-stainless-retry-count", "x-stainless-read-timeout", "cf-cache-status",
};
static const char *const VOLATILE_PREFIX[] = {"x-ratelimit-", "anthropic-ratelimit-", "x-ms-"};

static int is_volatile(const char *name)
{
    /* Every entry starts with a lower-case letter: comparing first letters (| 0x20 folds only
     * A-Z onto a-z) skips most strcasecmp calls, on every header of every captured call. */
    int c = name[0] | 0x20;
    for (size_t i = 0; i < sizeof VOLATILE / sizeof *VOLATILE; i++)
        if (c == VOLATILE[i][0] && strcasecmp(name, VOLATILE[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof VOLATILE_PREFIX / sizeof *VOLATILE_PREFIX; i++)
        if (c == VOLATILE_PREFIX[i][0] && strncasecmp(name, VOLATILE_PREFIX[i], strlen(VOLATILE_PREFIX[i])) == 0)
            return 1;
    return 0;
}

/* The values object's key for header i: its decimal index (snprintf cost more than the rest of
 * a header's split, on every captured call). */
static void index_key(char key[24], size_t i)
{
    char rev[24];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    for (size_t k = 0; k < n; k++)
        key[k] = rev[n - 1 - k];
    key[n] = '\0';
}

int pl_hdrsets_split(const pl_headers *h, const char *extra_redact, pl_buf *tmpl, pl_buf *vals)
{
    pl_buf_reset(tmpl);
    pl_buf_reset(vals);
    pl_buf_append(tmpl, "[", 1);
    pl_buf_append(vals, "{", 1);
    for (size_t i = 0; h && i < h->count; i++) {
        const char *name = h->items[i].name ? h->items[i].name : "";
        int redacted = pl_redact_header_name(name, extra_redact);
        const char *value = redacted ? PL_REDACTED : (h->items[i].value ? h->items[i].value : "");
        if (i)
            pl_buf_append(tmpl, ",", 1);
        pl_buf_append(tmpl, "[", 1);
        pl_jw_str(tmpl, name);
        pl_buf_append(tmpl, ",", 1);
        if (!redacted && is_volatile(name)) {
            char key[24];
            index_key(key, i);
            pl_jw_key(vals, key, vals->len == 1);
            pl_jw_str(vals, value);
            pl_buf_append(tmpl, "null", 4);
        } else {
            pl_jw_str(tmpl, value);
        }
        pl_buf_append(tmpl, "]", 1);
    }
    pl_buf_append(tmpl, "]", 1);
    /* pl_buf_append leaves the buffer unchanged when memory runs out: the closing brackets tell */
    if (pl_buf_append(vals, "}", 1) != 0 || !tmpl->len || tmpl->data[tmpl->len - 1] != ']')
        return -1;
    return 0;
}

int pl_hdrsets_join(const char *tmpl, const char *vals, pl_headers *out)
{
    if (!tmpl)
        return 0;
    cJSON *arr = cJSON_Parse(tmpl), *v = vals ? cJSON_Parse(vals) : NULL;
    int rc = cJSON_IsArray(arr) ? 0 : -1;
    const cJSON *pair;
    size_t i = 0;
    cJSON_ArrayForEach(pair, arr) {
        const cJSON *n = NULL, *val = NULL;
        if (cJSON_IsArray(pair)) {
            n = cJSON_GetArrayItem(pair, 0);
            val = cJSON_GetArrayItem(pair, 1);
        } else if (pair->string) {   /* tolerate the object form */
            val = pair;
        }
        const char *name = n && cJSON_IsString(n) ? n->valuestring : pair->string;
        if (cJSON_IsNull(val)) {
            char key[24];
            index_key(key, i);
            val = cJSON_GetObjectItemCaseSensitive(v, key);
        }
        const char *value = cJSON_IsString(val) ? val->valuestring : NULL;
        if (name && value)
            pl_headers_add(out, name, strlen(name), value, strlen(value));
        i++;
    }
    cJSON_Delete(arr);
    cJSON_Delete(v);
    return rc;
}
