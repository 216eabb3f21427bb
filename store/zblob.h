/* zblob.h — zstd framing for the store's body columns: one complete zstd frame per body, with
 * its content size recorded so reads can allocate once. Decompression is capped against bombs. */
#ifndef PL_ZBLOB_H
#define PL_ZBLOB_H

#include <stddef.h>
#include <zstd.h>
#include "../util/buf.h"

/* Level -1 (zstd's fast levels store literals without Huffman coding): bodies are a few KB of
 * JSON compressed on the program's own thread at every captured call (issue 14). Against level
 * 1 it halves zstd's instructions for a 500-byte body (about 24k instead of 50k, mostly fixed
 * per-frame cost) for bodies 3-30% larger; a conversation's bodies are compressed against their
 * parent's, where the long matches do the work: its bodies grew 2% (bench/store_bench.sh's
 * 50-turn ratio unchanged at 8.0x). Readers need no change: any level decodes alike. */
#define PL_ZBLOB_LEVEL (-1)
#define PL_ZBLOB_REF_LEVEL (-1)
/* Below this size a body is framed at zstd's fastest level, which leaves it stored (a raw block):
 * level -1 saved 3% of a 470-byte chat request for 24k instructions, the fastest level costs
 * 2.8k. At 1 KiB the 50-turn conversation's replies lost their compression too (store_bench:
 * 7.5x instead of 8.0x); at 512 B it is unchanged. Still one zstd frame: readers need no change. */
#define PL_ZBLOB_SMALL 512
#define PL_ZBLOB_MAX_OUT ((size_t)1 << 30)   /* refuse to inflate a blob past 1 GiB */

/* Replaces out's contents with one zstd frame of src. cctx may be NULL (a temporary one is
 * used); reusing one saves an allocation per body. Returns 0, or -1 on OOM / zstd error. */
int pl_zblob_compress(ZSTD_CCtx *cctx, const void *src, size_t len, pl_buf *out);
/* Replaces out's contents with the decompressed frame(s) of src, at most max bytes
 * (0 = PL_ZBLOB_MAX_OUT). Returns 0, or -1 on a corrupt or oversized blob or OOM. */
int pl_zblob_decompress(const void *src, size_t len, size_t max, pl_buf *out);

/* The same against a reference prefix (zstd's refPrefix): a body that repeats ref (the request
 * of the call it continues) costs little more than what is new. Decompressing needs the same ref. */
int pl_zblob_compress_ref(ZSTD_CCtx *cctx, const void *src, size_t len, const void *ref, size_t reflen, pl_buf *out);
int pl_zblob_decompress_ref(const void *src, size_t len, const void *ref, size_t reflen, size_t max, pl_buf *out);

#endif
