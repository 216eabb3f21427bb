/* test_conn.c — the connection table (preload/conn.c) on its own: protocol decision on the first
 * bytes, the lock-free ignored set, light mode, reuse and removal of entries, keys that share a
 * stripe lock, and many threads at once; each completed LLM exchange is committed exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "../../preload/conn.h"
#include "preload_test_util.h"

/* Distinct fake session keys (as SSL* would be: even addresses). */
static const void *key(uintptr_t n)
{
    return (const void *)(uintptr_t)(0x100000 + n * 64);
}

/* One LLM exchange on key, fed in small pieces as a TLS library would hand them over. */
static void exchange(const void *k, const char *path)
{
    char req[1024], resp[2048];
    int rn = chat_request(req, sizeof req, path), sn = chat_response(resp, sizeof resp);
    for (int i = 0; i < rn; i += 37)
        pl_conn_data(k, PL_SOURCE_OPENSSL, PL_DIR_OUT, req + i, (size_t)(rn - i < 37 ? rn - i : 37));
    for (int i = 0; i < sn; i += 53)
        pl_conn_data(k, PL_SOURCE_OPENSSL, PL_DIR_IN, resp + i, (size_t)(sn - i < 53 ? sn - i : 53));
}

static void test_llm_exchange_committed_once(void **st)
{
    (void)st;
    const void *k = key(1);
    pl_conn_new(k);
    unsigned long before = captured();
    exchange(k, "/v1/chat/completions");
    assert_int_equal(captured(), before + 1);
    exchange(k, "/v1/chat/completions"); /* keep-alive: the next one too */
    assert_int_equal(captured(), before + 2);
    assert_false(pl_conn_ignored_fast(k));
    pl_conn_end(k, 1);
    assert_int_equal(captured(), before + 2); /* nothing in flight: nothing more */
}

static void test_not_http_is_ignored_lock_free(void **st)
{
    (void)st;
    const void *k = key(2);
    pl_conn_new(k);
    assert_int_equal(pl_conn_data(k, PL_SOURCE_OPENSSL, PL_DIR_OUT, "\x16\x03\x01\x02\x00 binary", 12), 1);
    assert_true(pl_conn_ignored_fast(k));
    /* later traffic: answered from the set, ignored */
    assert_int_equal(pl_conn_data(k, PL_SOURCE_OPENSSL, PL_DIR_OUT, "POST / HTTP/1.1\r\n", 17), 1);
    /* the server speaking first also means "not an HTTP client" */
    const void *k2 = key(3);
    assert_int_equal(pl_conn_data(k2, PL_SOURCE_OPENSSL, PL_DIR_IN, "220 smtp ready\r\n", 16), 1);
    assert_true(pl_conn_ignored_fast(k2));
    /* EOF puts the session back to undecided (SSL_clear reuse): out of the set, HTTP again */
    pl_conn_eof(k);
    assert_false(pl_conn_ignored_fast(k));
    unsigned long before = captured();
    exchange(k, "/v1/chat/completions");
    assert_int_equal(captured(), before + 1);
    pl_conn_end(k, 1);
    pl_conn_end(k2, 1);
    assert_false(pl_conn_ignored_fast(k2));
}

static void test_light_mode_gives_up(void **st)
{
    (void)st;
    const void *k = key(4);
    pl_conn_new(k);
    unsigned long before = captured();
    for (int i = 0; i < PL_CONN_LIGHT_REQUESTS; i++) {
        assert_false(pl_conn_ignored_fast(k));
        exchange(k, "/v1/models/other");
    }
    assert_true(pl_conn_ignored_fast(k)); /* only non-LLM requests: ignored from here on */
    exchange(k, "/v1/chat/completions");
    assert_int_equal(captured(), before);
    /* a new session at the same address starts clean */
    pl_conn_new(k);
    assert_false(pl_conn_ignored_fast(k));
    exchange(k, "/v1/chat/completions");
    assert_int_equal(captured(), before + 1);
    pl_conn_end(k, 1);
}

