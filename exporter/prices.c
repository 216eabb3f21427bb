/* prices.c — the price table (see prices.h): a strict line parser, so a typo in a user's file is
 * an error naming the line rather than a silently wrong cost, and the model-name matcher. */
#include "prices.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prices_builtin.h"   /* generated from data/prices.txt: PL_BUILTIN_PRICES */

struct pl_prices {
    pl_price *items;
    size_t n, cap;
    char *text;                 /* one mutable copy of the table; the strings point into it */
    char *source;
};

void pl_prices_free(pl_prices *p)
{
    if (!p)
        return;
    free(p->items);
    free(p->text);
    free(p->source);
    free(p);
}

const char *pl_prices_source(const pl_prices *p) { return p->source; }
size_t pl_prices_count(const pl_prices *p) { return p->n; }
const pl_price *pl_prices_at(const pl_prices *p, size_t i) { return i < p->n ? &p->items[i] : NULL; }

/* A price field: a non-negative decimal, or "-" for unknown. */
static int price_field(const char *s, double *out)
{
    if (strcmp(s, "-") == 0) {
        *out = -1;
        return 0;
    }
    if (!isdigit((unsigned char)s[0]) && s[0] != '.')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || v < 0 || v > 1e6)
        return -1;
    *out = v;
    return 0;
}

pl_prices *pl_prices_parse(const char *text, const char *name, char *err, size_t errlen)
{
    pl_prices *p = calloc(1, sizeof *p);
    if (!p || !(p->text = strdup(text)) || !(p->source = strdup(name))) {
        snprintf(err, errlen, "out of memory");
        pl_prices_free(p);
        return NULL;
    }
    int lineno = 0;
    char *save = NULL;
    /* strtok_r on "\n" would skip empty lines and lose the numbering: walk by hand. */
    for (char *line = p->text; line; ) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *f[8];
        int nf = 0;
        for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
            if (nf == 8)
                break;
            f[nf++] = tok;
        }
        if (nf > 0) {
            const char *why = NULL;
            pl_price e = {.provider = f[0], .model = nf > 1 ? f[1] : "", .cache_write = -1, .max_input = -1};
            if (nf < 5)
                why = "expected: provider model input output cached_input [cache_write [max_input_tokens]]";
            else if (nf > 7)
                why = "too many fields (at most 7)";
            else if (price_field(f[2], &e.input) || price_field(f[3], &e.output) ||
                     price_field(f[4], &e.cached_input) || (nf > 5 && price_field(f[5], &e.cache_write)))
                why = "a price must be a number >= 0 (USD per 1M tokens) or '-'";
            else if (nf > 6 && strcmp(f[6], "-") != 0) {
                char *end;
                e.max_input = strtoll(f[6], &end, 10);
                if (!isdigit((unsigned char)f[6][0]) || *end || e.max_input <= 0)
                    why = "max_input_tokens must be a positive integer or '-'";
            }
            if (why) {
                snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
                pl_prices_free(p);
                return NULL;
            }
            if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 64;
                pl_price *items = realloc(p->items, cap * sizeof *items);
                if (!items) {
                    snprintf(err, errlen, "out of memory");
                    pl_prices_free(p);
                    return NULL;
                }
                p->items = items;
                p->cap = cap;
            }
            p->items[p->n++] = e;
        }
        line = nl ? nl + 1 : NULL;
    }
    return p;
}

pl_prices *pl_prices_load(char *err, size_t errlen)
{
    const char *file = getenv("PROMPTLOG_PRICES");
    if (!file || !*file)
        return pl_prices_parse(PL_BUILTIN_PRICES, "built-in (data/prices.txt)", err, errlen);
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errlen, "PROMPTLOG_PRICES: cannot read %s: %s", file, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
            text = t;
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        snprintf(err, errlen, "PROMPTLOG_PRICES: error reading %s", file);
        return NULL;
    }
    if (!text)
        text = calloc(1, 1);
    else
        text[len] = '\0';
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        free(text);
        snprintf(err, errlen, "%s: not a text file", file);
        return NULL;
    }
    pl_prices *p = pl_prices_parse(text, file, err, errlen);
    free(text);
    return p;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int pl_prices_base_model(const char *model, char *out, size_t n)
{
    size_t len = strlen(model);
    if (len + 1 > n)
        return 0;
    memcpy(out, model, len + 1);
    /* -YYYY-MM-DD (OpenAI) */
    if (len > 11 && out[len - 11] == '-' && all_digits(out + len - 10, 4) && out[len - 6] == '-' &&
        all_digits(out + len - 5, 2) && out[len - 3] == '-' && all_digits(out + len - 2, 2)) {
        out[len - 11] = '\0';
        return 1;
    }
    /* -YYYYMMDD (Anthropic) and @YYYYMMDD (Claude on Vertex) */
    if (len > 9 && (out[len - 9] == '-' || out[len - 9] == '@') && all_digits(out + len - 8, 8) &&
        (out[len - 8] == '1' || out[len - 8] == '2')) {
        out[len - 9] = '\0';
        return 1;
    }
    if (len > 7 && strcmp(out + len - 7, "-latest") == 0) {
        out[len - 7] = '\0';
        return 1;
    }
    return 0;
}

static const pl_price *find_exact(const pl_prices *p, const char *provider, const char *model, long long in)
{
    for (size_t i = 0; i < p->n; i++) {
        const pl_price *e = &p->items[i];
        if (strcasecmp(e->provider, provider) != 0 || strcasecmp(e->model, model) != 0)
            continue;
        if (e->max_input < 0 || (in >= 0 && in <= e->max_input))
            return e;
    }
    return NULL;
}

/* Is there a line at all for this name? Then a tier miss is final: no fallback to '*'. */
static int has_model(const pl_prices *p, const char *provider, const char *model)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcasecmp(p->items[i].provider, provider) == 0 && strcasecmp(p->items[i].model, model) == 0)
            return 1;
    return 0;
}

const pl_price *pl_prices_find(const pl_prices *p, const char *provider, const char *model, long long input_tokens)
{
    if (!p || !provider || !model || !*model)
        return NULL;
    if (has_model(p, provider, model))
        return find_exact(p, provider, model, input_tokens);
    char base[256];
    if (pl_prices_base_model(model, base, sizeof base) && has_model(p, provider, base))
        return find_exact(p, provider, base, input_tokens);
    return find_exact(p, provider, "*", input_tokens);
}
