/* record.c — the normalization accumulator, the final record builder, cJSON helpers and previews.
 * Every provider funnels into the same few calls so the record shape (omit-empty, key order,
 * usage and finish placement) is decided in exactly one place. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pl_norm_init(pl_norm *n, const pl_llm_input *in, const char *kind)
{
    memset(n, 0, sizeof *n);
    n->in = in;
    n->kind = kind;
    for (size_t i = 0; i < sizeof n->scratch / sizeof n->scratch[0]; i++)
        n->scratch[i] = -1;
}

static void free_tool(pl_tool_acc *t)
{
    free(t->key);
    pl_buf_free(&t->id);
    pl_buf_free(&t->name);
    pl_buf_free(&t->args);
}

void pl_norm_free(pl_norm *n)
{
    free(n->model);
    cJSON_Delete(n->messages);
    cJSON_Delete(n->tools);
    cJSON_Delete(n->kwargs);
    free(n->prompt);
    free(n->resp_model);
    for (size_t i = 0; i < n->n_choices; i++) {
        pl_choice_acc *c = &n->choices[i];
        pl_buf_free(&c->content);
        for (size_t k = 0; k < c->n_tools; k++)
            free_tool(&c->tools[k]);
        free(c->tools);
    }
    free(n->choices);
    pl_buf_free(&n->error);
    pl_buf_free(&n->parse_error);
    memset(n, 0, sizeof *n);
}

pl_choice_acc *pl_norm_choice(pl_norm *n, int index)
{
    for (size_t i = 0; i < n->n_choices; i++)
        if (n->choices[i].index == index)
            return &n->choices[i];
    if (n->n_choices == n->cap_choices) {
        size_t cap = n->cap_choices ? n->cap_choices * 2 : 2;
        pl_choice_acc *c = realloc(n->choices, cap * sizeof *c);
        if (!c) {
            n->oom = 1;
            return NULL;
        }
        n->choices = c;
        n->cap_choices = cap;
    }
    pl_choice_acc *c = &n->choices[n->n_choices++];
    memset(c, 0, sizeof *c);
    c->index = index;
    return c;
}

void pl_norm_mark_token(pl_norm *n)
{
    if (!n->has_first_token && n->streamed) {
        n->first_token = n->cur_offset;
        n->has_first_token = 1;
    }
}

void pl_norm_text(pl_norm *n, int choice, const char *s)
{
    if (!s || !*s)
        return;
    pl_choice_acc *c = pl_norm_choice(n, choice);
    if (!c)
        return;
    if (pl_buf_append_str(&c->content, s))
        n->oom = 1;
    pl_norm_mark_token(n);
}

pl_tool_acc *pl_norm_tool(pl_norm *n, int choice, int index, const char *key)
{
    pl_choice_acc *c = pl_norm_choice(n, choice);
    if (!c)
        return NULL;
    for (size_t i = 0; i < c->n_tools; i++) {
        pl_tool_acc *t = &c->tools[i];
        if (key ? (t->key && strcmp(t->key, key) == 0) : (!t->key && t->index == index))
            return t;
    }
    if (c->n_tools == c->cap_tools) {
        size_t cap = c->cap_tools ? c->cap_tools * 2 : 2;
        pl_tool_acc *t = realloc(c->tools, cap * sizeof *t);
        if (!t) {
            n->oom = 1;
            return NULL;
        }
        c->tools = t;
        c->cap_tools = cap;
    }
    pl_tool_acc *t = &c->tools[c->n_tools++];
    memset(t, 0, sizeof *t);
    t->index = index;
    if (key && !(t->key = pl_strdup(key)))
        n->oom = 1;
    return t;
}

void pl_norm_tool_frag(pl_norm *n, pl_tool_acc *t, const char *id, const char *name, const char *args)
{
    if (!t)
        return;
    int rc = 0;
    if (id && *id && t->id.len == 0)
        rc |= pl_buf_append_str(&t->id, id);
    if (name && *name && t->name.len == 0)
        rc |= pl_buf_append_str(&t->name, name);
    if (args && *args)
        rc |= pl_buf_append_str(&t->args, args);
    if (rc)
        n->oom = 1;
    pl_norm_mark_token(n);
}

void pl_norm_finish(pl_norm *n, int choice, const char *reason)
{
    if (!reason || !*reason)
        return;
    pl_choice_acc *c = pl_norm_choice(n, choice);
    if (c)
        snprintf(c->finish, sizeof c->finish, "%s", reason);
}

/* A token count as the provider sent it, when it is one: a finite number in [0, 2^53].
 * Anything else (negative, NaN, 1e64) is no count at all; converting it to long long would be
 * undefined behaviour (found by fuzz_llm). */
