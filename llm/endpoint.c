/* endpoint.c — decides which HTTP requests are LLM API calls and who serves them.
 * It runs on every request the host program makes, so the built-in table is plain string
 * comparisons on the path's tail: no allocation, no regex, most paths rejected in a few compares. */
#include "llm.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const api_names[] = {
    [PL_API_NONE] = "none",
    [PL_API_OPENAI_CHAT] = "openai.chat",
    [PL_API_OPENAI_COMPLETIONS] = "openai.completions",
    [PL_API_OPENAI_RESPONSES] = "openai.responses",
    [PL_API_OPENAI_EMBEDDINGS] = "openai.embeddings",
    [PL_API_ANTHROPIC_MESSAGES] = "anthropic.messages",
    [PL_API_GEMINI_GENERATE] = "gemini.generate",
    [PL_API_GEMINI_EMBED] = "gemini.embed",
    [PL_API_OLLAMA_CHAT] = "ollama.chat",
    [PL_API_OLLAMA_GENERATE] = "ollama.generate",
    [PL_API_OLLAMA_EMBED] = "ollama.embed",
};
#define N_APIS (sizeof api_names / sizeof api_names[0])

const char *pl_api_name(pl_api api)
{
    if ((unsigned)api >= N_APIS)
        return "none";
    return api_names[api];
}

