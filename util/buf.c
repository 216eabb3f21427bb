/* buf.c — growable byte buffer (see buf.h).
 * Growth doubles capacity so appends are amortised O(1); allocation failure never corrupts the buffer. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

static int buf_reserve(pl_buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int pl_buf_append(pl_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int pl_buf_append_str(pl_buf *b, const char *s)
{
    return pl_buf_append(b, s, strlen(s));
}

int pl_buf_append_capped(pl_buf *b, const void *p, size_t n, size_t limit, int *truncated)
{
    size_t room = b->len < limit ? limit - b->len : 0;
    if (n > room) {
        n = room;
        if (truncated)
            *truncated = 1;
    }
    return pl_buf_append(b, p, n);
}

void pl_buf_consume(pl_buf *b, size_t n)
{
    if (n >= b->len) {
        pl_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

const char *pl_buf_cstr(const pl_buf *b)
{
    return b->data ? b->data : "";
}

char *pl_buf_detach(pl_buf *b)
{
    char *p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void pl_buf_reset(pl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void pl_buf_free(pl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
