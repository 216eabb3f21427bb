/* decode.c — streaming Content-Encoding decoding with zlib, libbrotlidec and libzstd (decode.h).
 * Each coding is one stage whose output feeds the next, so stacked codings need no whole-body copy. */
#include "decode.h"

#include <brotli/decode.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#define SCRATCH 16384

typedef enum { ST_GZIP, ST_DEFLATE, ST_BR, ST_ZSTD } st_kind;

typedef struct stage {
    st_kind kind;
    int inited;     /* zlib stream initialised */
    int ended;      /* saw the end of the compressed stream */
    unsigned char sniff[2]; /* deflate: first bytes, to tell zlib-wrapped from raw */
    size_t nsniff;
    z_stream z;
    BrotliDecoderState *br;
    ZSTD_DStream *zs;
    unsigned char *scratch;
} stage;

struct pl_decoder {
    stage st[PL_DECODE_MAX_STAGES];
    int n;
    int error;
    /* the output of the current pl_decoder_feed call */
    pl_buf *out;
    size_t limit;
    int *truncated;
    int full;
};

static int token_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* The next coding token of a Content-Encoding list, its parameters (after ';') skipped, since no
 * coding we know takes any. Returns 0 at the end of the list. */
static int next_coding(const char **pp, const char **tok, size_t *len)
{
    const char *p = *pp;
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (!*p) {
        *pp = p;
        return 0;
    }
    *tok = p;
    while (*p && *p != ',' && *p != ' ' && *p != '\t' && *p != ';')
        p++;
    *len = (size_t)(p - *tok);
    while (*p && *p != ',')
        p++;
    *pp = p;
    return 1;
}

int pl_decoder_is_identity(const char *ce)
{
    const char *p = ce ? ce : "", *s;
    size_t len;
    while (next_coding(&p, &s, &len))
        if (!token_is(s, len, "identity"))
            return 0;
    return 1;
}

pl_decoder *pl_decoder_new(const char *ce)
{
    pl_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    st_kind kinds[PL_DECODE_MAX_STAGES];
    int n = 0;
    const char *p = ce ? ce : "", *s;
    size_t len;
    while (next_coding(&p, &s, &len)) {
        st_kind k;
        if (token_is(s, len, "identity"))
            continue;
        else if (token_is(s, len, "gzip") || token_is(s, len, "x-gzip"))
            k = ST_GZIP;
        else if (token_is(s, len, "deflate"))
            k = ST_DEFLATE;
        else if (token_is(s, len, "br"))
            k = ST_BR;
        else if (token_is(s, len, "zstd"))
            k = ST_ZSTD;
        else {
            d->error = 1; /* unknown coding: nothing decodes (body.c then keeps the bytes, flagged) */
            return d;
        }
        if (n == PL_DECODE_MAX_STAGES) {
            d->error = 1;
            return d;
        }
        kinds[n++] = k;
    }
    /* Codings are listed in the order they were applied: undo the last one first. */
    for (int i = 0; i < n; i++) {
        stage *st = &d->st[i];
        st->kind = kinds[n - 1 - i];
        st->scratch = malloc(SCRATCH);
        if (!st->scratch)
            d->error = 1;
        if (st->kind == ST_BR && !(st->br = BrotliDecoderCreateInstance(NULL, NULL, NULL)))
            d->error = 1;
        if (st->kind == ST_ZSTD && !(st->zs = ZSTD_createDStream()))
            d->error = 1;
        if (st->kind == ST_ZSTD && st->zs && ZSTD_isError(ZSTD_initDStream(st->zs)))
            d->error = 1;
        d->n = i + 1;
    }
    return d;
}

static int run(pl_decoder *d, int i, const unsigned char *in, size_t n);

/* The last stage's output: the decoded body. Returns 1 once the limit is reached (stop work). */
static int sink(pl_decoder *d, const unsigned char *p, size_t n)
{
    if (!n)
        return 0;
    int trunc = 0;
    if (pl_buf_append_capped(d->out, p, n, d->limit ? d->limit : (size_t)-1, &trunc) != 0) {
        d->error = 1;
        return -1;
    }
    if (trunc) {
        if (d->truncated)
            *d->truncated = 1;
        d->full = 1;
        return 1;
    }
    return 0;
}

static int emit(pl_decoder *d, int i, const unsigned char *p, size_t n)
{
    return i + 1 < d->n ? run(d, i + 1, p, n) : sink(d, p, n);
}

