/* chat_libcurl.c — a plain libcurl program that POSTs one chat completion and prints the reply:
 * the kind of unmodified program promptlog captures (tests and `make demo` run it preloaded).
 *
 * usage: chat_libcurl URL [BODY_JSON]
 * env:   OPENAI_API_KEY (sent as a Bearer token when set), PROMPTLOG_EXAMPLE_CAINFO (CA bundle for
 *        a self-signed test server), PROMPTLOG_EXAMPLE_INSECURE=1 (skip verification). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BODY \
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}"

/* Streams each piece to stdout as it arrives, as a chat client would. */
static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    FILE *out = ud;
    size_t w = fwrite(p, size, n, out);
    fflush(out);
    return w * size;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s URL [BODY_JSON]\n", argv[0]);
        return 2;
    }
    const char *body = argc == 3 ? argv[2] : DEFAULT_BODY;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    CURL *h = curl_easy_init();
    if (!h)
        return 1;

    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char *auth = NULL;
    const char *key = getenv("OPENAI_API_KEY");
    if (key && *key) {
        size_t n = strlen(key) + 32;
        auth = malloc(n);
        if (auth) {
            snprintf(auth, n, "Authorization: Bearer %s", key);
            headers = curl_slist_append(headers, auth);
        }
    }
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, stdout);
    const char *ca = getenv("PROMPTLOG_EXAMPLE_CAINFO");
    const char *insecure = getenv("PROMPTLOG_EXAMPLE_INSECURE");
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (insecure && strcmp(insecure, "1") == 0) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        fprintf(stderr, "chat_libcurl: %s\n", curl_easy_strerror(rc));

    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    free(auth);
    curl_global_cleanup();
    return rc == CURLE_OK ? 0 : 1;
}
