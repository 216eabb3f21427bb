/* test_ext.c — the loadable sqlite3 extension (build/promptlog.so): exact request bodies
 * through request_ref chains, response bodies, promptlog_unzstd, and every error an SQL error:
 * bad ids, bad arguments, corrupt blobs, broken chains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../llm/llm.h"
#include "../../store/store.h"

static char ext_path[1024];
static char db[256];
static char bodies[3][2][4096];

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/pl_test_ext_XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    snprintf(db, sizeof db, "%s/p.db", dir);
    pl_store *s = NULL;
    char err[512];
    if (pl_store_open(db, PL_STORE_CREATE, NULL, &s, err, sizeof err) != 0)
        return -1;
    const char *hist[3] = {
        "[{\"role\":\"user\",\"content\":\"hello there\"}]",
        "[{\"role\":\"user\",\"content\":\"hello there\"},{\"role\":\"assistant\",\"content\":\"r0\"},"
        "{\"role\":\"user\",\"content\":\"and again\"}]",
        "[{\"role\":\"user\",\"content\":\"hello there\"},{\"role\":\"assistant\",\"content\":\"r0\"},"
        "{\"role\":\"user\",\"content\":\"and again\"},{\"role\":\"assistant\",\"content\":\"r1\"},"
        "{\"role\":\"user\",\"content\":\"once more\"}]",
    };
    for (int i = 0; i < 3; i++) {
        snprintf(bodies[i][0], sizeof bodies[i][0], "{\"model\":\"m\",\"messages\":%s}", hist[i]);
        snprintf(bodies[i][1], sizeof bodies[i][1],
                 "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"r%d\"},\"finish_reason\":\"stop\"}]}", i);
        pl_llm_input in = {.api = PL_API_OPENAI_CHAT, .target = "/v1/chat/completions", .status = 200,
                           .req_body = bodies[i][0], .req_len = strlen(bodies[i][0]),
                           .resp_body = bodies[i][1], .resp_len = strlen(bodies[i][1])};
        cJSON *rec = pl_llm_normalize(&in);
        pl_row r;
        memset(&r, 0, sizeof r);
        r.ns = "default";
        r.kind = "chat";
        r.status = 200;
        r.started_at = r.duration = r.ttfb = r.ttft = -1;
        r.input_tokens = r.output_tokens = -1;
        r.req_body = bodies[i][0];
        r.req_len = strlen(bodies[i][0]);
        r.resp_body = bodies[i][1];
        r.resp_len = strlen(bodies[i][1]);
        r.record = rec;
        long long id = pl_store_insert(s, &r, err, sizeof err);
        cJSON_Delete(rec);
        if (id != i + 1)
            return -1;
    }
    pl_store_close(s);
    return 0;
}

static sqlite3 *open_with_ext(void)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_enable_load_extension(h, 1);
    char *msg = NULL;
    if (sqlite3_load_extension(h, ext_path, "sqlite3_promptlog_init", &msg) != SQLITE_OK)
        fail_msg("load %s: %s", ext_path, msg);
    return h;
}

/* The one value of sql, or the error message prefixed with "ERROR: ". */
static char *value(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    char *out;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        out = strdup(t ? t : "NULL");
    } else {
        size_t n = strlen(sqlite3_errmsg(h)) + 8;
        out = malloc(n);
        snprintf(out, n, "ERROR: %s", sqlite3_errmsg(h));
    }
    sqlite3_finalize(st);
    return out;
}

static void expect(sqlite3 *h, const char *sql, const char *want)
{
    char *got = value(h, sql);
    if (strstr(want, "ERROR") == want ? strstr(got, want + 7) == NULL || strncmp(got, "ERROR", 5) != 0
                                      : strcmp(got, want) != 0)
        fail_msg("%s\n got:  %s\n want: %s", sql, got, want);
    free(got);
}

static void test_bodies_exact(void **state)
{
    (void)state;
    sqlite3 *h = open_with_ext();
    expect(h, "SELECT count(*) FROM calls WHERE request_ref IS NOT NULL", "2");
    expect(h, "SELECT count(*) FROM calls WHERE response_ref IS NOT NULL", "2");
    for (int i = 0; i < 3; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT promptlog_request(%d)", i + 1);
        expect(h, sql, bodies[i][0]);
        snprintf(sql, sizeof sql, "SELECT promptlog_response(%d)", i + 1);
        expect(h, sql, bodies[i][1]);
    }
    expect(h, "SELECT CAST(promptlog_unzstd(response_body) AS TEXT) FROM calls WHERE id = 1", bodies[0][1]);
    expect(h, "SELECT CAST(promptlog_unzstd(request_body) AS TEXT) FROM calls WHERE id = 1", bodies[0][0]);
    sqlite3_close(h);
}

static void test_errors_not_crashes(void **state)
{
    (void)state;
    sqlite3 *h = open_with_ext();
    expect(h, "SELECT promptlog_request(999)", "ERROR: no call with id 999");
    expect(h, "SELECT promptlog_request('one')", "ERROR: must be a call id");
    expect(h, "SELECT promptlog_response(NULL)", "ERROR: must be a call id");
    expect(h, "SELECT promptlog_unzstd(x'00112233')", "ERROR: not a complete zstd frame");
    expect(h, "SELECT promptlog_unzstd('text')", "ERROR: must be a BLOB");
    expect(h, "SELECT promptlog_unzstd(NULL)", "NULL");
    /* a request stored against its parent is no standalone frame */
    expect(h, "SELECT promptlog_unzstd(request_body) FROM calls WHERE id = 3", "ERROR: stored against its parent's");
    sqlite3_exec(h, "UPDATE calls SET request_body = x'28b52ffd0000' WHERE id = 1", NULL, NULL, NULL);
    expect(h, "SELECT promptlog_request(3)", "ERROR: corrupt body blob");
    sqlite3_exec(h, "UPDATE calls SET request_ref = 3 WHERE id = 2", NULL, NULL, NULL);
    expect(h, "SELECT promptlog_request(3)", "ERROR: chain too long or cyclic");
    sqlite3_exec(h, "UPDATE calls SET request_ref = 77 WHERE id = 2", NULL, NULL, NULL);
    expect(h, "SELECT promptlog_request(2)", "ERROR: missing call");
    sqlite3_exec(h, "UPDATE calls SET response_body = NULL WHERE id = 2", NULL, NULL, NULL);
    expect(h, "SELECT promptlog_response(2)", "NULL");
    sqlite3_close(h);
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[1024];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(ext_path, sizeof ext_path, "%s/../promptlog.so", dirname(self));
    if (access(ext_path, R_OK) != 0) {
        fprintf(stderr, "test_ext: %s is not built (make all)\n", ext_path);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies_exact),
        cmocka_unit_test(test_errors_not_crashes),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
