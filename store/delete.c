/* delete.c — removing calls (pl_store_delete): what only they used, the links and body chains of
 * the calls that stay, and the deletion log that tells live capturing processes to drop caches.
 *
 * Everything happens in one BEGIN IMMEDIATE transaction, the lock capture takes, so no capture is
 * ever half-way through a write while rows vanish. Choices, in order of the steps below:
 *   bodies      a surviving call's body compressed against a deleted call's body (request_ref,
 *               response_ref) is decoded through its chain first and stored standalone again;
 *   messages    a surviving call that inherited leading messages through a deleted call gets
 *               the ones the deleted calls held as its own call_messages rows;
 *   parent_id   becomes the deleted parent's nearest surviving ancestor (it continues that call
 *               too: its messages begin with the ancestor's, still inherited from it), or NULL
 *               when there is none;
 *   conversation a deleted root's conversation gets its oldest surviving call as its new root;
 *   orphans     messages (and their full-text rows), tool lists, header lists and models no call refers to
 *               any more are removed;
 *   log         a row in `deletions`, whose max(id) capturing processes compare at every write
 *               (pl_deletions_check) to drop their caches of message ids and parent bodies, since
 *               those may now name deleted rows, or rowids SQLite hands out again; its max_id is
 *               where tail -f and ship cursors (lowered here) go on from. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodies.h"
#include "messages.h"
#include "threads.h"
#include "zblob.h"

/* max_id: the largest call id left. SQLite hands out max + 1 next, so ids of deleted newest
 * calls come back; whoever walks calls by id (tail -f, ship cursors) steps back to max_id. */
static const char SQL_LOG[] =
    "CREATE TABLE IF NOT EXISTS deletions (id INTEGER PRIMARY KEY, at REAL NOT NULL, calls INTEGER NOT NULL,"
    " selector TEXT, max_id INTEGER NOT NULL)";

static int has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

/* A statement over `calls` restricted to the selection: verb is "SELECT count(*)" or
 * "INSERT INTO temp.pl_del SELECT id". */
static int prepare_sel(sqlite3 *db, const char *verb, const pl_store_delete_sel *sel, sqlite3_stmt **st)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%s FROM calls WHERE 1%s%s%s%s", verb, sel->id > 0 ? " AND id = :id" : "",
             sel->conversation > 0 ? " AND conversation_id = :conv" : "", sel->ns ? " AND namespace = :ns" : "",
             sel->before > 0 ? " AND started_at < :before" : "");
    int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sel->id > 0)
        sqlite3_bind_int64(*st, sqlite3_bind_parameter_index(*st, ":id"), sel->id);
    if (sel->conversation > 0)
        sqlite3_bind_int64(*st, sqlite3_bind_parameter_index(*st, ":conv"), sel->conversation);
    if (sel->ns)
        sqlite3_bind_text(*st, sqlite3_bind_parameter_index(*st, ":ns"), sel->ns, -1, SQLITE_STATIC);
    if (sel->before > 0)
        sqlite3_bind_double(*st, sqlite3_bind_parameter_index(*st, ":before"), sel->before);
    return SQLITE_OK;
}

static int selected(const pl_store_delete_sel *sel)
{
    return sel && (sel->id > 0 || sel->conversation > 0 || sel->ns || sel->before > 0);
}

