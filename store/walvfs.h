/* walvfs.h — a SQLite VFS shim that hands each commit's WAL frames to the kernel in one write
 * instead of two per page (a frame header, then the page): the capture's largest syscall cost.
 *
 * SQLite appends a transaction's frames sequentially and marks the last one as the commit frame
 * (a non-zero database size in bytes 4..7 of its 24-byte header). The shim gathers sequential
 * appends to a WAL file in memory and writes them out when the commit frame's page arrives, so
 * the frames reach the file before SQLite publishes them in the wal-index (which follows the
 * frame writes), and a failed write fails the commit itself. Anything else on the WAL file (a
 * read, a write elsewhere, sync, truncate, size, close, file control) writes out the gathered
 * bytes first, so SQLite never observes the difference. Other files pass straight to the
 * underlying VFS with its own methods: no cost. */
#ifndef PL_WALVFS_H
#define PL_WALVFS_H

#include <sqlite3.h>

/* The shim's name for sqlite3_open_v2. Registered once, not as the default: the host's own
 * SQLite connections (the same libsqlite3 in a Python host) never see it. */
#define PL_WALVFS_NAME "promptlog-wal"

/* Registers PL_WALVFS_NAME over the default VFS (thread-safe, once). Returns the name to pass
 * to sqlite3_open_v2, or NULL if registration failed (then open with the default VFS). */
const char *pl_walvfs_name(void);

/* Registers a shim called name over the VFS called base (tests layer it over a counting VFS). */
int pl_walvfs_register(const char *name, const char *base);

#endif
