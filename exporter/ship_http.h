/* ship_http.h — one OTLP/HTTP POST with libcurl (the CLI links libcurl; the preload library
 * never does), gzip-compressed, with the headers of OTEL_EXPORTER_OTLP_TRACES_HEADERS or else
 * OTEL_EXPORTER_OTLP_HEADERS. Those headers carry credentials: this module keeps them in
 * libcurl's header list only and never puts them in a message, a log line or the database.
 * The caller decides about retries from the outcome. */
#ifndef PL_SHIP_HTTP_H
#define PL_SHIP_HTTP_H

#include <stddef.h>

typedef struct pl_ship_http pl_ship_http;

/* protocol: "http/protobuf" or "http/json". Returns NULL + err on bad input or OOM. */
pl_ship_http *pl_ship_http_new(const char *url, const char *protocol, int gzip, char *err, size_t errlen);
void pl_ship_http_free(pl_ship_http *h);

enum {
    PL_SHIP_SENT = 0,       /* 2xx */
    PL_SHIP_RETRY = 1,      /* connection error, timeout, 429, 5xx (and 408): send again later */
    PL_SHIP_REJECTED = 2,   /* any other status: sending again cannot help */
    PL_SHIP_TOO_LARGE = 3,  /* 413: the same calls may go through in smaller batches */
};

typedef struct pl_ship_result {
    long status;            /* HTTP status, 0 when no response */
    double retry_after;     /* seconds the server asked us to wait (Retry-After), -1 when none */
    char msg[512];          /* the transport error or the start of the response body (text only) */
    long long rejected;     /* 2xx with partial_success: spans the collector dropped (not retried,
                             * as the OTLP spec says); its error_message is in msg */
} pl_ship_result;

int pl_ship_http_post(pl_ship_http *h, const void *body, size_t len, pl_ship_result *res);

#endif
