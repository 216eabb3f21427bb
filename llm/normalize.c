/* normalize.c — pl_llm_normalize: the API's normalizer from the registry (provider.h), the stream
 * framing from what arrived (Content-Type, then the body's shape), never from what was asked. */
#include "record.h"
#include "../proto/sse.h"
#include "../util/jsonarena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stream_ctx {
    pl_norm *n;
    const pl_api_norm *p;
} stream_ctx;

/* The normalizers by API (registry.def); registry.c's cheap table has none (provider.h). */
static const pl_api_norm *const norms[] = {
    [PL_API_NONE] = NULL,
#define PL_PROVIDER(desc)
#define PL_API(id, desc, norm) [PL_API_##id] = &norm,
#include "registry.def"
#undef PL_PROVIDER
#undef PL_API
};

const pl_api_norm *pl_api_norm_of(pl_api api)
{
    return (unsigned)api < sizeof norms / sizeof norms[0] ? norms[api] : NULL;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Mid-stream failures, in the shapes providers use: a data object with an "error" member
 * (OpenAI chat, Anthropic `event: error`, Gemini, Ollama `{"error": "..."}`). */
static int stream_error(pl_norm *n, const cJSON *data)
{
    const cJSON *e = pl_jget(data, "error");
    if (!e || cJSON_IsNull(e) || cJSON_IsFalse(e))
        return 0;
    char *msg = pl_error_message(data);
    pl_norm_error(n, msg ? msg : "error event in stream");
    free(msg);
    n->terminal = 1;  /* the provider ended the stream on purpose; nothing more will come */
    return 1;
}

static void on_event(void *vctx, const pl_stream_event *ev)
{
    stream_ctx *c = vctx;
    pl_norm *n = c->n;
    n->cur_offset = ev->end_offset;
    if (!ev->has_data || is_blank(ev->data, ev->data_len))
        return;
    const char *d = ev->data;
    size_t len = ev->data_len;
    while (len && (*d == ' ' || *d == '\t')) {
        d++;
        len--;
    }
    if (len >= 6 && memcmp(d, "[DONE]", 6) == 0) {
        n->terminal = 1;
        return;
    }
    cJSON *j = pl_json_parse(d, len, NULL, 0);
    if (!j) {
        if (ev->unterminated)
            n->cut = 1;  /* the stream was cut inside this unit: not a parser complaint */
        else
            pl_norm_parse_error(n, "invalid JSON in stream event");
        return;
    }
    char name[64];   /* (a copy, not snprintf: one per stream event) */
    size_t nl = ev->event && ev->event_len < sizeof name ? ev->event_len : ev->event ? sizeof name - 1 : 0;
    if (nl)
        memcpy(name, ev->event, nl);
    name[nl] = '\0';
    if (!stream_error(n, j) && c->p->event)
        c->p->event(n, name, j);
    pl_json_delete(j);
}

typedef enum { F_NONE, F_JSON, F_SSE, F_NDJSON, F_ARRAY } framing;

static int ct_has(const char *ct, const char *needle)
{
    return ct && strcasestr(ct, needle) != NULL;
}

/* For a single JSON body the parsed value is handed back in *parsed, so it is parsed once. */
static framing pick_framing(const pl_llm_input *in, const char *body, size_t len, cJSON **parsed)
{
    *parsed = NULL;
    if (ct_has(in->content_type, "text/event-stream"))
        return F_SSE;
    if (ct_has(in->content_type, "ndjson") || ct_has(in->content_type, "jsonl"))
        return F_NDJSON;
    size_t i = 0;
    if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len)
        return F_NONE;
    switch (body[i]) {
    case '[':
        return F_ARRAY;
    case '{': {
        /* One JSON value, or several (NDJSON without its Content-Type)? */
        const char *end = NULL;
        cJSON *j = pl_json_parse(body + i, len - i, &end, 0);
        if (j) {
            size_t rest = (size_t)(body + len - end);
            if (is_blank(end, rest)) {
                *parsed = j;
                return F_JSON;
            }
            pl_json_delete(j);
            return F_NDJSON;
        }
        /* Unparseable: several lines of objects is NDJSON; otherwise a broken single body. */
        const char *nl = memchr(body + i, '\n', len - i);
        while (nl && (size_t)(nl - body) + 1 < len && (nl[1] == '\r' || nl[1] == '\n'))
            nl++;
        if (nl && (size_t)(nl - body) + 1 < len && nl[1] == '{')
            return F_NDJSON;
        return F_JSON;
    }
    case 'd': case 'e': case 'i': case 'r': case ':':
        return F_SSE;
    default:
        return F_JSON;
    }
}

