/* ship_span.c — one stored call becomes one OTLP span under the GenAI semantic conventions
 * (v1.37.0, Development status): name "{gen_ai.operation.name} {gen_ai.request.model}", kind
 * CLIENT, the call's own start and duration, and these attributes when known:
 *   gen_ai.operation.name       chat | text_completion | embeddings | generate_content (Gemini)
 *   gen_ai.provider.name        the conventions' well-known names where one maps (openai,
 *                               anthropic, gcp.gemini, gcp.vertex_ai, azure.ai.openai, groq,
 *                               mistral_ai, deepseek, perplexity, x_ai), else our provider column
 *   gen_ai.request.model, gen_ai.response.model, gen_ai.response.id,
 *   gen_ai.response.finish_reasons, gen_ai.usage.input_tokens, gen_ai.usage.output_tokens,
 *   gen_ai.request.{temperature, top_p, top_k, max_tokens, frequency_penalty, presence_penalty,
 *   stop_sequences, seed, choice.count}, server.address, server.port,
 *   http.response.status_code, error.type (+ status ERROR and the error message),
 *   gen_ai.response.time_to_first_chunk (streams, seconds), and promptlog.call.id / promptlog.api.
 * Resource: service.name, service.namespace (= promptlog namespace), promptlog.namespace,
 * host.name, process.pid, process.executable.name. */
#include "../util/url.h"
#include "ship.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ids: deterministic, so a resend after a crash carries the same ids (collectors dedupe) ---- */

/* FNV-1a over the parts; two different offset bases give 128 bits. Not cryptographic: ids only
 * need to be stable and spread, and the inputs are not secret. */
static uint64_t fnv(uint64_t h, const char *s, long long n)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    for (int k = 0; k < 8; k++)
        h = (h ^ (unsigned char)(n >> (8 * k))) * 0x100000001b3ULL;
    return h;
}

static void put64(uint8_t *out, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        out[k] = (uint8_t)(v >> (56 - 8 * k));
}

static void span_id_of(const char *salt, long long call_id, uint8_t out[8])
{
    uint64_t h = fnv(fnv(0xcbf29ce484222325ULL, "span:", 0), salt, call_id);
    put64(out, h ? h : 1);   /* an all-zero span id is invalid */
}

static void trace_id_of(const char *salt, const char *kind, long long id, uint8_t out[16])
{
    uint64_t a = fnv(fnv(0xcbf29ce484222325ULL, kind, 0), salt, id);
    uint64_t b = fnv(fnv(0x6c62272e07bb0142ULL, kind, 0), salt, id);
    put64(out, a);
    put64(out + 8, b ? b : 1);
}

/* A conversation is a trace: the store links every call to the root of its conversation
 * (conversation_id, the root's own id for the root) and to the call it continues (parent_id), so
 * the trace id derives from the root and the parent span is the continued call's span. A call the
 * store never linked (an embedding, a database written before conversations) is its own trace. */
void pl_ship_trace_link(const pl_row *row, const char *salt, uint8_t trace_id[16], uint8_t span_id[8],
                        uint8_t parent_id[8], int *has_parent)
{
    span_id_of(salt, row->id, span_id);
    if (row->conversation_id > 0)
        trace_id_of(salt, "conversation:", row->conversation_id, trace_id);
    else
        trace_id_of(salt, "call:", row->id, trace_id);
    memset(parent_id, 0, 8);
    *has_parent = row->parent_id > 0;
    if (*has_parent)
        span_id_of(salt, row->parent_id, parent_id);
}

/* ---- attribute helpers ---- */

static const char *provider_name(const char *p)
{
    static const char *const map[][2] = {
        {"openai", "openai"},       {"anthropic", "anthropic"}, {"google", "gcp.gemini"},
        {"vertex", "gcp.vertex_ai"}, {"azure", "azure.ai.openai"}, {"groq", "groq"},
        {"mistral", "mistral_ai"},  {"deepseek", "deepseek"},   {"perplexity", "perplexity"},
        {"xai", "x_ai"},
    };
    if (!p)
        return NULL;
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if (strcmp(p, map[k][0]) == 0)
            return map[k][1];
    return p;
}

static const char *operation_name(const pl_row *row)
{
    if (row->kind && strcmp(row->kind, "embedding") == 0)
        return "embeddings";
    if (row->kind && strcmp(row->kind, "text") == 0)
        return "text_completion";
    if (row->api && strncmp(row->api, "gemini.", 7) == 0)
        return "generate_content";
    return "chat";
}

