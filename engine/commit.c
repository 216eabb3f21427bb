/* commit.c — the engine's half of pl_capture_commit (preload/capture.h): one exchange turned
 * into a normalized record and a row in this process's store, committed before it returns. */
#include "engine_int.h"
#include "../util/json.h"
#include "../util/jsonarena.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define PREVIEW_CHARS 200

/* ---- building the row ---- */

static char g_program[256];

/* The executable's file name; argv[0] can be anything, but fall back to it when /proc is absent. */
static void program_init(void)
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    const char *base = NULL;
    if (n > 0) {
        path[n] = '\0';
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
    } else {
        base = program_invocation_short_name;
    }
    if (base) {
        size_t len = strnlen(base, sizeof g_program - 1);
        memcpy(g_program, base, len);
        g_program[len] = '\0';
    }
}

static const char *program_name(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, program_init);
    return g_program[0] ? g_program : NULL;
}

/* getpid() is a system call at every commit otherwise (glibc caches nothing): the pid is kept
 * with the fork generation it was read in (process.h), in one word so threads see a pair. A
 * child made by fork has a new generation and reads its own pid again. */
static int commit_pid(void)
{
    static unsigned long long cached; /* generation << 32 | pid, 0 = none yet */
    unsigned gen = pl_process_generation();
    unsigned long long v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v && (unsigned)(v >> 32) == gen)
        return (int)(unsigned)(v & 0xffffffffu);
    int pid = (int)getpid();
    __atomic_store_n(&cached, (unsigned long long)gen << 32 | (unsigned)pid, __ATOMIC_RELAXED);
    return pid;
}

static int json_true(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static long long json_ll(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    /* Range-checked: converting an out-of-range double to long long is undefined behaviour. */
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0
               ? (long long)v->valuedouble
               : -1;
}

int pl_engine_commit(pl_exchange *x, const pl_endpoint *ep)
{
    const pl_config *c = pl_config_get();
    const char *ctype = pl_headers_get(&x->resp_headers, "Content-Type");
    pl_llm_input in = {
        .api = ep->api,
        .provider = ep->provider,
        .target = x->target,
        .model_hint = ep->model[0] ? ep->model : NULL,
        .status = x->status,
        .content_type = ctype,
        .req_body = x->req_body.data,
        .req_len = x->req_body.len,
        .resp_body = x->resp_body.data,
        .resp_len = x->resp_body.len,
        .incomplete = x->incomplete,
        .decode_error = x->decode_error,
    };
    /* The record and every tree normalization parses come from the arena, freed at once below
     * (util/jsonarena.h); the store reads the record in place. */
    pl_jsonarena_begin();
    pl_jsonarena_route_begin();
    cJSON *rec = pl_llm_normalize(&in);
    pl_jsonarena_route_end();
    char *url = pl_exchange_url(x);
    char *path = NULL;
    if (x->target)
        path = strndup(x->target, strcspn(x->target, "?#"));
    char *pprev = rec ? pl_llm_prompt_preview(rec, PREVIEW_CHARS) : NULL;
    char *cprev = rec ? pl_llm_completion_preview(rec, PREVIEW_CHARS) : NULL;

    pl_row row = {
        .id = -1,
        .ns = c->ns,
        .provider = ep->provider[0] ? ep->provider : NULL,
        .host = x->host,
        .model = rec ? pl_js(rec, "model") : NULL,
        .api = pl_api_name(ep->api),
        .kind = rec ? pl_js(rec, "kind") : NULL,
        .method = x->method,
        .url = url,
        .path = path,
        .status = x->status > 0 ? x->status : -1,
        .stream = rec ? json_true(rec, "stream") : 0,
        .incomplete = x->incomplete || (rec && json_true(rec, "incomplete")),
        .truncated = x->req_truncated || x->resp_truncated,
        .decode_error = x->decode_error,
        .started_at = x->started_at,
        .duration = x->ended_at >= x->started_at && x->started_at > 0 ? x->ended_at - x->started_at : -1,
        .ttfb = x->first_byte_at > 0 && x->started_at > 0 ? x->first_byte_at - x->started_at : -1,
        .ttft = -1,
        .input_tokens = -1,
        .output_tokens = -1,
        .finish_reason = rec ? pl_js(rec, "finish_reason") : NULL,
        .error = rec ? pl_js(rec, "error") : NULL,
        .prompt_preview = pprev,
        .completion_preview = cprev,
        .pid = commit_pid(),
        .program = program_name(),
        .source = pl_source_name(x->source),
        .http_version = x->http_version,
        .content_type = ctype,
        .req_headers = &x->req_headers,
        .resp_headers = &x->resp_headers,
        .req_body = x->req_body.data,
        .req_len = x->req_body.len,
        .resp_body = x->resp_body.data,
        .resp_len = x->resp_body.len,
        .record = rec,              /* the store keeps its messages, each distinct one once */
    };
    if (!row.error && x->transport_error)
        row.error = x->transport_error;
    if (rec) {
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(rec, "usage");
        if (cJSON_IsObject(usage)) {
            row.input_tokens = json_ll(usage, "input_tokens");
            row.output_tokens = json_ll(usage, "output_tokens");
        }
        const cJSON *fto = cJSON_GetObjectItemCaseSensitive(rec, "first_token_offset");
        if (cJSON_IsNumber(fto) && fto->valuedouble >= 0 && x->started_at > 0) {
            double at = pl_exchange_time_at(x, (size_t)fto->valuedouble);
            if (at > 0)
                row.ttft = at - x->started_at;
        }
    }

    char err[256] = "";
    int say = 0;
    long long id = pl_engine_store_insert(&row, &say, err, sizeof err);
    if (id > 0) {
        pl_stats_count(1);
        pl_debug("captured %s %s -> %d (%s, row %lld)", x->method ? x->method : "?", url ? url : "?",
                 x->status, pl_source_name(x->source), id);
    } else {
        pl_stats_count(0);
        if (say)
            pl_debug("insert failed: %s (capture skipped)", err[0] ? err : "unknown error");
    }

    free(pprev);
    free(cprev);
    free(path);
    free(url);
    pl_json_delete(rec);   /* (the arena is freed whole just below) */
    pl_jsonarena_end();
    return id > 0;
}
