/* search.c — full-text search over the readable store (pl_store_search): an FTS5 MATCH on
 * messages_fts, joined to the calls that sent or received each matching message. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pl_store_hits_free(pl_store_hit *hits, size_t n)
{
    for (size_t i = 0; hits && i < n; i++) {
        free(hits[i].role);
        free(hits[i].content);
    }
    free(hits);
}

int pl_store_search(pl_store *s, const pl_store_filter *f, const char *match, pl_store_hit **out, size_t *nout, char *err,
                    size_t errlen)
{
    *out = NULL;
    *nout = 0;
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT cm.call_id, m.role, m.content FROM messages_fts f JOIN messages m ON m.id = f.rowid"
             " JOIN call_messages cm ON cm.message_id = m.id JOIN calls c ON c.id = cm.call_id"
             " WHERE messages_fts MATCH :q%s%s%s GROUP BY cm.call_id ORDER BY cm.call_id",
             f->ns ? " AND c.namespace = :ns" : "", f->since > 0 ? " AND c.started_at >= :since" : "",
             f->until > 0 ? " AND c.started_at < :until" : "");
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        pl_store_seterr(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":q"), match, -1, SQLITE_STATIC);
    pl_store_bind_filter(st, f);   /* a parameter the query lacks is skipped (index 0) */
    pl_store_hit *hits = NULL;
    size_t n = 0, cap = 0;
    int rc, result = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            pl_store_hit *nh = realloc(hits, cap * sizeof *nh);
            if (!nh) {
                rc = SQLITE_NOMEM;
                break;
            }
            hits = nh;
        }
        const char *role = (const char *)sqlite3_column_text(st, 1), *content = (const char *)sqlite3_column_text(st, 2);
        hits[n++] = (pl_store_hit){sqlite3_column_int64(st, 0), role ? strdup(role) : NULL, content ? strdup(content) : NULL};
    }
    if (rc != SQLITE_DONE) {
        /* FTS5 reports a query it cannot parse as an error of the statement: bad input */
        const char *msg = rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db);
        result = strstr(msg, "fts5") || strstr(msg, "syntax") ? -2 : -1;
        pl_store_seterr(err, errlen, result == -2 ? "search: %s" : "%s", msg);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    if (result != 0) {
        pl_store_hits_free(hits, n);
        return result;
    }
    *out = hits;
    *nout = n;
    return 0;
}
