/* search.c — `prompt-logger search QUERY`: calls whose messages or completions contain the
 * query, newest first, with a snippet around the match (highlighted on a terminal).
 *
 * Two backends behind search_backend(): on the readable store (schema 3) the query is an FTS5
 * MATCH over messages_fts (each distinct message and completion indexed once; FTS5 syntax: AND,
 * OR, NOT, prefix*; the index is detail=none, so FTS5 itself refuses phrases), and a hit is the call that sent or received the matching text;
 * on an older store the normalized records are scanned (every word of the query, any case,
 * anywhere in the call's text; "quoted phrases" are one word). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "cost.h"
#include "export.h"
#include "views.h"
#include "when.h"

#define MAX_TERMS 16

/* One match: the call and where its first term was found. */
typedef struct hit {
    pl_row row;                 /* scalar columns copied; strings below */
    char *ns, *provider, *model, *role, *snippet;
    char *strs[13];             /* copies of the row's other strings (see row_strings) */
    double cost;
    size_t mark_off, mark_len;  /* the match inside snippet */
} hit;

typedef int (*match_fn)(const pl_row *r, const char *role, const char *text, size_t off, size_t len, void *ctx);

typedef struct scan_ctx {
    const char *const *terms;
    size_t nterms;
    match_fn fn;
    void *ctx;
    int stop;
} scan_ctx;

/* Text pieces of a record, in order: each message's content (and tool-call arguments), then
 * each completion's, or the prompt and the response. */
typedef struct piece {
    const char *role, *text;
} piece;

static void add_piece(piece *p, size_t *n, size_t cap, const char *role, const cJSON *v)
{
    if (*n >= cap || !v)
        return;
    if (cJSON_IsString(v) && v->valuestring[0]) {
        p[(*n)++] = (piece){role, v->valuestring};
    } else if (cJSON_IsArray(v)) {
        /* multimodal content: [{type:"text", text}] */
        for (const cJSON *e = v->child; e; e = e->next)
            add_piece(p, n, cap, role, cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "text") : e);
    }
}

static void add_turns(piece *p, size_t *n, size_t cap, const cJSON *list)
{
    for (const cJSON *m = list ? list->child : NULL; m; m = m->next) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const char *r = cJSON_IsString(role) ? role->valuestring : "?";
        add_piece(p, n, cap, r, cJSON_GetObjectItemCaseSensitive(m, "content"));
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
        for (const cJSON *c = calls ? calls->child : NULL; c; c = c->next) {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
            add_piece(p, n, cap, r, cJSON_GetObjectItemCaseSensitive(fn, "arguments"));
        }
    }
}

static int scan_cb(const pl_row *r, void *vctx)
{
    scan_ctx *c = vctx;
    cJSON *rec = pl_export_record(r);
    piece pieces[512];
    size_t n = 0;
    add_turns(pieces, &n, 512, cJSON_GetObjectItemCaseSensitive(rec, "messages"));
    add_piece(pieces, &n, 512, "user", cJSON_GetObjectItemCaseSensitive(rec, "prompt"));
    add_turns(pieces, &n, 512, cJSON_GetObjectItemCaseSensitive(rec, "completions"));
    add_piece(pieces, &n, 512, "assistant", cJSON_GetObjectItemCaseSensitive(rec, "response"));
    int all = 1;
    const piece *first = NULL;
    const char *at = NULL;
    for (size_t t = 0; t < c->nterms && all; t++) {
        int found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            const char *m = strcasestr(pieces[i].text, c->terms[t]);
            if (m) {
                found = 1;
                if (t == 0) {
                    first = &pieces[i];
                    at = m;
                }
            }
        }
        all = found;
    }
    if (all && first)
        c->stop = c->fn(r, first->role, first->text, (size_t)(at - first->text), strlen(c->terms[0]), c->ctx);
    cJSON_Delete(rec);
    return c->stop;
}

typedef struct fts_ctx {
    const pl_store_hit *h;
    const char *term;       /* the first bare word of the query, for the snippet */
    match_fn fn;
    void *ctx;
} fts_ctx;

static int fts_row_cb(const pl_row *r, void *vctx)
{
    fts_ctx *c = vctx;
    const char *text = c->h->content ? c->h->content : "";
    const char *at = c->term && *c->term ? strcasestr(text, c->term) : NULL;
    return c->fn(r, c->h->role, text, at ? (size_t)(at - text) : 0, at ? strlen(c->term) : 0, c->ctx);
}

/* Returns 0, -1 (runtime, err set) or -2 (the query is not valid FTS5 syntax, err set). The hits
 * are collected first: the store is not called from inside an iteration. */
