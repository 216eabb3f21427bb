/* test_store.c — the SQLite store: round trips, zstd, models, namespaces, queries, refusal of
 * newer/corrupt/foreign files, read-only opens, file mode, lock contention and many writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../store/store.h"
#include "test_store_util.h"
#include "../../store/zblob.h"

static pl_row sample_row(void)
{
    pl_row r;
    memset(&r, 0, sizeof r);
    r.ns = "default";
    r.provider = "openai";
    r.host = "api.openai.com";
    r.model = "gpt-4o-mini";
    r.api = "openai.chat";
    r.kind = "chat";
    r.method = "POST";
    r.url = "https://api.openai.com/v1/chat/completions";
    r.path = "/v1/chat/completions";
    r.status = 200;
    r.stream = 1;
    r.incomplete = 0;
    r.truncated = 0;
    r.started_at = 1700000000.25;
    r.duration = 1.5;
    r.ttfb = 0.2;
    r.ttft = 0.3;
    r.input_tokens = 12;
    r.output_tokens = 34;
    r.finish_reason = "stop";
    r.error = NULL;
    r.prompt_preview = "hello";
    r.completion_preview = "hi there";
    r.pid = 4242;
    r.program = "curl";
    r.source = "curl";
    r.http_version = 20;
    r.content_type = "text/event-stream";
    r.req_body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    r.req_len = strlen(r.req_body);
    r.resp_body = "data: {\"choices\":[]}\n\ndata: [DONE]\n\n";
    r.resp_len = strlen(r.resp_body);
    return r;
}

/* ---- collecting callbacks ---- */

typedef struct collected {
    int n;
    long long ids[512];
    char models[512][64];
    char ns[512][32];
    pl_row first;          /* copied scalars of the first row */
    char req[4096], resp[4096];
    size_t req_len, resp_len;
    int req_null, resp_null;
    char reqh[1024], resph[1024];
    char url[512], path[512], str[16][128];
} collected;

static void hdrs_to(const pl_headers *h, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; h && i < h->count; i++) {
        strncat(out, h->items[i].name, n - strlen(out) - 1);
        strncat(out, "=", n - strlen(out) - 1);
        strncat(out, h->items[i].value, n - strlen(out) - 1);
        strncat(out, ";", n - strlen(out) - 1);
    }
}

static int collect(const pl_row *r, void *ctx)
{
    collected *c = ctx;
    if (c->n == 0) {
        c->first = *r;
        const char *strs[] = {r->ns, r->provider, r->host, r->model, r->api, r->kind, r->method,
                              r->finish_reason, r->error, r->prompt_preview, r->completion_preview,
                              r->program, r->source, r->content_type};
        for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
            snprintf(c->str[i], sizeof c->str[i], "%s", strs[i] ? strs[i] : "(null)");
        snprintf(c->url, sizeof c->url, "%s", r->url ? r->url : "(null)");
        snprintf(c->path, sizeof c->path, "%s", r->path ? r->path : "(null)");
        c->req_null = r->req_body == NULL;
        c->resp_null = r->resp_body == NULL;
        if (r->req_body && r->req_len < sizeof c->req)
            memcpy(c->req, r->req_body, r->req_len);
        if (r->resp_body && r->resp_len < sizeof c->resp)
            memcpy(c->resp, r->resp_body, r->resp_len);
        c->req_len = r->req_len;
        c->resp_len = r->resp_len;
        hdrs_to(r->req_headers, c->reqh, sizeof c->reqh);
        hdrs_to(r->resp_headers, c->resph, sizeof c->resph);
    }
    if (c->n < 512) {
        c->ids[c->n] = r->id;
        snprintf(c->models[c->n], sizeof c->models[c->n], "%s", r->model ? r->model : "");
        snprintf(c->ns[c->n], sizeof c->ns[c->n], "%s", r->ns ? r->ns : "");
    }
    c->n++;
    return 0;
}

/* ---- tests ---- */

