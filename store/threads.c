/* threads.c — conversation linking by content and the cache of recent request bodies that
 * children are compressed against (see threads.h). */
#include "threads.h"

#include <stdlib.h>
#include <string.h>

#define KEY_SEED 0x7468726561640aULL
#define RECENT 8                /* request bodies kept for prefix compression */
#define RECENT_MAX_BODY ((size_t)1 << 20)

typedef struct recent {
    long long id;
    int depth;
    pl_buf body[2];
} recent;

struct pl_threads {
    sqlite3 *db;
    sqlite3_stmt *find, *root, *next_id;
    recent bodies[RECENT];
    unsigned next;
};

pl_threads *pl_threads_open(sqlite3 *db)
{
    pl_threads *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->db = db;
    if (sqlite3_prepare_v3(db,
                           "SELECT id, conversation_id, coalesce(content_hash, thread_hash) FROM calls WHERE namespace = ? AND thread_hash = ?"
                           " ORDER BY id DESC LIMIT 1",
                           -1, SQLITE_PREPARE_PERSISTENT, &t->find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "UPDATE calls SET conversation_id = id WHERE id = ?", -1, SQLITE_PREPARE_PERSISTENT,
                           &t->root, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "SELECT coalesce(max(id), 0) + 1 FROM calls", -1, SQLITE_PREPARE_PERSISTENT,
                           &t->next_id, NULL) != SQLITE_OK) {
        pl_threads_close(t);
        return NULL;
    }
    return t;
}

void pl_threads_close(pl_threads *t)
{
    if (!t)
        return;
    sqlite3_finalize(t->find);
    sqlite3_finalize(t->root);
    sqlite3_finalize(t->next_id);
    for (int i = 0; i < RECENT; i++)
        for (int k = 0; k < 2; k++)
            pl_buf_free(&t->bodies[i].body[k]);
    free(t);
}

static uint64_t step(uint64_t h, uint64_t link)
{
    h = pl_hash_bytes(h, &link, sizeof link);
    return h ? h : 1;
}

uint64_t pl_threads_key(const pl_msgs *m, int exact)
{
    if (m->n == m->n_in || m->n_in == 0)
        return 0;
    uint64_t h = KEY_SEED;
    for (size_t i = 0; i < m->n; i++)
        h = step(h, exact ? m->v[i].hash : m->v[i].link);
    return h;
}

