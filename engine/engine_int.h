/* engine_int.h — what the engine's own files share: the commit and the per-process store
 * connection, reached from the table in engine.c (the preloaded side sees only engine.h). */
#ifndef PL_ENGINE_INT_H
#define PL_ENGINE_INT_H

#include <stddef.h>

#include "../preload/engine.h"
#include "../preload/process.h"
#include "../store/store.h"

/* Normalizes, redacts and stores x (not freed). Called under the host's pl_in_self.
 * Returns 1 when the row was inserted, else 0. */
PL_HIDDEN int pl_engine_commit(pl_exchange *x, const pl_endpoint *ep);

/* Inserts row into this process's store, opening it when due (after a failure, again at most
 * every few seconds). Returns the row id > 0, or -1 with a reason in err; *say is set when that
 * reason differs from the last one reported. Thread-safe. */
PL_HIDDEN long long pl_engine_store_insert(const pl_row *row, int *say, char *err, size_t errlen);
/* Closes this process's own connection (exit: SQLite checkpoints its WAL); never an inherited one. */
PL_HIDDEN void pl_engine_store_close(void);
/* The store lock across fork (process.h's order): held by prepare, released by parent/child;
 * the child forgets the inherited connection. */
PL_HIDDEN void pl_engine_store_fork_prepare(void);
PL_HIDDEN void pl_engine_store_fork_parent(void);
PL_HIDDEN void pl_engine_store_fork_child(void);

/* The host services (engine/host.c in the engine object; a no-op in unit tests, where the
 * preloaded runtime is linked in and called directly). */
PL_HIDDEN void pl_engine_host_set(const pl_engine_host *host) __attribute__((weak));

#endif
