/* conn.h — the connection table: per session pointer (SSL*, gnutls_session_t, odd fd key), what the
 * program wrote and read, routed to the right reassembler and on to pl_capture_commit.
 *
 * Contract for the hooks (they call these only with bytes actually transferred, never while
 * pl_in_hook/pl_in_curl say the bytes are someone else's):
 * - A connection is undecided until its first written bytes: the HTTP/2 client preface makes it
 *   HTTP/2, a request line HTTP/1.x, anything else (or reading before writing) ignored.
 * - An ignored connection costs one lock-free probe per call (no mutex, allocation or copy).
 *   So does one whose first
 *   PL_CONN_LIGHT_REQUESTS requests were all non-LLM: until then it is parsed "light" (heads only,
 *   bodies skipped without copying) so that an LLM call following e.g. GET /v1/models on the
 *   same keep-alive connection is still captured.
 * - Kept exchanges are committed synchronously when their response completes, i.e. before the
 *   hooked read that completed it returns; in flight ones are committed incomplete when the
 *   connection ends (peer close, shutdown, free) or the process exits.
 * - The capture engine (engine.h) is loaded, outside the stripe lock, when a connection first
 *   writes an HTTP/2 preface or an HTTP/1 request head matching an LLM endpoint; non-LLM HTTP/1
 *   traffic never loads it. An exchange is kept only while the engine is loaded or loading.
 * All functions are thread-safe, never fail the caller and preserve errno. */
#ifndef PL_CONN_H
#define PL_CONN_H

#include <stddef.h>

#include "../proto/proto.h"
#include "runtime.h"

#define PL_CONN_LIGHT_REQUESTS 8

/* Bytes the program wrote (PL_DIR_OUT) or read (PL_DIR_IN) on session `key`. Returns 1 when the
 * connection is ignored from now on (not HTTP, light mode over, capture disabled): a caller with
 * a cheaper filter of its own (the plain-socket hooks) may stop feeding it; else 0. */
PL_HIDDEN int pl_conn_data(const void *key, pl_source src, pl_dir dir, const void *data, size_t len);
/* The peer closed or the read failed for good: a body delimited by the close completes; the
 * entry goes back to undecided (an SSL object may be reused after SSL_clear). */
PL_HIDDEN void pl_conn_eof(const void *key);
/* The program shut the session down (forget = 0) or freed it (forget = 1): everything in flight
 * is committed incomplete; a freed session's entry is removed. */
PL_HIDDEN void pl_conn_end(const void *key, int forget);
/* A new session was created at this address: stale state from a freed one we did not see go is
 * committed incomplete and dropped. */
PL_HIDDEN void pl_conn_new(const void *key);
/* Stop looking at this session (bytes we cannot account for, e.g. a retry with a NULL buffer). */
PL_HIDDEN void pl_conn_ignore(const void *key);
/* Process exit: every connection's in-flight exchanges are committed incomplete (process.c's
 * atexit handler; callable again, it is idempotent). */
PL_HIDDEN void pl_conn_finish_all(void);
/* The image is about to be replaced (exec*) or the process ends without atexit (_exit): only
 * connections with a kept exchange in flight are touched — it is committed incomplete and the
 * connection ignored from then on (if exec fails, later requests on it are not captured).
 * Nothing else is freed or locked for long, so the common case (nothing in flight) does no
 * allocation at all — _exit is often called from signal handlers. */
PL_HIDDEN void pl_conn_flush_in_flight(void);
/* Whether key is in the lock-free ignored set that pl_conn_data consults before any lock
 * (for tests and debugging; the hooks just call pl_conn_data). */
PL_HIDDEN int pl_conn_ignored_fast(const void *key);
/* Fork child step (process.c): the child shares no thread with the parent: the locks are reset
 * and every connection forgotten without committing. */
PL_HIDDEN void pl_conn_fork_child(void);

#endif
