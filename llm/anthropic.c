/* anthropic.c — Anthropic Messages into the chat record: top-level system, content blocks,
 * tool_use/tool_result as OpenAI-style tool calls and tool messages, and the event stream
 * (message_start/content_block_start/delta/stop, message_delta/message_stop). */
#include "record.h"

#include <stdlib.h>
#include <string.h>

static const char *map_stop(const char *r)
{
    if (!r)
        return NULL;
    if (strcmp(r, "end_turn") == 0 || strcmp(r, "stop_sequence") == 0)
        return "stop";
    if (strcmp(r, "max_tokens") == 0 || strcmp(r, "model_context_window_exceeded") == 0)
        return "length";
    if (strcmp(r, "tool_use") == 0)
        return "tool_calls";
    if (strcmp(r, "refusal") == 0)
        return "content_filter";
    return r;  /* pause_turn and future reasons stay as Anthropic named them */
}

static int is_type(const cJSON *block, const char *t)
{
    const char *bt = pl_js(block, "type");
    return bt && strcmp(bt, t) == 0;
}

/* Text of a block list joined with "\n" (blocks are separate paragraphs to the model). */
static char *blocks_text(const cJSON *blocks)
{
    if (cJSON_IsString(blocks))
        return pl_strdup(blocks->valuestring);
    pl_buf b = {0};
    int any = 0;
    const cJSON *bl;
    cJSON_ArrayForEach(bl, blocks) {
        if (!is_type(bl, "text"))
            continue;
        if (any)
            pl_buf_append(&b, "\n", 1);
        pl_buf_append_str(&b, pl_js(bl, "text") ? pl_js(bl, "text") : "");
        any = 1;
    }
    return pl_text_result(&b, any);
}

static void request_message(pl_norm *n, const cJSON *m)
{
    const char *role = pl_js(m, "role");
    if (!role)
        role = "user";
    const cJSON *content = pl_jget(m, "content");
    if (!cJSON_IsArray(content)) {
        char *t = pl_content_text(content);
        pl_msg_add(n, role, t ? t : "");
        free(t);
        return;
    }
    /* tool_result blocks answer earlier calls: they become "tool" messages, ahead of any text
     * that accompanies them, matching the order the model reads them in. */
    const cJSON *bl;
    cJSON_ArrayForEach(bl, content) {
        if (!is_type(bl, "tool_result"))
            continue;
        const cJSON *rc = pl_jget(bl, "content");
        char *t = blocks_text(rc);
        cJSON *tm = pl_msg_add(n, "tool", t ? t : "");
        free(t);
        if (tm && pl_js(bl, "tool_use_id"))
            cJSON_AddStringToObject(tm, "tool_call_id", pl_js(bl, "tool_use_id"));
    }
    char *text = blocks_text(content);
    int has_tool_use = 0, has_other = 0, has_text = text != NULL;
    cJSON_ArrayForEach(bl, content) {
        if (is_type(bl, "tool_use"))
            has_tool_use = 1;
        else if (!is_type(bl, "text") && !is_type(bl, "tool_result") && !is_type(bl, "thinking") &&
                 !is_type(bl, "redacted_thinking"))
            has_other = 1;
    }
    if (has_text || has_tool_use || has_other) {
        cJSON *msg = pl_msg_add(n, role, has_other ? NULL : text);
        if (msg && has_other) {
            /* Images and documents have no chat-text form: keep the non-tool blocks verbatim. */
            cJSON *arr = cJSON_AddArrayToObject(msg, "content");
            cJSON_ArrayForEach(bl, content)
                if (arr && !is_type(bl, "tool_use") && !is_type(bl, "tool_result"))
                    cJSON_AddItemToArray(arr, cJSON_Duplicate(bl, 1));
        }
        cJSON_ArrayForEach(bl, content)
            if (is_type(bl, "tool_use"))
                pl_msg_tool_call(msg, pl_js(bl, "id"), pl_js(bl, "name"), pl_jget(bl, "input"));
    }
    free(text);
}

static void messages_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "messages", "system", "tools", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    const cJSON *sys = pl_jget(req, "system");
    if (sys) {
        char *t = blocks_text(sys);
        if (t && *t)
            pl_msg_add(n, "system", t);
        free(t);
    }
    const cJSON *msg;
    cJSON_ArrayForEach(msg, pl_jarr(req, "messages"))
        request_message(n, msg);
    pl_norm_tools(n, pl_jarr(req, "tools"));
    n->kwargs = pl_kwargs(req, excl);
}

static void usage(pl_norm *n, const cJSON *u)
{
    pl_norm_usage_in(n, pl_jget(u, "input_tokens"));
    pl_norm_usage_out(n, pl_jget(u, "output_tokens"));
}

