/* buf.h — a growable byte buffer, the one string type every layer shares.
 * Invariant: data is NUL-terminated past len whenever cap > 0, so text can be read as a C string. */
#ifndef PL_BUF_H
#define PL_BUF_H

#include <stddef.h>

typedef struct pl_buf {
    char *data;   /* NULL until the first append */
    size_t len;   /* bytes used, not counting the terminating NUL */
    size_t cap;   /* bytes allocated */
} pl_buf;

/* Appends n bytes. Returns 0, or -1 when memory runs out (the buffer is left unchanged). */
int pl_buf_append(pl_buf *b, const void *p, size_t n);
int pl_buf_append_str(pl_buf *b, const char *s);
/* Appends at most (limit - len) bytes; sets *truncated to 1 when bytes were dropped. */
int pl_buf_append_capped(pl_buf *b, const void *p, size_t n, size_t limit, int *truncated);
/* Removes the first n bytes (a consumed prefix). */
void pl_buf_consume(pl_buf *b, size_t n);
/* Returns a NUL-terminated string ("" for an empty buffer); never NULL. */
const char *pl_buf_cstr(const pl_buf *b);
/* Hands the allocation to the caller (NULL if empty) and leaves b empty. */
char *pl_buf_detach(pl_buf *b);
void pl_buf_reset(pl_buf *b);   /* len = 0, keeps the allocation */
void pl_buf_free(pl_buf *b);    /* releases everything, b becomes empty */

#endif
