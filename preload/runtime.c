/* runtime.c — process-wide state of the preload library: configuration read once from the
 * environment, debug output, counters and the per-thread re-entrancy flags (see runtime.h). */
#include "runtime.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

PL_TLS int pl_in_curl;
PL_TLS int pl_in_hook;
PL_TLS int pl_in_self;

static pl_config g_config;
static pthread_once_t g_config_once = PTHREAD_ONCE_INIT;

static unsigned long g_captured, g_skipped;

static int env_flag(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    return !(strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
             strcasecmp(v, "off") == 0);
}

/* strdup of an environment value, or of the default; a failed allocation falls back to a
 * static string so pl_config_get never returns NULL fields that callers must check. */
static char *env_str(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        v = dflt;
    if (!v)
        return NULL;
    char *s = strdup(v);
    return s ? s : (char *)dflt;
}

/* Accepts plain bytes or a K/M/G suffix ("16M"); anything unparsable keeps the default. */
static size_t parse_size(const char *v, size_t dflt)
{
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v)
        return dflt;
    switch (*end) {
    case 'k': case 'K': n <<= 10; end++; break;
    case 'm': case 'M': n <<= 20; end++; break;
    case 'g': case 'G': n <<= 30; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return dflt;
    return (size_t)n;
}

int pl_config_disabled_env(void)
{
    /* A setuid/setgid process runs with someone else's privileges: writing a database it
     * chose (PROMPTLOG_DATABASE is attacker-controlled) would be a privilege escalation. */
    return getauxval(AT_SECURE) != 0 || env_flag("PROMPTLOG_DISABLE");
}

static void config_load(void)
{
    int saved = errno;
    pl_config *c = &g_config;
    int secure = getauxval(AT_SECURE) != 0;
    c->debug = secure ? 0 : env_flag("PROMPTLOG_DEBUG");
    c->database_url = env_str("PROMPTLOG_DATABASE", "sqlite:///prompts.db");
    c->ns = env_str("PROMPTLOG_NAMESPACE", "default");
    c->max_body = parse_size(getenv("PROMPTLOG_MAX_BODY"), (size_t)16 << 20);
    c->redact = env_str("PROMPTLOG_REDACT", NULL);
    c->busy_timeout_ms = 2000;
    const char *bt = getenv("PROMPTLOG_BUSY_TIMEOUT_MS");
    if (bt && *bt) {
        char *end;
        long v = strtol(bt, &end, 10);
        if (!*end && v >= 0 && v <= 600000)
            c->busy_timeout_ms = (int)v;
    }
    c->endpoints = env_str("PROMPTLOG_ENDPOINTS", NULL);
    c->ignore = env_str("PROMPTLOG_IGNORE", NULL);
    c->disabled = pl_config_disabled_env();
    errno = saved;
}

const pl_config *pl_config_get(void)
{
    int saved = errno;
    pthread_once(&g_config_once, config_load);
    errno = saved;
    return &g_config;
}

void pl_debug(const char *fmt, ...)
{
    int saved = errno;
    if (!pl_config_get()->debug) {
        errno = saved;
        return;
    }
    /* Formatted into one buffer and written with a single write(2): lines from several
     * threads or processes never interleave, and no stdio lock is taken (safe after fork). */
    char line[1024];
    int n = snprintf(line, sizeof line, "promptlog[%d]: ", (int)getpid());
    if (n < 0)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    pl_self_enter();
    ssize_t w = write(STDERR_FILENO, line, len);
    pl_self_leave();
    (void)w;
    errno = saved;
}

pl_stats pl_stats_get(void)
{
    pl_stats s;
    s.captured = __atomic_load_n(&g_captured, __ATOMIC_RELAXED);
    s.skipped = __atomic_load_n(&g_skipped, __ATOMIC_RELAXED);
    return s;
}

void pl_stats_count(int committed)
{
    __atomic_add_fetch(committed ? &g_captured : &g_skipped, 1, __ATOMIC_RELAXED);
}
