/* schema.h — internal to store/: what a file is (empty, ours, foreign, newer), and creating or
 * upgrading our schema once even when several processes race to do it. */
#ifndef PL_STORE_SCHEMA_H
#define PL_STORE_SCHEMA_H

#include "internal.h"

typedef enum pl_file_kind {
    PL_FILE_EMPTY,      /* user_version 0 and no objects: ours to create */
    PL_FILE_OURS,       /* user_version 1..PL_STORE_SCHEMA_VERSION with a `calls` table */
    PL_FILE_FOREIGN,    /* anything else SQLite can read: never written to */
    PL_FILE_NEWER,      /* our schema from a newer promptlog: never written to */
} pl_file_kind;

/* Reads only (no write, no journal-mode change). Returns SQLite's code; *kind and *ver set. */
int pl_schema_inspect(sqlite3 *db, pl_file_kind *kind, int *ver);
/* Under BEGIN IMMEDIATE: re-inspects, creates the schema in an empty file or upgrades an older
 * one to PL_STORE_SCHEMA_VERSION, in one transaction. Returns 0 or -1 with err set. */
int pl_schema_ensure(pl_store *s, char *err, size_t errlen);
/* Fills s->has_col from PRAGMA table_info(calls). Returns 0 or -1 (OOM / SQLite error). */
int pl_schema_load_columns(pl_store *s);

#endif
