/* openai.c — OpenAI-shaped APIs (chat completions, legacy completions, Responses, embeddings),
 * which Azure and the OpenAI-compatible servers speak too: request fields, bodies and stream chunks
 * into the shared accumulator. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

/* Arguments arrive as a JSON string on the wire; some compatible servers send an object. */
static char *args_text(const cJSON *args)
{
    if (!args || cJSON_IsNull(args))
        return NULL;
    return pl_json_text(args, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Chat completions */

static void chat_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "messages", "tools", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    n->messages = pl_norm_take(n, req, "messages");
    pl_norm_tools(n, pl_jarr(req, "tools"));
    n->kwargs = pl_kwargs(req, excl);
}

static void chat_tool_calls(pl_norm *n, int ci, const cJSON *calls)
{
    const cJSON *tc;
    int pos = 0;
    cJSON_ArrayForEach(tc, calls) {
        int idx = pl_jint(tc, "index", pos++);
        const cJSON *fn = pl_jobj(tc, "function");
        char *args = args_text(pl_jget(fn, "arguments"));
        pl_tool_acc *t = pl_norm_tool(n, ci, idx, NULL);
        pl_norm_tool_frag(n, t, pl_js(tc, "id"), pl_js(fn, "name"), args);
        free(args);
    }
}

/* Legacy single function_call (pre-tools API) is recorded as tool call 0. */
static void chat_function_call(pl_norm *n, int ci, const cJSON *fc)
{
    if (!cJSON_IsObject(fc))
        return;
    char *args = args_text(pl_jget(fc, "arguments"));
    pl_norm_tool_frag(n, pl_norm_tool(n, ci, 0, NULL), NULL, pl_js(fc, "name"), args);
    free(args);
}

static void openai_usage(pl_norm *n, const cJSON *obj)
{
    const cJSON *u = pl_jobj(obj, "usage");
    if (!u)
        return;
    pl_norm_usage_in(n, pl_jget(u, "prompt_tokens"));
    pl_norm_usage_out(n, pl_jget(u, "completion_tokens"));
}

static void chat_message(pl_norm *n, int ci, const cJSON *msg)
{
    char *text = pl_content_text(pl_jget(msg, "content"));
    if (text && *text)
        pl_norm_text(n, ci, text);
    else if (pl_js(msg, "refusal"))
        pl_norm_text(n, ci, pl_js(msg, "refusal"));
    free(text);
    chat_tool_calls(n, ci, pl_jarr(msg, "tool_calls"));
    chat_function_call(n, ci, pl_jget(msg, "function_call"));
}

static void chat_response(pl_norm *n, const cJSON *resp)
{
    pl_norm_resp_model(n, pl_js(resp, "model"));
    const cJSON *ch;
    int pos = 0;
    cJSON_ArrayForEach(ch, pl_jarr(resp, "choices")) {
        int ci = pl_jint(ch, "index", pos++);
        pl_norm_choice(n, ci);
        chat_message(n, ci, pl_jobj(ch, "message"));
        pl_norm_finish(n, ci, pl_js(ch, "finish_reason"));
    }
    openai_usage(n, resp);
}

static void chat_event(pl_norm *n, const char *event, const cJSON *d)
{
    (void)event;
    /* Azure's first chunk has model "" and choices []: it names nothing, so it is skipped
     * naturally (empty model ignored, no choices to walk). */
    pl_norm_resp_model(n, pl_js(d, "model"));
    const cJSON *ch;
    int pos = 0;
    cJSON_ArrayForEach(ch, pl_jarr(d, "choices")) {
        int ci = pl_jint(ch, "index", pos++);
        pl_norm_choice(n, ci);
        const cJSON *delta = pl_jobj(ch, "delta");
        const char *content = pl_js(delta, "content");
        if (content)
            pl_norm_text(n, ci, content);
        else if (pl_js(delta, "refusal"))
            pl_norm_text(n, ci, pl_js(delta, "refusal"));
        chat_tool_calls(n, ci, pl_jarr(delta, "tool_calls"));
        chat_function_call(n, ci, pl_jget(delta, "function_call"));
        pl_norm_finish(n, ci, pl_js(ch, "finish_reason"));
    }
    openai_usage(n, d);
}

const pl_api_desc pl_openai_chat = {"openai.chat", "chat", &pl_openai};
const pl_api_norm pl_openai_chat_norm = {chat_request, chat_response, chat_event};

/* ------------------------------------------------------------------------------------------ */
/* Legacy completions: a "text" record */

static void completions_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "prompt", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    const cJSON *p = pl_jget(req, "prompt");
    if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 1 && cJSON_IsString(cJSON_GetArrayItem(p, 0)))
        p = cJSON_GetArrayItem(p, 0);
    n->prompt = pl_json_text(p, 1);
    n->kwargs = pl_kwargs(req, excl);
}

