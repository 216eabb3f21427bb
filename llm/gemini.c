/* gemini.c — Google Gemini / Vertex generateContent and embedContent into the record: the model
 * comes from the URL, roles user/model become user/assistant, functionCall parts become tool calls.
 * Stream chunks (alt=sse or array elements) have the same shape as the whole response. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Gemini accepts lowerCamelCase and snake_case field names alike. */
static const cJSON *get2(const cJSON *o, const char *camel, const char *snake)
{
    const cJSON *v = pl_jget(o, camel);
    return v ? v : pl_jget(o, snake);
}

/* The model the body names ("models/x" or "x"; Vertex batch forms may name it, usually absent). */
static void take_model(pl_norm *n, const cJSON *req)
{
    const char *m = pl_js(req, "model");
    pl_norm_model(n, m && strncmp(m, "models/", 7) == 0 ? m + 7 : m);
}

static char *parts_text(const cJSON *parts)
{
    pl_buf b = {0};
    int any = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) {
        const char *t = pl_js(p, "text");
        if (t && !cJSON_IsTrue(pl_jget(p, "thought"))) {
            pl_buf_append_str(&b, t);
            any = 1;
        }
    }
    return pl_text_result(&b, any);
}

static void request_content(pl_norm *n, const cJSON *c)
{
    const char *role = pl_js(c, "role");
    const cJSON *parts = pl_jarr(c, "parts");
    const cJSON *p;
    /* functionResponse parts answer earlier calls: one "tool" message each. */
    int n_resp = 0, n_calls = 0;
    cJSON_ArrayForEach(p, parts) {
        const cJSON *fr = get2(p, "functionResponse", "function_response");
        if (cJSON_IsObject(fr)) {
            char *t = pl_json_text(pl_jget(fr, "response"), 1);
            cJSON *m = pl_msg_add(n, "tool", t ? t : "");
            free(t);
            if (m && pl_js(fr, "name"))
                cJSON_AddStringToObject(m, "name", pl_js(fr, "name"));
            if (m && pl_js(fr, "id"))
                cJSON_AddStringToObject(m, "tool_call_id", pl_js(fr, "id"));
            n_resp++;
        }
        if (cJSON_IsObject(get2(p, "functionCall", "function_call")))
            n_calls++;
    }
    char *text = parts_text(parts);
    if (text || n_calls || !n_resp) {
        const char *r = role && strcmp(role, "model") == 0 ? "assistant"
                      : role && strcmp(role, "function") == 0 ? "tool"
                      : role ? role : "user";
        cJSON *m = pl_msg_add(n, r, text ? text : (n_calls ? NULL : ""));
        cJSON_ArrayForEach(p, parts) {
            const cJSON *fc = get2(p, "functionCall", "function_call");
            if (cJSON_IsObject(fc))
                pl_msg_tool_call(m, pl_js(fc, "id"), pl_js(fc, "name"), pl_jget(fc, "args"));
        }
    }
    free(text);
}

static void generate_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "contents", "systemInstruction", "system_instruction",
                                       "tools", NULL};
    take_model(n, req);
    const cJSON *sys = get2(req, "systemInstruction", "system_instruction");
    if (sys) {
        char *t = cJSON_IsString(sys) ? pl_strdup(sys->valuestring) : parts_text(pl_jarr(sys, "parts"));
        if (t && *t)
            pl_msg_add(n, "system", t);
        free(t);
    }
    const cJSON *contents = pl_jget(req, "contents");
    if (cJSON_IsString(contents)) {
        pl_msg_add(n, "user", contents->valuestring);
    } else {
        const cJSON *c;
        cJSON_ArrayForEach(c, contents)
            request_content(n, c);
    }
    pl_norm_tools(n, pl_jarr(req, "tools"));
    n->kwargs = pl_kwargs(req, excl);
}

static const char *map_finish(const char *r, int has_tools)
{
    if (!r)
        return NULL;
    if (strcmp(r, "STOP") == 0)
        return has_tools ? "tool_calls" : "stop";  /* Gemini says STOP even for function calls */
    if (strcmp(r, "MAX_TOKENS") == 0)
        return "length";
    if (strcmp(r, "SAFETY") == 0 || strcmp(r, "RECITATION") == 0 || strcmp(r, "BLOCKLIST") == 0 ||
        strcmp(r, "PROHIBITED_CONTENT") == 0 || strcmp(r, "SPII") == 0)
        return "content_filter";
    return r;
}

