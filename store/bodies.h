/* bodies.h — a call's exact body back from the store, following request_ref (response_ref)
 * chains: a body compressed against its parent's needs the parent's body first. Works on a bare sqlite3
 * handle, so the loadable sqlite3 extension (ext/) shares it; compiled there with
 * PL_SQLITE_EXTENSION, every SQLite call goes through the extension API table. */
#ifndef PL_STORE_BODIES_H
#define PL_STORE_BODIES_H

#include <stddef.h>
#include "../util/buf.h"

#ifdef PL_SQLITE_EXTENSION
#include <sqlite3ext.h>
#else
#include <sqlite3.h>
#endif

#define PL_BODIES_MAX_CHAIN 4096   /* longer (or a cycle) is a corrupt database */

/* side 0 request, 1 response. Returns 0 with out holding the body; 1 when the body is NULL
 * (not captured); -1 with a one-line reason in err (no such call, corrupt blob, broken chain). */
int pl_body_read(sqlite3 *db, long long id, int side, pl_buf *out, char *err, size_t errlen);

#endif
