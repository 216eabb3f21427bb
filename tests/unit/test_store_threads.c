/* test_store_threads.c — the readable store: each distinct message stored once, calls linked
 * into conversations by content (continuation, retry, branch, interleaved, other namespace),
 * prompt versions, full-text search, request bodies compressed against their parent and read
 * back exactly, 8 processes writing the same conversations, and an upgrade killed mid-way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../llm/llm.h"
#include "../../store/bodies.h"
#include "../../store/store.h"
#include "test_store_util.h"


/* One chat call as a capture stores it: msgs is the JSON text of the messages array. */
static long long call(pl_store *s, const char *ns, const char *msgs, const char *reply)
{
    char req[16384 + 512], resp[4096];
    snprintf(req, sizeof req, "{\"model\":\"gpt-4o-mini\",\"messages\":%s}", msgs);
    cJSON *r = cJSON_CreateObject(), *ch = cJSON_AddArrayToObject(r, "choices"), *c = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(c, "message");
    cJSON_AddStringToObject(m, "role", "assistant");
    cJSON_AddStringToObject(m, "content", reply);
    cJSON_AddStringToObject(c, "finish_reason", "stop");
    cJSON_AddItemToArray(ch, c);
    char *rt = cJSON_PrintUnformatted(r);
    snprintf(resp, sizeof resp, "%s", rt);
    cJSON_free(rt);
    cJSON_Delete(r);
    pl_llm_input in = {.api = PL_API_OPENAI_CHAT, .provider = "openai", .target = "/v1/chat/completions",
                       .status = 200, .content_type = "application/json", .req_body = req,
                       .req_len = strlen(req), .resp_body = resp, .resp_len = strlen(resp)};
    cJSON *rec = pl_llm_normalize(&in);
    pl_row row = tmp_chat_row(ns, 1700000000);
    row.req_body = req;
    row.req_len = strlen(req);
    row.resp_body = resp;
    row.resp_len = strlen(resp);
    row.record = rec;
    /* header lists as a client sends them: the same but for the length (and the date) */
    pl_headers rq = {0}, rs = {0};
    char len[24];
    snprintf(len, sizeof len, "%zu", row.req_len);
    const char *hq[][2] = {{"Host", "api.openai.com"}, {"Content-Length", len},
                           {"Authorization", "Bearer sk-secret-0123456789"}, {"Content-Type", "application/json"}};
    for (size_t i = 0; i < sizeof hq / sizeof *hq; i++)
        pl_headers_add(&rq, hq[i][0], strlen(hq[i][0]), hq[i][1], strlen(hq[i][1]));
    snprintf(len, sizeof len, "%zu", row.resp_len);
    pl_headers_add(&rs, "date", 4, reply, strlen(reply));
    pl_headers_add(&rs, "content-length", 14, len, strlen(len));
    row.req_headers = &rq;
    row.resp_headers = &rs;
    char err[512] = "";
    long long id = pl_store_insert(s, &row, err, sizeof err);
    if (id <= 0)
        fail_msg("insert: %s", err);
    cJSON_Delete(rec);
    pl_headers_free(&rq);
    pl_headers_free(&rs);
    return id;
}

static char *qs(const char *db, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path(db), &h), SQLITE_OK);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    char *v = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) ? strdup((const char *)sqlite3_column_text(st, 0)) : strdup("");
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

#define SYS "{\"role\":\"system\",\"content\":\"You are terse.\"}"
#define U(t) "{\"role\":\"user\",\"content\":\"" t "\"}"
#define A(t) "{\"role\":\"assistant\",\"content\":\"" t "\"}"

