/* test_capture.c — the capture entry point: endpoint filter, exchange → row (every column the
 * capture layer computes: path, url, ttfb/ttft, tokens, previews, program, pid), errno kept,
 * an unwritable database skipped and counted, a forked child writing on its own connection,
 * PROMPTLOG_DISABLE. Compiles preload/runtime.c and preload/capture.c in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "../../preload/capture.c"
#include "../../preload/doctor_report.c"
#include "../../preload/process.c"
#include "../../preload/runtime.c"
#include "../../engine/commit.c"
#include "../../engine/store_conn.c"

/* process.c's exit and fork steps call into the connection table and the libcurl shadow table,
 * which this test does not link. */
void pl_conn_finish_all(void) {}
void pl_conn_flush_in_flight(void) {}
void pl_conn_fork_child(void) {}
/* The engine's commit and store, linked in: the table preload/engine.c would load. */
static const pl_engine g_engine_linked = {
    .version = PL_ENGINE_VERSION,
    .commit = pl_engine_commit,
    .store_close = pl_engine_store_close,
    .fork_prepare = pl_engine_store_fork_prepare,
    .fork_parent = pl_engine_store_fork_parent,
    .fork_child = pl_engine_store_fork_child,
};
const pl_engine *pl_engine_get(void) { return &g_engine_linked; }
void pl_engine_fork_child(void) {}
void pl_engine_fork_prepare(void) {}
void pl_curl_shadow_fork_prepare(void) {}
void pl_curl_shadow_fork_release(void) {}

static char g_db[256];

/* Tests that need another configuration run it in a fork, after forgetting the loaded one. */
static void reload_config(void)
{
    memset(&g_config, 0, sizeof g_config);
    g_config_once = (pthread_once_t)PTHREAD_ONCE_INIT;
}

static char *read_file(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static const char *REQ = "{\"model\":\"gpt-4\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                         "\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}";

/* A streamed chat completion arriving 40 bytes at a time, 10 ms apart. */
static pl_exchange *streamed_exchange(double t0)
{
    size_t len;
    char *resp = read_file("openai_chat_stream_include_usage.sse", &len);
    pl_exchange *x = pl_exchange_new(PL_SOURCE_OPENSSL);
    x->method = strdup("POST");
    pl_exchange_set_url(x, "https://api.openai.com/v1/chat/completions?api-version=1");
    pl_headers_add_line(&x->req_headers, "Authorization: Bearer sk-test-capture-secret", 44);
    pl_headers_add_line(&x->resp_headers, "Content-Type: text/event-stream", 30);
    pl_buf_append_str(&x->req_body, REQ);
    x->status = 200;
    x->http_version = 11;
    x->started_at = t0;
    for (size_t off = 0, i = 1; off < len; off += 40, i++) {
        pl_buf_append(&x->resp_body, resp + off, len - off < 40 ? len - off : 40);
        pl_exchange_mark(x, t0 + 0.1 + 0.01 * (double)i);
    }
    x->ended_at = t0 + 1.0;
    free(resp);
    return x;
}

typedef struct rows {
    int n;
    char model[64], path[128], url[256], program[64], source[16], finish[32], prompt[64], completion[64];
    int status, stream, pid;
    long long in_tok, out_tok;
    double ttfb, ttft, duration;
} rows;

static int collect(const pl_row *r, void *ctx)
{
    rows *c = ctx;
    c->n++;
#define CP(dst, src) snprintf(c->dst, sizeof c->dst, "%s", (src) ? (src) : "")
    CP(model, r->model);
    CP(path, r->path);
    CP(url, r->url);
    CP(program, r->program);
    CP(source, r->source);
    CP(finish, r->finish_reason);
    CP(prompt, r->prompt_preview);
    CP(completion, r->completion_preview);
    c->status = r->status;
    c->stream = r->stream;
    c->pid = r->pid;
    c->in_tok = r->input_tokens;
    c->out_tok = r->output_tokens;
    c->ttfb = r->ttfb;
    c->ttft = r->ttft;
    c->duration = r->duration;
    return 0;
}

static rows read_rows(const char *db)
{
    rows c;
    memset(&c, 0, sizeof c);
    pl_store *s = NULL;
    char err[256];
    assert_int_equal(pl_store_open(db, PL_STORE_READONLY, NULL, &s, err, sizeof err), 0);
    assert_int_equal(pl_store_each_row(s, NULL, collect, &c, err, sizeof err), 0);
    pl_store_close(s);
    return c;
}

static void test_wanted(void **st)
{
    (void)st;
    pl_endpoint ep;
    assert_true(pl_capture_wanted("POST", "api.openai.com", 443, "/v1/chat/completions", &ep));
    assert_int_equal(ep.api, PL_API_OPENAI_CHAT);
    assert_false(pl_capture_wanted("GET", "api.openai.com", 443, "/v1/models", &ep));
    assert_false(pl_capture_wanted("POST", "example.com", 443, "/upload", &ep));
    assert_false(pl_capture_wanted("POST", NULL, 443, "/v1/chat/completions", &ep));
    errno = 4321;
    pl_capture_wanted("POST", "example.com", 443, "/upload", &ep);
    assert_int_equal(errno, 4321);
    /* Nothing is opened by asking. */
    assert_int_equal(access(g_db, F_OK), -1);
}

