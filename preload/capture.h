/* capture.h — the one entry point from the hooks into the rest of the pipeline:
 * exchange → LLM record → store. Hooks ask first whether a request interests us, and hand over
 * a finished (or abandoned) exchange. */
#ifndef PL_CAPTURE_H
#define PL_CAPTURE_H

#include "../llm/llm.h"
#include "../proto/exchange.h"
#include "runtime.h"

/* Cheap filter for the hot path: 1 when the request is an LLM call we record (fills *ep),
 * 0 otherwise, or when capture is disabled. No allocation, no I/O. */
PL_HIDDEN int pl_capture_wanted(const char *method, const char *host, int port, const char *target, pl_endpoint *ep);

/* Takes ownership of x: normalizes it, redacts, stores it, frees it. Synchronous: the row is
 * committed before this returns, so a crash right after loses nothing. Never fails the host:
 * errors are counted and reported only under PROMPTLOG_DEBUG. Safe from any thread; preserves
 * errno. The store (process.c) is opened lazily on the first call, anew in a forked child. */
PL_HIDDEN void pl_capture_commit(pl_exchange *x, const pl_endpoint *ep);

#endif
