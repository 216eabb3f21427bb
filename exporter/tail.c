/* tail.c — `prompt-logger tail [-f]`: the last calls, then (with -f) each new call as it is
 * committed. While idle it asks SQLite only for PRAGMA data_version, which changes when another
 * connection commits: one cheap page-header read per interval instead of a query. */
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "cost.h"
#include "views.h"

typedef struct tail_ctx {
    const pl_prices *prices;
    pl_list_fmt fmt;
    int json, failed;
    long long last_id;
} tail_ctx;

static int tail_cb(const pl_row *r, void *vctx)
{
    tail_ctx *c = vctx;
    double usd = pl_cost_usd(c->prices, r);
    if (c->json) {
        cJSON *o = pl_view_row_json(r, usd);
        c->failed = !o || pl_cli_emit(stdout, o);
        cJSON_Delete(o);
    } else {
        pl_view_list_line(stdout, &c->fmt, r, usd);
        c->failed = ferror(stdout) != 0;
    }
    if (r->id > c->last_id)
        c->last_id = r->id;
    return c->failed;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

int pl_cmd_tail(const pl_cli_opts *o)
{
    pl_prices *prices = pl_cli_prices();
    if (!prices)
        return 1;
    pl_store *s = pl_cli_open_db(o->database);
    char err[768] = "";
    if (!s) {
        pl_prices_free(prices);
        return 1;
    }
    tail_ctx c = {.prices = prices, .json = o->json};
    pl_view_list_layout(&c.fmt);
    if (!o->json)
        pl_view_list_header(stdout, &c.fmt);
    long long version = 0, deletion = 0, unused;
    int rc = 0;
    /* read the version first: a commit between it and the query is then seen by the next poll */
    if (pl_store_data_version(s, &version) != 0 || pl_store_last_deletion(s, &deletion, &unused) != 0 ||
        pl_store_max_id(s, &c.last_id) != 0) {
        fprintf(stderr, "prompt-logger: %s: cannot read the database\n", pl_store_path(s));
        rc = -1;
    }
    if (rc == 0 && o->limit > 0) {
        pl_store_query q = {0};
        q.ns = o->ns;
        q.last = o->limit;
        c.last_id = 0;
        rc = pl_store_each_row_q(s, &q, tail_cb, &c, err, sizeof err);
        if (rc == 0 && c.last_id == 0)
            rc = pl_store_max_id(s, &c.last_id);
    }
    fflush(stdout);
    while (rc == 0 && o->follow && !c.failed) {
        sleep_s(o->interval > 0 ? o->interval : 0.25);
        long long v;
        if (pl_store_data_version(s, &v) != 0) {
            snprintf(err, sizeof err, "%s: cannot read the database", pl_store_path(s));
            rc = -1;
            break;
        }
        if (v == version)
            continue;
        version = v;
        /* a delete of the newest calls lets SQLite hand their ids out again: go on from the
         * largest id it left, or the calls given those ids would never show */
        long long gen, max_id;
        if (pl_store_last_deletion(s, &gen, &max_id) == 0 && gen != deletion) {
            deletion = gen;
            if (max_id < c.last_id)
                c.last_id = max_id;
        }
        pl_store_query q = {0};
        q.ns = o->ns;
        q.after_id = c.last_id;
        rc = pl_store_each_row_q(s, &q, tail_cb, &c, err, sizeof err);
        fflush(stdout);
    }
    if (rc != 0 && err[0])
        fprintf(stderr, "prompt-logger: %s\n", err);
    pl_store_close(s);
    pl_prices_free(prices);
    if (rc != 0 || c.failed)
        return 1;
    return pl_cli_close_out(stdout, NULL);
}