static void test_messages_stored_once(void **state)
{
    (void)state;
    pl_store *s = tmp_store("once.db");
    call(s, "default", "[" SYS "," U("one") "]", "r1");
    call(s, "default", "[" SYS "," U("one") "," A("r1") "," U("two") "]", "r2");
    call(s, "other", "[" SYS "," U("one") "]", "r1");
    pl_store_close(s);
    /* system, one, r1, two, r2: the history re-sent and the other namespace add nothing */
    assert_int_equal(tmp_q1("once.db", "SELECT count(*) FROM messages"), 5);
    assert_int_equal(tmp_q1("once.db", "SELECT count(*) FROM messages WHERE role = 'system'"), 1);
    assert_int_equal(tmp_q1("once.db", "SELECT count(*) FROM transcript WHERE call_id = 2"), 5);
    /* the call stores only what its parent did not have: two, r2 */
    assert_int_equal(tmp_q1("once.db", "SELECT count(*) FROM call_messages WHERE call_id = 2"), 2);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path("once.db"), &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT group_concat(role || ':' || content, '|') FROM"
                                           " (SELECT role, content FROM transcript WHERE call_id = 2 ORDER BY position)",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0),
                        "system:You are terse.|user:one|assistant:r1|user:two|assistant:r2");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void test_conversation_links(void **state)
{
    (void)state;
    pl_store *s = tmp_store("links.db");
    long long a1 = call(s, "default", "[" SYS "," U("a") "]", "ra");
    long long b1 = call(s, "default", "[" SYS "," U("b") "]", "rb");                      /* interleaved */
    long long a2 = call(s, "default", "[" SYS "," U("a") "," A("ra") "," U("a2") "]", "ra2");
    long long b2 = call(s, "default", "[" SYS "," U("b") "," A("rb") "," U("b2") "]", "rb2");
    long long a2r = call(s, "default", "[" SYS "," U("a") "," A("ra") "," U("a2") "]", "ra2'");  /* retry */
    long long a2x = call(s, "default", "[" SYS "," U("a") "," A("ra") "," U("other") "]", "rx"); /* branch */
    long long a3 = call(s, "default", "[" SYS "," U("a") "," A("ra") "," U("a2") "," A("ra2'") "," U("a3") "]", "ra3");
    long long n1 = call(s, "elsewhere", "[" SYS "," U("a") "," A("ra") "," U("a2") "]", "ra2");  /* other ns */
    pl_store_close(s);
    struct { long long id, parent, conv; } want[] = {
        {a1, -1, a1}, {b1, -1, b1}, {a2, a1, a1}, {b2, b1, b1}, {a2r, a1, a1}, {a2x, a1, a1}, {a3, a2r, a1}, {n1, -1, n1},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_int_equal(tmp_col_of("links.db", "parent_id", want[i].id), want[i].parent);
        assert_int_equal(tmp_col_of("links.db", "conversation_id", want[i].id), want[i].conv);
    }
    assert_int_equal(tmp_q1("links.db", "SELECT calls FROM conversations WHERE id = 1"), 5);
    assert_int_equal(tmp_q1("links.db", "SELECT count(*) FROM conversations"), 3);
}

static void test_prompt_versions_and_search(void **state)
{
    (void)state;
    pl_store *s = tmp_store("versions.db");
    call(s, "default", "[" SYS "," U("the timeout hit, so retry later") "]", "ok");
    call(s, "default", "[" SYS "," U("only a timeout here") "]", "ok");
    /* a process that dies before its first batch: its texts are not indexed yet... */
    pid_t pid = fork();
    if (pid == 0) {
        pl_store *c = tmp_store("versions.db");
        call(c, "default", "[" SYS "," U("a child says timeout and retry") "]", "ok");
        _exit(0);   /* no close */
    }
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(tmp_q1("versions.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'timeout'"), 0);
    call(s, "default", "[{\"role\":\"system\",\"content\":\"You are verbose.\"}," U("retry with timeout now") "]", "ok");
    pl_store_close(s);   /* ...and the next batch, here at close, takes every process's texts */
    assert_int_equal(tmp_q1("versions.db", "SELECT count(*) FROM prompt_versions WHERE namespace = 'default'"), 2);
    assert_int_equal(tmp_q1("versions.db", "SELECT calls FROM prompt_versions WHERE version = 1"), 3);
    assert_int_equal(tmp_q1("versions.db", "SELECT calls FROM prompt_versions WHERE version = 2"), 1);
    char *hits = qs("versions.db", "SELECT group_concat(call_id) FROM (SELECT DISTINCT call_id FROM call_messages"
                                   " WHERE message_id IN (SELECT rowid FROM messages_fts"
                                   " WHERE messages_fts MATCH 'timeout AND retry') ORDER BY call_id)");
    assert_string_equal(hits, "1,3,4");
    free(hits);
    /* each distinct text is indexed once: "ok" answered three calls */
    assert_int_equal(tmp_q1("versions.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'ok'"), 1);
}

