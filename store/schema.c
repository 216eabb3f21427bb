/* schema.c — the store's schema (see store.h for the tables), telling our files from foreign
 * ones before anything is written, and race-safe creation and upgrade in one transaction. */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuild.h"
#include "columns.h"

/* Everything but the `calls` table, which columns.c generates. */
static const char SCHEMA_REST_SQL[] =
    "CREATE INDEX IF NOT EXISTS calls_namespace_id ON calls(namespace, id);\n"
    /* no (namespace, model) index: one page less per capture; -m filters scan a namespace */

    "CREATE TABLE IF NOT EXISTS models (\n"
    " id INTEGER PRIMARY KEY,\n"
    " namespace TEXT NOT NULL,\n"
    " name TEXT NOT NULL,\n"
    " provider TEXT,\n"
    " created REAL NOT NULL,\n"
    " UNIQUE(namespace, name));\n"
    "CREATE VIEW IF NOT EXISTS calls_summary AS SELECT"
    " id, namespace, datetime(started_at, 'unixepoch') AS started,\n"
    " round(duration, 3) AS seconds, provider, model, status, input_tokens, output_tokens,\n"
    " finish_reason, substr(prompt_preview, 1, 60) AS prompt,\n"
    " substr(completion_preview, 1, 60) AS completion FROM calls;\n"
    /* Schema 3: the readable store. */
    "CREATE TABLE IF NOT EXISTS messages (\n"
    " id INTEGER PRIMARY KEY,\n"
    " hash INTEGER NOT NULL,\n"
    " role TEXT, content TEXT, tool_calls TEXT, tool_call_id TEXT, name TEXT,\n"
    " shape TEXT, raw TEXT);\n"
    "CREATE INDEX IF NOT EXISTS messages_hash ON messages(hash);\n"
    "CREATE TABLE IF NOT EXISTS call_messages (\n"
    " call_id INTEGER NOT NULL,\n"
    " position INTEGER NOT NULL,\n"
    " side TEXT NOT NULL,\n"
    " message_id INTEGER NOT NULL,\n"
    " finish_reason TEXT,\n"
    " PRIMARY KEY (call_id, position)) WITHOUT ROWID;\n"
    /* no index on message_id: each index is one more page written per capture, and the search
     * joins from a handful of FTS hits, for which SQLite builds an automatic index */
    "CREATE TABLE IF NOT EXISTS tool_lists (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, tools TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS tool_lists_hash ON tool_lists(hash);\n"
    /* Schema 4: header lists stored once (hdrsets.h), and the view that shows them whole. */
    "CREATE TABLE IF NOT EXISTS header_sets (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, headers TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS header_sets_hash ON header_sets(hash);\n"
    "CREATE VIEW IF NOT EXISTS call_headers AS SELECT c.id AS call_id,\n"
    " coalesce(c.request_headers, (SELECT json_group_array(json_array(j.value->>0,\n"
    "   coalesce(j.value->>1, c.request_header_values->>('$.\"' || j.key || '\"'))))\n"
    "  FROM header_sets h, json_each(h.headers) j WHERE h.id = c.request_header_set)) AS request_headers,\n"
    " coalesce(c.response_headers, (SELECT json_group_array(json_array(j.value->>0,\n"
    "   coalesce(j.value->>1, c.response_header_values->>('$.\"' || j.key || '\"'))))\n"
    "  FROM header_sets h, json_each(h.headers) j WHERE h.id = c.response_header_set)) AS response_headers\n"
    " FROM calls c;\n"
    "CREATE INDEX IF NOT EXISTS calls_thread ON calls(namespace, thread_hash) WHERE thread_hash IS NOT NULL;\n"
    /* detail=none: boolean queries (AND, OR, NOT, prefix*) without the size of positions */
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(content, content='messages',"
    " content_rowid='id', detail=none);\n"
    /* A call's messages: its own call_messages rows, and below position `inherited` its
     * parent's, recursively (threads.h). */
    "CREATE VIEW IF NOT EXISTS transcript AS WITH RECURSIVE chain(call_id, anc, upto) AS (\n"
    " SELECT id, id, 9223372036854775807 FROM calls\n"
    " UNION ALL SELECT chain.call_id, c.parent_id, c.inherited FROM chain JOIN calls c ON c.id = chain.anc\n"
    "  WHERE c.parent_id IS NOT NULL AND c.inherited > 0)\n"
    " SELECT chain.call_id, cm.position, m.role, m.content,\n"
    " CASE WHEN chain.anc = chain.call_id THEN cm.side ELSE 'input' END AS side,\n"
    " m.tool_calls, m.tool_call_id,\n"
    " CASE WHEN chain.anc = chain.call_id THEN cm.finish_reason END AS finish_reason, cm.message_id\n"
    " FROM chain JOIN call_messages cm ON cm.call_id = chain.anc AND cm.position < chain.upto\n"
    " JOIN messages m ON m.id = cm.message_id;\n"
    "CREATE VIEW IF NOT EXISTS conversations AS SELECT c.conversation_id AS id, c.namespace,\n"
    " datetime(min(c.started_at), 'unixepoch') AS first, datetime(max(c.started_at), 'unixepoch') AS last,\n"
    " count(*) AS calls, group_concat(DISTINCT c.model) AS models,\n"
    " sum(c.input_tokens) AS input_tokens, sum(c.output_tokens) AS output_tokens,\n"
    " (SELECT substr(m.content, 1, 80) FROM call_messages cm JOIN messages m ON m.id = cm.message_id\n"
    "   WHERE cm.call_id = c.conversation_id AND cm.side = 'input' AND m.role IN ('user', 'prompt')\n"
    "   ORDER BY cm.position LIMIT 1) AS first_user_message\n"
    " FROM calls c WHERE c.conversation_id IS NOT NULL GROUP BY c.conversation_id;\n"
    "CREATE VIEW IF NOT EXISTS prompt_versions AS SELECT namespace,\n"
    " row_number() OVER (PARTITION BY namespace ORDER BY min(id)) AS version,\n"
    " system_id, tools_id,\n"
    " datetime(min(started_at), 'unixepoch') AS first_used, datetime(max(started_at), 'unixepoch') AS last_used,\n"
    " count(*) AS calls, group_concat(DISTINCT model) AS models,\n"
    " (SELECT substr(content, 1, 80) FROM messages WHERE id = system_id) AS system_prompt,\n"
    " (SELECT json_group_array(coalesce(json_extract(value, '$.function.name'), json_extract(value, '$.name'))) FROM tool_lists, json_each(tools)\n"
    "   WHERE tool_lists.id = tools_id) AS tools\n"
    " FROM calls WHERE system_id IS NOT NULL OR tools_id IS NOT NULL GROUP BY namespace, system_id, tools_id;\n";

static int query_int(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int pl_schema_inspect(sqlite3 *db, pl_file_kind *kind, int *ver)
{
    long long v = 0, objects = 0, calls = 0;
    int rc = query_int(db, "PRAGMA user_version", &v);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_master", &objects);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'calls'", &calls);
    if (rc != SQLITE_OK)
        return rc;
    *ver = (int)v;
    if (v == 0)
        *kind = objects ? PL_FILE_FOREIGN : PL_FILE_EMPTY;
    else if (!calls)
        *kind = PL_FILE_FOREIGN;   /* someone else's user_version: not ours to touch */
    else if (v > PL_STORE_SCHEMA_VERSION)
        *kind = PL_FILE_NEWER;
    else
        *kind = PL_FILE_OURS;
    return SQLITE_OK;
}

int pl_schema_load_columns(pl_store *s)
{
    free(s->has_col);
    s->has_col = calloc(pl_call_ncolumns, 1);
    if (!s->has_col)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA table_info(calls)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        for (size_t i = 0; name && i < pl_call_ncolumns; i++)
            if (strcmp(name, pl_call_columns[i].name) == 0)
                s->has_col[i] = 1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Inside the write transaction: the whole schema for an empty file, or what an older file lacks.
 * Every step is idempotent (IF NOT EXISTS, ADD COLUMN only when absent), so an upgrade that was
 * interrupted simply runs again. */
static int build(pl_store *s, int ver, char **msg)
{
    pl_buf sql = {0};
    int rc = SQLITE_OK;
    if (ver == 0 && pl_columns_create_sql(&sql) != 0)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK && ver > 0) {
        if (pl_schema_load_columns(s) != 0)
            rc = SQLITE_NOMEM;
        for (size_t i = 0; rc == SQLITE_OK && i < pl_call_ncolumns; i++) {
            if (s->has_col[i])
                continue;
            int ok = pl_buf_append_str(&sql, "ALTER TABLE calls ADD COLUMN ") == 0 &&
                     pl_buf_append_str(&sql, pl_call_columns[i].name) == 0 &&
                     pl_buf_append_str(&sql, " ") == 0 &&
                     pl_buf_append_str(&sql, pl_call_columns[i].decl) == 0 &&
                     pl_buf_append_str(&sql, ";\n") == 0;
            if (!ok)
                rc = SQLITE_NOMEM;
        }
    }
    if (rc == SQLITE_OK && pl_buf_append_str(&sql, SCHEMA_REST_SQL) != 0)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, pl_buf_cstr(&sql), NULL, NULL, msg);
    pl_buf_free(&sql);
    /* Rows written before schema 3 get their messages and links from their stored bodies, in
     * this transaction, however many there are: killed half-way, the transaction never
     * committed and the next open starts again from the old file. A file a schema-3 build
     * upgraded without them (it skipped files over 5,000 calls) gets them now: its rows
     * without a normalizer. */
    if (rc == SQLITE_OK && ver > 0 && ver < 4)
        rc = pl_backfill(s, msg);
    if (rc == SQLITE_OK) {
        char v[64];
        snprintf(v, sizeof v, "PRAGMA user_version = %d", PL_STORE_SCHEMA_VERSION);
        rc = sqlite3_exec(s->db, v, NULL, NULL, msg);
    }
    return rc;
}