/* The response's own id: the first "id" (or Gemini's "responseId") string member in the body.
 * In every API's body and stream, the response id comes before any nested id (tool calls). */
static char *response_id(const char *body, size_t len)
{
    if (!body)
        return NULL;
    size_t lim = len < 65536 ? len : 65536;
    static const char *const keys[] = {"\"id\"", "\"responseId\""};
    const char *best = NULL;
    size_t best_klen = 0;
    for (size_t k = 0; k < 2; k++) {
        const char *p = memmem(body, lim, keys[k], strlen(keys[k]));
        if (p && (!best || p < best)) {
            best = p;
            best_klen = strlen(keys[k]);
        }
    }
    if (!best)
        return NULL;
    const char *p = best + best_klen, *end = body + lim;
    while (p < end && (*p == ' ' || *p == ':'))
        p++;
    if (p >= end || *p != '"')
        return NULL;
    const char *q = ++p;
    while (q < end && *q != '"' && *q != '\\' && q - p < 256)
        q++;
    if (q >= end || *q != '"' || q == p)
        return NULL;
    return strndup(p, (size_t)(q - p));
}

static int url_port(const char *url)
{
    if (!url)
        return -1;
    pl_url u;
    pl_url_split(url, &u);
    if (!u.scheme)
        return -1;
    return u.port ? u.port : pl_url_default_port(u.scheme, u.scheme_len);
}

/* A request parameter may sit at the top of generation_kwargs or in Gemini's generationConfig /
 * Ollama's options. */
static const cJSON *param(const cJSON *kw, const char *const *names)
{
    static const char *const nests[] = {NULL, "generationConfig", "generation_config", "options"};
    for (size_t n = 0; n < 4; n++) {
        const cJSON *o = nests[n] ? cJSON_GetObjectItemCaseSensitive(kw, nests[n]) : kw;
        for (const char *const *k = names; o && *k; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, *k);
            if (v && !cJSON_IsNull(v))
                return v;
        }
    }
    return NULL;
}

static void request_params(pl_otlp_attrs *a, const cJSON *kw)
{
    static const struct {
        const char *attr;
        int is_int;
        const char *names[5];
    } nums[] = {
        {"gen_ai.request.temperature", 0, {"temperature"}},
        {"gen_ai.request.top_p", 0, {"top_p", "topP"}},
        {"gen_ai.request.top_k", 0, {"top_k", "topK"}},
        {"gen_ai.request.max_tokens", 1, {"max_tokens", "max_completion_tokens", "max_output_tokens", "maxOutputTokens", "num_predict"}},
        {"gen_ai.request.frequency_penalty", 0, {"frequency_penalty", "frequencyPenalty"}},
        {"gen_ai.request.presence_penalty", 0, {"presence_penalty", "presencePenalty"}},
        {"gen_ai.request.seed", 1, {"seed"}},
        {"gen_ai.request.choice.count", 1, {"n", "candidateCount"}},
    };
    if (!kw)
        return;
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        const cJSON *v = param(kw, nums[k].names);
        if (!cJSON_IsNumber(v))
            continue;
        if (nums[k].is_int)
            pl_otlp_add_int(a, nums[k].attr, (long long)v->valuedouble);
        else
            pl_otlp_add_dbl(a, nums[k].attr, v->valuedouble);
    }
    static const char *const stop_names[] = {"stop", "stop_sequences", "stopSequences", NULL};
    const cJSON *stop = param(kw, stop_names);
    if (cJSON_IsString(stop)) {
        const char *one = stop->valuestring;
        pl_otlp_add_strs(a, "gen_ai.request.stop_sequences", &one, 1);
    } else if (cJSON_IsArray(stop)) {
        const char *list[32];
        size_t n = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, stop) {
            if (cJSON_IsString(s) && n < 32)
                list[n++] = s->valuestring;
        }
        pl_otlp_add_strs(a, "gen_ai.request.stop_sequences", list, n);
    }
}

static void finish_reasons(pl_otlp_attrs *a, const pl_row *row, const cJSON *record)
{
    const char *list[16];
    size_t n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(record, "completions")) {
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c, "finish_reason");
        if (cJSON_IsString(fr) && n < 16)
            list[n++] = fr->valuestring;
    }
    if (n == 0 && row->finish_reason)
        list[n++] = row->finish_reason;
    if (n)
        pl_otlp_add_strs(a, "gen_ai.response.finish_reasons", list, n);
}

