/* msgtext.c — a chat record's messages, completions and tools as JSON text from the stored
 * columns (see msgtext.h), with the previous row's messages kept for its child. */
#include "msgtext.h"

#include <stdlib.h>
#include <string.h>

#include "../util/jsonw.h"

#define CACHE_SLOTS 8192                    /* power of two */
#define CACHE_BYTES ((size_t)8 << 20)       /* the arena is emptied past this: constant memory */

typedef struct slot {
    long long id;                           /* messages.id; 0 free */
    size_t at, len;                         /* its JSON text in `arena` */
} slot;

struct pl_msgtext {
    sqlite3_stmt *own, *chain, *msg, *tools;
    /* own rows by a merge: rows come in id order, and so does call_messages' primary key, so
     * one cursor walks along instead of a seek per row */
    sqlite3_stmt *scan;
    int scan_state;                         /* 0 not started, SQLITE_ROW on a row, SQLITE_DONE */
    long long scan_id;                      /* call_id of the row it is on */
    slot *cache;                            /* message id -> its JSON text */
    size_t used;
    pl_buf arena;
    pl_buf msgs, comps, tools_text;
    /* the previous row's input and output messages (without finish_reason), one after another */
    pl_buf items;
    size_t *end;                /* end offset of each item in `items` */
    size_t n, cap;
    long long call;             /* whose they are; -1 none */
    pl_buf next_items;          /* being collected for the current row */
    size_t *next_end;
    size_t next_n, next_cap;
    int oom;
};

/* A call's messages in order: its own rows, or (chain) its own and its ancestors' up to each
 * one's `inherited` (the transcript view's walk). Columns: side, finish_reason, message_id. */
static const char SQL_OWN[] =
    "SELECT side, finish_reason, message_id FROM call_messages WHERE call_id = ? ORDER BY position";
static const char SQL_CHAIN[] =
    "WITH RECURSIVE chain(anc, upto, own) AS (SELECT ?1, 9223372036854775807, 1"
    " UNION ALL SELECT c.parent_id, c.inherited, 0 FROM chain JOIN calls c ON c.id = chain.anc"
    " WHERE c.parent_id IS NOT NULL AND c.inherited > 0)"
    " SELECT CASE WHEN own THEN cm.side ELSE 'input' END, CASE WHEN own THEN cm.finish_reason END, cm.message_id"
    " FROM chain JOIN call_messages cm ON cm.call_id = chain.anc AND cm.position < chain.upto ORDER BY cm.position";
static const char SQL_SCAN[] =
    "SELECT side, finish_reason, message_id, call_id FROM call_messages WHERE call_id >= ? ORDER BY call_id, position";
static const char SQL_MSG[] =
    "SELECT NULL, NULL, role, content, tool_calls, tool_call_id, name, shape, raw FROM messages WHERE id = ?";

