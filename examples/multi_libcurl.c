/* multi_libcurl.c — N chat requests in parallel through the libcurl multi interface, responses
 * printed in argument order: exercises promptlog's curl_multi_* capture (one record per request).
 *
 * usage: multi_libcurl URL BODY1 [BODY2...]
 * env:   OPENAI_API_KEY, PROMPTLOG_EXAMPLE_CAINFO, PROMPTLOG_EXAMPLE_INSECURE=1 (as chat_libcurl). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reply {
    char *data;
    size_t len;
} reply;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    size_t add = size * n;
    char *d = realloc(r->data, r->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + r->len, p, add);
    r->data = d;
    r->len += add;
    d[r->len] = '\0';
    return add;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s URL BODY1 [BODY2...]\n", argv[0]);
        return 2;
    }
    int n = argc - 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    CURLM *m = curl_multi_init();
    CURL **hs = calloc((size_t)n, sizeof *hs);
    reply *replies = calloc((size_t)n, sizeof *replies);
    CURLcode *results = calloc((size_t)n, sizeof *results);
    if (!m || !hs || !replies || !results)
        return 1;

    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char *auth = NULL;
    const char *key = getenv("OPENAI_API_KEY");
    if (key && *key) {
        size_t len = strlen(key) + 32;
        auth = malloc(len);
        if (auth) {
            snprintf(auth, len, "Authorization: Bearer %s", key);
            headers = curl_slist_append(headers, auth);
        }
    }
    const char *ca = getenv("PROMPTLOG_EXAMPLE_CAINFO");
    const char *insecure = getenv("PROMPTLOG_EXAMPLE_INSECURE");

    for (int i = 0; i < n; i++) {
        CURL *h = curl_easy_init();
        if (!h)
            return 1;
        hs[i] = h;
        curl_easy_setopt(h, CURLOPT_URL, argv[1]);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, argv[i + 2]);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &replies[i]);
        curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)&replies[i]);
        if (ca && *ca)
            curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        if (insecure && strcmp(insecure, "1") == 0) {
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        curl_multi_add_handle(m, h);
    }

    int running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc == CURLM_OK && running)
            mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            fprintf(stderr, "multi_libcurl: %s\n", curl_multi_strerror(mc));
            break;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            for (int i = 0; i < n; i++)
                if (hs[i] == msg->easy_handle)
                    results[i] = msg->data.result;
        }
    }

    int status = 0;
    for (int i = 0; i < n; i++) {
        if (results[i] != CURLE_OK) {
            fprintf(stderr, "multi_libcurl: request %d: %s\n", i + 1, curl_easy_strerror(results[i]));
            status = 1;
        } else if (replies[i].len) {
            fwrite(replies[i].data, 1, replies[i].len, stdout);
            if (replies[i].data[replies[i].len - 1] != '\n')
                fputc('\n', stdout);
        }
        curl_multi_remove_handle(m, hs[i]);
        curl_easy_cleanup(hs[i]);
        free(replies[i].data);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(headers);
    free(auth);
    free(hs);
    free(replies);
    free(results);
    curl_global_cleanup();
    return status;
}
