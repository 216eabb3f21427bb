/* test_store_files.c — the store and the files it meets: a foreign database (Python
 * prompt-logger's own prompts.db) left byte-identical, a schema-1 file (the kept fixture) read
 * as is and upgraded in place, decode_error round trip, a corrupt blob that does not stop
 * iteration, and read-only files and directories opened by a user who cannot write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../store/store.h"

static char dir[256];

static char *path_in(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pl_test_files_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return chmod(dir, 0755);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void copy_file(const char *from, const char *to)
{
    size_t n = 0;
    char *b = slurp(from, &n);
    assert_non_null(b);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
    free(b);
}

static void exec_sql(const char *p, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static pl_row sample_row(void)
{
    pl_row r;
    memset(&r, 0, sizeof r);
    r.ns = "default";
    r.model = "gpt-4o-mini";
    r.api = "openai.chat";
    r.kind = "chat";
    r.status = 200;
    r.started_at = 1700000000;
    r.duration = r.ttfb = r.ttft = -1;
    r.input_tokens = r.output_tokens = -1;
    r.req_body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    r.req_len = strlen(r.req_body);
    r.resp_body = "\x1f\x8b garbage that was meant to be gzip";
    r.resp_len = strlen(r.resp_body);
    return r;
}

typedef struct seen {
    int n, corrupt[16], decode_error[16];
    long long ids[16];
    size_t req_len[16];
} seen;

static int collect(const pl_row *r, void *ctx)
{
    seen *s = ctx;
    if (s->n < 16) {
        s->ids[s->n] = r->id;
        s->corrupt[s->n] = r->body_corrupt;
        s->decode_error[s->n] = r->decode_error;
        s->req_len[s->n] = r->req_body ? r->req_len : 0;
    }
    s->n++;
    return 0;
}

/* Python prompt-logger's own database (SQLAlchemy, rollback journal) at the shared default
 * name: capture must refuse it before changing anything, including its journal mode. */