static int token_count(const cJSON *num, long long *out)
{
    if (!cJSON_IsNumber(num) || !(num->valuedouble >= 0 && num->valuedouble <= 9007199254740992.0))
        return 0;
    *out = (long long)num->valuedouble;
    return 1;
}

void pl_norm_usage_in(pl_norm *n, const cJSON *num)
{
    if (token_count(num, &n->in_tok))
        n->has_in = 1;
}

void pl_norm_usage_out(pl_norm *n, const cJSON *num)
{
    if (token_count(num, &n->out_tok))
        n->has_out = 1;
}

void pl_norm_resp_model(pl_norm *n, const char *model)
{
    if (!n->resp_model && model && *model && !(n->resp_model = pl_strdup(model)))
        n->oom = 1;
}

void pl_norm_error(pl_norm *n, const char *msg)
{
    if (n->error.len == 0 && msg && *msg && pl_buf_append_str(&n->error, msg))
        n->oom = 1;
}

void pl_norm_parse_error(pl_norm *n, const char *what)
{
    /* The same complaint repeated per event would only add noise. */
    if (n->parse_error.len && strstr(pl_buf_cstr(&n->parse_error), what))
        return;
    int rc = 0;
    if (n->parse_error.len)
        rc |= pl_buf_append_str(&n->parse_error, "; ");
    rc |= pl_buf_append_str(&n->parse_error, what);
    if (rc)
        n->oom = 1;
}

/* ------------------------------------------------------------------------------------------ */

static int add_str(cJSON *o, const char *k, const char *v)
{
    return v && *v ? cJSON_AddStringToObject(o, k, v) != NULL : 1;
}

static cJSON *build_choice(const pl_choice_acc *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "role", "assistant");
    if (c->content.len)
        cJSON_AddStringToObject(o, "content", pl_buf_cstr(&c->content));
    if (c->n_tools) {
        cJSON *arr = cJSON_AddArrayToObject(o, "tool_calls");
        for (size_t i = 0; arr && i < c->n_tools; i++) {
            const pl_tool_acc *t = &c->tools[i];
            cJSON *tc = cJSON_CreateObject();
            if (!tc)
                break;
            add_str(tc, "id", pl_buf_cstr(&t->id));
            cJSON_AddStringToObject(tc, "type", "function");
            cJSON *fn = cJSON_AddObjectToObject(tc, "function");
            if (fn) {
                cJSON_AddStringToObject(fn, "name", pl_buf_cstr(&t->name));
                cJSON_AddStringToObject(fn, "arguments", pl_buf_cstr(&t->args));
            }
            cJSON_AddItemToArray(arr, tc);
        }
    }
    add_str(o, "finish_reason", c->finish);
    return o;
}

