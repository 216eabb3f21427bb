/* fuzz_llm.c — libFuzzer harness for the LLM normalizers (llm/llm.h pl_llm_normalize) over every
 * pl_api: arbitrary request/response bodies, whole and cut short at a data-derived byte.
 *
 * Input: [api][flags][cut] request body FUZZ_SEP response body. api % 11 is the pl_api;
 * flags bits 0-2 pick the status, bit 3 incomplete, bits 4-6 the Content-Type, bit 7 a model hint.
 * Bodies are copied into buffers of exactly their length (no NUL after them), as the exporter
 * hands stored blobs over, so reading past `len` is caught. */
#include <stdint.h>
#include <stdlib.h>

#include "../../llm/llm.h"
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

static const char *const llm_targets[] = {
    "/",
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/responses",
    "/v1/embeddings",
    "/v1/messages",
    "/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse",
    "/v1beta/models/text-embedding-004:embedContent",
    "/api/chat",
    "/api/generate",
    "/api/embed",
};

static const char *const llm_providers[] = {
    "openai-compatible", "openai", "azure", "openai", "openai", "anthropic",
    "google", "vertex", "ollama", "ollama", "ollama",
};

static const int llm_statuses[8] = {200, 0, 400, 429, 500, 201, 204, 200};
static const char *const llm_ctypes[8] = {
    NULL, "text/event-stream", "application/x-ndjson", "application/json",
    "text/event-stream; charset=utf-8", "application/jsonl", "text/plain", "application/json; charset=utf-8",
};

static char *llm_copy(const fuzz_part *p)
{
    char *c = malloc(p->n ? p->n : 1);
    if (c && p->n)
        memcpy(c, p->p, p->n);
    return c;
}

static void llm_check(const pl_llm_input *in, size_t preview)
{
    cJSON *rec = pl_llm_normalize(in);
    FUZZ_CHECK(rec != NULL, "normalize returned NULL");
    FUZZ_CHECK(cJSON_IsObject(rec), "record is not an object");
    const cJSON *fto = cJSON_GetObjectItemCaseSensitive(rec, "first_token_offset");
    if (fto)
        FUZZ_CHECK(cJSON_IsNumber(fto) && fto->valuedouble >= 0 && fto->valuedouble <= (double)in->resp_len,
                   "first_token_offset %g outside the body (%zu)", fto->valuedouble, in->resp_len);
    char *s = cJSON_PrintUnformatted(rec);
    FUZZ_CHECK(s != NULL, "record does not print");
    cJSON *back = cJSON_Parse(s);
    FUZZ_CHECK(back != NULL, "record is not valid JSON once printed");
    cJSON_Delete(back);
    free(s);
    char *a = pl_llm_prompt_preview(rec, preview);
    char *b = pl_llm_completion_preview(rec, preview);
    if (a && preview)
        FUZZ_CHECK(strlen(a) <= preview * 4 + 8, "prompt preview longer than asked");
    free(a);
    free(b);
    cJSON_Delete(rec);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    pl_api api = (pl_api)(data[0] % 11);
    uint8_t flags = data[1], cut = data[2];
    FUZZ_CHECK(pl_api_from_name(pl_api_name(api)) == api || api == PL_API_NONE, "api name round trip");
    fuzz_part parts[2];
    fuzz_split(data + 3, size - 3, parts, 2);
    char *req = llm_copy(&parts[0]), *resp = llm_copy(&parts[1]);
    if (!req || !resp) {
        free(req);
        free(resp);
        return 0;
    }
    pl_llm_input in = {
        .api = api,
        .provider = llm_providers[api],
        .target = llm_targets[api],
        .model_hint = (flags & 128) ? "hint-model" : NULL,
        .status = llm_statuses[flags & 7],
        .content_type = llm_ctypes[(flags >> 4) & 7],
        .req_body = req, .req_len = parts[0].n,
        .resp_body = resp, .resp_len = parts[1].n,
        .incomplete = (flags >> 3) & 1,
    };
    static const size_t previews[4] = {0, 1, 7, 200};
    llm_check(&in, previews[cut & 3]);

    /* The same exchange cut short, as when the program or the server dropped the connection. */
    size_t at = parts[1].n ? (size_t)(((uint64_t)cut * 2654435761u) % (parts[1].n + 1)) : 0;
    in.resp_len = at;
    in.incomplete = 1;
    llm_check(&in, previews[(cut >> 2) & 3]);
    in.resp_len = parts[1].n;
    in.req_len = parts[0].n ? (size_t)(((uint64_t)cut * 40503u) % (parts[0].n + 1)) : 0;
    in.incomplete = 0;
    llm_check(&in, 80);

    free(req);
    free(resp);
    return 0;
}
