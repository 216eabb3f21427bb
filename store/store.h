/* store.h — the namespaced SQLite store: the only code that talks SQLite.
 * Plain metadata columns for the sqlite3 shell, zstd-compressed bodies, redacted headers.
 *
 * Files: open.c (URLs, opening, foreign/newer/read-only files), schema.c (schema, creation
 * race, upgrades), columns.c (the one column table), write.c (insert with retries), read.c
 * (queries, records for the export), messages.c (messages stored once), threads.c
 * (conversations, body chains), rebuild.c (records from bodies, the upgrade's backfill),
 * bodies.c (bodies through their chains), guard.c (errors, wait budget, SIGXFSZ guard),
 * zblob.c, redact.c, delete.c (deleting calls and what only they used), query.c and search.c
 * (the CLI's views: conversations, prompt versions, full-text search).
 *
 * Schema (PRAGMA user_version = PL_STORE_SCHEMA_VERSION). Unknown numbers are NULL.
 *   calls    one row per captured HTTP exchange; columns in columns.c (README "Schema")
 *   models   one row per (namespace, model name), first time seen
 *   calls_summary   VIEW for the shell
 *   messages, call_messages, tool_lists, messages_fts, and the views transcript,
 *   conversations, prompt_versions: see schema.c and the README's sqlite3 tour
 * Version history: 1 the first release; 2 adds calls.decode_error; 3 adds the readable store
 * (messages stored once, conversations, prompt versions, full-text search, body chains); 4 adds
 * cached_tokens and cache_write_tokens and stores `record` without what the columns hold.
 *
 * Invariants: credentials are redacted (redact.h) inside pl_store_insert, before anything is
 * compressed or written, so no caller can forget it. An insert is one committed transaction
 * when pl_store_insert returns 0. A database whose schema version is newer than this code is
 * never written to. */
#ifndef PL_STORE_H
#define PL_STORE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "../util/headers.h"

#define PL_STORE_SCHEMA_VERSION 4
/* The normalizer generation whose records the stored messages hold (calls.normalizer). */
#define PL_STORE_NORMALIZER 1

typedef struct pl_store pl_store;

enum {
    PL_STORE_CREATE = 1,    /* create the file (mode 0600) and schema if missing */
    PL_STORE_READONLY = 2,  /* exporter: never create, never write; works on a file or directory
                             * we may only read (opened immutable when its WAL cannot be shared) */
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
    int decode_error;           /* 1: the response's content coding was corrupt; resp_body holds
                                 * the bytes as they arrived, undecoded */
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
    /* Schema 3. On insert the store derives these from `record`; on read they come back. */
    const cJSON *record;        /* insert: the normalized record (pl_llm_normalize) or NULL */
    long long parent_id;        /* the call this one continues, -1 none */
    long long conversation_id;  /* the root of its conversation, -1 unknown */
    long long system_id;        /* messages.id of its system prompt, -1 none */
    long long tools_id;         /* tool_lists.id of its tool list, -1 none */
    long long thread_hash;      /* store-internal: the key children look up */
    long long content_hash;     /* store-internal: the same over exact messages (inheritance) */
    long long request_ref;      /* store-internal: request_body is compressed against this call's */
    long long response_ref;     /* store-internal: the same for response_body */
    int inherited;              /* leading messages held by the parent's chain, -1 none */
    int root_guess;             /* store-internal: conversation_id was set to the expected id */
    const char *record_json;    /* the record without its messages, as stored; NULL before 3 */
    int normalizer;             /* PL_STORE_NORMALIZER of the stored messages, -1 none */
    /* Schema 4: the cached input tokens (and Anthropic's cache writes) the response body names,
     * scanned by the store on insert (pl_store_scan_cached), so a cost needs no body. -1 on
     * read for a row written before schema 4 (scan its body); ignored on insert. */
    long long cached_tokens;
    long long cache_write_tokens;
    /* Read only, with query.record_text: a chat record from the stored messages as JSON text:
     * its "messages" and "completions" arrays and its "tools" (NULL: none), beside `record`,
     * which then holds the rest of the record. NULL when the row's record was built otherwise. */
    const char *messages_json;
    const char *completions_json;
    const char *tools_json;
    int body_corrupt;           /* read only: a stored body blob did not decompress (that body is
                                 * NULL); the iteration goes on with the next row */
} pl_row;

