/* provider.h — internal to llm/: what one provider file declares about itself, and the registry
 * that lists those declarations (registry.def, read by registry.c and llm.h's pl_api enum).
 *
 * A provider file (openai.c, anthropic.c, gemini.c, ollama.c) defines one pl_provider_desc (the
 * hosts it serves, its path rules) and one pl_api_desc per API it speaks (the stored name, the
 * record kind, its normalizer). Adding a provider is that file plus its lines in registry.def:
 * nothing else names providers or APIs. */
#ifndef PL_LLM_PROVIDER_H
#define PL_LLM_PROVIDER_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "llm.h"

typedef struct pl_norm pl_norm;

/* A known host and the provider name it gets. host is an exact name, or "*suffix" for any longer
 * host ending in suffix ("*.openai.azure.com"). Compared case-insensitively, ":port" ignored. */
typedef struct pl_host_rule {
    const char *host;
    const char *provider;
} pl_host_rule;

typedef struct pl_provider_desc {
    const pl_host_rule *hosts;  /* ends with {NULL, NULL} */
    int port;                   /* a port that names this provider on any host (Ollama's 11434), or 0 */
    const char *unknown_host;   /* provider name for its APIs on any other host ("openai-compatible"),
                                 * and for its port */
    const char *tails;          /* the last path bytes its rules can match: a one-compare reject */
    /* The path rules: path is (p, n), no query. On a match set out->api (and out->model,
     * out->stream_hint when the path names them) and return 1. Runs on every request: no
     * allocation, only compares. */
    int (*match_path)(const char *p, size_t n, pl_endpoint *out);
} pl_provider_desc;

typedef struct pl_api_desc {
    const char *name;           /* the stored `api` value: "openai.chat" */
    const char *kind;           /* the record's kind: "chat", "text", "embedding" */
    const pl_provider_desc *provider;
} pl_api_desc;

/* An API's normalizer: request JSON, whole JSON response, one stream unit (event name may be "").
 * The request tree is the caller's and freed right after: request may detach members it keeps
 * (pl_norm_take) instead of copying them, e.g. a long message history.
 * Kept out of pl_api_desc on purpose: libpromptlog.so links registry.c and the provider files
 * for endpoint matching but must stay libc-only; nothing it keeps refers to these, so its
 * --gc-sections link drops them and their cJSON calls (see the Makefile). Only normalize.c
 * holds the table of them. */
typedef struct pl_api_norm {
    void (*request)(pl_norm *n, cJSON *req);
    void (*response)(pl_norm *n, const cJSON *resp);
    void (*event)(pl_norm *n, const char *event, const cJSON *data);
} pl_api_norm;

/* Every descriptor the registry names, defined in the provider files. */
#define PL_PROVIDER(desc) extern const pl_provider_desc desc;
#define PL_API(id, desc, norm) extern const pl_api_desc desc; extern const pl_api_norm norm;
#include "registry.def"
#undef PL_PROVIDER
#undef PL_API

/* --- the registry (registry.c) */
/* The descriptor of api, or NULL for PL_API_NONE and out-of-range values. */
const pl_api_desc *pl_api_desc_of(pl_api api);
/* The normalizer of api, or NULL likewise (normalize.c: the engine's side only). */
const pl_api_norm *pl_api_norm_of(pl_api api);
/* The built-in path rules, providers in registry order; 1 and *out filled on a match. */
int pl_registry_match_path(const char *p, size_t n, pl_endpoint *out);
/* The provider name for a request on host:port that matched api (see llm.h). Never NULL. */
const char *pl_registry_provider(const char *host, int port, pl_api api);
/* Length of the host name without ":port" ("[::1]:80" keeps its brackets). */
size_t pl_host_len(const char *host);

/* --- path helpers for the path rules (path.c). A path is (p, n); a segment ends at '/' or n. */
int pl_path_ends(const char *p, size_t n, const char *suffix);
/* The segment that ends at p[end] (exclusive). */
void pl_path_seg_before(const char *p, size_t end, const char **seg, size_t *len);
int pl_path_seg_is(const char *seg, size_t len, const char *word);
/* "v1", "v2", "v1beta", "v1beta1": the version segment OpenAI-style base URLs end in. */
int pl_path_version_seg(const char *seg, size_t len);
/* Copies (src, len) into dst as a C string, cut to cap - 1 bytes. */
void pl_path_copy(char *dst, size_t cap, const char *src, size_t len);
/* ".../models/{model}:{verb}" at the path's end (Gemini, Vertex). On a match returns 1 and sets
 * the model, the verb and the start of the "models" segment (to look further left). */
typedef struct pl_model_verb {
    const char *model, *verb, *models_seg;
    size_t model_len, verb_len;
} pl_model_verb;
int pl_path_model_verb(const char *p, size_t n, pl_model_verb *mv);

#endif