static int cmp_choice(const void *a, const void *b)
{
    const pl_choice_acc *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

cJSON *pl_norm_build(pl_norm *n)
{
    const pl_llm_input *in = n->in;
    cJSON *r = cJSON_CreateObject();
    if (!r)
        return NULL;
    cJSON_AddStringToObject(r, "kind", n->kind);

    const char *model = n->model;
    if ((!model || !*model) && in->model_hint && *in->model_hint)
        model = in->model_hint;
    if (!model || !*model)
        model = n->resp_model;
    add_str(r, "model", model);
    if (n->resp_model && model && strcmp(n->resp_model, model) != 0)
        cJSON_AddStringToObject(r, "response_model", n->resp_model);
    if (n->streamed)
        cJSON_AddTrueToObject(r, "stream");

    if (strcmp(n->kind, "chat") == 0 && n->messages && cJSON_GetArraySize(n->messages) > 0) {
        cJSON_AddItemToObject(r, "messages", n->messages);
        n->messages = NULL;
    }
    if (n->tools && cJSON_GetArraySize(n->tools) > 0) {
        cJSON_AddItemToObject(r, "tools", n->tools);
        n->tools = NULL;
    }
    if (n->kwargs) {
        cJSON_AddItemToObject(r, "generation_kwargs", n->kwargs);
        n->kwargs = NULL;
    }

    if (n->n_choices > 1)
        qsort(n->choices, n->n_choices, sizeof *n->choices, cmp_choice);
    const char *finish = n->n_choices ? n->choices[0].finish : "";
    if (strcmp(n->kind, "chat") == 0) {
        cJSON *arr = NULL;
        for (size_t i = 0; i < n->n_choices; i++) {
            const pl_choice_acc *c = &n->choices[i];
            if (!c->content.len && !c->n_tools && !c->finish[0])
                continue;
            if (!arr && !(arr = cJSON_AddArrayToObject(r, "completions")))
                break;
            cJSON *o = build_choice(c);
            if (o)
                cJSON_AddItemToArray(arr, o);
        }
    } else if (strcmp(n->kind, "text") == 0) {
        /* A system prompt beside the prompt (Ollama /api/generate) is messages[0]. */
        const cJSON *sys = cJSON_GetArrayItem(n->messages, 0);
        add_str(r, "system", pl_js(sys, "content"));
        add_str(r, "prompt", n->prompt);
        if (n->n_choices)
            add_str(r, "response", pl_buf_cstr(&n->choices[0].content));
    }
    add_str(r, "finish_reason", finish);

    if (n->has_in || n->has_out) {
        cJSON *u = cJSON_AddObjectToObject(r, "usage");
        if (u && n->has_in)
            cJSON_AddNumberToObject(u, "input_tokens", (double)n->in_tok);
        if (u && n->has_out)
            cJSON_AddNumberToObject(u, "output_tokens", (double)n->out_tok);
    }
    if (in->status)
        cJSON_AddNumberToObject(r, "status", in->status);
    add_str(r, "error", pl_buf_cstr(&n->error));
    int incomplete = in->incomplete || n->cut || (n->streamed && !n->terminal);
    if (incomplete)
        cJSON_AddTrueToObject(r, "incomplete");
    if (n->oom)
        pl_norm_parse_error(n, "out of memory while normalizing");
    add_str(r, "parse_error", pl_buf_cstr(&n->parse_error));
    if (n->has_first_token)
        cJSON_AddNumberToObject(r, "first_token_offset", (double)n->first_token);
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* cJSON helpers */

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
    if (!any || b.len == 0) {
        pl_buf_free(&b);  /* appending "" may still have allocated */
        return any ? pl_strdup("") : NULL;
    }
    return pl_buf_detach(&b);
}

char *pl_json_text(const cJSON *v, int raw_strings)
{
    if (!v)
        return NULL;
    if (raw_strings && cJSON_IsString(v))
        return pl_strdup(v->valuestring);
    return cJSON_PrintUnformatted(v);
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
        return cJSON_PrintUnformatted(e);
    }
    const char *m = pl_js(body, "message");
    if (m)
        return pl_strdup(m);
    const cJSON *d = pl_jget(body, "detail");  /* FastAPI-based servers (vLLM) */
    if (d)
        return pl_json_text(d, 1);
    return NULL;
}

cJSON *pl_msg_add(pl_norm *n, const char *role, const char *content)
{
    if (!n->messages && !(n->messages = cJSON_CreateArray())) {
        n->oom = 1;
        return NULL;
    }
    cJSON *m = cJSON_CreateObject();
    if (!m) {
        n->oom = 1;
        return NULL;
    }
    cJSON_AddStringToObject(m, "role", role);
    if (content)
        cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(n->messages, m);
    return m;
}

void pl_msg_tool_call(cJSON *msg, const char *id, const char *name, const cJSON *args_json)
{
    if (!msg)
        return;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (!arr && !(arr = cJSON_AddArrayToObject(msg, "tool_calls")))
        return;
    cJSON *tc = cJSON_CreateObject();
    if (!tc)
        return;
    if (id && *id)
        cJSON_AddStringToObject(tc, "id", id);
    cJSON_AddStringToObject(tc, "type", "function");
    cJSON *fn = cJSON_AddObjectToObject(tc, "function");
    char *args = pl_json_text(args_json, 1);
    if (fn) {
        cJSON_AddStringToObject(fn, "name", name ? name : "");
        cJSON_AddStringToObject(fn, "arguments", args ? args : "{}");
    }
    free(args);
    cJSON_AddItemToArray(arr, tc);
}

/* ------------------------------------------------------------------------------------------ */
/* Previews */

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