typedef struct pl_store_options {
    int busy_timeout_ms;        /* how long a write may wait for another process's lock */
    const char *redact;         /* extra names to redact (PROMPTLOG_REDACT syntax), copied at
                                 * open; NULL = getenv("PROMPTLOG_REDACT") read once at open */
    int cache_kib;              /* SQLite page cache of this connection; 0 = SQLite's default */
    int wal_pages;              /* WAL frames before this connection checkpoints (and the size the
                                 * WAL file is cut back to after); 0 = SQLite's 1,000 */
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

/* Iterates the namespace oldest first (by id). ns NULL = every namespace. Returns 0 or -1.
 * A row whose body blob is corrupt is still handed over, with body_corrupt set. */
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
    int records;                /* 1: hand each row its normalized record in row->record: built
                                 * from the stored messages when they are of this normalizer
                                 * (no body is decompressed; bodies stay NULL), else rebuilt from
                                 * the bodies (then bodies are set) */
    int rebuild;                /* with records: always rebuild from the bodies */
    int record_text;            /* with records: a chat record from the stored messages comes as
                                 * JSON text (pl_row.messages_json, ...) plus the rest in record,
                                 * as stored: kind, model, finish_reason, usage and status may be
                                 * left to the row's columns (absent, or null for none). Rows
                                 * come lean: previews, ttfb, ttft, source, http_version, sizes,
                                 * conversation_id and system_id are left unknown */
    int no_headers;             /* 1: leave req_headers/resp_headers empty (skips their JSON) */
    double since, until;        /* > 0: started_at >= since, started_at < until (epoch seconds) */
    long long after_id;         /* > 0: only rows with a larger id (tail -f) */
} pl_store_query;
/* The cached-token counts a response body of this API names (the last of each key: stream
 * usage is cumulative); 0 when none. */
void pl_store_scan_cached(const char *api, const char *body, size_t len, long long *cached, long long *cache_write);

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

/* Deleting calls (delete.c), on a store opened for writing (an older file is upgraded by the
 * open, as a capture would). Every set condition must hold; at least one must be set. */
typedef struct pl_store_delete_sel {
    long long id;               /* > 0: this call */
    long long conversation;     /* > 0: the calls whose conversation_id is this */
    const char *ns;             /* non-NULL: of this namespace */
    double before;              /* > 0: started_at < before (epoch seconds) */
} pl_store_delete_sel;
typedef struct pl_store_delete_stats {
    long long calls;            /* call rows removed */
    long long messages;         /* messages no remaining call refers to, removed with their FTS rows */
    long long tool_lists;       /* the same for tool lists */
    long long bodies_reencoded; /* surviving bodies that were compressed against a removed one */
    long long relinked;         /* surviving calls whose parent was removed */
} pl_store_delete_stats;
/* How many calls match now (no lock: the count a question shows). 0, or -1 with err. */
int pl_store_delete_count(pl_store *s, const pl_store_delete_sel *sel, long long *n, char *err, size_t errlen);
/* One BEGIN IMMEDIATE transaction, waiting for capturing writers like they wait for each other
 * (busy_timeout_ms). Surviving calls stay whole: see delete.c for what is rewritten. Returns 0
 * (stats filled; a selection matching nothing changes nothing), or -1 with err and nothing
 * changed. */
int pl_store_delete(pl_store *s, const pl_store_delete_sel *sel, pl_store_delete_stats *out, char *err, size_t errlen);
/* VACUUM, then a truncating WAL checkpoint, so the file really shrinks. */
int pl_store_vacuum(pl_store *s, char *err, size_t errlen);

/* The CLI's views of the readable store (query.c). Errors are one line, "PATH: reason". A
 * callback's strings live until it returns; it returns nonzero to stop. */
const char *pl_store_path(const pl_store *s);
int pl_store_has(pl_store *s, const char *name);                /* a table or view of that name */
int pl_store_data_version(pl_store *s, long long *v);           /* PRAGMA data_version: changes when
                                                                 * another connection commits. 0 or -1 */
int pl_store_max_id(pl_store *s, long long *id);                /* 0 when empty. 0 or -1 */
/* The last delete (delete.c's log): its number (0: none ever) and the largest call id it left;
 * the next captures may get ids above that one again. 0 or -1. */
int pl_store_last_deletion(pl_store *s, long long *gen, long long *max_id);
/* 0 with *parent (-1 when the call starts its conversation), 1 when there is no such call, -1. */
int pl_store_parent_of(pl_store *s, long long id, long long *parent, char *err, size_t errlen);

typedef struct pl_store_filter {
    const char *ns;             /* NULL = every namespace */
    double since, until;        /* > 0: epoch seconds */
    long long limit;            /* > 0: the newest `limit` */
    long long upto;             /* != 0: calls with an id up to this (each_version_use) */
} pl_store_filter;

