/* cjson_host.c — a host that uses cJSON itself, for test_json_arena.sh: the engine routes the
 * JSON it parses through cJSON's process-wide allocation hooks (util/jsonarena.h), and a host's
 * own cJSON must not notice. The host's allocator tags each block; a block it did not allocate
 * reaching its free (or one of its blocks reaching libc's) is reported, not crashed on.
 *   cjson_host before PORT  libcjson loaded and hooked by the host, then an LLM call, then JSON work
 *   cjson_host after PORT   an LLM call first (the engine may hook cJSON), then libcjson loaded,
 *                           JSON work with the hooks found, then the host hooks, call, JSON work
 * Prints the same lines with and without the preload. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct { void *(*malloc_fn)(size_t); void (*free_fn)(void *); } hooks;
static void (*init_hooks)(hooks *);
static void *(*parse)(const char *);
static char *(*print)(const void *);
static void (*del)(void *);
static void (*jfree)(void *);

enum { MAGIC = 0x6a736f6e };
static long g_live, g_foreign, g_allocs;

static void *host_alloc(size_t n)
{
    unsigned *p = malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = MAGIC;
    g_live++;
    g_allocs++;
    return (char *)p + 16;
}

static void host_free(void *q)
{
    if (!q)
        return;
    unsigned *p = (unsigned *)((char *)q - 16);
    if (p[0] != MAGIC) {   /* not ours: never hand it to free() */
        g_foreign++;
        return;
    }
    p[0] = 0;
    g_live--;
    free(p);
}

static void load(void)
{
    void *h = dlopen("libcjson.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        printf("no libcjson: %s\n", dlerror());
        exit(2);
    }
    init_hooks = (void (*)(hooks *))dlsym(h, "cJSON_InitHooks");
    parse = (void *(*)(const char *))dlsym(h, "cJSON_Parse");
    print = (char *(*)(const void *))dlsym(h, "cJSON_PrintUnformatted");
    del = (void (*)(void *))dlsym(h, "cJSON_Delete");
    jfree = (void (*)(void *))dlsym(h, "cJSON_free");
}

/* Parse, print, free: prints the round trip. */
static void json_work(const char *who)
{
    void *j = parse("{\"a\": [1, 2, {\"b\": \"text with \\\"quotes\\\"\"}], \"c\": null}");
    char *s = j ? print(j) : NULL;
    printf("%s: %s\n", who, s ? s : "(parse failed)");
    jfree(s);
    del(j);
}

static const char BODY[] = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}]}";

static void call(const char *who, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("%s: connect failed\n", who);
        exit(1);
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", port, sizeof BODY - 1, BODY);
    if (write(fd, req, (size_t)n) != n)
        exit(1);
    char buf[65536];
    size_t total = 0;
    ssize_t r;
    while ((r = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += (size_t)r;
    close(fd);
    buf[total] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    printf("%s: %s\n", who, buf);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int port = atoi(argv[2]);
    hooks h = {host_alloc, host_free};
    if (strcmp(argv[1], "before") == 0) {
        load();
        init_hooks(&h);
        json_work("before the call");
        void *kept = parse("{\"kept\": [\"across\", \"the call\"]}");   /* freed after it */
        call("call", port);
        json_work("after the call");
        del(kept);
    } else {
        call("first call", port);
        load();
        json_work("found hooks");
        init_hooks(&h);
        call("second call", port);
        json_work("host hooks");
    }
    /* (not g_allocs: the engine's own cJSON also runs on the hooks the host set; that is the
     * one thing a host shares with us, and counts differ) */
    printf("host blocks: %s, live %ld, foreign blocks freed %ld\n", g_allocs ? "used" : "unused", g_live, g_foreign);
    return g_foreign ? 3 : 0;
}
