/* threads.c — the views of the readable store (schema 3): `conversations` (one line per
 * conversation), `prompts` (system-prompt and tool-list versions) and `show -c ID` (a thread
 * printed once, turn by turn: each call shows only the messages it added, and a call that
 * re-sends a sibling's input is marked a retry, another child of the same parent a branch).
 * They read the store's links (calls.parent_id/conversation_id, call_messages, prompt versions)
 * through store.h's views (store/query.c); a schema 1 database has none of them, which is one
 * clear error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cost.h"
#include "when.h"

static pl_store *open_threads(const pl_cli_opts *o, const char *need)
{
    pl_store *s = pl_cli_open_db(o->database);
    if (!s)
        return NULL;
    if (!pl_store_has(s, need) || !pl_store_has(s, "call_messages")) {
        fprintf(stderr, "prompt-logger: %s has no conversations or prompt versions (a schema 1 database; "
                        "the readable store adds them)\n", pl_store_path(s));
        pl_store_close(s);
        return NULL;
    }
    return s;
}

static void json_str(cJSON *o, const char *k, const char *v)
{
    cJSON_AddItemToObject(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static pl_store_filter filter_of(const pl_cli_opts *o)
{
    pl_store_filter f = {.ns = o->ns, .since = o->since, .until = o->until, .limit = o->limit};
    return f;
}

/* Cost per conversation: each call's cost (cost.h, which needs the row and its body) summed by
 * conversation id; a call id -> conversation id table from SQL joins the two. */
typedef struct conv_cost {
    long long *call, *conv;         /* sorted by call id */
    size_t n, cap;
    int oom;
    long long *cid;                 /* distinct conversation ids, sorted */
    double *usd;
    long long *unknown, *calls;
    size_t nc;
    const pl_prices *prices;
} conv_cost;

static long long find(const long long *a, size_t n, long long v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == v ? (long long)lo : -1;
}

static int cost_cb(const pl_row *r, void *vctx)
{
    conv_cost *c = vctx;
    long long i = find(c->call, c->n, r->id);
    if (i < 0)
        return 0;
    long long k = find(c->cid, c->nc, c->conv[i]);
    if (k < 0)
        return 0;
    double usd = pl_cost_usd(c->prices, r);
    c->calls[k]++;
    if (usd >= 0)
        c->usd[k] += usd;
    else
        c->unknown[k]++;
    return 0;
}

static void conv_cost_free(conv_cost *c)
{
    free(c->call);
    free(c->conv);
    free(c->cid);
    free(c->usd);
    free(c->unknown);
    free(c->calls);
}

static int pair_cb(long long call, long long conv, void *vctx)
{
    conv_cost *c = vctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        long long *a = realloc(c->call, cap * sizeof *a), *b = a ? realloc(c->conv, cap * sizeof *b) : NULL;
        if (a)
            c->call = a;
        if (!a || !b)
            return c->oom = 1;
        c->conv = b;
        c->cap = cap;
    }
    c->call[c->n] = call;
    c->conv[c->n++] = conv;
    return 0;
}

/* Fills c for every call in a conversation that passes o's filters. 0 or -1 (message printed). */
static int conv_cost_load(pl_store *s, const pl_cli_opts *o, conv_cost *c)
{
    char err[768] = "";
    if (pl_store_each_call_conversation(s, pair_cb, c, err, sizeof err) != 0 || c->oom)
        return -1;
    /* distinct conversation ids: sort a copy */
    c->cid = malloc((c->n ? c->n : 1) * sizeof *c->cid);
    if (!c->cid)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        /* insertion into a sorted set; conversations are few next to calls */
        long long v = c->conv[i];
        size_t lo = 0, hi = c->nc;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (c->cid[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < c->nc && c->cid[lo] == v)
            continue;
        memmove(c->cid + lo + 1, c->cid + lo, (c->nc - lo) * sizeof *c->cid);
        c->cid[lo] = v;
        c->nc++;
    }
    c->usd = calloc(c->nc + 1, sizeof *c->usd);
    c->unknown = calloc(c->nc + 1, sizeof *c->unknown);
    c->calls = calloc(c->nc + 1, sizeof *c->calls);
    if (!c->usd || !c->unknown || !c->calls)
        return -1;
    pl_store_query q = {0};
    q.ns = o->ns;
    int rc = pl_store_each_row_q(s, &q, cost_cb, c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "prompt-logger: %s\n", err);
    return rc;
}

