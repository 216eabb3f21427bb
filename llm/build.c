/* build.c — pl_norm_build: the accumulator into the final record (llm.h's record shape). Key
 * order, omit-empty, and where finish reason and usage go are decided here and nowhere else. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

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
