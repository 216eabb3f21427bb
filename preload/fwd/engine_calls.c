/* engine_calls.c — pl_h2_* and pl_decoder_* for the preloaded object: the HTTP/1 reassembler,
 * conn.c and the libcurl tees call them as always, and they forward through the engine table.
 * Linked into libpromptlog.so only (unit tests link proto/http2.c and proto/decode.c instead).
 *
 * Creation fails (NULL; "identity" for a coding) while the engine is not loaded: conn.c then
 * ignores an HTTP/2 connection, and a kept HTTP/1 exchange is dropped at commit (capture.c says
 * why once). Every other call is only reached with an object the engine made. */
#include "../engine.h"

#include <string.h>

/* Pure and needed before any load (sniffing every connection's first bytes), so it is not
 * forwarded: the same 24-byte comparison as proto/http2.c. */
int pl_h2_preface_match(const void *data, size_t len)
{
    size_t n = len < PL_H2_PREFACE_LEN ? len : PL_H2_PREFACE_LEN;
    if (memcmp(data, PL_H2_PREFACE, n) != 0)
        return 0;
    return len >= PL_H2_PREFACE_LEN ? 1 : -1;
}

pl_h2 *pl_h2_new(const pl_proto_events *events, pl_source source)
{
    const pl_engine *e = pl_engine_get();
    if (!e) {
        pl_debug("HTTP/2 connection before the capture engine was loaded: not captured");
        return NULL;
    }
    return e->h2_new(events, source);
}

int pl_h2_feed(pl_h2 *h, pl_dir dir, const void *data, size_t len, double now)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->h2_feed(h, dir, data, len, now) : -1;
}

int pl_h2_failed(const pl_h2 *h)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->h2_failed(h) : 1;
}

int pl_h2_kept_in_flight(const pl_h2 *h)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->h2_kept_in_flight(h) : 0;
}

void pl_h2_close(pl_h2 *h, double now)
{
    const pl_engine *e = pl_engine_get();
    if (e)
        e->h2_close(h, now);
}

void pl_h2_free(pl_h2 *h)
{
    const pl_engine *e = pl_engine_get();
    if (e)
        e->h2_free(h);
}

pl_decoder *pl_decoder_new(const char *content_encoding)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->decoder_new(content_encoding) : NULL;
}

int pl_decoder_is_identity(const char *content_encoding)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->decoder_is_identity(content_encoding) : 1;
}

int pl_decoder_feed(pl_decoder *d, const void *in, size_t n, pl_buf *out, size_t limit, int *truncated)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->decoder_feed(d, in, n, out, limit, truncated) : -1;
}

int pl_decoder_complete(const pl_decoder *d)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->decoder_complete(d) : 1;
}

int pl_decoder_error(const pl_decoder *d)
{
    const pl_engine *e = pl_engine_get();
    return e ? e->decoder_error(d) : 1;
}

void pl_decoder_free(pl_decoder *d)
{
    const pl_engine *e = pl_engine_get();
    if (e && d)
        e->decoder_free(d);
}
