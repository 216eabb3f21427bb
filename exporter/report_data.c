/* report_data.c — one pass over the calls (bodies re-normalized) building the report's data:
 * compact per-call rows and conversations with their latest thread (prompt versions come from
 * the store's view: report_prompts.c).
 * A conversation is the store's (conversation_id, found from the traffic); calls the store never
 * linked fall back to conv_key's guess. Cost comes from the CLI's price table (cost.h). */
#include "report_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "export.h"

#define MAX_TEXT 4000          /* per message in a thread */
#define MAX_THREAD 60          /* messages per thread (the newest) */
#define MAX_PROMPT_TEXT 8000
#define MAX_CONV_IDS 500

typedef struct conv {
    uint64_t h;
    char *program;
    int pid;
    double first, last;
    long long ncalls;
    cJSON *ids;
    char *title;
    cJSON *thread;             /* the newest call's thread */
} conv;

typedef struct collector {
    cJSON *root, *calls, *errors, *dns, *dprov, *dmodel;
    conv *convs;
    size_t nconv, capconv;
    size_t *index;             /* open addressing over convs: slot -> conv index + 1 */
    size_t nindex;
    int oom;
    pl_prices *prices;         /* NULL: no cost shown (the table could not be read) */
    long long max_id;
} collector;

static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;   /* separator, so ("ab","c") != ("a","bc") */
}

static int dict(cJSON *arr, const char *s)
{
    if (!s)
        return -1;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        if (strcmp(e->valuestring, s) == 0)
            return i;
        i++;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateString(s));
    return i;
}

/* Text of an OpenAI-shape content: a string, or the text parts joined. Caller frees. */
static char *text_of(const cJSON *content, size_t cap)
{
    size_t len = 0;
    char *out = calloc(1, cap + 4);
    if (!out)
        return NULL;
    if (cJSON_IsString(content)) {
        strncpy(out, content->valuestring, cap);
        len = strlen(out);
    } else {
        const cJSON *p;
        cJSON_ArrayForEach(p, content) {
            const cJSON *t = cJSON_IsString(p) ? p : cJSON_GetObjectItemCaseSensitive(p, "text");
            if (cJSON_IsString(t) && len < cap) {
                strncpy(out + len, t->valuestring, cap - len);
                len += strlen(out + len);
            }
        }
    }
    if (len >= cap)
        memcpy(out + cap, "\xe2\x80\xa6", 4);   /* … marks the cut */
    return out;
}

static const char *role_of(const cJSON *m)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");
    return cJSON_IsString(r) ? r->valuestring : "";
}

/* The system prompt of a call: its system/developer messages, else a text API's system. */
static char *system_text(const cJSON *record)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "messages")) {
        if (strcmp(role_of(m), "system") == 0 || strcmp(role_of(m), "developer") == 0)
            return text_of(cJSON_GetObjectItemCaseSensitive(m, "content"), MAX_PROMPT_TEXT);
    }
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(record, "system");
    return cJSON_IsString(s) ? text_of(s, MAX_PROMPT_TEXT) : NULL;
}

static char *first_user_text(const cJSON *record)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "messages")) {
        if (strcmp(role_of(m), "user") == 0)
            return text_of(cJSON_GetObjectItemCaseSensitive(m, "content"), 200);
    }
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(record, "prompt");
    return cJSON_IsString(p) ? text_of(p, 200) : NULL;
}

/* Which conversation a call belongs to: the store's conversation id when it linked the call;
 * else (a database upgraded without its backfill) calls of one process that open with the same
 * system prompt and first user message (an agent resends its history, so those stay the same). */
static uint64_t conv_key(const pl_row *row, const char *system, const char *first_user)
{
    if (row->conversation_id > 0) {
        char cid[24];
        snprintf(cid, sizeof cid, "%lld", row->conversation_id);
        return fnv(fnv(fnv(0xcbf29ce484222325ULL, row->ns), "conversation"), cid);
    }
    char pid[24];
    snprintf(pid, sizeof pid, "%d", row->pid);
    uint64_t h = fnv(0xcbf29ce484222325ULL, row->ns);
    h = fnv(h, row->program);
    h = fnv(h, pid);
    h = fnv(h, system);
    return fnv(h, first_user);
}

static cJSON *thread_msg(const cJSON *m, const char *role)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "r", role);
    char *t = text_of(cJSON_GetObjectItemCaseSensitive(m, "content"), MAX_TEXT);
    if (t && *t)
        cJSON_AddStringToObject(o, "c", t);
    free(t);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "tool_call_id");
    if (cJSON_IsString(id))
        cJSON_AddStringToObject(o, "id", id->valuestring);
    const cJSON *tc, *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
    if (cJSON_GetArraySize(calls) > 0) {
        cJSON *arr = cJSON_AddArrayToObject(o, "tc");
        cJSON_ArrayForEach(tc, calls) {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(fn, "name");
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "n", cJSON_IsString(n) ? n->valuestring : "?");
            if (cJSON_IsString(a)) {
                char *at = text_of(a, 1000);
                cJSON_AddStringToObject(x, "a", at ? at : "");
                free(at);
            }
            cJSON_AddItemToArray(arr, x);
        }
    }
    return o;
}

