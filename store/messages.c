/* messages.c — content-addressed messages and tool lists (see messages.h): collecting them from
 * a normalized record, hashing their exact JSON, the per-connection id cache, and the rows. */
#include "messages.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 16384       /* power of two; cleared when 3/4 full */
#define TOOLS_SEED 0x746f6f6c73ULL
#define HEADERS_SEED 0x68656164657273ULL

/* ---- hashing --------------------------------------------------------------------------- */

static inline uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

uint64_t pl_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = mix(h, w);
    }
    uint64_t tail = 0;
    memcpy(&tail, b + i, n - i);
    return mix(mix(h, tail), n);
}

/* A walk of the tree: equal JSON texts give equal hashes without printing anything. */
uint64_t pl_hash_json(uint64_t h, const cJSON *v)
{
    if (!v)
        return mix(h, 1);
    h = mix(h, (uint64_t)(v->type & 0xff) + 16);
    if (cJSON_IsString(v) && v->valuestring) {
        h = pl_hash_bytes(h, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        uint64_t bits;
        memcpy(&bits, &v->valuedouble, 8);
        h = mix(h, bits);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c->string)
                h = pl_hash_bytes(h, c->string, strlen(c->string));
            h = pl_hash_json(h, c);
        }
        h = mix(h, 2);
    }
    return h ? h : 1;
}

/* ---- collecting ------------------------------------------------------------------------ */

static int push(pl_msgs *m, const cJSON *json, const char *finish)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        pl_msg *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return -1;
        m->v = v;
        m->cap = cap;
    }
    /* One walk gives both hashes: the link hash skips null members, the exact one adds them. */
    uint64_t link = mix(0, (uint64_t)(json ? json->type & 0xff : 0) + 16), exact;
    if (cJSON_IsObject(json)) {
        uint64_t nulls = 0;
        size_t pos = 0;
        for (const cJSON *c = json->child; c; c = c->next, pos++) {
            uint64_t k = c->string ? pl_hash_bytes(0, c->string, strlen(c->string)) : 0;
            if (cJSON_IsNull(c)) {
                nulls = mix(nulls, k + pos);
                continue;
            }
            link = pl_hash_json(mix(link, k), c);
        }
        link = mix(link, 2);
        exact = nulls ? mix(link, nulls) : link;
    } else {
        link = exact = pl_hash_json(0, json);
    }
    m->v[m->n++] = (pl_msg){.json = json, .hash = exact ? exact : 1, .link = link ? link : 1, .id = -1,
                            .finish_reason = finish};
    return 0;
}

/* {"role": role, "content": text} owned by m. */
static const cJSON *text_msg(pl_msgs *m, const char *role, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "role", role) || !cJSON_AddStringToObject(o, "content", text)) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddItemToArray(m->owned, o);
    return o;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int pl_msgs_collect(const cJSON *rec, pl_msgs *m)
{
    memset(m, 0, sizeof *m);
    m->tools_id = m->system_id = -1;
    if (!rec || !(m->owned = cJSON_CreateArray()))
        return rec ? -1 : 0;
    const char *kind = jstr(rec, "kind");
    if (kind && strcmp(kind, "text") == 0) {
        const char *sys = jstr(rec, "system"), *prompt = jstr(rec, "prompt"), *resp = jstr(rec, "response");
        const cJSON *o;
        if (sys && (!(o = text_msg(m, "system", sys)) || push(m, o, NULL) != 0))
            return -1;
        if (prompt && (!(o = text_msg(m, "prompt", prompt)) || push(m, o, NULL) != 0))
            return -1;
        m->n_in = m->n;
        if (resp && (!(o = text_msg(m, "completion", resp)) || push(m, o, jstr(rec, "finish_reason")) != 0))
            return -1;
        return 0;
    }
    if (kind && strcmp(kind, "chat") != 0)
        return 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, cJSON_GetObjectItemCaseSensitive(rec, "messages"))
        if (push(m, msg, NULL) != 0)
            return -1;
    m->n_in = m->n;
    cJSON_ArrayForEach(msg, cJSON_GetObjectItemCaseSensitive(rec, "completions")) {
        /* the message as a client re-sends it: finish_reason lives in call_messages */
        cJSON *copy = cJSON_Duplicate(msg, 1);
        if (!copy)
            return -1;
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "finish_reason");
        cJSON_AddItemToArray(m->owned, copy);
        if (push(m, copy, jstr(msg, "finish_reason")) != 0)
            return -1;
    }
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(rec, "tools");
    if (tools && tools->child) {
        m->tools = tools;
        m->tools_hash = pl_hash_json(TOOLS_SEED, tools);
    }
    return 0;
}

