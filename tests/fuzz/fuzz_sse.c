/* fuzz_sse.c — libFuzzer harness for the streamed-response framers (proto/sse.h): SSE, NDJSON and
 * JSON-array. Their contract says any split yields the same events and offsets as a whole feed.
 *
 * Input: [mode][seed] stream bytes. mode % 3 picks SSE, NDJSON or JSON array. */
#include <stdint.h>
#include <stdlib.h>

#include "../../proto/sse.h"
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

typedef struct sse_run {
    pl_buf dump;
    size_t last_end;
} sse_run;

static void sse_on_event(void *ctx, const pl_stream_event *ev)
{
    sse_run *r = ctx;
    char n[128];
    FUZZ_CHECK(ev->end_offset >= r->last_end, "event offsets go backwards");
    r->last_end = ev->end_offset;
    snprintf(n, sizeof n, "E retry=%ld has=%d end=%zu unt=%d", ev->retry, ev->has_data,
             ev->end_offset, ev->unterminated);
    pl_buf_append_str(&r->dump, n);
    fuzz_dump_bytes(&r->dump, "ev", ev->event, ev->event_len);
    fuzz_dump_bytes(&r->dump, "d", ev->data, ev->data_len);
    fuzz_dump_bytes(&r->dump, "id", ev->id, ev->id_len);
    pl_buf_append_str(&r->dump, "\n");
}

/* seed < 0: fed whole; else in pieces. */
static void sse_pass(sse_run *r, int mode, int seed, const char *p, size_t n)
{
    fuzz_chunker ch;
    fuzz_chunker_init(&ch, (uint8_t)(seed < 0 ? 0 : seed), n);
    if (seed < 0)
        ch.mode = 1, ch.cut = n;
    size_t off = 0, k;
    char tail[64];
    int fin;
    if (mode == 0) {
        pl_sse_parser s;
        pl_sse_init(&s, sse_on_event, r);
        while ((k = fuzz_chunk(&ch)) > 0)
            pl_sse_feed(&s, p + off, k), off += k;
        fin = pl_sse_finish(&s);
        snprintf(tail, sizeof tail, "fin=%d oom=%d off=%zu\n", fin, s.oom, s.offset);
        pl_sse_free(&s);
    } else if (mode == 1) {
        pl_ndjson_parser s;
        pl_ndjson_init(&s, sse_on_event, r);
        while ((k = fuzz_chunk(&ch)) > 0)
            pl_ndjson_feed(&s, p + off, k), off += k;
        fin = pl_ndjson_finish(&s);
        snprintf(tail, sizeof tail, "fin=%d oom=%d off=%zu\n", fin, s.oom, s.offset);
        pl_ndjson_free(&s);
    } else {
        pl_jsonarr_parser s;
        pl_jsonarr_init(&s, sse_on_event, r);
        while ((k = fuzz_chunk(&ch)) > 0)
            pl_jsonarr_feed(&s, p + off, k), off += k;
        int closed = s.closed;
        fin = pl_jsonarr_finish(&s);
        snprintf(tail, sizeof tail, "fin=%d oom=%d off=%zu closed=%d\n", fin, s.oom, s.offset, closed);
        pl_jsonarr_free(&s);
    }
    FUZZ_CHECK(r->last_end <= n, "event offset %zu past the stream (%zu)", r->last_end, n);
    pl_buf_append_str(&r->dump, tail);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int mode = data[0] % 3;
    const char *p = (const char *)data + 2;
    size_t n = size - 2;
    sse_run whole = {0}, split = {0};
    sse_pass(&whole, mode, -1, p, n);
    sse_pass(&split, mode, data[1], p, n);
    fuzz_same(&whole.dump, &split.dump, mode == 0 ? "sse" : mode == 1 ? "ndjson" : "jsonarr");
    pl_buf_free(&whole.dump);
    pl_buf_free(&split.dump);
    return 0;
}
