/* store.c — the namespaced SQLite store (see store.h): schema, race-safe creation, bounded
 * write retries under concurrency, redaction and zstd compression on insert, streaming reads.
 *
 * Schema (PRAGMA user_version = 1). Unknown numbers are NULL; bodies are zstd frames.
 *
 *   calls    one row per captured HTTP exchange
 *     id INTEGER PRIMARY KEY     insertion order = oldest first
 *     namespace TEXT             PROMPTLOG_NAMESPACE ("default")
 *     provider, host, model TEXT "openai", "api.openai.com", "gpt-4o-mini"
 *     api TEXT                   "openai.chat", "anthropic.messages", ... (llm.h pl_api_name)
 *     kind TEXT                  "chat" | "text" | "embedding"
 *     method, url, path TEXT     url is redacted (credential query values, userinfo); path has no query
 *     status INTEGER             HTTP status, 0 when no response arrived
 *     stream, incomplete, truncated INTEGER   0/1 flags
 *     started_at REAL            epoch seconds (datetime(started_at,'unixepoch') in the shell)
 *     duration, ttfb, ttft REAL  seconds: total, to first response byte, to first token
 *     input_tokens, output_tokens INTEGER
 *     finish_reason, error TEXT
 *     prompt_preview, completion_preview TEXT  short single-line texts
 *     pid INTEGER, program TEXT  the capturing process
 *     source TEXT                "curl" | "openssl" | "gnutls"
 *     http_version INTEGER       10, 11, 20, 30
 *     content_type TEXT          response Content-Type
 *     request_headers, response_headers TEXT   JSON [[name, value], ...], wire order, redacted
 *     request_size, response_size INTEGER      uncompressed body sizes in bytes
 *     request_body, response_body BLOB         zstd (content-decoded bodies, not redacted)
 *     indexes: (namespace, id), (namespace, model)
 *   models   one row per (namespace, model name), first time seen
 *     id INTEGER PRIMARY KEY, namespace TEXT, name TEXT, provider TEXT, created REAL (epoch)
 *     UNIQUE(namespace, name)
 *   calls_summary   VIEW: id, namespace, started (UTC text), seconds, provider, model, status,
 *                   input_tokens, output_tokens, finish_reason, prompt, completion
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "redact.h"
#include "zblob.h"

#define DEFAULT_BUSY_MS 2000

struct pl_store {
    sqlite3 *db;
    char *path;
    char *redact;                /* extra redaction names, or NULL */
    int readonly;
    int busy_ms;
    pthread_mutex_t lock;
    sqlite3_stmt *ins_call;
    sqlite3_stmt *ins_model;
    ZSTD_CCtx *cctx;
    pl_buf zreq, zresp;          /* compression scratch, reused across inserts */
    unsigned long long rng;      /* jitter for retries; never rand(), which the host owns */
};

static const char SCHEMA_SQL[] =
    "CREATE TABLE IF NOT EXISTS calls (\n"
    " id INTEGER PRIMARY KEY,\n"
    " namespace TEXT NOT NULL DEFAULT 'default',\n"
    " provider TEXT, host TEXT, model TEXT, api TEXT, kind TEXT,\n"
    " method TEXT, url TEXT, path TEXT,\n"
    " status INTEGER, stream INTEGER, incomplete INTEGER, truncated INTEGER,\n"
    " started_at REAL, duration REAL, ttfb REAL, ttft REAL,\n"
    " input_tokens INTEGER, output_tokens INTEGER,\n"
    " finish_reason TEXT, error TEXT, prompt_preview TEXT, completion_preview TEXT,\n"
    " pid INTEGER, program TEXT, source TEXT, http_version INTEGER, content_type TEXT,\n"
    " request_headers TEXT, response_headers TEXT,\n"
    " request_size INTEGER, response_size INTEGER,\n"
    " request_body BLOB, response_body BLOB);\n"
    "CREATE INDEX IF NOT EXISTS calls_namespace_id ON calls(namespace, id);\n"
    "CREATE INDEX IF NOT EXISTS calls_namespace_model ON calls(namespace, model);\n"
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
    " substr(completion_preview, 1, 60) AS completion FROM calls;";

/* Column order shared by the INSERT and the SELECT below. */
#define CALL_COLS \
    "namespace, provider, host, model, api, kind, method, url, path," \
    " status, stream, incomplete, truncated, started_at, duration, ttfb, ttft," \
    " input_tokens, output_tokens, finish_reason, error, prompt_preview, completion_preview," \
    " pid, program, source, http_version, content_type, request_headers, response_headers," \
    " request_size, response_size"
