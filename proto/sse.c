/* sse.c — incremental SSE, NDJSON and streamed-JSON-array framing (see sse.h).
 * Chunk boundaries never align with events on the wire, so every parser carries its partial state
 * across feeds and copies bytes only when a unit straddles two feeds. */
#include "sse.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* SSE */

void pl_sse_init(pl_sse_parser *p, pl_stream_cb cb, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->cb = cb;
    p->ctx = ctx;
    p->retry = -1;
}

void pl_sse_free(pl_sse_parser *p)
{
    pl_buf_free(&p->line);
    pl_buf_free(&p->data);
    pl_buf_free(&p->event);
    pl_buf_free(&p->id);
}

static void sse_dispatch(pl_sse_parser *p, int unterminated)
{
    if (p->has_fields && p->cb) {
        pl_stream_event ev;
        ev.event = pl_buf_cstr(&p->event);
        ev.event_len = p->event.len;
        ev.data = pl_buf_cstr(&p->data);
        ev.data_len = p->data.len;
        ev.id = pl_buf_cstr(&p->id);
        ev.id_len = p->id.len;
        ev.retry = p->retry;
        ev.has_data = p->has_data;
        ev.end_offset = p->offset;
        ev.unterminated = unterminated;
        p->cb(p->ctx, &ev);
    }
    /* The last event id deliberately survives dispatch (SSE "last event ID buffer"). */
    pl_buf_reset(&p->data);
    pl_buf_reset(&p->event);
    p->retry = -1;
    p->has_data = 0;
    p->has_fields = 0;
}

static int field_is(const char *f, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == k && memcmp(f, name, k) == 0;
}

static void sse_line(pl_sse_parser *p, const char *s, size_t n)
{
    if (n == 0) {
        sse_dispatch(p, 0);
        return;
    }
    if (s[0] == ':')
        return; /* comment, e.g. ": OPENROUTER PROCESSING" keep-alives */
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = (size_t)(s + n - v);
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    int rc = 0;
    if (field_is(s, flen, "data")) {
        if (p->has_data)
            rc |= pl_buf_append(&p->data, "\n", 1);
        rc |= pl_buf_append(&p->data, v, vlen);
        p->has_data = 1;
        p->has_fields = 1;
    } else if (field_is(s, flen, "event")) {
        pl_buf_reset(&p->event);
        rc |= pl_buf_append(&p->event, v, vlen);
        p->has_fields = 1;
    } else if (field_is(s, flen, "id")) {
        if (!memchr(v, '\0', vlen)) {
            pl_buf_reset(&p->id);
            rc |= pl_buf_append(&p->id, v, vlen);
        }
        p->has_fields = 1;
    } else if (field_is(s, flen, "retry")) {
        long r = 0;
        size_t i;
        for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && r < 100000000; i++)
            r = r * 10 + (v[i] - '0');
        if (vlen > 0 && i == vlen)
            p->retry = r;
        p->has_fields = 1;
    }
    /* Unknown fields are ignored, as the spec requires. */
    if (rc)
        p->oom = 1;
}

void pl_sse_feed(pl_sse_parser *p, const char *bytes, size_t len)
{
    size_t i = 0;
    /* The next LF at or after i (len: none in this feed), found with memchr rather than a
     * byte loop (every streamed event's bytes pass here on the program's thread, issue 14), and
     * kept across lines so a stream of CR-only line ends is not rescanned for an LF per line. */
    size_t lf = 0;
    int lf_known = 0;
    while (i < len) {
        if (p->pending_cr) {
            p->pending_cr = 0;
            if (bytes[i] == '\n') {  /* second half of a CRLF that straddled two feeds */
                p->offset++;
                i++;
                continue;
            }
        }
        if (!lf_known || lf < i) {
            const char *q = memchr(bytes + i, '\n', len - i);
            lf = q ? (size_t)(q - bytes) : len;
            lf_known = 1;
        }
        const char *cr = memchr(bytes + i, '\r', lf - i);
        size_t j = cr ? (size_t)(cr - bytes) : lf;
        if (j == len) {  /* no line end in this feed: keep the partial line */
            if (pl_buf_append(&p->line, bytes + i, len - i))
                p->oom = 1;
            p->offset += len - i;
            return;
        }
        p->offset += j - i + 1;
        /* After a CR, a following LF (in this feed or the next) only completes the CRLF. The
         * event offset is therefore always "just past the CR", however the bytes were split. */
        if (bytes[j] == '\r')
            p->pending_cr = 1;
        if (p->line.len == 0) {
            sse_line(p, bytes + i, j - i);
        } else {
            if (pl_buf_append(&p->line, bytes + i, j - i))
                p->oom = 1;
            /* sse_line never touches p->line, so it can read from it directly. */
            sse_line(p, p->line.data, p->line.len);
            pl_buf_reset(&p->line);
        }
        i = j + 1;
    }
}

int pl_sse_finish(pl_sse_parser *p)
{
    int pending = 0;
    if (p->line.len > 0) {
        sse_line(p, p->line.data, p->line.len);
        pl_buf_reset(&p->line);
        pending = 1;
    }
    if (p->has_fields) {
        sse_dispatch(p, 1);
        pending = 1;
    }
    p->pending_cr = 0;
    return pending;
}

/* ------------------------------------------------------------------------------------------ */
/* NDJSON */

void pl_ndjson_init(pl_ndjson_parser *p, pl_stream_cb cb, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->cb = cb;
    p->ctx = ctx;
}

void pl_ndjson_free(pl_ndjson_parser *p)
{
    pl_buf_free(&p->line);
}

