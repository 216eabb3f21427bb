/* llm.h — the LLM layer: which HTTP exchanges are LLM API calls, and how one becomes a record.
 * Pure functions over bytes: the preload uses them to fill the store's plain columns, and the
 * exporter reruns them over stored raw bodies, so an improved parser improves old exports. */
#ifndef PL_LLM_H
#define PL_LLM_H

#include <stddef.h>
#include <cjson/cJSON.h>

typedef enum pl_api {
    PL_API_NONE = 0,
    PL_API_OPENAI_CHAT,         /* /v1/chat/completions (also Azure .../chat/completions) */
    PL_API_OPENAI_COMPLETIONS,  /* /v1/completions (legacy text) */
    PL_API_OPENAI_RESPONSES,    /* /v1/responses */
    PL_API_OPENAI_EMBEDDINGS,   /* /v1/embeddings */
    PL_API_ANTHROPIC_MESSAGES,  /* /v1/messages */
    PL_API_GEMINI_GENERATE,     /* .../models/{m}:generateContent or :streamGenerateContent */
    PL_API_GEMINI_EMBED,        /* .../models/{m}:embedContent */
    PL_API_OLLAMA_CHAT,         /* /api/chat */
    PL_API_OLLAMA_GENERATE,     /* /api/generate (text) */
    PL_API_OLLAMA_EMBED,        /* /api/embed, /api/embeddings */
} pl_api;

/* Stable names stored in the `api` column: "openai.chat", "openai.completions",
 * "openai.responses", "openai.embeddings", "anthropic.messages", "gemini.generate",
 * "gemini.embed", "ollama.chat", "ollama.generate", "ollama.embed". */
const char *pl_api_name(pl_api api);
pl_api pl_api_from_name(const char *name);

typedef struct pl_endpoint {
    pl_api api;
    char provider[32];      /* "openai", "anthropic", "google", "vertex", "azure", "ollama", ..., "openai-compatible" */
    char model[128];        /* model named by the path (Gemini model, Azure deployment); "" if none */
    int stream_hint;        /* the path itself asks for a stream (streamGenerateContent) */
} pl_endpoint;

/* Is this request an LLM API call? Cheap (no allocation): it runs on every request the host
 * makes. method may be NULL (treated as POST). Returns 1 and fills *out on a match, else 0. */
int pl_endpoint_match(const char *method, const char *host, int port, const char *target, pl_endpoint *out);

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
    const char *resp_body;      /* content-decoded */
    size_t resp_len;
    int incomplete;             /* the response was cut short */
} pl_llm_input;

/* Normalizes one exchange into a record (a new cJSON object the caller deletes). Never fails on
 * bad input: garbage bodies give a record with "parse_error". Returns NULL only when out of memory.
 *
 * Record shape (keys absent when empty):
 *   kind               "chat" | "text" | "embedding"
 *   model              request model, else response model, else model_hint
 *   response_model     model the response names, when it differs
 *   stream             true when the response was streamed
 *   messages           [ {role, content, tool_calls?, tool_call_id?, name?} ]  OpenAI chat shape (chat)
 *   tools              [ ... ]                          as in the request (chat)
 *   generation_kwargs  { every request field except model, messages, tools, prompt, and the
 *                        provider's equivalents (system, contents, instructions, input...) }
 *   completions        [ {role:"assistant", content?, tool_calls?:[{id,type:"function",
 *                         function:{name, arguments}}], finish_reason?} ]   (chat)
 *   prompt, response   strings (text)
 *   finish_reason      first completion's finish reason, OpenAI vocabulary where one maps
 *   usage              {input_tokens, output_tokens}
 *   status             HTTP status
 *   error              provider's error message (HTTP error or mid-stream error event)
 *   incomplete         true when the stream or body was cut short
 *   parse_error        what could not be parsed
 *   first_token_offset streams: byte offset in resp_body just past the first event that carried
 *                      content (text or tool call); the capture layer turns it into TTFT.
 *                      Internal: the exporter does not print it. */
cJSON *pl_llm_normalize(const pl_llm_input *in);

/* Short single-line previews for the store's columns (caller frees; NULL when none):
 * the last user message's text, and the first completion's text (or response for text). */
char *pl_llm_prompt_preview(const cJSON *record, size_t max_chars);
char *pl_llm_completion_preview(const cJSON *record, size_t max_chars);

#endif