#define N_CALL_COLS 32

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)   /* one line, whatever SQLite's message holds */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void jitter_sleep(pl_store *s, double max_ms)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    double ms = 1.0 + (double)(s->rng % 9000) / 1000.0;   /* 1..10 ms */
    if (ms > max_ms)
        ms = max_ms;
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A write past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the host. While we write,
 * the signal is blocked so write() fails with EFBIG instead (SQLite reports a full disk), and a
 * SIGXFSZ we caused is consumed before the mask is restored. One pending before we started is
 * the host's and is left alone. */
typedef struct xfsz_guard {
    sigset_t old;
    int was_pending;
} xfsz_guard;

static void xfsz_block(xfsz_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
    g->was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGXFSZ);
}

static void xfsz_restore(xfsz_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGXFSZ);
    if (!g->was_pending && !sigismember(&g->old, SIGXFSZ) && sigpending(&pend) == 0 && sigismember(&pend, SIGXFSZ)) {
        struct timespec zero = {0, 0};
        int saved = errno;
        sigtimedwait(&set, NULL, &zero);
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static int is_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

char *pl_store_path_from_url(const char *url)
{
    if (!url || !*url)
        return strdup("prompts.db");
    if (strncmp(url, "sqlite:", 7) != 0)
        return strdup(url);
    const char *p = url + 7;
    if (strncmp(p, "///", 3) == 0)
        p += 3;             /* sqlite:///rel.db -> rel.db, sqlite:////abs.db -> /abs.db */
    else if (strncmp(p, "//", 2) == 0)
        p += 2;             /* lenient: sqlite://file.db */
    size_t n = strcspn(p, "?");   /* SQLAlchemy-style ?options are not part of the path */
    if (n == 0)
        return strdup(":memory:");
    return strndup(p, n);
}

static int read_user_version(sqlite3 *db, int *ver)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *ver = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int count_objects(sqlite3 *db, long long *n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *n = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Limits every SQLite wait to what is left of the caller's budget. */
static int budget_left(pl_store *s, double deadline)
{
    double left = deadline - mono_ms();
    if (left <= 0)
        return 0;
    sqlite3_busy_timeout(s->db, (int)left + 1);
    return 1;
}

static const char *open_error_text(const char *path, int rc, sqlite3 *db, char *tmp, size_t tmplen)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
        snprintf(tmp, tmplen, "%s is not a SQLite database or is corrupt", path);
    else if (prim == SQLITE_CANTOPEN)
        snprintf(tmp, tmplen, "cannot open %s", path);
    else if (prim == SQLITE_READONLY || prim == SQLITE_PERM)
        snprintf(tmp, tmplen, "%s is not writable", path);
    else if (is_busy(rc))
        snprintf(tmp, tmplen, "%s is locked by another process", path);
    else
        snprintf(tmp, tmplen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return tmp;
}

/* Creates the schema once, even when several processes race to do it: BEGIN IMMEDIATE takes the
 * write lock, and the version is re-read under it. */
static int create_schema(pl_store *s, char *err, size_t errlen)
{
    double deadline = mono_ms() + s->busy_ms;
    char tmp[512];
    for (;;) {
        if (!budget_left(s, deadline)) {
            seterr(err, errlen, "%s is locked by another process (schema creation timed out)", s->path);
            return -1;
        }
        int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (is_busy(rc)) {
            jitter_sleep(s, deadline - mono_ms());
            continue;
        }
        if (rc != SQLITE_OK) {
            seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
            return -1;
        }
        int ver = 0;
        long long objects = 0;
        rc = read_user_version(s->db, &ver);
        if (rc == SQLITE_OK && ver == 0)
            rc = count_objects(s->db, &objects);
        if (rc != SQLITE_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
            return -1;
        }
        if (ver > PL_STORE_SCHEMA_VERSION) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            seterr(err, errlen, "%s has schema version %d, newer than this promptlog's %d; not writing to it",
                   s->path, ver, PL_STORE_SCHEMA_VERSION);
            return -1;
        }
        if (ver == 0 && objects > 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            seterr(err, errlen, "%s is a SQLite database of something else (no promptlog schema); not writing to it",
                   s->path);
            return -1;
        }
        if (ver == 0) {
            char *msg = NULL;
            rc = sqlite3_exec(s->db, SCHEMA_SQL, NULL, NULL, &msg);
            if (rc == SQLITE_OK)
                rc = sqlite3_exec(s->db, "PRAGMA user_version = 1", NULL, NULL, &msg);
            if (rc != SQLITE_OK) {
                seterr(err, errlen, "%s: cannot create schema: %s", s->path, msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return -1;
            }
        }
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (!is_busy(rc)) {
            seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
            return -1;
        }
        jitter_sleep(s, deadline - mono_ms());
    }
}

static int prepare_writes(pl_store *s, char *err, size_t errlen)
{
    const char *sql_call = "INSERT INTO calls (" CALL_COLS ", request_body, response_body) VALUES ("
                           "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    const char *sql_model = "INSERT OR IGNORE INTO models (namespace, name, provider, created) VALUES (?,?,?,?)";
    if (sqlite3_prepare_v3(s->db, sql_call, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_call, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(s->db, sql_model, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_model, NULL) != SQLITE_OK) {
        seterr(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

void pl_store_close(pl_store *s)
{
    if (!s)
        return;
    xfsz_guard guard;   /* closing checkpoints the WAL into the main file: a write */
    xfsz_block(&guard);
    sqlite3_finalize(s->ins_call);
    sqlite3_finalize(s->ins_model);
    if (s->db)
        sqlite3_close_v2(s->db);
    ZSTD_freeCCtx(s->cctx);
    pl_buf_free(&s->zreq);
    pl_buf_free(&s->zresp);
    pthread_mutex_destroy(&s->lock);
    free(s->redact);
    free(s->path);
    free(s);
    xfsz_restore(&guard);
}

static int store_open(const char *url, int flags, const pl_store_options *opts, pl_store **out, char *err, size_t errlen);

int pl_store_open(const char *url, int flags, const pl_store_options *opts, pl_store **out, char *err, size_t errlen)
{
    xfsz_guard guard;   /* creating the schema writes too */
    xfsz_block(&guard);
    int rc = store_open(url, flags, opts, out, err, errlen);
    xfsz_restore(&guard);
    return rc;
}

static int store_open(const char *url, int flags, const pl_store_options *opts, pl_store **out, char *err, size_t errlen)
{
    *out = NULL;
    char tmp[512];
    pl_store *s = calloc(1, sizeof *s);
    if (!s) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->readonly = (flags & PL_STORE_READONLY) != 0;
    s->busy_ms = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : DEFAULT_BUSY_MS;
    s->rng = ((unsigned long long)getpid() << 32) ^ (unsigned long long)(now_s() * 1e6) ^ (unsigned long long)(size_t)s;
    if (!s->rng)
        s->rng = 88172645463325252ULL;
    /* Read once here, not per insert: getenv races with a host thread calling setenv. */
    const char *extra = opts && opts->redact ? opts->redact : getenv("PROMPTLOG_REDACT");
    s->redact = extra && *extra ? strdup(extra) : NULL;
    s->path = pl_store_path_from_url(url);
    if (!s->path || (extra && *extra && !s->redact)) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    int memory = strcmp(s->path, ":memory:") == 0;
    if (!memory) {
        struct stat st;
        if (stat(s->path, &st) != 0) {
            if (errno != ENOENT) {
                seterr(err, errlen, "cannot access %s: %s", s->path, strerror(errno));
                goto fail;
            }
            if (s->readonly || !(flags & PL_STORE_CREATE)) {
                seterr(err, errlen, "no database at %s", s->path);
                goto fail;
            }
            /* Create it ourselves so the mode is 0600 whatever SQLite would pick; O_EXCL is not
             * used because another process may be creating it at this very moment. */
            int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
            if (fd < 0) {
                seterr(err, errlen, "cannot create %s: %s", s->path, strerror(errno));
                goto fail;
            }
            close(fd);
        } else if (S_ISDIR(st.st_mode)) {
            seterr(err, errlen, "%s is a directory, not a database", s->path);
            goto fail;
        }
    }

    int oflags = (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    if (memory && !s->readonly)
        oflags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(s->path, &s->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, s->busy_ms);

    int ver = 0;
    rc = read_user_version(s->db, &ver);
    if (rc != SQLITE_OK) {
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        goto fail;
    }
    if (ver > PL_STORE_SCHEMA_VERSION) {
        seterr(err, errlen, "%s has schema version %d, newer than this promptlog's %d; %s",
               s->path, ver, PL_STORE_SCHEMA_VERSION, s->readonly ? "upgrade promptlog to read it" : "not writing to it");
        goto fail;
    }
    if (s->readonly) {
        if (ver == 0) {
            long long objects = 0;
            rc = count_objects(s->db, &objects);
            if (rc != SQLITE_OK) {
                seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
                goto fail;
            }
            seterr(err, errlen, objects ? "%s is not a promptlog database" : "%s is empty (no promptlog schema yet)",
                   s->path);
            goto fail;
        }
        *out = s;
        return 0;
    }

    /* WAL lets readers and one writer proceed together; NORMAL sync keeps every committed row
     * across a process crash (the promise) without an fsync per capture. Failure to switch (the
     * file is busy) is not fatal: whoever holds it has switched it already or will. */
    if (!memory) {
        if (budget_left(s, mono_ms() + s->busy_ms))
            sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        sqlite3_busy_timeout(s->db, s->busy_ms);
    }
    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (ver == 0) {
        if (!(flags & PL_STORE_CREATE)) {
            seterr(err, errlen, "%s has no promptlog schema", s->path);
            goto fail;
        }
        if (create_schema(s, err, errlen) != 0)
            goto fail;
    }
    if (prepare_writes(s, err, errlen) != 0)
        goto fail;
    s->cctx = ZSTD_createCCtx();
    if (!s->cctx) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    pl_store_close(s);
    return -1;
}

/* ---- insert ---------------------------------------------------------------------------- */

static char *headers_json(const pl_headers *h, const char *extra)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return NULL;
    for (size_t i = 0; h && i < h->count; i++) {
        const char *name = h->items[i].name ? h->items[i].name : "";
        const char *value = pl_redact_header_name(name, extra) ? PL_REDACTED : (h->items[i].value ? h->items[i].value : "");
        cJSON *pair = cJSON_CreateArray();
        if (!pair || !cJSON_AddItemToArray(arr, pair)) {
            cJSON_Delete(pair);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(pair, cJSON_CreateString(name));
        cJSON_AddItemToArray(pair, cJSON_CreateString(value));
    }
    char *out = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return out;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_int(sqlite3_stmt *st, int i, long long v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

/* Binds everything except the bodies, which the caller compresses. url/path/headers are
 * already redacted copies. */
static void bind_call(sqlite3_stmt *st, const pl_row *r, const char *ns, const char *url, const char *path,
                      const char *reqh, const char *resph)
{
    int i = 1;
    bind_text(st, i++, ns);
    bind_text(st, i++, r->provider);
    bind_text(st, i++, r->host);
    bind_text(st, i++, r->model && *r->model ? r->model : NULL);
    bind_text(st, i++, r->api);
    bind_text(st, i++, r->kind);
    bind_text(st, i++, r->method);
    bind_text(st, i++, url);
    bind_text(st, i++, path);
    bind_int(st, i++, r->status);
    bind_int(st, i++, r->stream);
    bind_int(st, i++, r->incomplete);
    bind_int(st, i++, r->truncated);
    bind_real(st, i++, r->started_at);
    bind_real(st, i++, r->duration);
    bind_real(st, i++, r->ttfb);
    bind_real(st, i++, r->ttft);
    bind_int(st, i++, r->input_tokens);
    bind_int(st, i++, r->output_tokens);
    bind_text(st, i++, r->finish_reason);
    bind_text(st, i++, r->error);
    bind_text(st, i++, r->prompt_preview);
    bind_text(st, i++, r->completion_preview);
    bind_int(st, i++, r->pid);
    bind_text(st, i++, r->program);
    bind_text(st, i++, r->source);
    bind_int(st, i++, r->http_version > 0 ? r->http_version : -1);
    bind_text(st, i++, r->content_type);
    bind_text(st, i++, reqh);
    bind_text(st, i++, resph);
    bind_int(st, i++, r->req_body ? (long long)r->req_len : -1);
    bind_int(st, i++, r->resp_body ? (long long)r->resp_len : -1);
}

/* One attempt at the transaction. Returns SQLite's code; *id set on success. */
static int insert_once(pl_store *s, const pl_row *r, const char *ns, long long *id)
{
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (r->model && *r->model) {
        sqlite3_reset(s->ins_model);
        sqlite3_bind_text(s->ins_model, 1, ns, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ins_model, 2, r->model, -1, SQLITE_STATIC);
        bind_text(s->ins_model, 3, r->provider);
        sqlite3_bind_double(s->ins_model, 4, r->started_at > 0 ? r->started_at : now_s());
        rc = sqlite3_step(s->ins_model);
        sqlite3_reset(s->ins_model);
        if (rc != SQLITE_DONE)
            goto rollback;
    }
    sqlite3_reset(s->ins_call);
    rc = sqlite3_step(s->ins_call);
    sqlite3_reset(s->ins_call);
    if (rc != SQLITE_DONE)
        goto rollback;
    *id = sqlite3_last_insert_rowid(s->db);
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return SQLITE_OK;
rollback:
    /* After SQLITE_FULL or an I/O error SQLite has already rolled back: a second ROLLBACK would
     * replace the message that says why ("database or disk is full") with its own. */
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
}

long long pl_store_insert(pl_store *s, const pl_row *row, char *err, size_t errlen)
{
    if (!s || !row) {
        seterr(err, errlen, "no store");
        return -1;
    }
    if (s->readonly) {
        seterr(err, errlen, "%s is open read-only", s->path);
        return -1;
    }
    const char *extra = s->redact;
    const char *ns = row->ns && *row->ns ? row->ns : "default";
    long long id = -1;
    char *url = row->url ? pl_redact_url(row->url, extra) : NULL;
    char *path = row->path ? pl_redact_url(row->path, extra) : NULL;
    char *reqh = row->req_headers ? headers_json(row->req_headers, extra) : NULL;
    char *resph = row->resp_headers ? headers_json(row->resp_headers, extra) : NULL;
    if ((row->url && !url) || (row->path && !path) || (row->req_headers && !reqh) || (row->resp_headers && !resph)) {
        seterr(err, errlen, "out of memory");
        goto out;
    }

    pthread_mutex_lock(&s->lock);
    xfsz_guard guard;
    xfsz_block(&guard);
    int ok = 1;
    if (row->req_body)
        ok &= pl_zblob_compress(s->cctx, row->req_body, row->req_len, &s->zreq) == 0;
    if (row->resp_body)
        ok &= pl_zblob_compress(s->cctx, row->resp_body, row->resp_len, &s->zresp) == 0;
    if (!ok) {
        xfsz_restore(&guard);
        pthread_mutex_unlock(&s->lock);
        seterr(err, errlen, "cannot compress body");
        goto out;
    }
    sqlite3_stmt *st = s->ins_call;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    bind_call(st, row, ns, url, path, reqh, resph);
    if (row->req_body)
        sqlite3_bind_blob(st, N_CALL_COLS + 1, s->zreq.data, (int)s->zreq.len, SQLITE_STATIC);
    if (row->resp_body)
        sqlite3_bind_blob(st, N_CALL_COLS + 2, s->zresp.data, (int)s->zresp.len, SQLITE_STATIC);

    /* Retry contention until the budget is spent. The busy handler covers most waits; the loop
     * covers the cases where SQLite returns BUSY without waiting (WAL recovery, snapshots). */
    double deadline = mono_ms() + s->busy_ms;
    int rc;
    for (;;) {
        if (!budget_left(s, deadline)) {
            rc = SQLITE_BUSY;
            break;
        }
        rc = insert_once(s, row, ns, &id);
        if (!is_busy(rc))
            break;
        jitter_sleep(s, deadline - mono_ms());
    }
    sqlite3_busy_timeout(s->db, s->busy_ms);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_OK) {
        char tmp[512];
        if (is_busy(rc))
            seterr(err, errlen, "%s stayed locked for %d ms; row not written", s->path, s->busy_ms);
        else
            seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        id = -1;
    }
    xfsz_restore(&guard);
    pthread_mutex_unlock(&s->lock);
out:
    free(url);
    free(path);
    cJSON_free(reqh);
    cJSON_free(resph);
    return id;
}

/* ---- reads ----------------------------------------------------------------------------- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static long long col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_double(st, i);
}

static void parse_headers(const char *json, pl_headers *h)
{
    if (!json)
        return;
    cJSON *arr = cJSON_Parse(json);
    const cJSON *pair;
    cJSON_ArrayForEach(pair, arr) {
        const cJSON *n = NULL, *v = NULL;
        if (cJSON_IsArray(pair)) {
            n = cJSON_GetArrayItem(pair, 0);
            v = cJSON_GetArrayItem(pair, 1);
        } else if (pair->string) {   /* tolerate the object form */
            n = NULL;
            v = pair;
        }
        const char *name = n && cJSON_IsString(n) ? n->valuestring : pair->string;
        const char *value = cJSON_IsString(v) ? v->valuestring : NULL;
        if (name && value)
            pl_headers_add(h, name, strlen(name), value, strlen(value));
    }
    cJSON_Delete(arr);
}

static int unpack_body(sqlite3_stmt *st, int i, pl_buf *b, const char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return 0;
    const void *blob = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (pl_zblob_decompress(blob, (size_t)n, 0, b) != 0)
        return -1;
    *body = b->data ? b->data : "";
    *len = b->len;
    return 0;
}

int pl_store_each_row_q(pl_store *s, const pl_store_query *q, pl_row_fn fn, void *ctx, char *err, size_t errlen)
{
    static const pl_store_query all = {0};
    if (!q)
        q = &all;
    pl_buf sql = {0};
    int ok = 1;
    ok &= pl_buf_append_str(&sql, "SELECT id, " CALL_COLS) == 0;
    ok &= pl_buf_append_str(&sql, q->no_bodies ? ", NULL, NULL" : ", request_body, response_body") == 0;
    ok &= pl_buf_append_str(&sql, " FROM calls WHERE 1") == 0;
    if (q->ns)
        ok &= pl_buf_append_str(&sql, " AND namespace = :ns") == 0;
    if (q->kind)
        ok &= pl_buf_append_str(&sql, " AND (kind = :kind OR kind IS NULL OR kind = '')") == 0;
    if (q->id > 0)
        ok &= pl_buf_append_str(&sql, " AND id = :id") == 0;
    if (q->after_id > 0)
        ok &= pl_buf_append_str(&sql, " AND id > :after") == 0;
    if (q->since > 0)
        ok &= pl_buf_append_str(&sql, " AND started_at >= :since") == 0;
    if (q->until > 0)
        ok &= pl_buf_append_str(&sql, " AND started_at < :until") == 0;
    size_t nmodels = 0;
    if (q->models) {
        while (q->models[nmodels])
            nmodels++;
        ok &= pl_buf_append_str(&sql, " AND model IN (") == 0;
        for (size_t i = 0; i < nmodels; i++)
            ok &= pl_buf_append_str(&sql, i ? ",?" : "?") == 0;
        ok &= pl_buf_append_str(&sql, ")") == 0;
    }
    if (q->last > 0) {
        /* newest N, then back to oldest first */
        pl_buf wrap = {0};
        ok &= pl_buf_append_str(&wrap, "SELECT * FROM (") == 0;
        ok &= pl_buf_append_str(&wrap, pl_buf_cstr(&sql)) == 0;
        ok &= pl_buf_append_str(&wrap, " ORDER BY id DESC LIMIT :last) ORDER BY id") == 0;
        pl_buf_free(&sql);
        sql = wrap;
    } else {
        ok &= pl_buf_append_str(&sql, " ORDER BY id") == 0;
    }
    if (!ok) {
        pl_buf_free(&sql);
        seterr(err, errlen, "out of memory");
        return -1;
    }

    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, pl_buf_cstr(&sql), -1, &st, NULL);
    pl_buf_free(&sql);
    if (rc != SQLITE_OK) {
        char tmp[512];
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    if (q->ns)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":ns"), q->ns, -1, SQLITE_STATIC);
    if (q->kind)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"), q->kind, -1, SQLITE_STATIC);
    if (q->id > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), q->id);
    if (q->last > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":last"), q->last);
    if (q->after_id > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"), q->after_id);
    if (q->since > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":since"), q->since);
    if (q->until > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":until"), q->until);
    /* Unnamed "?" parameters are numbered after the named ones; find them by name == NULL. */
    for (int i = 1, m = 0; i <= sqlite3_bind_parameter_count(st) && (size_t)m < nmodels; i++)
        if (!sqlite3_bind_parameter_name(st, i))
            sqlite3_bind_text(st, i, q->models[m++], -1, SQLITE_STATIC);

    pl_buf req = {0}, resp = {0};
    int result = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pl_row r;
        memset(&r, 0, sizeof r);
        pl_headers reqh = {0}, resph = {0};
        int c = 0;
        r.id = sqlite3_column_int64(st, c++);
        r.ns = col_text(st, c++);
        r.provider = col_text(st, c++);
        r.host = col_text(st, c++);
        r.model = col_text(st, c++);
        r.api = col_text(st, c++);
        r.kind = col_text(st, c++);
        r.method = col_text(st, c++);
        r.url = col_text(st, c++);
        r.path = col_text(st, c++);
        r.status = (int)col_int(st, c++);
        r.stream = (int)col_int(st, c++);
        r.incomplete = (int)col_int(st, c++);
        r.truncated = (int)col_int(st, c++);
        r.started_at = col_real(st, c++);
        r.duration = col_real(st, c++);
        r.ttfb = col_real(st, c++);
        r.ttft = col_real(st, c++);
        r.input_tokens = col_int(st, c++);
        r.output_tokens = col_int(st, c++);
        r.finish_reason = col_text(st, c++);
        r.error = col_text(st, c++);
        r.prompt_preview = col_text(st, c++);
        r.completion_preview = col_text(st, c++);
        r.pid = (int)col_int(st, c++);
        r.program = col_text(st, c++);
        r.source = col_text(st, c++);
        r.http_version = (int)col_int(st, c++);
        r.content_type = col_text(st, c++);
        parse_headers(col_text(st, c++), &reqh);
        parse_headers(col_text(st, c++), &resph);
        c += 2;   /* request_size, response_size: the decompressed lengths say the same */
        r.req_headers = &reqh;
        r.resp_headers = &resph;
        if (unpack_body(st, c++, &req, &r.req_body, &r.req_len) != 0 ||
            unpack_body(st, c++, &resp, &r.resp_body, &r.resp_len) != 0) {
            seterr(err, errlen, "%s: row %lld has a corrupt body blob", s->path, r.id);
            pl_headers_free(&reqh);
            pl_headers_free(&resph);
            result = -1;
            break;
        }
        int stop = fn(&r, ctx);
        pl_headers_free(&reqh);
        pl_headers_free(&resph);
        if (stop)
            break;
    }
    if (result == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        char tmp[512];
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        result = -1;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    pl_buf_free(&req);
    pl_buf_free(&resp);
    return result;
}