int pl_store_delete_count(pl_store *s, const pl_store_delete_sel *sel, long long *n, char *err, size_t errlen)
{
    *n = 0;
    if (!selected(sel)) {
        pl_store_seterr(err, errlen, "nothing selected to delete");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = prepare_sel(s->db, "SELECT count(*)", sel, &st);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        char tmp[512];
        pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
    }
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Ids from a one-column query (collected first: the steps after it update the same table). */
static int collect_ids(sqlite3 *db, const char *sql, long long **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            long long *p = realloc(*ids, cap * sizeof *p);
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return SQLITE_OK;
    free(*ids);
    *ids = NULL;
    *n = 0;
    return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* Step 1: survivors whose body is compressed against a deleted call's are stored standalone. */
static int reencode_bodies(pl_store *s, long long *count, char *why, size_t whylen)
{
    static const char *const SIDE_SQL[2][2] = {
        {"SELECT id FROM calls WHERE request_ref IN (SELECT id FROM temp.pl_del) AND id NOT IN (SELECT id FROM temp.pl_del)",
         "UPDATE calls SET request_body = ?, request_ref = NULL WHERE id = ?"},
        {"SELECT id FROM calls WHERE response_ref IN (SELECT id FROM temp.pl_del) AND id NOT IN (SELECT id FROM temp.pl_del)",
         "UPDATE calls SET response_body = ?, response_ref = NULL WHERE id = ?"},
    };
    pl_buf body = {0}, z = {0};
    int rc = SQLITE_OK;
    for (int side = 0; side < 2 && rc == SQLITE_OK; side++) {
        long long *ids = NULL;
        size_t n = 0;
        if ((rc = collect_ids(s->db, SIDE_SQL[side][0], &ids, &n)) != SQLITE_OK)
            break;
        sqlite3_stmt *up = NULL;
        if (n && (rc = sqlite3_prepare_v2(s->db, SIDE_SQL[side][1], -1, &up, NULL)) != SQLITE_OK)
            n = 0;
        for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
            /* read through the chain while the deleted bodies are still there */
            int got = pl_body_read(s->db, ids[i], side, &body, why, whylen);
            if (got < 0) {
                rc = SQLITE_CORRUPT;
                break;
            }
            if (got == 1) {
                sqlite3_bind_null(up, 1);
            } else {
                if (pl_zblob_compress(s->cctx, body.data ? body.data : "", body.len, &z) != 0) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                sqlite3_bind_blob(up, 1, z.data, (int)z.len, SQLITE_STATIC);
            }
            sqlite3_bind_int64(up, 2, ids[i]);
            rc = sqlite3_step(up);
            sqlite3_reset(up);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            (*count)++;
        }
        sqlite3_finalize(up);
        free(ids);
    }
    pl_buf_free(&body);
    pl_buf_free(&z);
    return rc;
}

/* Step 2: survivors whose parent goes. A survivor C inherited its first k messages through a
 * chain of calls; walking up past the deleted ones reaches G, the nearest surviving ancestor,
 * whose chain holds the first k_G of them (the inherited count of the deleted call right below
 * G). C gets positions k_G..k-1 as its own rows (as the transcript view shows inherited ones:
 * side input, no finish_reason), then continues G, inheriting k_G: its transcript is unchanged
 * and `show -c` still prints only what C added after G. Without a survivor above (or with a
 * chain already cut), k_G = 0 and C holds all its messages. */
typedef struct up_stmts {
    sqlite3_stmt *node, *copy, *set;
} up_stmts;

static int is_deleted(sqlite3 *db, long long id, int *yes)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM temp.pl_del WHERE id = ?", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        *yes = rc == SQLITE_ROW;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

/* parent_id and inherited of a call (-1, 0 when NULL). */
static int node_of(up_stmts *u, long long id, long long *parent, long long *inherited)
{
    sqlite3_bind_int64(u->node, 1, id);
    int rc = sqlite3_step(u->node);
    *parent = rc == SQLITE_ROW && sqlite3_column_type(u->node, 0) != SQLITE_NULL ? sqlite3_column_int64(u->node, 0) : -1;
    *inherited = rc == SQLITE_ROW ? sqlite3_column_int64(u->node, 1) : 0;
    sqlite3_reset(u->node);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int relink_one(sqlite3 *db, up_stmts *u, long long id)
{
    long long node, k, kg, p, inh;
    int rc = node_of(u, id, &node, &k), del = 1, chain = k > 0;
    if (k < 0)
        k = 0;
    kg = k;
    while (rc == SQLITE_OK && node > 0 && (rc = is_deleted(db, node, &del)) == SQLITE_OK && del) {
        if ((rc = node_of(u, node, &p, &inh)) != SQLITE_OK)
            break;
        if (chain && inh > 0 && p > 0)
            kg = inh;
        else
            chain = 0;
        node = p;
    }
    if (rc != SQLITE_OK)
        return rc;
    if (!chain || node <= 0)
        kg = 0;
    sqlite3_bind_int64(u->copy, 1, id);
    sqlite3_bind_int64(u->copy, 2, kg);
    rc = sqlite3_step(u->copy);
    sqlite3_reset(u->copy);
    if (rc != SQLITE_DONE)
        return rc;
    sqlite3_bind_int64(u->set, 1, id);
    if (node > 0)
        sqlite3_bind_int64(u->set, 2, node);
    else
        sqlite3_bind_null(u->set, 2);
    sqlite3_bind_int64(u->set, 3, kg);
    rc = sqlite3_step(u->set);
    sqlite3_reset(u->set);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int relink_children(pl_store *s, long long *count)
{
    static const char SQL_CHILDREN[] =
        "SELECT id FROM calls WHERE parent_id IN (SELECT id FROM temp.pl_del) AND id NOT IN (SELECT id FROM temp.pl_del)";
    static const char SQL_NODE[] = "SELECT parent_id, coalesce(inherited, 0) FROM calls WHERE id = ?";
    /* the transcript view's chain, for one call, from position ?2 on */
    static const char SQL_COPY[] =
        "WITH RECURSIVE chain(anc, upto) AS ("
        " SELECT parent_id, inherited FROM calls WHERE id = ?1 AND parent_id IS NOT NULL AND inherited > 0"
        " UNION ALL SELECT c.parent_id, c.inherited FROM chain JOIN calls c ON c.id = chain.anc"
        "  WHERE c.parent_id IS NOT NULL AND c.inherited > 0)"
        " INSERT OR IGNORE INTO call_messages (call_id, position, side, message_id, finish_reason)"
        " SELECT ?1, cm.position, 'input', cm.message_id, NULL FROM chain"
        " JOIN call_messages cm ON cm.call_id = chain.anc AND cm.position < chain.upto AND cm.position >= ?2";
    static const char SQL_SET[] = "UPDATE calls SET parent_id = ?2, inherited = ?3 WHERE id = ?1";
    long long *ids = NULL;
    size_t n = 0;
    int rc = collect_ids(s->db, SQL_CHILDREN, &ids, &n);
    up_stmts u = {0};
    if (rc == SQLITE_OK && n &&
        ((rc = sqlite3_prepare_v2(s->db, SQL_NODE, -1, &u.node, NULL)) != SQLITE_OK ||
         (rc = sqlite3_prepare_v2(s->db, SQL_COPY, -1, &u.copy, NULL)) != SQLITE_OK ||
         (rc = sqlite3_prepare_v2(s->db, SQL_SET, -1, &u.set, NULL)) != SQLITE_OK))
        n = 0;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        rc = relink_one(s->db, &u, ids[i]);
        (*count)++;
    }
    sqlite3_finalize(u.node);
    sqlite3_finalize(u.copy);
    sqlite3_finalize(u.set);
    free(ids);
    return rc;
}

/* Steps 3 to 5, plain SQL. The temp tables list candidates so every sweep is one scan of the
 * table that could still refer to them, never a scan per candidate. */
static const char *const SQL_REROOT_AND_DELETE[] = {
    "DELETE FROM temp.pl_reroot",
    "INSERT INTO temp.pl_reroot SELECT conversation_id, min(id) FROM calls"
    " WHERE conversation_id IN (SELECT id FROM temp.pl_del) AND id NOT IN (SELECT id FROM temp.pl_del)"
    " GROUP BY conversation_id",
    "UPDATE calls SET conversation_id = (SELECT new FROM temp.pl_reroot WHERE old = calls.conversation_id)"
    " WHERE conversation_id IN (SELECT old FROM temp.pl_reroot)",
    "DELETE FROM temp.pl_cand",
    "INSERT OR IGNORE INTO temp.pl_cand SELECT message_id FROM call_messages WHERE call_id IN (SELECT id FROM temp.pl_del)",
    "INSERT OR IGNORE INTO temp.pl_cand SELECT system_id FROM calls WHERE id IN (SELECT id FROM temp.pl_del) AND system_id IS NOT NULL",
    "DELETE FROM temp.pl_tools",
    "INSERT OR IGNORE INTO temp.pl_tools SELECT tools_id FROM calls WHERE id IN (SELECT id FROM temp.pl_del) AND tools_id IS NOT NULL",
    "DELETE FROM call_messages WHERE call_id IN (SELECT id FROM temp.pl_del)",
    NULL,   /* the calls themselves: counted apart */
    "DELETE FROM temp.pl_cand WHERE id IN (SELECT message_id FROM call_messages)",
    "DELETE FROM temp.pl_cand WHERE id IN (SELECT system_id FROM calls WHERE system_id IS NOT NULL)",
    /* an external-content FTS5 row is removed by handing back the text it indexed; only rows
     * already indexed (a docsize row exists) may be, the rest are past the batch mark */
    "INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', m.id, m.content FROM messages m"
    " WHERE m.id IN (SELECT id FROM temp.pl_cand) AND m.id IN (SELECT id FROM messages_fts_docsize)",
    "DELETE FROM messages WHERE id IN (SELECT id FROM temp.pl_cand)",
};
static const char *const SQL_AFTER_CALLS[] = {
    "DELETE FROM temp.pl_tools WHERE id IN (SELECT tools_id FROM calls WHERE tools_id IS NOT NULL)",
    "DELETE FROM tool_lists WHERE id IN (SELECT id FROM temp.pl_tools)",
    "DELETE FROM models WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.namespace = models.namespace AND c.model = models.name)",
    /* header lists (schema 4) are shared like tool lists; the writers' caches of their ids are
     * dropped with the message ids when the deletions log moves */
    ("DELETE FROM header_sets WHERE id NOT IN (SELECT request_header_set FROM calls WHERE request_header_set IS NOT NULL)"
     " AND id NOT IN (SELECT response_header_set FROM calls WHERE response_header_set IS NOT NULL)"),
};

static int exec_changes(sqlite3 *db, const char *sql, long long *changes)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK && changes)
        *changes = sqlite3_changes64(db);
    return rc;
}

