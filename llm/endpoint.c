/* endpoint.c — which requests are LLM API calls: the user's rules (PROMPTLOG_ENDPOINTS/IGNORE) over
 * the registry's path rules and hosts (provider.h). Runs on every request: no allocation, no regex. */
#include "llm.h"
#include "provider.h"
#include "../util/url.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------------------------ */
/* User rules */

typedef struct rule {
    char *host;     /* glob, NULL = any */
    char *path;     /* glob, NULL = any */
    pl_api api;
} rule;

struct pl_endpoint_rules {
    rule *add;
    size_t n_add;
    rule *ign;
    size_t n_ign;
};

static void free_rules(rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].host);
        free(r[i].path);
    }
    free(r);
}

void pl_endpoint_rules_free(pl_endpoint_rules *r)
{
    if (!r)
        return;
    free_rules(r->add, r->n_add);
    free_rules(r->ign, r->n_ign);
    free(r);
}

static char *dup_trim(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)s[0])) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int parse_list(const char *spec, int allow_api, rule **out, size_t *count, char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    if (!spec)
        return 0;
    size_t cap = 0;
    const char *s = spec;
    while (*s) {
        size_t len = strcspn(s, ",");
        char *entry = dup_trim(s, len);
        s += len;
        if (*s == ',')
            s++;
        if (!entry)
            continue;
        rule r = {NULL, NULL, allow_api ? PL_API_OPENAI_CHAT : PL_API_NONE};
        char *eq = strrchr(entry, '=');
        if (eq) {
            *eq = '\0';
            char *name = dup_trim(eq + 1, strlen(eq + 1));
            if (!allow_api) {
                snprintf(err, errlen, "PROMPTLOG_IGNORE entry \"%s\": \"=api\" is not allowed here", entry);
                free(name);
                free(entry);
                return -1;
            }
            r.api = pl_api_from_name(name);
            if (r.api == PL_API_NONE) {
                snprintf(err, errlen, "unknown api \"%s\" (expected e.g. openai.chat, anthropic.messages, "
                         "gemini.generate, ollama.chat)", name ? name : "");
                free(name);
                free(entry);
                return -1;
            }
            free(name);
        }
        char *slash = strchr(entry, '/');
        size_t hlen = slash ? (size_t)(slash - entry) : strlen(entry);
        r.host = dup_trim(entry, hlen);
        r.path = slash ? dup_trim(slash, strlen(slash)) : NULL;
        free(entry);
        if (!r.host && !r.path) {
            snprintf(err, errlen, "empty endpoint pattern");
            return -1;
        }
        if (*count == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            rule *nr = realloc(*out, ncap * sizeof *nr);
            if (!nr) {
                free(r.host);
                free(r.path);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            *out = nr;
            cap = ncap;
        }
        (*out)[(*count)++] = r;
    }
    return 0;
}

pl_endpoint_rules *pl_endpoint_rules_parse(const char *endpoints, const char *ignore, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    pl_endpoint_rules *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_list(endpoints, 1, &r->add, &r->n_add, err, errlen) ||
        parse_list(ignore, 0, &r->ign, &r->n_ign, err, errlen)) {
        pl_endpoint_rules_free(r);
        return NULL;
    }
    return r;
}

static int rule_matches(const rule *r, const char *host, int port, const char *path)
{
    if (r->host) {
        char hp[300];
        const char *subject = host ? host : "";
        if (strchr(r->host, ':')) {
            snprintf(hp, sizeof hp, "%.*s:%d", (int)pl_host_len(subject), subject, port);
            subject = hp;
        } else if (strchr(subject, ':')) {
            snprintf(hp, sizeof hp, "%.*s", (int)pl_host_len(subject), subject);
            subject = hp;
        }
        if (fnmatch(r->host, subject, FNM_CASEFOLD) != 0)
            return 0;
    }
    if (r->path && fnmatch(r->path, path, 0) != 0)
        return 0;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */

int pl_endpoint_match_rules(const pl_endpoint_rules *r, const char *method, const char *host, int port,
                            const char *target, pl_endpoint *out)
{
    if (!target)
        return 0;
    if (method && strcasecmp(method, "POST") != 0)
        return 0;
    /* Absolute-form targets ("http://host/path", proxies) carry the path after the authority. */
    if (target[0] != '/') {
        pl_url u;
        pl_url_split(target, &u);
        if (!u.scheme || !u.path_len)
            return 0;
        target = u.path;
    }
    size_t n = strcspn(target, "?#");

    pl_endpoint ep;
    memset(&ep, 0, sizeof ep);
    int builtin = pl_registry_match_path(target, n, &ep);

    if (r && (r->n_ign || r->n_add)) {
        /* Rules see the path as a C string: copy it only when a query must be cut off. */
        char pathbuf[1024];
        const char *path = target;
        if (target[n] != '\0') {
            if (n >= sizeof pathbuf)
                n = sizeof pathbuf - 1;
            memcpy(pathbuf, target, n);
            pathbuf[n] = '\0';
            path = pathbuf;
        }
        for (size_t i = 0; i < r->n_ign; i++)
            if (rule_matches(&r->ign[i], host, port, path))
                return 0;
        for (size_t i = 0; i < r->n_add; i++) {
            if (rule_matches(&r->add[i], host, port, path)) {
                if (!builtin || ep.api != r->add[i].api)
                    memset(&ep, 0, sizeof ep);  /* path facts only count for the same API */
                ep.api = r->add[i].api;
                builtin = 1;
                break;
            }
        }
    }
    if (!builtin)
        return 0;
    const char *prov = pl_registry_provider(host, port, ep.api);
    pl_path_copy(ep.provider, sizeof ep.provider, prov, strlen(prov));
    if (out)
        *out = ep;
    return 1;
}

int pl_endpoint_match(const char *method, const char *host, int port, const char *target, pl_endpoint *out)
{
    return pl_endpoint_match_rules(NULL, method, host, port, target, out);
}
