/* export.c — builds prompt-logger JSON lines from stored rows (see export.h). The stored raw
 * bodies are normalized again here, so an improved normalizer improves old exports. */
#include "export.h"

#include <string.h>

#include "../store/rebuild.h"
#include "../util/jsonw.h"

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

/* ---- the direct writer ------------------------------------------------------------------ */

/* pl_export_prompt_line's chat line, with omit_empty's verdicts decided while writing. */
typedef struct jw {
    pl_buf *b;
    int first;
} jw;

static void jw_key(jw *w, const char *key)
{
    pl_jw_key(w->b, key, w->first);
    w->first = 0;
}

static void jw_str(jw *w, const char *key, const char *v)
{
    if (v && *v) {
        jw_key(w, key);
        pl_jw_str(w->b, v);
    }
}

static void jw_num(jw *w, const char *key, double v)
{
    if (v >= 0) {
        jw_key(w, key);
        pl_jw_num(w->b, usec(v));
    }
}

/* A copied member that omit_empty would drop: null, invalid, "", [] or {}. */
static int empty_item(const cJSON *v)
{
    return cJSON_IsNull(v) || cJSON_IsInvalid(v) || (cJSON_IsString(v) && (!v->valuestring || !*v->valuestring)) ||
           ((cJSON_IsArray(v) || cJSON_IsObject(v)) && !v->child);
}

int pl_export_prompt_write(pl_buf *out, const pl_row *row, const cJSON *record, const char *type, double cost)
{
    const char *kind = rec_str(record, "kind");
    if (!kind || !*kind)
        kind = row->kind;
    if (!kind || !type || strcmp(kind, type) != 0 || strcmp(type, "chat") != 0 || !row->messages_json)
        return 0;
    size_t start = out->len;
    jw w = {out, 1};
    pl_jw_raw(out, "{", 1);
    jw_key(&w, "id");
    pl_jw_num(out, (double)row->id);
    jw_str(&w, "namespace", row->ns);
    const char *model = rec_str(record, "model");
    jw_str(&w, "model", model && *model ? model : row->model);
    jw_key(&w, "messages");
    pl_buf_append_str(out, row->messages_json);
    if (row->tools_json && strcmp(row->tools_json, "[]") != 0) {
        jw_key(&w, "tools");
        pl_buf_append_str(out, row->tools_json);
    }
    const cJSON *kw = record ? cJSON_GetObjectItemCaseSensitive(record, "generation_kwargs") : NULL;
    jw_key(&w, "generation_kwargs");
    if (cJSON_IsObject(kw))
        pl_jw_value(out, kw);
    else
        pl_jw_raw(out, "{}", 2);
    jw_key(&w, "completions");
    pl_buf_append_str(out, row->completions_json ? row->completions_json : "[]");
    jw_num(&w, "inference_on", row->started_at);
    jw_num(&w, "inference_seconds", row->duration);
    /* add_extras */
    jw_str(&w, "provider", row->provider);
    jw_str(&w, "endpoint", row->path);
    if (row->status > 0) {
        jw_key(&w, "status");
        pl_jw_num(out, row->status);
    }
    jw_key(&w, "stream");
    pl_buf_append_str(out, row->stream > 0 || rec_true(record, "stream") ? "true" : "false");
    const cJSON *ru = record ? cJSON_GetObjectItemCaseSensitive(record, "usage") : NULL;
    const cJSON *in = ru ? cJSON_GetObjectItemCaseSensitive(ru, "input_tokens") : NULL;
    const cJSON *outk = ru ? cJSON_GetObjectItemCaseSensitive(ru, "output_tokens") : NULL;
    double tin = cJSON_IsNumber(in) ? in->valuedouble : row->input_tokens >= 0 ? usec((double)row->input_tokens) : -1;
    double tout = cJSON_IsNumber(outk) ? outk->valuedouble : row->output_tokens >= 0 ? usec((double)row->output_tokens) : -1;
    int has_in = cJSON_IsNumber(in) || row->input_tokens >= 0, has_out = cJSON_IsNumber(outk) || row->output_tokens >= 0;
    if (has_in || has_out) {
        jw_key(&w, "usage");
        jw u = {out, 1};
        pl_jw_raw(out, "{", 1);
        if (has_in) {
            jw_key(&u, "input_tokens");
            pl_jw_num(out, tin);
        }
        if (has_out) {
            jw_key(&u, "output_tokens");
            pl_jw_num(out, tout);
        }
        pl_jw_raw(out, "}", 1);
    }
    if (row->pid > 0) {
        jw_key(&w, "pid");
        pl_jw_num(out, row->pid);
    }
    jw_str(&w, "program", row->program);
    const char *err = rec_str(record, "error");
    jw_str(&w, "error", err && *err ? err : row->error);
    if (row->incomplete > 0 || rec_true(record, "incomplete")) {
        jw_key(&w, "incomplete");
        pl_buf_append_str(out, "true");
    }
    if (row->truncated > 0) {
        jw_key(&w, "truncated");
        pl_buf_append_str(out, "true");
    }
    if (row->decode_error > 0) {
        jw_key(&w, "decode_error");
        pl_buf_append_str(out, "true");
    }
    const cJSON *pe = record ? cJSON_GetObjectItemCaseSensitive(record, "parse_error") : NULL;
    if (pe && !empty_item(pe)) {
        jw_key(&w, "parse_error");
        if (pl_jw_value(out, pe) != 0) {
            out->len = start;
            return -1;
        }
    }
    jw_key(&w, "cost_usd");
    if (cost >= 0)
        pl_jw_num(out, cost);
    else
        pl_jw_raw(out, "null", 4);
    /* pl_buf leaves a buffer unchanged when memory runs out: the line's end tells */
    size_t before = out->len;
    pl_buf_append(out, "}\n", 2);
    return out->len == before + 2 ? 1 : -1;
}
