/* record.h — internal to llm/: what a provider normalizer calls. The accumulator it fills
 * (accumulate.c), the record built from it once (build.c), shared wire-shape helpers (wire.c) and
 * request-message building (message.c); JSON accessors come from util/json.h, the provider and API
 * descriptors from provider.h. Providers only translate their wire shapes into these calls. */
#ifndef PL_LLM_RECORD_H
#define PL_LLM_RECORD_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "llm.h"
#include "provider.h"
#include "../util/buf.h"
#include "../util/json.h"

typedef struct pl_tool_acc {
    int index;          /* provider's tool index (OpenAI) or content block index (Anthropic) */
    char *key;          /* provider's item id when calls are keyed by id (Responses); else NULL */
    pl_buf id, name, args;
} pl_tool_acc;

typedef struct pl_choice_acc {
    int index;
    pl_buf content;
    pl_tool_acc *tools;
    size_t n_tools, cap_tools;
    char finish[32];
} pl_choice_acc;

typedef struct pl_norm {
    const pl_llm_input *in;
    const char *kind;           /* "chat", "text", "embedding" */
    /* request side, owned */
    char *model;
    cJSON *messages, *tools, *kwargs;
    char *prompt;
    /* response side */
    char *resp_model;
    pl_choice_acc *choices;
    size_t n_choices, cap_choices;
    long long in_tok, out_tok;
    int has_in, has_out;
    int streamed;
    int terminal;               /* the stream reached its protocol's end */
    int cut;                    /* the body ended inside a unit (event, line, JSON value) */
    pl_buf error;
    pl_buf parse_error;
    size_t cur_offset;          /* stream offset just past the event being handled */
    size_t first_token;
    int has_first_token;
    int oom;
    /* provider scratch: Anthropic block index -> tool or text; Responses state */
    int scratch[4];
} pl_norm;

void pl_norm_init(pl_norm *n, const pl_llm_input *in, const char *kind);
void pl_norm_free(pl_norm *n);
/* Builds the record (see llm.h). NULL only on OOM. */
cJSON *pl_norm_build(pl_norm *n);

pl_choice_acc *pl_norm_choice(pl_norm *n, int index);
void pl_norm_text(pl_norm *n, int choice, const char *s);
/* Finds the tool call by key when key is non-NULL, else by index; creates it when absent. */
pl_tool_acc *pl_norm_tool(pl_norm *n, int choice, int index, const char *key);
/* Fills a tool call: id and name are taken when first seen, args fragments are appended. */
void pl_norm_tool_frag(pl_norm *n, pl_tool_acc *t, const char *id, const char *name, const char *args);
void pl_norm_finish(pl_norm *n, int choice, const char *reason);
void pl_norm_usage_in(pl_norm *n, const cJSON *num);
void pl_norm_usage_out(pl_norm *n, const cJSON *num);
void pl_norm_model(pl_norm *n, const char *model);        /* the request's; first non-empty wins */
void pl_norm_tools(pl_norm *n, const cJSON *tools);
/* The request's array member key, detached from req (which the caller frees after the request
 * normalizer) rather than copied; NULL when absent or not an array. */
cJSON *pl_norm_take(pl_norm *n, cJSON *req, const char *key);       /* a copy of the request's tools, once */
void pl_norm_resp_model(pl_norm *n, const char *model);   /* first non-empty wins */
void pl_norm_error(pl_norm *n, const char *msg);          /* first one wins */
void pl_norm_parse_error(pl_norm *n, const char *what);   /* accumulates, "; "-separated */
void pl_norm_mark_token(pl_norm *n);

/* --- wire-shape helpers (wire.c; all NULL-safe) */
char *pl_strdup(const char *s);
/* A string as is; an array of parts as the concatenation of their "text" members; else NULL. */
char *pl_content_text(const cJSON *content);
/* Text joined from parts into b, handed out: NULL when no part had text (any == 0), "" when the
 * parts were all empty, else b's contents (b is left empty either way). */
char *pl_text_result(pl_buf *b, int any);
/* Copy of req without the listed keys (NULL-terminated); NULL when nothing is left. */
cJSON *pl_kwargs(const cJSON *req, const char *const *exclude);
/* A provider's error message from an error body: {"error":{"message"}}, {"error":"..."},
 * {"message"}, {"detail"}, or [{"error":...}]. NULL when none. */
char *pl_error_message(const cJSON *body);

/* --- building request messages in OpenAI chat shape (message.c) */
/* Appends {role, content?} to n->messages (created on demand); returns the message or NULL. */
cJSON *pl_msg_add(pl_norm *n, const char *role, const char *content);
/* Appends {id?, type:"function", function:{name, arguments}} to msg.tool_calls. args_json is a
 * JSON string value (kept as is) or any other value (serialized compactly). */
void pl_msg_tool_call(cJSON *msg, const char *id, const char *name, const cJSON *args_json);

#endif
