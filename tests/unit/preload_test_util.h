/* preload_test_util.h — shared by the unit tests that link the preload objects (test_conn.c,
 * test_hook_socket.c): a temporary database, HTTP messages of an LLM call, and the stripe that
 * conn.c puts a key in (its hash, restated: a test that needs colliding keys must find them). */
#ifndef PRELOAD_TEST_UTIL_H
#define PRELOAD_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/runtime.h"

#define CHAT_BODY "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
#define CHAT_RESP                                                                                  \
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0," \
    "\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}],"      \
    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}"

static inline int chat_request(char *buf, size_t cap, const char *path)
{
    return snprintf(buf, cap,
                    "POST %s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
                    "Content-Length: %zu\r\n\r\n%s",
                    path, strlen(CHAT_BODY), CHAT_BODY);
}

static inline int chat_response(char *buf, size_t cap)
{
    return snprintf(buf, cap,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                    strlen(CHAT_RESP), CHAT_RESP);
}

/* conn.c: bucket = top 10 bits of key * golden ratio, stripe = bucket % 64. */
static inline int stripe_of_key(const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull;
    return (int)((h >> 54) % 64);
}

static inline int stripe_of_fd(int fd)
{
    return stripe_of_key((const void *)(((uintptr_t)(unsigned)fd << 1) | 1));
}

static inline unsigned long captured(void)
{
    return pl_stats_get().captured;
}

/* A fresh temporary database for this test program; call first in main. */
static inline void use_temp_db(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/pl-unit-preload.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s/prompts.db", dir);
    setenv("PROMPTLOG_DATABASE", url, 1);
    unsetenv("PROMPTLOG_DISABLE");
    unsetenv("PROMPTLOG_ENDPOINTS");
    unsetenv("PROMPTLOG_IGNORE");
    unsetenv("PROMPTLOG_DEBUG");
}

static inline int remove_temp_db(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

#endif