typedef struct bodies {
    int n, bad;
} bodies;

static int check_body(const pl_row *r, void *ctx)
{
    bodies *b = ctx;
    b->n++;
    /* every request body is {"model":...,"messages":[...]} whatever chain it was stored in */
    if (!r->req_body || strncmp(r->req_body, "{\"model\":\"gpt-4o-mini\",\"messages\":[", 35) != 0 ||
        r->req_body[r->req_len - 1] != '}' || r->body_corrupt)
        b->bad++;
    char want[64];
    snprintf(want, sizeof want, "\"content\":\"reply %lld\"", r->id - 1);
    if (!r->resp_body || !strstr(r->resp_body, want) || strncmp(r->resp_body, "{\"choices\":[", 12) != 0)
        b->bad++;
    return 0;
}

static void test_body_chains(void **state)
{
    (void)state;
    pl_store *s = tmp_store("chains.db");
    char hist[16384] = "[" SYS;
    for (int t = 0; t < 80; t++) {
        char turn[256];
        snprintf(turn, sizeof turn, ",{\"role\":\"user\",\"content\":\"turn %d with some words about the build\"}]", t);
        char msgs[16384 + 256];
        snprintf(msgs, sizeof msgs, "%s%s", hist, turn);
        char reply[64];
        snprintf(reply, sizeof reply, "reply %d", t);
        call(s, "default", msgs, reply);
        size_t n = strlen(hist);
        snprintf(hist + n, sizeof hist - n, "%.*s,{\"role\":\"assistant\",\"content\":\"%s\"}", (int)strlen(turn) - 1, turn, reply);
    }
    bodies b = {0};
    char err[512] = "";
    assert_int_equal(pl_store_each_row(s, NULL, check_body, &b, err, sizeof err), 0);
    pl_store_close(s);
    assert_int_equal(b.n, 80);
    assert_int_equal(b.bad, 0);
    assert_int_equal(tmp_q1("chains.db", "SELECT count(*) FROM calls WHERE request_ref IS NOT NULL"), 79 - 1);
    assert_int_equal(tmp_q1("chains.db", "SELECT count(*) FROM calls WHERE response_ref IS NOT NULL"), 79 - 1);
    /* the chain is cut at PL_THREADS_MAX_DEPTH (64): call 66 starts a new one */
    assert_int_equal(tmp_col_of("chains.db", "request_ref", 66), -1);
    /* read one deep in the chain directly, and compare with its size */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path("chains.db"), &h), SQLITE_OK);
    pl_buf out = {0};
    assert_int_equal(pl_body_read(h, 60, 0, &out, err, sizeof err), 0);
    assert_int_equal((long long)out.len, tmp_col_of("chains.db", "request_size", 60));
    assert_int_equal(pl_body_read(h, 9999, 0, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "no call with id 9999"));
    sqlite3_exec(h, "UPDATE calls SET request_body = x'28b52ffd00' WHERE id = 30", NULL, NULL, NULL);
    assert_int_equal(pl_body_read(h, 60, 0, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "corrupt"));
    sqlite3_exec(h, "UPDATE calls SET request_ref = 61 WHERE id = 40", NULL, NULL, NULL);   /* a cycle */
    assert_int_equal(pl_body_read(h, 61, 0, &out, err, sizeof err), -1);
    pl_buf_free(&out);
    sqlite3_close(h);
}

/* Each row's header lists, as pl_store_each_row reads them back. */
static int check_headers(const pl_row *r, void *ctx)
{
    (void)ctx;
    char len[24];
    assert_int_equal(r->req_headers->count, 4);
    assert_string_equal(pl_headers_get(r->req_headers, "Authorization"), PL_REDACTED);
    snprintf(len, sizeof len, "%zu", r->req_len);
    assert_string_equal(pl_headers_get(r->req_headers, "Content-Length"), len);
    assert_string_equal(r->req_headers->items[1].name, "Content-Length");   /* in wire order */
    snprintf(len, sizeof len, "%zu", r->resp_len);
    assert_string_equal(pl_headers_get(r->resp_headers, "content-length"), len);
    assert_non_null(pl_headers_get(r->resp_headers, "date"));
    return 0;
}