static void test_path_from_url(void **state)
{
    (void)state;
    struct { const char *url, *path; } cases[] = {
        {"sqlite:///prompts.db", "prompts.db"},
        {"sqlite:////abs/path.db", "/abs/path.db"},
        {"sqlite:///sub/dir/x.db", "sub/dir/x.db"},
        {"sqlite:///:memory:", ":memory:"},
        {"sqlite://", ":memory:"},
        {"sqlite:////tmp/x.db?mode=rwc", "/tmp/x.db"},
        {"/plain/path.db", "/plain/path.db"},
        {"rel.db", "rel.db"},
        {NULL, "prompts.db"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = pl_store_path_from_url(cases[i].url);
        assert_non_null(p);
        assert_string_equal(p, cases[i].path);
        free(p);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    pl_store *s = tmp_store(("rt.db"));
    pl_headers reqh = {0}, resph = {0};
    pl_headers_add_line(&reqh, "Content-Type: application/json", 30);
    pl_headers_add_line(&reqh, "Authorization: Bearer sk-secret-123", 35);
    pl_headers_add_line(&resph, "X-Request-Id: abc", 17);
    pl_row r = sample_row();
    r.req_headers = &reqh;
    r.resp_headers = &resph;
    char err[256] = "";
    long long id = pl_store_insert(s, &r, err, sizeof err);
    assert_true(id > 0);

    collected *c = calloc(1, sizeof *c);
    assert_int_equal(pl_store_each_row(s, "default", collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 1);
    assert_int_equal(c->first.id, id);
    const char *want[] = {"default", "openai", "api.openai.com", "gpt-4o-mini", "openai.chat", "chat", "POST",
                          "stop", "(null)", "hello", "hi there", "curl", "curl", "text/event-stream"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(c->str[i], want[i]);
    assert_string_equal(c->url, r.url);
    assert_string_equal(c->path, r.path);
    assert_int_equal(c->first.status, 200);
    assert_int_equal(c->first.stream, 1);
    assert_int_equal(c->first.incomplete, 0);
    assert_int_equal(c->first.truncated, 0);
    assert_true(c->first.started_at == r.started_at);
    assert_true(c->first.duration == r.duration);
    assert_true(c->first.ttfb == r.ttfb);
    assert_true(c->first.ttft == r.ttft);
    assert_int_equal(c->first.input_tokens, 12);
    assert_int_equal(c->first.output_tokens, 34);
    assert_int_equal(c->first.pid, 4242);
    assert_int_equal(c->first.http_version, 20);
    assert_int_equal(c->req_len, r.req_len);
    assert_memory_equal(c->req, r.req_body, r.req_len);
    assert_int_equal(c->resp_len, r.resp_len);
    assert_memory_equal(c->resp, r.resp_body, r.resp_len);
    assert_string_equal(c->reqh, "Content-Type=application/json;Authorization=[REDACTED];");
    assert_string_equal(c->resph, "X-Request-Id=abc;");
    free(c);
    pl_headers_free(&reqh);
    pl_headers_free(&resph);
    pl_store_close(s);
}

static void test_unknowns_round_trip(void **state)
{
    (void)state;
    pl_store *s = tmp_store(("unk.db"));
    pl_row r;
    memset(&r, 0, sizeof r);
    r.status = 0;
    r.stream = -1;
    r.incomplete = 1;
    r.truncated = -1;
    r.started_at = 1.0;
    r.duration = r.ttfb = r.ttft = -1;
    r.input_tokens = r.output_tokens = -1;
    r.pid = -1;
    r.error = "Couldn't connect to server";
    r.req_body = "";
    r.req_len = 0;   /* empty but present: stays distinct from absent */
    char err[256] = "";
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    collected *c = calloc(1, sizeof *c);
    assert_int_equal(pl_store_each_row(s, NULL, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->str[0], "default");   /* NULL namespace is stored as "default" */
    assert_string_equal(c->str[3], "(null)");
    assert_string_equal(c->str[8], "Couldn't connect to server");
    assert_int_equal(c->first.status, 0);
    assert_int_equal(c->first.stream, -1);
    assert_int_equal(c->first.incomplete, 1);
    assert_true(c->first.duration == -1);
    assert_int_equal(c->first.input_tokens, -1);
    assert_int_equal(c->first.pid, -1);
    assert_int_equal(c->req_null, 0);
    assert_int_equal(c->req_len, 0);
    assert_int_equal(c->resp_null, 1);
    free(c);
    pl_store_close(s);
}

static void test_zstd_round_trip(void **state)
{
    (void)state;
    size_t sizes[] = {0, 1, 100, 511, 512, 70000, 3 * 1024 * 1024}; /* both sides of PL_ZBLOB_SMALL */
    unsigned seed = 7;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        char *src = malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            src[i] = (i % 3) ? (char)(seed >> 16) : 'a';   /* partly compressible */
        }
        pl_buf z = {0}, d = {0};
        ZSTD_CCtx *cctx = k % 2 ? ZSTD_createCCtx() : NULL;
        assert_int_equal(pl_zblob_compress(cctx, src, n, &z), 0);
        assert_true(z.len > 0);
        assert_int_equal(pl_zblob_decompress(z.data, z.len, 0, &d), 0);
        assert_int_equal(d.len, n);
        if (n)
            assert_memory_equal(d.data, src, n);
        if (n > 10) {
            /* truncated frame and cap overflow are refused, never half-returned */
            assert_int_equal(pl_zblob_decompress(z.data, z.len - 3, 0, &d), -1);
            assert_int_equal(d.len, 0);
            assert_int_equal(pl_zblob_decompress(z.data, z.len, n - 1, &d), -1);
        }
        ZSTD_freeCCtx(cctx);
        pl_buf_free(&z);
        pl_buf_free(&d);
        free(src);
    }
    pl_buf d = {0};
    assert_int_equal(pl_zblob_decompress("not zstd at all", 15, 0, &d), -1);
    pl_buf_free(&d);
}

static void test_bodies_are_compressed_in_file(void **state)
{
    (void)state;
    pl_store *s = tmp_store(("z.db"));
    pl_row r = sample_row();
    char big[20000];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = "marker-text "[i % 12];
    big[sizeof big - 1] = '\0';
    r.req_body = big;
    r.req_len = strlen(big);
    char err[256];
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    pl_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(tmp_path("z.db"), &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT length(request_body), request_size, hex(substr(request_body,1,4)) FROM calls", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_int(st, 0) < 1000);
    assert_int_equal(sqlite3_column_int(st, 1), (int)strlen(big));
    assert_string_equal((const char *)sqlite3_column_text(st, 2), "28B52FFD");   /* zstd magic */
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int collect_model(const pl_model_row *m, void *ctx)
{
    char *out = ctx;
    char line[200];
    snprintf(line, sizeof line, "%s/%s/%s;", m->ns, m->name, m->provider ? m->provider : "-");
    strcat(out, line);
    assert_true(m->id > 0);
    assert_true(m->created > 0);
    return 0;
}

static void test_models_and_namespaces(void **state)
{
    (void)state;
    pl_store *s = tmp_store(("m.db"));
    struct { const char *ns, *model, *provider; } rows[] = {
        {"ns1", "gpt-4o", "openai"}, {"ns1", "gpt-4o", "openai"}, {"ns1", "claude-3", "anthropic"},
        {"ns2", "gpt-4o", "openai"}, {"ns1", "", "openai"}, {"ns1", NULL, "openai"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        pl_row r = sample_row();
        r.ns = rows[i].ns;
        r.model = rows[i].model;
        r.provider = rows[i].provider;
        assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    }
    char out[1000] = "";
    assert_int_equal(pl_store_each_model(s, "ns1", collect_model, out, err, sizeof err), 0);
    assert_string_equal(out, "ns1/gpt-4o/openai;ns1/claude-3/anthropic;");
    out[0] = '\0';
    assert_int_equal(pl_store_each_model(s, NULL, collect_model, out, err, sizeof err), 0);
    assert_string_equal(out, "ns1/gpt-4o/openai;ns1/claude-3/anthropic;ns2/gpt-4o/openai;");
    out[0] = '\0';
    assert_int_equal(pl_store_each_model(s, "nope", collect_model, out, err, sizeof err), 0);
    assert_string_equal(out, "");

    collected *c = calloc(1, sizeof *c);
    assert_int_equal(pl_store_each_row(s, "ns1", collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 5);
    for (int i = 1; i < c->n; i++)
        assert_true(c->ids[i] > c->ids[i - 1]);   /* oldest first */
    memset(c, 0, sizeof *c);
    assert_int_equal(pl_store_each_row(s, "ns2", collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->ns[0], "ns2");
    memset(c, 0, sizeof *c);
    assert_int_equal(pl_store_each_row(s, NULL, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 6);
    free(c);
    pl_store_close(s);
}

static void test_queries(void **state)
{
    (void)state;
    pl_store *s = tmp_store(("q.db"));
    const char *kinds[] = {"chat", "text", "embedding", "chat", NULL, "chat"};
    const char *models[] = {"a", "b", "a", "c", "a", "b"};
    char err[256];
    long long ids[6];
    for (int i = 0; i < 6; i++) {
        pl_row r = sample_row();
        r.kind = kinds[i];
        r.model = models[i];
        ids[i] = pl_store_insert(s, &r, err, sizeof err);
        assert_true(ids[i] > 0);
    }
    collected *c = calloc(1, sizeof *c);
    pl_store_query q = {0};
    q.kind = "chat";
    assert_int_equal(pl_store_each_row_q(s, &q, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 4);   /* three chats and the one of unknown kind */
    assert_int_equal(c->ids[3], ids[5]);

    const char *want[] = {"a", "b", NULL};
    memset(c, 0, sizeof *c);
    q.models = want;
    assert_int_equal(pl_store_each_row_q(s, &q, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 3);
    assert_string_equal(c->models[0], "a");
    assert_string_equal(c->models[1], "a");
    assert_string_equal(c->models[2], "b");

    memset(c, 0, sizeof *c);
    pl_store_query last = {0};
    last.last = 2;
    last.no_bodies = 1;
    assert_int_equal(pl_store_each_row_q(s, &last, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->ids[0], ids[4]);
    assert_int_equal(c->ids[1], ids[5]);
    assert_int_equal(c->req_null, 1);

    memset(c, 0, sizeof *c);
    pl_store_query one = {0};
    one.id = ids[2];
    assert_int_equal(pl_store_each_row_q(s, &one, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 1);
    assert_int_equal(c->ids[0], ids[2]);
    assert_int_equal(c->req_null, 0);
    free(c);
    pl_store_close(s);
}

static int collect_count(const pl_store_count *c, void *ctx)
{
    char *out = ctx;
    char line[200];
    snprintf(line, sizeof line, "%s/%s/%s:%lld,%lld,%lld,%lld;", c->ns, c->provider ? c->provider : "-",
             c->model ? c->model : "-", c->calls, c->errors, c->input_tokens, c->output_tokens);
    strcat(out, line);
    return 0;
}

static void test_counts(void **state)
{
    (void)state;
    pl_store *s = tmp_store(("c.db"));
    char err[256];
    for (int i = 0; i < 3; i++) {
        pl_row r = sample_row();
        r.status = i == 2 ? 500 : 200;
        assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    }
    pl_row r = sample_row();
    r.ns = "other";
    r.model = NULL;
    r.input_tokens = -1;
    r.error = "boom";
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    char out[1000] = "";
    assert_int_equal(pl_store_each_count(s, collect_count, out, err, sizeof err), 0);
    assert_string_equal(out, "default/openai/gpt-4o-mini:3,1,36,102;other/openai/-:1,1,0,34;");
    pl_store_close(s);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    const char *p = tmp_path("newer.db");
    pl_store *s = tmp_store_open(p);
    pl_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct stat before, after;
    assert_int_equal(stat(p, &before), 0);

    char err[256] = "";
    assert_int_equal(pl_store_open(p, PL_STORE_CREATE, NULL, &s, err, sizeof err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "newer"));
    assert_null(strchr(err, '\n'));
    err[0] = '\0';
    assert_int_equal(pl_store_open(p, PL_STORE_READONLY, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "newer"));
    assert_int_equal(stat(p, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
}

static void test_readonly_missing_and_no_create(void **state)
{
    (void)state;
    const char *p = tmp_path("missing.db");
    pl_store *s = NULL;
    char err[256] = "";
    assert_int_equal(pl_store_open(p, PL_STORE_READONLY, NULL, &s, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "no database at %s", p);
    assert_string_equal(err, want);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(pl_store_open(p, 0, NULL, &s, err, sizeof err), -1);
    assert_int_equal(access(p, F_OK), -1);

    /* read-only opening of a real database reads, and refuses writes */
    char url[600];
    snprintf(url, sizeof url, "sqlite:///%s", tmp_path("ro.db"));   /* sqlite:////tmp/... form */
    s = tmp_store_open(url);
    pl_row r = sample_row();
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    pl_store_close(s);
    assert_int_equal(pl_store_open(url, PL_STORE_READONLY, NULL, &s, err, sizeof err), 0);
    collected *c = calloc(1, sizeof *c);
    assert_int_equal(pl_store_each_row(s, NULL, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, 1);
    free(c);
    assert_int_equal(pl_store_insert(s, &r, err, sizeof err), -1);
    pl_store_close(s);
}

static void test_mode_0600(void **state)
{
    (void)state;
    mode_t old = umask(0);
    pl_store *s = tmp_store(("mode.db"));
    pl_row r = sample_row();
    char err[256];
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    struct stat st;
    assert_int_equal(stat(tmp_path("mode.db"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(tmp_path("mode.db-wal"), &st), 0);   /* WAL is on, and private too */
    assert_int_equal(st.st_mode & 0777, 0600);
    pl_store_close(s);
    umask(old);
}

static void test_corrupt_and_foreign(void **state)
{
    (void)state;
    const char *p = tmp_path("corrupt.db");
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 300; i++)
        fputs("this is not a database at all. ", f);
    fclose(f);
    pl_store *s = NULL;
    char err[256] = "";
    assert_int_equal(pl_store_open(p, PL_STORE_CREATE, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a SQLite database or is corrupt"));
    assert_int_equal(pl_store_open(p, PL_STORE_READONLY, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "corrupt"));

    const char *q = tmp_path("foreign.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(q, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE things(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(pl_store_open(q, PL_STORE_CREATE, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "something else"));
    assert_int_equal(pl_store_open(q, PL_STORE_READONLY, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a promptlog database"));

    const char *d = tmp_path("adir");
    mkdir(d, 0700);
    assert_int_equal(pl_store_open(d, PL_STORE_CREATE, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "directory"));
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir/x.db", tmp_dir);
    assert_int_equal(pl_store_open(nodir, PL_STORE_CREATE, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create"));
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child holds the write lock for hold_ms; returns its pid once the lock is held. */
static pid_t hold_lock(const char *p, int hold_ms)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *db;
        if (sqlite3_open(p, &db) != SQLITE_OK || sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        usleep((useconds_t)hold_ms * 1000);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(0);
    }
    char ch;
    close(fds[1]);
    assert_int_equal(read(fds[0], &ch, 1), 1);
    close(fds[0]);
    return pid;
}

static void test_lock_contention(void **state)
{
    (void)state;
    const char *p = tmp_path("lock.db");
    pl_store *s = tmp_store_open(p);
    pl_store_close(s);
    pl_store_options o = {.busy_timeout_ms = 2000};
    char err[256] = "";
    assert_int_equal(pl_store_open(p, PL_STORE_CREATE, &o, &s, err, sizeof err), 0);

    /* a short hold is waited out */
    pid_t pid = hold_lock(p, 300);
    pl_row r = sample_row();
    double t0 = mono();
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    assert_true(mono() - t0 >= 0.2);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    pl_store_close(s);

    /* a long hold fails within the budget, with a clear reason */
    o.busy_timeout_ms = 200;
    assert_int_equal(pl_store_open(p, PL_STORE_CREATE, &o, &s, err, sizeof err), 0);
    pid = hold_lock(p, 1500);
    t0 = mono();
    assert_int_equal(pl_store_insert(s, &r, err, sizeof err), -1);
    double took = mono() - t0;
    assert_true(took >= 0.15 && took < 0.8);
    assert_non_null(strstr(err, "locked"));
    waitpid(pid, &status, 0);
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);
    pl_store_close(s);
}

static void test_many_processes(void **state)
{
    (void)state;
    const char *p = tmp_path("multi.db");   /* nobody has created it: the children race to */
    enum { CHILDREN = 4, EACH = 50 };
    pid_t pids[CHILDREN];
    for (int k = 0; k < CHILDREN; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            pl_store *s = NULL;
            char err[256];
            pl_store_options o = {.busy_timeout_ms = 10000};
            if (pl_store_open(p, PL_STORE_CREATE, &o, &s, err, sizeof err) != 0) {
                fprintf(stderr, "child open: %s\n", err);
                _exit(2);
            }
            char model[32];
            snprintf(model, sizeof model, "model-%d", k);
            for (int i = 0; i < EACH; i++) {
                pl_row r = sample_row();
                r.model = model;
                r.pid = getpid();
                if (pl_store_insert(s, &r, err, sizeof err) <= 0) {
                    fprintf(stderr, "child insert: %s\n", err);
                    _exit(3);
                }
            }
            pl_store_close(s);
            _exit(0);
        }
    }
    for (int k = 0; k < CHILDREN; k++) {
        int status;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    pl_store *s = NULL;
    char err[256];
    assert_int_equal(pl_store_open(p, PL_STORE_READONLY, NULL, &s, err, sizeof err), 0);
    collected *c = calloc(1, sizeof *c);
    assert_int_equal(pl_store_each_row(s, NULL, collect, c, err, sizeof err), 0);
    assert_int_equal(c->n, CHILDREN * EACH);
    char out[1000] = "";
    assert_int_equal(pl_store_each_model(s, NULL, collect_model, out, err, sizeof err), 0);
    int models = 0;
    for (char *q = out; (q = strchr(q, ';')); q++)
        models++;
    assert_int_equal(models, CHILDREN);
    free(c);
    pl_store_close(s);
}

/* RLIMIT_FSIZE: a write past it raises SIGXFSZ, which would kill the host. The insert must fail
 * cleanly instead, and the process live on with its signal mask unchanged. */
static void test_file_size_limit(void **state)
{
    (void)state;
    const char *p = tmp_path("fsize.db");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {256 * 1024, 256 * 1024};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        pl_store *s = NULL;
        char err[256];
        if (pl_store_open(p, PL_STORE_CREATE, NULL, &s, err, sizeof err) != 0)
            _exit(11);
        char *big = malloc(64 * 1024);
        unsigned seed = 1;
        for (int i = 0; i < 64 * 1024; i++) {
            seed = seed * 1103515245u + 12345u;
            big[i] = (char)(seed >> 16);   /* incompressible */
        }
        int failed = 0;
        for (int i = 0; i < 40 && !failed; i++) {
            pl_row r = sample_row();
            r.req_body = big;
            r.req_len = 64 * 1024;
            if (pl_store_insert(s, &r, err, sizeof err) < 0)
                failed = 1;
        }
        pl_store_close(s);
        sigset_t now;
        pthread_sigmask(SIG_BLOCK, NULL, &now);
        if (sigismember(&now, SIGXFSZ))
            _exit(13);   /* the mask must be restored */
        _exit(failed ? 0 : 12);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("child killed by signal %d", WTERMSIG(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_from_url),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknowns_round_trip),
        cmocka_unit_test(test_zstd_round_trip),
        cmocka_unit_test(test_bodies_are_compressed_in_file),
        cmocka_unit_test(test_models_and_namespaces),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_readonly_missing_and_no_create),
        cmocka_unit_test(test_mode_0600),
        cmocka_unit_test(test_corrupt_and_foreign),
        cmocka_unit_test(test_lock_contention),
        cmocka_unit_test(test_many_processes),
        cmocka_unit_test(test_file_size_limit),
    };
    return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
