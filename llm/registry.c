/* registry.c — the provider and API registry (provider.h) built from registry.def: API names,
 * normalizers, the built-in path rules in provider order, and the provider a host gets. */
#include "provider.h"

#include <string.h>
#include <strings.h>

static const pl_provider_desc *const providers[] = {
#define PL_PROVIDER(desc) &desc,
#define PL_API(id, desc, norm)
#include "registry.def"
#undef PL_PROVIDER
#undef PL_API
};
#define N_PROVIDERS (sizeof providers / sizeof providers[0])

static const pl_api_desc *const apis[] = {
    [PL_API_NONE] = NULL,
#define PL_PROVIDER(desc)
#define PL_API(id, desc, norm) [PL_API_##id] = &desc,
#include "registry.def"
#undef PL_PROVIDER
#undef PL_API
};
#define N_APIS (sizeof apis / sizeof apis[0])

const pl_api_desc *pl_api_desc_of(pl_api api)
{
    return (unsigned)api < N_APIS ? apis[api] : NULL;
}

const char *pl_api_name(pl_api api)
{
    const pl_api_desc *d = pl_api_desc_of(api);
    return d ? d->name : "none";
}

pl_api pl_api_from_name(const char *name)
{
    if (!name)
        return PL_API_NONE;
    for (size_t i = 1; i < N_APIS; i++)
        if (strcmp(name, apis[i]->name) == 0)
            return (pl_api)i;
    return PL_API_NONE;
}

int pl_registry_match_path(const char *p, size_t n, pl_endpoint *out)
{
    if (n < 8)
        return 0;
    for (size_t i = 0; i < N_PROVIDERS; i++)
        if (strchr(providers[i]->tails, p[n - 1]) && providers[i]->match_path(p, n, out))
            return 1;
    return 0;
}

size_t pl_host_len(const char *host)
{
    if (!host)
        return 0;
    if (host[0] == '[') {  /* IPv6 literal: "[::1]:8080" */
        const char *e = strchr(host, ']');
        return e ? (size_t)(e - host) + 1 : strlen(host);
    }
    const char *c = strchr(host, ':');
    if (c && !strchr(c + 1, ':'))
        return (size_t)(c - host);
    return strlen(host);
}

static int host_matches(const char *h, size_t n, const char *rule)
{
    if (rule[0] == '*') {
        size_t k = strlen(rule + 1);
        return n > k && strncasecmp(h + n - k, rule + 1, k) == 0;
    }
    size_t k = strlen(rule);
    return n == k && strncasecmp(h, rule, k) == 0;
}

const char *pl_registry_provider(const char *host, int port, pl_api api)
{
    size_t n = pl_host_len(host);
    for (size_t i = 0; n && i < N_PROVIDERS; i++)
        for (const pl_host_rule *r = providers[i]->hosts; r->host; r++)
            if (host_matches(host, n, r->host))
                return r->provider;
    for (size_t i = 0; i < N_PROVIDERS; i++)
        if (providers[i]->port && providers[i]->port == port)
            return providers[i]->unknown_host;
    const pl_api_desc *d = pl_api_desc_of(api);
    return d ? d->provider->unknown_host : "openai-compatible";
}
