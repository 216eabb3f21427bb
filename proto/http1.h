/* http1.h — HTTP/1.1 reassembly for one connection, both directions, as a pure incremental parser:
 * bytes in (split anywhere, down to one byte), pl_proto_events out (proto.h). No I/O, no globals.
 *
 * Contract:
 * - Feed PL_DIR_OUT with exactly the bytes the program wrote, PL_DIR_IN with exactly the bytes it
 *   read, each direction in order. Requests may be pipelined: they queue until their response.
 * - on_request fires when a request head is complete. Returning 0 lets the exchange pass: its
 *   bodies are framed (Content-Length, chunked) but never copied. Kept exchanges store both
 *   bodies through proto/body.h: up to events->max_body (then *_truncated, as after a failed
 *   allocation), the response content-decoded as it arrives, or kept undecoded and flagged
 *   decode_error when its coding is corrupt; pl_exchange_mark() is called after each append.
 * - on_exchange fires once per kept exchange: when its response completes (1xx heads skipped;
 *   HEAD, 204 and 304 have no body), or flagged incomplete when the connection ends first.
 * - Malformed input (either direction) switches the connection to "ignored" for good: exchanges
 *   in flight are reported incomplete with what was parsed before the error, nothing is parsed
 *   afterwards, and every feed returns -1. So do a 101 Switching Protocols and a CONNECT tunnel,
 *   and a failed allocation while buffering a head or a chunk line (the exchange in flight in
 *   that direction is then also flagged *_truncated: what it holds is sound, the rest is missing).
 * Not thread-safe: one connection, one caller at a time. */
#ifndef PL_HTTP1_H
#define PL_HTTP1_H

#include <stddef.h>
#include "proto.h"

#define PL_H1_MAX_HEAD (64 * 1024)  /* request/response head, and one chunk-size or trailer line */

typedef struct pl_h1 pl_h1;

/* events is copied; scheme ("https") goes into every exchange with source. NULL on OOM. */
pl_h1 *pl_h1_new(const pl_proto_events *events, pl_source source, const char *scheme);

/* Returns 0, or -1 once the connection is ignored (then and forever after). */
int pl_h1_feed(pl_h1 *c, pl_dir dir, const void *data, size_t len, double now);
int pl_h1_ignored(const pl_h1 *c);

/* Stops parsing for good (the owner's choice, e.g. a connection that carries no LLM traffic):
 * kept exchanges in flight are reported incomplete. */
void pl_h1_ignore(pl_h1 *c, double now);

/* The peer closed (a read returned 0 or failed): a response delimited by the close completes
 * normally, everything else in flight is reported incomplete. The parser starts afresh. */
void pl_h1_close(pl_h1 *c, double now);
/* The program dropped the connection (free, shutdown, exit): everything in flight is reported
 * incomplete, including a response delimited by the close. The parser starts afresh. */
void pl_h1_abort(pl_h1 *c, double now);

/* Number of kept exchanges not yet reported. */
int pl_h1_kept_in_flight(const pl_h1 *c);
/* 1 when the program's side is between messages (a new request may start here). */
int pl_h1_out_at_message_start(const pl_h1 *c);

/* Releases everything without reporting (call pl_h1_abort first to keep in-flight exchanges). */
void pl_h1_free(pl_h1 *c);

/* Sniffing the first bytes a program writes on a connection:
 * 1 when they start like a request ("TOKEN SP" with an upper-case method token), -1 when they are
 * a proper prefix of one (wait for more), 0 when they are not HTTP/1.x. */
int pl_h1_request_start_match(const void *data, size_t len);
/* 1 when data begins with a complete, valid request line ("METHOD SP target SP HTTP/1.x" EOL). */
int pl_h1_is_request_line(const void *data, size_t len);

#endif
