/* delete.c — `prompt-logger delete`: removes calls by id, conversation, namespace and/or age
 * through the store (pl_store_delete), after asking on a terminal (or with --yes), then
 * optionally VACUUMs.
 *
 * The selection is counted and the question asked on a read-only connection, before the store
 * is opened for writing: a user thinking it over never holds the lock capture needs, and an
 * answer of no (or any refusal) leaves the file untouched, even an older one that opening for
 * writing would upgrade. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "when.h"
#include "../store/store.h"

static long long file_size(const char *path)
{
    struct stat st;
    long long n = stat(path, &st) == 0 ? (long long)st.st_size : 0;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &st) == 0)
        n += (long long)st.st_size;
    return n;
}

/* Capture's busy timeout ($PROMPTLOG_BUSY_TIMEOUT_MS), at least 5 s: a delete waits for a
 * capturing writer at least as long as captures wait for each other. */
static int busy_ms(void)
{
    const char *env = getenv("PROMPTLOG_BUSY_TIMEOUT_MS");
    int ms = env ? atoi(env) : 0;
    return ms > 5000 ? ms : 5000;
}

static int take_conversation(const pl_row *r, void *ctx)
{
    *(long long *)ctx = r->conversation_id > 0 ? r->conversation_id : 0;
    return 1;
}

/* -c ID: the conversation call ID belongs to (as for show -c). 0, 1 (no such call) or -1. */
static int resolve_conversation(pl_store *s, pl_store_delete_sel *sel, long long id, char *err, size_t errlen)
{
    long long conv = -1;
    pl_store_query q = {.id = id, .no_bodies = 1, .no_headers = 1};
    if (pl_store_each_row_q(s, &q, take_conversation, &conv, err, errlen) != 0)
        return -1;
    if (conv < 0)
        return 1;
    if (conv > 0) {
        sel->conversation = conv;
        sel->id = 0;
    }
    return 0;   /* a call outside any conversation: just that call */
}

static int ask(const pl_store_delete_sel *sel, long long n, const char *path)
{
    char when[PL_WHEN_LEN] = "", conv[64] = "";
    if (sel->before > 0)
        pl_when_format(sel->before, when);
    if (sel->conversation > 0)
        snprintf(conv, sizeof conv, " of conversation %lld", sel->conversation);
    fprintf(stderr, "Delete %lld call(s)%s%s%s%s%s from %s? [y/N] ", n, conv, sel->ns ? " of namespace " : "",
            sel->ns ? sel->ns : "", sel->before > 0 ? " started before " : "", when, path);
    char answer[16] = "";
    if (!fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
        fprintf(stderr, "nothing deleted\n");
        return 0;
    }
    return 1;
}

int pl_cmd_delete(const pl_cli_opts *o)
{
    pl_store_delete_sel sel = {.id = o->id, .ns = o->ns_given ? o->ns : NULL, .before = o->before};
    if (o->conversation && o->id <= 0) {
        fprintf(stderr, "prompt-logger delete: --conversation needs the ID of a call of the conversation (see prompt-logger delete --help)\n");
        return 2;
    }
    int selected = sel.id > 0 || sel.ns || sel.before > 0;
    if (!selected && !o->vacuum) {
        fprintf(stderr, "prompt-logger delete: say what to delete: an ID, --conversation ID, --namespace or --before (or only --vacuum)\n");
        return 2;
    }
    int tty = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    if (selected && !o->yes && !tty) {
        fprintf(stderr, "prompt-logger delete: not on a terminal, so nothing is asked: add --yes to delete\n");
        return 2;
    }
    pl_store_options opts = {.busy_timeout_ms = busy_ms()};
    pl_store *s = NULL;
    char err[768] = "";
    if (pl_store_open(o->database, PL_STORE_READONLY, &opts, &s, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    char *path = pl_store_path_from_url(o->database);
    long long n = 0;
    int rc = 0, go = selected;
    if (selected && o->conversation && (rc = resolve_conversation(s, &sel, o->id, err, sizeof err)) != 0) {
        if (rc > 0)
            snprintf(err, sizeof err, "no call with id %lld", o->id);
        rc = 1;
    }
    if (!rc && selected && pl_store_delete_count(s, &sel, &n, err, sizeof err) != 0)
        rc = 1;
    pl_store_close(s);
    s = NULL;
    if (!rc && selected && n == 0) {
        go = 0;
        if (sel.id > 0 && !sel.ns && sel.before <= 0) {
            snprintf(err, sizeof err, "no call with id %lld", sel.id);
            rc = 1;
        } else {
            printf("no call matches; nothing deleted\n");
        }
    }
    if (!rc && go && !o->yes && !ask(&sel, n, path ? path : o->database))
        rc = -1;   /* answered no: exit 1, said already */
    if (!rc && (go || o->vacuum) && pl_store_open(o->database, 0, &opts, &s, err, sizeof err) != 0)
        rc = 1;
    if (!rc && go) {
        pl_store_delete_stats st;
        if (pl_store_delete(s, &sel, &st, err, sizeof err) != 0) {
            rc = 1;
        } else {
            printf("deleted %lld call(s)\n", st.calls);
            if (st.messages || st.tool_lists || st.bodies_reencoded || st.relinked)
                printf("also removed %lld message(s) and %lld tool list(s) no call uses any more; "
                       "re-linked %lld call(s), re-encoded %lld body(ies) standalone\n",
                       st.messages, st.tool_lists, st.relinked, st.bodies_reencoded);
        }
    }
    if (!rc && o->vacuum) {
        long long before = file_size(path ? path : "");
        if (pl_store_vacuum(s, err, sizeof err) != 0)
            rc = 1;
        else
            printf("vacuumed: %lld -> %lld bytes\n", before, file_size(path ? path : ""));
    }
    if (rc > 0)
        fprintf(stderr, "prompt-logger: %s\n", err);
    pl_store_close(s);
    free(path);
    if (rc)
        return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
