/* test_store_delete.c — pl_store_delete on the readable store: survivors keep their transcript
 * and exact bodies (prefix-compressed against a deleted call), links stay consistent (parent
 * -> nearest surviving ancestor, a deleted root's conversation re-rooted), orphan messages and
 * their full-text rows go while shared ones stay, and a capturing process that cached ids and
 * bodies before another process deleted keeps writing whole calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../llm/llm.h"
#include "../../store/bodies.h"
#include "../../store/store.h"
#include "test_store_util.h"

static double clock_at = 1700000000;

/* One chat call as a capture stores it: msgs is the JSON text of the messages array; each call
 * starts one second after the previous one. */
static long long call_tools(pl_store *s, const char *ns, const char *msgs, const char *reply, int tools)
{
    char req[16384 + 512], resp[4096];
    snprintf(req, sizeof req, "{\"model\":\"gpt-4o-mini\",\"messages\":%s%s}", msgs,
             tools ? ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"only_here\"}}]" : "");
    snprintf(resp, sizeof resp,
             "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}", reply);
    pl_llm_input in = {.api = PL_API_OPENAI_CHAT, .provider = "openai", .target = "/v1/chat/completions",
                       .status = 200, .content_type = "application/json", .req_body = req,
                       .req_len = strlen(req), .resp_body = resp, .resp_len = strlen(resp)};
    cJSON *rec = pl_llm_normalize(&in);
    pl_row row = tmp_chat_row(ns, clock_at++);
    row.req_body = req;
    row.req_len = strlen(req);
    row.resp_body = resp;
    row.resp_len = strlen(resp);
    row.record = rec;
    char err[512] = "";
    long long id = pl_store_insert(s, &row, err, sizeof err);
    if (id <= 0)
        fail_msg("insert: %s", err);
    cJSON_Delete(rec);
    return id;
}

static long long call(pl_store *s, const char *ns, const char *msgs, const char *reply)
{
    return call_tools(s, ns, msgs, reply, 0);
}