static void messages_response(pl_norm *n, const cJSON *resp)
{
    pl_norm_resp_model(n, pl_js(resp, "model"));
    pl_norm_choice(n, 0);
    const cJSON *bl;
    int idx = 0;
    cJSON_ArrayForEach(bl, pl_jarr(resp, "content")) {
        if (is_type(bl, "text")) {
            pl_norm_text(n, 0, pl_js(bl, "text"));
        } else if (is_type(bl, "tool_use")) {
            char *args = pl_json_text(pl_jget(bl, "input"), 0);
            pl_norm_tool_frag(n, pl_norm_tool(n, 0, idx, NULL), pl_js(bl, "id"), pl_js(bl, "name"),
                              args ? args : "{}");
            free(args);
        }
        idx++;
    }
    pl_norm_finish(n, 0, map_stop(pl_js(resp, "stop_reason")));
    usage(n, pl_jobj(resp, "usage"));
}

static void messages_event(pl_norm *n, const char *event, const cJSON *d)
{
    const char *type = pl_js(d, "type");
    if (!type)
        type = event;
    if (!type)
        return;
    int idx = pl_jint(d, "index", 0);
    if (strcmp(type, "message_start") == 0) {
        const cJSON *msg = pl_jobj(d, "message");
        pl_norm_resp_model(n, pl_js(msg, "model"));
        pl_norm_choice(n, 0);
        usage(n, pl_jobj(msg, "usage"));
    } else if (strcmp(type, "content_block_start") == 0) {
        const cJSON *cb = pl_jobj(d, "content_block");
        if (is_type(cb, "tool_use"))
            pl_norm_tool_frag(n, pl_norm_tool(n, 0, idx, NULL), pl_js(cb, "id"), pl_js(cb, "name"), NULL);
        else if (is_type(cb, "text"))
            pl_norm_text(n, 0, pl_js(cb, "text"));
    } else if (strcmp(type, "content_block_delta") == 0) {
        const cJSON *delta = pl_jobj(d, "delta");
        if (is_type(delta, "text_delta"))
            pl_norm_text(n, 0, pl_js(delta, "text"));
        else if (is_type(delta, "input_json_delta"))
            pl_norm_tool_frag(n, pl_norm_tool(n, 0, idx, NULL), NULL, NULL, pl_js(delta, "partial_json"));
    } else if (strcmp(type, "content_block_stop") == 0) {
        /* A tool called without arguments streams no fragments; the body form would be "{}". */
        pl_choice_acc *c = pl_norm_choice(n, 0);
        for (size_t i = 0; c && i < c->n_tools; i++)
            if (c->tools[i].index == idx && c->tools[i].args.len == 0 &&
                pl_buf_append_str(&c->tools[i].args, "{}"))
                n->oom = 1;
    } else if (strcmp(type, "message_delta") == 0) {
        pl_norm_finish(n, 0, map_stop(pl_js(pl_jobj(d, "delta"), "stop_reason")));
        usage(n, pl_jobj(d, "usage"));  /* cumulative: the last one is the total */
    } else if (strcmp(type, "message_stop") == 0) {
        n->terminal = 1;
    }
    /* ping and unknown events are ignored, as Anthropic's versioning policy asks. */
}

const pl_api_desc pl_anthropic_messages = {"anthropic.messages", "chat", &pl_anthropic};
const pl_api_norm pl_anthropic_messages_norm = {messages_request, messages_response, messages_event};

/* ------------------------------------------------------------------------------------------ */
/* Where Anthropic is spoken: paths and hosts */

/* .../v1/messages (not count_tokens or batches, which end otherwise), and Claude on Vertex:
 * ".../publishers/anthropic/models/{m}:rawPredict|streamRawPredict" (model = m). */
static int match_path(const char *p, size_t n, pl_endpoint *out)
{
    if (pl_path_ends(p, n, "/messages")) {
        const char *seg;
        size_t len;
        pl_path_seg_before(p, n - strlen("/messages"), &seg, &len);
        if (!pl_path_seg_is(seg, len, "v1"))
            return 0;
        out->api = PL_API_ANTHROPIC_MESSAGES;
        return 1;
    }
    pl_model_verb mv;
    if (!pl_path_model_verb(p, n, &mv) || mv.models_seg == p)
        return 0;
    int stream = pl_path_seg_is(mv.verb, mv.verb_len, "streamRawPredict");
    if (!stream && !pl_path_seg_is(mv.verb, mv.verb_len, "rawPredict"))
        return 0;
    const char *pub;
    size_t publen;
    pl_path_seg_before(p, (size_t)(mv.models_seg - p) - 1, &pub, &publen);
    if (!pl_path_seg_is(pub, publen, "anthropic"))
        return 0;
    out->api = PL_API_ANTHROPIC_MESSAGES;
    out->stream_hint = stream;
    pl_path_copy(out->model, sizeof out->model, mv.model, mv.model_len);
    return 1;
}

static const pl_host_rule hosts[] = {
    {"api.anthropic.com", "anthropic"},
    {NULL, NULL},
};

const pl_provider_desc pl_anthropic = {hosts, 0, "anthropic-compatible", "st", match_path};
