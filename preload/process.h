/* process.h — the process's lifecycle in one module: its pid and fork generation, the single
 * pthread_atfork registration and exit/_exit/exec flushing. The store connection is the
 * engine's (engine/store_conn.c), reached through the engine table (engine.h) once it is loaded.
 *
 * Fork steps, called from one registration in this order (pthread_atfork's own order between
 * several registrations is nobody's choice, so there is only one):
 *   prepare: 0. an engine load in progress on the helper thread ends (bounded wait, engine.c),
 *            1. the store lock, if the engine is loaded (fork waits for an insert in flight, at
 *            most the busy timeout; the engine this thread locked is remembered for the others),
 *            2. the libcurl shadow table lock (curl_shadow.c).
 *   parent:  the same locks released, in reverse.
 *   child:   1. pid and generation renewed, 2. the store lock released and the inherited
 *            connection forgotten (never closed: it is the parent's), 3. the shadow table lock
 *            released, 4. the connection table reset (conn.c: the parent commits its own
 *            exchanges; a copy here would duplicate them), 5. an engine still loading at fork
 *            is never used by the child (engine.c), 6. the doctor --run counters zeroed
 *            (doctor_report.c: the parent reports what it saw).
 * No step takes a lock another step holds, and no lock of ours is held while the store works
 * except the store lock itself, so the prepare order cannot deadlock.
 *
 * Exit: atexit (registered in our constructor, so it runs after the program's own handlers)
 * commits every connection's in-flight exchanges (pl_conn_finish_all); our destructor then says
 * the totals and has the engine close the store so SQLite checkpoints its WAL. (Nothing is ever
 * in flight without the engine: an exchange is kept only once it is loaded or loading.) _exit/_Exit and exec
 * (hook_exec.c) call pl_process_image_ends first. A vfork child (subprocess, posix_spawn
 * fallbacks) shares our memory but runs no atfork step: pl_process_is_owner() tells it apart
 * and every step above leaves the parent's state alone there. */
#ifndef PL_PROCESS_H
#define PL_PROCESS_H

#include <stddef.h>

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

#endif