/* "0.0123", "0.0123*" when some calls have no known cost, "-" when none has. */
static void conv_cost_fmt(const conv_cost *c, long long conv, char *out, size_t n, double *usd, int *known)
{
    long long k = find(c->cid, c->nc, conv);
    *known = k >= 0 && c->unknown[k] < c->calls[k];
    *usd = k >= 0 ? c->usd[k] : 0;
    if (!*known) {
        snprintf(out, n, "-");
        return;
    }
    char v[24];
    pl_cli_fmt_cost(*usd, v, sizeof v);
    snprintf(out, n, "%s%s", v, c->unknown[k] ? "*" : "");
}

typedef struct conv_view {
    const pl_cli_opts *o;
    conv_cost *cc;
    size_t wm, wp;
} conv_view;

static int conv_cb(const pl_store_conv *v, void *vctx)
{
    conv_view *c = vctx;
    char first[PL_WHEN_LEN], last[PL_WHEN_LEN], tokens[64], in[24] = "-", out[24] = "-";
    pl_when_format(v->first, first);
    pl_when_format(v->last, last);
    if (v->input_tokens >= 0)
        snprintf(in, sizeof in, "%lld", v->input_tokens);
    if (v->output_tokens >= 0)
        snprintf(out, sizeof out, "%lld", v->output_tokens);
    snprintf(tokens, sizeof tokens, "%s/%s", in, out);
    char cost[32];
    double usd;
    int known;
    conv_cost_fmt(c->cc, v->id, cost, sizeof cost, &usd, &known);
    if (c->o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "id", (double)v->id);
        json_str(j, "namespace", v->ns);
        json_str(j, "first", first);
        json_str(j, "last", last);
        cJSON_AddNumberToObject(j, "calls", (double)v->calls);
        json_str(j, "models", v->models);
        cJSON_AddItemToObject(j, "input_tokens", v->input_tokens < 0 ? cJSON_CreateNull()
                                                                     : cJSON_CreateNumber((double)v->input_tokens));
        cJSON_AddItemToObject(j, "output_tokens", v->output_tokens < 0 ? cJSON_CreateNull()
                                                                       : cJSON_CreateNumber((double)v->output_tokens));
        json_str(j, "first_user_message", v->first_user_message);
        cJSON_AddItemToObject(j, "cost_usd", known ? cJSON_CreateNumber(usd) : cJSON_CreateNull());
        pl_cli_emit(stdout, j);
        cJSON_Delete(j);
        return 0;
    }
    printf("%-6lld ", v->id);
    pl_cli_cell(stdout, v->ns ? v->ns : "-", 10);
    printf(" %-26s  %-26s %5lld ", first, last, v->calls);
    pl_cli_cell(stdout, v->models ? v->models : "-", c->wm);
    printf(" %-13s %-10s ", tokens, cost);
    char msg[1024];
    pl_cli_clip(v->first_user_message, c->wp, msg, sizeof msg);
    printf("%s\n", msg);
    return 0;
}

