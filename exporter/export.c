/* export.c — builds prompt-logger JSON lines from stored rows (see export.h). The stored raw
 * bodies are normalized again here, so an improved normalizer improves old exports. */
#include "export.h"

#include <string.h>

#include "../store/rebuild.h"

/* prompt-logger's own fields, present even when empty (a consumer indexes them blindly). */
static const char *const ALWAYS[] = {"messages", "generation_kwargs", "completions", "prompt", "response", NULL};

static int always_kept(const cJSON *it)
{
    for (size_t i = 0; it->string && ALWAYS[i]; i++)
        if (strcmp(it->string, ALWAYS[i]) == 0)
            return 1;
    return 0;
}

static void omit_empty(cJSON *obj, int keep_always)
{
    cJSON *it = obj ? obj->child : NULL;
    while (it) {
        cJSON *next = it->next;
        if (keep_always && always_kept(it)) {
            it = next;
            continue;
        }
        int empty = cJSON_IsNull(it) || cJSON_IsInvalid(it) ||
                    (cJSON_IsString(it) && (!it->valuestring || !*it->valuestring)) ||
                    ((cJSON_IsArray(it) || cJSON_IsObject(it)) && !it->child);
        if (empty)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
        it = next;
    }
}

void pl_export_omit_empty(cJSON *obj)
{
    omit_empty(obj, 0);
}

void pl_export_input(const pl_row *row, pl_llm_input *in, pl_endpoint *ep)
{
    pl_store_llm_input(row, in, ep);   /* one rule for the exporter and the store's backfill */
}

cJSON *pl_export_record(const pl_row *row)
{
    pl_llm_input in;
    pl_endpoint ep;
    pl_export_input(row, &in, &ep);
    return pl_llm_normalize(&in);
}

/* Times are microsecond-precise at best; rounding keeps cJSON from printing 17-digit noise. */
static double usec(double v)
{
    if (v < 0 || v > 1e12)
        return v;
    return (double)(long long)(v * 1e6 + 0.5) / 1e6;
}

cJSON *pl_export_model_line(const pl_model_row *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)m->id);
    cJSON_AddStringToObject(o, "namespace", m->ns ? m->ns : "");
    cJSON_AddStringToObject(o, "name", m->name ? m->name : "");
    if (m->provider)
        cJSON_AddStringToObject(o, "provider", m->provider);
    cJSON_AddNumberToObject(o, "created", usec(m->created));
    pl_export_omit_empty(o);
    return o;
}

/* Copies record[key] into line under the same (or another) name, when present. */
static void copy_item(cJSON *line, const cJSON *record, const char *key, const char *as)
{
    const cJSON *v = record ? cJSON_GetObjectItemCaseSensitive(record, key) : NULL;
    if (v)
        cJSON_AddItemToObject(line, as ? as : key, cJSON_Duplicate(v, 1));
}

/* Copies record[key], or adds dflt (taken) when the record has none of that type. */
static void copy_or(cJSON *line, const cJSON *record, const char *key, cJSON *dflt)
{
    const cJSON *v = record ? cJSON_GetObjectItemCaseSensitive(record, key) : NULL;
    if (v && (v->type & 0xFF) == (dflt->type & 0xFF)) {
        cJSON_AddItemToObject(line, key, cJSON_Duplicate(v, 1));
        cJSON_Delete(dflt);
    } else {
        cJSON_AddItemToObject(line, key, dflt);
    }
}

static const char *rec_str(const cJSON *record, const char *key)
{
    const cJSON *v = record ? cJSON_GetObjectItemCaseSensitive(record, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int rec_true(const cJSON *record, const char *key)
{
    return record && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(record, key));
}

static void add_str(cJSON *o, const char *key, const char *v)
{
    if (v && *v)
        cJSON_AddStringToObject(o, key, v);
}

static void add_num(cJSON *o, const char *key, double v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, key, usec(v));
}

/* The fields prompt-logger does not have but a reader of captured traffic wants. */
static void add_extras(cJSON *line, const pl_row *row, const cJSON *record)
{
    add_str(line, "provider", row->provider);
    add_str(line, "endpoint", row->path);
    if (row->status > 0)
        cJSON_AddNumberToObject(line, "status", row->status);
    cJSON_AddBoolToObject(line, "stream", row->stream > 0 || rec_true(record, "stream"));

    cJSON *usage = cJSON_CreateObject();
    const cJSON *ru = record ? cJSON_GetObjectItemCaseSensitive(record, "usage") : NULL;
    const cJSON *in = ru ? cJSON_GetObjectItemCaseSensitive(ru, "input_tokens") : NULL;
    const cJSON *out = ru ? cJSON_GetObjectItemCaseSensitive(ru, "output_tokens") : NULL;
    if (cJSON_IsNumber(in))
        cJSON_AddNumberToObject(usage, "input_tokens", in->valuedouble);
    else
        add_num(usage, "input_tokens", (double)row->input_tokens);
    if (cJSON_IsNumber(out))
        cJSON_AddNumberToObject(usage, "output_tokens", out->valuedouble);
    else
        add_num(usage, "output_tokens", (double)row->output_tokens);
    cJSON_AddItemToObject(line, "usage", usage);

    if (row->pid > 0)
        cJSON_AddNumberToObject(line, "pid", row->pid);
    add_str(line, "program", row->program);
    const char *err = rec_str(record, "error");
    add_str(line, "error", err && *err ? err : row->error);
    if (row->incomplete > 0 || rec_true(record, "incomplete"))
        cJSON_AddTrueToObject(line, "incomplete");
    if (row->truncated > 0)
        cJSON_AddTrueToObject(line, "truncated");
    if (row->decode_error > 0)   /* the response body is stored as it arrived, undecoded */
        cJSON_AddTrueToObject(line, "decode_error");
    copy_item(line, record, "parse_error", NULL);
}

cJSON *pl_export_prompt_line(const pl_row *row, const cJSON *record, const char *type)
{
    const char *kind = rec_str(record, "kind");
    if (!kind || !*kind)
        kind = row->kind;
    if (!kind || !type || strcmp(kind, type) != 0)
        return NULL;
    int chat = strcmp(type, "chat") == 0;
    if (!chat && strcmp(type, "text") != 0)
        return NULL;

    cJSON *line = cJSON_CreateObject();
    if (!line)
        return NULL;
    const char *model = rec_str(record, "model");
    if (!model || !*model)
        model = row->model;
    cJSON_AddNumberToObject(line, "id", (double)row->id);
    add_str(line, "namespace", row->ns);
    if (chat) {
        add_str(line, "model", model);
        copy_or(line, record, "messages", cJSON_CreateArray());
        copy_item(line, record, "tools", NULL);
        copy_or(line, record, "generation_kwargs", cJSON_CreateObject());
        copy_or(line, record, "completions", cJSON_CreateArray());
        add_num(line, "inference_on", row->started_at);
        add_num(line, "inference_seconds", row->duration);
    } else {
        copy_or(line, record, "prompt", cJSON_CreateString(""));
        copy_or(line, record, "response", cJSON_CreateString(""));
        add_str(line, "model", model);
        add_num(line, "inference_on", row->started_at);
        add_num(line, "inference_seconds", row->duration);
    }
    add_extras(line, row, record);
    omit_empty(line, 1);
    return line;
}
