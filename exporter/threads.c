/* threads.c — the views of the readable store (schema 3): `conversations` (one line per
 * conversation), `prompts` (system-prompt and tool-list versions) and `show -c ID` (a thread
 * printed once, turn by turn: each call shows only the messages it added, and a call that
 * re-sends a sibling's input is marked a retry, another child of the same parent a branch).
 * They read the store's tables and views (calls.parent_id/conversation_id/inherited,
 * call_messages, messages, prompt_versions) through db.c; a schema 1 database has none of them,
 * which is one clear error. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cost.h"
#include "db.h"
#include "when.h"

static pl_db *open_threads(const pl_cli_opts *o, const char *need)
{
    pl_db *d = NULL;
    char err[768] = "";
    if (pl_db_open(o->database, 0, &d, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return NULL;
    }
    if (!pl_db_has(d, need) || !pl_db_has(d, "call_messages")) {
        fprintf(stderr, "prompt-logger: %s has no conversations or prompt versions (a schema 1 database; "
                        "the readable store adds them)\n", pl_db_path(d));
        pl_db_close(d);
        return NULL;
    }
    return d;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void json_str(cJSON *o, const char *k, const char *v)
{
    cJSON_AddItemToObject(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static void bind_filters(sqlite3_stmt *st, const pl_cli_opts *o)
{
    if (o->ns)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":ns"), o->ns, -1, SQLITE_STATIC);
    if (o->since > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":since"), o->since);
    if (o->until > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":until"), o->until);
    if (o->limit > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), o->limit);
}

/* Cost per conversation: each call's cost (cost.h, which needs the row and its body) summed by
 * conversation id; a call id -> conversation id table from SQL joins the two. */
