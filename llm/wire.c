/* wire.c — helpers over the JSON shapes several providers share: text out of content parts,
 * generation kwargs, and the many ways an error body names its message. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

char *pl_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *pl_text_result(pl_buf *b, int any)
{
    if (!any || b->len == 0) {
        pl_buf_free(b);  /* appending "" may still have allocated */
        return any ? pl_strdup("") : NULL;
    }
    return pl_buf_detach(b);
}

char *pl_content_text(const cJSON *content)
{
    if (cJSON_IsString(content))
        return pl_strdup(content->valuestring);
    if (!cJSON_IsArray(content))
        return NULL;
    pl_buf b = {0};
    int any = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const char *t = cJSON_IsString(part) ? part->valuestring : pl_js(part, "text");
        if (t) {
            pl_buf_append_str(&b, t);
            any = 1;
        }
    }
    return pl_text_result(&b, any);
}

cJSON *pl_kwargs(const cJSON *req, const char *const *exclude)
{
    if (!cJSON_IsObject(req))
        return NULL;
    cJSON *out = NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, req) {
        int skip = 0;
        for (const char *const *e = exclude; *e && f->string; e++)
            if (strcmp(*e, f->string) == 0) {
                skip = 1;
                break;
            }
        if (skip || !f->string)
            continue;
        if (!out && !(out = cJSON_CreateObject()))
            return NULL;
        cJSON *dup = cJSON_Duplicate(f, 1);
        if (dup)
            cJSON_AddItemToObject(out, f->string, dup);
    }
    return out;
}

char *pl_error_message(const cJSON *body)
{
    if (cJSON_IsArray(body))
        body = cJSON_GetArrayItem(body, 0);
    if (!cJSON_IsObject(body))
        return NULL;
    const cJSON *e = pl_jget(body, "error");
    if (cJSON_IsString(e))
        return pl_strdup(e->valuestring);
    if (cJSON_IsObject(e)) {
        const char *m = pl_js(e, "message");
        if (m)
            return pl_strdup(m);
        return pl_json_text(e, 0);
    }
    const char *m = pl_js(body, "message");
    if (m)
        return pl_strdup(m);
    const cJSON *d = pl_jget(body, "detail");  /* FastAPI-based servers (vLLM) */
    if (d)
        return pl_json_text(d, 1);
    return NULL;
}
