/* test_walvfs.c — the WAL write-gathering shim (store/walvfs.h): one write per commit, every
 * commit readable by another connection the moment it returns and after the writer is killed,
 * including the transactions that spill and rewrite frame checksums. */
#include "test_store_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../store/walvfs.h"

/* A VFS under the shim that counts the writes reaching WAL files. */
static sqlite3_vfs *g_def;
static int g_wal_writes;
typedef struct {
    sqlite3_file base;
    sqlite3_file *real;
} count_file;
static sqlite3_io_methods g_count_methods;

static int c_write(sqlite3_file *f, const void *d, int n, sqlite3_int64 off)
{
    g_wal_writes++;
    sqlite3_file *r = ((count_file *)f)->real;
    return r->pMethods->xWrite(r, d, n, off);
}
static int c_close(sqlite3_file *f)
{
    sqlite3_file *r = ((count_file *)f)->real;
    return r->pMethods->xClose(r);
}
#define FWD(name, decl, call)                             \
    static int name decl                                  \
    {                                                     \
        sqlite3_file *r = ((count_file *)f)->real;        \
        return call;                                      \
    }
FWD(c_read, (sqlite3_file * f, void *d, int n, sqlite3_int64 o), r->pMethods->xRead(r, d, n, o))
FWD(c_trunc, (sqlite3_file * f, sqlite3_int64 s), r->pMethods->xTruncate(r, s))
FWD(c_sync, (sqlite3_file * f, int fl), r->pMethods->xSync(r, fl))
FWD(c_size, (sqlite3_file * f, sqlite3_int64 * s), r->pMethods->xFileSize(r, s))
FWD(c_lock, (sqlite3_file * f, int l), r->pMethods->xLock(r, l))
FWD(c_unlock, (sqlite3_file * f, int l), r->pMethods->xUnlock(r, l))
FWD(c_res, (sqlite3_file * f, int *o), r->pMethods->xCheckReservedLock(r, o))
FWD(c_fcntl, (sqlite3_file * f, int op, void *a), r->pMethods->xFileControl(r, op, a))
FWD(c_sector, (sqlite3_file * f), r->pMethods->xSectorSize(r))
FWD(c_dev, (sqlite3_file * f), r->pMethods->xDeviceCharacteristics(r))

static int c_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)v;
    if (!(flags & SQLITE_OPEN_WAL))
        return g_def->xOpen(g_def, name, f, flags, out);
    count_file *c = (count_file *)f;
    c->real = (sqlite3_file *)(c + 1);
    int rc = g_def->xOpen(g_def, name, c->real, flags, out);
    c->base.pMethods = rc == SQLITE_OK ? &g_count_methods : NULL;
    return rc;
}

static void register_vfs(void)
{
    static sqlite3_vfs v;
    if (sqlite3_vfs_find("plcount"))
        return;
    g_def = sqlite3_vfs_find(NULL);
    v = *g_def;
    v.iVersion = 1;
    v.szOsFile = (int)sizeof(count_file) + g_def->szOsFile;
    v.zName = "plcount";
    v.pNext = NULL;
    v.xOpen = c_open;
    g_count_methods = (sqlite3_io_methods){1, c_close, c_read, c_write, c_trunc, c_sync, c_size, c_lock, c_unlock,
                                           c_res, c_fcntl, c_sector, c_dev, 0, 0, 0, 0, 0, 0};
    assert_int_equal(sqlite3_vfs_register(&v, 0), SQLITE_OK);
    assert_int_equal(pl_walvfs_register("plshim", "plcount"), 0);
    assert_non_null(pl_walvfs_name()); /* the real one registers too */
}

static sqlite3 *open_db(const char *path, const char *vfs)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                      "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

static long long q1(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static void insert(sqlite3 *db, int bytes)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO t(v) VALUES (randomblob(%d))", bytes);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Each commit of several pages reaches the WAL in one write, and a reader on the plain VFS sees
 * it as soon as the commit returns. */
static void test_one_write_per_commit(void **state)
{
    (void)state;
    register_vfs();
    sqlite3 *w = open_db(tmp_path("a.db"), "plshim");
    sqlite3 *r = open_db(tmp_path("a.db"), NULL);
    insert(w, 10);
    for (int i = 0; i < 50; i++) {
        int before = g_wal_writes;
        insert(w, 9000); /* two overflow pages, the table leaf, page 1: four frames */
        assert_int_equal(g_wal_writes - before, 1);
        assert_int_equal(q1(r, "SELECT count(*) FROM t"), i + 2);
        assert_int_equal(q1(r, "SELECT length(v) FROM t ORDER BY id DESC LIMIT 1"), 9000);
    }
    /* without the shim, the same commit takes two writes per frame */
    sqlite3 *plain = open_db(tmp_path("b.db"), "plcount");
    insert(plain, 10);
    int before = g_wal_writes;
    insert(plain, 9000);
    assert_true(g_wal_writes - before >= 6);
    sqlite3_close(plain);
    sqlite3_close(r);
    assert_int_equal(sqlite3_close(w), SQLITE_OK);
    sqlite3 *again = open_db(tmp_path("a.db"), NULL);
    assert_int_equal(q1(again, "SELECT count(*) FROM t"), 51);
    sqlite3_close(again);
}

/* A writer killed right after its last commit, without closing: WAL recovery in a fresh process
 * finds every commit. That last transaction runs with a tiny cache, so it spills frames and then
 * overwrites spilled pages, which makes SQLite rewrite frame checksums at commit: the rewritten
 * headers must not wait in the shim (without the rewrite rule this test loses the transaction). */
static void test_killed_writer_loses_nothing(void **state)
{
    (void)state;
    register_vfs();
    const char *path = tmp_path("k.db");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *w = open_db(path, PL_WALVFS_NAME);
        int ok = sqlite3_exec(w, "PRAGMA cache_size=10", NULL, NULL, NULL) == SQLITE_OK;
        ok = ok && sqlite3_exec(w, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
        for (int i = 0; ok && i < 300; i++)
            ok = sqlite3_exec(w, "INSERT INTO t(v) VALUES (randomblob(3000))", NULL, NULL, NULL) == SQLITE_OK;
        /* touch early pages again after they were spilled */
        ok = ok && sqlite3_exec(w, "UPDATE t SET v = zeroblob(700) WHERE id <= 20", NULL, NULL, NULL) == SQLITE_OK;
        ok = ok && sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
        if (!ok) {
            fprintf(stderr, "writer: %s\n", sqlite3_errmsg(w));
            _exit(3);
        }
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    sqlite3 *r = open_db(path, NULL);
    assert_int_equal(q1(r, "SELECT count(*) FROM t"), 300);
    assert_int_equal(q1(r, "SELECT sum(length(v) = 700 AND v = zeroblob(700)) FROM t WHERE id <= 20"), 20);
    assert_int_equal(q1(r, "SELECT count(*) FROM t WHERE length(v) = 3000"), 280);
    sqlite3_stmt *ic = NULL;
    assert_int_equal(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &ic, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(ic), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(ic, 0), "ok");
    sqlite3_finalize(ic);
    sqlite3_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_write_per_commit),
        cmocka_unit_test(test_killed_writer_loses_nothing),
    };
    return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