typedef struct conv_cost {
    long long *call, *conv;         /* sorted by call id */
    size_t n;
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

/* Fills c for every call in a conversation that passes o's filters. 0 or -1 (message printed). */
static int conv_cost_load(pl_db *d, const pl_cli_opts *o, conv_cost *c)
{
    sqlite3 *db = pl_db_sqlite(d);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, conversation_id FROM calls WHERE conversation_id IS NOT NULL ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (c->n == cap) {
            cap = cap ? cap * 2 : 256;
            long long *a = realloc(c->call, cap * sizeof *a), *b = a ? realloc(c->conv, cap * sizeof *b) : NULL;
            if (a)
                c->call = a;
            if (!a || !b) {
                sqlite3_finalize(st);
                return -1;
            }
            c->conv = b;
        }
        c->call[c->n] = sqlite3_column_int64(st, 0);
        c->conv[c->n++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
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
    pl_store *s = pl_cli_open_db(o->database);
    if (!s)
        return -1;
    pl_store_query q = {0};
    q.ns = o->ns;
    char err[768] = "";
    int rc = pl_store_each_row_q(s, &q, cost_cb, c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "prompt-logger: %s\n", err);
    pl_store_close(s);
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

int pl_cmd_conversations(const pl_cli_opts *o)
{
    pl_db *d = open_threads(o, "messages");
    if (!d)
        return 1;
    char sql[1400];
    snprintf(sql, sizeof sql,
             "SELECT * FROM (SELECT c.conversation_id, c.namespace, min(c.started_at), max(c.started_at), count(*),"
             " group_concat(DISTINCT c.model), sum(c.input_tokens), sum(c.output_tokens),"
             " sum(c.parent_id IS NULL AND c.id != c.conversation_id),"
             " (SELECT m.content FROM call_messages cm JOIN messages m ON m.id = cm.message_id"
             "   WHERE cm.call_id = c.conversation_id AND cm.side = 'input' AND m.role IN ('user', 'prompt')"
             "   ORDER BY cm.position LIMIT 1)"
             " FROM calls c WHERE c.conversation_id IS NOT NULL%s GROUP BY c.conversation_id"
             " HAVING 1%s%s ORDER BY c.conversation_id DESC%s) ORDER BY 1",
             o->ns ? " AND c.namespace = :ns" : "", o->since > 0 ? " AND max(c.started_at) >= :since" : "",
             o->until > 0 ? " AND min(c.started_at) < :until" : "", o->limit > 0 ? " LIMIT :limit" : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(pl_db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prompt-logger: %s: %s\n", pl_db_path(d), sqlite3_errmsg(pl_db_sqlite(d)));
        pl_db_close(d);
        return 1;
    }
    bind_filters(st, o);
    pl_prices *prices = pl_cli_prices();
    conv_cost cc = {.prices = prices};
    if (!prices || conv_cost_load(d, o, &cc) != 0) {
        if (prices)
            fprintf(stderr, "prompt-logger: %s: cannot read the calls' costs\n", pl_db_path(d));
        conv_cost_free(&cc);
        pl_prices_free(prices);
        sqlite3_finalize(st);
        pl_db_close(d);
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
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char first[PL_WHEN_LEN], last[PL_WHEN_LEN], tokens[48];
        pl_when_format(sqlite3_column_double(st, 2), first);
        pl_when_format(sqlite3_column_double(st, 3), last);
        snprintf(tokens, sizeof tokens, "%s/%s", sqlite3_column_type(st, 6) == SQLITE_NULL ? "-" : col(st, 6),
                 sqlite3_column_type(st, 7) == SQLITE_NULL ? "-" : col(st, 7));
        if (o->json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "id", (double)sqlite3_column_int64(st, 0));
            json_str(j, "namespace", col(st, 1));
            json_str(j, "first", first);
            json_str(j, "last", last);
            cJSON_AddNumberToObject(j, "calls", (double)sqlite3_column_int64(st, 4));
            json_str(j, "models", col(st, 5));
            cJSON_AddItemToObject(j, "input_tokens", sqlite3_column_type(st, 6) == SQLITE_NULL
                                                         ? cJSON_CreateNull() : cJSON_CreateNumber(sqlite3_column_double(st, 6)));
            cJSON_AddItemToObject(j, "output_tokens", sqlite3_column_type(st, 7) == SQLITE_NULL
                                                          ? cJSON_CreateNull() : cJSON_CreateNumber(sqlite3_column_double(st, 7)));
            json_str(j, "first_user_message", col(st, 9));
            char cost[32];
            double usd;
            int known;
            conv_cost_fmt(&cc, sqlite3_column_int64(st, 0), cost, sizeof cost, &usd, &known);
            cJSON_AddItemToObject(j, "cost_usd", known ? cJSON_CreateNumber(usd) : cJSON_CreateNull());
            pl_cli_emit(stdout, j);
            cJSON_Delete(j);
            continue;
        }
        printf("%-6lld ", sqlite3_column_int64(st, 0));
        pl_cli_cell(stdout, col(st, 1) ? col(st, 1) : "-", 10);
        printf(" %-26s  %-26s %5lld ", first, last, sqlite3_column_int64(st, 4));
        pl_cli_cell(stdout, col(st, 5) ? col(st, 5) : "-", wm);
        char cost[32];
        double usd;
        int known;
        conv_cost_fmt(&cc, sqlite3_column_int64(st, 0), cost, sizeof cost, &usd, &known);
        printf(" %-13s %-10s ", tokens, cost);
        char msg[1024];
        pl_cli_clip(col(st, 9), wp, msg, sizeof msg);
        printf("%s\n", msg);
    }
    int bad = rc != SQLITE_DONE;
    if (bad)
        fprintf(stderr, "prompt-logger: %s: %s\n", pl_db_path(d), sqlite3_errmsg(pl_db_sqlite(d)));
    sqlite3_finalize(st);
    pl_db_close(d);
    conv_cost_free(&cc);
    pl_prices_free(prices);
    return bad ? 1 : pl_cli_close_out(stdout, NULL);
}

int pl_cmd_prompts(const pl_cli_opts *o)
{
    pl_db *d = open_threads(o, "tool_lists");
    if (!d)
        return 1;
    char sql[1400];
    snprintf(sql, sizeof sql,
             "SELECT namespace, row_number() OVER (PARTITION BY namespace ORDER BY min(id)),"
             " min(started_at), max(started_at), count(*), group_concat(DISTINCT model),"
             " (SELECT content FROM messages WHERE id = system_id),"
             " (SELECT json_group_array(coalesce(json_extract(value, '$.function.name'), json_extract(value, '$.name')))"
             "   FROM tool_lists, json_each(tools) WHERE tool_lists.id = tools_id)"
             " FROM calls WHERE (system_id IS NOT NULL OR tools_id IS NOT NULL)%s%s%s"
             " GROUP BY namespace, system_id, tools_id ORDER BY namespace, min(id)",
             o->ns ? " AND namespace = :ns" : "", o->since > 0 ? " AND started_at >= :since" : "",
             o->until > 0 ? " AND started_at < :until" : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(pl_db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prompt-logger: %s: %s\n", pl_db_path(d), sqlite3_errmsg(pl_db_sqlite(d)));
        pl_db_close(d);
        return 1;
    }
    bind_filters(st, o);
    if (!o->json)
        printf("%-10s %3s %-26s  %-26s %5s %-20s %s\n", "NAMESPACE", "V", "FIRST USED", "LAST USED", "CALLS", "MODELS",
               "SYSTEM PROMPT / TOOLS");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char first[PL_WHEN_LEN], last[PL_WHEN_LEN];
        pl_when_format(sqlite3_column_double(st, 2), first);
        pl_when_format(sqlite3_column_double(st, 3), last);
        const char *tools = col(st, 7);
        if (o->json) {
            cJSON *j = cJSON_CreateObject();
            json_str(j, "namespace", col(st, 0));
            cJSON_AddNumberToObject(j, "version", (double)sqlite3_column_int64(st, 1));
            json_str(j, "first_used", first);
            json_str(j, "last_used", last);
            cJSON_AddNumberToObject(j, "calls", (double)sqlite3_column_int64(st, 4));
            json_str(j, "models", col(st, 5));
            json_str(j, "system_prompt", col(st, 6));
            cJSON *t = tools ? cJSON_Parse(tools) : NULL;
            cJSON_AddItemToObject(j, "tools", t ? t : cJSON_CreateArray());
            pl_cli_emit(stdout, j);
            cJSON_Delete(j);
            continue;
        }
        pl_cli_cell(stdout, col(st, 0) ? col(st, 0) : "-", 10);
        printf(" %3lld %-26s  %-26s %5lld ", sqlite3_column_int64(st, 1), first, last, sqlite3_column_int64(st, 4));
        pl_cli_cell(stdout, col(st, 5) ? col(st, 5) : "-", 20);
        char text[512];
        pl_cli_clip(col(st, 6) ? col(st, 6) : "", 60, text, sizeof text);
        printf(" %s%s%s\n", text, tools && strcmp(tools, "[]") != 0 ? "  tools: " : "",
               tools && strcmp(tools, "[]") != 0 ? tools : "");
    }
    int bad = rc != SQLITE_DONE;
    if (bad)
        fprintf(stderr, "prompt-logger: %s: %s\n", pl_db_path(d), sqlite3_errmsg(pl_db_sqlite(d)));
    sqlite3_finalize(st);
    pl_db_close(d);
    return bad ? 1 : pl_cli_close_out(stdout, NULL);
}

/* A call's own input messages as one string (to tell a retry, same input, from a branch). */
static char *own_input(sqlite3 *db, long long id)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(db, "SELECT group_concat(message_id, ',') FROM (SELECT message_id FROM call_messages"
                               " WHERE call_id = ? AND side = 'input' ORDER BY position)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW && col(st, 0))
            out = strdup(col(st, 0));
    }
    sqlite3_finalize(st);
    return out ? out : strdup("");
}

static void print_turns(sqlite3 *db, long long id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT m.role, m.content, m.tool_calls, m.tool_call_id, cm.side, cm.finish_reason"
                               " FROM call_messages cm JOIN messages m ON m.id = cm.message_id"
                               " WHERE cm.call_id = ? ORDER BY cm.position", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *role = col(st, 0) ? col(st, 0) : "?", *content = col(st, 1), *calls = col(st, 2);
        const char *tcid = col(st, 3);
        printf("  %s%s%s%s:", strcmp(col(st, 4) ? col(st, 4) : "", "output") == 0 ? "-> " : "", role,
               tcid ? " " : "", tcid ? tcid : "");
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
        if (col(st, 5))
            printf("  [%s]", col(st, 5));
        fputc('\n', stdout);
    }
    sqlite3_finalize(st);
}

int pl_cmd_show_conversation(const pl_cli_opts *o)
{
    pl_db *d = open_threads(o, "messages");
    if (!d)
        return 1;
    sqlite3 *db = pl_db_sqlite(d);
    sqlite3_stmt *st = NULL;
    /* -c takes a conversation id or any call of it */
    const char *sql = "SELECT id, parent_id, started_at, model, namespace FROM calls WHERE conversation_id ="
                      " (SELECT conversation_id FROM calls WHERE id = ?) ORDER BY id";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prompt-logger: %s: %s\n", pl_db_path(d), sqlite3_errmsg(db));
        pl_db_close(d);
        return 1;
    }
    sqlite3_bind_int64(st, 1, o->id);
    /* children seen so far per parent, with their inputs: a retry repeats one, a branch does not */
    struct seen { long long id, parent; char *input; } *seen = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        int has_parent = sqlite3_column_type(st, 1) != SQLITE_NULL;
        long long parent = has_parent ? sqlite3_column_int64(st, 1) : -1;
        char when[PL_WHEN_LEN];
        pl_when_format(sqlite3_column_double(st, 2), when);
        if (n == 0)
            printf("conversation %lld (namespace %s)\n", id, col(st, 4) ? col(st, 4) : "-");
        char *input = own_input(db, id);
        const char *mark = "";
        long long other = -1;
        for (size_t i = 0; i < n; i++) {
            if (seen[i].parent != parent || !has_parent)
                continue;
            if (input && seen[i].input && strcmp(seen[i].input, input) == 0) {
                mark = "retry of";
                other = seen[i].id;
                break;
            }
            mark = "branch from";
            other = parent;
        }
        printf("\ncall %lld  %s  %s", id, when, col(st, 3) ? col(st, 3) : "-");
        if (*mark)
            printf("  [%s %lld]", mark, other);
        else if (has_parent)
            printf("  [continues %lld]", parent);
        fputc('\n', stdout);
        print_turns(db, id);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct seen *ns = realloc(seen, cap * sizeof *ns);
            if (!ns) {
                free(input);
                break;
            }
            seen = ns;
        }
        seen[n++] = (struct seen){id, parent, input};
    }
    int bad = rc != SQLITE_DONE && rc != SQLITE_ROW;
    if (bad)
        fprintf(stderr, "prompt-logger: %s: %s\n", pl_db_path(d), sqlite3_errmsg(db));
    else if (n == 0) {
        fprintf(stderr, "prompt-logger: no conversation with a call %lld\n", o->id);
        bad = 1;
    }
    for (size_t i = 0; i < n; i++)
        free(seen[i].input);
    free(seen);
    sqlite3_finalize(st);
    pl_db_close(d);
    return bad ? 1 : pl_cli_close_out(stdout, NULL);
}