static cJSON *thread_of(const cJSON *record)
{
    cJSON *th = cJSON_CreateArray();
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "messages")) {
        cJSON_AddItemToArray(th, thread_msg(m, role_of(m)));
    }
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(record, "prompt");
    if (cJSON_IsString(p)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "r", "user");
        cJSON_AddStringToObject(o, "c", p->valuestring);
        cJSON_AddItemToArray(th, o);
    }
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "completions")) {
        cJSON_AddItemToArray(th, thread_msg(m, "assistant"));
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(record, "response");
    if (cJSON_IsString(r)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "r", "assistant");
        cJSON_AddStringToObject(o, "c", r->valuestring);
        cJSON_AddItemToArray(th, o);
    }
    while (cJSON_GetArraySize(th) > MAX_THREAD)
        cJSON_DeleteItemFromArray(th, 0);
    return th;
}

static conv *find_conv(collector *c, uint64_t h)
{
    if (c->nconv * 2 >= c->nindex) {   /* grow and rehash: load factor stays under 1/2 */
        size_t n = c->nindex ? c->nindex * 2 : 1024;
        size_t *idx = calloc(n, sizeof *idx);
        if (!idx)
            return NULL;
        for (size_t k = 0; k < c->nconv; k++) {
            size_t s = c->convs[k].h & (n - 1);
            while (idx[s])
                s = (s + 1) & (n - 1);
            idx[s] = k + 1;
        }
        free(c->index);
        c->index = idx;
        c->nindex = n;
    }
    size_t s = h & (c->nindex - 1);
    while (c->index[s]) {
        if (c->convs[c->index[s] - 1].h == h)
            return &c->convs[c->index[s] - 1];
        s = (s + 1) & (c->nindex - 1);
    }
    if (c->nconv == c->capconv) {
        size_t cap = c->capconv ? c->capconv * 2 : 256;
        conv *v = realloc(c->convs, cap * sizeof *v);
        if (!v)
            return NULL;
        c->convs = v;
        c->capconv = cap;
    }
    conv *cv = &c->convs[c->nconv];
    memset(cv, 0, sizeof *cv);
    cv->h = h;
    cv->ids = cJSON_CreateArray();
    c->index[s] = ++c->nconv;
    return cv;
}

/* At most max characters of s (UTF-8 aware), as a new JSON string. */
static cJSON *clipped(const char *s, size_t max)
{
    if (!s)
        return cJSON_CreateString("");
    size_t i = 0, chars = 0;
    while (s[i] && chars < max) {
        i++;
        while ((s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    char *t = strndup(s, i);
    cJSON *j = cJSON_CreateString(t ? t : "");
    free(t);
    return j;
}

static int row_cb(const pl_row *row, void *vctx)
{
    collector *c = vctx;
    cJSON *record = row->req_body ? pl_export_record(row) : NULL;
    char *system = record ? system_text(record) : NULL;
    char *first = record ? first_user_text(record) : NULL;
    int conv_i = -1;
    if (record) {
        conv *cv = find_conv(c, conv_key(row, system, first));
        if (!cv) {
            c->oom = 1;
        } else {
            conv_i = (int)(cv - c->convs);
            if (!cv->ncalls) {
                cv->first = row->started_at;
                cv->program = strdup(row->program ? row->program : "");
                cv->pid = row->pid;
                cv->title = strdup(first ? first : (row->prompt_preview ? row->prompt_preview : ""));
            }
            cv->ncalls++;
            cv->last = row->started_at;
            if (cJSON_GetArraySize(cv->ids) < MAX_CONV_IDS)
                cJSON_AddItemToArray(cv->ids, cJSON_CreateNumber((double)row->id));
            cJSON_Delete(cv->thread);
            cv->thread = thread_of(record);
        }
    }
    if (row->id > c->max_id)
        c->max_id = row->id;
    int failed = row->status >= 400 || row->error != NULL;
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)row->id));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(row->started_at));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(dict(c->dns, row->ns)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(dict(c->dprov, row->provider)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(dict(c->dmodel, row->model)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(row->status));
    cJSON_AddItemToArray(a, row->duration >= 0 ? cJSON_CreateNumber(row->duration) : cJSON_CreateNull());
    cJSON_AddItemToArray(a, row->ttft >= 0 ? cJSON_CreateNumber(row->ttft) : cJSON_CreateNull());
    cJSON_AddItemToArray(a, row->input_tokens >= 0 ? cJSON_CreateNumber((double)row->input_tokens) : cJSON_CreateNull());
    cJSON_AddItemToArray(a, row->output_tokens >= 0 ? cJSON_CreateNumber((double)row->output_tokens) : cJSON_CreateNull());
    cJSON_AddItemToArray(a, cJSON_CreateNumber(failed));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(conv_i));
    cJSON_AddItemToArray(a, clipped(row->prompt_preview, 60));
    cJSON_AddItemToArray(a, clipped(row->completion_preview, 60));
    double usd = c->prices ? pl_cost_usd(c->prices, row) : -1;
    cJSON_AddItemToArray(a, usd >= 0 ? cJSON_CreateNumber(usd) : cJSON_CreateNull());
    cJSON_AddItemToArray(c->calls, a);
    if (failed) {
        char id[24];
        snprintf(id, sizeof id, "%lld", row->id);
        char msg[301];
        snprintf(msg, sizeof msg, "%s", row->error ? row->error : "HTTP error");
        cJSON_AddStringToObject(c->errors, id, msg);
    }
    free(system);
    free(first);
    cJSON_Delete(record);
    return c->oom;
}