/* A call as a reader sees it: its transcript and both exact bodies, in one string (caller frees). */
static char *snapshot(const char *db, long long id)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path(db), &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT group_concat(side || '/' || role || ':' || coalesce(content, '-') || '/' ||"
                                           " coalesce(finish_reason, ''), '|') FROM (SELECT * FROM transcript"
                                           " WHERE call_id = ? ORDER BY position)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(st, 0);
    pl_buf out = {0}, b = {0};
    char err[512] = "";
    pl_buf_append_str(&out, t ? t : "(no messages)");
    for (int side = 0; side < 2; side++) {
        if (pl_body_read(h, id, side, &b, err, sizeof err) != 0)
            fail_msg("call %lld body %d: %s", id, side, err);
        pl_buf_append_str(&out, "\n");
        pl_buf_append(&out, b.data, b.len);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    pl_buf_free(&b);
    char *s = strdup(pl_buf_cstr(&out));
    pl_buf_free(&out);
    return s;
}

/* Nothing refers to a missing row, nothing is left that nobody refers to, and the FTS index
 * matches its content table exactly. */
static void consistent(const char *db)
{
    assert_int_equal(tmp_q1(db, "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM call_messages cm"
                            " WHERE cm.message_id = m.id) AND NOT EXISTS (SELECT 1 FROM calls WHERE system_id = m.id)"), 0);
    assert_int_equal(tmp_q1(db, "SELECT count(*) FROM call_messages WHERE message_id NOT IN (SELECT id FROM messages)"
                            " OR call_id NOT IN (SELECT id FROM calls)"), 0);
    /* NULL NOT IN (empty) is true: each reference is tested only when set */
    static const char *const refs[][2] = {
        {"parent_id", "calls"}, {"conversation_id", "calls"}, {"request_ref", "calls"}, {"response_ref", "calls"},
        {"tools_id", "tool_lists"}, {"system_id", "messages"},
    };
    for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM calls WHERE %s IS NOT NULL AND %s NOT IN (SELECT id FROM %s)",
                 refs[i][0], refs[i][0], refs[i][1]);
        if (tmp_q1(db, sql) != 0)
            fail_msg("%s: %s names a missing row", db, refs[i][0]);
    }
    assert_int_equal(tmp_q1(db, "SELECT count(*) FROM tool_lists WHERE id NOT IN (SELECT tools_id FROM calls WHERE tools_id IS NOT NULL)"), 0);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path(db), &h), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)", NULL, NULL, &msg) !=
        SQLITE_OK)
        fail_msg("FTS integrity-check: %s", msg);
    if (sqlite3_exec(h, "PRAGMA integrity_check", NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("integrity_check: %s", msg);
    sqlite3_close(h);
}

static long long del(const char *db, pl_store_delete_sel sel, pl_store_delete_stats *st)
{
    pl_store *s = tmp_store(db);
    pl_store_delete_stats local;
    char err[512] = "";
    if (pl_store_delete(s, &sel, st ? st : &local, err, sizeof err) != 0)
        fail_msg("delete: %s", err);
    pl_store_close(s);
    return (st ? st : &local)->calls;
}

#define SYS "{\"role\":\"system\",\"content\":\"You are terse.\"}"
#define U(t) "{\"role\":\"user\",\"content\":\"" t "\"}"
#define A(t) "{\"role\":\"assistant\",\"content\":\"" t "\"}"

/* n turns of one conversation in ns, each re-sending the whole history: ids first..first+n-1. */
static void conversation(pl_store *s, const char *ns, const char *tag, int n)
{
    char hist[16384];
    snprintf(hist, sizeof hist, "[" SYS);
    for (int t = 0; t < n; t++) {
        char msgs[16384 + 256], reply[64];
        snprintf(msgs, sizeof msgs, "%s,{\"role\":\"user\",\"content\":\"%s turn %d about the build\"}]", hist, tag, t);
        snprintf(reply, sizeof reply, "%s reply %d", tag, t);
        call(s, ns, msgs, reply);
        size_t len = strlen(hist);
        snprintf(hist + len, sizeof hist - len,
                 ",{\"role\":\"user\",\"content\":\"%s turn %d about the build\"},{\"role\":\"assistant\",\"content\":\"%s\"}",
                 tag, t, reply);
    }
}

static void test_delete_middle_of_chain(void **state)
{
    (void)state;
    pl_store *s = tmp_store("mid.db");
    conversation(s, "default", "alpha", 6);   /* 1..6, each body compressed against its parent's */
    conversation(s, "default", "beta", 2);    /* 7, 8: share the system prompt */
    pl_store_close(s);
    assert_int_equal(tmp_col_of("mid.db", "request_ref", 4), 3);
    assert_int_equal(tmp_col_of("mid.db", "response_ref", 4), 3);
    assert_int_equal(tmp_col_of("mid.db", "inherited", 4), 7);
    char *before[9];
    for (int i = 1; i <= 8; i++)
        before[i] = snapshot("mid.db", i);
    pl_store_delete_stats st;
    assert_int_equal(del("mid.db", (pl_store_delete_sel){.id = 3}, &st), 1);
    assert_int_equal(st.bodies_reencoded, 2);   /* call 4's request and response */
    assert_int_equal(st.relinked, 1);
    assert_int_equal(st.messages, 0);           /* call 3's turn lives on in 4, 5 and 6 */
    assert_int_equal(tmp_q1("mid.db", "SELECT count(*) FROM calls WHERE id = 3"), 0);
    for (int i = 1; i <= 8; i++) {
        if (i != 3) {
            char *now = snapshot("mid.db", i);
            assert_string_equal(now, before[i]);
            free(now);
        }
        free(before[i]);
    }
    /* 4 continues 2 now (the deleted call's parent): it holds call 3's turn itself and still
     * inherits 2's five messages */
    assert_int_equal(tmp_col_of("mid.db", "parent_id", 4), 2);
    assert_int_equal(tmp_col_of("mid.db", "inherited", 4), 5);
    assert_int_equal(tmp_q1("mid.db", "SELECT min(position) || count(*) FROM call_messages WHERE call_id = 4"), 54);
    assert_int_equal(tmp_col_of("mid.db", "request_ref", 4), -1);
    assert_int_equal(tmp_col_of("mid.db", "parent_id", 5), 4);
    assert_int_equal(tmp_col_of("mid.db", "request_ref", 5), 4);
    assert_int_equal(tmp_col_of("mid.db", "conversation_id", 6), 1);
    consistent("mid.db");
}

static void test_delete_root_and_conversation(void **state)
{
    (void)state;
    pl_store *s = tmp_store("root.db");
    double t0 = clock_at;
    conversation(s, "default", "gamma", 4);   /* 1..4 */
    conversation(s, "default", "delta", 3);   /* 5..7 */
    pl_store_close(s);
    char *before[5];
    for (int i = 2; i <= 4; i++)
        before[i] = snapshot("root.db", i);
    /* deleting 1 and 2 (started first) leaves 3 to root the conversation */
    assert_int_equal(del("root.db", (pl_store_delete_sel){.before = t0 + 2}, NULL), 2);
    for (int i = 3; i <= 4; i++) {
        char *now = snapshot("root.db", i);
        assert_string_equal(now, before[i]);
        free(now);
    }
    for (int i = 2; i <= 4; i++)
        free(before[i]);
    assert_int_equal(tmp_col_of("root.db", "parent_id", 3), -1);
    assert_int_equal(tmp_col_of("root.db", "conversation_id", 3), 3);
    assert_int_equal(tmp_col_of("root.db", "conversation_id", 4), 3);
    assert_int_equal(tmp_col_of("root.db", "conversation_id", 6), 5);
    assert_int_equal(tmp_q1("root.db", "SELECT count(*) FROM conversations"), 2);
    consistent("root.db");
    /* a whole conversation: its own messages go, the shared system prompt stays */
    long long sys = tmp_q1("root.db", "SELECT id FROM messages WHERE role = 'system'");
    pl_store_delete_stats st;
    assert_int_equal(del("root.db", (pl_store_delete_sel){.conversation = 5}, &st), 3);
    assert_int_equal(st.messages, 6);   /* delta's three turns and three replies */
    assert_int_equal(tmp_q1("root.db", "SELECT count(*) FROM messages WHERE content LIKE 'delta%'"), 0);
    assert_int_equal(tmp_q1("root.db", "SELECT id FROM messages WHERE role = 'system'"), sys);
    assert_int_equal(tmp_q1("root.db", "SELECT count(*) FROM calls WHERE id IN (3, 4)"), 2);
    assert_int_equal(tmp_q1("root.db", "SELECT count(*) FROM calls"), 2);
    consistent("root.db");
}

static void test_orphans_and_fts(void **state)
{
    (void)state;
    pl_store *s = tmp_store("fts.db");
    call_tools(s, "a", "[" SYS "," U("zebra crossing ahead") "]", "striped answer", 1);
    call(s, "a", "[" SYS "," U("plain question") "]", "plain answer");
    call(s, "b", "[" SYS "," U("zebra in namespace b") "]", "other answer");
    pl_store_close(s);   /* the close indexes this process's texts */
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zebra'"), 2);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM tool_lists"), 1);
    pl_store_delete_stats st;
    assert_int_equal(del("fts.db", (pl_store_delete_sel){.ns = "a", .id = 1}, &st), 1);
    assert_int_equal(st.messages, 2);
    assert_int_equal(st.tool_lists, 1);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zebra'"), 1);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'striped'"), 0);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'answer'"), 2);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM messages WHERE content = 'You are terse.'"), 1);
    consistent("fts.db");
    /* a selection matching nothing changes nothing and logs nothing */
    assert_int_equal(del("fts.db", (pl_store_delete_sel){.ns = "none"}, NULL), 0);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM deletions"), 1);
    /* a namespace: the shared system prompt goes with the last call using it */
    assert_int_equal(del("fts.db", (pl_store_delete_sel){.ns = "b"}, NULL), 1);
    assert_int_equal(del("fts.db", (pl_store_delete_sel){.ns = "a"}, NULL), 1);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM messages"), 0);
    assert_int_equal(tmp_q1("fts.db", "SELECT count(*) FROM models"), 0);
    consistent("fts.db");
    pl_store *r = tmp_store("fts.db");
    pl_store_delete_stats none;
    char err[256] = "";
    assert_int_equal(pl_store_delete(r, &(pl_store_delete_sel){0}, &none, err, sizeof err), -1);
    assert_non_null(strstr(err, "nothing selected"));
    pl_store_close(r);
}

/* A capturing process caches message ids and its recent bodies. Another process deletes the
 * rows they name, and SQLite hands the deleted top ids out again: the next capture must not link
 * a removed message nor compress against a body that is no longer its parent's. */
static void test_live_writer_after_delete(void **state)
{
    (void)state;
    pl_store *w = tmp_store("live.db");
    long long a = call(w, "default", "[" SYS "," U("only once") "]", "once answer");
    assert_int_equal(del("live.db", (pl_store_delete_sel){.id = a}, NULL), 1);
    assert_int_equal(tmp_q1("live.db", "SELECT count(*) FROM messages"), 0);
    long long b = call(w, "default", "[" SYS "," U("only once") "]", "once answer");
    assert_int_equal(tmp_q1("live.db", "SELECT count(*) FROM messages"), 3);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM transcript WHERE call_id = %lld", b);
    assert_int_equal(tmp_q1("live.db", sql), 3);

    long long c1 = call(w, "default", "[" SYS "," U("root question") "]", "root answer");
    long long c2 = call(w, "default", "[" SYS "," U("root question") "," A("root answer") "," U("first try") "]", "first");
    assert_int_equal(tmp_col_of("live.db", "request_ref", c2), c1);
    assert_int_equal(del("live.db", (pl_store_delete_sel){.id = c2}, NULL), 1);
    long long c2b = call(w, "default", "[" SYS "," U("root question") "," A("root answer") "," U("second try, longer") "]",
                         "second");
    assert_int_equal(c2b, c2);   /* the id came back */
    long long c3 = call(w, "default",
                        "[" SYS "," U("root question") "," A("root answer") "," U("second try, longer") "," A("second") ","
                        U("go on") "]", "third");
    assert_int_equal(tmp_col_of("live.db", "request_ref", c3), c2b);
    pl_store_close(w);
    char *snap = snapshot("live.db", c3);
    assert_non_null(strstr(snap, "\"second try, longer\"},{\"role\":\"assistant\",\"content\":\"second\"},"));
    assert_non_null(strstr(snap, "\"content\":\"third\""));
    free(snap);
    consistent("live.db");
}

/* Deleting the newest calls gives their ids back to SQLite: the log says where ids go on, and a
 * ship cursor past that point steps back so the calls given those ids are still shipped. */
static void test_ids_handed_out_again(void **state)
{
    (void)state;
    pl_store *s = tmp_store("ids.db");
    for (int i = 0; i < 4; i++)
        call(s, "default", "[" U("same question") "]", "same answer");
    pl_store_close(s);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(tmp_path("ids.db"), &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE ship_cursors (destination TEXT PRIMARY KEY, last_id INTEGER NOT NULL,"
                                     " updated_at REAL); INSERT INTO ship_cursors VALUES ('a', 4, 0), ('b', 1, 0)",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(del("ids.db", (pl_store_delete_sel){.before = clock_at - 2}, NULL), 2);   /* 1, 2 */
    assert_int_equal(tmp_q1("ids.db", "SELECT max_id FROM deletions"), 4);
    assert_int_equal(tmp_q1("ids.db", "SELECT last_id FROM ship_cursors WHERE destination = 'a'"), 4);
    assert_int_equal(del("ids.db", (pl_store_delete_sel){.id = 4}, NULL), 1);
    assert_int_equal(tmp_q1("ids.db", "SELECT max_id FROM deletions WHERE id = 2"), 3);
    assert_int_equal(tmp_q1("ids.db", "SELECT last_id FROM ship_cursors WHERE destination = 'a'"), 3);
    assert_int_equal(tmp_q1("ids.db", "SELECT last_id FROM ship_cursors WHERE destination = 'b'"), 1);
    s = tmp_store("ids.db");
    long long gen = 0, max_id = 0;
    assert_int_equal(pl_store_last_deletion(s, &gen, &max_id), 0);
    assert_int_equal(gen, 2);
    assert_int_equal(max_id, 3);
    assert_int_equal(call(s, "default", "[" U("same question") "]", "same answer"), 4);
    pl_store_close(s);
    consistent("ids.db");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delete_middle_of_chain),
        cmocka_unit_test(test_delete_root_and_conversation),
        cmocka_unit_test(test_orphans_and_fts),
        cmocka_unit_test(test_live_writer_after_delete),
        cmocka_unit_test(test_ids_handed_out_again),
    };
    return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
