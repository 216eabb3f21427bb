/* engine_load.c — where the capture engine's first load can happen (test_engine_lazy.sh): one
 * plain-HTTP chat call on a raw socket (the load then runs inside our hooked write), after a
 * fork, or from a constructor of a library the program is dlopen'ing, single- or multi-threaded.
 * Built twice: as the program, and with -DCTOR_LIB as the library whose constructor calls. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char BODY[] = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}";

/* POST path on 127.0.0.1:port, Connection: close; prints "WHO: STATUS-LINE, N bytes". */
static int call(const char *who, int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("%s: connect failed\n", who);
        return 1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, port, sizeof BODY - 1, BODY);
    if (write(fd, req, (size_t)n) != n) {
        printf("%s: write failed\n", who);
        close(fd);
        return 1;
    }
    char buf[65536];
    size_t total = 0;
    ssize_t r;
    while ((r = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += (size_t)r;
    close(fd);
    buf[total] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    printf("%s: %s, %zu bytes\n", who, buf, total);
    fflush(stdout);
    return 0;
}

#ifdef CTOR_LIB
__attribute__((constructor)) static void ctor(void)
{
    const char *port = getenv("ENGINE_TEST_PORT");
    if (port)
        call("constructor", atoi(port), "/v1/chat/completions");
}
#else
static int mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        found |= strstr(line, name) != NULL;
    if (f)
        fclose(f);
    return found;
}

static int g_pipe[2];
static void *idle(void *arg)
{
    char c;
    (void)arg;
    return read(g_pipe[0], &c, 1) >= 0 ? NULL : NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s call|maps|fork|dlopen PORT [PATH|LIB THREADS]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    int port = atoi(argv[2]);
    if (strcmp(mode, "call") == 0)
        return call("main", port, argc > 3 ? argv[3] : "/v1/chat/completions");
    if (strcmp(mode, "maps") == 0) {
        int rc = call("main", port, argc > 3 ? argv[3] : "/v1/chat/completions");
        printf("engine %d sqlite %d zstd %d nghttp2 %d cjson %d\n", mapped("libpromptlog-engine"),
               mapped("libsqlite3"), mapped("libzstd"), mapped("libnghttp2"), mapped("libcjson"));
        return rc;
    }
    if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0)
            exit(call("child", port, "/v1/chat/completions"));
        int st = 0;
        waitpid(pid, &st, 0);
        return call("parent", port, "/v1/chat/completions") || !WIFEXITED(st) || WEXITSTATUS(st);
    }
    if (strcmp(mode, "dlopen") == 0 && argc > 4) {
        pthread_t t;
        int threads = atoi(argv[4]);
        if (threads && (pipe(g_pipe) != 0 || pthread_create(&t, NULL, idle, NULL) != 0))
            return 3;
        char p[16];
        snprintf(p, sizeof p, "%d", port);
        setenv("ENGINE_TEST_PORT", p, 1);
        void *h = dlopen(argv[3], RTLD_NOW);
        printf("dlopen %s\n", h ? "ok" : dlerror());
        int rc = call("main", port, "/v1/chat/completions");
        if (threads) {
            close(g_pipe[1]);
            pthread_join(t, NULL);
        }
        return rc || !h;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
#endif
