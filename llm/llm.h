/* llm.h — the LLM layer: which HTTP exchanges are LLM API calls, and how one becomes a record.
 * Pure functions over bytes: the preload uses them to fill the store's plain columns, and the
 * exporter reruns them over stored raw bodies, so an improved parser improves old exports. */
#ifndef PL_LLM_H
#define PL_LLM_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* One value per API in the registry (llm/registry.def, in its order; the PL_API_OPENAI_CHAT ...
 * names come from there). Each provider file documents the paths its APIs answer on. */
typedef enum pl_api {
    PL_API_NONE = 0,
#define PL_PROVIDER(desc)
#define PL_API(id, desc, norm) PL_API_##id,
#include "registry.def"
#undef PL_PROVIDER
#undef PL_API
    PL_API_COUNT
} pl_api;

/* Stable names stored in the `api` column, from each API's descriptor: "openai.chat",
 * "openai.completions", "openai.responses", "openai.embeddings", "anthropic.messages",
 * "gemini.generate", "gemini.embed", "ollama.chat", "ollama.generate", "ollama.embed".
 * pl_api_name gives "none" for PL_API_NONE and unknown values; pl_api_from_name PL_API_NONE. */
const char *pl_api_name(pl_api api);
pl_api pl_api_from_name(const char *name);

typedef struct pl_endpoint {
    pl_api api;
    char provider[32];      /* "openai", "anthropic", "google", "vertex", "azure", "ollama", ..., "openai-compatible" */
    char model[128];        /* model named by the path (Gemini model, Azure deployment); "" if none */
    int stream_hint;        /* the path itself asks for a stream (streamGenerateContent) */
} pl_endpoint;

/* Is this request an LLM API call? Cheap (no allocation): it runs on every request the host
 * makes. method may be NULL (treated as POST). Returns 1 and fills *out on a match, else 0.
 * Same as pl_endpoint_match_rules(NULL, ...).
 *
 * Built-in rules (query string ignored, POST only): each provider file's match_path, asked in
 * registry order (llm/registry.def). Today:
 *   openai.c     .../chat/completions (any prefix); .../v1/completions, /v1/responses, /v1/embeddings
 *                (any version segment v1, v2, v1beta..., or /openai); Azure
 *                /openai/deployments/{dep}/(chat/completions|completions|embeddings|responses), model = dep
 *   anthropic.c  .../v1/messages (not count_tokens, batches); Claude on Vertex
 *                .../publishers/anthropic/models/{m}:rawPredict|streamRawPredict, model = m
 *   gemini.c     .../models/{m}:generateContent|streamGenerateContent|embedContent, model = m,
 *                stream_hint for streamGenerateContent
 *   ollama.c     .../api/chat, /api/generate, /api/embed, /api/embeddings
 * Provider from the host (case-insensitive, ":port" ignored): the first entry of any provider
 * file's host table (exact names, or "*suffix" such as *.openai.azure.com for azure and
 * *-aiplatform.googleapis.com for vertex); else a provider that owns the port (11434: "ollama");
 * else the API's provider for unknown hosts: "openai-compatible", "anthropic-compatible",
 * "google-compatible" or "ollama" (the store keeps the host itself). */
int pl_endpoint_match(const char *method, const char *host, int port, const char *target, pl_endpoint *out);

/* User rules, from PROMPTLOG_ENDPOINTS (add) and PROMPTLOG_IGNORE (drop). Syntax, both variables:
 *
 *   rules  := entry ("," entry)*              blanks around entries are ignored
 *   entry  := [host-glob] [path-glob] ["=" api]
 *
 *   host-glob  everything before the first "/"; matched case-insensitively against the host, or
 *              against "host:port" when the glob contains ":". Empty = any host.
 *   path-glob  from the first "/" on; matched against the path without its query string.
 *              Empty = any path.
 *   api        one of the pl_api_name() names; default "openai.chat". Not allowed in IGNORE.
 *   Globs are fnmatch(3) patterns without FNM_PATHNAME: "*" also crosses "/".
 *
 * Examples: PROMPTLOG_ENDPOINTS="/my/llm/chat, *.corp.example/gen=ollama.generate,
 *           llm.internal:8080=openai.chat"   PROMPTLOG_IGNORE="api.openai.com/v1/embeddings"
 * Order: an IGNORE match drops the request; else the first ENDPOINTS match wins (method must
 * still be POST); else the built-in table. Returns NULL and writes err on a syntax error. */
typedef struct pl_endpoint_rules pl_endpoint_rules;
pl_endpoint_rules *pl_endpoint_rules_parse(const char *endpoints, const char *ignore, char *err, size_t errlen);
void pl_endpoint_rules_free(pl_endpoint_rules *r);
int pl_endpoint_match_rules(const pl_endpoint_rules *r, const char *method, const char *host, int port,
                            const char *target, pl_endpoint *out);

/* Everything the normalizers need, all of it available again from the store. */
typedef struct pl_llm_input {
    pl_api api;
    const char *provider;
    const char *target;         /* path + query */
    const char *model_hint;     /* pl_endpoint.model, may be NULL */
    int status;                 /* HTTP status, 0 if no response */
    const char *content_type;   /* response Content-Type, may be NULL */
    const char *req_body;
    size_t req_len;
    const char *resp_body;      /* content-decoded, unless decode_error */
    size_t resp_len;
    int incomplete;             /* the response was cut short */
    int decode_error;           /* the response's Content-Encoding could not be undone: resp_body
                                 * holds undecoded bytes, so it is not parsed (see parse_error) */
} pl_llm_input;

/* Normalizes one exchange into a record (a new cJSON object the caller deletes). Never fails on
 * bad input: garbage bodies give a record with "parse_error". Returns NULL only when out of memory.
 *
 * Record shape (keys absent when empty):
 *   kind               "chat" | "text" | "embedding"
 *   model              request model (the body's, else model_hint from the path), else the
 *                      response's model
 *   response_model     model the response names, when it differs
 *   stream             true when the response was streamed
 *   messages           [ {role, content, tool_calls?, tool_call_id?, name?} ]  OpenAI chat shape (chat)
 *   tools              [ ... ]                          as in the request (chat)
 *   generation_kwargs  { every request field except model, messages, tools, prompt, and the
 *                        provider's equivalents (system, contents, instructions, input...) }
 *   completions        [ {role:"assistant", content?, tool_calls?:[{id,type:"function",
 *                         function:{name, arguments}}], finish_reason?} ]   (chat)
 *   prompt, response   strings (text)
 *   system             string (text): a system prompt sent beside the prompt (Ollama generate)
 *   finish_reason      first completion's finish reason, OpenAI vocabulary where one maps
 *   usage              {input_tokens, output_tokens}
 *   status             HTTP status
 *   error              provider's error message (HTTP error or mid-stream error event)
 *   incomplete         true when the stream or body was cut short
 *   parse_error        what could not be parsed (including an undecodable response body)
 *   first_token_offset streams: byte offset in resp_body just past the first event that carried
 *                      content (text or tool call); the capture layer turns it into TTFT.
 *                      Internal: the exporter does not print it. */
cJSON *pl_llm_normalize(const pl_llm_input *in);

/* Short single-line previews for the store's columns (caller frees; NULL when none):
 * the last user message's text, and the first completion's text (or response for text). */
char *pl_llm_prompt_preview(const cJSON *record, size_t max_chars);
char *pl_llm_completion_preview(const cJSON *record, size_t max_chars);

#endif
