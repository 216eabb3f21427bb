/* otlp_json.c — encodes a batch as OTLP/HTTP JSON: the proto3 JSON mapping of
 * ExportTraceServiceRequest with OTLP's exceptions (trace and span ids as lowercase hex, enums as
 * integers, field names in lowerCamelCase; 64-bit integers as decimal strings). */
#include "otlp.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        out[2 * k] = digits[p[k] >> 4];
        out[2 * k + 1] = digits[p[k] & 15];
    }
    out[2 * n] = '\0';
}

static void add_u64(cJSON *o, const char *name, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, v);
    cJSON_AddStringToObject(o, name, s);
}

static cJSON *json_any_value(const pl_otlp_attr *a)
{
    cJSON *v = cJSON_CreateObject();
    char s[24];
    switch (a->type) {
    case PL_OTLP_STR: cJSON_AddStringToObject(v, "stringValue", a->s); break;
    case PL_OTLP_BOOL: cJSON_AddBoolToObject(v, "boolValue", a->i != 0); break;
    case PL_OTLP_INT:
        snprintf(s, sizeof s, "%lld", a->i);
        cJSON_AddStringToObject(v, "intValue", s);
        break;
    case PL_OTLP_DBL: cJSON_AddNumberToObject(v, "doubleValue", a->d); break;
    default: {
        cJSON *arr = cJSON_AddObjectToObject(v, "arrayValue");
        cJSON *values = cJSON_AddArrayToObject(arr, "values");
        for (size_t k = 0; k < a->n; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "stringValue", a->strs[k]);
            cJSON_AddItemToArray(values, e);
        }
    }
    }
    return v;
}

static cJSON *json_attributes(const pl_otlp_attrs *attrs)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; k < attrs->n; k++) {
        cJSON *kv = cJSON_CreateObject();
        cJSON_AddStringToObject(kv, "key", attrs->v[k].key);
        cJSON_AddItemToObject(kv, "value", json_any_value(&attrs->v[k]));
        cJSON_AddItemToArray(arr, kv);
    }
    return arr;
}

static cJSON *json_span(const pl_otlp_span *s)
{
    char id[33];
    cJSON *o = cJSON_CreateObject();
    hex(s->trace_id, 16, id);
    cJSON_AddStringToObject(o, "traceId", id);
    hex(s->span_id, 8, id);
    cJSON_AddStringToObject(o, "spanId", id);
    if (s->has_parent) {
        hex(s->parent_id, 8, id);
        cJSON_AddStringToObject(o, "parentSpanId", id);
    }
    cJSON_AddStringToObject(o, "name", s->name ? s->name : "");
    cJSON_AddNumberToObject(o, "kind", s->kind);
    add_u64(o, "startTimeUnixNano", s->start_ns);
    add_u64(o, "endTimeUnixNano", s->end_ns);
    cJSON_AddItemToObject(o, "attributes", json_attributes(&s->attrs));
    if (s->status != PL_OTLP_STATUS_UNSET) {
        cJSON *st = cJSON_AddObjectToObject(o, "status");
        cJSON_AddNumberToObject(st, "code", s->status);
        if (s->status_msg)
            cJSON_AddStringToObject(st, "message", s->status_msg);
    }
    return o;
}

int pl_otlp_encode_json(const pl_otlp_span *spans, size_t n, pl_buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *rss = cJSON_AddArrayToObject(root, "resourceSpans");
    for (size_t i = 0; i < n;) {
        size_t end = pl_otlp_resource_run(spans, n, i);
        cJSON *rs = cJSON_CreateObject();
        cJSON *res = cJSON_AddObjectToObject(rs, "resource");
        cJSON_AddItemToObject(res, "attributes", json_attributes(&spans[i].resource));
        cJSON *sss = cJSON_AddArrayToObject(rs, "scopeSpans");
        cJSON *ss = cJSON_CreateObject();
        cJSON *scope = cJSON_AddObjectToObject(ss, "scope");
        cJSON_AddStringToObject(scope, "name", PL_OTLP_SCOPE_NAME);
        cJSON_AddStringToObject(scope, "version", PL_OTLP_SCOPE_VERSION);
        cJSON *list = cJSON_AddArrayToObject(ss, "spans");
        for (size_t k = i; k < end; k++)
            cJSON_AddItemToArray(list, json_span(&spans[k]));
        cJSON_AddItemToArray(sss, ss);
        cJSON_AddItemToArray(rss, rs);
        i = end;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    int rc = text ? pl_buf_append_str(out, text) : -1;
    cJSON_free(text);
    return rc;
}
