/* test_hook_socket.c — the plain-socket hooks (preload/hook_socket.c) linked into this program,
 * against a loopback HTTP server thread: connect marks, LLM calls are captured once, non-HTTP
 * unmarks, close/dup2/close_range unmark, a raw close leaves a stale mark that the first
 * transfer on the reused number clears, our own I/O passes straight through, and a first LLM
 * call on a socket sharing a stale fd's stripe does not hang. Threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../preload/conn.h"
#include "../../preload/hook_socket.h"
#include "preload_test_util.h"

static int g_listen;
static struct sockaddr_in g_addr;

/* The server: for each request head (+ Content-Length body) one chat response, until EOF.
 * Accepted sockets are never marked: only connect() marks. */
static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        char *end = have ? memmem(buf, have, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t head = (size_t)(end - buf) + 4, body = 0;
            char *cl = memmem(buf, head, "Content-Length: ", 16);
            if (cl)
                body = strtoul(cl + 16, NULL, 10);
            if (have >= head + body) {
                char resp[2048];
                int n = chat_response(resp, sizeof resp);
                if (write(fd, resp, (size_t)n) != n)
                    break;
                memmove(buf, buf + head + body, have - head - body);
                have -= head + body;
                continue;
            }
        }
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    close(fd);
    return NULL;
}

static void *server(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(g_listen, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t t;
        pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

static int connected(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr), 0);
    return fd;
}

/* One LLM call on fd with write/read; returns the response bytes read. */
static size_t llm_call(int fd)
{
    char req[1024], want[2048], got[2048];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions");
    size_t wn = (size_t)chat_response(want, sizeof want), n = 0;
    assert_int_equal(write(fd, req, (size_t)rn), rn);
    while (n < wn) {
        ssize_t r = read(fd, got + n, wn - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    assert_memory_equal(got, want, wn);
    return n;
}

static void test_connect_marks_and_llm_call_captured(void **st)
{
    (void)st;
    int fd = connected();
    assert_true(pl_socket_marked(fd));
    unsigned long before = captured();
    llm_call(fd);
    llm_call(fd);
    assert_int_equal(captured(), before + 2);
    assert_true(pl_socket_marked(fd));
    close(fd);
    assert_false(pl_socket_marked(fd));
}

static void test_not_http_unmarks(void **st)
{
    (void)st;
    int fd = connected();
    assert_int_equal(write(fd, "\x16\x03\x01 not http at all\r\n\r\n", 23), 23);
    assert_false(pl_socket_marked(fd)); /* from now on the hooks cost one byte load */
    close(fd);
}

static void test_dup2_onto_marked(void **st)
{
    (void)st;
    int fd = connected();
    int other = open("/dev/null", O_WRONLY);
    assert_true(other >= 0);
    assert_true(pl_socket_marked(fd));
    assert_int_equal(dup2(other, fd), fd);
    assert_false(pl_socket_marked(fd));
    close(other);
    /* the number now writes to /dev/null: not fed, no record */
    unsigned long before = captured();
    char req[1024];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions");
    assert_int_equal(write(fd, req, (size_t)rn), rn);
    close(fd);
    assert_int_equal(captured(), before);
}

static void test_close_range_unmarks(void **st)
{
    (void)st;
    int a = connected(), b = connected();
    int lo = a < b ? a : b, hi = a < b ? b : a;
    assert_true(pl_socket_marked(a) && pl_socket_marked(b));
    assert_int_equal(close_range((unsigned)hi, (unsigned)hi, CLOSE_RANGE_CLOEXEC), 0);
    assert_true(pl_socket_marked(hi)); /* only flagged close-on-exec: still open, still ours */
    assert_int_equal(close_range((unsigned)lo, (unsigned)lo, 0), 0);
    assert_int_equal(close_range((unsigned)hi, (unsigned)hi, 0), 0);
    assert_false(pl_socket_marked(a) || pl_socket_marked(b));
}

static void test_stale_mark_cleared_by_first_transfer(void **st)
{
    (void)st;
    int fd = connected();
    char path[] = "/tmp/pl-unit-stale.XXXXXX";
    int f0 = mkstemp(path);
    assert_true(f0 >= 0);
    /* The socket is closed behind libc's back and its number taken by a file in one step (a raw
     * dup3): no other thread (the test's server) can take the number in between. */
    assert_int_equal(syscall(SYS_dup3, f0, fd, 0), fd);
    assert_true(pl_socket_marked(fd)); /* stale */
    close(f0);
    int f = fd;
    unsigned long before = captured();
    char req[1024];
    int rn = chat_request(req, sizeof req, "/v1/chat/completions");
    assert_int_equal(write(f, req, (size_t)rn), rn);
    assert_false(pl_socket_marked(f)); /* one transfer: the socket's inode is not the file's */
    assert_int_equal(write(f, req, (size_t)rn), rn);
    close(f);
    unlink(path);
    assert_int_equal(captured(), before); /* the file's bytes were never taken for a request */
}

static void test_own_io_passes_straight_through(void **st)
{
    (void)st;
    int fd = connected();
    llm_call(fd); /* a round trip: the server has accepted, so it takes no number until we connect */
    pl_self_enter();
    assert_int_equal(close(fd), 0); /* as SQLite's close of a reused number would */
    pl_self_leave();
    assert_true(pl_socket_marked(fd)); /* untouched: no lookup, no lock */
    /* The number comes back as a new socket (moved onto it with a raw dup3, so the test's server
     * thread cannot take the number first); connect starts it clean. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    if (s != fd) {
        assert_int_equal(syscall(SYS_dup3, s, fd, 0), fd);
        assert_int_equal(syscall(SYS_close, s), 0);
    }
    int again = fd;
    assert_int_equal(connect(again, (struct sockaddr *)&g_addr, sizeof g_addr), 0);
    unsigned long before = captured();
    llm_call(again);
    assert_int_equal(captured(), before + 1);
    close(again);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "hung: the first LLM call next to a stale fd deadlocked\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(2);
}

/* issue 9 §1: a raw close leaves fds 'stale'; a socket sharing a stale fd's stripe makes its
 * first LLM call; the capture opens the database, which reuses (and closes) stale numbers. */
static void test_stale_same_stripe_first_call_no_hang(void **st)
{
    (void)st;
    int stale[4];
    for (int i = 0; i < 4; i++)
        stale[i] = connected();
    int target = 200;
    while (stripe_of_fd(target) != stripe_of_fd(stale[0]))
        target++;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(dup2(s, target), target);
    close(s);
    for (int i = 0; i < 4; i++)
        assert_int_equal(syscall(SYS_close, stale[i]), 0);
    signal(SIGALRM, on_alarm);
    alarm(20);
    assert_int_equal(connect(target, (struct sockaddr *)&g_addr, sizeof g_addr), 0);
    unsigned long before = captured();
    llm_call(target);
    alarm(0);
    assert_int_equal(captured(), before + 1);
    close(target);
}

#define NTHREADS 6
#define CALLS 10

static void *client_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < CALLS; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0)
            return (void *)1;
        llm_call(fd);
        close(fd);
    }
    return NULL;
}