static void test_eight_writers(void **state)
{
    (void)state;
    pl_store *s = tmp_store("eight.db");
    pl_store_close(s);
    pid_t kids[8];
    for (int k = 0; k < 8; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            pl_store *c = NULL;
            char err[512];
            if (pl_store_open(tmp_path("eight.db"), PL_STORE_CREATE, NULL, &c, err, sizeof err) != 0)
                _exit(1);
            /* every process runs the same two conversations, turn by turn */
            for (int conv = 0; conv < 2; conv++) {
                const char *u = conv ? "b" : "a";
                char m1[512], m2[1024];
                snprintf(m1, sizeof m1, "[" SYS ",{\"role\":\"user\",\"content\":\"%s\"}]", u);
                snprintf(m2, sizeof m2, "[" SYS ",{\"role\":\"user\",\"content\":\"%s\"}," A("r") "," U("next") "]", u);
                call(c, "default", m1, "r");
                call(c, "default", m2, "done");
            }
            pl_store_close(c);
            _exit(0);
        }
    }
    for (int k = 0; k < 8; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM calls"), 32);
    /* system, a, b, r, next, done: never a duplicate row */
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM messages"), 6);
    /* every second turn found a first turn of its conversation */
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM calls c JOIN calls p ON p.id = c.parent_id"
                                    " WHERE c.id IN (SELECT call_id FROM transcript WHERE content = 'next')"), 16);
    assert_int_equal(tmp_q1("eight.db", "SELECT count(DISTINCT conversation_id) FROM calls"
                                    " WHERE id IN (SELECT call_id FROM transcript WHERE content = 'next')") <= 16, 1);
    /* one request header set and one response set, whoever wrote first; each call's own values
     * come back in place, the key redacted */
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM header_sets"), 2);
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM call_headers h JOIN calls c ON c.id = h.call_id"
                                    " WHERE h.request_headers LIKE '%[\"Content-Length\",\"' || c.request_size || '\"]%'"
                                    " AND h.request_headers LIKE '%[\"Authorization\",\"[REDACTED]\"]%'"
                                    " AND h.response_headers LIKE '%[\"content-length\",\"' || c.response_size || '\"]%'"),
                     32);
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM header_sets WHERE headers LIKE '%sk-secret%'"), 0);
    assert_int_equal(tmp_q1("eight.db", "SELECT count(*) FROM calls WHERE request_header_values LIKE '%sk-secret%'"), 0);
    /* and the store's own reader gives the lists back */
    pl_store *r = tmp_store("eight.db");
    char err[256];
    assert_int_equal(pl_store_each_row(r, NULL, check_headers, NULL, err, sizeof err), 0);
    pl_store_close(r);
}

/* An upgrade from the version-1 fixture killed at several points: every time, the file is
 * either still version 1 with every row, or fully upgraded; opening it again finishes. */
