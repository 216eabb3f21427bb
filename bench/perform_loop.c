/* perform_loop.c — N curl_easy_perform calls on one reused handle to a local non-LLM URL, timed
 * inside the process; bench/run.sh runs it with and without the preload (the libcurl hooks' cost).
 *
 * usage: perform_loop URL N     prints "WALL CPU MAXRSS" like bench/client.py: the loop's wall and
 * process CPU seconds, and the peak RSS in KiB. One perform before the timing opens the connection. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int n = atoi(argv[2]);
    CURL *h = curl_easy_init();
    if (!h)
        return 1;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    double w0 = 0, c0 = 0;
    for (int i = -1; i < n; i++) {
        if (i == 0) {
            w0 = clock_s(CLOCK_MONOTONIC);
            c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        }
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            fprintf(stderr, "perform_loop: %s\n", curl_easy_strerror(rc));
            return 1;
        }
    }
    double wall = clock_s(CLOCK_MONOTONIC) - w0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.6f %.6f %ld\n", wall, cpu, ru.ru_maxrss);
    curl_easy_cleanup(h);
    return 0;
}
