/* stress_libcurl.c — libcurl under process-lifecycle and concurrency stress, for the robustness
 * tests (issue 6): threads sharing nothing, fork without exec, and exit paths right after a call.
 *
 * usage: stress_libcurl URL MODE N [BODY_JSON]
 *   threads  N threads, each with its own handle, one request each, all at once
 *   fork     one request, fork; parent and child each make N more (child ends with _exit)
 *   forkbusy a thread performs requests in a loop while the main thread forks N children that
 *            each make one request (fork while another thread may be inside the store)
 *   _exit    N requests, then _exit(0) without any cleanup
 * Prints one line per completed request ("ok <status>") in no particular order; exit 0 when
 * every request succeeded. env: PROMPTLOG_EXAMPLE_CAINFO, PROMPTLOG_EXAMPLE_INSECURE=1. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_BODY \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}"

static const char *g_url, *g_body;
static pthread_mutex_t g_out = PTHREAD_MUTEX_INITIALIZER;
/* A forked child must not take g_out: another parent thread may have held it at fork time. */
static int g_child;

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* One complete request; returns 0 on success. */
static int one_request(void)
{
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, g_url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, g_body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    const char *ca = getenv("PROMPTLOG_EXAMPLE_CAINFO");
    const char *insecure = getenv("PROMPTLOG_EXAMPLE_INSECURE");
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (insecure && strcmp(insecure, "1") == 0) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (!g_child)
        pthread_mutex_lock(&g_out);
    if (rc == CURLE_OK)
        printf("ok %ld\n", status);
    else
        printf("error %s\n", curl_easy_strerror(rc));
    fflush(stdout);
    if (!g_child)
        pthread_mutex_unlock(&g_out);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    return rc == CURLE_OK ? 0 : -1;
}

static void *thread_main(void *arg)
{
    (void)arg;
    return (void *)(long)one_request();
}

static volatile int g_stop;
static void *busy_main(void *arg)
{
    long *fails = arg;
    while (!g_stop)
        if (one_request() != 0)
            (*fails)++;
    return NULL;
}

static int wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL threads|fork|forkbusy|_exit N [BODY_JSON]\n", argv[0]);
        return 2;
    }
    g_url = argv[1];
    const char *mode = argv[2];
    int n = atoi(argv[3]);
    g_body = argc > 4 ? argv[4] : DEFAULT_BODY;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int fails = 0;

    if (strcmp(mode, "threads") == 0) {
        pthread_t *t = calloc((size_t)n, sizeof *t);
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, thread_main, NULL);
        for (int i = 0; i < n; i++) {
            void *r;
            pthread_join(t[i], &r);
            fails += r != NULL;
        }
        free(t);
    } else if (strcmp(mode, "fork") == 0) {
        fails += one_request() != 0;
        pid_t pid = fork();
        if (pid == 0) {
            g_child = 1;
            int cf = 0;
            for (int i = 0; i < n; i++)
                cf += one_request() != 0;
            _exit(cf ? 1 : 0);
        }
        for (int i = 0; i < n; i++)
            fails += one_request() != 0;
        fails += pid < 0 || wait_child(pid) != 0;
    } else if (strcmp(mode, "forkbusy") == 0) {
        long busy_fails = 0;
        pthread_t t;
        pthread_create(&t, NULL, busy_main, &busy_fails);
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                g_child = 1;
                _exit(one_request() != 0);
            }
            fails += pid < 0 || wait_child(pid) != 0;
        }
        g_stop = 1;
        pthread_join(t, NULL);
        fails += (int)busy_fails;
    } else if (strcmp(mode, "_exit") == 0) {
        for (int i = 0; i < n; i++)
            fails += one_request() != 0;
        fflush(stdout);
        _exit(fails ? 1 : 0);
    } else {
        fprintf(stderr, "stress_libcurl: unknown mode %s\n", mode);
        return 2;
    }
    curl_global_cleanup();
    return fails ? 1 : 0;
}
