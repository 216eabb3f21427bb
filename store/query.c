/* query.c — the read-only queries behind the CLI's views of the readable store: change polling
 * (tail -f), a call's parent (diff ID), conversations, prompt versions and a thread's turns. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pl_store_path(const pl_store *s)
{
    return s->path;
}

/* "PATH: what SQLite said", the views' one-line error. */
static int fail_db(pl_store *s, char *err, size_t errlen)
{
    pl_store_seterr(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
    return -1;
}

int pl_store_has(pl_store *s, const char *name)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return found;
}

static int one_int(pl_store *s, const char *sql, long long *v)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_OK ? 0 : -1;
}

int pl_store_data_version(pl_store *s, long long *v)
{
    return one_int(s, "PRAGMA data_version", v);
}

int pl_store_max_id(pl_store *s, long long *id)
{
    return one_int(s, "SELECT coalesce(max(id), 0) FROM calls", id);
}

int pl_store_last_deletion(pl_store *s, long long *gen, long long *max_id)
{
    *gen = *max_id = 0;
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    /* no table: nothing was ever deleted (a prepare failure says only that) */
    if (sqlite3_prepare_v2(s->db, "SELECT id, max_id FROM deletions ORDER BY id DESC LIMIT 1", -1, &st, NULL) ==
        SQLITE_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *gen = sqlite3_column_int64(st, 0);
            *max_id = sqlite3_column_int64(st, 1);
        } else if (step != SQLITE_DONE) {
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pl_store_parent_of(pl_store *s, long long id, long long *parent, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT parent_id FROM calls WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
        fail_db(s, err, errlen);
    } else {
        sqlite3_bind_int64(st, 1, id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *parent = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
            rc = 0;
        } else if (step == SQLITE_DONE) {
            rc = 1;
        } else {
            fail_db(s, err, errlen);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void pl_store_bind_filter(sqlite3_stmt *st, const pl_store_filter *f)
{
    if (f->ns)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":ns"), f->ns, -1, SQLITE_STATIC);
    if (f->since > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":since"), f->since);
    if (f->until > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":until"), f->until);
    if (f->limit > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), f->limit);
    if (f->upto)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":upto"), f->upto);
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static long long col_ll(sqlite3_stmt *st, int i, long long null)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? null : sqlite3_column_int64(st, i);
}

/* Prepares sql, steps it and hands each row to row(); stops when row() returns nonzero. */
typedef int (*row_fn)(sqlite3_stmt *st, void *fn, void *ctx);
static int run(pl_store *s, const char *sql, const pl_store_filter *f, const long long *ids, int nids, row_fn row,
               void *fn, void *ctx, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(s, err, errlen);
    } else {
        if (f)
            pl_store_bind_filter(st, f);
        for (int i = 0; i < nids; i++)
            sqlite3_bind_int64(st, i + 1, ids[i]);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW && !row(st, fn, ctx))
            ;
        if (step == SQLITE_ROW || step == SQLITE_DONE)
            rc = 0;
        else
            fail_db(s, err, errlen);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int conv_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    pl_store_conv c = {
        .id = sqlite3_column_int64(st, 0), .ns = col(st, 1), .first = sqlite3_column_double(st, 2),
        .last = sqlite3_column_double(st, 3), .calls = sqlite3_column_int64(st, 4), .models = col(st, 5),
        .input_tokens = col_ll(st, 6, -1), .output_tokens = col_ll(st, 7, -1), .first_user_message = col(st, 9),
    };
    return ((pl_conv_fn)fn)(&c, ctx);
}

int pl_store_each_conversation(pl_store *s, const pl_store_filter *f, pl_conv_fn fn, void *ctx, char *err, size_t errlen)
{
    char sql[1400];
    snprintf(sql, sizeof sql,
             "SELECT * FROM (SELECT c.conversation_id, c.namespace, min(c.started_at), max(c.started_at), count(*),"
             " group_concat(DISTINCT c.model), sum(c.input_tokens), sum(c.output_tokens),"
             " sum(c.parent_id IS NULL AND c.id != c.conversation_id),"
             " (SELECT m.content FROM call_messages cm JOIN messages m ON m.id = cm.message_id"
             "   WHERE cm.call_id = c.conversation_id AND cm.side = 'input' AND m.role IN ('user', 'prompt')"
             "   ORDER BY cm.position LIMIT 1)"
             " FROM calls c WHERE c.conversation_id IS NOT NULL%s GROUP BY c.conversation_id"
             " HAVING 1%s%s ORDER BY c.conversation_id DESC%s) ORDER BY 1",
             f->ns ? " AND c.namespace = :ns" : "", f->since > 0 ? " AND max(c.started_at) >= :since" : "",
             f->until > 0 ? " AND min(c.started_at) < :until" : "", f->limit > 0 ? " LIMIT :limit" : "");
    return run(s, sql, f, NULL, 0, conv_row, (void *)fn, ctx, err, errlen);
}