int pl_cmd_conversations(const pl_cli_opts *o)
{
    pl_store *s = open_threads(o, "messages");
    if (!s)
        return 1;
    pl_prices *prices = pl_cli_prices();
    conv_cost cc = {.prices = prices};
    if (!prices || conv_cost_load(s, o, &cc) != 0) {
        if (prices)
            fprintf(stderr, "prompt-logger: %s: cannot read the calls' costs\n", pl_store_path(s));
        conv_cost_free(&cc);
        pl_prices_free(prices);
        pl_store_close(s);
        return 1;
    }
    /* ID NS FIRST LAST CALLS MODELS IN/OUT COST: 6+1+10+1+26+2+26+1+5+1+wm+1+13+1+10+1 columns */
    int w = pl_cli_term_width();
    size_t wm = 20, fixed = 106, wp = 50;
    if (w > 0) {
        wm = (size_t)w > fixed + 20 + 20 ? 20 : 10;
        wp = (size_t)w > fixed + wm + 12 ? (size_t)w - fixed - wm : 12;
    }
    if (!o->json) {
        printf("%-6s %-10s %-26s  %-26s %5s ", "ID", "NAMESPACE", "FIRST", "LAST", "CALLS");
        pl_cli_cell(stdout, "MODELS", wm);
        printf(" %-13s %-10s %s\n", "IN/OUT", "COST_USD", "FIRST USER MESSAGE");
    }
    conv_view c = {.o = o, .cc = &cc, .wm = wm, .wp = wp};
    pl_store_filter f = filter_of(o);
    char err[768] = "";
    int bad = pl_store_each_conversation(s, &f, conv_cb, &c, err, sizeof err) != 0;
    if (bad)
        fprintf(stderr, "prompt-logger: %s\n", err);
    pl_store_close(s);
    conv_cost_free(&cc);
    pl_prices_free(prices);
    return bad ? 1 : pl_cli_close_out(stdout, NULL);
}

static int version_cb(const pl_store_prompt_version *v, void *vctx)
{
    const pl_cli_opts *o = vctx;
    char first[PL_WHEN_LEN], last[PL_WHEN_LEN];
    pl_when_format(v->first, first);
    pl_when_format(v->last, last);
    const char *tools = v->tools;
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        json_str(j, "namespace", v->ns);
        cJSON_AddNumberToObject(j, "version", (double)v->version);
        json_str(j, "first_used", first);
        json_str(j, "last_used", last);
        cJSON_AddNumberToObject(j, "calls", (double)v->calls);
        json_str(j, "models", v->models);
        json_str(j, "system_prompt", v->system_prompt);
        cJSON *t = tools ? cJSON_Parse(tools) : NULL;
        cJSON_AddItemToObject(j, "tools", t ? t : cJSON_CreateArray());
        pl_cli_emit(stdout, j);
        cJSON_Delete(j);
        return 0;
    }
    pl_cli_cell(stdout, v->ns ? v->ns : "-", 10);
    printf(" %3lld %-26s  %-26s %5lld ", v->version, first, last, v->calls);
    pl_cli_cell(stdout, v->models ? v->models : "-", 20);
    char text[512];
    pl_cli_clip(v->system_prompt ? v->system_prompt : "", 60, text, sizeof text);
    printf(" %s%s%s\n", text, tools && strcmp(tools, "[]") != 0 ? "  tools: " : "",
           tools && strcmp(tools, "[]") != 0 ? tools : "");
    return 0;
}

int pl_cmd_prompts(const pl_cli_opts *o)
{
    pl_store *s = open_threads(o, "tool_lists");
    if (!s)
        return 1;
    if (!o->json)
        printf("%-10s %3s %-26s  %-26s %5s %-20s %s\n", "NAMESPACE", "V", "FIRST USED", "LAST USED", "CALLS", "MODELS",
               "SYSTEM PROMPT / TOOLS");
    pl_store_filter f = filter_of(o);
    f.limit = 0;
    char err[768] = "";
    int bad = pl_store_each_prompt_version(s, &f, version_cb, (void *)o, err, sizeof err) != 0;
    if (bad)
        fprintf(stderr, "prompt-logger: %s\n", err);
    pl_store_close(s);
    return bad ? 1 : pl_cli_close_out(stdout, NULL);
}