static void completions_choices(pl_norm *n, const cJSON *obj)
{
    const cJSON *ch;
    int pos = 0;
    cJSON_ArrayForEach(ch, pl_jarr(obj, "choices")) {
        int ci = pl_jint(ch, "index", pos++);
        pl_norm_choice(n, ci);
        pl_norm_text(n, ci, pl_js(ch, "text"));
        pl_norm_finish(n, ci, pl_js(ch, "finish_reason"));
    }
    pl_norm_resp_model(n, pl_js(obj, "model"));
    openai_usage(n, obj);
}

static void completions_response(pl_norm *n, const cJSON *resp)
{
    completions_choices(n, resp);
}

static void completions_event(pl_norm *n, const char *event, const cJSON *d)
{
    (void)event;
    completions_choices(n, d);
}

const pl_api_desc pl_openai_completions = {"openai.completions", "text", &pl_openai};
const pl_api_norm pl_openai_completions_norm = {completions_request, completions_response, completions_event};

/* ------------------------------------------------------------------------------------------ */
/* Responses API */

static void responses_input_item(pl_norm *n, const cJSON *it, cJSON **last_calls)
{
    const char *type = pl_js(it, "type");
    if (!type || strcmp(type, "message") == 0) {
        const char *role = pl_js(it, "role");
        const cJSON *content = pl_jget(it, "content");
        char *text = pl_content_text(content);
        cJSON *m = pl_msg_add(n, role ? role : "user", text);
        if (m && !text && content)
            cJSON_AddItemToObject(m, "content", cJSON_Duplicate(content, 1));
        free(text);
        *last_calls = NULL;
    } else if (strcmp(type, "function_call") == 0) {
        /* Consecutive calls belong to one assistant turn, as in chat completions. */
        if (!*last_calls)
            *last_calls = pl_msg_add(n, "assistant", NULL);
        pl_msg_tool_call(*last_calls, pl_js(it, "call_id"), pl_js(it, "name"), pl_jget(it, "arguments"));
    } else if (strcmp(type, "function_call_output") == 0) {
        const cJSON *out = pl_jget(it, "output");
        char *text = pl_content_text(out);
        if (!text)
            text = pl_json_text(out, 1);
        cJSON *m = pl_msg_add(n, "tool", text ? text : "");
        if (m && pl_js(it, "call_id"))
            cJSON_AddStringToObject(m, "tool_call_id", pl_js(it, "call_id"));
        free(text);
        *last_calls = NULL;
    } else if (strcmp(type, "reasoning") != 0) {
        /* Other items (file search results, images...) are kept verbatim rather than lost. */
        if (!n->messages)
            n->messages = cJSON_CreateArray();
        if (n->messages)
            cJSON_AddItemToArray(n->messages, cJSON_Duplicate(it, 1));
        *last_calls = NULL;
    }
}

static void responses_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "input", "instructions", "tools", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    const char *instr = pl_js(req, "instructions");
    if (instr && *instr)
        pl_msg_add(n, "system", instr);
    const cJSON *input = pl_jget(req, "input");
    if (cJSON_IsString(input)) {
        pl_msg_add(n, "user", input->valuestring);
    } else if (cJSON_IsArray(input)) {
        cJSON *last_calls = NULL;
        const cJSON *it;
        cJSON_ArrayForEach(it, input)
            responses_input_item(n, it, &last_calls);
    }
    pl_norm_tools(n, pl_jarr(req, "tools"));
    n->kwargs = pl_kwargs(req, excl);
}