int pl_schema_ensure(pl_store *s, char *err, size_t errlen)
{
    double deadline = pl_store_mono_ms() + s->busy_ms;
    char tmp[512];
    for (;;) {
        if (!pl_store_budget_left(s, deadline)) {
            pl_store_seterr(err, errlen, "%s is locked by another process (schema creation timed out)", s->path);
            return -1;
        }
        int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (pl_store_is_busy(rc)) {
            pl_store_jitter(s, deadline - pl_store_mono_ms());
            continue;
        }
        if (rc != SQLITE_OK) {
            pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
            return -1;
        }
        pl_file_kind kind;
        int ver = 0;
        rc = pl_schema_inspect(s->db, &kind, &ver);
        if (rc != SQLITE_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
            return -1;
        }
        if (kind == PL_FILE_NEWER || kind == PL_FILE_FOREIGN) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            if (kind == PL_FILE_NEWER)
                pl_store_seterr(err, errlen, "%s has schema version %d, newer than this promptlog's %d; not writing to it",
                                s->path, ver, PL_STORE_SCHEMA_VERSION);
            else
                pl_store_seterr(err, errlen, "%s is a SQLite database of something else (no promptlog schema); not writing to it",
                                s->path);
            return -1;
        }
        if (ver < PL_STORE_SCHEMA_VERSION) {
            char *msg = NULL;
            rc = build(s, ver, &msg);
            if (rc != SQLITE_OK) {
                pl_store_seterr(err, errlen, "%s: cannot %s schema: %s", s->path, ver ? "upgrade" : "create",
                                msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                if (!sqlite3_get_autocommit(s->db))
                    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return -1;
            }
        }
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            s->version = PL_STORE_SCHEMA_VERSION;
            return 0;
        }
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (!pl_store_is_busy(rc)) {
            pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
            return -1;
        }
        pl_store_jitter(s, deadline - pl_store_mono_ms());
    }
}
