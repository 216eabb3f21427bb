/* url.h — the one URL splitter: "scheme://[userinfo@]host[:port][/path][?query][#fragment]" into
 * views of the caller's string. No allocation, no validation beyond finding the parts.
 *
 * Contract: the splitter never fails; every pointer points into the input (or is NULL when that
 * part is absent) and every length excludes its delimiters. A scheme counts only when "://"
 * comes before the first '/', '?' or '#' ("/p?u=http://x" has none). Without a scheme the text
 * up to the first '/', '?' or '#' is taken as the authority, as libcurl does for "host/path";
 * callers holding a bare target ("/v1/x?q") get an empty host and the whole target. The userinfo
 * ends at the authority's last '@'. A port that is not 1..65535 digits reads as 0. */
#ifndef PL_URL_H
#define PL_URL_H

#include <stddef.h>

typedef struct pl_url {
    const char *scheme;     /* NULL when the text has no "scheme://" */
    size_t scheme_len;
    const char *authority;  /* userinfo, host and port as written */
    size_t authority_len;
    const char *userinfo;   /* NULL when the authority has no '@' */
    size_t userinfo_len;
    const char *host;       /* IPv6 literals keep their brackets; may be empty */
    size_t host_len;
    int port;               /* the explicit port, 0 when absent or invalid */
    const char *target;     /* path and query as a request line would carry them, up to '#'; */
    size_t target_len;      /* empty (target_len 0) when the URL ends after the authority */
    const char *path;       /* from the authority's end up to '?' or '#'; may be empty */
    size_t path_len;
    const char *query;      /* after '?' up to '#'; NULL when absent */
    size_t query_len;
    const char *fragment;   /* after '#'; NULL when absent */
} pl_url;

void pl_url_split(const char *url, pl_url *u);
/* Fills only authority, userinfo, host and port from "[userinfo@]host[:port]" (a Host header). */
void pl_url_split_authority(const char *auth, size_t n, pl_url *u);

/* 443 for "https" (any case), else 80. */
int pl_url_default_port(const char *scheme, size_t n);
/* Lower-case copies for storing: the host; the scheme ("http" when absent). NULL on OOM. */
char *pl_url_host_dup(const pl_url *u);
char *pl_url_scheme_dup(const pl_url *u);
/* The request target: "/" when empty, "/?q" when it starts with '?'. NULL on OOM. */
char *pl_url_target_dup(const pl_url *u);

#endif
