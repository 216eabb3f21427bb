/* perform_loop.c — N curl_easy_perform calls on one reused handle to a local non-LLM URL, timed
 * inside the process; bench/run.sh runs it with and without the preload (the libcurl hooks' cost).
 *
 * usage: perform_loop URL N     prints "WALL CPU MAXRSS" like bench/client.py: of BENCH_LOOPS loops
 * (default 1), the median loop's wall and process CPU seconds, and the peak RSS in KiB. One perform
 * before the timing opens the connection. */
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int perform(CURL *h)
{
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        fprintf(stderr, "perform_loop: %s\n", curl_easy_strerror(rc));
    return rc == CURLE_OK;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int n = atoi(argv[2]);
    const char *env = getenv("BENCH_LOOPS");
    int loops = env && atoi(env) > 0 ? atoi(env) : 1;
    double *wall = calloc((size_t)loops, sizeof *wall), *cpu = calloc((size_t)loops, sizeof *cpu);
    CURL *h = curl_easy_init();
    if (!h || !wall || !cpu)
        return 1;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    if (!perform(h))
        return 1;
    for (int k = 0; k < loops; k++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < n; i++)
            if (!perform(h))
                return 1;
        wall[k] = clock_s(CLOCK_MONOTONIC) - w0;
        cpu[k] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    qsort(wall, (size_t)loops, sizeof *wall, cmp_double);
    qsort(cpu, (size_t)loops, sizeof *cpu, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.6f %.6f %ld\n", wall[loops / 2], cpu[loops / 2], ru.ru_maxrss);
    curl_easy_cleanup(h);
    free(wall);
    free(cpu);
    return 0;
}