pl_api pl_api_from_name(const char *name)
{
    if (!name)
        return PL_API_NONE;
    for (size_t i = 1; i < N_APIS; i++)
        if (strcmp(name, api_names[i]) == 0)
            return (pl_api)i;
    return PL_API_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* Path helpers: a path is (p, n), without query or fragment. */

static int ends_with(const char *p, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(p + n - k, suffix, k) == 0;
}

/* The segment that ends at p[end] (exclusive; p[end] is '/' or the end). */
static void seg_before(const char *p, size_t end, const char **seg, size_t *len)
{
    size_t s = end;
    while (s > 0 && p[s - 1] != '/')
        s--;
    *seg = p + s;
    *len = end - s;
}

static int seg_is(const char *seg, size_t len, const char *word)
{
    size_t k = strlen(word);
    return len == k && memcmp(seg, word, k) == 0;
}

/* "v1", "v2", "v1beta", "v1beta1": the version segment OpenAI-style base URLs end in. */
static int is_version_seg(const char *seg, size_t len)
{
    if (len < 2 || seg[0] != 'v' || !isdigit((unsigned char)seg[1]))
        return 0;
    for (size_t i = 2; i < len; i++)
        if (!isalnum((unsigned char)seg[i]))
            return 0;
    return 1;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Azure classic: ".../openai/deployments/{dep}" ends at p[end]. Fills the model on a match. */
static int azure_deployment(const char *p, size_t end, pl_endpoint *out)
{
    const char *dep, *d;
    size_t dlen, len;
    seg_before(p, end, &dep, &dlen);
    if (dlen == 0 || dep == p)
        return 0;
    size_t dstart = (size_t)(dep - p) - 1; /* the '/' before dep */
    seg_before(p, dstart, &d, &len);
    if (!seg_is(d, len, "deployments"))
        return 0;
    copy_field(out->model, sizeof out->model, dep, dlen);
    return 1;
}

/* OpenAI-style resource after a version (or /openai) segment, or an Azure deployment. */
static int openai_resource(const char *p, size_t n, const char *suffix, pl_api api, pl_endpoint *out)
{
    if (!ends_with(p, n, suffix))
        return 0;
    size_t end = n - strlen(suffix);
    const char *seg;
    size_t len;
    seg_before(p, end, &seg, &len);
    if (is_version_seg(seg, len) || seg_is(seg, len, "openai") || azure_deployment(p, end, out)) {
        out->api = api;
        return 1;
    }
    return 0;
}

/* ".../models/{model}:verb" (Gemini, Vertex) and Anthropic on Vertex. */
static int colon_verb(const char *p, size_t n, pl_endpoint *out)
{
    const char *seg;
    size_t len;
    seg_before(p, n, &seg, &len);
    const char *colon = memchr(seg, ':', len);
    if (!colon || seg == p)
        return 0;
    const char *verb = colon + 1;
    size_t vlen = (size_t)(seg + len - verb);
    size_t mlen = (size_t)(colon - seg);
    const char *parent;
    size_t plen;
    size_t seg_start = (size_t)(seg - p) - 1;
    seg_before(p, seg_start, &parent, &plen);
    if (mlen == 0 || !seg_is(parent, plen, "models"))
        return 0;
    pl_api api = PL_API_NONE;
    int stream = 0;
    if (seg_is(verb, vlen, "generateContent")) {
        api = PL_API_GEMINI_GENERATE;
    } else if (seg_is(verb, vlen, "streamGenerateContent")) {
        api = PL_API_GEMINI_GENERATE;
        stream = 1;
    } else if (seg_is(verb, vlen, "embedContent")) {
        api = PL_API_GEMINI_EMBED;
    } else if (seg_is(verb, vlen, "rawPredict") || seg_is(verb, vlen, "streamRawPredict")) {
        /* Claude on Vertex: ".../publishers/anthropic/models/{m}:rawPredict". */
        const char *pub;
        size_t publen;
        if (parent == p)
            return 0;
        seg_before(p, (size_t)(parent - p) - 1, &pub, &publen);
        if (!seg_is(pub, publen, "anthropic"))
            return 0;
        api = PL_API_ANTHROPIC_MESSAGES;
        stream = verb[0] == 's';
    } else {
        return 0;
    }
    out->api = api;
    out->stream_hint = stream;
    copy_field(out->model, sizeof out->model, seg, mlen);
    return 1;
}

static int builtin_path(const char *p, size_t n, pl_endpoint *out)
{
    if (n < 8)
        return 0;
    switch (p[n - 1]) {  /* dispatch on the last byte rejects most paths at once */
    case 's':
        if (ends_with(p, n, "/chat/completions")) {
            azure_deployment(p, n - strlen("/chat/completions"), out);
            out->api = PL_API_OPENAI_CHAT;
            return 1;
        }
        if (openai_resource(p, n, "/completions", PL_API_OPENAI_COMPLETIONS, out) ||
            openai_resource(p, n, "/responses", PL_API_OPENAI_RESPONSES, out) ||
            openai_resource(p, n, "/embeddings", PL_API_OPENAI_EMBEDDINGS, out))
            return 1;
        if (ends_with(p, n, "/messages")) {
            const char *seg;
            size_t len;
            seg_before(p, n - strlen("/messages"), &seg, &len);
            if (seg_is(seg, len, "v1")) {
                out->api = PL_API_ANTHROPIC_MESSAGES;
                return 1;
            }
        }
        if (ends_with(p, n, "/api/embeddings")) {
            out->api = PL_API_OLLAMA_EMBED;
            return 1;
        }
        return 0;
    case 't':
        if (ends_with(p, n, "/api/chat")) {
            out->api = PL_API_OLLAMA_CHAT;
            return 1;
        }
        return colon_verb(p, n, out);
    case 'e':
        if (ends_with(p, n, "/api/generate")) {
            out->api = PL_API_OLLAMA_GENERATE;
            return 1;
        }
        return 0;
    case 'd':
        if (ends_with(p, n, "/api/embed")) {
            out->api = PL_API_OLLAMA_EMBED;
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Provider */

static size_t host_len(const char *host)
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

static int host_is(const char *h, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == k && strncasecmp(h, name, k) == 0;
}

static int host_ends(const char *h, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && strncasecmp(h + n - k, suffix, k) == 0;
}

static const struct { const char *host; const char *provider; } known_hosts[] = {
    {"api.openai.com", "openai"},
    {"api.anthropic.com", "anthropic"},
    {"generativelanguage.googleapis.com", "google"},
    {"aiplatform.googleapis.com", "vertex"},
    {"api.groq.com", "groq"},
    {"api.mistral.ai", "mistral"},
    {"api.deepseek.com", "deepseek"},
    {"openrouter.ai", "openrouter"},
    {"api.together.xyz", "together"},
    {"api.together.ai", "together"},
    {"api.fireworks.ai", "fireworks"},
    {"api.x.ai", "xai"},
    {"api.perplexity.ai", "perplexity"},
    {"api.cerebras.ai", "cerebras"},
    {"ollama.com", "ollama"},
};

static int is_ollama_api(pl_api api)
{
    return api == PL_API_OLLAMA_CHAT || api == PL_API_OLLAMA_GENERATE || api == PL_API_OLLAMA_EMBED;
}

static const char *provider_for(const char *host, int port, pl_api api)
{
    size_t n = host_len(host);
    for (size_t i = 0; i < sizeof known_hosts / sizeof known_hosts[0]; i++)
        if (host_is(host, n, known_hosts[i].host))
            return known_hosts[i].provider;
    if (n > 0) {
        if (host_ends(host, n, "-aiplatform.googleapis.com"))
            return "vertex";
        if (host_ends(host, n, ".openai.azure.com") || host_ends(host, n, ".cognitiveservices.azure.com") ||
            host_ends(host, n, ".services.ai.azure.com"))
            return "azure";
    }
    if (port == 11434 || is_ollama_api(api))
        return "ollama";
    switch (api) {
    case PL_API_ANTHROPIC_MESSAGES:
        return "anthropic-compatible";
    case PL_API_GEMINI_GENERATE:
    case PL_API_GEMINI_EMBED:
        return "google-compatible";
    default:
        return "openai-compatible";
    }
}

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
            snprintf(hp, sizeof hp, "%.*s:%d", (int)host_len(subject), subject, port);
            subject = hp;
        } else if (strchr(subject, ':')) {
            snprintf(hp, sizeof hp, "%.*s", (int)host_len(subject), subject);
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
        const char *sep = strstr(target, "://");
        if (!sep)
            return 0;
        target = strchr(sep + 3, '/');
        if (!target)
            return 0;
    }
    size_t n = strcspn(target, "?#");

    pl_endpoint ep;
    memset(&ep, 0, sizeof ep);
    int builtin = builtin_path(target, n, &ep);

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
    const char *prov = provider_for(host, port, ep.api);
    copy_field(ep.provider, sizeof ep.provider, prov, strlen(prov));
    if (out)
        *out = ep;
    return 1;
}

int pl_endpoint_match(const char *method, const char *host, int port, const char *target, pl_endpoint *out)
{
    return pl_endpoint_match_rules(NULL, method, host, port, target, out);
}
