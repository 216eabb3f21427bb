/* hdrsets.h — internal to store/: header lists stored once. Most of a call's headers are the
 * same call after call (names, Host, User-Agent, a redacted key); the few values that change
 * (Content-Length, Date, request ids, rate-limit counters: VOLATILE in hdrsets.c) are taken out.
 * What is left, the list with those values as JSON null, is content-addressed in
 * `header_sets` (messages.c: pl_msgstore_header_set); the call keeps the set's id and the taken
 * values as a JSON object keyed by position: {"1":"10472"}. The view call_headers puts them
 * back together for the sqlite3 shell. */
#ifndef PL_STORE_HDRSETS_H
#define PL_STORE_HDRSETS_H

#include "../util/buf.h"
#include "../util/headers.h"

/* The redacted header list h as a template (JSON array of [name, value-or-null]) into tmpl and
 * its volatile values (JSON object, "" when none... "{}") into vals. Returns 0 or -1 on OOM. */
int pl_hdrsets_split(const pl_headers *h, const char *extra_redact, pl_buf *tmpl, pl_buf *vals);
/* The list back from a template (or a whole list, before schema 4) and its values (NULL: none),
 * appended to out. Returns 0, or -1 when the template is not such a JSON array. */
int pl_hdrsets_join(const char *tmpl, const char *vals, pl_headers *out);

#endif
