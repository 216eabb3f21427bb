/* headers.c — the header list (headers.h): appending, parsing a field line, moving, lookup.
 * Pure: no I/O, no globals. */
#include "headers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int reserve(pl_headers *h)
{
    if (h->count < h->cap)
        return 0;
    size_t cap = h->cap ? h->cap * 2 : 16;
    pl_header *items = realloc(h->items, cap * sizeof *items);
    if (!items)
        return -1;
    h->items = items;
    h->cap = cap;
    return 0;
}

int pl_headers_add(pl_headers *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (reserve(h) != 0)
        return -1;
    char *n = dup_n(name, name_len);
    char *v = dup_n(value, value_len);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    h->items[h->count].name = n;
    h->items[h->count].value = v;
    h->count++;
    return 0;
}

int pl_headers_add_line(pl_headers *h, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return 0;
    size_t name_len = (size_t)(colon - line);
    while (name_len && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
        name_len--;
    const char *v = colon + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return pl_headers_add(h, line, name_len, v, (size_t)(end - v));
}

int pl_headers_move(pl_headers *dst, pl_headers *src)
{
    int rc = 0;
    for (size_t i = 0; i < src->count; i++) {
        if (reserve(dst) != 0) {
            rc = -1;
            break;
        }
        dst->items[dst->count++] = src->items[i];
        src->items[i].name = src->items[i].value = NULL;
    }
    pl_headers_free(src);
    return rc;
}

const char *pl_headers_get(const pl_headers *h, const char *name)
{
    for (size_t i = 0; i < h->count; i++)
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    return NULL;
}

void pl_headers_free(pl_headers *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->items[i].name);
        free(h->items[i].value);
    }
    free(h->items);
    h->items = NULL;
    h->count = h->cap = 0;
}