void pl_msgs_free(pl_msgs *m)
{
    free(m->v);
    cJSON_Delete(m->owned);
    memset(m, 0, sizeof *m);
}

/* ---- shapes ---------------------------------------------------------------------------- */

typedef struct cols {
    const char *role, *content, *tool_call_id, *name;
    char *tool_calls;           /* printed */
    char *raw;                  /* printed, only for messages outside the column shape */
    char *text;                 /* content text made for a raw message */
    char shape[12];
} cols;

/* Concatenated "text" members of an array of content parts. */
static char *parts_text(const cJSON *content)
{
    size_t len = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, content) {
        const char *t = jstr(p, "text");
        len += t ? strlen(t) : 0;
    }
    char *out = malloc(len + 1), *w = out;
    if (!out)
        return NULL;
    cJSON_ArrayForEach(p, content) {
        const char *t = jstr(p, "text");
        if (t) {
            size_t n = strlen(t);
            memcpy(w, t, n);
            w += n;
        }
    }
    *w = '\0';
    return out;
}

static int to_cols(const cJSON *msg, cols *c)
{
    memset(c, 0, sizeof *c);
    int canonical = cJSON_IsObject(msg);
    size_t k = 0;
    for (const cJSON *it = msg ? msg->child : NULL; it && canonical; it = it->next) {
        char ch = 0;
        const char *key = it->string ? it->string : "";
        if (strcmp(key, "role") == 0 && cJSON_IsString(it) && !c->role) {
            ch = 'r';
            c->role = it->valuestring;
        } else if (strcmp(key, "content") == 0 && cJSON_IsString(it) && !strchr(c->shape, 'c')) {
            ch = 'c';
            c->content = it->valuestring;
        } else if (strcmp(key, "content") == 0 && cJSON_IsNull(it) && !strchr(c->shape, 'C')) {
            ch = 'C';
        } else if (strcmp(key, "tool_calls") == 0 && cJSON_IsArray(it) && !c->tool_calls) {
            ch = 't';
            if (!(c->tool_calls = cJSON_PrintUnformatted(it)))
                return -1;
        } else if (strcmp(key, "tool_call_id") == 0 && cJSON_IsString(it) && !c->tool_call_id) {
            ch = 'i';
            c->tool_call_id = it->valuestring;
        } else if (strcmp(key, "name") == 0 && cJSON_IsString(it) && !c->name) {
            ch = 'n';
            c->name = it->valuestring;
        }
        if (!ch || k + 1 >= sizeof c->shape)
            canonical = 0;
        else
            c->shape[k++] = ch;
    }
    if (canonical)
        return 0;
    /* Keep the exact JSON; the columns still get what a reader of the shell wants. */
    if (!(c->raw = cJSON_PrintUnformatted(msg)))
        return -1;
    c->shape[0] = '\0';
    c->role = jstr(msg, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    c->content = cJSON_IsString(content) ? content->valuestring : NULL;
    if (!c->content && cJSON_IsArray(content))
        c->content = c->text = parts_text(content);
    c->tool_call_id = jstr(msg, "tool_call_id");
    c->name = jstr(msg, "name");
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (!c->tool_calls && cJSON_IsArray(tc))
        c->tool_calls = cJSON_PrintUnformatted(tc);
    return 0;
}

static void cols_free(cols *c)
{
    cJSON_free(c->tool_calls);
    cJSON_free(c->raw);
    free(c->text);
}

char *pl_msg_json_from_columns(const char *role, const char *content, int content_null, const char *tool_calls,
                               const char *tool_call_id, const char *name, const char *shape, const char *raw)
{
    (void)content_null;
    if (raw)
        return strdup(raw);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    for (const char *s = shape ? shape : "rc"; *s; s++) {
        switch (*s) {
        case 'r': cJSON_AddStringToObject(o, "role", role ? role : ""); break;
        case 'c': cJSON_AddStringToObject(o, "content", content ? content : ""); break;
        case 'C': cJSON_AddNullToObject(o, "content"); break;
        case 't': cJSON_AddItemToObject(o, "tool_calls", tool_calls ? cJSON_Parse(tool_calls) : cJSON_CreateArray()); break;
        case 'i': cJSON_AddStringToObject(o, "tool_call_id", tool_call_id ? tool_call_id : ""); break;
        case 'n': cJSON_AddStringToObject(o, "name", name ? name : ""); break;
        }
    }
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!out)
        return NULL;
    char *copy = strdup(out);   /* callers free() */
    cJSON_free(out);
    return copy;
}

