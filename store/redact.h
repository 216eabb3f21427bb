/* redact.h — credential redaction for headers and URLs, applied by the store before any write.
 * The replacement text is "[REDACTED]"; names match case-insensitively. */
#ifndef PL_REDACT_H
#define PL_REDACT_H

#include "../util/headers.h"

/* What is secret is said once, in redact.c's three tables: header_names (exact header names),
 * param_names (exact query parameter names) and name_fragments (any header or parameter whose
 * name contains one), plus URL userinfo. extra is a comma-separated list of more names
 * (PROMPTLOG_REDACT), applied to headers and query parameters alike; may be NULL. */
int pl_redact_header_name(const char *name, const char *extra);
/* Replaces credential values in place. Returns 0 or -1 on OOM. */
int pl_redact_headers(pl_headers *h, const char *extra);
/* Returns a copy of url (or a bare target) with credential query values and userinfo replaced. Caller frees. */
char *pl_redact_url(const char *url, const char *extra);

#endif
