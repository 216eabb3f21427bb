/* sse.h — incremental framing of streamed LLM responses: Server-Sent Events, NDJSON lines, and a
 * streamed top-level JSON array. Bytes go in in any chunking; whole events come out by callback.
 *
 * Contract: feeding a stream in any split (down to one byte at a time) yields exactly the same
 * events, with the same offsets, as feeding it whole. Bytes are passed through untouched, so a
 * UTF-8 code point split across feeds is reassembled. Nothing is allocated per event beyond the
 * parser's own growing buffers; event pointers are valid only during the callback. */
#ifndef PL_SSE_H
#define PL_SSE_H

#include <stddef.h>
#include "../util/buf.h"

/* One framed unit. For SSE: the event name ("" when none was given), the data lines joined with
 * "\n", and the last event id. For NDJSON and JSON arrays: event is "", data is one line/element. */
typedef struct pl_stream_event {
    const char *event;  size_t event_len;
    const char *data;   size_t data_len;
    const char *id;     size_t id_len;     /* SSE last-event-id ("" when none) */
    long retry;                            /* SSE retry: value, -1 when none */
    int has_data;                          /* at least one data: field (SSE); always 1 otherwise */
    size_t end_offset;   /* stream offset just past the bytes that completed this event */
    int unterminated;    /* reported by finish(): the stream ended inside this event */
} pl_stream_event;

typedef void (*pl_stream_cb)(void *ctx, const pl_stream_event *ev);

/* --- SSE (WHATWG rules): lines end in CR, LF or CRLF (a CRLF may straddle two feeds); a blank
 * line dispatches; "field:value" strips exactly one space after the colon; a line without a colon
 * is a field with an empty value; lines starting with ':' are comments; repeated data: fields join
 * with "\n". An event is dispatched when any field (data, event, id, retry) was set, so an
 * `event:` without `data:` is still seen (has_data = 0). */
typedef struct pl_sse_parser {
    pl_stream_cb cb;
    void *ctx;
    pl_buf line;        /* the current, unfinished line */
    pl_buf data;        /* data lines of the current event */
    pl_buf event;
    pl_buf id;
    long retry;
    int has_data, has_fields, pending_cr;
    size_t offset;      /* bytes fed so far */
    int oom;            /* memory ran out: later events may be wrong */
} pl_sse_parser;

void pl_sse_init(pl_sse_parser *p, pl_stream_cb cb, void *ctx);
void pl_sse_feed(pl_sse_parser *p, const char *bytes, size_t len);
/* End of stream. A final event without its blank line (or a final unfinished line) is reported
 * with unterminated = 1. Returns 1 when something unterminated was pending, else 0. */
int pl_sse_finish(pl_sse_parser *p);
void pl_sse_free(pl_sse_parser *p);

/* --- NDJSON: one event per LF-terminated line (a trailing CR is dropped; blank lines skipped). */
typedef struct pl_ndjson_parser {
    pl_stream_cb cb;
    void *ctx;
    pl_buf line;
    size_t offset;
    int oom;
} pl_ndjson_parser;

void pl_ndjson_init(pl_ndjson_parser *p, pl_stream_cb cb, void *ctx);
void pl_ndjson_feed(pl_ndjson_parser *p, const char *bytes, size_t len);
int pl_ndjson_finish(pl_ndjson_parser *p);   /* reports a final line without LF as unterminated */
void pl_ndjson_free(pl_ndjson_parser *p);

/* --- Streamed JSON array ("[{...},{...}]", Gemini without alt=sse): one event per top-level
 * element, found by tracking strings, escapes and nesting (the JSON itself is parsed later with
 * cJSON). A body that is not an array is treated as a sequence of values, so a plain error object
 * still comes out as one event. `closed` is set once the array's final ']' has been seen. */
typedef struct pl_jsonarr_parser {
    pl_stream_cb cb;
    void *ctx;
    pl_buf elem;        /* bytes of the element being read */
    int depth;          /* nesting depth relative to the element level */
    int state;          /* 0 = before the first value, 1 = inside the array, 2 = values, no array */
    int in_string, escape;
    int closed;
    size_t offset;
    int oom;
} pl_jsonarr_parser;

void pl_jsonarr_init(pl_jsonarr_parser *p, pl_stream_cb cb, void *ctx);
void pl_jsonarr_feed(pl_jsonarr_parser *p, const char *bytes, size_t len);
int pl_jsonarr_finish(pl_jsonarr_parser *p); /* reports an unfinished element as unterminated */
void pl_jsonarr_free(pl_jsonarr_parser *p);

#endif
