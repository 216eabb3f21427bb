/* process.h — the process's lifecycle in one module: its pid and fork generation, the single
 * pthread_atfork registration, exit/_exit/exec flushing and the store connection.
 *
 * Fork steps, called from one registration in this order (pthread_atfork's own order between
 * several registrations is nobody's choice, so there is only one):
 *   prepare: 1. the store lock (fork waits for an insert in flight, at most the busy timeout),
 *            2. the libcurl shadow table lock (curl_shadow.c).
 *   parent:  the same locks released, in reverse.
 *   child:   1. pid and generation renewed, 2. the store lock released and the inherited
 *            connection forgotten (never closed: it is the parent's), 3. the shadow table lock
 *            released, 4. the connection table reset (conn.c: the parent commits its own
 *            exchanges; a copy here would duplicate them), 5. the doctor --run counters
 *            zeroed (doctor_report.c: the parent reports what it saw).
 * No step takes a lock another step holds, and no lock of ours is held while the store works
 * except the store lock itself, so the prepare order cannot deadlock.
 *
 * Exit: atexit (registered in our constructor, so it runs after the program's own handlers)
 * commits every connection's in-flight exchanges (pl_conn_finish_all); our destructor then says
 * the totals and closes the store so SQLite checkpoints its WAL. _exit/_Exit and exec
 * (hook_exec.c) call pl_process_image_ends first. A vfork child (subprocess, posix_spawn
 * fallbacks) shares our memory but runs no atfork step: pl_process_is_owner() tells it apart
 * and every step above leaves the parent's state alone there. */
#ifndef PL_PROCESS_H
#define PL_PROCESS_H

#include <stddef.h>

#include "../store/store.h"
#include "runtime.h"

/* 1 when the calling process is the one whose image our state describes (0 in a vfork child
 * running in its parent's memory). One getpid() call; async-signal-safe. */
PL_HIDDEN int pl_process_is_owner(void);
/* Incremented in every fork child; a value recorded earlier that differs means "inherited". */
PL_HIDDEN unsigned pl_process_generation(void);

/* The image is about to be replaced (exec, ending = 0) or the process ends without atexit
 * (_exit, ending = 1): in-flight exchanges are committed incomplete. Preserves errno; does
 * nothing in a vfork child or inside one of our hooks. */
PL_HIDDEN void pl_process_image_ends(int ending);

/* Inserts row into this process's store, opening it when due (after a failure, again at most
 * every few seconds). Returns the row id > 0, or -1 with a reason in err; *say is set when that
 * reason differs from the last one reported (say it once under PROMPTLOG_DEBUG). Runs our own
 * I/O under pl_in_self; thread-safe. */
PL_HIDDEN long long pl_process_store_insert(const pl_row *row, int *say, char *err, size_t errlen);

#endif
