/* fuzz_common.h — helpers shared by the libFuzzer harnesses: input layout, data-derived chunking,
 * and a canonical dump of exchanges so a whole feed and a split feed can be compared byte for byte.
 *
 * Each harness is one .c file defining FUZZ_ENTRY (LLVMFuzzerTestOneInput unless the includer
 * renames it), so tests/unit/test_fuzz_regress.c can include them all into one gcc-built program
 * that replays the seed corpora and the kept crashing inputs without libFuzzer.
 *
 * Input layout used by several harnesses: [header bytes][part A] SEP [part B] ... where SEP is
 * FUZZ_SEP ("\n--8<--\n"); a missing separator leaves the later parts empty. */
#ifndef PL_FUZZ_COMMON_H
#define PL_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../proto/decode.h"
#include "../../proto/exchange.h"
#include "../../util/buf.h"

#define FUZZ_SEP "\n--8<--\n"
#define FUZZ_SEP_LEN 8

/* A found bug: the parsers broke their own contract (whole vs split differ, invariant broken).
 * abort() makes libFuzzer save the input; under cmocka the test fails. */
#define FUZZ_CHECK(cond, ...)                                                                     \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

typedef struct fuzz_part {
    const char *p;
    size_t n;
} fuzz_part;

/* Cuts data into up to max parts at FUZZ_SEP; returns how many were found (the rest are empty). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, size_t max)
{
    const char *p = (const char *)data, *end = p + size;
    size_t k = 0;
    for (size_t i = 0; i < max; i++)
        parts[i].p = "", parts[i].n = 0;
    while (k < max) {
        const char *sep = k + 1 < max ? memmem(p, (size_t)(end - p), FUZZ_SEP, FUZZ_SEP_LEN) : NULL;
        parts[k].p = p;
        parts[k].n = sep ? (size_t)(sep - p) : (size_t)(end - p);
        k++;
        if (!sep)
            break;
        p = sep + FUZZ_SEP_LEN;
    }
    return k;
}

/* Chunk sizes derived from a seed byte and the data length, so every input is replayed the same
 * way: one byte at a time, one cut at a derived position, small random pieces, or large ones. */
typedef struct fuzz_chunker {
    uint32_t state;
    int mode;
    size_t cut;     /* mode 1: where the single cut falls */
    size_t pos, len;
} fuzz_chunker;

static inline void fuzz_chunker_init(fuzz_chunker *c, uint8_t seed, size_t len)
{
    c->state = 0x9e3779b9u ^ (uint32_t)seed * 2654435761u ^ (uint32_t)len;
    if (!c->state)
        c->state = 1;
    c->mode = seed & 3;
    c->cut = len ? (size_t)(((uint64_t)seed * 2654435761u) % (len + 1)) : 0;
    c->pos = 0;
    c->len = len;
}

static inline uint32_t fuzz_rand(fuzz_chunker *c)
{
    uint32_t x = c->state;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return c->state = x;
}

/* Size of the next piece (0 once everything was handed out). */
static inline size_t fuzz_chunk(fuzz_chunker *c)
{
    size_t left = c->len - c->pos, n;
    if (!left)
        return 0;
    switch (c->mode) {
    case 0: n = 1; break;
    case 1: n = c->pos < c->cut ? c->cut - c->pos : left; break;
    case 2: n = 1 + fuzz_rand(c) % 16; break;
    default: n = 1 + fuzz_rand(c) % (c->len / 3 + 1); break;
    }
    if (n > left)
        n = left;
    c->pos += n;
    return n;
}

/* ---- canonical exchange dump -------------------------------------------------------------- */

static inline void fuzz_dump_bytes(pl_buf *o, const char *tag, const void *p, size_t n)
{
    char hdr[64];
    snprintf(hdr, sizeof hdr, " %s[%zu]=", tag, n);
    pl_buf_append_str(o, hdr);
    if (n)
        pl_buf_append(o, p, n);
}

static inline void fuzz_dump_str(pl_buf *o, const char *tag, const char *s)
{
    if (s)
        fuzz_dump_bytes(o, tag, s, strlen(s));
    else
        pl_buf_append_str(o, " -");
}

static inline void fuzz_dump_headers(pl_buf *o, const char *tag, const pl_headers *h)
{
    char n[64];
    snprintf(n, sizeof n, " %s{%zu}", tag, h->count);
    pl_buf_append_str(o, n);
    for (size_t i = 0; i < h->count; i++) {
        fuzz_dump_str(o, "n", h->items[i].name);
        fuzz_dump_str(o, "v", h->items[i].value);
    }
}

/* Did the response name a Content-Encoding the parser undoes? */
static inline int fuzz_resp_encoded(const pl_exchange *x)
{
    for (size_t i = 0; i < x->resp_headers.count; i++)
        if (strcasecmp(x->resp_headers.items[i].name, "Content-Encoding") == 0 &&
            !pl_decoder_is_identity(x->resp_headers.items[i].value))
            return 1;
    return 0;
}

/* Everything the parsers decide except times and arrival marks (which depend on chunking);
 * the marks' own invariants are checked instead. A content-decoded response body goes to
 * `decoded` instead (length-prefixed): on corrupt compressed data, how much decodes before the
 * error depends on the chunking (brotli flushes its window only when it runs out of input), so
 * those bodies are compared by fuzz_same_decoded, with their decode_error and truncated flags. */
