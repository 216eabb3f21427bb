/* test_store_util.h — for the store's unit tests: a temporary directory per test group (kept when
 * KEEP is set), paths in it, a store created there, and the columns of one plain chat call. */
#ifndef TEST_STORE_UTIL_H
#define TEST_STORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "../../store/store.h"

static char tmp_dir[256];

static inline char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmp_dir, name);
    return p;
}

static inline int tmp_setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/pl_unit_XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static inline int tmp_teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return getenv("KEEP") ? 0 : system(cmd) == 0 ? 0 : -1;
}

/* path: a file path or sqlite:/// URL; the test fails with the store's reason if it cannot open */
static inline pl_store *tmp_store_open(const char *path)
{
    pl_store *s = NULL;
    char err[512] = "";
    if (pl_store_open(path, PL_STORE_CREATE, NULL, &s, err, sizeof err) != 0)
        fail_msg("open %s: %s", path, err);
    return s;
}

static inline pl_store *tmp_store(const char *name)
{
    return tmp_store_open(tmp_path(name));
}

/* The first column of sql's first row in tmp_path(db), on a connection of its own; -1 for none or NULL */
static inline long long tmp_q1(const char *db, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path(db), &h), SQLITE_OK);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    long long v = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static inline long long tmp_col_of(const char *db, const char *col, long long id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM calls WHERE id = %lld", col, id);
    return tmp_q1(db, sql);
}

/* An OpenAI chat call's columns as a capture fills them, nothing measured; bodies and record unset */
static inline pl_row tmp_chat_row(const char *ns, double started_at)
{
    pl_row row;
    memset(&row, 0, sizeof row);
    row.ns = ns;
    row.model = "gpt-4o-mini";
    row.api = "openai.chat";
    row.kind = "chat";
    row.method = "POST";
    row.host = "api.openai.com";
    row.path = "/v1/chat/completions";
    row.url = "https://api.openai.com/v1/chat/completions";
    row.status = 200;
    row.started_at = started_at;
    row.duration = row.ttfb = row.ttft = -1;
    row.input_tokens = row.output_tokens = -1;
    return row;
}

#endif