static int by_last_desc(const void *x, const void *y)
{
    const conv *a = *(conv *const *)x, *b = *(conv *const *)y;
    return a->last < b->last ? 1 : a->last > b->last ? -1 : 0;
}

cJSON *pl_report_collect(pl_store *s, pl_report_filter *f, char *err, size_t errlen)
{
    collector c = {0};
    char perr[256];
    c.prices = pl_prices_load(perr, sizeof perr); /* a bad PROMPTLOG_PRICES only loses the cost */
    c.root = cJSON_CreateObject();
    c.calls = cJSON_CreateArray();
    c.errors = cJSON_CreateObject();
    c.dns = cJSON_CreateArray();
    c.dprov = cJSON_CreateArray();
    c.dmodel = cJSON_CreateArray();
    /* the time bounds go to the store first, so -l N is the newest N of them, as in report_prompts.c */
    pl_store_query q = {.ns = f->ns, .last = f->last, .since = f->since > 0 ? f->since : 0, .until = f->until > 0 ? f->until : 0};
    int rc = pl_store_each_row_q(s, &q, row_cb, &c, err, errlen);
    /* no call read: an id no call has, so the prompt versions are empty too */
    f->upto = c.max_id > 0 ? c.max_id : -1;
    if (c.oom) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    cJSON *root = c.root;
    cJSON *d = cJSON_AddObjectToObject(root, "dict");
    cJSON_AddItemToObject(d, "ns", c.dns);
    cJSON_AddItemToObject(d, "provider", c.dprov);
    cJSON_AddItemToObject(d, "model", c.dmodel);
    const char *cols[] = {"id", "t", "ns", "provider", "model", "status", "duration", "ttft", "input_tokens",
                          "output_tokens", "failed", "conv", "prompt", "completion", "cost"};
    cJSON_AddItemToObject(root, "cols", cJSON_CreateStringArray(cols, (int)(sizeof cols / sizeof cols[0])));
    cJSON_AddItemToObject(root, "calls", c.calls);
    cJSON_AddItemToObject(root, "errors", c.errors);

    /* Conversations: newest first; a call's conv index refers to this output order (-1 = not shown). */
    conv **order = calloc(c.nconv + 1, sizeof *order);
    int *rank = calloc(c.nconv + 1, sizeof *rank);
    cJSON *convs = cJSON_AddArrayToObject(root, "conversations");
    cJSON_AddNumberToObject(root, "conversations_total", (double)c.nconv);
    if (order && rank) {
        for (size_t k = 0; k < c.nconv; k++)
            order[k] = &c.convs[k];
        qsort(order, c.nconv, sizeof *order, by_last_desc);
        for (size_t k = 0; k < c.nconv; k++)
            rank[order[k] - c.convs] = k < PL_REPORT_MAX_CONV ? (int)k : -1;
        for (size_t k = 0; k < c.nconv && k < PL_REPORT_MAX_CONV; k++) {
            conv *cv = order[k];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "id", (double)k);
            cJSON_AddStringToObject(o, "program", cv->program ? cv->program : "");
            cJSON_AddNumberToObject(o, "pid", cv->pid);
            cJSON_AddNumberToObject(o, "first", cv->first);
            cJSON_AddNumberToObject(o, "last", cv->last);
            cJSON_AddNumberToObject(o, "ncalls", (double)cv->ncalls);
            cJSON_AddStringToObject(o, "title", cv->title ? cv->title : "");
            cJSON_AddItemToObject(o, "calls", cv->ids);
            cJSON_AddItemToObject(o, "thread", cv->thread ? cv->thread : cJSON_CreateArray());
            cv->ids = cv->thread = NULL;
            cJSON_AddItemToArray(convs, o);
        }
        cJSON *a;
        cJSON_ArrayForEach(a, c.calls) {
            cJSON *ci = cJSON_GetArrayItem(a, 11);
            if (ci->valueint >= 0)
                cJSON_SetNumberValue(ci, rank[ci->valueint]);
        }
    }
    free(order);
    free(rank);

    for (size_t k = 0; k < c.nconv; k++) {
        free(c.convs[k].program);
        free(c.convs[k].title);
        cJSON_Delete(c.convs[k].ids);
        cJSON_Delete(c.convs[k].thread);
    }
    free(c.convs);
    free(c.index);
    pl_prices_free(c.prices);
    if (rc != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
