/* redact.h — credential redaction for headers and URLs, applied by the store before any write.
 * The replacement text is "[REDACTED]"; names match case-insensitively. */
#ifndef PL_REDACT_H
#define PL_REDACT_H

#include "../proto/exchange.h"

#define PL_REDACTED "[REDACTED]"

/* Built in: Authorization, Proxy-Authorization, x-api-key, api-key, x-goog-api-key, Cookie,
 * Set-Cookie; query parameters key, api_key, access_token, token. extra is a comma-separated
 * list of more names (PROMPTLOG_REDACT), applied to headers and query parameters alike; may be NULL. */
int pl_redact_header_name(const char *name, const char *extra);
/* Replaces credential values in place. Returns 0 or -1 on OOM. */
int pl_redact_headers(pl_headers *h, const char *extra);
/* Returns a copy of url (or a bare target) with credential query values and userinfo replaced. Caller frees. */
char *pl_redact_url(const char *url, const char *extra);

#endif