static void test_in_flight_committed_incomplete_on_end(void **st)
{
    (void)st;
    const void *k = key(5);
    char req[1024];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions");
    unsigned long before = captured();
    pl_conn_data(k, PL_SOURCE_OPENSSL, PL_DIR_OUT, req, (size_t)rn);
    pl_conn_data(k, PL_SOURCE_OPENSSL, PL_DIR_IN, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", 41);
    assert_int_equal(captured(), before);
    pl_conn_end(k, 0); /* shutdown: committed incomplete */
    assert_int_equal(captured(), before + 1);
    pl_conn_end(k, 1);
    assert_int_equal(captured(), before + 1);
}

/* Keys that share one stripe lock keep separate state. */
static void find_same_stripe(const void **out, int n, uintptr_t from)
{
    int want = stripe_of_key(key(from));
    int got = 0;
    for (uintptr_t i = from; got < n; i++)
        if (stripe_of_key(key(i)) == want)
            out[got++] = key(i);
}

static void test_stripe_collisions(void **st)
{
    (void)st;
    const void *ks[4];
    find_same_stripe(ks, 4, 1000);
    char req[1024], resp[2048];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions"), sn = chat_response(resp, sizeof resp);
    unsigned long before = captured();
    /* interleaved: requests on all, then one ignored, then the responses */
    for (int i = 0; i < 4; i++)
        pl_conn_data(ks[i], PL_SOURCE_OPENSSL, PL_DIR_OUT, req, (size_t)rn);
    pl_conn_ignore(ks[1]);
    assert_int_equal(captured(), before + 1);
    assert_true(pl_conn_ignored_fast(ks[1]));
    for (int i = 0; i < 4; i++) {
        assert_false(i != 1 && pl_conn_ignored_fast(ks[i]));
        pl_conn_data(ks[i], PL_SOURCE_OPENSSL, PL_DIR_IN, resp, (size_t)sn);
    }
    /* three complete; the ignored one's request was committed (incomplete) when it was dropped */
    assert_int_equal(captured(), before + 4);
    for (int i = 0; i < 4; i++)
        pl_conn_end(ks[i], 1);
    for (int i = 0; i < 4; i++)
        assert_false(pl_conn_ignored_fast(ks[i]));
}

/* Many threads, each with its own sessions, all in one stripe. */
#define NTHREADS 8
#define PER_THREAD 25

static const void *g_thread_keys[NTHREADS];

static void *worker(void *arg)
{
    const void *k = *(const void **)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        exchange(k, "/v1/chat/completions");
        if (i % 5 == 4) { /* a new session at the same address now and then */
            pl_conn_end(k, 1);
            pl_conn_new(k);
        }
    }
    pl_conn_end(k, 1);
    return NULL;
}

static void test_concurrent_threads_one_stripe(void **st)
{
    (void)st;
    find_same_stripe(g_thread_keys, NTHREADS, 5000);
    unsigned long before = captured();
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &g_thread_keys[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(captured(), before + NTHREADS * PER_THREAD);
}

/* A slow insert (the database locked by another connection) must not hold the stripe: another
 * session of the same stripe is served while the commit waits. Proven by order, not by time: the
 * database is released only after the other session's call returned; were the stripe held
 * during the commit, that call could not return, and the insert would fail at the busy timeout. */
static char g_dbpath[512];
static const void *g_slow_keys[2];
static volatile int g_slow_started;

static void *slow_committer(void *arg)
{
    (void)arg;
    char req[1024], resp[2048];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions"), sn = chat_response(resp, sizeof resp);
    pl_conn_data(g_slow_keys[0], PL_SOURCE_OPENSSL, PL_DIR_OUT, req, (size_t)rn);
    g_slow_started = 1;
    pl_conn_data(g_slow_keys[0], PL_SOURCE_OPENSSL, PL_DIR_IN, resp, (size_t)sn); /* commits */
    return NULL;
}

static void test_slow_commit_does_not_hold_the_stripe(void **st)
{
    (void)st;
    find_same_stripe(g_slow_keys, 2, 9000);
    exchange(key(8999), "/v1/chat/completions"); /* the database exists */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(g_dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    unsigned long before = captured();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_committer, NULL), 0);
    while (!g_slow_started)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    nanosleep(&(struct timespec){0, 200 * 1000000}, NULL); /* the commit is waiting now */
    char req[1024];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions");
    pl_conn_data(g_slow_keys[1], PL_SOURCE_OPENSSL, PL_DIR_OUT, req, (size_t)rn);
    assert_int_equal(captured(), before); /* still waiting */
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    pthread_join(th, NULL);
    assert_int_equal(captured(), before + 1);
    pl_conn_end(g_slow_keys[0], 1);
    pl_conn_end(g_slow_keys[1], 1); /* its request in flight: committed incomplete */
    assert_int_equal(captured(), before + 2);
}

int main(void)
{
    char dir[256];
    use_temp_db(dir, sizeof dir);
    snprintf(g_dbpath, sizeof g_dbpath, "%s/prompts.db", dir);
    setenv("PROMPTLOG_BUSY_TIMEOUT_MS", "30000", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llm_exchange_committed_once),
        cmocka_unit_test(test_not_http_is_ignored_lock_free),
        cmocka_unit_test(test_light_mode_gives_up),
        cmocka_unit_test(test_in_flight_committed_incomplete_on_end),
        cmocka_unit_test(test_stripe_collisions),
        cmocka_unit_test(test_concurrent_threads_one_stripe),
        cmocka_unit_test(test_slow_commit_does_not_hold_the_stripe),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (remove_temp_db(dir) != 0)
        rc = rc ? rc : 1;
    return rc;
}