static int pair_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    return ((pl_call_conv_fn)fn)(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), ctx);
}

int pl_store_each_call_conversation(pl_store *s, pl_call_conv_fn fn, void *ctx, char *err, size_t errlen)
{
    return run(s, "SELECT id, conversation_id FROM calls WHERE conversation_id IS NOT NULL ORDER BY id", NULL, NULL, 0,
               pair_row, (void *)fn, ctx, err, errlen);
}

static int version_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    pl_store_prompt_version v = {
        .ns = col(st, 0), .version = sqlite3_column_int64(st, 1), .first = sqlite3_column_double(st, 2),
        .last = sqlite3_column_double(st, 3), .calls = sqlite3_column_int64(st, 4), .models = col(st, 5),
        .system_prompt = col(st, 6), .tools = col(st, 7),
    };
    return ((pl_prompt_version_fn)fn)(&v, ctx);
}

int pl_store_each_prompt_version(pl_store *s, const pl_store_filter *f, pl_prompt_version_fn fn, void *ctx, char *err,
                                 size_t errlen)
{
    /* Numbered over every call, as the prompt_versions view and diff --prompt number them: a
     * window (--since/--until) only decides which versions appear and what their figures cover. */
    char sql[1600];
    snprintf(sql, sizeof sql,
             "WITH f AS (SELECT namespace, system_id, tools_id, min(started_at) AS lo, max(started_at) AS hi,"
             " count(*) AS n, group_concat(DISTINCT model) AS models FROM calls"
             " WHERE (system_id IS NOT NULL OR tools_id IS NOT NULL)%s%s%s GROUP BY namespace, system_id, tools_id)"
             " SELECT f.namespace, v.version, f.lo, f.hi, f.n, f.models,"
             " (SELECT content FROM messages WHERE id = f.system_id), v.tools"
             " FROM f JOIN prompt_versions v ON v.namespace = f.namespace AND v.system_id IS f.system_id"
             " AND v.tools_id IS f.tools_id ORDER BY f.namespace, v.version",
             f->ns ? " AND namespace = :ns" : "", f->since > 0 ? " AND started_at >= :since" : "",
             f->until > 0 ? " AND started_at < :until" : "");
    return run(s, sql, f, NULL, 0, version_row, (void *)fn, ctx, err, errlen);
}

static int use_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    pl_store_version_use u = {
        .ns = col(st, 0), .version = sqlite3_column_int64(st, 1), .calls = sqlite3_column_int64(st, 2),
        .first = sqlite3_column_double(st, 3), .last = sqlite3_column_double(st, 4), .models = col(st, 5),
        .tools = col(st, 6), .system = col(st, 7), .system_len = col_ll(st, 8, 0),
    };
    return ((pl_version_use_fn)fn)(&u, ctx);
}

int pl_store_each_version_use(pl_store *s, const pl_store_version_scope *sc, pl_version_use_fn fn, void *ctx, char *err,
                              size_t errlen)
{
    /* The view numbers versions over every call; the scope only decides which versions appear
     * and what their counts cover. last: the newest N of the calls in scope. */
    char where[256];
    snprintf(where, sizeof where, "%s%s%s%s", sc->ns ? " AND namespace = :ns" : "",
             sc->since > 0 ? " AND started_at >= :since" : "", sc->until > 0 ? " AND started_at < :until" : "",
             sc->upto ? " AND id <= :upto" : "");
    char *sql = NULL;
    if (asprintf(&sql,
                 "WITH f AS (SELECT namespace, system_id, tools_id, count(*) AS n, min(started_at) AS lo,"
                 " max(started_at) AS hi, group_concat(DISTINCT model) AS models FROM calls"
                 " WHERE (system_id IS NOT NULL OR tools_id IS NOT NULL)%s%s%s%s"
                 " GROUP BY namespace, system_id, tools_id)"
                 " SELECT v.namespace, v.version, f.n, f.lo, f.hi, f.models, v.tools,"
                 " (SELECT substr(content, 1, %d) FROM messages WHERE id = v.system_id),"
                 " (SELECT length(content) FROM messages WHERE id = v.system_id)"
                 " FROM prompt_versions v JOIN f ON f.namespace = v.namespace AND f.system_id IS v.system_id"
                 " AND f.tools_id IS v.tools_id ORDER BY v.namespace, v.version DESC",
                 where, sc->last > 0 ? " AND id IN (SELECT id FROM calls WHERE 1" : "", sc->last > 0 ? where : "",
                 sc->last > 0 ? " ORDER BY id DESC LIMIT :limit)" : "", sc->max_text > 0 ? sc->max_text : 1 << 30) < 0) {
        pl_store_seterr(err, errlen, "out of memory");
        return -1;
    }
    pl_store_filter f = {.ns = sc->ns, .since = sc->since, .until = sc->until, .limit = sc->last, .upto = sc->upto};
    int rc = run(s, sql, &f, NULL, 0, use_row, (void *)fn, ctx, err, errlen);
    free(sql);
    return rc;
}