static void ndjson_emit(pl_ndjson_parser *p, const char *s, size_t n, int unterminated)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    size_t k;
    for (k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
            break;
    if (k == n || !p->cb)
        return;
    pl_stream_event ev;
    memset(&ev, 0, sizeof ev);
    ev.event = "";
    ev.id = "";
    ev.retry = -1;
    ev.data = s;
    ev.data_len = n;
    ev.has_data = 1;
    ev.end_offset = p->offset;
    ev.unterminated = unterminated;
    p->cb(p->ctx, &ev);
}

void pl_ndjson_feed(pl_ndjson_parser *p, const char *bytes, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(bytes + i, '\n', len - i);
        if (!nl) {
            if (pl_buf_append(&p->line, bytes + i, len - i))
                p->oom = 1;
            p->offset += len - i;
            return;
        }
        size_t j = (size_t)(nl - bytes);
        p->offset += j - i + 1;
        if (p->line.len == 0) {
            ndjson_emit(p, bytes + i, j - i, 0);
        } else {
            if (pl_buf_append(&p->line, bytes + i, j - i))
                p->oom = 1;
            ndjson_emit(p, p->line.data, p->line.len, 0);
            pl_buf_reset(&p->line);
        }
        i = j + 1;
    }
}

int pl_ndjson_finish(pl_ndjson_parser *p)
{
    int pending = 0;
    if (p->line.len > 0) {
        size_t k;
        for (k = 0; k < p->line.len; k++) {
            char c = p->line.data[k];
            if (c != ' ' && c != '\t' && c != '\r')
                break;
        }
        pending = k < p->line.len;
        ndjson_emit(p, p->line.data, p->line.len, 1);
        pl_buf_reset(&p->line);
    }
    return pending;
}

/* ------------------------------------------------------------------------------------------ */
/* Streamed JSON array */

enum { JA_START = 0, JA_ARRAY = 1, JA_VALUES = 2, JA_CLOSED = 3 };

void pl_jsonarr_init(pl_jsonarr_parser *p, pl_stream_cb cb, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->cb = cb;
    p->ctx = ctx;
}

void pl_jsonarr_free(pl_jsonarr_parser *p)
{
    pl_buf_free(&p->elem);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The element kind rides on depth: >= 1 container, 0 string (in_string), -1 bare scalar. */
static void ja_emit(pl_jsonarr_parser *p, int unterminated)
{
    if (p->cb && p->elem.len > 0) {
        pl_stream_event ev;
        memset(&ev, 0, sizeof ev);
        ev.event = "";
        ev.id = "";
        ev.retry = -1;
        ev.data = p->elem.data;
        ev.data_len = p->elem.len;
        ev.has_data = 1;
        ev.end_offset = p->offset;
        ev.unterminated = unterminated;
        p->cb(p->ctx, &ev);
    }
    pl_buf_reset(&p->elem);
    p->depth = 0;
    p->in_string = 0;
    p->escape = 0;
}

void pl_jsonarr_feed(pl_jsonarr_parser *p, const char *bytes, size_t len)
{
    /* Element bytes are appended in runs: run_start marks where the current run began. */
    size_t run_start = 0;
    int in_elem = p->elem.len > 0;
    for (size_t i = 0; i < len; i++) {
        char c = bytes[i];
        if (!in_elem) {
            if (p->state == JA_CLOSED || is_ws(c))
                continue;
            if (p->state == JA_START && c == '[') {
                p->state = JA_ARRAY;
                continue;
            }
            if (p->state == JA_START)
                p->state = JA_VALUES;
            if (c == ',')
                continue;
            if (c == ']' && p->state == JA_ARRAY) {
                p->state = JA_CLOSED;
                p->closed = 1;
                continue;
            }
            in_elem = 1;
            run_start = i;
            p->in_string = 0;
            p->escape = 0;
            if (c == '{' || c == '[') {
                p->depth = 1;              /* container element */
            } else if (c == '"') {
                p->depth = 0;
                p->in_string = 1;          /* string element */
            } else {
                p->depth = -1;             /* scalar element: ends at a delimiter */
            }
            continue;
        }
        if (p->depth == -1) {  /* scalar */
            if (c == ',' || c == ']' || is_ws(c)) {
                if (pl_buf_append(&p->elem, bytes + run_start, i - run_start))
                    p->oom = 1;
                size_t saved = p->offset;   /* p->offset is the feed's base until the end */
                p->offset += i;
                ja_emit(p, 0);
                p->offset = saved;
                in_elem = 0;
                i--;                        /* the delimiter is handled at element level */
            }
            continue;
        }
        int done = 0;
        if (p->in_string) {
            if (p->escape)
                p->escape = 0;
            else if (c == '\\')
                p->escape = 1;
            else if (c == '"') {
                p->in_string = 0;
                if (p->depth == 0)
                    done = 1;
            }
        } else if (c == '"') {
            p->in_string = 1;
        } else if (c == '{' || c == '[') {
            p->depth++;
        } else if (c == '}' || c == ']') {
            if (--p->depth == 0)
                done = 1;
        }
        if (done) {
            if (pl_buf_append(&p->elem, bytes + run_start, i + 1 - run_start))
                p->oom = 1;
            size_t saved = p->offset;
            p->offset += i + 1;
            ja_emit(p, 0);
            p->offset = saved;
            in_elem = 0;
        }
    }
    if (in_elem && pl_buf_append(&p->elem, bytes + run_start, len - run_start))
        p->oom = 1;
    p->offset += len;
}

int pl_jsonarr_finish(pl_jsonarr_parser *p)
{
    if (p->elem.len == 0)
        return 0;
    ja_emit(p, 1);
    return 1;
}