static void responses_output_item(pl_norm *n, const cJSON *item)
{
    const char *type = pl_js(item, "type");
    if (!type)
        return;
    if (strcmp(type, "message") == 0) {
        const cJSON *part;
        cJSON_ArrayForEach(part, pl_jarr(item, "content")) {
            const char *pt = pl_js(part, "type");
            if (pt && strcmp(pt, "output_text") == 0)
                pl_norm_text(n, 0, pl_js(part, "text"));
            else if (pt && strcmp(pt, "refusal") == 0)
                pl_norm_text(n, 0, pl_js(part, "refusal"));
        }
    } else if (strcmp(type, "function_call") == 0) {
        const char *key = pl_js(item, "id");
        pl_tool_acc *t = pl_norm_tool(n, 0, 0, key ? key : pl_js(item, "call_id"));
        char *args = args_text(pl_jget(item, "arguments"));
        if (t && t->args.len == 0)
            pl_norm_tool_frag(n, t, pl_js(item, "call_id"), pl_js(item, "name"), args);
        else
            pl_norm_tool_frag(n, t, pl_js(item, "call_id"), pl_js(item, "name"), NULL);
        free(args);
    }
}

static int has_tool_calls(pl_norm *n)
{
    for (size_t i = 0; i < n->n_choices; i++)
        if (n->choices[i].n_tools)
            return 1;
    return 0;
}

/* A finished response object: status -> finish_reason, usage, and its output when the stream
 * did not already deliver it piece by piece. */
static void responses_final(pl_norm *n, const cJSON *r, int from_stream)
{
    pl_norm_resp_model(n, pl_js(r, "model"));
    pl_choice_acc *c = pl_norm_choice(n, 0);
    if (!from_stream || (c && c->content.len == 0 && c->n_tools == 0)) {
        const cJSON *item;
        cJSON_ArrayForEach(item, pl_jarr(r, "output"))
            responses_output_item(n, item);
    }
    const char *status = pl_js(r, "status");
    if (status && strcmp(status, "completed") == 0) {
        pl_norm_finish(n, 0, has_tool_calls(n) ? "tool_calls" : "stop");
    } else if (status && strcmp(status, "incomplete") == 0) {
        const char *reason = pl_js(pl_jobj(r, "incomplete_details"), "reason");
        if (reason && strcmp(reason, "max_output_tokens") == 0)
            pl_norm_finish(n, 0, "length");
        else
            pl_norm_finish(n, 0, reason ? reason : "incomplete");
    } else if (status && strcmp(status, "failed") == 0) {
        const char *msg = pl_js(pl_jobj(r, "error"), "message");
        pl_norm_error(n, msg ? msg : "response failed");
    }
    const cJSON *u = pl_jobj(r, "usage");
    pl_norm_usage_in(n, pl_jget(u, "input_tokens"));
    pl_norm_usage_out(n, pl_jget(u, "output_tokens"));
}

static void responses_response(pl_norm *n, const cJSON *resp)
{
    responses_final(n, resp, 0);
}

static void responses_event(pl_norm *n, const char *event, const cJSON *d)
{
    const char *type = pl_js(d, "type");
    if (!type)
        type = event;
    if (!type)
        return;
    if (strcmp(type, "response.output_text.delta") == 0 || strcmp(type, "response.refusal.delta") == 0) {
        pl_norm_text(n, 0, pl_js(d, "delta"));
    } else if (strcmp(type, "response.output_item.added") == 0 ||
               strcmp(type, "response.output_item.done") == 0) {
        const cJSON *item = pl_jobj(d, "item");
        const char *it = pl_js(item, "type");
        if (it && strcmp(it, "function_call") == 0)
            responses_output_item(n, item);
    } else if (strcmp(type, "response.function_call_arguments.delta") == 0) {
        const char *key = pl_js(d, "item_id");
        pl_norm_tool_frag(n, pl_norm_tool(n, 0, 0, key ? key : ""), NULL, NULL, pl_js(d, "delta"));
    } else if (strcmp(type, "response.function_call_arguments.done") == 0) {
        const char *key = pl_js(d, "item_id");
        pl_tool_acc *t = pl_norm_tool(n, 0, 0, key ? key : "");
        if (t && t->args.len == 0)
            pl_norm_tool_frag(n, t, NULL, pl_js(d, "name"), pl_js(d, "arguments"));
    } else if (strcmp(type, "response.created") == 0 || strcmp(type, "response.in_progress") == 0) {
        pl_norm_resp_model(n, pl_js(pl_jobj(d, "response"), "model"));
    } else if (strcmp(type, "response.completed") == 0 || strcmp(type, "response.incomplete") == 0 ||
               strcmp(type, "response.failed") == 0) {
        responses_final(n, pl_jobj(d, "response"), 1);
        n->terminal = 1;
    } else if (strcmp(type, "error") == 0) {
        const char *msg = pl_js(d, "message");
        pl_norm_error(n, msg ? msg : "error event in stream");
        n->terminal = 1;
    }
}