static void test_foreign_left_byte_identical(void **state)
{
    (void)state;
    const char *p = path_in("prompts.db");
    exec_sql(p, "CREATE TABLE models (id INTEGER PRIMARY KEY, namespace TEXT, name TEXT, provider TEXT, created REAL);"
                "CREATE TABLE prompts (id INTEGER PRIMARY KEY, namespace TEXT, model TEXT, messages JSON,"
                " completions JSON, inference_on REAL);"
                "INSERT INTO prompts (namespace, model) VALUES ('default', 'gpt-4');");
    const char *q = path_in("versioned.db");   /* another program's user_version, no calls table */
    exec_sql(q, "CREATE TABLE t(x); PRAGMA user_version = 1;");
    const char *files[] = {p, q};
    for (int i = 0; i < 2; i++) {
        size_t n1 = 0, n2 = 0;
        char *before = slurp(files[i], &n1);
        pl_store *s = NULL;
        char err[512] = "";
        assert_int_equal(pl_store_open(files[i], PL_STORE_CREATE, NULL, &s, err, sizeof err), -1);
        assert_null(s);
        assert_non_null(strstr(err, "not writing to it"));
        assert_int_equal(pl_store_open(files[i], PL_STORE_READONLY, NULL, &s, err, sizeof err), -1);
        assert_non_null(strstr(err, "not a promptlog database"));
        char *after = slurp(files[i], &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(before, after, n1);
        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", files[i]);
        assert_int_equal(access(wal, F_OK), -1);
        free(before);
        free(after);
    }
}

static void test_decode_error_and_corrupt_blob(void **state)
{
    (void)state;
    const char *p = path_in("flags.db");
    pl_store *s = NULL;
    char err[512] = "";
    assert_int_equal(pl_store_open(p, PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
    pl_row r = sample_row();
    r.decode_error = 1;
    for (int i = 0; i < 3; i++)
        assert_int_equal(pl_store_insert(s, &r, err, sizeof err), i + 1);
    pl_store_close(s);
    exec_sql(p, "UPDATE calls SET request_body = x'28b52ffd00112233' WHERE id = 2");

    assert_int_equal(pl_store_open(p, PL_STORE_READONLY, NULL, &s, err, sizeof err), 0);
    seen got = {0};
    assert_int_equal(pl_store_each_row(s, NULL, collect, &got, err, sizeof err), 0);
    pl_store_close(s);
    assert_int_equal(got.n, 3);
    int want_corrupt[3] = {0, 1, 0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got.decode_error[i], 1);
        assert_int_equal(got.corrupt[i], want_corrupt[i]);
        assert_int_equal(got.req_len[i], want_corrupt[i] ? 0 : r.req_len);
    }
}

/* The schema-1 file made by the first release's build (tests/fixtures/v1/make_v1.sh). */
static void test_v1_fixture_read_and_upgraded(void **state)
{
    (void)state;
    const char *fx = getenv("PROMPTLOG_FIXTURES");
    if (!fx)
        skip();
    char src[512];
    snprintf(src, sizeof src, "%s/v1/v1.db", fx);
    const char *p = path_in("v1.db");
    copy_file(src, p);
    size_t n1 = 0, n2 = 0;
    char *before = slurp(p, &n1);

    pl_store *s = NULL;
    char err[512] = "";
    assert_int_equal(pl_store_open(p, PL_STORE_READONLY, NULL, &s, err, sizeof err), 0);
    seen ro = {0};
    assert_int_equal(pl_store_each_row(s, NULL, collect, &ro, err, sizeof err), 0);
    pl_store_close(s);
    assert_int_equal(ro.n, 14);
    assert_int_equal(ro.decode_error[0], -1);   /* the column did not exist: unknown */
    char *after = slurp(p, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);     /* reading never upgrades */
    free(before);
    free(after);

    assert_int_equal(pl_store_open(p, PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
    pl_row r = sample_row();
    assert_int_equal(pl_store_insert(s, &r, err, sizeof err), 15);
    seen rw = {0};
    assert_int_equal(pl_store_each_row(s, NULL, collect, &rw, err, sizeof err), 0);
    pl_store_close(s);
    assert_int_equal(rw.n, 15);
    for (int i = 0; i < 14; i++) {
        assert_int_equal(rw.ids[i], ro.ids[i]);
        assert_int_equal(rw.req_len[i], ro.req_len[i]);
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), PL_STORE_SCHEMA_VERSION);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Runs fn as user nobody in a child; returns its exit status. */
static int as_nobody(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(99);
        _exit(fn());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

static int read_rows_ro(void)
{
    pl_store *s = NULL;
    char err[512] = "";
    if (pl_store_open(path_in("ro/prompts.db"), PL_STORE_READONLY, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "read-only open: %s\n", err);
        return 1;
    }
    seen got = {0};
    int rc = pl_store_each_row(s, NULL, collect, &got, err, sizeof err);
    pl_store_close(s);
    return rc == 0 && got.n == 2 ? 0 : 2;
}

static int open_private(void)
{
    pl_store *s = NULL;
    char err[512] = "";
    if (pl_store_open(path_in("ro/private.db"), PL_STORE_READONLY, NULL, &s, err, sizeof err) == 0)
        return 1;
    if (!strstr(err, "permission denied")) {
        fprintf(stderr, "got: %s\n", err);
        return 2;
    }
    if (pl_store_open(path_in("ro/private.db"), PL_STORE_CREATE, NULL, &s, err, sizeof err) == 0)
        return 3;
    return strstr(err, "permission denied") ? 0 : 4;
}

static void test_readonly_dir_and_permission_denied(void **state)
{
    (void)state;
    if (getuid() != 0)
        skip();   /* needs to hand the files to another user */
    const char *d = path_in("ro");
    assert_int_equal(mkdir(d, 0755), 0);
    pl_store *s = NULL;
    char err[512] = "";
    assert_int_equal(pl_store_open(path_in("ro/prompts.db"), PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
    pl_row r = sample_row();
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    pl_store_close(s);
    assert_int_equal(chmod(path_in("ro/prompts.db"), 0644), 0);
    assert_int_equal(pl_store_open(path_in("ro/private.db"), PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
    pl_store_close(s);   /* created 0600, owned by root */
    assert_int_equal(as_nobody(read_rows_ro), 0);
    assert_int_equal(as_nobody(open_private), 0);
    /* nothing was created beside the file by the reader */
    char shm[600];
    snprintf(shm, sizeof shm, "%s-shm", path_in("ro/prompts.db"));
    assert_int_equal(access(shm, F_OK), -1);
}

/* The cached-token scan of a response body (pl_store_scan_cached): the last count wins, spaces
 * around the colon are allowed, a quoted key inside a JSON string (\") or without a colon and
 * number is no count, and a key cut at the body's end is none. */
static void test_scan_cached(void **state)
{
    (void)state;
    long long c, w;
    const char *sse = "data: {\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\": 5}}}\n\n"
                      "data: {\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\" :\t17}}}\n\n";
    pl_store_scan_cached("openai.chat", sse, strlen(sse), &c, &w);
    assert_int_equal(c, 17);
    assert_int_equal(w, 0);
    const char *esc = "{\"content\":\"say \\\"cached_tokens\\\": 9\",\"cached_tokens\":\"x\"}";
    pl_store_scan_cached("openai.chat", esc, strlen(esc), &c, &w);
    assert_int_equal(c, 0);
    const char *gem = "{\"usageMetadata\":{\"cachedContentTokenCount\":42}}";
    pl_store_scan_cached("gemini.generate", gem, strlen(gem), &c, &w);
    assert_int_equal(c, 42);
    const char *ant = "{\"usage\":{\"cache_read_input_tokens\":3,\"cache_creation_input_tokens\":1200}}";
    pl_store_scan_cached("anthropic.messages", ant, strlen(ant), &c, &w);
    assert_int_equal(c, 3);
    assert_int_equal(w, 1200);
    const char *cut = "{\"x\":1,\"cached_tokens\"";
    pl_store_scan_cached("openai.chat", cut, strlen(cut), &c, &w);
    assert_int_equal(c, 0);
    pl_store_scan_cached("openai.chat", cut, strlen(cut) - 1, &c, &w);
    assert_int_equal(c, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreign_left_byte_identical),
        cmocka_unit_test(test_decode_error_and_corrupt_blob),
        cmocka_unit_test(test_v1_fixture_read_and_upgraded),
        cmocka_unit_test(test_readonly_dir_and_permission_denied),
        cmocka_unit_test(test_scan_cached),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