pl_msgtext *pl_msgtext_new(sqlite3 *db)
{
    pl_msgtext *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->call = -1;
    t->cache = calloc(CACHE_SLOTS, sizeof *t->cache);
    if (!t->cache || sqlite3_prepare_v2(db, SQL_OWN, -1, &t->own, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, SQL_CHAIN, -1, &t->chain, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, SQL_MSG, -1, &t->msg, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, SQL_SCAN, -1, &t->scan, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT tools FROM tool_lists WHERE id = ?", -1, &t->tools, NULL) != SQLITE_OK) {
        pl_msgtext_free(t);
        return NULL;
    }
    return t;
}

void pl_msgtext_free(pl_msgtext *t)
{
    if (!t)
        return;
    sqlite3_finalize(t->own);
    sqlite3_finalize(t->chain);
    sqlite3_finalize(t->msg);
    sqlite3_finalize(t->tools);
    sqlite3_finalize(t->scan);
    free(t->cache);
    pl_buf *all[] = {&t->arena, &t->msgs, &t->comps, &t->tools_text, &t->items, &t->next_items};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pl_buf_free(all[i]);
    free(t->end);
    free(t->next_end);
    free(t);
}

void pl_msgtext_forget(pl_msgtext *t)
{
    if (t)
        t->call = -1;
}

static void put(pl_msgtext *t, pl_buf *b, const void *p, size_t n)
{
    if (b->len + n < b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else if (pl_buf_append(b, p, n) != 0) {
        t->oom = 1;
    }
}

/* One message object from the current row of st (columns from 2: role, content, tool_calls,
 * tool_call_id, name, shape, raw), as messages.h describes them. */
static void message(pl_msgtext *t, pl_buf *b, sqlite3_stmt *st)
{
    const char *raw = (const char *)sqlite3_column_text(st, 8);
    if (raw) {
        put(t, b, raw, strlen(raw));
        return;
    }
    const char *shape = (const char *)sqlite3_column_text(st, 7);
    int first = 1;
    put(t, b, "{", 1);
    for (const char *p = shape ? shape : "rc"; *p; p++) {
        int col;
        const char *key;
        switch (*p) {
        case 'r': col = 2; key = "role"; break;
        case 'c': col = 3; key = "content"; break;
        case 'C': col = -1; key = "content"; break;
        case 't': col = 4; key = "tool_calls"; break;
        case 'i': col = 5; key = "tool_call_id"; break;
        case 'n': col = 6; key = "name"; break;
        default: continue;
        }
        pl_jw_key(b, key, first);
        first = 0;
        const char *v = col >= 0 ? (const char *)sqlite3_column_text(st, col) : NULL;
        if (col < 0)
            put(t, b, "null", 4);
        else if (col == 4)   /* stored as cJSON printed it */
            put(t, b, v ? v : "[]", v ? strlen(v) : 2);
        else
            pl_jw_str(b, v ? v : "");
    }
    put(t, b, "}", 1);
}

/* Message id's JSON text appended to b: from the cache, else from its row (then cached).
 * Returns 0 or -1 (a SQLite error, a missing row). */
static int message_by_id(pl_msgtext *t, pl_buf *b, long long id)
{
    size_t i = (size_t)id * 0x9E3779B97F4A7C15ULL >> 51 & (CACHE_SLOTS - 1);
    while (t->cache[i].id && t->cache[i].id != id)
        i = (i + 1) & (CACHE_SLOTS - 1);
    if (t->cache[i].id == id) {
        put(t, b, t->arena.data + t->cache[i].at, t->cache[i].len);
        return 0;
    }
    sqlite3_bind_int64(t->msg, 1, id);
    int rc = sqlite3_step(t->msg);
    size_t at = b->len;
    if (rc == SQLITE_ROW)
        message(t, b, t->msg);
    sqlite3_reset(t->msg);
    if (rc != SQLITE_ROW)
        return -1;
    if (t->used >= CACHE_SLOTS / 4 * 3 || t->arena.len + (b->len - at) > CACHE_BYTES) {
        memset(t->cache, 0, CACHE_SLOTS * sizeof *t->cache);
        t->used = 0;
        pl_buf_reset(&t->arena);
        i = (size_t)id * 0x9E3779B97F4A7C15ULL >> 51 & (CACHE_SLOTS - 1);
    }
    size_t start = t->arena.len;
    if (pl_buf_append(&t->arena, b->data + at, b->len - at) == 0) {
        t->cache[i] = (slot){id, start, b->len - at};
        t->used++;
    }
    return 0;
}

/* Remembers the text b[from..] as the next item for a child. */
static void keep(pl_msgtext *t, const pl_buf *b, size_t from)
{
    if (t->next_n == t->next_cap) {
        size_t cap = t->next_cap ? t->next_cap * 2 : 64;
        size_t *e = realloc(t->next_end, cap * sizeof *e);
        if (!e) {
            t->oom = 1;
            return;
        }
        t->next_end = e;
        t->next_cap = cap;
    }
    put(t, &t->next_items, b->data + from, b->len - from);
    t->next_end[t->next_n++] = t->next_items.len;
}

/* Appends message id to arr (a '[' already written), kept for a child without finish. */
static int add(pl_msgtext *t, pl_buf *arr, long long id, int output, const char *finish)
{
    if (arr->len > 1)
        put(t, arr, ",", 1);
    size_t at = arr->len;
    if (message_by_id(t, arr, id) != 0)
        return -1;
    keep(t, arr, at);
    if (output && finish && arr->len > at && arr->data[arr->len - 1] == '}') {
        /* cJSON_AddStringToObject appends the member last */
        arr->len--;
        if (arr->len - at > 1)
            put(t, arr, ",", 1);
        pl_jw_str(arr, "finish_reason");
        put(t, arr, ":", 1);
        pl_jw_str(arr, finish);
        put(t, arr, "}", 1);
    }
    return 0;
}

/* Steps the merge cursor. Returns SQLite's code. */
static int scan_step(pl_msgtext *t)
{
    t->scan_state = sqlite3_step(t->scan);
    if (t->scan_state == SQLITE_ROW)
        t->scan_id = sqlite3_column_int64(t->scan, 3);
    return t->scan_state == SQLITE_ROW || t->scan_state == SQLITE_DONE ? SQLITE_OK : t->scan_state;
}

/* Call id's own call_messages rows, by the merge cursor (a seek when it is behind by much or
 * ahead: a filtered export skips many ids). Returns SQLite's code. */
static int own_rows(pl_msgtext *t, long long id)
{
    int rc = SQLITE_OK;
    if (t->scan_state == 0 || (t->scan_state == SQLITE_ROW && (t->scan_id > id || id - t->scan_id > 512)) ||
        (t->scan_state == SQLITE_DONE && t->scan_id > id)) {
        sqlite3_reset(t->scan);
        sqlite3_bind_int64(t->scan, 1, id);
        t->scan_id = id;
        rc = scan_step(t);
    }
    while (rc == SQLITE_OK && t->scan_state == SQLITE_ROW && t->scan_id < id)
        rc = scan_step(t);
    while (rc == SQLITE_OK && t->scan_state == SQLITE_ROW && t->scan_id == id) {
        const char *side = (const char *)sqlite3_column_text(t->scan, 0);
        int output = side && strcmp(side, "output") == 0;
        if (add(t, output ? &t->comps : &t->msgs, sqlite3_column_int64(t->scan, 2), output,
                (const char *)sqlite3_column_text(t->scan, 1)) != 0)
            return SQLITE_ERROR;
        rc = scan_step(t);
    }
    return rc;
}

int pl_msgtext_build(pl_msgtext *t, pl_row *r)
{
    sqlite3_stmt *own = t->own, *chain = t->chain, *tools = t->tools;
    t->oom = 0;
    pl_buf_reset(&t->msgs);
    pl_buf_reset(&t->comps);
    pl_buf_reset(&t->tools_text);
    pl_buf_reset(&t->next_items);
    t->next_n = 0;
    put(t, &t->msgs, "[", 1);
    put(t, &t->comps, "[", 1);
    sqlite3_stmt *st = chain;
    if (r->inherited <= 0) {
        st = own;
    } else if (r->parent_id == t->call && t->n >= (size_t)r->inherited) {
        st = own;   /* the parent was the row before: its messages are at hand */
        for (size_t k = 0; k < (size_t)r->inherited; k++) {
            size_t from = k ? t->end[k - 1] : 0;
            if (t->msgs.len > 1)
                put(t, &t->msgs, ",", 1);
            size_t at = t->msgs.len;
            put(t, &t->msgs, t->items.data + from, t->end[k] - from);
            keep(t, &t->msgs, at);
        }
    }
    int rc;
    if (st == own) {
        rc = own_rows(t, r->id);
        rc = rc == SQLITE_OK ? SQLITE_DONE : rc;
    } else {
        sqlite3_bind_int64(st, 1, r->id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *side = (const char *)sqlite3_column_text(st, 0);
            int output = side && strcmp(side, "output") == 0;
            if (add(t, output ? &t->comps : &t->msgs, sqlite3_column_int64(st, 2), output,
                    (const char *)sqlite3_column_text(st, 1)) != 0) {
                rc = SQLITE_ERROR;
                break;
            }
        }
        sqlite3_reset(st);
    }
    put(t, &t->msgs, "]", 1);
    put(t, &t->comps, "]", 1);
    int have_tools = 0;
    if (rc == SQLITE_DONE && r->tools_id > 0) {
        sqlite3_bind_int64(tools, 1, r->tools_id);
        if ((rc = sqlite3_step(tools)) == SQLITE_ROW) {
            const char *v = (const char *)sqlite3_column_text(tools, 0);
            if (v) {
                put(t, &t->tools_text, v, strlen(v));
                have_tools = 1;
            }
            rc = SQLITE_DONE;
        }
        sqlite3_reset(tools);
    }
    /* the kept messages become this row's */
    pl_buf b = t->items;
    t->items = t->next_items;
    t->next_items = b;
    size_t *e = t->end, cap = t->cap;
    t->end = t->next_end;
    t->cap = t->next_cap;
    t->next_end = e;
    t->next_cap = cap;
    t->n = t->next_n;
    t->call = rc == SQLITE_DONE && !t->oom ? r->id : -1;
    if (rc != SQLITE_DONE || t->oom)
        return -1;
    r->messages_json = pl_buf_cstr(&t->msgs);
    r->completions_json = pl_buf_cstr(&t->comps);
    r->tools_json = have_tools ? pl_buf_cstr(&t->tools_text) : NULL;
    return 0;
}
