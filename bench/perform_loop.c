/* perform_loop.c — median time of curl_easy_perform on a reused handle to a local non-LLM URL;
 * bench/run.sh runs it with and without the preload to show what a non-LLM request pays.
 *
 * usage: perform_loop URL N LABEL */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int n = atoi(argv[2]);
    if (n < 1)
        n = 1;
    double *t = calloc((size_t)n, sizeof *t);
    CURL *h = curl_easy_init();
    if (!t || !h)
        return 1;
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        CURLcode rc = curl_easy_perform(h);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (rc != CURLE_OK) {
            fprintf(stderr, "perform_loop: %s\n", curl_easy_strerror(rc));
            return 1;
        }
        t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("  %s: %d performs, median %.1f us\n", argv[3], n, t[n / 2]);
    curl_easy_cleanup(h);
    free(t);
    return 0;
}