/* ---- the store side -------------------------------------------------------------------- */

typedef struct slot {
    uint64_t hash;
    long long id;
} slot;

struct pl_msgstore {
    sqlite3 *db;
    sqlite3_stmt *sel, *ins, *fts, *link, *sel_tools, *ins_tools, *sel_hdrs, *ins_hdrs;
    slot *cache;
    size_t used;
    slot *pending;
    size_t n_pending, cap_pending;
    int unindexed;              /* messages this process stored since its last FTS batch */
};

static const char *const SQL_SEL =
    "SELECT id, role, content, tool_calls, tool_call_id, name, shape, raw FROM messages WHERE hash = ?";
static const char *const SQL_INS =
    "INSERT INTO messages (hash, role, content, tool_calls, tool_call_id, name, shape, raw) VALUES (?,?,?,?,?,?,?,?)";
/* Everything past the highest indexed id, committed by any process: no gap can open, since
 * each batch takes all of it under the write lock. */
static const char *const SQL_FTS =
    "INSERT INTO messages_fts (rowid, content) SELECT id, content FROM messages"
    " WHERE id > (SELECT coalesce(max(id), 0) FROM messages_fts_docsize) AND content IS NOT NULL AND content != ''";
static const char *const SQL_LINK =
    "INSERT OR REPLACE INTO call_messages (call_id, position, side, message_id, finish_reason) VALUES (?,?,?,?,?)";
static const char *const SQL_SEL_TOOLS = "SELECT id, tools FROM tool_lists WHERE hash = ?";
static const char *const SQL_INS_TOOLS = "INSERT INTO tool_lists (hash, tools) VALUES (?, ?)";
static const char *const SQL_SEL_HDRS = "SELECT id, headers FROM header_sets WHERE hash = ?";
static const char *const SQL_INS_HDRS = "INSERT INTO header_sets (hash, headers) VALUES (?, ?)";

pl_msgstore *pl_msgstore_open(sqlite3 *db)
{
    pl_msgstore *ms = calloc(1, sizeof *ms);
    if (!ms)
        return NULL;
    ms->db = db;
    ms->cache = calloc(CACHE_SLOTS, sizeof *ms->cache);
    struct { const char *sql; sqlite3_stmt **st; } all[] = {
        {SQL_SEL, &ms->sel}, {SQL_INS, &ms->ins}, {SQL_FTS, &ms->fts}, {SQL_LINK, &ms->link},
        {SQL_SEL_TOOLS, &ms->sel_tools}, {SQL_INS_TOOLS, &ms->ins_tools},
        {SQL_SEL_HDRS, &ms->sel_hdrs}, {SQL_INS_HDRS, &ms->ins_hdrs},
    };
    int ok = ms->cache != NULL;
    for (size_t i = 0; ok && i < sizeof all / sizeof *all; i++)
        ok = sqlite3_prepare_v3(db, all[i].sql, -1, SQLITE_PREPARE_PERSISTENT, all[i].st, NULL) == SQLITE_OK;
    if (!ok) {
        pl_msgstore_close(ms);
        return NULL;
    }
    return ms;
}