static void describe(const pl_store_delete_sel *sel, char *out, size_t n)
{
    snprintf(out, n, "%s%lld %s%lld %s%s %s%.3f", "id=", sel->id > 0 ? sel->id : 0, "conversation=",
             sel->conversation > 0 ? sel->conversation : 0, "namespace=", sel->ns ? sel->ns : "",
             "before=", sel->before > 0 ? sel->before : 0);
}

/* The whole delete, inside the transaction. */
static int delete_in(pl_store *s, const pl_store_delete_sel *sel, pl_store_delete_stats *out, char *why, size_t whylen)
{
    int v3 = has_table(s->db, "call_messages");
    int rc = sqlite3_exec(s->db,
                          "CREATE TEMP TABLE IF NOT EXISTS pl_del (id INTEGER PRIMARY KEY);"
                          "CREATE TEMP TABLE IF NOT EXISTS pl_reroot (old INTEGER PRIMARY KEY, new INTEGER);"
                          "CREATE TEMP TABLE IF NOT EXISTS pl_cand (id INTEGER PRIMARY KEY);"
                          "CREATE TEMP TABLE IF NOT EXISTS pl_tools (id INTEGER PRIMARY KEY);"
                          "DELETE FROM temp.pl_del;",
                          NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK && (rc = prepare_sel(s->db, "INSERT INTO temp.pl_del SELECT id", sel, &st)) == SQLITE_OK) {
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_changes64(s->db) == 0)
        return SQLITE_OK;   /* nothing matches: nothing written, no log row */
    if (v3 && (rc = reencode_bodies(s, &out->bodies_reencoded, why, whylen)) != SQLITE_OK)
        return rc;
    if (v3 && (rc = relink_children(s, &out->relinked)) != SQLITE_OK)
        return rc;
    size_t n = sizeof SQL_REROOT_AND_DELETE / sizeof *SQL_REROOT_AND_DELETE;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        if (!SQL_REROOT_AND_DELETE[i]) {
            rc = exec_changes(s->db, "DELETE FROM calls WHERE id IN (SELECT id FROM temp.pl_del)", &out->calls);
        } else if (v3) {
            long long changes = 0;
            rc = exec_changes(s->db, SQL_REROOT_AND_DELETE[i], &changes);
            if (strncmp(SQL_REROOT_AND_DELETE[i], "DELETE FROM messages ", 21) == 0)
                out->messages = changes;
        }
    }
    for (size_t i = 0; i < sizeof SQL_AFTER_CALLS / sizeof *SQL_AFTER_CALLS && rc == SQLITE_OK; i++) {
        long long changes = 0;
        if (v3 || i == 2)
            rc = exec_changes(s->db, SQL_AFTER_CALLS[i], &changes);
        if (i == 1)
            out->tool_lists = changes;
    }
    long long max_id = 0;
    if (rc == SQLITE_OK &&
        (rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM calls", -1, &st, NULL)) == SQLITE_OK) {
        rc = sqlite3_step(st);
        max_id = sqlite3_column_int64(st, 0);
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
        sqlite3_finalize(st);
    }
    /* a ship cursor past the ids that will be handed out again would skip the calls given them */
    if (rc == SQLITE_OK && has_table(s->db, "ship_cursors") &&
        (rc = sqlite3_prepare_v2(s->db, "UPDATE ship_cursors SET last_id = ?1 WHERE last_id > ?1", -1, &st, NULL)) ==
            SQLITE_OK) {
        sqlite3_bind_int64(st, 1, max_id);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, SQL_LOG, NULL, NULL, NULL);
    if (rc == SQLITE_OK &&
        (rc = sqlite3_prepare_v2(s->db, "INSERT INTO deletions (at, calls, selector, max_id) VALUES (?, ?, ?, ?)", -1, &st,
                                 NULL)) == SQLITE_OK) {
        char what[600];
        describe(sel, what, sizeof what);
        sqlite3_bind_double(st, 1, pl_store_now());
        sqlite3_bind_int64(st, 2, out->calls);
        sqlite3_bind_text(st, 3, what, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, max_id);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_finalize(st);
    }
    return rc;
}

