/* store.h — the namespaced SQLite store: the only code that talks SQLite.
 * Plain metadata columns for the sqlite3 shell, zstd-compressed bodies, redacted headers.
 *
 * Invariants: credentials are redacted (redact.h) inside pl_store_insert, before anything is
 * compressed or written, so no caller can forget it. An insert is one committed transaction
 * when pl_store_insert returns 0. A database whose schema version is newer than this code is
 * never written to. */
#ifndef PL_STORE_H
#define PL_STORE_H

#include <stddef.h>
#include "../proto/exchange.h"

#define PL_STORE_SCHEMA_VERSION 1

typedef struct pl_store pl_store;

enum {
    PL_STORE_CREATE = 1,    /* create the file (mode 0600) and schema if missing */
    PL_STORE_READONLY = 2,  /* exporter: never create, never write */
};

/* One captured exchange. On insert the caller owns every pointer; on read (pl_store_each_*) the
 * row and its strings are valid only during the callback. Unknown numbers are -1, unknown
 * strings NULL. */
typedef struct pl_row {
    long long id;
    const char *ns;             /* namespace */
    const char *provider;
    const char *host;
    const char *model;
    const char *api;            /* pl_api_name() */
    const char *kind;           /* "chat" | "text" | "embedding" */
    const char *method;
    const char *url;            /* redacted on insert */
    const char *path;           /* target without query */
    int status;
    int stream;
    int incomplete;
    int truncated;
    double started_at;          /* epoch seconds */
    double duration;            /* seconds */
    double ttfb;                /* seconds from start to first response byte, -1 unknown */
    double ttft;                /* seconds from start to first token (streams), -1 unknown */
    long long input_tokens;
    long long output_tokens;
    const char *finish_reason;
    const char *error;
    const char *prompt_preview;
    const char *completion_preview;
    int pid;
    const char *program;
    const char *source;         /* pl_source_name() */
    int http_version;
    const char *content_type;   /* response Content-Type */
    const pl_headers *req_headers;   /* redacted by the store on insert */
    const pl_headers *resp_headers;
    const char *req_body;       /* decompressed on read */
    size_t req_len;
    const char *resp_body;
    size_t resp_len;
} pl_row;

typedef struct pl_store_options {
    int busy_timeout_ms;        /* how long a write may wait for another process's lock */
    const char *redact;         /* extra names to redact (PROMPTLOG_REDACT syntax), copied at
                                 * open; NULL = getenv("PROMPTLOG_REDACT") read once at open */
} pl_store_options;

/* url: "sqlite:///rel/path.db" (relative), "sqlite:////abs/path.db" (absolute; the SQLAlchemy
 * convention prompt-logger uses), "sqlite:///:memory:" or a plain path. Returns 0, or -1 with a
 * one-line reason in err: missing file without PL_STORE_CREATE ("no database at PATH"), a corrupt
 * or foreign file, or a schema newer than PL_STORE_SCHEMA_VERSION (never written to).
 * opts may be NULL (defaults: busy_timeout_ms 2000; 0 or less also means the default).
 * A pl_store may be shared by threads (calls are serialized inside); do not call the store
 * from inside an iteration callback. After fork() the child must not use or close the
 * parent's pl_store (SQLite forbids carrying a connection across fork): open its own. */
int pl_store_open(const char *url, int flags, const pl_store_options *opts, pl_store **out, char *err, size_t errlen);
void pl_store_close(pl_store *s);
/* Resolves a database URL to a filesystem path (caller frees). */
char *pl_store_path_from_url(const char *url);

/* Inserts the row (and its model into `models`) in one transaction. Returns the new id (> 0),
 * or -1 with a reason in err. Never blocks longer than busy_timeout_ms. */
long long pl_store_insert(pl_store *s, const pl_row *row, char *err, size_t errlen);

typedef int (*pl_row_fn)(const pl_row *row, void *ctx);  /* return nonzero to stop */
typedef struct pl_model_row {
    long long id;
    const char *ns;
    const char *name;
    const char *provider;
    double created;             /* epoch seconds first seen */
} pl_model_row;
typedef int (*pl_model_fn)(const pl_model_row *m, void *ctx);

/* Iterates the namespace oldest first (by id). ns NULL = every namespace. Returns 0 or -1. */
int pl_store_each_row(pl_store *s, const char *ns, pl_row_fn fn, void *ctx, char *err, size_t errlen);
int pl_store_each_model(pl_store *s, const char *ns, pl_model_fn fn, void *ctx, char *err, size_t errlen);

/* Finer iteration for the CLI. A zeroed query means every row, oldest first, with bodies. */
typedef struct pl_store_query {
    const char *ns;             /* NULL = every namespace */
    const char *kind;           /* rows of this kind or of unknown kind; NULL = every kind */
    const char *const *models;  /* NULL-terminated exact model names; NULL = every model */
    long long id;               /* > 0: only this row */
    long long last;             /* > 0: only the newest `last` rows (still oldest first) */
    int no_bodies;              /* 1: leave req_body/resp_body NULL (skips decompression) */
    double since, until;        /* > 0: started_at >= since, started_at < until (epoch seconds) */
    long long after_id;         /* > 0: only rows with a larger id (tail -f) */
} pl_store_query;
int pl_store_each_row_q(pl_store *s, const pl_store_query *q, pl_row_fn fn, void *ctx, char *err, size_t errlen);

/* Per (namespace, provider, model) totals, for `prompt-logger stats`. */
typedef struct pl_store_count {
    const char *ns, *provider, *model;  /* provider/model may be NULL */
    long long calls, errors;            /* errors: status >= 400 or an error message */
    long long input_tokens, output_tokens;
    double first, last;                 /* started_at range, epoch seconds */
} pl_store_count;
typedef int (*pl_count_fn)(const pl_store_count *c, void *ctx);
int pl_store_each_count(pl_store *s, pl_count_fn fn, void *ctx, char *err, size_t errlen);

#endif
