/* walvfs.c — the WAL write-gathering VFS shim (walvfs.h): a transaction's frames leave in one
 * write when its commit frame is complete; every other operation sees the file as SQLite wrote it. */
#include "walvfs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_HDR 24            /* a WAL frame header (SQLite's file format, section 4.1) */
#define RUN_MAX (1u << 20)      /* a run this large is written out even without a commit */
#define WRITE_MAX (1 << 16)     /* the unix VFS writes at most 128 KiB - 1 per call (seekAndWrite) */
#define WRITE_MAX (1 << 16)     /* the unix VFS writes at most 128 KiB - 1 per call (seekAndWrite) */

typedef struct wal_file {
    sqlite3_file base;          /* pMethods = &wal_methods */
    sqlite3_file *real;         /* the underlying VFS's file, placed right after this struct */
    unsigned char *buf;         /* gathered bytes, destined for offset start */
    size_t len, cap;
    sqlite3_int64 start;
    sqlite3_int64 read_off;     /* offset of the last read, -1 after a write */
    int commit_hdr;             /* the last gathered write was a commit frame's header */
} wal_file;

static sqlite3_vfs *base_of(sqlite3_vfs *v) { return (sqlite3_vfs *)v->pAppData; }

/* Writes out what was gathered; on failure the bytes are dropped, as a failed direct write would
 * have left them unwritten: SQLite fails the transaction whose frame write reported it. */
static int flush(wal_file *w)
{
    if (!w->len)
        return SQLITE_OK;
    int rc = SQLITE_OK;
    for (size_t done = 0; done < w->len && rc == SQLITE_OK; done += WRITE_MAX) {
        size_t n = w->len - done < WRITE_MAX ? w->len - done : WRITE_MAX;
        rc = w->real->pMethods->xWrite(w->real, w->buf + done, (int)n, w->start + (sqlite3_int64)done);
    }
    w->len = 0;
    w->commit_hdr = 0;
    return rc;
}

static int gather(wal_file *w, const void *data, int amt, sqlite3_int64 off)
{
    if (w->len + (size_t)amt > w->cap) {
        size_t cap = w->cap ? w->cap : 32768;
        while (cap < w->len + (size_t)amt)
            cap *= 2;
        unsigned char *b = realloc(w->buf, cap);
        if (!b)
            return -1;
        w->buf = b;
        w->cap = cap;
    }
    if (!w->len)
        w->start = off;
    memcpy(w->buf + w->len, data, (size_t)amt);
    w->len += (size_t)amt;
    return 0;
}

static int wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    wal_file *w = (wal_file *)f;
    int rc;
    /* walRewriteChecksums reads a frame, then rewrites its header in place: not an append, and
     * nothing may wait behind it, since no commit frame follows. */
    int rewrite = amt == FRAME_HDR && off == w->read_off;
    w->read_off = -1;
    if (w->len && (off != w->start + (sqlite3_int64)w->len || rewrite)) {
        if ((rc = flush(w)) != SQLITE_OK)
            return rc;
    }
    if (rewrite || amt <= 0 || amt > WRITE_MAX || gather(w, data, amt, off) != 0) {
        if ((rc = flush(w)) != SQLITE_OK)
            return rc;
        return w->real->pMethods->xWrite(w->real, data, amt, off);
    }
    if (w->commit_hdr) /* this is the commit frame's page: the transaction's last write */
        return flush(w);
    const unsigned char *h = data;
    w->commit_hdr = amt == FRAME_HDR && off >= 32 && (h[4] | h[5] | h[6] | h[7]) != 0;
    return w->len >= RUN_MAX ? flush(w) : SQLITE_OK;
}

static int wal_close(sqlite3_file *f)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    int rc2 = w->real->pMethods ? w->real->pMethods->xClose(w->real) : SQLITE_OK;
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
    wal_file *w = (wal_file *)f;
    int rc = flush(w);
    w->read_off = off;
    return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, data, amt, off);
}

