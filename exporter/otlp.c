/* otlp.c — the in-memory OTLP span model: building attribute lists, freeing spans, and finding
 * runs of spans that share a resource (one ResourceSpans each in either encoding). */
#include "otlp.h"

#include <stdlib.h>
#include <string.h>

static pl_otlp_attr *add(pl_otlp_attrs *a, const char *key, int type)
{
    if (a->oom)
        return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        pl_otlp_attr *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->oom = 1;
            return NULL;
        }
        a->v = v;
        a->cap = cap;
    }
    pl_otlp_attr *at = &a->v[a->n];
    memset(at, 0, sizeof *at);
    at->key = strdup(key);
    if (!at->key) {
        a->oom = 1;
        return NULL;
    }
    at->type = type;
    a->n++;
    return at;
}

void pl_otlp_add_str(pl_otlp_attrs *a, const char *key, const char *s)
{
    if (!s)
        return;
    pl_otlp_attr *at = add(a, key, PL_OTLP_STR);
    if (at && !(at->s = strdup(s)))
        a->oom = 1;
}

void pl_otlp_add_int(pl_otlp_attrs *a, const char *key, long long i)
{
    pl_otlp_attr *at = add(a, key, PL_OTLP_INT);
    if (at)
        at->i = i;
}

void pl_otlp_add_dbl(pl_otlp_attrs *a, const char *key, double d)
{
    pl_otlp_attr *at = add(a, key, PL_OTLP_DBL);
    if (at)
        at->d = d;
}

void pl_otlp_add_bool(pl_otlp_attrs *a, const char *key, int b)
{
    pl_otlp_attr *at = add(a, key, PL_OTLP_BOOL);
    if (at)
        at->i = b != 0;
}

void pl_otlp_add_strs(pl_otlp_attrs *a, const char *key, const char *const *strs, size_t n)
{
    pl_otlp_attr *at = add(a, key, PL_OTLP_STRS);
    if (!at || n == 0)
        return;
    at->strs = calloc(n, sizeof *at->strs);
    if (!at->strs) {
        a->oom = 1;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (!(at->strs[k] = strdup(strs[k] ? strs[k] : ""))) {
            a->oom = 1;
            break;
        }
        at->n++;
    }
}

void pl_otlp_attrs_free(pl_otlp_attrs *a)
{
    for (size_t k = 0; k < a->n; k++) {
        pl_otlp_attr *at = &a->v[k];
        free(at->key);
        free(at->s);
        for (size_t j = 0; j < at->n; j++)
            free(at->strs[j]);
        free(at->strs);
    }
    free(a->v);
    memset(a, 0, sizeof *a);
}

void pl_otlp_span_free(pl_otlp_span *s)
{
    free(s->name);
    free(s->status_msg);
    pl_otlp_attrs_free(&s->attrs);
    pl_otlp_attrs_free(&s->resource);
    memset(s, 0, sizeof *s);
}

static int attr_eq(const pl_otlp_attr *x, const pl_otlp_attr *y)
{
    if (x->type != y->type || strcmp(x->key, y->key) != 0)
        return 0;
    switch (x->type) {
    case PL_OTLP_STR: return strcmp(x->s, y->s) == 0;
    case PL_OTLP_DBL: return x->d == y->d;
    case PL_OTLP_STRS:
        if (x->n != y->n)
            return 0;
        for (size_t k = 0; k < x->n; k++)
            if (strcmp(x->strs[k], y->strs[k]) != 0)
                return 0;
        return 1;
    default: return x->i == y->i;
    }
}

static int resource_eq(const pl_otlp_attrs *x, const pl_otlp_attrs *y)
{
    if (x->n != y->n)
        return 0;
    for (size_t k = 0; k < x->n; k++)
        if (!attr_eq(&x->v[k], &y->v[k]))
            return 0;
    return 1;
}

size_t pl_otlp_resource_run(const pl_otlp_span *spans, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && resource_eq(&spans[i].resource, &spans[j].resource))
        j++;
    return j;
}