typedef struct pl_store_conv {
    long long id;               /* the root's id */
    const char *ns, *models;    /* models: distinct, comma-separated */
    double first, last;         /* started_at range */
    long long calls;
    long long input_tokens, output_tokens;   /* sums, -1 when unknown */
    const char *first_user_message;
} pl_store_conv;
typedef int (*pl_conv_fn)(const pl_store_conv *c, void *ctx);
/* Conversations passing f (since/until: overlapping the range), oldest first. */
int pl_store_each_conversation(pl_store *s, const pl_store_filter *f, pl_conv_fn fn, void *ctx, char *err, size_t errlen);
typedef int (*pl_call_conv_fn)(long long call_id, long long conversation_id, void *ctx);
/* Every call that is in a conversation, by id. */
int pl_store_each_call_conversation(pl_store *s, pl_call_conv_fn fn, void *ctx, char *err, size_t errlen);

typedef struct pl_store_prompt_version {
    const char *ns;
    long long version;          /* 1, 2, ... per namespace, by first use */
    double first, last;
    long long calls;
    const char *models;         /* each_prompt_version only */
    const char *system_prompt;
    const char *tools;          /* each_prompt_version: a JSON array of tool names; get_prompt_version:
                                 * the stored tool list */
} pl_store_prompt_version;
typedef int (*pl_prompt_version_fn)(const pl_store_prompt_version *v, void *ctx);
int pl_store_each_prompt_version(pl_store *s, const pl_store_filter *f, pl_prompt_version_fn fn, void *ctx, char *err,
                                 size_t errlen);
/* Version `version` of namespace ns: 0 (fn called once), 1 (no such version) or -1. */
int pl_store_get_prompt_version(pl_store *s, const char *ns, long long version, pl_prompt_version_fn fn, void *ctx, char *err,
                            size_t errlen);
/* Prompt versions numbered over every call (as prompt_versions numbers them), with the calls,
 * time range and models of the calls in scope; per namespace (in name order) newest version
 * first. For the report: last > 0 keeps the newest `last` calls in scope, upto != 0 the calls up
 * to that id; system is cut to max_text characters (system_len: its whole length). */
typedef struct pl_store_version_scope {
    const char *ns;
    double since, until;        /* > 0: bounds */
    long long last, upto;
    int max_text;
} pl_store_version_scope;
typedef struct pl_store_version_use {
    const char *ns;
    long long version, calls;
    double first, last;
    const char *models;
    const char *tools;          /* a JSON array of tool names */
    const char *system;
    long long system_len;
} pl_store_version_use;
typedef int (*pl_version_use_fn)(const pl_store_version_use *u, void *ctx);
int pl_store_each_version_use(pl_store *s, const pl_store_version_scope *sc, pl_version_use_fn fn, void *ctx, char *err,
                              size_t errlen);
/* How many namespaces have prompt versions, and (when one) which (caller frees). 0 or -1. */
int pl_store_prompt_namespaces(pl_store *s, long long *n, char **only);

typedef struct pl_store_conv_call {
    long long id, parent_id;    /* parent_id -1: none */
    double started_at;
    const char *model, *ns;
} pl_store_conv_call;
typedef int (*pl_conv_call_fn)(const pl_store_conv_call *c, void *ctx);
/* The calls of the conversation that call `id` belongs to, by id. */
int pl_store_each_conversation_call(pl_store *s, long long id, pl_conv_call_fn fn, void *ctx, char *err, size_t errlen);
/* The ids of a call's own input messages, "1,5,9" ("" when none; NULL on OOM; caller frees). */
char *pl_store_own_input(pl_store *s, long long id);
typedef struct pl_store_turn {
    const char *role, *content, *tool_calls, *tool_call_id;
    const char *side;           /* "input" | "output" */
    const char *finish_reason;
} pl_store_turn;
typedef int (*pl_turn_fn)(const pl_store_turn *t, void *ctx);
/* A call's own call_messages rows (not those it inherits), in order. */
int pl_store_each_own_turn(pl_store *s, long long id, pl_turn_fn fn, void *ctx, char *err, size_t errlen);

/* Full-text search (search.c): the calls whose messages match an FTS5 query, by call id, each
 * with the role and text of its first matching message. 0, -1 (err set) or -2 (the query is not
 * valid FTS5 syntax; err "search: reason"). */
typedef struct pl_store_hit {
    long long call_id;
    char *role, *content;
} pl_store_hit;
int pl_store_search(pl_store *s, const pl_store_filter *f, const char *match, pl_store_hit **hits, size_t *n, char *err,
                    size_t errlen);
void pl_store_hits_free(pl_store_hit *hits, size_t n);

#endif
