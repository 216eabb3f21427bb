/* http1_head.h — internal to proto/: HTTP/1.1 message heads and framing fields as pure functions
 * over a complete head buffer. http1.c's state machine decides when a head is complete.
 *
 * Contract: every function reads only its arguments (no state, no I/O) and never fails the
 * caller but by its return value; a head is the bytes from its start line through the empty
 * line, LF or CRLF line ends. "Malformed" means the connection must stop being parsed. */
#ifndef PL_HTTP1_HEAD_H
#define PL_HTTP1_HEAD_H

#include <stddef.h>
#include "exchange.h"

/* Fills x->method, target, http_version, scheme (copied from scheme), req_headers, and host/port
 * from the absolute-form target or the Host header (port from the scheme when absent).
 * Returns 0, or -1 when the head is malformed or memory runs out (x is then partly filled). */
int pl_h1_head_request(const pl_buf *head, const char *scheme, pl_exchange *x);

/* Parses the status line into *status (>= 100) and *version (10, 11) and the header fields into
 * h (when h is NULL the fields are checked only). Returns 0, or -1 when malformed or out of memory. */
int pl_h1_head_response(const pl_buf *head, int *status, int *version, pl_headers *h);

/* Content-Length over every occurrence: -1 when absent, -2 when invalid or contradictory. */
long long pl_h1_content_length(const pl_headers *h);
/* 1 when a Transfer-Encoding value ends with the coding "chunked". */
int pl_h1_last_coding_is_chunked(const char *te);
/* The size on a chunk-size line (hex, optional ";extensions", optional CR); -1 when malformed. */
long long pl_h1_chunk_size(const pl_buf *line);

#endif
