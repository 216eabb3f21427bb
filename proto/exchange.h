/* exchange.h — one HTTP request/response pair as a program saw it: the contract between the
 * layers that reassemble traffic (libcurl hooks, HTTP/1.1, HTTP/2) and the LLM layer and store.
 *
 * Invariants: bodies are content-decoded (gzip/br/... removed) and hold exactly the bytes the
 * program sent or received, up to the body cap or a failed allocation (then `*_truncated` is set
 * and the body is a prefix, never one with a hole). A response body whose coding is corrupt holds
 * the undecoded bytes that arrived instead, and `decode_error` is set. Header names keep the case
 * they had on the wire; lookups are case-insensitive (util/headers.h). Nothing here is redacted
 * yet: the store redacts before anything is written. */
#ifndef PL_EXCHANGE_H
#define PL_EXCHANGE_H

#include "../util/buf.h"
#include "../util/headers.h"  /* pl_headers (declared here before it moved to util/) */

typedef enum pl_source {
    PL_SOURCE_UNKNOWN = 0,
    PL_SOURCE_CURL,     /* libcurl easy/multi hooks: decoded bodies straight from libcurl */
    PL_SOURCE_OPENSSL,  /* SSL_read/SSL_write */
    PL_SOURCE_GNUTLS,   /* gnutls_record_recv/send */
    PL_SOURCE_SOCKET,   /* plain TCP read/write/send/recv (HTTP without TLS, outside libcurl) */
    PL_SOURCE_GO,       /* Go's crypto/tls (*Conn).Write/Read, patched in place (preload/go_hook.c) */
} pl_source;

const char *pl_source_name(pl_source s);

/* When response body bytes arrived: after `offset` decoded bytes, at epoch time `at`. Lets the
 * capture layer turn the LLM layer's "first token at byte N" into a time to first token. */
typedef struct pl_mark {
    size_t offset;
    double at;
} pl_mark;

#define PL_MAX_MARKS 1024

typedef struct pl_exchange {
    pl_source source;
    int http_version;       /* 10, 11, 20, 30; 0 if unknown */
    char *method;           /* "POST" */
    char *scheme;           /* "https" or "http" */
    char *host;             /* without port, lower-case */
    int port;               /* 0 if unknown */
    char *target;           /* path and query as sent: "/v1/chat/completions?x=1" */
    pl_headers req_headers;
    pl_buf req_body;
    int status;             /* 0 when no response arrived */
    pl_headers resp_headers;
    pl_buf resp_body;
    double started_at;      /* epoch seconds when the request started */
    double first_byte_at;   /* epoch seconds of the first response byte; 0 if none */
    double ended_at;        /* epoch seconds when the exchange completed or was abandoned */
    unsigned incomplete : 1;    /* response did not complete (connection closed, reset, exit) */
    unsigned req_truncated : 1; /* request body exceeded the cap, or memory ran out */
    unsigned resp_truncated : 1;/* response body exceeded the cap, or memory ran out */
    int decode_error;       /* the response's Content-Encoding could not be undone: resp_body holds
                             * the undecoded bytes as they arrived (proto/body.h) */
    char *transport_error;  /* e.g. "Couldn't connect to server"; NULL if none */
    pl_mark *marks;         /* arrival timeline of resp_body, at most PL_MAX_MARKS entries */
    size_t n_marks;
} pl_exchange;

pl_exchange *pl_exchange_new(pl_source source);
void pl_exchange_free(pl_exchange *x);
/* Sets host/port/scheme/target from an absolute URL ("https://h:1/p?q"). Returns 0 or -1. */
int pl_exchange_set_url(pl_exchange *x, const char *url);
/* Builds "scheme://host[:port]target" (port omitted when default). Caller frees. */
char *pl_exchange_url(const pl_exchange *x);

/* Notes that resp_body.len bytes had arrived at time `at` (reassemblers call it after each append;
 * also sets first_byte_at). Past PL_MAX_MARKS the last mark is moved forward instead. */
void pl_exchange_mark(pl_exchange *x, double at);
/* Time at which decoded response byte `offset` had arrived, or 0 when unknown. */
double pl_exchange_time_at(const pl_exchange *x, size_t offset);

/* Wall clock in epoch seconds, microsecond resolution. */
double pl_now(void);

#endif