static void run_stream(pl_norm *n, const pl_api_norm *p, framing f, const char *body, size_t len)
{
    stream_ctx c = {n, p};
    n->streamed = 1;
    if (f == F_SSE) {
        pl_sse_parser sp;
        pl_sse_init(&sp, on_event, &c);
        pl_sse_feed(&sp, body, len);
        pl_sse_finish(&sp);
        if (sp.oom)
            n->oom = 1;
        pl_sse_free(&sp);
    } else if (f == F_NDJSON) {
        pl_ndjson_parser np;
        pl_ndjson_init(&np, on_event, &c);
        pl_ndjson_feed(&np, body, len);
        pl_ndjson_finish(&np);
        if (np.oom)
            n->oom = 1;
        pl_ndjson_free(&np);
    } else {
        pl_jsonarr_parser ap;
        pl_jsonarr_init(&ap, on_event, &c);
        pl_jsonarr_feed(&ap, body, len);
        pl_jsonarr_finish(&ap);
        if (ap.closed)
            n->terminal = 1;
        else
            n->cut = 1;  /* an array stream is complete only at its closing bracket */
        if (ap.oom)
            n->oom = 1;
        pl_jsonarr_free(&ap);
    }
}

static void http_error(pl_norm *n, const char *body, size_t len)
{
    cJSON *j = body && len ? pl_json_parse(body, len, NULL, 0) : NULL;
    char *msg = pl_error_message(j);
    pl_json_delete(j);
    if (msg) {
        pl_norm_error(n, msg);
        free(msg);
        return;
    }
    char tmp[512];
    if (body && len && !is_blank(body, len))
        snprintf(tmp, sizeof tmp, "%.*s", (int)(len > 500 ? 500 : len), body);
    else
        snprintf(tmp, sizeof tmp, "HTTP %d", n->in->status);
    pl_norm_error(n, tmp);
}

cJSON *pl_llm_normalize(const pl_llm_input *in)
{
    const pl_api_desc *d = pl_api_desc_of(in->api);
    const pl_api_norm *p = pl_api_norm_of(in->api);
    pl_norm n;
    pl_norm_init(&n, in, d ? d->kind : "chat");

    if (in->req_body && in->req_len) {
        cJSON *req = pl_json_parse(in->req_body, in->req_len, NULL, 0);
        if (req) {
            if (p && p->request)
                p->request(&n, req);
            pl_json_delete(req);
        } else {
            pl_norm_parse_error(&n, in->req_len ? "request body is not valid JSON" : "empty request body");
        }
    }

    const char *body = in->resp_body;
    size_t len = body ? in->resp_len : 0;
    if (!p) {
        pl_norm_parse_error(&n, "unknown API");
    } else if (in->decode_error && len) {
        /* Compressed bytes are no provider's JSON: say why instead of failing to parse them. */
        pl_norm_parse_error(&n, "response body could not be content-decoded (stored as received)");
        if (in->status >= 400) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "HTTP %d", in->status);
            pl_norm_error(&n, tmp);
        }
    } else if (in->status >= 400) {
        http_error(&n, body, len);
    } else if (len) {
        cJSON *j = NULL;
        framing f = pick_framing(in, body, len, &j);
        if (f == F_JSON) {
            if (!j) {
                if (in->incomplete)
                    n.cut = 1;
                else
                    pl_norm_parse_error(&n, "response body is not valid JSON");
            } else {
                if (!stream_error(&n, j) && p->response)
                    p->response(&n, j);
                pl_json_delete(j);
            }
        } else if (f != F_NONE) {
            run_stream(&n, p, f, body, len);
        }
    } else if (in->status == 0 && !in->incomplete) {
        n.cut = 1;  /* no response at all */
    }

    cJSON *r = pl_norm_build(&n);
    pl_norm_free(&n);
    return r;
}