static int run_zlib(pl_decoder *d, int i, const unsigned char *in, size_t n)
{
    stage *st = &d->st[i];
    if (!st->inited) {
        int wbits = 15 + 32; /* gzip: also accept a zlib header, servers mislabel */
        if (st->kind == ST_DEFLATE) {
            /* "deflate" is zlib-wrapped per RFC 9110, raw from some servers: look at 2 bytes. */
            while (st->nsniff < 2 && n) {
                st->sniff[st->nsniff++] = *in++;
                n--;
            }
            if (st->nsniff < 2)
                return 0;
            unsigned h = (unsigned)st->sniff[0] << 8 | st->sniff[1];
            wbits = ((st->sniff[0] & 0x0f) == 8 && h % 31 == 0) ? 15 : -15;
        }
        memset(&st->z, 0, sizeof st->z);
        if (inflateInit2(&st->z, wbits) != Z_OK)
            return -1;
        st->inited = 1;
        if (st->kind == ST_DEFLATE) {
            unsigned char two[2] = {st->sniff[0], st->sniff[1]};
            st->nsniff = 0;
            int r = run_zlib(d, i, two, 2);
            if (r)
                return r;
        }
    }
    z_stream *z = &st->z;
    z->next_in = (unsigned char *)in;
    z->avail_in = (uInt)n;
    for (;;) {
        if (st->ended) {
            if (!z->avail_in)
                break;
            /* gzip allows concatenated members; anything else after the end is an error. */
            if (st->kind != ST_GZIP || inflateReset(z) != Z_OK)
                return -1;
            st->ended = 0;
        }
        z->next_out = st->scratch;
        z->avail_out = SCRATCH;
        int r = inflate(z, Z_NO_FLUSH);
        size_t got = SCRATCH - z->avail_out;
        if (got) {
            int e = emit(d, i, st->scratch, got);
            if (e)
                return e;
        }
        if (r == Z_STREAM_END) {
            st->ended = 1;
            continue;
        }
        if (r == Z_BUF_ERROR)
            break; /* needs more input */
        if (r != Z_OK)
            return -1;
        if (!z->avail_in && z->avail_out)
            break; /* input used up and nothing held back */
    }
    return 0;
}

static int run_br(pl_decoder *d, int i, const unsigned char *in, size_t n)
{
    stage *st = &d->st[i];
    size_t avail_in = n;
    const uint8_t *next_in = in;
    for (;;) {
        size_t avail_out = SCRATCH;
        uint8_t *next_out = st->scratch;
        BrotliDecoderResult r = BrotliDecoderDecompressStream(st->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
        size_t got = SCRATCH - avail_out;
        if (got) {
            int e = emit(d, i, st->scratch, got);
            if (e)
                return e;
        }
        if (r == BROTLI_DECODER_RESULT_ERROR)
            return -1;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            st->ended = 1;
            return avail_in ? -1 : 0;
        }
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            return 0;
        /* NEEDS_MORE_OUTPUT: loop */
    }
}

static int run_zstd(pl_decoder *d, int i, const unsigned char *in, size_t n)
{
    stage *st = &d->st[i];
    ZSTD_inBuffer ib = {in, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {st->scratch, SCRATCH, 0};
        size_t r = ZSTD_decompressStream(st->zs, &ob, &ib);
        if (ZSTD_isError(r))
            return -1;
        if (ob.pos) {
            int e = emit(d, i, st->scratch, ob.pos);
            if (e)
                return e;
        }
        st->ended = (r == 0); /* 0: a frame ended exactly here (more frames may follow) */
        if (ib.pos == ib.size && ob.pos < ob.size)
            return 0;
    }
}

static int run(pl_decoder *d, int i, const unsigned char *in, size_t n)
{
    if (!n)
        return 0;
    switch (d->st[i].kind) {
    case ST_GZIP:
    case ST_DEFLATE: return run_zlib(d, i, in, n);
    case ST_BR: return run_br(d, i, in, n);
    case ST_ZSTD: return run_zstd(d, i, in, n);
    }
    return -1;
}

int pl_decoder_feed(pl_decoder *d, const void *in, size_t n, pl_buf *out, size_t limit, int *truncated)
{
    if (!d || d->error)
        return -1;
    if (d->full) {
        if (truncated && n)
            *truncated = 1;
        return 0;
    }
    d->out = out;
    d->limit = limit;
    d->truncated = truncated;
    int r = d->n ? run(d, 0, in, n) : sink(d, in, n);
    d->out = NULL;
    d->truncated = NULL;
    if (r < 0) {
        d->error = 1;
        return -1;
    }
    return 0;
}

int pl_decoder_complete(const pl_decoder *d)
{
    if (!d || d->error)
        return 0;
    for (int i = 0; i < d->n; i++)
        if (!d->st[i].ended)
            return 0;
    return 1;
}

int pl_decoder_error(const pl_decoder *d)
{
    return !d || d->error;
}

void pl_decoder_free(pl_decoder *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++) {
        stage *st = &d->st[i];
        if (st->inited)
            inflateEnd(&st->z);
        if (st->br)
            BrotliDecoderDestroyInstance(st->br);
        if (st->zs)
            ZSTD_freeDStream(st->zs);
        free(st->scratch);
    }
    free(d);
}
