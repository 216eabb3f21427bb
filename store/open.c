/* open.c — opening a store: database URLs, race-safe file creation (mode 0600), refusing
 * foreign, corrupt and newer files before anything is written, read-only opens of files we may
 * only read (read-only directory or file), and closing. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "columns.h"
#include "messages.h"
#include "schema.h"
#include "threads.h"
#include "walvfs.h"

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

static int prepare_writes(pl_store *s, char *err, size_t errlen)
{
    pl_buf sql = {0};
    const char *sql_model = "INSERT OR IGNORE INTO models (namespace, name, provider, created) VALUES (?,?,?,?)";
    int rc = pl_columns_insert_sql(&sql) == 0 ? SQLITE_OK : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, pl_buf_cstr(&sql), -1, SQLITE_PREPARE_PERSISTENT, &s->ins_call, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, sql_model, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_model, NULL);
    pl_buf_free(&sql);
    if (rc != SQLITE_OK) {
        pl_store_seterr(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

void pl_store_close(pl_store *s)
{
    if (!s)
        return;
    pl_xfsz_guard guard;   /* closing checkpoints the WAL into the main file: a write */
    pl_xfsz_block(&guard);
    if (s->db && pl_msgstore_pending(s->ms)) {
        /* this process's last texts into the search index; on failure (locked, full) a later
         * batch of any process picks them up */
        sqlite3_busy_timeout(s->db, s->busy_ms < 200 ? s->busy_ms : 200);   /* at exit: brief */
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
            if (pl_msgstore_index(s->ms, 1) != SQLITE_OK || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    sqlite3_finalize(s->ins_call);
    sqlite3_finalize(s->ins_model);
    sqlite3_finalize(s->txn_begin);
    sqlite3_finalize(s->txn_commit);
    pl_deletions_close(s);
    pl_msgstore_close(s->ms);
    pl_threads_close(s->th);
    if (s->db)
        sqlite3_close_v2(s->db);
    ZSTD_freeCCtx(s->cctx);
    pl_buf_free(&s->zreq);
    pl_buf_free(&s->zresp);
    pthread_mutex_destroy(&s->lock);
    free(s->has_col);
    free(s->redact);
    free(s->path);
    free(s);
    pl_xfsz_restore(&guard);
}

/* "file:PATH?mode=ro[&immutable=1]" with PATH percent-escaped where a URI needs it. */
static char *ro_uri(const char *path, int immutable)
{
    pl_buf u = {0};
    int ok = pl_buf_append_str(&u, "file:") == 0;
    for (const char *p = path; *p && ok; p++) {
        if (*p == '?' || *p == '#' || *p == '%') {
            char esc[4];
            snprintf(esc, sizeof esc, "%%%02X", (unsigned char)*p);
            ok = pl_buf_append_str(&u, esc) == 0;
        } else {
            ok = pl_buf_append(&u, p, 1) == 0;
        }
    }
    ok = ok && pl_buf_append_str(&u, immutable ? "?mode=ro&immutable=1" : "?mode=ro") == 0;
    if (!ok) {
        pl_buf_free(&u);
        return NULL;
    }
    return pl_buf_detach(&u);
}

/* The reader's open. A WAL file needs its -shm beside it; in a directory we cannot write,
 * SQLite cannot create one, and the file is opened immutable instead (no locking: rows a
 * writer has not yet checkpointed may be missed, which only a writable directory could avoid). */
static int open_readonly(pl_store *s, pl_file_kind *kind, int *ver, char *err, size_t errlen)
{
    char tmp[512];
    int rc = SQLITE_CANTOPEN;
    for (int immutable = 0; immutable < 2; immutable++) {
        if (s->db) {
            sqlite3_close_v2(s->db);
            s->db = NULL;
        }
        char *uri = ro_uri(s->path, immutable);
        if (!uri) {
            pl_store_seterr(err, errlen, "out of memory");
            return -1;
        }
        rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
        free(uri);
        if (rc == SQLITE_OK) {
            sqlite3_extended_result_codes(s->db, 1);
            sqlite3_busy_timeout(s->db, s->busy_ms);
            rc = pl_schema_inspect(s->db, kind, ver);
        }
        int prim = rc & 0xff;
        if (rc == SQLITE_OK || (prim != SQLITE_CANTOPEN && prim != SQLITE_READONLY && prim != SQLITE_PERM))
            break;
    }
    if (rc != SQLITE_OK) {
        pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
        return -1;
    }
    return 0;
}

static int store_open(const char *url, int flags, const pl_store_options *opts, pl_store **out, char *err, size_t errlen)
{
    *out = NULL;
    char tmp[512];
    pl_store *s = calloc(1, sizeof *s);
    if (!s) {
        pl_store_seterr(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->readonly = (flags & PL_STORE_READONLY) != 0;
    s->busy_ms = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : PL_STORE_DEFAULT_BUSY_MS;
    s->rng = ((unsigned long long)getpid() << 32) ^ (unsigned long long)(pl_store_now() * 1e6) ^
             (unsigned long long)(size_t)s;
    if (!s->rng)
        s->rng = 88172645463325252ULL;
    /* Read once here, not per insert: getenv races with a host thread calling setenv. */
    const char *extra = opts && opts->redact ? opts->redact : getenv("PROMPTLOG_REDACT");
    s->redact = extra && *extra ? strdup(extra) : NULL;
    s->path = pl_store_path_from_url(url);
    if (!s->path || (extra && *extra && !s->redact)) {
        pl_store_seterr(err, errlen, "out of memory");
        goto fail;
    }
    int memory = strcmp(s->path, ":memory:") == 0;
    if (!memory) {
        struct stat st;
        if (stat(s->path, &st) != 0) {
            if (errno == EACCES) {
                pl_store_seterr(err, errlen, "cannot open %s: permission denied", s->path);
                goto fail;
            }
            if (errno != ENOENT) {
                pl_store_seterr(err, errlen, "cannot access %s: %s", s->path, strerror(errno));
                goto fail;
            }
            if (s->readonly || !(flags & PL_STORE_CREATE)) {
                pl_store_seterr(err, errlen, "no database at %s", s->path);
                goto fail;
            }
            /* Create it ourselves so the mode is 0600 whatever SQLite would pick; O_EXCL is not
             * used because another process may be creating it at this very moment. */
            int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
            if (fd < 0) {
                pl_store_seterr(err, errlen, "cannot create %s: %s", s->path, strerror(errno));
                goto fail;
            }
            close(fd);
        } else if (S_ISDIR(st.st_mode)) {
            pl_store_seterr(err, errlen, "%s is a directory, not a database", s->path);
            goto fail;
        }
        if (access(s->path, s->readonly ? R_OK : R_OK | W_OK) != 0) {
            if (errno == EACCES && (s->readonly || access(s->path, R_OK) != 0))
                pl_store_seterr(err, errlen, "cannot open %s: permission denied", s->path);
            else
                pl_store_seterr(err, errlen, "%s is not writable: %s", s->path, strerror(errno));
            goto fail;
        }
    }

    pl_file_kind kind = PL_FILE_EMPTY;
    int ver = 0, rc;
    if (s->readonly) {
        if (open_readonly(s, &kind, &ver, err, errlen) != 0)
            goto fail;
    } else {
        int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (memory ? SQLITE_OPEN_CREATE : 0);
        /* Writers gather each commit's WAL frames into one write (walvfs.h). */
        rc = sqlite3_open_v2(s->path, &s->db, oflags, memory ? NULL : pl_walvfs_name());
        if (rc == SQLITE_OK) {
            sqlite3_extended_result_codes(s->db, 1);
            sqlite3_busy_timeout(s->db, s->busy_ms);
            /* What the file is, decided by reading alone: a foreign or newer file must be left
             * byte-identical, so this comes before the journal-mode switch below. */
            rc = pl_schema_inspect(s->db, &kind, &ver);
        }
        if (rc != SQLITE_OK) {
            pl_store_seterr(err, errlen, "%s", pl_store_errtext(s->path, rc, s->db, tmp, sizeof tmp));
            goto fail;
        }
    }
    s->version = ver;
    if (kind == PL_FILE_NEWER) {
        pl_store_seterr(err, errlen, "%s has schema version %d, newer than this promptlog's %d; %s", s->path, ver,
                        PL_STORE_SCHEMA_VERSION, s->readonly ? "upgrade promptlog to read it" : "not writing to it");
        goto fail;
    }
    if (kind == PL_FILE_FOREIGN) {
        pl_store_seterr(err, errlen, s->readonly ? "%s is not a promptlog database"
                                                 : "%s is a SQLite database of something else (no promptlog schema); not writing to it",
                        s->path);
        goto fail;
    }
    if (kind == PL_FILE_EMPTY && (s->readonly || !(flags & PL_STORE_CREATE))) {
        pl_store_seterr(err, errlen, s->readonly ? "%s is empty (no promptlog schema yet)" : "%s has no promptlog schema",
                        s->path);
        goto fail;
    }
    if (s->readonly) {
        if (pl_schema_load_columns(s) != 0) {
            pl_store_seterr(err, errlen, "%s: cannot read the calls table", s->path);
            goto fail;
        }
        *out = s;
        return 0;
    }

    /* WAL lets readers and one writer proceed together; NORMAL sync keeps every committed row
     * across a process crash (the promise) without an fsync per capture. Failure to switch (the
     * file is busy) is not fatal: whoever holds it has switched it already or will. */
    if (!memory) {
        if (pl_store_budget_left(s, pl_store_mono_ms() + s->busy_ms))
            sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        sqlite3_busy_timeout(s->db, s->busy_ms);
    }
    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (opts && opts->cache_kib > 0) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", opts->cache_kib);
        sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
    }
    if (opts && opts->wal_pages > 0 && !memory) {
        char pragma[96];
        snprintf(pragma, sizeof pragma, "PRAGMA wal_autocheckpoint=%d; PRAGMA journal_size_limit=%lld", opts->wal_pages,
                 (long long)opts->wal_pages * 4096);
        sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
    }
    if (ver < PL_STORE_SCHEMA_VERSION && pl_schema_ensure(s, err, errlen) != 0)
        goto fail;
    if (pl_schema_load_columns(s) != 0) {
        pl_store_seterr(err, errlen, "out of memory");
        goto fail;
    }
    if (prepare_writes(s, err, errlen) != 0)
        goto fail;
    s->ms = pl_msgstore_open(s->db);
    s->th = pl_threads_open(s->db);
    s->cctx = ZSTD_createCCtx();
    if (!s->cctx || !s->ms || !s->th) {
        pl_store_seterr(err, errlen, "out of memory");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    pl_store_close(s);
    return -1;
}

int pl_store_open(const char *url, int flags, const pl_store_options *opts, pl_store **out, char *err, size_t errlen)
{
    pl_xfsz_guard guard;   /* creating the schema writes too */
    pl_xfsz_block(&guard);
    int rc = store_open(url, flags, opts, out, err, errlen);
    pl_xfsz_restore(&guard);
    return rc;
}