const pl_api_desc pl_openai_responses = {"openai.responses", "chat", &pl_openai};
const pl_api_norm pl_openai_responses_norm = {responses_request, responses_response, responses_event};

/* ------------------------------------------------------------------------------------------ */
/* Embeddings: model and usage only; vectors are not part of the record */

static void embeddings_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "input", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    n->kwargs = pl_kwargs(req, excl);
}

static void embeddings_response(pl_norm *n, const cJSON *resp)
{
    pl_norm_resp_model(n, pl_js(resp, "model"));
    const cJSON *u = pl_jobj(resp, "usage");
    pl_norm_usage_in(n, pl_jget(u, "prompt_tokens"));
}

const pl_api_desc pl_openai_embeddings = {"openai.embeddings", "embedding", &pl_openai};
const pl_api_norm pl_openai_embeddings_norm = {embeddings_request, embeddings_response, NULL};

/* ------------------------------------------------------------------------------------------ */
/* Where the OpenAI shape is spoken: paths and hosts */

/* Azure classic: ".../openai/deployments/{dep}" ends at p[end]. Fills the model on a match. */
static int azure_deployment(const char *p, size_t end, pl_endpoint *out)
{
    const char *dep, *d;
    size_t dlen, len;
    pl_path_seg_before(p, end, &dep, &dlen);
    if (dlen == 0 || dep == p)
        return 0;
    size_t dstart = (size_t)(dep - p) - 1; /* the '/' before dep */
    pl_path_seg_before(p, dstart, &d, &len);
    if (!pl_path_seg_is(d, len, "deployments"))
        return 0;
    pl_path_copy(out->model, sizeof out->model, dep, dlen);
    return 1;
}

/* A resource after a version (or /openai) segment, or after an Azure deployment. */
static int resource(const char *p, size_t n, const char *suffix, pl_api api, pl_endpoint *out)
{
    if (!pl_path_ends(p, n, suffix))
        return 0;
    size_t end = n - strlen(suffix);
    const char *seg;
    size_t len;
    pl_path_seg_before(p, end, &seg, &len);
    if (pl_path_version_seg(seg, len) || pl_path_seg_is(seg, len, "openai") || azure_deployment(p, end, out)) {
        out->api = api;
        return 1;
    }
    return 0;
}

/* .../chat/completions under any prefix (/v1, /openai/v1, /api/v1, /v1beta/openai, none at all as
 * DeepSeek and Perplexity allow); completions, responses and embeddings after a version segment,
 * /openai, or an Azure deployment (/openai/deployments/{dep}/..., model = dep). */
static int match_path(const char *p, size_t n, pl_endpoint *out)
{
    if (pl_path_ends(p, n, "/chat/completions")) {
        azure_deployment(p, n - strlen("/chat/completions"), out);
        out->api = PL_API_OPENAI_CHAT;
        return 1;
    }
    return resource(p, n, "/completions", PL_API_OPENAI_COMPLETIONS, out) ||
           resource(p, n, "/responses", PL_API_OPENAI_RESPONSES, out) ||
           resource(p, n, "/embeddings", PL_API_OPENAI_EMBEDDINGS, out);
}

static const pl_host_rule hosts[] = {
    {"api.openai.com", "openai"},
    {"*.openai.azure.com", "azure"},
    {"*.cognitiveservices.azure.com", "azure"},
    {"*.services.ai.azure.com", "azure"},
    {"api.groq.com", "groq"},
    {"api.mistral.ai", "mistral"},
    {"api.deepseek.com", "deepseek"},
    {"openrouter.ai", "openrouter"},
    {"api.together.xyz", "together"},
    {"api.together.ai", "together"},
    {"api.fireworks.ai", "fireworks"},
    {"api.x.ai", "xai"},
    {"api.perplexity.ai", "perplexity"},
    {"api.cerebras.ai", "cerebras"},
    {NULL, NULL},
};

const pl_provider_desc pl_openai = {hosts, 0, "openai-compatible", "s", match_path};