static void test_commit_row(void **st)
{
    (void)st;
    pl_endpoint ep;
    assert_true(pl_capture_wanted("POST", "api.openai.com", 443, "/v1/chat/completions", &ep));
    double t0 = pl_now() - 5;
    pl_stats before = pl_stats_get();
    errno = 1234;
    pl_capture_commit(streamed_exchange(t0), &ep);
    assert_int_equal(errno, 1234);
    assert_int_equal(pl_stats_get().captured, before.captured + 1);

    rows c = read_rows(g_db);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.model, "gpt-4");
    assert_string_equal(c.path, "/v1/chat/completions");
    assert_string_equal(c.url, "https://api.openai.com/v1/chat/completions?api-version=1");
    assert_string_equal(c.source, "openssl");
    assert_string_equal(c.program, "test_capture");
    assert_string_equal(c.finish, "stop");
    assert_string_equal(c.prompt, "Say this is a test");
    assert_non_null(strstr(c.completion, "This is a test"));
    assert_int_equal(c.status, 200);
    assert_int_equal(c.stream, 1);
    assert_int_equal(c.pid, getpid());
    assert_true(c.in_tok > 0);
    assert_true(c.out_tok > 0);
    assert_true(c.duration > 0.99 && c.duration < 1.01);
    assert_true(c.ttfb > 0.105 && c.ttfb < 0.115);          /* first mark: 0.11 s */
    assert_true(c.ttft >= c.ttfb && c.ttft < 1.0);          /* first content event, later */

    /* Not an LLM call: nothing in, x freed (LSan would see a leak otherwise). */
    pl_capture_commit(NULL, &ep);
    pl_capture_commit(pl_exchange_new(PL_SOURCE_CURL), NULL);
    assert_int_equal(read_rows(g_db).n, 1);
}

static void test_fork_child_own_connection(void **st)
{
    (void)st;
    pl_endpoint ep;
    assert_true(pl_capture_wanted("POST", "api.openai.com", 443, "/v1/chat/completions", &ep));
    int before = read_rows(g_db).n;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pl_capture_commit(streamed_exchange(pl_now()), &ep);
        _exit(pl_stats_get().captured >= 1 && g_store && g_store_generation == g_generation ? 0 : 3);
    }
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);
    /* The parent's connection still works after the child used its own. */
    pl_capture_commit(streamed_exchange(pl_now()), &ep);
    rows c = read_rows(g_db);
    assert_int_equal(c.n, before + 2);
    assert_int_equal(c.pid, getpid());
}

static void test_unwritable_and_disabled(void **st)
{
    (void)st;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A fresh configuration in the child: a database that cannot be created. */
        g_store = NULL;
        g_next_open = 0;
        setenv("PROMPTLOG_DATABASE", "/nonexistent-promptlog-dir/x.db", 1);
        reload_config();
        pl_endpoint ep;
        if (!pl_capture_wanted("POST", "api.openai.com", 443, "/v1/chat/completions", &ep))
            _exit(2);
        unsigned long skipped = pl_stats_get().skipped;
        errno = 77;
        double t = pl_now();
        pl_capture_commit(streamed_exchange(t), &ep);
        pl_capture_commit(streamed_exchange(t), &ep); /* within the retry interval: no new open */
        if (errno != 77 || pl_stats_get().skipped != skipped + 2 || pl_now() - t > 1.0)
            _exit(3);
        /* PROMPTLOG_DISABLE: nothing is wanted at all. */
        setenv("PROMPTLOG_DISABLE", "1", 1);
        reload_config();
        _exit(pl_capture_wanted("POST", "api.openai.com", 443, "/v1/chat/completions", &ep) ? 4 : 0);
    }
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);
}

static void test_config_parsing(void **st)
{
    (void)st;
    assert_int_equal(parse_size("16M", 1), 16u << 20);
    assert_int_equal(parse_size("512k", 1), 512u << 10);
    assert_int_equal(parse_size("1GiB", 1), (size_t)1 << 30);
    assert_int_equal(parse_size("100", 1), 100);
    assert_int_equal(parse_size("12x", 7), 7);
    assert_int_equal(parse_size("", 7), 7);
    assert_int_equal(parse_size(NULL, 7), 7);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-capture.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(g_db, sizeof g_db, "%s/prompts.db", dir);
    setenv("PROMPTLOG_DATABASE", g_db, 1);
    unsetenv("PROMPTLOG_DISABLE");
    unsetenv("PROMPTLOG_ENDPOINTS");
    unsetenv("PROMPTLOG_IGNORE");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wanted),
        cmocka_unit_test(test_commit_row),
        cmocka_unit_test(test_fork_child_own_connection),
        cmocka_unit_test(test_unwritable_and_disabled),
        cmocka_unit_test(test_config_parsing),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
