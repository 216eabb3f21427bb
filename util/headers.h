/* headers.h — an ordered list of HTTP header fields, the type every layer (reassembly, capture,
 * redaction, the store) passes headers in, and PL_REDACTED, the text that replaces a secret.
 * Invariant: names keep the case they had on the wire, values are trimmed; lookups ignore case. */
#ifndef PL_HEADERS_H
#define PL_HEADERS_H

#include <stddef.h>

/* What a redacted credential reads as, wherever it was (header value, URL userinfo, query value). */
#define PL_REDACTED "[REDACTED]"

typedef struct pl_header {
    char *name;
    char *value;
} pl_header;

typedef struct pl_headers {
    pl_header *items;
    size_t count, cap;
} pl_headers;

/* Appends a copy of name and value. Returns 0, or -1 on OOM (the list is then unchanged). */
int pl_headers_add(pl_headers *h, const char *name, size_t name_len, const char *value, size_t value_len);
/* Parses one "Name: value" line (CRLF optional); malformed lines are ignored. Returns 0 or -1 on OOM. */
int pl_headers_add_line(pl_headers *h, const char *line, size_t len);
/* Moves every field of src to the end of dst, in order, and leaves src empty. Returns 0, or -1 on
 * OOM: the fields that did not fit are then freed with src. */
int pl_headers_move(pl_headers *dst, pl_headers *src);
/* Case-insensitive; returns the first value or NULL. */
const char *pl_headers_get(const pl_headers *h, const char *name);
void pl_headers_free(pl_headers *h);

#endif