/* One version of one namespace, with the tool list as stored (a JSON array of whole tools). */
int pl_store_get_prompt_version(pl_store *s, const char *ns, long long version, pl_prompt_version_fn fn, void *ctx, char *err,
                            size_t errlen)
{
    const char *sql =
        "SELECT * FROM (SELECT row_number() OVER (ORDER BY min(id)) AS v, min(started_at), count(*),"
        " (SELECT content FROM messages WHERE id = system_id), (SELECT tools FROM tool_lists WHERE id = tools_id)"
        " FROM calls WHERE namespace = :ns AND (system_id IS NOT NULL OR tools_id IS NOT NULL)"
        " GROUP BY system_id, tools_id) WHERE v = :v";
    pl_store_filter f = {.ns = ns};
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(s, err, errlen);
    } else {
        pl_store_bind_filter(st, &f);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":v"), version);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            pl_store_prompt_version v = {.ns = ns};
            v.version = sqlite3_column_int64(st, 0);
            v.first = sqlite3_column_double(st, 1);
            v.calls = sqlite3_column_int64(st, 2);
            v.system_prompt = col(st, 3);
            v.tools = col(st, 4);
            fn(&v, ctx);
            rc = 0;
        } else if (step == SQLITE_DONE) {
            rc = 1;
        } else {
            fail_db(s, err, errlen);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pl_store_prompt_namespaces(pl_store *s, long long *n, char **only)
{
    *n = 0;
    *only = NULL;
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT count(DISTINCT namespace), min(namespace) FROM calls WHERE system_id IS NOT"
                                  " NULL OR tools_id IS NOT NULL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        if (*n == 1 && col(st, 1))
            *only = strdup(col(st, 1));
        rc = 0;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int call_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    pl_store_conv_call c = {
        .id = sqlite3_column_int64(st, 0), .parent_id = col_ll(st, 1, -1), .started_at = sqlite3_column_double(st, 2),
        .model = col(st, 3), .ns = col(st, 4),
    };
    return ((pl_conv_call_fn)fn)(&c, ctx);
}

int pl_store_each_conversation_call(pl_store *s, long long id, pl_conv_call_fn fn, void *ctx, char *err, size_t errlen)
{
    /* id is a conversation id or any call of it */
    return run(s, "SELECT id, parent_id, started_at, model, namespace FROM calls WHERE conversation_id ="
                  " (SELECT conversation_id FROM calls WHERE id = ?) ORDER BY id",
               NULL, &id, 1, call_row, (void *)fn, ctx, err, errlen);
}

char *pl_store_own_input(pl_store *s, long long id)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT group_concat(message_id, ',') FROM (SELECT message_id FROM call_messages"
                                  " WHERE call_id = ? AND side = 'input' ORDER BY position)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW && col(st, 0))
            out = strdup(col(st, 0));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return out ? out : strdup("");
}

static int turn_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    pl_store_turn t = {
        .role = col(st, 0), .content = col(st, 1), .tool_calls = col(st, 2), .tool_call_id = col(st, 3),
        .side = col(st, 4), .finish_reason = col(st, 5),
    };
    return ((pl_turn_fn)fn)(&t, ctx);
}

int pl_store_each_own_turn(pl_store *s, long long id, pl_turn_fn fn, void *ctx, char *err, size_t errlen)
{
    return run(s, "SELECT m.role, m.content, m.tool_calls, m.tool_call_id, cm.side, cm.finish_reason"
                  " FROM call_messages cm JOIN messages m ON m.id = cm.message_id"
                  " WHERE cm.call_id = ? ORDER BY cm.position",
               NULL, &id, 1, turn_row, (void *)fn, ctx, err, errlen);
}
