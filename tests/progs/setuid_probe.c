/* setuid_probe.c — a libcurl program that loads libpromptlog.so itself (dlopen: a setuid
 * program ignores LD_PRELOAD paths) and makes one LLM call through our hooks, to show that the
 * library captures nothing and says nothing in a setuid/setgid (AT_SECURE) process.
 *
 * usage: setuid_probe LIB URL    prints "secure=S euid=E uid=U rc=R" (R: libcurl's result) */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
typedef CURLcode (*perform_fn)(CURL *);
typedef void (*cleanup_fn)(CURL *);

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

#ifdef __SANITIZE_ADDRESS__
/* Built for the ASan pass: a setuid process cannot read its own /proc/self/environ, where the
 * sanitizer looks for ASAN_OPTIONS, and LeakSanitizer cannot stop the world in it; so the
 * options the other hosts get from the environment are built in. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0:abort_on_error=0:exitcode=86";
}
#endif

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIB URL\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    /* Our hooks, called directly: dlsym on the handle finds the library's own definitions. */
    setopt_fn setopt = (setopt_fn)dlsym(lib, "curl_easy_setopt");
    perform_fn perform = (perform_fn)dlsym(lib, "curl_easy_perform");
    cleanup_fn cleanup = (cleanup_fn)dlsym(lib, "curl_easy_cleanup");
    if (!setopt || !perform || !cleanup) {
        fprintf(stderr, "hooks not found in %s\n", argv[1]);
        return 2;
    }
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    setopt(h, CURLOPT_URL, argv[2]);
    setopt(h, CURLOPT_HTTPHEADER, hd);
    setopt(h, CURLOPT_POSTFIELDS,
           "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"setuid\"}]}");
    setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = perform(h);
    cleanup(h);
    curl_slist_free_all(hd);
    printf("secure=%lu euid=%d uid=%d rc=%d\n", getauxval(AT_SECURE), (int)geteuid(), (int)getuid(), (int)rc);
    return 0;
}