int pl_store_delete(pl_store *s, const pl_store_delete_sel *sel, pl_store_delete_stats *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!selected(sel)) {
        pl_store_seterr(err, errlen, "nothing selected to delete");
        return -1;
    }
    if (s->readonly) {
        pl_store_seterr(err, errlen, "%s is open read-only", s->path);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    pl_xfsz_guard guard;
    pl_xfsz_block(&guard);
    char why[512] = "", tmp[512];
    double deadline = pl_store_mono_ms() + s->busy_ms;
    int rc;
    /* Capture's locking: BEGIN IMMEDIATE waits (busy handler, then jittered retries) for a
     * capturing writer to commit, and captures wait for this transaction the same way. */
    for (;;) {
        if (!pl_store_budget_left(s, deadline)) {
            rc = SQLITE_BUSY;
            break;
        }
        rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (!pl_store_is_busy(rc))
            break;
        pl_store_jitter(s, deadline - pl_store_mono_ms());
    }
    sqlite3_busy_timeout(s->db, s->busy_ms);
    if (rc == SQLITE_OK) {
        rc = delete_in(s, sel, out, why, sizeof why);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK && !sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        if (pl_store_is_busy(rc))
            pl_store_seterr(err, errlen, "%s stayed locked by another process for %d ms; nothing deleted", s->path,
                            s->busy_ms);
        else if (*why)
            pl_store_seterr(err, errlen, "%s: %s; nothing deleted", s->path, why);
        else
            pl_store_seterr(err, errlen, "%s; nothing deleted", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
        memset(out, 0, sizeof *out);
    } else if (out->calls) {
        /* this connection's own caches are as stale as anyone's */
        pl_msgstore_forget(s->ms);
        pl_threads_forget(s->th);
    }
    pl_xfsz_restore(&guard);
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_OK ? 0 : -1;
}

int pl_store_vacuum(pl_store *s, char *err, size_t errlen)
{
    if (s->readonly) {
        pl_store_seterr(err, errlen, "%s is open read-only", s->path);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    pl_xfsz_guard guard;
    pl_xfsz_block(&guard);
    char tmp[512];
    int rc = sqlite3_exec(s->db, "VACUUM", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        pl_store_seterr(err, errlen, "VACUUM: %s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
    else   /* the rewritten pages sit in the WAL until a checkpoint; a busy reader only delays it */
        sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    pl_xfsz_restore(&guard);
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_OK ? 0 : -1;
}

/* The deletions log is created by the first delete, so a writer may have opened the file before
 * it existed: until it does, only the schema cookie (a header read) is checked per write. */
struct pl_delwatch {
    sqlite3_stmt *gen, *cookie;
    long long seen;              /* max(id) of the log the caches were filled under */
    long long cookie_tried;      /* schema_version at the last failed prepare of gen */
};

int pl_deletions_check(pl_store *s)
{
    if (!s->dw && !(s->dw = calloc(1, sizeof *s->dw)))
        return SQLITE_NOMEM;
    struct pl_delwatch *d = s->dw;
    if (!d->gen) {
        if (!d->cookie &&
            sqlite3_prepare_v3(s->db, "PRAGMA schema_version", -1, SQLITE_PREPARE_PERSISTENT, &d->cookie, NULL) != SQLITE_OK)
            return sqlite3_errcode(s->db);
        int rc = sqlite3_step(d->cookie);
        long long cookie = rc == SQLITE_ROW ? sqlite3_column_int64(d->cookie, 0) : -1;
        sqlite3_reset(d->cookie);
        if (rc != SQLITE_ROW)
            return rc;   /* cannot read the header: the write would fail too */
        if (cookie == d->cookie_tried)
            return SQLITE_OK;   /* no schema change, so still no log: nothing was ever deleted */
        d->cookie_tried = cookie;
        if (sqlite3_prepare_v3(s->db, "SELECT coalesce(max(id), 0) FROM deletions", -1, SQLITE_PREPARE_PERSISTENT,
                               &d->gen, NULL) != SQLITE_OK) {
            d->gen = NULL;
            return SQLITE_OK;
        }
    }
    int rc = sqlite3_step(d->gen);
    long long gen = rc == SQLITE_ROW ? sqlite3_column_int64(d->gen, 0) : -1;
    sqlite3_reset(d->gen);
    if (rc != SQLITE_ROW) {
        /* the log was dropped by hand, say: never fail a capture for it; assume the worst */
        sqlite3_finalize(d->gen);
        d->gen = NULL;
        d->cookie_tried = -1;
    }
    if (gen != d->seen) {
        pl_msgstore_forget(s->ms);
        pl_threads_forget(s->th);
        d->seen = gen;
    }
    return SQLITE_OK;
}

void pl_deletions_close(pl_store *s)
{
    if (!s->dw)
        return;
    sqlite3_finalize(s->dw->gen);
    sqlite3_finalize(s->dw->cookie);
    free(s->dw);
    s->dw = NULL;
}