/* One response object or stream chunk. Returns 1 when it carried a finish reason. */
static int chunk(pl_norm *n, const cJSON *resp)
{
    int finished = 0;
    const char *mv = pl_js(resp, "modelVersion");
    if (mv)
        pl_norm_resp_model(n, strncmp(mv, "models/", 7) == 0 ? mv + 7 : mv);
    const cJSON *cand;
    int pos = 0;
    cJSON_ArrayForEach(cand, pl_jarr(resp, "candidates")) {
        int ci = pl_jint(cand, "index", pos++);
        pl_choice_acc *c = pl_norm_choice(n, ci);
        if (!c)
            continue;
        const cJSON *p;
        cJSON_ArrayForEach(p, pl_jarr(pl_jobj(cand, "content"), "parts")) {
            const char *t = pl_js(p, "text");
            if (t && !cJSON_IsTrue(pl_jget(p, "thought")))
                pl_norm_text(n, ci, t);
            const cJSON *fc = get2(p, "functionCall", "function_call");
            if (cJSON_IsObject(fc)) {
                /* Calls arrive whole, never in fragments: each part is a new call. */
                char *args = pl_json_text(pl_jget(fc, "args"), 0);
                pl_norm_tool_frag(n, pl_norm_tool(n, ci, (int)c->n_tools, NULL), pl_js(fc, "id"),
                                  pl_js(fc, "name"), args ? args : "{}");
                free(args);
                c = pl_norm_choice(n, ci);  /* the array may have moved */
            }
        }
        const char *fr = pl_js(cand, "finishReason");
        if (fr && c) {
            pl_norm_finish(n, ci, map_finish(fr, c->n_tools > 0));
            finished = 1;
        }
    }
    const cJSON *block = pl_jget(pl_jobj(resp, "promptFeedback"), "blockReason");
    if (cJSON_IsString(block)) {
        char msg[128];
        snprintf(msg, sizeof msg, "prompt blocked: %s", block->valuestring);
        pl_norm_error(n, msg);
        finished = 1;
    }
    const cJSON *u = pl_jobj(resp, "usageMetadata");
    pl_norm_usage_in(n, pl_jget(u, "promptTokenCount"));
    pl_norm_usage_out(n, pl_jget(u, "candidatesTokenCount"));
    return finished;
}

static void generate_response(pl_norm *n, const cJSON *resp)
{
    chunk(n, resp);
}

static void generate_event(pl_norm *n, const char *event, const cJSON *d)
{
    (void)event;
    /* alt=sse has no terminator: the chunk with a finishReason is the last one. */
    if (chunk(n, d))
        n->terminal = 1;
}

const pl_api_desc pl_gemini_generate = {"gemini.generate", "chat", &pl_gemini};
const pl_api_norm pl_gemini_generate_norm = {generate_request, generate_response, generate_event};

static void embed_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "content", "requests", NULL};
    take_model(n, req);
    n->kwargs = pl_kwargs(req, excl);
}

static void embed_response(pl_norm *n, const cJSON *resp)
{
    const cJSON *u = pl_jobj(resp, "usageMetadata");
    pl_norm_usage_in(n, pl_jget(u, "promptTokenCount"));
}

const pl_api_desc pl_gemini_embed = {"gemini.embed", "embedding", &pl_gemini};
const pl_api_norm pl_gemini_embed_norm = {embed_request, embed_response, NULL};

/* ------------------------------------------------------------------------------------------ */
/* Where Gemini is spoken: paths and hosts */

/* ".../models/{m}:generateContent|streamGenerateContent|embedContent" (Gemini API and Vertex);
 * model = m, stream_hint for streamGenerateContent. */
static int match_path(const char *p, size_t n, pl_endpoint *out)
{
    pl_model_verb mv;
    if (!pl_path_model_verb(p, n, &mv))
        return 0;
    if (pl_path_seg_is(mv.verb, mv.verb_len, "generateContent")) {
        out->api = PL_API_GEMINI_GENERATE;
    } else if (pl_path_seg_is(mv.verb, mv.verb_len, "streamGenerateContent")) {
        out->api = PL_API_GEMINI_GENERATE;
        out->stream_hint = 1;
    } else if (pl_path_seg_is(mv.verb, mv.verb_len, "embedContent")) {
        out->api = PL_API_GEMINI_EMBED;
    } else {
        return 0;
    }
    pl_path_copy(out->model, sizeof out->model, mv.model, mv.model_len);
    return 1;
}

static const pl_host_rule hosts[] = {
    {"generativelanguage.googleapis.com", "google"},
    {"aiplatform.googleapis.com", "vertex"},
    {"*-aiplatform.googleapis.com", "vertex"},
    {NULL, NULL},
};

const pl_provider_desc pl_gemini = {hosts, 0, "google-compatible", "t", match_path};