int pl_store_each_row(pl_store *s, const char *ns, pl_row_fn fn, void *ctx, char *err, size_t errlen)
{
    pl_store_query q = {0};
    q.ns = ns;
    return pl_store_each_row_q(s, &q, fn, ctx, err, errlen);
}

int pl_store_each_model(pl_store *s, const char *ns, pl_model_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *sql = ns ? "SELECT id, namespace, name, provider, created FROM models WHERE namespace = ? ORDER BY id"
                         : "SELECT id, namespace, name, provider, created FROM models ORDER BY id";
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    char tmp[512];
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    if (ns)
        sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pl_model_row m = {
            .id = sqlite3_column_int64(st, 0),
            .ns = col_text(st, 1),
            .name = col_text(st, 2),
            .provider = col_text(st, 3),
            .created = sqlite3_column_double(st, 4),
        };
        if (fn(&m, ctx)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int result = 0;
    if (rc != SQLITE_DONE) {
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        result = -1;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return result;
}

int pl_store_each_count(pl_store *s, pl_count_fn fn, void *ctx, char *err, size_t errlen)
{
    const char *sql =
        "SELECT namespace, provider, model, count(*),"
        " sum(CASE WHEN status >= 400 OR (error IS NOT NULL AND error != '') THEN 1 ELSE 0 END),"
        " total(input_tokens), total(output_tokens), min(started_at), max(started_at)"
        " FROM calls GROUP BY namespace, provider, model ORDER BY namespace, provider, model";
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    char tmp[512];
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pl_store_count c = {
            .ns = col_text(st, 0),
            .provider = col_text(st, 1),
            .model = col_text(st, 2),
            .calls = sqlite3_column_int64(st, 3),
            .errors = sqlite3_column_int64(st, 4),
            .input_tokens = (long long)sqlite3_column_double(st, 5),
            .output_tokens = (long long)sqlite3_column_double(st, 6),
            .first = col_real(st, 7),
            .last = col_real(st, 8),
        };
        if (fn(&c, ctx)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int result = 0;
    if (rc != SQLITE_DONE) {
        seterr(err, errlen, "%s", open_error_text(s->path, rc, s->db, tmp, sizeof tmp));
        result = -1;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return result;
}
