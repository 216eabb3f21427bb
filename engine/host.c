/* host.c — inside libpromptlog-engine.so only: the runtime calls the engine's code makes
 * (pl_config_get, pl_debug, pl_stats_count, pl_process_generation) answered by the preloaded
 * library's own state, which it lends at init; our copies would be other, unread variables. */
#include "engine_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static const pl_engine_host *g_host;
static const pl_config g_default; /* before init: nothing is called then, but never NULL */

void pl_engine_host_set(const pl_engine_host *host)
{
    g_host = host;
}

const pl_config *pl_config_get(void)
{
    return g_host && g_host->config ? g_host->config : &g_default;
}

void pl_debug(const char *fmt, ...)
{
    if (!g_host || !g_host->config || !g_host->config->debug)
        return;
    int saved = errno;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    errno = saved;
    g_host->debug("%s", line);
}

void pl_stats_count(int committed)
{
    if (g_host)
        g_host->stats_count(committed);
}

unsigned pl_process_generation(void)
{
    return g_host ? g_host->generation() : 0;
}
