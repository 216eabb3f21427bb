/* delete.c — `prompt-logger delete`: removes calls by id, namespace and/or age, after asking on a
 * terminal (or with --yes), then optionally VACUUMs. The question is asked before the write
 * transaction starts, so a user thinking it over never holds the lock capture needs. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "when.h"

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

int pl_cmd_delete(const pl_cli_opts *o)
{
    pl_delete_sel sel = {.id = o->id, .ns = o->ns_given ? o->ns : NULL, .before = o->before};
    int selected = sel.id > 0 || sel.ns || sel.before > 0;
    if (!selected && !o->vacuum) {
        fprintf(stderr, "prompt-logger delete: say what to delete: an ID, --namespace or --before (or only --vacuum)\n");
        return 2;
    }
    int tty = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    if (selected && !o->yes && !tty) {
        fprintf(stderr, "prompt-logger delete: not on a terminal, so nothing is asked: add --yes to delete\n");
        return 2;
    }
    pl_db *d = NULL;
    char err[768] = "";
    if (pl_db_open(o->database, 1, &d, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return 1;
    }
    int rc = 0;
    long long deleted = 0;
    if (selected) {
        long long n = 0;
        if (pl_db_delete_count(d, &sel, &n, err, sizeof err) != 0) {
            fprintf(stderr, "prompt-logger: %s\n", err);
            pl_db_close(d);
            return 1;
        }
        if (n == 0) {
            if (sel.id > 0 && !sel.ns && sel.before <= 0) {
                fprintf(stderr, "prompt-logger: no call with id %lld\n", sel.id);
                pl_db_close(d);
                return 1;
            }
            printf("no call matches; nothing deleted\n");
        } else if (pl_db_has(d, "call_messages")) {
            /* The readable store (schema 3) compresses bodies against other calls' bodies, lets a
             * call inherit its parent's messages, and capturing processes cache message ids: a
             * delete would have to rewrite references other writers hold. Until the store offers
             * that, refuse rather than break. */
            fprintf(stderr, "prompt-logger: %s is a readable store (schema 3), whose calls refer to each other; "
                            "delete is not supported on it yet\n", pl_db_path(d));
            pl_db_close(d);
            return 1;
        } else {
            if (!o->yes) {
                char when[PL_WHEN_LEN] = "";
                if (sel.before > 0)
                    pl_when_format(sel.before, when);
                fprintf(stderr, "Delete %lld call(s)%s%s%s%s from %s? [y/N] ", n, sel.ns ? " of namespace " : "",
                        sel.ns ? sel.ns : "", sel.before > 0 ? " started before " : "", when, pl_db_path(d));
                char answer[16] = "";
                if (!fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
                    fprintf(stderr, "nothing deleted\n");
                    pl_db_close(d);
                    return 1;
                }
            }
            if (pl_db_delete(d, &sel, &deleted, err, sizeof err) != 0) {
                fprintf(stderr, "prompt-logger: %s\n", err);
                pl_db_close(d);
                return 1;
            }
            printf("deleted %lld call(s)\n", deleted);
        }
    }
    if (o->vacuum) {
        long long before = file_size(pl_db_path(d));
        if (pl_db_vacuum(d, err, sizeof err) != 0) {
            fprintf(stderr, "prompt-logger: %s\n", err);
            rc = 1;
        } else {
            printf("vacuumed: %lld -> %lld bytes\n", before, file_size(pl_db_path(d)));
        }
    }
    pl_db_close(d);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 1);
}
