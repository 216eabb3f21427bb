/* otlp_proto.c — encodes a batch as an OTLP ExportTraceServiceRequest in protobuf wire format.
 *
 * Why a small hand-written encoder and not protoc-c + libprotobuf-c: ship writes a dozen message
 * types (and reads one response field, in ship_http.c), and the wire format it needs is five
 * rules (varint, tag, fixed64, length-delimited, nesting). Generated protobuf-c code would add a code generator to the build
 * and several thousand generated lines to build structs that are serialized once. Correctness is
 * checked the other way round: the integration test decodes every request with the official
 * opentelemetry-proto definitions (protobufjs), not with a parser of ours.
 * Field numbers: opentelemetry/proto/{collector/trace,trace,common,resource}/v1 (proto3). */
#include "otlp.h"

#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };

/* ---- wire primitives: each returns 0 or -1 (out of memory) ---- */

static int varint(pl_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return pl_buf_append(b, tmp, n);
}

static int tag(pl_buf *b, unsigned field, unsigned wt)
{
    return varint(b, ((uint64_t)field << 3) | wt);
}

static int f_varint(pl_buf *b, unsigned field, uint64_t v)
{
    return tag(b, field, WT_VARINT) | varint(b, v);
}

static int f_fixed64(pl_buf *b, unsigned field, uint64_t v)
{
    unsigned char le[8];
    for (int k = 0; k < 8; k++)
        le[k] = (unsigned char)(v >> (8 * k));
    return tag(b, field, WT_I64) | pl_buf_append(b, le, 8);
}

static int f_double(pl_buf *b, unsigned field, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    return f_fixed64(b, field, v);
}

static int f_bytes(pl_buf *b, unsigned field, const void *p, size_t n)
{
    return tag(b, field, WT_LEN) | varint(b, n) | pl_buf_append(b, p, n);
}

static int f_str(pl_buf *b, unsigned field, const char *s)
{
    return f_bytes(b, field, s, strlen(s));
}

/* A nested message: written to its own buffer, then appended length-delimited. */
static int f_msg(pl_buf *b, unsigned field, pl_buf *sub)
{
    int rc = f_bytes(b, field, sub->data ? sub->data : "", sub->len);
    pl_buf_free(sub);
    return rc;
}

/* ---- messages ---- */

/* AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4, array_value 5 */
static int pb_any_value(pl_buf *b, const pl_otlp_attr *a)
{
    switch (a->type) {
    case PL_OTLP_STR: return f_str(b, 1, a->s);
    case PL_OTLP_BOOL: return f_varint(b, 2, (uint64_t)a->i);
    case PL_OTLP_INT: return f_varint(b, 3, (uint64_t)a->i);
    case PL_OTLP_DBL: return f_double(b, 4, a->d);
    default: {
        pl_buf arr = {0};   /* ArrayValue: values 1 (AnyValue) */
        int rc = 0;
        for (size_t k = 0; k < a->n; k++) {
            pl_buf v = {0};
            rc |= f_str(&v, 1, a->strs[k]);
            rc |= f_msg(&arr, 1, &v);
        }
        return rc | f_msg(b, 5, &arr);
    }
    }
}

/* KeyValue: key 1, value 2 — repeated under the given field of the parent. */
static int pb_attributes(pl_buf *b, unsigned field, const pl_otlp_attrs *attrs)
{
    int rc = 0;
    for (size_t k = 0; k < attrs->n; k++) {
        pl_buf kv = {0}, v = {0};
        rc |= f_str(&kv, 1, attrs->v[k].key);
        rc |= pb_any_value(&v, &attrs->v[k]);
        rc |= f_msg(&kv, 2, &v);
        rc |= f_msg(b, field, &kv);
    }
    return rc;
}

/* Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9,
 * status 15 (Status: message 2, code 3). */
static int pb_span(pl_buf *b, const pl_otlp_span *s)
{
    int rc = 0;
    rc |= f_bytes(b, 1, s->trace_id, 16);
    rc |= f_bytes(b, 2, s->span_id, 8);
    if (s->has_parent)
        rc |= f_bytes(b, 4, s->parent_id, 8);
    rc |= f_str(b, 5, s->name ? s->name : "");
    rc |= f_varint(b, 6, (uint64_t)s->kind);
    rc |= f_fixed64(b, 7, s->start_ns);
    rc |= f_fixed64(b, 8, s->end_ns);
    rc |= pb_attributes(b, 9, &s->attrs);
    if (s->status != PL_OTLP_STATUS_UNSET) {
        pl_buf st = {0};
        if (s->status_msg)
            rc |= f_str(&st, 2, s->status_msg);
        rc |= f_varint(&st, 3, (uint64_t)s->status);
        rc |= f_msg(b, 15, &st);
    }
    return rc;
}

int pl_otlp_encode_proto(const pl_otlp_span *spans, size_t n, pl_buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < n;) {
        size_t end = pl_otlp_resource_run(spans, n, i);
        pl_buf rs = {0}, res = {0}, ss = {0}, scope = {0};
        rc |= pb_attributes(&res, 1, &spans[i].resource);            /* Resource.attributes 1 */
        rc |= f_msg(&rs, 1, &res);                                /* ResourceSpans.resource 1 */
        rc |= f_str(&scope, 1, PL_OTLP_SCOPE_NAME);               /* InstrumentationScope name 1 */
        rc |= f_str(&scope, 2, PL_OTLP_SCOPE_VERSION);            /* version 2 */
        rc |= f_msg(&ss, 1, &scope);                              /* ScopeSpans.scope 1 */
        for (size_t k = i; k < end; k++) {
            pl_buf sp = {0};
            rc |= pb_span(&sp, &spans[k]);
            rc |= f_msg(&ss, 2, &sp);                             /* ScopeSpans.spans 2 */
        }
        rc |= f_msg(&rs, 2, &ss);                                 /* ResourceSpans.scope_spans 2 */
        rc |= f_msg(out, 1, &rs);                                 /* request.resource_spans 1 */
        i = end;
    }
    return rc ? -1 : 0;
}
