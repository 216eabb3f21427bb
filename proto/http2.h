/* http2.h — HTTP/2 reassembly for one TLS connection, both directions, as a pure incremental
 * state machine: frames in (split anywhere), pl_proto_events out, so downstream is shared with HTTP/1.1.
 *
 * Contract:
 * - Create the parser when the first bytes the program wrote are the client preface
 *   (pl_h2_preface_match); feed PL_DIR_OUT bytes starting with that preface and PL_DIR_IN bytes
 *   from the server's first byte, each direction in order, in any chunking.
 * - on_request fires when a stream's request HEADERS (+CONTINUATION) complete; returning 0 lets the
 *   stream pass (its DATA is skipped without copying; its header blocks are still decoded, because
 *   HPACK state is shared by the whole connection). on_exchange fires once per kept stream: when
 *   the response ends (END_STREAM), or, flagged incomplete, on RST_STREAM, on a server GOAWAY whose
 *   last-stream-id excludes it, or at pl_h2_close.
 * - Any decoding error (HPACK, absurd sizes, protocol violation) or a server PUSH_PROMISE puts the
 *   parser into a permanent failed state: everything buffered is dropped, streams in flight are
 *   discarded without being reported, and every later feed returns -1. The owner should then
 *   ignore the connection. A failed allocation fails the parser the same way, except that the
 *   streams in flight are reported first, incomplete and resp_truncated. Nothing here ever aborts.
 * - Kept streams store both bodies through proto/body.h: up to events->max_body (then
 *   *_truncated, as after a failed allocation), the response content-decoded as it arrives, or
 *   kept undecoded and flagged decode_error when its coding is corrupt; pl_exchange_mark()
 *   follows each append.
 *   Pseudo-headers become method/scheme/host/port/target/status, not header entries.
 * - Memory is bounded: header blocks (PL_H2_MAX_HEADER_BLOCK), decoded header lists, buffered
 *   control frames and the number of tracked streams are capped; bodies by events->max_body.
 * Not thread-safe: one connection, one caller at a time. */
#ifndef PL_HTTP2_H
#define PL_HTTP2_H

#include <stddef.h>
#include "proto.h"

#define PL_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PL_H2_PREFACE_LEN 24
#define PL_H2_MAX_HEADER_BLOCK (256 * 1024)  /* compressed bytes of one HEADERS+CONTINUATION run */
#define PL_H2_MAX_DECODED_HEADERS (1024 * 1024) /* decoded name+value bytes of one header block */
#define PL_H2_MAX_STREAMS 512               /* kept streams in flight; later ones pass unrecorded */

typedef struct pl_h2 pl_h2;

/* 1 when data starts with the full client preface, -1 when data is a proper prefix of it (wait
 * for more bytes), 0 when it is not HTTP/2. */
int pl_h2_preface_match(const void *data, size_t len);

/* events is copied. source goes into every exchange (x->source). NULL when memory runs out. */
pl_h2 *pl_h2_new(const pl_proto_events *events, pl_source source);
/* Feeds bytes of one direction; `now` (epoch seconds) timestamps what they complete. Returns 0,
 * or -1 once the parser has failed (then and forever after). */
int pl_h2_feed(pl_h2 *h, pl_dir dir, const void *data, size_t len, double now);
int pl_h2_failed(const pl_h2 *h);
/* Number of kept streams not yet reported. */
int pl_h2_kept_in_flight(const pl_h2 *h);
/* The connection ended (closed, freed, process exiting): every kept stream still in flight is
 * reported incomplete, in stream order. Nothing is reported afterwards. */
void pl_h2_close(pl_h2 *h, double now);
/* Releases everything without reporting (call pl_h2_close first to keep in-flight streams). */
void pl_h2_free(pl_h2 *h);

#endif
