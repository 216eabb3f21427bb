/* report_prompts.c — the report's prompt versions: the store's prompt_versions view (so the
 * numbers are those of `prompt-logger prompts` and `diff --prompt`), counted over the report's
 * calls, each with the diff that introduced it, made by diff.c as `diff --prompt` prints it. */
#include "report_prompts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

#define MAX_VERSIONS 60        /* per namespace: the newest, the file stays small */
#define MAX_SYSTEM_TEXT 8000   /* characters of a system prompt shown in full */

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

typedef struct prompts_ctx {
    cJSON *out, *ns, *versions;
} prompts_ctx;

/* One version: its numbers, system prompt and tool names (the diffs come after the iteration:
 * the store is not called from inside one). */
static int use_cb(const pl_store_version_use *u, void *vctx)
{
    prompts_ctx *c = vctx;
    const char *name = u->ns ? u->ns : "";
    if (!c->ns || strcmp(cJSON_GetObjectItemCaseSensitive(c->ns, "namespace")->valuestring, name) != 0) {
        c->ns = cJSON_CreateObject();
        cJSON_AddStringToObject(c->ns, "namespace", name);
        cJSON_AddNumberToObject(c->ns, "versions_total", 0);
        c->versions = cJSON_AddArrayToObject(c->ns, "versions");
        cJSON_AddItemToArray(c->out, c->ns);
    }
    cJSON *total = cJSON_GetObjectItemCaseSensitive(c->ns, "versions_total");
    cJSON_SetNumberValue(total, total->valuedouble + 1);
    if (cJSON_GetArraySize(c->versions) >= MAX_VERSIONS)   /* rows come newest version first */
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", (double)u->version);
    cJSON_AddNumberToObject(o, "calls", (double)u->calls);
    cJSON_AddNumberToObject(o, "first", u->first);
    cJSON_AddNumberToObject(o, "last", u->last);
    cJSON_AddItemToObject(o, "models", str_or_null(u->models));
    cJSON *t = u->tools ? cJSON_Parse(u->tools) : NULL;
    cJSON_AddItemToObject(o, "tools", t ? t : cJSON_CreateArray());
    cJSON_AddItemToObject(o, "system", str_or_null(u->system));
    cJSON_AddBoolToObject(o, "system_cut", u->system_len > MAX_SYSTEM_TEXT);
    cJSON_AddItemToArray(c->versions, o);
    return 0;
}

int pl_report_prompts(const char *database, const pl_report_filter *f, cJSON *root, char *err, size_t errlen)
{
    cJSON *out = cJSON_AddArrayToObject(root, "prompts");
    pl_store *s = NULL;
    if (pl_store_open(database, PL_STORE_READONLY, NULL, &s, err, errlen) != 0)
        return -1;
    if (!pl_store_has(s, "prompt_versions")) {
        cJSON_AddStringToObject(root, "prompts_note", "no prompt versions: a schema 1 database (the readable store adds them)");
        pl_store_close(s);
        return 0;
    }
    pl_store_version_scope sc = {.ns = f->ns, .since = f->since, .until = f->until, .last = f->last, .upto = f->upto,
                                 .max_text = MAX_SYSTEM_TEXT};
    prompts_ctx c = {.out = out};
    int rc = pl_store_each_version_use(s, &sc, use_cb, &c, err, errlen);
    /* each version's diff from the one before it */
    const cJSON *ns;
    cJSON_ArrayForEach(ns, out)
    {
        if (rc != 0)
            break;
        const char *name = cJSON_GetObjectItemCaseSensitive(ns, "namespace")->valuestring;
        cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(ns, "versions"))
        {
            long long n = (long long)cJSON_GetObjectItemCaseSensitive(v, "version")->valuedouble;
            if (n <= 1)
                continue;
            char derr[256] = "";
            char *d = pl_diff_prompt_versions(s, name, n - 1, n, derr, sizeof derr);
            cJSON_AddItemToObject(v, "diff", d ? cJSON_CreateString(d) : cJSON_CreateNull());
            if (!d)
                cJSON_AddStringToObject(v, "diff_error", derr);
            free(d);
        }
    }
    pl_store_close(s);
    return rc;
}
