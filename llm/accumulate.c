/* accumulate.c — the normalization accumulator (record.h): every provider funnels its wire shapes
 * into these few calls, so choices, tool calls, usage and errors are gathered in one way. */
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

void pl_norm_model(pl_norm *n, const char *model)
{
    if (!n->model && model && *model && !(n->model = pl_strdup(model)))
        n->oom = 1;
}

void pl_norm_tools(pl_norm *n, const cJSON *tools)
{
    if (tools && !n->tools && !(n->tools = cJSON_Duplicate(tools, 1)))
        n->oom = 1;
}

cJSON *pl_norm_take(pl_norm *n, cJSON *req, const char *key)
{
    (void)n;
    cJSON *v = (cJSON *)pl_jarr(req, key);
    return v ? cJSON_DetachItemViaPointer(req, v) : NULL;
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
