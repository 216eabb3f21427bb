/* json.c — NULL-safe cJSON accessors (json.h). Type checks live here so a caller never reads
 * valuestring of a number or walks the members of an array by mistake. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
    return cJSON_PrintUnformatted(v);
}

int pl_json_append_string(pl_buf *b, const char *s)
{
    if (!s)
        s = "";
    int rc = pl_buf_append(b, "\"", 1);
    const char *run = s;   /* bytes copied as they are, in one append per run */
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
        if (*p >= 32 && *p != '"' && *p != '\\')
            continue;
        char esc[8];
        size_t n = 2;
        esc[0] = '\\';
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", *p); break;
        }
        rc |= pl_buf_append(b, run, (size_t)((const char *)p - run));
        rc |= pl_buf_append(b, esc, n);
        run = (const char *)p + 1;
    }
    if (rc == 0)
        rc = pl_buf_append_str(b, run);
    if (rc == 0)
        rc = pl_buf_append(b, "\"", 1);
    return rc ? -1 : 0;
}
