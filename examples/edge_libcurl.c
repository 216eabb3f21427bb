/* edge_libcurl.c — libcurl usages that a capture layer can easily get wrong, each printing what
 * the program received so a test can compare runs with and without the preload.
 *
 * usage: edge_libcurl URL MODE [BODY_JSON]
 *   pause     write callback returns CURL_WRITEFUNC_PAUSE on every other call (multi interface,
 *             unpaused from the loop): every byte must still arrive exactly once
 *   short     write callback accepts only the first 10 bytes: CURLE_WRITE_ERROR (exit 1)
 *   read      body uploaded through READFUNCTION (POST without POSTFIELDS, chunked)
 *   headerdata  no HEADERFUNCTION but HEADERDATA set: libcurl writes headers with the write
 *             callback; headers and body both printed
 *   reuse     one handle: LLM POST, then GET /other with HTTPGET, then the POST again (reset by
 *             curl_easy_reset in between); options must be intact after each perform
 *   dup       curl_easy_duphandle of a configured handle, both performed
 *   removeearly  multi: remove the handle after the first body bytes, before it completes
 * env: PROMPTLOG_EXAMPLE_CAINFO, PROMPTLOG_EXAMPLE_INSECURE=1. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BODY \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}"

static const char *g_body;
static int g_calls, g_paused;
static size_t g_read_off;

static size_t out_cb(char *p, size_t size, size_t n, void *ud)
{
    FILE *f = ud ? ud : stdout;
    return fwrite(p, size, n, f) * size;
}

static size_t pause_cb(char *p, size_t size, size_t n, void *ud)
{
    (void)ud;
    if (g_calls++ % 2 == 0) {
        g_paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    return fwrite(p, size, n, stdout) * size;
}

static size_t short_cb(char *p, size_t size, size_t n, void *ud)
{
    (void)ud;
    size_t want = size * n < 10 ? size * n : 10;
    fwrite(p, 1, want, stdout);
    return want;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
    (void)ud;
    size_t left = strlen(g_body) - g_read_off;
    size_t k = size * n < left ? size * n : left;
    if (k > 7)
        k = 7; /* small pieces: the tee must concatenate them */
    memcpy(buf, g_body + g_read_off, k);
    g_read_off += k;
    return k;
}

static void common(CURL *h, const char *url, struct curl_slist *hd)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    const char *ca = getenv("PROMPTLOG_EXAMPLE_CAINFO");
    const char *insecure = getenv("PROMPTLOG_EXAMPLE_INSECURE");
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (insecure && strcmp(insecure, "1") == 0) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static int report(CURLcode rc)
{
    printf("\n[rc=%d]\n", (int)rc);
    return rc == CURLE_OK ? 0 : 1;
}

static int run_multi(CURL *h, int remove_early)
{
    CURLM *m = curl_multi_init();
    curl_multi_add_handle(m, h);
    int running = 1;
    CURLcode result = CURLE_OK;
    while (running) {
        curl_multi_perform(m, &running);
        if (g_paused) {
            g_paused = 0;
            curl_easy_pause(h, CURLPAUSE_CONT);
        }
        if (remove_early && g_calls > 0)
            break;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE)
                result = msg->data.result;
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_remove_handle(m, h);
    curl_multi_cleanup(m);
    return report(result);
}

static size_t count_cb(char *p, size_t size, size_t n, void *ud)
{
    (void)ud;
    g_calls++;
    return fwrite(p, size, n, stdout) * size;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s URL MODE [BODY_JSON]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1], *mode = argv[2];
    g_body = argc > 3 ? argv[3] : DEFAULT_BODY;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    common(h, url, hd);
    int status = 0;

    if (strcmp(mode, "pause") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, g_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, pause_cb);
        status = run_multi(h, 0);
    } else if (strcmp(mode, "short") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, g_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, short_cb);
        status = report(curl_easy_perform(h));
    } else if (strcmp(mode, "read") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, out_cb);
        status = report(curl_easy_perform(h));
    } else if (strcmp(mode, "headerdata") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, g_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, out_cb);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, stdout);
        status = report(curl_easy_perform(h));
    } else if (strcmp(mode, "reuse") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, g_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, out_cb);
        status |= report(curl_easy_perform(h));
        char other[2048];
        const char *p = strstr(url, "://");
        p = p ? strchr(p + 3, '/') : NULL;
        snprintf(other, sizeof other, "%.*s/other", p ? (int)(p - url) : (int)strlen(url), url);
        curl_easy_setopt(h, CURLOPT_URL, other);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        status |= report(curl_easy_perform(h));
        curl_easy_reset(h);
        common(h, url, hd);
        curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, g_body);
        status |= report(curl_easy_perform(h)); /* default write: fwrite to stdout */
    } else if (strcmp(mode, "dup") == 0) {
        /* With a size: libcurl 7.88 cannot duplicate a COPYPOSTFIELDS copy of unknown length. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(g_body));
        curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, g_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, out_cb);
        CURL *d = curl_easy_duphandle(h);
        status |= report(curl_easy_perform(h));
        status |= report(curl_easy_perform(d));
        curl_easy_cleanup(d);
    } else if (strcmp(mode, "removeearly") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, g_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_cb);
        run_multi(h, 1);
    } else {
        fprintf(stderr, "edge_libcurl: unknown mode %s\n", mode);
        status = 2;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    curl_global_cleanup();
    return status;
}