static void test_upgrade_killed(void **state)
{
    (void)state;
    const char *fx = getenv("PROMPTLOG_FIXTURES");
    if (!fx)
        skip();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp '%s/v1/v1.db' '%s'", fx, tmp_path("big1.db"));
    assert_int_equal(system(cmd), 0);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path("big1.db"), &h), SQLITE_OK);
    for (int i = 0; i < 8; i++)   /* 14 << 8 = 3584 rows */
        assert_int_equal(sqlite3_exec(h, "CREATE TEMP TABLE t AS SELECT * FROM calls; UPDATE t SET id = NULL;"
                                         "INSERT INTO calls SELECT * FROM t; DROP TABLE t;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    long long rows = tmp_q1("big1.db", "SELECT count(*) FROM calls");
    assert_int_equal(rows, 3584);
    int killed_midway = 0;
    const int delays_ms[] = {20, 80, 200, 400};
    for (size_t d = 0; d < sizeof delays_ms / sizeof *delays_ms; d++) {
        snprintf(cmd, sizeof cmd, "cp '%s/big1.db' '%s/big.db'", tmp_dir, tmp_dir);
        assert_int_equal(system(cmd), 0);
        pid_t pid = fork();
        if (pid == 0) {
            pl_store *c = NULL;
            char err[512];
            _exit(pl_store_open(tmp_path("big.db"), PL_STORE_CREATE, NULL, &c, err, sizeof err) == 0 ? 0 : 1);
        }
        struct timespec ts = {0, delays_ms[d] * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        long long ver = tmp_q1("big.db", "PRAGMA user_version");
        assert_int_equal(tmp_q1("big.db", "SELECT count(*) FROM calls"), rows);
        if (ver == 1) {
            killed_midway++;
            assert_int_equal(tmp_q1("big.db", "SELECT count(*) FROM sqlite_master WHERE name = 'messages'"), 0);
        } else {
            assert_int_equal(ver, PL_STORE_SCHEMA_VERSION);
            assert_int_equal(tmp_q1("big.db", "SELECT count(*) FROM calls WHERE record IS NULL"), 0);
        }
        pl_store_close(tmp_store("big.db"));   /* the next open finishes the job */
        assert_int_equal(tmp_q1("big.db", "PRAGMA user_version"), PL_STORE_SCHEMA_VERSION);
        assert_int_equal(tmp_q1("big.db", "SELECT count(*) FROM calls WHERE record IS NULL"), 0);
        assert_int_equal(tmp_q1("big.db", "SELECT count(*) FROM calls"), rows);
    }
    assert_true(killed_midway > 0);   /* at least one kill landed inside the upgrade */

    /* More than 5,000 calls (a schema-3 build left such files without messages): every row
     * is filled all the same, in the one upgrade transaction. */
    snprintf(cmd, sizeof cmd, "cp '%s/big1.db' '%s/huge.db'", tmp_dir, tmp_dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sqlite3_open(tmp_path("huge.db"), &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TEMP TABLE t AS SELECT * FROM calls; UPDATE t SET id = NULL;"
                                     "INSERT INTO calls SELECT * FROM t; DROP TABLE t;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    pl_store_close(tmp_store("huge.db"));
    assert_int_equal(tmp_q1("huge.db", "PRAGMA user_version"), PL_STORE_SCHEMA_VERSION);
    assert_int_equal(tmp_q1("huge.db", "SELECT count(*) FROM calls"), 2 * rows);
    assert_int_equal(tmp_q1("huge.db", "SELECT count(*) FROM calls WHERE record IS NULL OR normalizer IS NULL"), 0);
    assert_int_equal(tmp_q1("huge.db", "SELECT count(*) FROM calls WHERE cached_tokens IS NULL"), 0);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT call_id) FROM call_messages WHERE call_id > %lld", rows);
    long long linked_copies = tmp_q1("huge.db", sql);
    assert_true(linked_copies > rows / 2);   /* the copies past 5,000 rows have their messages */
    long long linked = tmp_q1("huge.db", "SELECT count(DISTINCT call_id) FROM call_messages");

    /* A schema-3 file whose old rows were left without messages (as that build did past 5,000
     * calls): the upgrade to 4 fills exactly those. */
    assert_int_equal(sqlite3_open(tmp_path("huge.db"), &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "DELETE FROM call_messages WHERE call_id > 100;"
                                     "UPDATE calls SET record = NULL, normalizer = NULL, parent_id = NULL,"
                                     " conversation_id = NULL, thread_hash = NULL, content_hash = NULL, inherited = NULL,"
                                     " cached_tokens = NULL WHERE id > 100; PRAGMA user_version = 3;", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    pl_store_close(tmp_store("huge.db"));
    assert_int_equal(tmp_q1("huge.db", "PRAGMA user_version"), PL_STORE_SCHEMA_VERSION);
    assert_int_equal(tmp_q1("huge.db", "SELECT count(*) FROM calls WHERE record IS NULL OR normalizer IS NULL"), 0);
    assert_int_equal(tmp_q1("huge.db", "SELECT count(DISTINCT call_id) FROM call_messages"), linked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_stored_once),
        cmocka_unit_test(test_conversation_links),
        cmocka_unit_test(test_prompt_versions_and_search),
        cmocka_unit_test(test_body_chains),
        cmocka_unit_test(test_eight_writers),
        cmocka_unit_test(test_upgrade_killed),
    };
    return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
