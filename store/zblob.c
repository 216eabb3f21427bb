/* zblob.c — zstd compression of body blobs (see zblob.h). Kept apart from store.c so the codec
 * can be tested without SQLite and swapped without touching SQL. */
#include "zblob.h"

#include <stdlib.h>

/* Empties out and makes room for need bytes plus the NUL pl_buf keeps after its data. */
static int reserve(pl_buf *out, size_t need)
{
    pl_buf_reset(out);
    if (out->cap > need)
        return 0;
    char *p = realloc(out->data, need + 1);
    if (!p)
        return -1;
    out->data = p;
    out->cap = need + 1;
    out->data[0] = '\0';
    return 0;
}

int pl_zblob_compress(ZSTD_CCtx *cctx, const void *src, size_t len, pl_buf *out)
{
    size_t bound = ZSTD_compressBound(len);
    int level = len < PL_ZBLOB_SMALL ? ZSTD_minCLevel() : PL_ZBLOB_LEVEL;
    if (reserve(out, bound) != 0)
        return -1;
    size_t n;
    if (cctx) {
        n = ZSTD_compressCCtx(cctx, out->data, out->cap - 1, src ? src : "", len, level);
    } else {
        n = ZSTD_compress(out->data, out->cap - 1, src ? src : "", len, level);
    }
    if (ZSTD_isError(n))
        return -1;
    out->len = n;
    out->data[n] = '\0';
    return 0;
}

int pl_zblob_compress_ref(ZSTD_CCtx *cctx, const void *src, size_t len, const void *ref, size_t reflen, pl_buf *out)
{
    if (!cctx || !ref || !reflen)
        return pl_zblob_compress(cctx, src, len, out);
    if (reserve(out, ZSTD_compressBound(len)) != 0)
        return -1;
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    size_t n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, PL_ZBLOB_REF_LEVEL);
    if (!ZSTD_isError(n))
        n = ZSTD_CCtx_refPrefix(cctx, ref, reflen);
    if (!ZSTD_isError(n))
        n = ZSTD_compress2(cctx, out->data, out->cap - 1, src ? src : "", len);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    if (ZSTD_isError(n))
        return -1;
    out->len = n;
    out->data[n] = '\0';
    return 0;
}

static int decompress(const void *src, size_t len, const void *ref, size_t reflen, size_t max, pl_buf *out);

int pl_zblob_decompress(const void *src, size_t len, size_t max, pl_buf *out)
{
    return decompress(src, len, NULL, 0, max, out);
}

int pl_zblob_decompress_ref(const void *src, size_t len, const void *ref, size_t reflen, size_t max, pl_buf *out)
{
    return decompress(src, len, ref, reflen, max, out);
}

static int decompress(const void *src, size_t len, const void *ref, size_t reflen, size_t max, pl_buf *out)
{
    if (max == 0)
        max = PL_ZBLOB_MAX_OUT;
    pl_buf_reset(out);
    if (!src || len == 0)
        return -1;
    unsigned long long size = ZSTD_getFrameContentSize(src, len);
    if (size == ZSTD_CONTENTSIZE_ERROR)
        return -1;
    if (size != ZSTD_CONTENTSIZE_UNKNOWN && size > max)
        return -1;
    /* Stream it: also handles frames without a recorded size and several concatenated frames. */
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return -1;
    if (ref && reflen && ZSTD_isError(ZSTD_DCtx_refPrefix(ds, ref, reflen))) {
        ZSTD_freeDStream(ds);
        return -1;
    }
    size_t chunk = ZSTD_DStreamOutSize();
    if (size != ZSTD_CONTENTSIZE_UNKNOWN && reserve(out, (size_t)size + 1) != 0) {
        ZSTD_freeDStream(ds);
        return -1;
    }
    char *tmp = malloc(chunk);
    if (!tmp) {
        ZSTD_freeDStream(ds);
        return -1;
    }
    ZSTD_inBuffer in = {src, len, 0};
    int rc = 0;
    size_t last = 0;
    /* zstd does not consume a frame's last byte before it has flushed all of its output, so
     * looping until the input is consumed drains everything. */
    while (in.pos < in.size) {
        ZSTD_outBuffer ob = {tmp, chunk, 0};
        last = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(last) || out->len + ob.pos > max || pl_buf_append(out, tmp, ob.pos) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && last != 0)
        rc = -1;   /* truncated frame */
    free(tmp);
    ZSTD_freeDStream(ds);
    if (rc != 0)
        pl_buf_reset(out);
    return rc;
}
