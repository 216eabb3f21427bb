/* cursor.h — durable delivery cursors for `prompt-logger ship`, one per destination, kept in the
 * capture database itself (table ship_cursors), plus the few queries the shipper's loop needs.
 *
 * Contract: the cursor is the id of the last call a destination acknowledged. pl_cursor_set is one
 * committed statement: after it returns 0, a crash or kill -9 resumes after that id, so every call
 * is delivered at least once (a batch sent but not yet recorded is sent again). The cursor has its
 * own read-write connection to an existing database file (never creates one); it never touches
 * the calls table, only reads it. Destination keys must not carry credentials: callers pass a
 * redacted endpoint URL (the OTLP headers are never given to this module). One thread. */
#ifndef PL_CURSOR_H
#define PL_CURSOR_H

#include <stddef.h>

typedef struct pl_cursor pl_cursor;

/* db_url as for pl_store_open. Creates the ship_cursors table if missing. 0, or -1 + err. */
int pl_cursor_open(const char *db_url, pl_cursor **out, char *err, size_t errlen);
void pl_cursor_close(pl_cursor *c);

/* The destination's last acknowledged id; 0 when it never shipped. 0, or -1 + err. */
int pl_cursor_get(pl_cursor *c, const char *dest, long long *last_id, char *err, size_t errlen);
/* Records the destination's last acknowledged id (durable on return 0). */
int pl_cursor_set(pl_cursor *c, const char *dest, long long last_id, char *err, size_t errlen);

/* Up to max ids of calls with id > after, oldest first, of namespace ns (NULL = all) that started
 * at or after since (epoch seconds; < 0 = no bound). Fills ids, sets *n. 0, or -1 + err. */
int pl_cursor_pending(pl_cursor *c, long long after, const char *ns, double since, long long *ids, int max,
                      int *n, char *err, size_t errlen);

/* PRAGMA data_version: changes whenever another connection commits to the database, so a
 * follower polls this cheap value instead of re-querying the calls table. */
int pl_cursor_data_version(pl_cursor *c, long long *version);

#endif
