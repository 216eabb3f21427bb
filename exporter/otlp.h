/* otlp.h — an OTLP trace batch in memory (spans, their attributes and resources) and its two
 * wire encodings: OTLP/HTTP protobuf (ExportTraceServiceRequest) and OTLP/HTTP JSON.
 *
 * Pure: no I/O. The model is deliberately the small subset ship needs: attributes are strings,
 * ints, doubles, bools or string arrays; a span has no events or links. Spans are grouped into
 * one ResourceSpans per run of consecutive spans with an equal resource, under one scope
 * ("promptlog"). Encoders append to out and return 0, or -1 when memory runs out. */
#ifndef PL_OTLP_H
#define PL_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

enum { PL_OTLP_STR, PL_OTLP_INT, PL_OTLP_DBL, PL_OTLP_BOOL, PL_OTLP_STRS };

typedef struct pl_otlp_attr {
    char *key;
    int type;
    char *s;                    /* STR */
    long long i;                /* INT, BOOL */
    double d;                   /* DBL */
    char **strs;                /* STRS */
    size_t n;
} pl_otlp_attr;

typedef struct pl_otlp_attrs {
    pl_otlp_attr *v;
    size_t n, cap;
    int oom;                    /* sticky: an add ran out of memory */
} pl_otlp_attrs;

/* Adders copy key and values; a NULL string value adds nothing. */
void pl_otlp_add_str(pl_otlp_attrs *a, const char *key, const char *s);
void pl_otlp_add_int(pl_otlp_attrs *a, const char *key, long long i);
void pl_otlp_add_dbl(pl_otlp_attrs *a, const char *key, double d);
void pl_otlp_add_bool(pl_otlp_attrs *a, const char *key, int b);
void pl_otlp_add_strs(pl_otlp_attrs *a, const char *key, const char *const *strs, size_t n);
void pl_otlp_attrs_free(pl_otlp_attrs *a);

enum { PL_OTLP_STATUS_UNSET = 0, PL_OTLP_STATUS_OK = 1, PL_OTLP_STATUS_ERROR = 2 };
enum { PL_OTLP_KIND_CLIENT = 3 };

typedef struct pl_otlp_span {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_id[8];
    int has_parent;
    char *name;
    int kind;                   /* PL_OTLP_KIND_* (SpanKind enum value) */
    uint64_t start_ns, end_ns;  /* epoch nanoseconds */
    int status;                 /* PL_OTLP_STATUS_* */
    char *status_msg;
    pl_otlp_attrs attrs;
    pl_otlp_attrs resource;
} pl_otlp_span;

void pl_otlp_span_free(pl_otlp_span *s);

#define PL_OTLP_SCOPE_NAME "promptlog"
#define PL_OTLP_SCOPE_VERSION "1"

int pl_otlp_encode_proto(const pl_otlp_span *spans, size_t n, pl_buf *out);
int pl_otlp_encode_json(const pl_otlp_span *spans, size_t n, pl_buf *out);

/* For the encoders: the end of the run of spans from i sharing spans[i]'s resource. */
size_t pl_otlp_resource_run(const pl_otlp_span *spans, size_t n, size_t i);

#endif
