/* decode.h — streaming Content-Encoding decoder (gzip, x-gzip, deflate, br, zstd, identity and
 * stacked codings) so response bodies are stored as the program's HTTP library would hand them out.
 *
 * Contract: bytes go in as they arrive, split anywhere; decoded bytes are appended to a pl_buf up
 * to a limit (a decompression bomb costs at most `limit` bytes). Bad or unsupported data never
 * fails the caller: the decoder sets its error flag, keeps what it decoded so far and ignores
 * later input (proto/body.h then stores the undecoded bytes instead, flagged decode_error).
 * Stacked codings ("gzip, br") are undone in reverse order; parameters after ';' are ignored.
 * Not thread-safe. */
#ifndef PL_DECODE_H
#define PL_DECODE_H

#include <stddef.h>
#include "../util/buf.h"

#define PL_DECODE_MAX_STAGES 4

typedef struct pl_decoder pl_decoder;

/* Parses a Content-Encoding value (NULL or "" = identity). Never NULL unless memory runs out:
 * an unknown coding gives a decoder that drops everything and reports an error. */
pl_decoder *pl_decoder_new(const char *content_encoding);

/* 1 when the value names only identity (the caller may skip the decoder entirely). */
int pl_decoder_is_identity(const char *content_encoding);

/* Decodes n bytes, appending the output to out while out->len < limit (limit 0 = unlimited);
 * sets *truncated when output was dropped because of the limit. Returns 0, or -1 when the
 * data is corrupt or memory ran out (the error flag is then set for good). */
int pl_decoder_feed(pl_decoder *d, const void *in, size_t n, pl_buf *out, size_t limit, int *truncated);

/* 1 when every stage has seen the end of its compressed stream (or is identity). */
int pl_decoder_complete(const pl_decoder *d);
int pl_decoder_error(const pl_decoder *d);
void pl_decoder_free(pl_decoder *d);

#endif
