/* ship_http.c — sends one OTLP/HTTP request with libcurl: gzip body, OTLP headers from the
 * environment, status and Retry-After classified for the caller's retry loop. */
#include "ship_http.h"

#include <ctype.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "../util/buf.h"

struct pl_ship_http {
    CURL *curl;
    struct curl_slist *headers;
    int gzip;
    pl_buf resp;
    char retry_after[64];
    char ctype[64];
    char errbuf[CURL_ERROR_SIZE];
};

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* W3C Baggage-style "k1=v1,k2=v2" with percent-encoded values, as the OTLP exporter spec says.
 * Malformed entries are skipped without a word: echoing one could print a credential. */
static int add_env_headers(pl_ship_http *h, const char *spec)
{
    char *copy = strdup(spec), *save = NULL;
    if (!copy)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = tok, *v = eq + 1;
        while (isspace((unsigned char)*k))
            k++;
        for (char *e = k + strlen(k); e > k && isspace((unsigned char)e[-1]);)
            *--e = '\0';
        while (isspace((unsigned char)*v))
            v++;
        for (char *e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
            *--e = '\0';
        if (!*k || strpbrk(k, ": \t\r\n"))
            continue;
        char *line = malloc(strlen(k) + strlen(v) + 3), *o;
        if (!line) {
            free(copy);
            return -1;
        }
        o = line + sprintf(line, "%s: ", k);
        for (const char *p = v; *p; p++) {
            if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                p += 2;
            } else {
                *o++ = *p;
            }
        }
        *o = '\0';
        if (strpbrk(line, "\r\n")) {   /* a decoded CR/LF would split the header */
            free(line);
            continue;
        }
        struct curl_slist *l = curl_slist_append(h->headers, line);
        memset(line, 0, strlen(line));
        free(line);
        if (!l) {
            free(copy);
            return -1;
        }
        h->headers = l;
    }
    memset(copy, 0, strlen(spec));
    free(copy);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    pl_ship_http *h = ctx;
    size_t len = size * n;
    if (h->resp.len < 65536)   /* enough for an error text or a partial_success */
        pl_buf_append(&h->resp, p, len < 65536 ? len : 65536);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    pl_ship_http *h = ctx;
    size_t len = size * n;
    struct { const char *name; char *dst; size_t cap; } want[] = {
        {"retry-after:", h->retry_after, sizeof h->retry_after},
        {"content-type:", h->ctype, sizeof h->ctype},
    };
    for (size_t k = 0; k < 2; k++) {
        size_t nl = strlen(want[k].name);
        if (len > nl && strncasecmp(p, want[k].name, nl) == 0) {
            size_t vl = len - nl;
            const char *v = p + nl;
            while (vl && isspace((unsigned char)*v))
                v++, vl--;
            while (vl && isspace((unsigned char)v[vl - 1]))
                vl--;
            if (vl >= want[k].cap)
                vl = want[k].cap - 1;
            memcpy(want[k].dst, v, vl);
            want[k].dst[vl] = '\0';
        }
    }
    return len;
}

