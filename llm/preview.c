/* preview.c — the store's one-line prompt and completion previews, read from a finished record.
 * UTF-8 safe: a preview never splits a character. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line, at most max_chars code points; never splits a UTF-8 sequence. */
static char *preview_of(const char *s, size_t max_chars)
{
    if (!s || !*s || max_chars == 0)
        return NULL;
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    if (!*s)
        return NULL;
    size_t len = strlen(s);
    char *out = malloc(len + 4);
    if (!out)
        return NULL;
    size_t o = 0, chars = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p >= 0x20 && *p < 0x7f && chars < max_chars) {   /* printable ASCII: the common case */
            out[o++] = (char)*p++;
            chars++;
            continue;
        }
        size_t cl = 1;
        if (*p >= 0xF0) cl = 4;
        else if (*p >= 0xE0) cl = 3;
        else if (*p >= 0xC0) cl = 2;
        for (size_t k = 1; k < cl; k++)
            if (!p[k])
                goto done;  /* a truncated sequence at the very end is dropped */
        if (chars == max_chars) {
            /* Over the limit: end with an ellipsis in place of the last character. */
            while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
                o--;
            if (o > 0)
                o--;
            memcpy(out + o, "\xe2\x80\xa6", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f) {
            /* Collapse line breaks and tabs so the column stays one line. */
            if (o == 0 || out[o - 1] != ' ')
                out[o++] = ' ';
            else {
                p++;
                continue;
            }
        } else {
            memcpy(out + o, p, cl);
            o += cl;
        }
        p += cl;
        chars++;
    }
done:
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}

char *pl_llm_prompt_preview(const cJSON *record, size_t max_chars)
{
    const char *prompt = pl_js(record, "prompt");
    if (prompt)
        return preview_of(prompt, max_chars);
    const cJSON *msgs = pl_jarr(record, "messages");
    for (int i = cJSON_GetArraySize(msgs) - 1; i >= 0; i--) {
        const cJSON *m = cJSON_GetArrayItem(msgs, i);
        const char *role = pl_js(m, "role");
        if (!role || strcmp(role, "user") != 0)
            continue;
        char *t = pl_content_text(pl_jget(m, "content"));
        char *p = preview_of(t, max_chars);
        free(t);
        if (p)
            return p;
    }
    return NULL;
}

char *pl_llm_completion_preview(const cJSON *record, size_t max_chars)
{
    const char *resp = pl_js(record, "response");
    if (resp)
        return preview_of(resp, max_chars);
    const cJSON *c = cJSON_GetArrayItem(pl_jarr(record, "completions"), 0);
    if (!c)
        return NULL;
    const char *content = pl_js(c, "content");
    if (content && *content)
        return preview_of(content, max_chars);
    /* A tool-call-only answer reads best as "name(arguments)". */
    const cJSON *tc = cJSON_GetArrayItem(pl_jarr(c, "tool_calls"), 0);
    const cJSON *fn = pl_jobj(tc, "function");
    if (!fn)
        return NULL;
    const char *name = pl_js(fn, "name"), *args = pl_js(fn, "arguments");
    size_t need = (name ? strlen(name) : 0) + (args ? strlen(args) : 0) + 3;
    char *tmp = malloc(need);
    if (!tmp)
        return NULL;
    snprintf(tmp, need, "%s(%s)", name ? name : "", args ? args : "");
    char *p = preview_of(tmp, max_chars);
    free(tmp);
    return p;
}
