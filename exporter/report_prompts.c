/* report_prompts.c — the report's prompt versions: the store's prompt_versions view (so the
 * numbers are those of `prompt-logger prompts` and `diff --prompt`), counted over the report's
 * calls, each with the diff that introduced it, made by diff.c as `diff --prompt` prints it. */
#include "report_prompts.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "diff.h"

#define MAX_VERSIONS 60        /* per namespace: the newest, the file stays small */
#define MAX_SYSTEM_TEXT 8000   /* characters of a system prompt shown in full */

/* The view numbers versions over every call; the report's filter only decides which versions
 * appear and what their counts cover. -l N means the newest N of the filtered calls, as in
 * report_data.c's store query. */
static char *versions_sql(const pl_report_filter *f)
{
    char where[256];
    snprintf(where, sizeof where, "%s%s%s%s", f->ns ? " AND namespace = :ns" : "",
             f->since > 0 ? " AND started_at >= :since" : "", f->until > 0 ? " AND started_at < :until" : "",
             f->upto ? " AND id <= :upto" : "");
    char *sql = NULL;
    int n = asprintf(&sql,
                     "WITH f AS (SELECT namespace, system_id, tools_id, count(*) AS n, min(started_at) AS lo,"
                     " max(started_at) AS hi, group_concat(DISTINCT model) AS models FROM calls"
                     " WHERE (system_id IS NOT NULL OR tools_id IS NOT NULL)%s%s%s%s"
                     " GROUP BY namespace, system_id, tools_id)"
                     " SELECT v.namespace, v.version, f.n, f.lo, f.hi, f.models, v.tools,"
                     " (SELECT substr(content, 1, %d) FROM messages WHERE id = v.system_id),"
                     " (SELECT length(content) FROM messages WHERE id = v.system_id)"
                     " FROM prompt_versions v JOIN f ON f.namespace = v.namespace AND f.system_id IS v.system_id"
                     " AND f.tools_id IS v.tools_id ORDER BY v.namespace, v.version DESC",
                     where, f->last > 0 ? " AND id IN (SELECT id FROM calls WHERE 1" : "", f->last > 0 ? where : "",
                     f->last > 0 ? " ORDER BY id DESC LIMIT :last)" : "", MAX_SYSTEM_TEXT);
    return n < 0 ? NULL : sql;
}

static void bind(sqlite3_stmt *st, const pl_report_filter *f)
{
    if (f->ns)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":ns"), f->ns, -1, SQLITE_STATIC);
    if (f->since > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":since"), f->since);
    if (f->until > 0)
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":until"), f->until);
    if (f->last > 0)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":last"), f->last);
    if (f->upto)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":upto"), f->upto);
}

static cJSON *str_or_null(const unsigned char *s)
{
    return s ? cJSON_CreateString((const char *)s) : cJSON_CreateNull();
}

/* One version: its numbers, system prompt and tool names, and the diff from the version before. */
static cJSON *version_json(sqlite3 *db, sqlite3_stmt *st, const char *ns)
{
    long long v = sqlite3_column_int64(st, 1);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", (double)v);
    cJSON_AddNumberToObject(o, "calls", (double)sqlite3_column_int64(st, 2));
    cJSON_AddNumberToObject(o, "first", sqlite3_column_double(st, 3));
    cJSON_AddNumberToObject(o, "last", sqlite3_column_double(st, 4));
    cJSON_AddItemToObject(o, "models", str_or_null(sqlite3_column_text(st, 5)));
    const char *tools = (const char *)sqlite3_column_text(st, 6);
    cJSON *t = tools ? cJSON_Parse(tools) : NULL;
    cJSON_AddItemToObject(o, "tools", t ? t : cJSON_CreateArray());
    cJSON_AddItemToObject(o, "system", str_or_null(sqlite3_column_text(st, 7)));
    cJSON_AddBoolToObject(o, "system_cut", sqlite3_column_int64(st, 8) > MAX_SYSTEM_TEXT);
    if (v > 1) {
        char err[256] = "";
        char *d = pl_diff_prompt_versions(db, ns, v - 1, v, err, sizeof err);
        cJSON_AddItemToObject(o, "diff", d ? cJSON_CreateString(d) : cJSON_CreateNull());
        if (!d)
            cJSON_AddStringToObject(o, "diff_error", err);
        free(d);
    }
    return o;
}

int pl_report_prompts(const char *database, const pl_report_filter *f, cJSON *root, char *err, size_t errlen)
{
    cJSON *out = cJSON_AddArrayToObject(root, "prompts");
    pl_db *d = NULL;
    if (pl_db_open(database, 0, &d, err, errlen) != 0)
        return -1;
    if (!pl_db_has(d, "prompt_versions")) {
        cJSON_AddStringToObject(root, "prompts_note", "no prompt versions: a schema 1 database (the readable store adds them)");
        pl_db_close(d);
        return 0;
    }
    sqlite3 *db = pl_db_sqlite(d);
    char *sql = versions_sql(f);
    sqlite3_stmt *st = NULL;
    int rc = sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK ? SQLITE_OK : SQLITE_ERROR;
    free(sql);
    cJSON *ns = NULL, *versions = NULL;
    if (rc == SQLITE_OK) {
        bind(st, f);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            name = name ? name : "";
            if (!ns || strcmp(cJSON_GetObjectItemCaseSensitive(ns, "namespace")->valuestring, name) != 0) {
                ns = cJSON_CreateObject();
                cJSON_AddStringToObject(ns, "namespace", name);
                cJSON_AddNumberToObject(ns, "versions_total", 0);
                versions = cJSON_AddArrayToObject(ns, "versions");
                cJSON_AddItemToArray(out, ns);
            }
            cJSON *total = cJSON_GetObjectItemCaseSensitive(ns, "versions_total");
            cJSON_SetNumberValue(total, total->valuedouble + 1);
            if (cJSON_GetArraySize(versions) < MAX_VERSIONS)   /* rows come newest version first */
                cJSON_AddItemToArray(versions, version_json(db, st, name));
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "%s: prompt versions: %s", pl_db_path(d), sqlite3_errmsg(db));
    sqlite3_finalize(st);
    pl_db_close(d);
    return rc == SQLITE_OK ? 0 : -1;
}