void pl_msgstore_close(pl_msgstore *ms)
{
    if (!ms)
        return;
    sqlite3_stmt *all[] = {ms->sel, ms->ins, ms->fts, ms->link, ms->sel_tools, ms->ins_tools, ms->sel_hdrs, ms->ins_hdrs};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    free(ms->cache);
    free(ms->pending);
    free(ms);
}

static long long cache_get(pl_msgstore *ms, uint64_t hash)
{
    for (size_t i = hash & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
        if (ms->cache[i].hash == hash)
            return ms->cache[i].id;
        if (!ms->cache[i].hash)
            return -1;
    }
}

static void cache_put(pl_msgstore *ms, uint64_t hash, long long id)
{
    if (ms->used >= CACHE_SLOTS / 4 * 3) {
        memset(ms->cache, 0, CACHE_SLOTS * sizeof *ms->cache);
        ms->used = 0;
    }
    size_t i = hash & (CACHE_SLOTS - 1);
    while (ms->cache[i].hash && ms->cache[i].hash != hash)
        i = (i + 1) & (CACHE_SLOTS - 1);
    if (!ms->cache[i].hash)
        ms->used++;
    ms->cache[i] = (slot){hash, id};
}

static int pend(pl_msgstore *ms, uint64_t hash, long long id)
{
    if (ms->n_pending == ms->cap_pending) {
        size_t cap = ms->cap_pending ? ms->cap_pending * 2 : 64;
        slot *p = realloc(ms->pending, cap * sizeof *p);
        if (!p)
            return -1;
        ms->pending = p;
        ms->cap_pending = cap;
    }
    ms->pending[ms->n_pending++] = (slot){hash, id};
    return 0;
}

void pl_msgstore_commit(pl_msgstore *ms)
{
    for (size_t i = 0; i < ms->n_pending; i++)
        cache_put(ms, ms->pending[i].hash, ms->pending[i].id);
    ms->n_pending = 0;
}

void pl_msgstore_rollback(pl_msgstore *ms)
{
    ms->n_pending = 0;
}

void pl_msgstore_forget(pl_msgstore *ms)
{
    if (!ms)
        return;
    memset(ms->cache, 0, CACHE_SLOTS * sizeof *ms->cache);
    ms->used = 0;
    ms->n_pending = 0;
}

int pl_msgstore_index(pl_msgstore *ms, int force)
{
    if (!force && ms->unindexed < PL_FTS_BATCH)
        return SQLITE_OK;
    int rc = sqlite3_step(ms->fts);
    sqlite3_reset(ms->fts);
    if (rc != SQLITE_DONE)
        return rc;
    ms->unindexed = 0;
    return SQLITE_OK;
}

int pl_msgstore_pending(const pl_msgstore *ms)
{
    return ms && ms->unindexed > 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The row with this hash and exactly these columns, or an insert. The hash is 64 bits and an
 * equal hash is checked column by column, so a collision costs a second row, never a wrong one. */
static int resolve_one(pl_msgstore *ms, pl_msg *m)
{
    long long id = cache_get(ms, m->hash);
    if (id > 0) {
        m->id = id;
        return SQLITE_OK;
    }
    cols c;
    if (to_cols(m->json, &c) != 0)
        return SQLITE_NOMEM;
    int rc;
    sqlite3_stmt *st = ms->sel;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)m->hash);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *raw = (const char *)sqlite3_column_text(st, 7);
        int same = c.raw ? same_text(raw, c.raw)
                         : !raw && same_text((const char *)sqlite3_column_text(st, 1), c.role) &&
                               same_text((const char *)sqlite3_column_text(st, 2), c.content) &&
                               same_text((const char *)sqlite3_column_text(st, 3), c.tool_calls) &&
                               same_text((const char *)sqlite3_column_text(st, 4), c.tool_call_id) &&
                               same_text((const char *)sqlite3_column_text(st, 5), c.name) &&
                               same_text((const char *)sqlite3_column_text(st, 6), c.shape);
        if (same) {
            id = sqlite3_column_int64(st, 0);
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        cols_free(&c);
        return rc;
    }
    if (id <= 0) {
        st = ms->ins;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)m->hash);
        bind_text(st, 2, c.role);
        bind_text(st, 3, c.content);
        bind_text(st, 4, c.tool_calls);
        bind_text(st, 5, c.tool_call_id);
        bind_text(st, 6, c.name);
        bind_text(st, 7, c.raw ? NULL : c.shape);
        bind_text(st, 8, c.raw);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            cols_free(&c);
            return rc;
        }
        id = sqlite3_last_insert_rowid(ms->db);
        ms->unindexed++;   /* indexed in batches: pl_msgstore_index */
    }
    cols_free(&c);
    m->id = id;
    return pend(ms, m->hash, id) == 0 ? SQLITE_OK : SQLITE_NOMEM;
}