static void add_content(pl_otlp_attrs *a, const cJSON *record)
{
    struct {
        const char *key;
        char *(*fn)(const cJSON *);
    } items[] = {
        {"gen_ai.system_instructions", pl_ship_system_instructions},
        {"gen_ai.input.messages", pl_ship_input_messages},
        {"gen_ai.output.messages", pl_ship_output_messages},
        {"gen_ai.tool.definitions", pl_ship_tool_definitions},
    };
    for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
        char *text = record ? items[k].fn(record) : NULL;
        pl_otlp_add_str(a, items[k].key, text);
        free(text);
    }
}

int pl_ship_span_from_row(const pl_row *row, const cJSON *record, const pl_ship_span_opts *o, pl_otlp_span *out)
{
    const char *op = operation_name(row);
    const char *model = row->model;
    pl_ship_trace_link(row, o->salt, out->trace_id, out->span_id, out->parent_id, &out->has_parent);
    size_t nlen = strlen(op) + (model ? strlen(model) : 0) + 2;
    out->name = malloc(nlen);
    if (!out->name)
        return -1;
    snprintf(out->name, nlen, model ? "%s %s" : "%s", op, model);
    out->kind = PL_OTLP_KIND_CLIENT;
    double start = row->started_at > 0 ? row->started_at : 0;
    out->start_ns = (uint64_t)(start * 1e9);
    out->end_ns = out->start_ns + (uint64_t)(row->duration > 0 ? row->duration * 1e9 : 0);

    pl_otlp_attrs *a = &out->attrs;
    pl_otlp_add_str(a, "gen_ai.operation.name", op);
    pl_otlp_add_str(a, "gen_ai.provider.name", provider_name(row->provider));
    pl_otlp_add_str(a, "gen_ai.request.model", model);
    int answered = row->status >= 200 && row->status < 300;
    if (answered) {
        const cJSON *rm = cJSON_GetObjectItemCaseSensitive(record, "response_model");
        pl_otlp_add_str(a, "gen_ai.response.model", cJSON_IsString(rm) ? rm->valuestring : model);
        char *rid = response_id(row->resp_body, row->resp_len);
        pl_otlp_add_str(a, "gen_ai.response.id", rid);
        free(rid);
    }
    finish_reasons(a, row, record);
    if (row->input_tokens >= 0)
        pl_otlp_add_int(a, "gen_ai.usage.input_tokens", row->input_tokens);
    if (row->output_tokens >= 0)
        pl_otlp_add_int(a, "gen_ai.usage.output_tokens", row->output_tokens);
    request_params(a, cJSON_GetObjectItemCaseSensitive(record, "generation_kwargs"));
    pl_otlp_add_str(a, "server.address", row->host);
    int port = url_port(row->url);
    if (port > 0)
        pl_otlp_add_int(a, "server.port", port);
    if (row->status > 0)
        pl_otlp_add_int(a, "http.response.status_code", row->status);
    if (row->stream > 0 && row->ttft >= 0)
        pl_otlp_add_dbl(a, "gen_ai.response.time_to_first_chunk", row->ttft);
    pl_otlp_add_int(a, "promptlog.call.id", row->id);
    pl_otlp_add_str(a, "promptlog.api", row->api);

    /* error.type: low cardinality, as the conventions ask: the HTTP status, else what failed. */
    char etype[32] = "";
    if (row->status >= 400)
        snprintf(etype, sizeof etype, "%d", row->status);
    else if (row->status == 0)
        snprintf(etype, sizeof etype, "connection_error");
    else if (row->incomplete > 0)
        snprintf(etype, sizeof etype, "incomplete_response");
    else if (row->error)
        snprintf(etype, sizeof etype, "_OTHER");
    if (etype[0]) {
        pl_otlp_add_str(a, "error.type", etype);
        out->status = PL_OTLP_STATUS_ERROR;
        out->status_msg = strdup(row->error ? row->error : etype);
    }
    if (o->content)
        add_content(a, record);

    pl_otlp_attrs *r = &out->resource;
    pl_otlp_add_str(r, "service.name", o->service_name);
    pl_otlp_add_str(r, "service.namespace", row->ns);
    pl_otlp_add_str(r, "promptlog.namespace", row->ns);
    pl_otlp_add_str(r, "host.name", o->host_name);
    if (row->pid > 0)
        pl_otlp_add_int(r, "process.pid", row->pid);
    pl_otlp_add_str(r, "process.executable.name", row->program);
    if (a->oom || r->oom || (etype[0] && !out->status_msg)) {
        pl_otlp_span_free(out);
        return -1;
    }
    return 0;
}