static int search_fts(pl_store *s, const pl_store_query *q, const char *query, const char *term, match_fn fn,
                      void *ctx, char *err, size_t errlen)
{
    pl_store_filter f = {.ns = q->ns, .since = q->since, .until = q->until};
    pl_store_hit *hits = NULL;
    size_t n = 0;
    int result = pl_store_search(s, &f, query, &hits, &n, err, errlen);
    for (size_t i = 0; i < n && result == 0; i++) {
        pl_store_query one = {0};
        one.id = hits[i].call_id;
        fts_ctx c = {.h = &hits[i], .term = term, .fn = fn, .ctx = ctx};
        if (pl_store_each_row_q(s, &one, fts_row_cb, &c, err, errlen) != 0)
            result = -1;
    }
    pl_store_hits_free(hits, n);
    return result;
}

/* The backend: every call passing q that matches, oldest first (see the top of the file). */
static int search_backend(pl_store *s, const pl_store_query *q, const char *query,
                          const char *const *terms, size_t nterms, match_fn fn, void *ctx, char *err, size_t errlen)
{
    if (pl_store_has(s, "messages_fts")) {
        /* the snippet marks the first plain word of the query */
        char term[128] = "";
        for (size_t i = 0; i < nterms && !term[0]; i++) {
            const char *t = terms[i];
            if (strcmp(t, "AND") == 0 || strcmp(t, "OR") == 0 || strcmp(t, "NOT") == 0)
                continue;
            size_t k = 0;
            for (; t[k] && k + 1 < sizeof term && (isalnum((unsigned char)t[k]) || (unsigned char)t[k] >= 0x80 ||
                                                   t[k] == ' ' || t[k] == '_'); k++)
                term[k] = t[k];
            term[k] = '\0';
        }
        return search_fts(s, q, query, term, fn, ctx, err, errlen);
    }
    scan_ctx c = {.terms = terms, .nterms = nterms, .fn = fn, .ctx = ctx};
    return pl_store_each_row_q(s, q, scan_cb, &c, err, errlen);
}

/* Splits the query into terms: words, or "quoted phrases". Returns the count, -1 if none. */
static int split_query(char *q, const char **terms)
{
    int n = 0;
    for (char *p = q; *p && n < MAX_TERMS;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *start = p;
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"')
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
        if (*p)
            *p++ = '\0';
        if (*start)
            terms[n++] = start;
    }
    return n ? n : -1;
}

typedef struct search_ctx {
    const pl_prices *prices;
    hit *ring;                  /* the newest `limit` hits, or all of them (limit 0) */
    size_t limit, cap, count;
    int oom;
} search_ctx;

/* The row's strings besides namespace, provider and model, which die with the callback. */
static const char **row_strings(pl_row *r, size_t i)
{
    const char **f[] = {&r->host, &r->api, &r->kind, &r->method, &r->url, &r->path, &r->finish_reason,
                        &r->error, &r->prompt_preview, &r->completion_preview, &r->program, &r->source,
                        &r->content_type};
    return f[i];
}

static void free_hit(hit *h)
{
    for (size_t i = 0; i < 13; i++)
        free(h->strs[i]);
    free(h->ns);
    free(h->provider);
    free(h->model);
    free(h->role);
    free(h->snippet);
    memset(h, 0, sizeof *h);
}

static char *dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* About 30 characters before the match and the rest of a 100-character window, one line. */
static int on_match(const pl_row *r, const char *role, const char *text, size_t off, size_t len, void *vctx)
{
    search_ctx *c = vctx;
    if (!c->limit && c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        hit *ring = realloc(c->ring, cap * sizeof *ring);
        if (!ring) {
            c->oom = 1;
            return 1;
        }
        memset(ring + c->cap, 0, (cap - c->cap) * sizeof *ring);
        c->ring = ring;
        c->cap = cap;
    }
    hit *h = &c->ring[c->limit ? c->count % c->limit : c->count];
    free_hit(h);
    h->row = *r;
    h->ns = dup0(r->ns);
    h->provider = dup0(r->provider);
    h->model = dup0(r->model);
    h->role = dup0(role);
    h->cost = pl_cost_usd(c->prices, r);
    size_t from = off > 30 ? off - 30 : 0;
    while (from > 0 && ((unsigned char)text[from] & 0xC0) == 0x80)
        from--;   /* not inside a UTF-8 sequence */
    size_t tl = strlen(text), to = from + 100 < tl ? from + 100 : tl;
    if (to < off + len)
        to = off + len;
    while (to < tl && ((unsigned char)text[to] & 0xC0) == 0x80)
        to++;
    h->snippet = malloc(to - from + 7);
    if (!h->snippet) {
        c->oom = 1;
        return 1;
    }
    size_t o = 0;
    if (from > 0) {
        memcpy(h->snippet, "\xe2\x80\xa6", 3);
        o = 3;
    }
    h->mark_off = off - from + o;
    h->mark_len = len;
    for (size_t i = from; i < to; i++)
        h->snippet[o++] = text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i];
    if (to < tl) {
        memcpy(h->snippet + o, "\xe2\x80\xa6", 3);
        o += 3;
    }
    h->snippet[o] = '\0';
    h->row.ns = h->ns;
    h->row.provider = h->provider;
    h->row.model = h->model;
    for (size_t i = 0; i < 13; i++) {
        const char **f = row_strings(&h->row, i);
        h->strs[i] = dup0(*f);
        *f = h->strs[i];
    }
    h->row.req_headers = h->row.resp_headers = NULL;
    h->row.req_body = h->row.resp_body = NULL;
    c->count++;
    return 0;
}