int pl_threads_find_parent(pl_threads *t, const char *ns, const pl_msgs *m, long long *parent, long long *conv,
                           int *inherited)
{
    *parent = *conv = -1;
    *inherited = 0;
    if (m->n_in < 2)
        return SQLITE_OK;   /* a parent had at least one input and one output message */
    uint64_t stack[64], *h = m->n_in <= 64 ? stack : malloc(m->n_in * sizeof *h);
    if (!h)
        return SQLITE_NOMEM;
    uint64_t acc = KEY_SEED;
    for (size_t i = 0; i < m->n_in; i++)
        h[i] = acc = step(acc, m->v[i].link);
    int rc = SQLITE_OK;
    /* h[j-1] covers the first j messages; the longest matching prefix is the closest parent */
    for (size_t j = m->n_in; j >= 2 && *parent < 0; j--) {
        sqlite3_bind_text(t->find, 1, ns, -1, SQLITE_STATIC);
        sqlite3_bind_int64(t->find, 2, (sqlite3_int64)h[j - 1]);
        rc = sqlite3_step(t->find);
        if (rc == SQLITE_ROW) {
            *parent = sqlite3_column_int64(t->find, 0);
            *conv = sqlite3_column_type(t->find, 1) == SQLITE_NULL ? *parent : sqlite3_column_int64(t->find, 1);
            /* Its rows stand in for ours only when the messages are the same to the byte (a
             * re-sent "content": null continues the thread but is not the stored completion). */
            uint64_t exact = KEY_SEED;
            for (size_t i = 0; i < j; i++)
                exact = step(exact, m->v[i].hash);
            *inherited = (long long)exact == sqlite3_column_int64(t->find, 2) ? (int)j : 0;
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
        sqlite3_reset(t->find);
        if (rc != SQLITE_OK)
            break;
    }
    if (h != stack)
        free(h);
    return rc;
}

int pl_threads_set_root(pl_threads *t, long long id)
{
    sqlite3_bind_int64(t->root, 1, id);
    int rc = sqlite3_step(t->root);
    sqlite3_reset(t->root);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

const pl_buf *pl_threads_body(pl_threads *t, long long call_id, int side, int *depth)
{
    for (int i = 0; i < RECENT; i++)
        if (t->bodies[i].id == call_id && call_id > 0 && t->bodies[i].body[side].data) {
            *depth = t->bodies[i].depth;
            return &t->bodies[i].body[side];
        }
    return NULL;
}

void pl_threads_remember(pl_threads *t, long long call_id, const char *req, size_t req_len, const char *resp,
                         size_t resp_len, int depth)
{
    recent *r = &t->bodies[t->next++ % RECENT];
    r->id = -1;
    const char *b[2] = {req, resp};
    size_t n[2] = {req_len, resp_len};
    for (int k = 0; k < 2; k++) {
        pl_buf_free(&r->body[k]);   /* a NULL data pointer means: not held */
        if (b[k] && n[k] <= RECENT_MAX_BODY && (pl_buf_append(&r->body[k], b[k], n[k]) != 0 || !r->body[k].data))
            return;
    }
    r->id = call_id;
    r->depth = depth;
}

void pl_threads_forget(pl_threads *t)
{
    for (int i = 0; t && i < RECENT; i++)
        t->bodies[i].id = -1;
}

int pl_links_before(pl_store *s, const char *ns, pl_msgs *m, pl_row *w)
{
    w->parent_id = w->conversation_id = w->system_id = w->tools_id = -1;
    w->thread_hash = w->content_hash = 0;
    w->inherited = -1;
    w->root_guess = 0;
    if (!m->n || !s->ms || !s->th)
        return SQLITE_OK;
    int rc = pl_msgstore_resolve(s->ms, m);
    if (rc == SQLITE_OK)
        rc = pl_threads_find_parent(s->th, ns, m, &w->parent_id, &w->conversation_id, &w->inherited);
    if (rc == SQLITE_OK && w->conversation_id < 0 && w->id > 0)
        w->conversation_id = w->id;   /* the backfill: the row exists */
    if (rc == SQLITE_OK && w->conversation_id < 0) {
        /* A root is its own conversation. Under the write lock the next rowid is max + 1, so
         * the row is written complete instead of updated after (an update writes the page
         * again); pl_links_after checks the guess. */
        rc = sqlite3_step(s->th->next_id);
        if (rc == SQLITE_ROW) {
            w->conversation_id = sqlite3_column_int64(s->th->next_id, 0);
            w->root_guess = 1;
            rc = SQLITE_OK;
        }
        sqlite3_reset(s->th->next_id);
    }
    w->system_id = m->system_id;
    w->tools_id = m->tools_id;
    w->thread_hash = (long long)pl_threads_key(m, 0);
    w->content_hash = (long long)pl_threads_key(m, 1);
    if (w->content_hash == w->thread_hash)
        w->content_hash = 0;   /* stored NULL: the same as thread_hash (no null members), 9 bytes a row */
    return rc;
}

int pl_links_after(pl_store *s, long long id, const pl_msgs *m, const pl_row *w)
{
    if (!m->n || !s->ms || !s->th)
        return SQLITE_OK;
    int rc = pl_msgstore_link(s->ms, id, m, w->inherited > 0 ? (size_t)w->inherited : 0);
    if (rc == SQLITE_OK && (w->conversation_id < 0 || (w->root_guess && w->conversation_id != id)))
        rc = pl_threads_set_root(s->th, id);
    return rc;
}
