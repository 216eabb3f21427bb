/* engine.h — the one table through which the preloaded library reaches the capture engine
 * (build/libpromptlog-engine.so), and the loader that dlopen's it the first time a connection
 * looks like an LLM call. Everything that pulls sqlite3, cJSON, zstd, zlib, brotli or nghttp2
 * lives behind this table, so a process that never calls an LLM maps none of them.
 *
 * The boundary. Preloaded (libc only): every hook, the connection table and its sniffing, the
 * HTTP/1.x reassembler (proto/http1.c, exchange.c, util/buf.c) and endpoint matching
 * (llm/endpoint.c), so non-LLM HTTP/1 traffic never loads the engine. Engine: HTTP/2 (nghttp2's
 * HPACK), Content-Encoding decoders, LLM normalizers, redaction and the store, and the commit
 * path (engine/). preload/fwd/engine_calls.c gives the preloaded object pl_h2_* and pl_decoder_*
 * that forward through this table; unit tests link the real ones and the engine objects
 * directly (the table is then found statically, no dlopen).
 *
 * Rules: the table is resolved once and never changes; pl_engine_get() never loads; every call
 * into the engine that may do I/O (commit, store_close) is made under pl_in_self, so the
 * engine's own I/O passes our hooks untouched — the engine itself has no copy of our per-thread
 * flags. pl_engine_load() must be called with no lock of ours held (see engine.c for why it can
 * never deadlock: another thread may hold glibc's loader lock). */
#ifndef PL_ENGINE_H
#define PL_ENGINE_H

#include "../llm/llm.h"
#include "../proto/decode.h"
#include "../proto/http2.h"
#include "runtime.h"

#define PL_ENGINE_VERSION 3
#define PL_ENGINE_FILE "libpromptlog-engine.so"
#define PL_ENGINE_TABLE "pl_engine_v1"

/* What the preloaded object lends the engine (its own copies of these would not be ours: the
 * configuration read once, debug output under our flags, the counters, the fork generation). */
typedef struct pl_engine_host {
    unsigned version;
    const pl_config *config;
    void (*debug)(const char *fmt, ...);
    void (*stats_count)(int committed);
    unsigned (*generation)(void);
    /* 1 when libcjson was not in the process before the engine's dlopen: nobody else can have
     * set cJSON's allocation hooks, so the engine may (util/jsonarena.h) */
    int json_hooks_free;
} pl_engine_host;

typedef struct pl_engine {
    unsigned version;   /* PL_ENGINE_VERSION: a stale engine next to a newer library is refused */
    void (*init)(const pl_engine_host *host);
    /* capture.h's commit: normalize, redact, insert; does NOT free x. Under pl_in_self.
     * Returns 1 when a row was committed (the preloaded side counts it for doctor --run). */
    int (*commit)(pl_exchange *x, const pl_endpoint *ep);
    /* process.h's store steps: close at exit (under pl_in_self), and the store lock across fork. */
    void (*store_close)(void);
    void (*fork_prepare)(void);
    void (*fork_parent)(void);
    void (*fork_child)(void);
    /* proto/http2.h */
    pl_h2 *(*h2_new)(const pl_proto_events *events, pl_source source);
    int (*h2_feed)(pl_h2 *h, pl_dir dir, const void *data, size_t len, double now);
    int (*h2_failed)(const pl_h2 *h);
    int (*h2_kept_in_flight)(const pl_h2 *h);
    void (*h2_close)(pl_h2 *h, double now);
    void (*h2_free)(pl_h2 *h);
    /* proto/decode.h */
    pl_decoder *(*decoder_new)(const char *content_encoding);
    int (*decoder_is_identity)(const char *content_encoding);
    int (*decoder_feed)(pl_decoder *d, const void *in, size_t n, pl_buf *out, size_t limit, int *truncated);
    int (*decoder_complete)(const pl_decoder *d);
    int (*decoder_error)(const pl_decoder *d);
    void (*decoder_free)(pl_decoder *d);
} pl_engine;

/* The engine when it is loaded and initialised, else NULL. One atomic load; never loads. */
PL_HIDDEN const pl_engine *pl_engine_get(void);

/* Loads the engine if it is not yet (once per process; a failure is said once under
 * PROMPTLOG_DEBUG and not retried). Call with no lock of ours held. Returns 0 when loaded, -1
 * when it could not be, or not safely now (a vfork child, our own I/O, the dynamic loader busy
 * elsewhere for too long: that call goes uncaptured, a later one finds it loaded). */
PL_HIDDEN int pl_engine_load(void);

/* 1 once loading has failed for good in this process (nothing will ever be captured: a hook
 * need not keep an exchange's bodies). One atomic load. */
PL_HIDDEN int pl_engine_unavailable(void);

/* Fork steps (process.c): prepare waits (bounded) for a load in progress on the helper, so no
 * child inherits a half-loaded engine; a child that still would never uses it. */
PL_HIDDEN void pl_engine_fork_prepare(void);
PL_HIDDEN void pl_engine_fork_child(void);

#endif
