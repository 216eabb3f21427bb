/* columns.h — the one list of the `calls` table's columns. The schema, the ALTERs that bring an
 * older file up to date, the INSERT column list, the binding and the row decoding are all
 * generated from pl_call_columns[]; adding a column is one line there plus its pl_row field. */
#ifndef PL_STORE_COLUMNS_H
#define PL_STORE_COLUMNS_H

#include <sqlite3.h>
#include <stddef.h>

#include "store.h"
#include "../util/buf.h"

typedef enum pl_col_type {
    PL_COL_TEXT,        /* const char *; NULL stored as NULL */
    PL_COL_NAME,        /* const char *; "" stored as NULL too (model) */
    PL_COL_INT,         /* int; < 0 stored as NULL */
    PL_COL_POSINT,      /* int; <= 0 stored as NULL (http_version) */
    PL_COL_LL,          /* long long; < 0 stored as NULL */
    PL_COL_HASH,        /* long long; 0 stored as NULL, any other value as is */
    PL_COL_REAL,        /* double; < 0 stored as NULL */
    PL_COL_HEADERS,     /* const pl_headers *; before schema 4 the redacted JSON text, since then
                         * NULL: read back from the header set and values below */
    PL_COL_HSET,        /* header_sets.id of a side's header list (pl_col_io; hdrsets.h) */
    PL_COL_HVALS,       /* that list's volatile values, JSON text (pl_col_io) */
    PL_COL_SIZE,        /* size_t length of the body at `aux`; NULL when that body is NULL */
    PL_COL_BODY,        /* const char * body at off, length at aux; stored as a zstd blob */
} pl_col_type;

typedef struct pl_column {
    const char *name;
    const char *decl;   /* SQL type and constraints */
    pl_col_type type;
    size_t off;         /* offset of the pl_row field */
    size_t aux;         /* SIZE: offset of the body pointer; BODY: offset of the length;
                         * HEADERS and BODY: also which one (0 request, 1 response) by `side` */
    int side;
} pl_column;

extern const pl_column pl_call_columns[];
extern const size_t pl_call_ncolumns;

/* What the writer prepared for the columns that are not copied from the row as is. */
typedef struct pl_col_io {
    const char *headers[2];     /* redacted JSON text, request and response: only when the header
                                 * set could not be stored (hset <= 0) */
    long long hset[2];          /* header_sets ids, -1 none */
    const char *hvals[2];       /* their volatile values */
    const pl_buf *blobs[2];     /* compressed bodies */
} pl_col_io;

/* "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, ...)" into out. */
int pl_columns_create_sql(pl_buf *out);
/* "INSERT INTO calls (...) VALUES (?,...)" into out; parameters in table order. */
int pl_columns_insert_sql(pl_buf *out);
/* "id, col, ..." for a SELECT; a column the file lacks (has[i] == 0) reads as NULL, bodies as
 * NULL when no_bodies, headers when no_headers, and with lean what an export never reads
 * (previews, ttfb, ttft, source, http_version, sizes, the store-internal hashes and links but
 * parent_id). A headers column reads its header set's template when the row has one. */
int pl_columns_select_list(pl_buf *out, const unsigned char *has, int no_bodies, int no_headers, int lean);
/* Binds every column of r (parameters 1..n). */
void pl_columns_bind(sqlite3_stmt *st, const pl_row *r, const pl_col_io *io);
/* The decoded body (side 0 request, 1 response) of call id, which a body stored against it
 * needs (it stays valid until the next call). Returns 0 or -1. */
typedef int (*pl_body_ref_fn)(void *ctx, long long id, int side, const char **body, size_t *len);
/* Fills r from a row selected with pl_columns_select_list (column 0 is the id). Headers are
 * parsed into h[0], h[1]; bodies decompressed into b[0], b[1] (a request body with request_ref
 * through ref). Returns 0, or -1 when a body blob is corrupt (that body is left NULL, the rest
 * of r is filled). */
int pl_columns_decode(sqlite3_stmt *st, pl_row *r, pl_headers h[2], pl_buf b[2], pl_body_ref_fn ref, void *ref_ctx);

#endif
