/* engine.c — the capture engine's one exported symbol: the table the preloaded library
 * resolves once after dlopen (preload/engine.h), and the host services it lends us. */
#include "engine_int.h"

#include "../proto/decode.h"
#include "../proto/http2.h"
#include "../util/jsonarena.h"

static void engine_init(const pl_engine_host *host)
{
    if (pl_engine_host_set) /* (absent when linked statically into a unit test) */
        pl_engine_host_set(host);
    if (host->json_hooks_free)
        pl_jsonarena_install();
}

static void engine_fork_child(void)
{
    pl_jsonarena_fork_child();
    pl_engine_store_fork_child();
}

static int engine_commit(pl_exchange *x, const pl_endpoint *ep)
{
    return pl_engine_commit(x, ep);
}

PL_EXPORT const pl_engine pl_engine_v1 = {
    .version = PL_ENGINE_VERSION,
    .init = engine_init,
    .commit = engine_commit,
    .store_close = pl_engine_store_close,
    .fork_prepare = pl_engine_store_fork_prepare,
    .fork_parent = pl_engine_store_fork_parent,
    .fork_child = engine_fork_child,
    .h2_new = pl_h2_new,
    .h2_feed = pl_h2_feed,
    .h2_failed = pl_h2_failed,
    .h2_kept_in_flight = pl_h2_kept_in_flight,
    .h2_close = pl_h2_close,
    .h2_free = pl_h2_free,
    .decoder_new = pl_decoder_new,
    .decoder_is_identity = pl_decoder_is_identity,
    .decoder_feed = pl_decoder_feed,
    .decoder_complete = pl_decoder_complete,
    .decoder_error = pl_decoder_error,
    .decoder_free = pl_decoder_free,
};
