/* capture.c — the one way from a hook into the pipeline: is this request an LLM call (here,
 * libc only), and exchange → record → row, done by the engine (engine.h) before we return. */
#include "capture.h"
#include "doctor_report.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

/* ---- endpoint rules (PROMPTLOG_ENDPOINTS / PROMPTLOG_IGNORE), parsed once ---- */

static pl_endpoint_rules *g_rules;
static pthread_once_t g_rules_once = PTHREAD_ONCE_INIT;

static void rules_load(void)
{
    const pl_config *c = pl_config_get();
    if (!c->endpoints && !c->ignore)
        return;
    char err[256] = "";
    g_rules = pl_endpoint_rules_parse(c->endpoints, c->ignore, err, sizeof err);
    if (!g_rules)
        pl_debug("PROMPTLOG_ENDPOINTS/PROMPTLOG_IGNORE ignored: %s", err);
}

int pl_capture_wanted(const char *method, const char *host, int port, const char *target, pl_endpoint *ep)
{
    int saved = errno;
    int want = 0;
    const pl_config *c = pl_config_get();
    if (!c->disabled && host && target) {
        pthread_once(&g_rules_once, rules_load);
        want = g_rules ? pl_endpoint_match_rules(g_rules, method, host, port, target, ep)
                       : pl_endpoint_match(method, host, port, target, ep);
    }
    errno = saved;
    return want;
}

void pl_capture_commit(pl_exchange *x, const pl_endpoint *ep)
{
    if (!x)
        return;
    int saved = errno;
    pl_in_hook++;
    pl_self_enter(); /* the engine's SQLite file I/O reaches our exported hooks: straight through */
    const pl_engine *e = pl_engine_get();
    if (ep && !pl_config_get()->disabled) {
        if (e) {
            if (e->commit(x, ep))
                pl_doctor_note_captured(x->source);
        }
        else
            pl_stats_count(0); /* (why was said once when the load failed or was deferred) */
    }
    pl_exchange_free(x);
    pl_self_leave();
    pl_in_hook--;
    errno = saved;
}