static int turn_cb(const pl_store_turn *t, void *ctx)
{
    (void)ctx;
    const char *role = t->role ? t->role : "?", *content = t->content, *calls = t->tool_calls;
    const char *tcid = t->tool_call_id;
    printf("  %s%s%s%s:", strcmp(t->side ? t->side : "", "output") == 0 ? "-> " : "", role, tcid ? " " : "",
           tcid ? tcid : "");
    if (content && *content) {
        /* indent continuation lines under the role */
        fputc(' ', stdout);
        for (const char *p = content; *p; p++) {
            fputc(*p, stdout);
            if (*p == '\n' && p[1])
                fputs("      ", stdout);
        }
    }
    if (calls && *calls && strcmp(calls, "[]") != 0)
        printf("%stool_calls: %s", content && *content ? "\n      " : " ", calls);
    if (t->finish_reason)
        printf("  [%s]", t->finish_reason);
    fputc('\n', stdout);
    return 0;
}

/* The conversation's calls, copied (the store is not called from inside an iteration). */
typedef struct conv_calls {
    struct seen { long long id, parent; double started_at; char *model, *ns, *input; } *v;
    size_t n, cap;
    int oom;
} conv_calls;

static char *dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int call_cb(const pl_store_conv_call *c, void *vctx)
{
    conv_calls *cc = vctx;
    if (cc->n == cc->cap) {
        size_t cap = cc->cap ? cc->cap * 2 : 16;
        struct seen *nv = realloc(cc->v, cap * sizeof *nv);
        if (!nv)
            return cc->oom = 1;
        cc->v = nv;
        cc->cap = cap;
    }
    cc->v[cc->n++] = (struct seen){c->id, c->parent_id, c->started_at, dup0(c->model), dup0(c->ns), NULL};
    return 0;
}

int pl_cmd_show_conversation(const pl_cli_opts *o)
{
    pl_store *s = open_threads(o, "messages");
    if (!s)
        return 1;
    conv_calls cc = {0};
    char err[768] = "";
    int bad = pl_store_each_conversation_call(s, o->id, call_cb, &cc, err, sizeof err) != 0;
    if (bad)
        fprintf(stderr, "prompt-logger: %s\n", err);
    /* children seen so far per parent, with their inputs: a retry repeats one, a branch does not */
    for (size_t k = 0; !bad && k < cc.n; k++) {
        struct seen *me = &cc.v[k];
        long long id = me->id, parent = me->parent;
        int has_parent = parent >= 0;
        char when[PL_WHEN_LEN];
        pl_when_format(me->started_at, when);
        if (k == 0)
            printf("conversation %lld (namespace %s)\n", id, me->ns ? me->ns : "-");
        me->input = pl_store_own_input(s, id);
        const char *mark = "";
        long long other = -1;
        for (size_t i = 0; i < k; i++) {
            if (cc.v[i].parent != parent || !has_parent)
                continue;
            if (me->input && cc.v[i].input && strcmp(cc.v[i].input, me->input) == 0) {
                mark = "retry of";
                other = cc.v[i].id;
                break;
            }
            mark = "branch from";
            other = parent;
        }
        printf("\ncall %lld  %s  %s", id, when, me->model ? me->model : "-");
        if (*mark)
            printf("  [%s %lld]", mark, other);
        else if (has_parent)
            printf("  [continues %lld]", parent);
        fputc('\n', stdout);
        pl_store_each_own_turn(s, id, turn_cb, NULL, err, sizeof err);
    }
    if (!bad && cc.n == 0) {
        fprintf(stderr, "prompt-logger: no conversation with a call %lld\n", o->id);
        bad = 1;
    }
    for (size_t i = 0; i < cc.n; i++) {
        free(cc.v[i].input);
        free(cc.v[i].model);
        free(cc.v[i].ns);
    }
    free(cc.v);
    pl_store_close(s);
    return bad ? 1 : pl_cli_close_out(stdout, NULL);
}
