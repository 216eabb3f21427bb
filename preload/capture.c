/* capture.c — the one way from a hook into the pipeline: is this request an LLM call, and
 * exchange → normalized record → row in the per-process store, committed before we return. */
#include "capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../store/store.h"

#define PREVIEW_CHARS 200
/* After a failed open (unwritable path, newer schema, corrupt file) we try again at most this
 * often, so a broken database costs the host one failed open per interval, not one per call. */
#define REOPEN_INTERVAL_S 5.0

/* ---- endpoint rules (PROMPTLOG_ENDPOINTS / PROMPTLOG_IGNORE), parsed once ---- */

static pl_endpoint_rules *g_rules;
static pthread_once_t g_rules_once = PTHREAD_ONCE_INIT;

static void rules_load(void)
{
    const pl_config *c = pl_config_get();
    if (!c->endpoints && !c->ignore)
        return;
    char err[256] = "";
    g_rules = pl_endpoint_rules_parse(c->endpoints, c->ignore, err, sizeof err);
    if (!g_rules)
        pl_debug("PROMPTLOG_ENDPOINTS/PROMPTLOG_IGNORE ignored: %s", err);
}

int pl_capture_wanted(const char *method, const char *host, int port, const char *target, pl_endpoint *ep)
{
    int saved = errno;
    int want = 0;
    const pl_config *c = pl_config_get();
    if (!c->disabled && host && target) {
        pthread_once(&g_rules_once, rules_load);
        want = g_rules ? pl_endpoint_match_rules(g_rules, method, host, port, target, ep)
                       : pl_endpoint_match(method, host, port, target, ep);
    }
    errno = saved;
    return want;
}

/* ---- the per-process store connection ---- */

static pthread_mutex_t g_store_lock = PTHREAD_MUTEX_INITIALIZER;
static pl_store *g_store;
static pid_t g_store_pid;
static double g_next_open;
static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;

/* fork() while another thread is inside an insert would hand the child a held mutex (and
 * possibly SQLite's own locks mid-operation). Taking our lock in prepare makes fork wait for
 * the insert to finish — at most the busy timeout — so the child starts with everything free. */
static void atfork_prepare(void) { pthread_mutex_lock(&g_store_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&g_store_lock); }
static void atfork_child(void) { pthread_mutex_unlock(&g_store_lock); }

static void atfork_register(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

__attribute__((constructor)) static void capture_init(void)
{
    int saved = errno;
    pthread_once(&g_atfork_once, atfork_register);
    errno = saved;
}

/* The last failure reported under PROMPTLOG_DEBUG (g_store_lock held): a broken database gives
 * one line saying why, not one per call or per reopen attempt. Cleared by a success, so a cause
 * that comes back is reported again. */
static char g_said[256];

static int say_once_locked(const char *msg)
{
    if (strncmp(g_said, msg, sizeof g_said - 1) == 0)
        return 0;
    snprintf(g_said, sizeof g_said, "%s", msg);
    return 1;
}

/* At exit the connection is closed so SQLite checkpoints its WAL into the database file; a
 * forked child never closes the connection it inherited (see store_get_locked). Taking the
 * lock waits for an insert another thread may have in flight (bounded by the busy timeout). */
__attribute__((destructor)) static void capture_fini(void)
{
    int saved = errno;
    pthread_mutex_lock(&g_store_lock);
    if (g_store && g_store_pid == getpid()) {
        pl_store_close(g_store);
        g_store = NULL;
    }
    pthread_mutex_unlock(&g_store_lock);
    errno = saved;
}

/* With g_store_lock held. Returns the store for this process, opening it if due. */
static pl_store *store_get_locked(void)
{
    pid_t pid = getpid();
    if (g_store && g_store_pid != pid) {
        /* A forked child inherited the parent's connection. Closing it here could checkpoint or
         * unlink the parent's WAL and would release state the parent still relies on, so the
         * pointer is deliberately leaked and the child opens its own connection. */
        g_store = NULL;
        g_next_open = 0;
    }
    if (g_store)
        return g_store;
    double now = pl_now();
    if (g_next_open && now < g_next_open && g_store_pid == pid)
        return NULL;
    const pl_config *c = pl_config_get();
    pl_store_options opts = {.busy_timeout_ms = c->busy_timeout_ms};
    char err[256] = "";
    pl_store *s = NULL;
    g_store_pid = pid;
    if (pl_store_open(c->database_url, PL_STORE_CREATE, &opts, &s, err, sizeof err) != 0 || !s) {
        g_next_open = now + REOPEN_INTERVAL_S;
        if (say_once_locked(err[0] ? err : "unknown error"))
            pl_debug("cannot open database %s: %s (capture skipped; retry every %.0fs)", c->database_url,
                     err[0] ? err : "unknown error", REOPEN_INTERVAL_S);
        return NULL;
    }
    g_store = s;
    g_next_open = 0;
    return s;
}

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

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
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

static void commit(pl_exchange *x, const pl_endpoint *ep)
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
    };
    cJSON *rec = pl_llm_normalize(&in);
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
        .model = rec ? json_str(rec, "model") : NULL,
        .api = pl_api_name(ep->api),
        .kind = rec ? json_str(rec, "kind") : NULL,
        .method = x->method,
        .url = url,
        .path = path,
        .status = x->status > 0 ? x->status : -1,
        .stream = rec ? json_true(rec, "stream") : 0,
        .incomplete = x->incomplete || (rec && json_true(rec, "incomplete")),
        .truncated = x->req_truncated || x->resp_truncated,
        .started_at = x->started_at,
        .duration = x->ended_at >= x->started_at && x->started_at > 0 ? x->ended_at - x->started_at : -1,
        .ttfb = x->first_byte_at > 0 && x->started_at > 0 ? x->first_byte_at - x->started_at : -1,
        .ttft = -1,
        .input_tokens = -1,
        .output_tokens = -1,
        .finish_reason = rec ? json_str(rec, "finish_reason") : NULL,
        .error = rec ? json_str(rec, "error") : NULL,
        .prompt_preview = pprev,
        .completion_preview = cprev,
        .pid = (int)getpid(),
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
    long long id = -1;
    pthread_mutex_lock(&g_store_lock);
    pl_store *s = store_get_locked();
    int say = 0;
    if (s) {
        id = pl_store_insert(s, &row, err, sizeof err);
        if (id > 0)
            g_said[0] = '\0';
        else
            say = say_once_locked(err[0] ? err : "unknown error");
    }
    pthread_mutex_unlock(&g_store_lock);
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
    cJSON_Delete(rec);
}

void pl_capture_commit(pl_exchange *x, const pl_endpoint *ep)
{
    if (!x)
        return;
    int saved = errno;
    pl_in_hook++;
    if (ep && !pl_config_get()->disabled)
        commit(x, ep);
    pl_exchange_free(x);
    pl_in_hook--;
    errno = saved;
}
