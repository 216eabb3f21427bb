/* record.c — calls.record: the normalized record without what other tables and columns hold,
 * and putting the column-held members back on read (messages.h: pl_record_rest). */
#include "messages.h"

#include <string.h>

/* Record members the calls columns hold too (schema 4): stored only when they differ. */
enum { K_KIND, K_MODEL, K_FINISH, K_USAGE, K_STATUS, K_N };
static const char *const COLUMN_KEYS[K_N] = {"kind", "model", "finish_reason", "usage", "status"};

static int same_str(const cJSON *v, const char *col)
{
    return cJSON_IsString(v) && col && strcmp(v->valuestring, col) == 0;
}

static int same_num(const cJSON *v, long long col)
{
    return cJSON_IsNumber(v) && col >= 0 && v->valuedouble == (double)col;
}

/* Whether the column holds a value the reader would put back for this key. */
static int column_set(const pl_row *w, int k)
{
    switch (k) {
    case K_KIND: return w->kind != NULL;
    case K_MODEL: return w->model && *w->model;
    case K_FINISH: return w->finish_reason != NULL;
    case K_USAGE: return w->input_tokens >= 0 || w->output_tokens >= 0;
    default: return w->status >= 0;
    }
}

/* Whether member v is exactly what the reader rebuilds from the columns. */
static int from_columns(const cJSON *v, const pl_row *w, int k)
{
    switch (k) {
    case K_KIND: return same_str(v, w->kind);
    case K_MODEL: return w->model && *w->model && same_str(v, w->model);
    case K_FINISH: return same_str(v, w->finish_reason);
    case K_STATUS: return same_num(v, w->status);
    default: break;
    }
    if (!cJSON_IsObject(v) || !v->child)
        return 0;
    const cJSON *c = v->child;
    if (w->input_tokens >= 0) {
        if (!c || !c->string || strcmp(c->string, "input_tokens") != 0 || !same_num(c, w->input_tokens))
            return 0;
        c = c->next;
    }
    if (w->output_tokens >= 0) {
        if (!c || !c->string || strcmp(c->string, "output_tokens") != 0 || !same_num(c, w->output_tokens))
            return 0;
        c = c->next;
    }
    return c == NULL;
}

char *pl_record_rest(const cJSON *record, const pl_row *w)
{
    static const char *const drop[] = {"messages", "completions", "prompt", "response", "system", "tools",
                                       "first_token_offset"};
    cJSON *rest = cJSON_CreateObject();
    if (!rest)
        return NULL;
    int seen[K_N] = {0};
    for (const cJSON *it = record ? record->child : NULL; it; it = it->next) {
        int skip = !it->string;
        for (size_t i = 0; !skip && i < sizeof drop / sizeof *drop; i++)
            skip = strcmp(it->string, drop[i]) == 0;
        for (int k = 0; !skip && k < K_N; k++)
            if (strcmp(it->string, COLUMN_KEYS[k]) == 0) {
                seen[k] = 1;
                skip = from_columns(it, w, k);
            }
        if (!skip)
            cJSON_AddItemReferenceToObject(rest, it->string, (cJSON *)it);
    }
    /* A member the record lacks while its column is set: a null says "absent" to the reader. */
    for (int k = 0; k < K_N; k++)
        if (!seen[k] && column_set(w, k))
            cJSON_AddNullToObject(rest, COLUMN_KEYS[k]);
    char *out = cJSON_PrintUnformatted(rest);
    cJSON_Delete(rest);   /* references: the record's items are untouched */
    return out;
}

void pl_record_restore(cJSON *rest, const pl_row *r)
{
    if (!rest || r->cached_tokens < 0)
        return;   /* written before schema 4: the record is whole */
    for (int k = 0; k < K_N; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(rest, COLUMN_KEYS[k]);
        if (v) {
            if (cJSON_IsNull(v))
                cJSON_Delete(cJSON_DetachItemViaPointer(rest, v));
            continue;
        }
        if (!column_set(r, k))
            continue;
        cJSON *add = NULL;
        switch (k) {
        case K_KIND: add = cJSON_CreateString(r->kind); break;
        case K_MODEL: add = cJSON_CreateString(r->model); break;
        case K_FINISH: add = cJSON_CreateString(r->finish_reason); break;
        case K_STATUS: add = cJSON_CreateNumber((double)r->status); break;
        default:
            add = cJSON_CreateObject();
            if (add && r->input_tokens >= 0)
                cJSON_AddNumberToObject(add, "input_tokens", (double)r->input_tokens);
            if (add && r->output_tokens >= 0)
                cJSON_AddNumberToObject(add, "output_tokens", (double)r->output_tokens);
        }
        if (!add)
            continue;
        if (!cJSON_AddItemToObject(rest, COLUMN_KEYS[k], add))
            cJSON_Delete(add);
    }
}