static void test_concurrent_threads(void **st)
{
    (void)st;
    unsigned long before = captured();
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, client_thread, NULL), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    assert_int_equal(captured(), before + NTHREADS * CALLS);
}

int main(void)
{
    char dir[256];
    use_temp_db(dir, sizeof dir);
    g_listen = socket(AF_INET, SOCK_STREAM, 0);
    g_addr.sin_family = AF_INET;
    g_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof g_addr;
    if (g_listen < 0 || bind(g_listen, (struct sockaddr *)&g_addr, sizeof g_addr) != 0 ||
        listen(g_listen, 64) != 0 || getsockname(g_listen, (struct sockaddr *)&g_addr, &len) != 0)
        return 1;
    pthread_t srv;
    pthread_create(&srv, NULL, server, NULL);
    const struct CMUnitTest tests[] = {
        /* first: its LLM call is the one that opens the database */
        cmocka_unit_test(test_stale_same_stripe_first_call_no_hang),
        cmocka_unit_test(test_connect_marks_and_llm_call_captured),
        cmocka_unit_test(test_not_http_unmarks),
        cmocka_unit_test(test_dup2_onto_marked),
        cmocka_unit_test(test_close_range_unmarks),
        cmocka_unit_test(test_stale_mark_cleared_by_first_transfer),
        cmocka_unit_test(test_own_io_passes_straight_through),
        cmocka_unit_test(test_concurrent_threads),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (remove_temp_db(dir) != 0)
        rc = rc ? rc : 1;
    return rc;
}
