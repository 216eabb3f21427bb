/* json.c — NULL-safe cJSON accessors (json.h). Type checks live here so a caller never reads
 * valuestring of a number or walks the members of an array by mistake. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonw.h"

const cJSON *pl_jget(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

const char *pl_js(const cJSON *obj, const char *key)
{
    const cJSON *v = pl_jget(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *pl_jobj(const cJSON *obj, const char *key)
{
    const cJSON *v = pl_jget(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *pl_jarr(const cJSON *obj, const char *key)
{
    const cJSON *v = pl_jget(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

int pl_jint(const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = pl_jget(obj, key);
    return cJSON_IsNumber(v) ? v->valueint : dflt;
}

char *pl_json_text(const cJSON *v, int raw_strings)
{
    if (!v)
        return NULL;
    if (raw_strings && cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring) + 1;
        char *d = malloc(n);
        if (d)
            memcpy(d, v->valuestring, n);
        return d;
    }
    /* Not cJSON_Print: its buffer comes from cJSON's hooks, which the engine or the host may
     * have set (jsonarena.h), and our callers free() what they get. */
    pl_buf b = {0};
    if (pl_jw_value(&b, v) != 0) {
        pl_buf_free(&b);
        return NULL;
    }
    return pl_buf_detach(&b);
}
