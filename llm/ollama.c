/* ollama.c — Ollama's native API into the record: /api/chat (chat), /api/generate (text) and
 * /api/embed(dings). Streams are NDJSON objects of the response's own shape, ending at done:true. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

/* Ollama tool-call arguments are JSON objects; the chat shape wants them as JSON text. */
static void stringify_arguments(cJSON *messages)
{
    cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        cJSON *tc;
        cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(m, "tool_calls")) {
            cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
            cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
            if (args && !cJSON_IsString(args)) {
                char *t = pl_json_text(args, 0);
                if (t)
                    cJSON_ReplaceItemInObjectCaseSensitive(fn, "arguments", cJSON_CreateString(t));
                free(t);
            }
            if (!cJSON_GetObjectItemCaseSensitive(tc, "type"))
                cJSON_AddStringToObject(tc, "type", "function");
        }
    }
}

static void chat_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "messages", "tools", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    n->messages = pl_norm_take(n, req, "messages");
    stringify_arguments(n->messages);
    pl_norm_tools(n, pl_jarr(req, "tools"));
    n->kwargs = pl_kwargs(req, excl);
}

/* Fields every Ollama response object shares: model, done, done_reason, token counts. */
static void common(pl_norm *n, const cJSON *o)
{
    pl_norm_resp_model(n, pl_js(o, "model"));
    if (cJSON_IsTrue(pl_jget(o, "done"))) {
        pl_choice_acc *c = pl_norm_choice(n, 0);
        const char *r = pl_js(o, "done_reason");
        /* Ollama reports "stop" even when the answer is a tool call. */
        if (r && strcmp(r, "stop") == 0 && c && c->n_tools)
            r = "tool_calls";
        pl_norm_finish(n, 0, r);
        pl_norm_usage_in(n, pl_jget(o, "prompt_eval_count"));
        pl_norm_usage_out(n, pl_jget(o, "eval_count"));
        n->terminal = 1;
    }
}

static void chat_object(pl_norm *n, const cJSON *o)
{
    const cJSON *msg = pl_jobj(o, "message");
    pl_norm_choice(n, 0);
    pl_norm_text(n, 0, pl_js(msg, "content"));
    const cJSON *tc;
    cJSON_ArrayForEach(tc, pl_jarr(msg, "tool_calls")) {
        const cJSON *fn = pl_jobj(tc, "function");
        pl_choice_acc *c = pl_norm_choice(n, 0);
        char *args = pl_json_text(pl_jget(fn, "arguments"), 1);
        pl_norm_tool_frag(n, pl_norm_tool(n, 0, c ? (int)c->n_tools : 0, NULL), pl_js(tc, "id"),
                          pl_js(fn, "name"), args ? args : "{}");
        free(args);
    }
    common(n, o);
}

static void chat_event(pl_norm *n, const char *event, const cJSON *d)
{
    (void)event;
    chat_object(n, d);
}

const pl_api_desc pl_ollama_chat = {"ollama.chat", "chat", &pl_ollama};
const pl_api_norm pl_ollama_chat_norm = {chat_request, chat_object, chat_event};

static void generate_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "prompt", "system", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    n->prompt = pl_json_text(pl_jget(req, "prompt"), 1);
    const char *sys = pl_js(req, "system");
    if (sys && *sys)
        pl_msg_add(n, "system", sys);  /* kept as messages[0]; the text record exposes it as "system" */
    n->kwargs = pl_kwargs(req, excl);
}

static void generate_object(pl_norm *n, const cJSON *o)
{
    pl_norm_choice(n, 0);
    pl_norm_text(n, 0, pl_js(o, "response"));
    common(n, o);
}

static void generate_event(pl_norm *n, const char *event, const cJSON *d)
{
    (void)event;
    generate_object(n, d);
}

const pl_api_desc pl_ollama_generate = {"ollama.generate", "text", &pl_ollama};
const pl_api_norm pl_ollama_generate_norm = {generate_request, generate_object, generate_event};

static void embed_request(pl_norm *n, cJSON *req)
{
    static const char *const excl[] = {"model", "input", "prompt", NULL};
    pl_norm_model(n, pl_js(req, "model"));
    n->kwargs = pl_kwargs(req, excl);
}

static void embed_response(pl_norm *n, const cJSON *o)
{
    pl_norm_resp_model(n, pl_js(o, "model"));
    pl_norm_usage_in(n, pl_jget(o, "prompt_eval_count"));
}

const pl_api_desc pl_ollama_embed = {"ollama.embed", "embedding", &pl_ollama};
const pl_api_norm pl_ollama_embed_norm = {embed_request, embed_response, NULL};

/* ------------------------------------------------------------------------------------------ */
/* Where Ollama is spoken: paths, hosts and its port */

/* .../api/chat, /api/generate, /api/embed, /api/embeddings. */
static int match_path(const char *p, size_t n, pl_endpoint *out)
{
    if (pl_path_ends(p, n, "/api/chat"))
        out->api = PL_API_OLLAMA_CHAT;
    else if (pl_path_ends(p, n, "/api/generate"))
        out->api = PL_API_OLLAMA_GENERATE;
    else if (pl_path_ends(p, n, "/api/embed") || pl_path_ends(p, n, "/api/embeddings"))
        out->api = PL_API_OLLAMA_EMBED;
    else
        return 0;
    return 1;
}

static const pl_host_rule hosts[] = {
    {"ollama.com", "ollama"},
    {NULL, NULL},
};

/* Port 11434 names Ollama on any host, whichever API path (it serves OpenAI's too). */
const pl_provider_desc pl_ollama = {hosts, 11434, "ollama", "tsed", match_path};
