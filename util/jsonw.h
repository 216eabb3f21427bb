/* jsonw.h — writing compact JSON text straight into a pl_buf, byte for byte as cJSON 1.7's
 * cJSON_PrintUnformatted would print the same values (string escapes, number formats), so a
 * line written without building a cJSON tree is the line the tree would have printed. */
#ifndef PL_JSONW_H
#define PL_JSONW_H

#include <cjson/cJSON.h>

#include "buf.h"

#include <string.h>

/* Appends n bytes: the common case (room left) inline, else pl_buf_append. */
static inline void pl_jw_raw(pl_buf *b, const void *p, size_t n)
{
    if (b->len + n < b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        pl_buf_append(b, p, n);
    }
}

/* A JSON string of the C string s (NULL prints ""). */
void pl_jw_str(pl_buf *b, const char *s);
/* A number as cJSON prints a value of that double. */
void pl_jw_num(pl_buf *b, double d);
/* Any cJSON value (objects and arrays recursively); returns -1 where cJSON's printer would fail
 * (an invalid item, a raw item without text), else 0. */
int pl_jw_value(pl_buf *b, const cJSON *v);
/* "key": (with the leading comma unless first); key is printed as is (a plain identifier). */
void pl_jw_key(pl_buf *b, const char *key, int first);

#endif