/* The rest write out first, then do what the underlying file does. */
#define REAL(f) (((wal_file *)(f))->real)
#define FLUSHED(f)                                      \
    do {                                                \
        int rc_ = flush((wal_file *)(f));               \
        if (rc_ != SQLITE_OK)                           \
            return rc_;                                 \
    } while (0)

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    FLUSHED(f);
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int wal_sync(sqlite3_file *f, int flags)
{
    FLUSHED(f);
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
    FLUSHED(f);
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int wal_fcntl(sqlite3_file *f, int op, void *arg)
{
    FLUSHED(f);
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int wal_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int wal_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int wal_reserved(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int wal_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int wal_devchar(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
/* SQLite keeps the wal-index on the database file and never maps a WAL file: these exist for
 * completeness of a version-3 method table, and answer as an unsupporting file would. */
static int wal_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    (void)f, (void)pg, (void)sz, (void)ext;
    *pp = NULL;
    return SQLITE_IOERR_SHMMAP;
}
static int wal_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    (void)f, (void)off, (void)n, (void)flags;
    return SQLITE_IOERR_SHMLOCK;
}
static void wal_shm_barrier(sqlite3_file *f) { (void)f; }
static int wal_shm_unmap(sqlite3_file *f, int del)
{
    (void)f, (void)del;
    return SQLITE_OK;
}
static int wal_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    (void)f, (void)off, (void)amt;
    *pp = NULL;
    return SQLITE_OK;
}
static int wal_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    (void)f, (void)off, (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods wal_methods = {
    3, wal_close, wal_read, wal_write, wal_truncate, wal_sync, wal_size, wal_lock, wal_unlock, wal_reserved,
    wal_fcntl, wal_sector, wal_devchar, wal_shm_map, wal_shm_lock, wal_shm_barrier, wal_shm_unmap, wal_fetch,
    wal_unfetch,
};

static int vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    sqlite3_vfs *b = base_of(v);
    /* Everything but a WAL is the underlying file itself, with its own methods. */
    if (!(flags & SQLITE_OPEN_WAL))
        return b->xOpen(b, name, f, flags, out_flags);
    wal_file *w = (wal_file *)f;
    memset(w, 0, sizeof *w);
    w->real = (sqlite3_file *)(w + 1);
    w->read_off = -1;
    int rc = b->xOpen(b, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (w->real->pMethods)
            w->real->pMethods->xClose(w->real);
        w->base.pMethods = NULL;
        return rc;
    }
    w->base.pMethods = &wal_methods;
    return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *v, const char *n, int sync) { return base_of(v)->xDelete(base_of(v), n, sync); }
static int vfs_access(sqlite3_vfs *v, const char *n, int fl, int *out) { return base_of(v)->xAccess(base_of(v), n, fl, out); }
static int vfs_fullpath(sqlite3_vfs *v, const char *n, int len, char *out)
{
    return base_of(v)->xFullPathname(base_of(v), n, len, out);
}
static void *vfs_dlopen(sqlite3_vfs *v, const char *n) { return base_of(v)->xDlOpen(base_of(v), n); }
static void vfs_dlerror(sqlite3_vfs *v, int n, char *msg) { base_of(v)->xDlError(base_of(v), n, msg); }
static void (*vfs_dlsym(sqlite3_vfs *v, void *h, const char *s))(void) { return base_of(v)->xDlSym(base_of(v), h, s); }
static void vfs_dlclose(sqlite3_vfs *v, void *h) { base_of(v)->xDlClose(base_of(v), h); }
static int vfs_random(sqlite3_vfs *v, int n, char *out) { return base_of(v)->xRandomness(base_of(v), n, out); }
static int vfs_sleep(sqlite3_vfs *v, int us) { return base_of(v)->xSleep(base_of(v), us); }
static int vfs_time(sqlite3_vfs *v, double *t) { return base_of(v)->xCurrentTime(base_of(v), t); }
static int vfs_lasterr(sqlite3_vfs *v, int n, char *msg)
{
    return base_of(v)->xGetLastError ? base_of(v)->xGetLastError(base_of(v), n, msg) : 0;
}
static int vfs_time64(sqlite3_vfs *v, sqlite3_int64 *t) { return base_of(v)->xCurrentTimeInt64(base_of(v), t); }

int pl_walvfs_register(const char *name, const char *base)
{
    sqlite3_vfs *b = sqlite3_vfs_find(base);
    if (!b || !name)
        return -1;
    if (sqlite3_vfs_find(name))
        return 0;
    sqlite3_vfs *v = calloc(1, sizeof *v);
    char *n = strdup(name);
    if (!v || !n) {
        free(v);
        free(n);
        return -1;
    }
    /* Version 2 at most: the system-call overrides of version 3 are the unix VFS's test hooks. */
    v->iVersion = b->iVersion < 2 ? b->iVersion : 2;
    v->szOsFile = (int)sizeof(wal_file) + b->szOsFile;
    v->mxPathname = b->mxPathname;
    v->zName = n;
    v->pAppData = b;
    v->xOpen = vfs_open;
    v->xDelete = vfs_delete;
    v->xAccess = vfs_access;
    v->xFullPathname = vfs_fullpath;
    v->xDlOpen = vfs_dlopen;
    v->xDlError = vfs_dlerror;
    v->xDlSym = vfs_dlsym;
    v->xDlClose = vfs_dlclose;
    v->xRandomness = vfs_random;
    v->xSleep = vfs_sleep;
    v->xCurrentTime = vfs_time;
    v->xGetLastError = vfs_lasterr;
    if (v->iVersion >= 2)
        v->xCurrentTimeInt64 = vfs_time64;
    /* Kept for the life of the process: SQLite holds the pointer while any connection uses it. */
    if (sqlite3_vfs_register(v, 0) != SQLITE_OK) {
        free(v);
        free(n);
        return -1;
    }
    return 0;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_ok;
static void register_once(void) { g_ok = pl_walvfs_register(PL_WALVFS_NAME, NULL) == 0; }

const char *pl_walvfs_name(void)
{
    pthread_once(&g_once, register_once);
    return g_ok ? PL_WALVFS_NAME : NULL;
}