static inline void fuzz_dump_exchange(pl_buf *o, pl_buf *decoded, const pl_exchange *x)
{
    int enc = fuzz_resp_encoded(x);
    char n[160];
    snprintf(n, sizeof n, "X src=%d v=%d port=%d status=%d inc=%d qt=%d rt=%d", (int)x->source,
             x->http_version, x->port, x->status, x->incomplete, x->req_truncated,
             enc ? -1 : (int)x->resp_truncated);
    pl_buf_append_str(o, n);
    fuzz_dump_str(o, "m", x->method);
    fuzz_dump_str(o, "s", x->scheme);
    fuzz_dump_str(o, "h", x->host);
    fuzz_dump_str(o, "t", x->target);
    fuzz_dump_headers(o, "qh", &x->req_headers);
    fuzz_dump_bytes(o, "qb", x->req_body.data, x->req_body.len);
    fuzz_dump_headers(o, "rh", &x->resp_headers);
    if (enc) {
        pl_buf_append_str(o, " rb=decoded");
        unsigned char flags = (unsigned char)((x->decode_error ? 1 : 0) | (x->resp_truncated ? 2 : 0));
        pl_buf_append(decoded, &flags, 1);
        pl_buf_append(decoded, &x->resp_body.len, sizeof x->resp_body.len);
        pl_buf_append(decoded, x->resp_body.data ? x->resp_body.data : "", x->resp_body.len);
    } else {
        fuzz_dump_bytes(o, "rb", x->resp_body.data, x->resp_body.len);
    }
    fuzz_dump_str(o, "e", x->transport_error);
    pl_buf_append_str(o, "\n");

    FUZZ_CHECK(x->n_marks <= PL_MAX_MARKS, "%zu marks", x->n_marks);
    for (size_t i = 0; i < x->n_marks; i++) {
        FUZZ_CHECK(x->marks[i].offset <= x->resp_body.len, "mark %zu past the body", i);
        FUZZ_CHECK(i == 0 || x->marks[i].offset >= x->marks[i - 1].offset, "marks out of order");
    }
    FUZZ_CHECK(!x->req_body.cap || x->req_body.data[x->req_body.len] == '\0', "req body not NUL-ended");
    FUZZ_CHECK(!x->resp_body.cap || x->resp_body.data[x->resp_body.len] == '\0', "resp body not NUL-ended");
    /* URL building must cope with whatever the parser produced. */
    char *url = pl_exchange_url(x);
    free(url);
}

/* Two decodings of the same bytes: one must be a prefix of the other (equal when valid). */
static inline void fuzz_prefix(const char *a, size_t an, const char *b, size_t bn, const char *what)
{
    size_t k = an < bn ? an : bn;
    FUZZ_CHECK(!k || memcmp(a, b, k) == 0, "%s: decoded bodies disagree within their first %zu bytes", what, k);
}

/* Two feedings' content-decoded bodies, in order. Both kept undecoded (decode_error): the same
 * bytes. Neither: one decoding is a prefix of the other. One only: the decoded one filled the cap
 * before its feeding reached the corrupt bytes (the cap stops the decoder's work), so it must be
 * truncated; a prefix of the other is all that can be asked of it then. */
static inline void fuzz_same_decoded(const pl_buf *a, const pl_buf *b, const char *what)
{
    size_t i = 0, j = 0, an, bn;
    while (i + 1 + sizeof an <= a->len && j + 1 + sizeof bn <= b->len) {
        unsigned char af = (unsigned char)a->data[i++], bf = (unsigned char)b->data[j++];
        memcpy(&an, a->data + i, sizeof an);
        memcpy(&bn, b->data + j, sizeof bn);
        i += sizeof an, j += sizeof bn;
        if ((af & 1) && (bf & 1))
            FUZZ_CHECK(an == bn && (!an || memcmp(a->data + i, b->data + j, an) == 0),
                       "%s: undecoded bodies differ (%zu and %zu bytes)", what, an, bn);
        else if ((af & 1) != (bf & 1))
            FUZZ_CHECK((af & 1) ? (bf & 2) : (af & 2), "%s: decode_error in one feeding only, and the "
                       "other is not truncated", what);
        else
            fuzz_prefix(a->data + i, an, b->data + j, bn, what);
        i += an, j += bn;
    }
    FUZZ_CHECK(i == a->len && j == b->len, "%s: not the same number of decoded bodies", what);
}

/* Shows where two dumps first differ, then aborts. */
static inline void fuzz_same(const pl_buf *a, const pl_buf *b, const char *what)
{
    if (getenv("FUZZ_SHOW"))  /* to eyeball what a seed exercises */
        fprintf(stderr, "%s: %.*s\n", what, (int)(a->len > 2000 ? 2000 : a->len), a->data ? a->data : "");
    if (a->len == b->len && (!a->len || memcmp(a->data, b->data, a->len) == 0))
        return;
    size_t i = 0;
    while (i < a->len && i < b->len && a->data[i] == b->data[i])
        i++;
    size_t from = i > 80 ? i - 80 : 0;
    fprintf(stderr, "%s: whole and split differ at byte %zu\n whole: %.*s\n split: %.*s\n", what, i,
            (int)((a->len - from) > 240 ? 240 : a->len - from), a->data ? a->data + from : "",
            (int)((b->len - from) > 240 ? 240 : b->len - from), b->data ? b->data + from : "");
    FUZZ_CHECK(0, "%s", what);
}

#endif