int pl_cmd_search(const pl_cli_opts *o)
{
    char *query = strdup(o->query ? o->query : "");
    char *fts_query = strdup(o->query ? o->query : "");
    const char *terms[MAX_TERMS];
    int nterms = query ? split_query(query, terms) : -1;
    if (nterms < 0 || !fts_query) {
        free(query);
        free(fts_query);
        fprintf(stderr, "prompt-logger search: an empty query (see prompt-logger search --help)\n");
        return 2;
    }
    pl_prices *prices = pl_cli_prices();
    pl_store *s = prices ? pl_cli_open_db(o->database) : NULL;
    char err[768] = "";
    if (!s) {
        pl_prices_free(prices);
        free(query);
        free(fts_query);
        return 1;
    }
    search_ctx c = {.prices = prices, .limit = o->limit > 0 ? (size_t)o->limit : 0};
    if (c.limit > 100000)
        c.limit = 100000;
    c.cap = c.limit ? c.limit : 64;
    c.ring = calloc(c.cap, sizeof *c.ring);
    pl_store_query q = {0};
    q.ns = o->ns;
    q.since = o->since;
    q.until = o->until;
    int rc = c.ring ? search_backend(s, &q, fts_query, terms, (size_t)nterms, on_match, &c, err, sizeof err) : -1;
    pl_store_close(s);
    free(fts_query);
    if (!c.ring || c.oom)
        fprintf(stderr, "prompt-logger: out of memory\n");
    else if (rc != 0)
        fprintf(stderr, "prompt-logger: %s\n", err);
    if (rc == -2) {   /* a query FTS5 cannot parse is bad input */
        for (size_t k = 0; c.ring && k < c.cap; k++)
            free_hit(&c.ring[k]);
        free(c.ring);
        pl_prices_free(prices);
        free(query);
        return 2;
    }
    const char *nc = getenv("NO_COLOR");
    int color = isatty(STDOUT_FILENO) && !(nc && *nc);
    size_t kept = c.limit && c.count > c.limit ? c.limit : c.count;
    for (size_t k = 0; rc == 0 && c.ring && !c.oom && k < kept; k++) {
        size_t idx = c.count - 1 - k;   /* newest first */
        hit *h = &c.ring[c.limit ? idx % c.limit : idx];
        if (o->json) {
            cJSON *j = pl_view_row_json(&h->row, h->cost);
            cJSON_AddStringToObject(j, "match_role", h->role ? h->role : "");
            cJSON_AddStringToObject(j, "snippet", h->snippet);
            pl_cli_emit(stdout, j);
            cJSON_Delete(j);
            continue;
        }
        char when[PL_WHEN_LEN];
        pl_when_format(h->row.started_at, when);
        printf("%-6lld %s  %s  %s  %s: ", h->row.id, when, h->ns ? h->ns : "-", h->model ? h->model : "-",
               h->role ? h->role : "?");
        fwrite(h->snippet, 1, h->mark_off, stdout);
        printf("%s%.*s%s%s\n", color ? "\x1b[1;31m" : "", (int)h->mark_len, h->snippet + h->mark_off,
               color ? "\x1b[0m" : "", h->snippet + h->mark_off + h->mark_len);
    }
    for (size_t k = 0; c.ring && k < c.cap; k++)
        free_hit(&c.ring[k]);
    free(c.ring);
    pl_prices_free(prices);
    free(query);
    if (rc != 0 || c.oom || !c.ring)
        return 1;
    return pl_cli_close_out(stdout, NULL);
}