pl_ship_http *pl_ship_http_new(const char *url, const char *protocol, int gzip, char *err, size_t errlen)
{
    static int global_done;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = 1;
    }
    pl_ship_http *h = calloc(1, sizeof *h);
    if (!h || !(h->curl = curl_easy_init())) {
        free(h);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->gzip = gzip;
    int json = strcmp(protocol, "http/json") == 0;
    h->headers = curl_slist_append(NULL, json ? "Content-Type: application/json" : "Content-Type: application/x-protobuf");
    if (gzip && h->headers)
        h->headers = curl_slist_append(h->headers, "Content-Encoding: gzip");
    if (h->headers)
        h->headers = curl_slist_append(h->headers, "Expect:");   /* no 100-continue round trip */
    const char *env = getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
    if (!env || !*env)
        env = getenv("OTEL_EXPORTER_OTLP_HEADERS");
    if (!h->headers || (env && add_env_headers(h, env) != 0)) {
        pl_ship_http_free(h);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "promptlog-ship/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    return h;
}

void pl_ship_http_free(pl_ship_http *h)
{
    if (!h)
        return;
    curl_slist_free_all(h->headers);
    curl_easy_cleanup(h->curl);
    pl_buf_free(&h->resp);
    free(h);
}

static unsigned char *gzip_body(const void *in, size_t len, size_t *outlen)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong bound = deflateBound(&z, (uLong)len);
    unsigned char *out = malloc(bound);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    *outlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* ExportTraceServiceResponse.partial_success (1) {rejected_spans (1) int64, error_message (2)
 * string}: the one response field ship reads, by hand for the same reason as otlp_proto.c. */
static int pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

static void partial_success_pb(const unsigned char *p, const unsigned char *end, pl_ship_result *res)
{
    uint64_t tag, len, v;
    while (p < end && pb_varint(&p, end, &tag) == 0) {
        if ((tag & 7) == 0) {
            if (pb_varint(&p, end, &v) != 0)
                return;
            if (tag >> 3 == 1)
                res->rejected = (long long)v;
        } else if ((tag & 7) == 2) {
            if (pb_varint(&p, end, &len) != 0 || len > (uint64_t)(end - p))
                return;
            if (tag >> 3 == 1) {
                partial_success_pb(p, p + len, res);
            } else if (tag >> 3 == 2) {
                size_t n = len < sizeof res->msg - 1 ? len : sizeof res->msg - 1;
                memcpy(res->msg, p, n);
                res->msg[n] = '\0';
            }
            p += len;
        } else {
            return;   /* no other wire type appears in this message */
        }
    }
}

static void partial_success(pl_ship_http *h, pl_ship_result *res)
{
    res->rejected = 0;
    if (!h->resp.len)
        return;
    if (strstr(h->ctype, "json")) {
        cJSON *j = cJSON_ParseWithLength(h->resp.data, h->resp.len);
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(j, "partialSuccess");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(ps, "rejectedSpans");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(ps, "errorMessage");
        if (cJSON_IsString(r))
            res->rejected = atoll(r->valuestring);
        else if (cJSON_IsNumber(r))
            res->rejected = (long long)r->valuedouble;
        res->msg[0] = '\0';
        if (cJSON_IsString(m))
            snprintf(res->msg, sizeof res->msg, "%s", m->valuestring);
        cJSON_Delete(j);
    } else if (strstr(h->ctype, "protobuf")) {
        res->msg[0] = '\0';
        partial_success_pb((const unsigned char *)h->resp.data, (const unsigned char *)h->resp.data + h->resp.len, res);
    }
}

/* Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
static double parse_retry_after(const char *v)
{
    if (!*v)
        return -1;
    char *end;
    double s = strtod(v, &end);
    if (end != v && *end == '\0')
        return s < 0 ? 0 : s;
    time_t t = curl_getdate(v, NULL);
    if (t < 0)
        return -1;
    double d = difftime(t, time(NULL));
    return d < 0 ? 0 : d;
}

int pl_ship_http_post(pl_ship_http *h, const void *body, size_t len, pl_ship_result *res)
{
    unsigned char *z = NULL;
    memset(res, 0, sizeof *res);
    res->retry_after = -1;
    if (h->gzip) {
        size_t zlen = 0;
        if (!(z = gzip_body(body, len, &zlen))) {
            snprintf(res->msg, sizeof res->msg, "cannot compress the request");
            return PL_SHIP_REJECTED;
        }
        body = z;
        len = zlen;
    }
    h->resp.len = 0;
    h->retry_after[0] = h->ctype[0] = h->errbuf[0] = '\0';
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode cc = curl_easy_perform(h->curl);
    free(z);
    if (cc != CURLE_OK) {
        snprintf(res->msg, sizeof res->msg, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
        return PL_SHIP_RETRY;
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &res->status);
    /* Only a textual body is worth showing; a protobuf google.rpc.Status would print as noise. */
    if (h->resp.len && (strstr(h->ctype, "json") || strstr(h->ctype, "text"))) {
        size_t n = h->resp.len < sizeof res->msg - 1 ? h->resp.len : sizeof res->msg - 1;
        for (size_t k = 0; k < n; k++) {
            unsigned char ch = (unsigned char)h->resp.data[k];
            res->msg[k] = ch < 0x20 ? ' ' : (char)ch;
        }
        res->msg[n] = '\0';
    }
    if (res->status >= 200 && res->status < 300) {
        partial_success(h, res);
        return PL_SHIP_SENT;
    }
    res->retry_after = parse_retry_after(h->retry_after);
    if (res->status == 429 || res->status == 408 || res->status >= 500)
        return PL_SHIP_RETRY;
    if (res->status == 413)
        return PL_SHIP_TOO_LARGE;
    return PL_SHIP_REJECTED;
}