/* The row of a (hash, text) table with exactly this text, or an insert; its id cached once
 * committed. Tool lists and header sets. */
static int resolve_text(pl_msgstore *ms, sqlite3_stmt *sel, sqlite3_stmt *ins, uint64_t hash, const char *text,
                        long long *out)
{
    long long id = cache_get(ms, hash);
    if (id > 0) {
        *out = id;
        return SQLITE_OK;
    }
    int rc;
    sqlite3_bind_int64(sel, 1, (sqlite3_int64)hash);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW)
        if (same_text((const char *)sqlite3_column_text(sel, 1), text)) {
            id = sqlite3_column_int64(sel, 0);
            break;
        }
    sqlite3_reset(sel);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        rc = SQLITE_OK;
        if (id <= 0) {
            sqlite3_bind_int64(ins, 1, (sqlite3_int64)hash);
            sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
            rc = sqlite3_step(ins);
            sqlite3_reset(ins);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            id = sqlite3_last_insert_rowid(ms->db);
        }
    }
    if (rc == SQLITE_OK) {
        *out = id;
        rc = pend(ms, hash, id) == 0 ? SQLITE_OK : SQLITE_NOMEM;
    }
    return rc;
}

static int resolve_tools(pl_msgstore *ms, pl_msgs *m)
{
    long long id = cache_get(ms, m->tools_hash);
    if (id > 0) {
        m->tools_id = id;
        return SQLITE_OK;
    }
    char *text = cJSON_PrintUnformatted(m->tools);
    if (!text)
        return SQLITE_NOMEM;
    int rc = resolve_text(ms, ms->sel_tools, ms->ins_tools, m->tools_hash, text, &m->tools_id);
    cJSON_free(text);
    return rc;
}

int pl_msgstore_header_set(pl_msgstore *ms, const char *tmpl, size_t len, long long *id)
{
    return resolve_text(ms, ms->sel_hdrs, ms->ins_hdrs, pl_hash_bytes(HEADERS_SEED, tmpl, len), tmpl, id);
}

int pl_msgstore_resolve(pl_msgstore *ms, pl_msgs *m)
{
    m->system_id = -1;
    for (size_t i = 0; i < m->n; i++) {
        int rc = resolve_one(ms, &m->v[i]);
        if (rc != SQLITE_OK)
            return rc;
        if (i < m->n_in && m->system_id < 0) {
            const char *role = jstr(m->v[i].json, "role");
            if (role && strcmp(role, "system") == 0)
                m->system_id = m->v[i].id;
        }
    }
    return m->tools ? resolve_tools(ms, m) : SQLITE_OK;
}

int pl_msgstore_link(pl_msgstore *ms, long long call_id, const pl_msgs *m, size_t from)
{
    sqlite3_stmt *st = ms->link;
    for (size_t i = from; i < m->n; i++) {
        sqlite3_bind_int64(st, 1, call_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_text(st, 3, i < m->n_in ? "input" : "output", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, m->v[i].id);
        bind_text(st, 5, m->v[i].finish_reason);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return SQLITE_OK;
}
