/* diff.c — `prompt-logger diff A B`: a unified diff of two calls, each first written as the same
 * plain-text outline (model, params, tools, messages, completion) built from the normalized
 * record, so the diff shows what changed in the conversation rather than in the JSON bytes.
 * Line diff by longest common subsequence (the outlines are small; a cap keeps it bounded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/buf.h"

#include "cli.h"
#include "commands.h"
#include "diff.h"
#include "export.h"
#include "when.h"

#define MAX_LINES 4000      /* per side: the LCS table is MAX_LINES^2 shorts at most */
#define CONTEXT 3

typedef struct side {
    long long id;
    int found;
    char *header;           /* "call 1  2026-11-20 10:00:00 +00:00  openai/gpt-4o" */
    char *text;             /* the outline; lines point into it */
    char **lines;
    size_t n;
} side;

static void add_indented(pl_buf *b, const char *indent, const char *text)
{
    const char *p = text;
    do {
        size_t len = strcspn(p, "\n");
        pl_buf_append_str(b, indent);
        pl_buf_append(b, p, len);
        pl_buf_append_str(b, "\n");
        p += len;
    } while (*p++ == '\n' && *p);
}

static void add_json(pl_buf *b, const char *indent, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        add_indented(b, indent, v->valuestring);
        return;
    }
    char *t = cJSON_Print(v);
    if (t)
        add_indented(b, indent, t);
    cJSON_free(t);
}

/* One message or completion: "[i] role", its text, its tool calls, its tool-call id. */
static void add_message(pl_buf *b, int i, const cJSON *m)
{
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
    char head[96];
    snprintf(head, sizeof head, "  [%d] %s\n", i, cJSON_IsString(role) ? role->valuestring : "?");
    pl_buf_append_str(b, head);
    for (const cJSON *f = m ? m->child : NULL; f; f = f->next) {
        if (!f->string || strcmp(f->string, "role") == 0)
            continue;
        if (strcmp(f->string, "content") == 0) {
            add_json(b, "      ", f);
        } else if (cJSON_IsString(f) || cJSON_IsNumber(f) || cJSON_IsBool(f)) {
            char *v = cJSON_IsString(f) ? NULL : cJSON_PrintUnformatted(f);
            pl_buf_append_str(b, "      ");
            pl_buf_append_str(b, f->string);
            pl_buf_append_str(b, ": ");
            pl_buf_append_str(b, v ? v : f->valuestring);
            pl_buf_append_str(b, "\n");
            cJSON_free(v);
        } else {
            char key[96];
            snprintf(key, sizeof key, "      %s:\n", f->string);
            pl_buf_append_str(b, key);
            add_json(b, "        ", f);
        }
    }
}

static int outline_cb(const pl_row *r, void *vctx)
{
    side *s = vctx;
    s->found = 1;
    cJSON *rec = pl_export_record(r);
    pl_buf b = {0};
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(rec, "model");
    pl_buf_append_str(&b, "model: ");
    pl_buf_append_str(&b, cJSON_IsString(model) ? model->valuestring : r->model ? r->model : "-");
    pl_buf_append_str(&b, "\nprovider: ");
    pl_buf_append_str(&b, r->provider ? r->provider : "-");
    pl_buf_append_str(&b, "\napi: ");
    pl_buf_append_str(&b, r->api ? r->api : "-");
    pl_buf_append_str(&b, "\nparams:\n");
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(rec, "generation_kwargs");
    /* sorted, so two calls listing the same parameters in another order do not differ */
    size_t nk = (size_t)cJSON_GetArraySize(kw), k = 0;
    const cJSON **keys = nk ? calloc(nk, sizeof *keys) : NULL;
    for (const cJSON *f = kw ? kw->child : NULL; f && keys; f = f->next)
        keys[k++] = f;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            if (strcmp(keys[j]->string, keys[i]->string) < 0) {
                const cJSON *t = keys[i];
                keys[i] = keys[j];
                keys[j] = t;
            }
    for (size_t i = 0; i < k; i++) {
        char *v = cJSON_PrintUnformatted(keys[i]);
        pl_buf_append_str(&b, "  ");
        pl_buf_append_str(&b, keys[i]->string);
        pl_buf_append_str(&b, ": ");
        pl_buf_append_str(&b, v ? v : "?");
        pl_buf_append_str(&b, "\n");
        cJSON_free(v);
    }
    free(keys);
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(rec, "tools");
    pl_buf_append_str(&b, "tools:\n");
    for (const cJSON *t = tools ? tools->child : NULL; t; t = t->next)
        add_json(&b, "  ", t);
    const char *kind = r->kind ? r->kind : "";
    if (strcmp(kind, "text") == 0) {
        pl_buf_append_str(&b, "prompt:\n");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(rec, "prompt");
        if (p)
            add_json(&b, "  ", p);
        pl_buf_append_str(&b, "completion:\n");
        p = cJSON_GetObjectItemCaseSensitive(rec, "response");
        if (p)
            add_json(&b, "  ", p);
    } else {
        pl_buf_append_str(&b, "messages:\n");
        int i = 0;
        for (const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec, "messages") ? cJSON_GetObjectItemCaseSensitive(rec, "messages")->child : NULL; m; m = m->next)
            add_message(&b, i++, m);
        pl_buf_append_str(&b, "completion:\n");
        i = 0;
        for (const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec, "completions") ? cJSON_GetObjectItemCaseSensitive(rec, "completions")->child : NULL; m; m = m->next)
            add_message(&b, i++, m);
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "error");
    if (cJSON_IsString(err) || (r->error && *r->error)) {
        pl_buf_append_str(&b, "error: ");
        pl_buf_append_str(&b, cJSON_IsString(err) ? err->valuestring : r->error);
        pl_buf_append_str(&b, "\n");
    }
    cJSON_Delete(rec);
    s->text = pl_buf_detach(&b);
    char when[PL_WHEN_LEN];
    pl_when_format(r->started_at, when);
    size_t hl = 64 + strlen(when) + (r->model ? strlen(r->model) : 1);
    s->header = malloc(hl);
    if (s->header)
        snprintf(s->header, hl, "call %lld  %s  %s", r->id, when, r->model ? r->model : "-");
    return 1;
}

static int split_lines(side *s)
{
    size_t cap = 16;
    s->lines = malloc(cap * sizeof *s->lines);
    if (!s->lines || !s->text)
        return -1;
    for (char *p = s->text; *p;) {
        if (s->n == cap) {
            char **l = realloc(s->lines, (cap *= 2) * sizeof *l);
            if (!l)
                return -1;
            s->lines = l;
        }
        s->lines[s->n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return 0;
}

typedef struct colors {
    const char *del, *add, *hunk, *head, *off;
} colors;

/* Writes the unified diff of a and b from the LCS table (suffix lengths) to out. */
static void unified(FILE *out, const side *a, const side *b, const unsigned short *L, const colors *c)
{
    size_t n = a->n, m = b->n, w = m + 1;
    /* the edit script: 0 same, 1 delete (a), 2 insert (b) */
    size_t cap = n + m + 1, ne = 0;
    unsigned char *op = malloc(cap);
    size_t *ia = malloc(cap * sizeof *ia), *ib = malloc(cap * sizeof *ib);
    if (!op || !ia || !ib)
        goto out;
    for (size_t i = 0, j = 0; i < n || j < m;) {
        ia[ne] = i;
        ib[ne] = j;
        if (i < n && j < m && strcmp(a->lines[i], b->lines[j]) == 0) {
            op[ne++] = 0;
            i++;
            j++;
        } else if (i < n && (j == m || L[(i + 1) * w + j] >= L[i * w + j + 1])) {
            op[ne++] = 1;   /* deletions first, as diff -u prints them */
            i++;
        } else {
            op[ne++] = 2;
            j++;
        }
    }
    fprintf(out, "%s--- %s%s\n%s+++ %s%s\n", c->head, a->header, c->off, c->head, b->header, c->off);
    for (size_t k = 0; k < ne;) {
        if (op[k] == 0) {
            k++;
            continue;
        }
        /* a hunk: CONTEXT lines around each change; changes closer than 2*CONTEXT share one */
        size_t start = k >= CONTEXT ? k - CONTEXT : 0, last = k;
        for (size_t t = k + 1; t < ne && t - last <= 2 * CONTEXT + 1; t++)
            if (op[t] != 0)
                last = t;
        size_t end = last + 1 + CONTEXT < ne ? last + 1 + CONTEXT : ne;
        size_t na = 0, nb = 0;
        for (size_t t = start; t < end; t++) {
            na += op[t] != 2;
            nb += op[t] != 1;
        }
        fprintf(out, "%s@@ -%zu,%zu +%zu,%zu @@%s\n", c->hunk, na ? ia[start] + 1 : ia[start], na, nb ? ib[start] + 1 : ib[start],
               nb, c->off);
        for (size_t t = start; t < end; t++) {
            if (op[t] == 0)
                fprintf(out, " %s\n", a->lines[ia[t]]);
            else if (op[t] == 1)
                fprintf(out, "%s-%s%s\n", c->del, a->lines[ia[t]], c->off);
            else
                fprintf(out, "%s+%s%s\n", c->add, b->lines[ib[t]], c->off);
        }
        k = end;
    }
out:
    free(op);
    free(ia);
    free(ib);
}

/* The unified diff of two loaded sides to out (nothing when they are equal). Returns 0, 1 when a
 * side is longer than MAX_LINES, -1 out of memory. */
static int diff_write(FILE *out, side sides[2], const colors *c)
{
    if (sides[0].n > MAX_LINES || sides[1].n > MAX_LINES)
        return 1;
    size_t n = sides[0].n, m = sides[1].n, w = m + 1;
    unsigned short *L = calloc((n + 1) * w, sizeof *L);
    if (!L)
        return -1;
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L[i * w + j] = strcmp(sides[0].lines[i], sides[1].lines[j]) == 0
                               ? (unsigned short)(L[(i + 1) * w + j + 1] + 1)
                               : (L[(i + 1) * w + j] > L[i * w + j + 1] ? L[(i + 1) * w + j] : L[i * w + j + 1]);
    int same = n == m;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(sides[0].lines[i], sides[1].lines[i]) == 0;
    if (!same)
        unified(out, &sides[0], &sides[1], L, c);
    free(L);
    return 0;
}

/* The unified diff of two loaded sides on stdout. Returns the exit status. */
static int diff_sides(side sides[2])
{
    const char *nc = getenv("NO_COLOR");
    int color = isatty(STDOUT_FILENO) && !(nc && *nc);
    colors c = color ? (colors){"\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"} : (colors){"", "", "", "", ""};
    int r = diff_write(stdout, sides, &c);
    if (r > 0)
        fprintf(stderr, "prompt-logger: too long to diff (more than %d lines of outline)\n", MAX_LINES);
    else if (r < 0)
        fprintf(stderr, "prompt-logger: out of memory\n");
    return r ? 1 : pl_cli_close_out(stdout, NULL);
}

/* The end of both diff commands: the diff when loading went well (rc 0), then the sides freed. */
static int diff_and_free(side sides[2], int rc)
{
    if (rc == 0)
        rc = diff_sides(sides);
    for (int i = 0; i < 2; i++) {
        free(sides[i].text);
        free(sides[i].lines);
        free(sides[i].header);
    }
    return rc;
}

/* `diff ID`: the call it continues, from the readable store's parent_id. 0 after a message. */
static long long parent_of(const pl_cli_opts *o)
{
    pl_store *s = pl_cli_open_db(o->database);
    if (!s)
        return 0;
    long long parent = 0;
    char err[768] = "";
    int rc;
    if (!pl_store_has(s, "call_messages")) {
        fprintf(stderr, "prompt-logger: diff with one ID needs the readable store's conversations (schema 3); "
                        "give two ids\n");
    } else if ((rc = pl_store_parent_of(s, o->id, &parent, err, sizeof err)) < 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        parent = 0;
    } else if (rc > 0) {
        fprintf(stderr, "prompt-logger: no call with id %lld\n", o->id);
        parent = 0;
    } else if (parent < 0) {
        fprintf(stderr, "prompt-logger: call %lld starts its conversation: nothing before it to diff with\n", o->id);
        parent = 0;
    }
    pl_store_close(s);
    return parent;
}

int pl_cmd_diff(const pl_cli_opts *o)
{
    long long a = o->id, b = o->id2;
    if (b <= 0) {
        b = a;
        a = parent_of(o);
        if (a <= 0)
            return 1;
    }
    pl_store *s = pl_cli_open_db(o->database);
    if (!s)
        return 1;
    side sides[2] = {{.id = a}, {.id = b}};
    char err[768] = "";
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        pl_store_query q = {0};
        q.id = sides[i].id;
        if (pl_store_each_row_q(s, &q, outline_cb, &sides[i], err, sizeof err) != 0) {
            fprintf(stderr, "prompt-logger: %s\n", err);
            rc = 1;
        } else if (!sides[i].found) {
            fprintf(stderr, "prompt-logger: no call with id %lld\n", sides[i].id);
            rc = 1;
        } else if (split_lines(&sides[i]) != 0 || !sides[i].header) {
            fprintf(stderr, "prompt-logger: out of memory\n");
            rc = 1;
        }
    }
    pl_store_close(s);
    return diff_and_free(sides, rc);
}

/* One prompt version of a namespace as an outline: its system prompt and its tool list. */
typedef struct version_ctx {
    const char *ns;
    side *out;
} version_ctx;

static int version_cb(const pl_store_prompt_version *v, void *vctx)
{
    version_ctx *c = vctx;
    side *out = c->out;
    pl_buf b = {0};
    pl_buf_append_str(&b, "system:\n");
    if (v->system_prompt)
        add_indented(&b, "  ", v->system_prompt);
    pl_buf_append_str(&b, "tools:\n");
    cJSON *t = v->tools ? cJSON_Parse(v->tools) : NULL;
    for (const cJSON *e = t ? t->child : NULL; e; e = e->next)
        add_json(&b, "  ", e);
    cJSON_Delete(t);
    out->text = pl_buf_detach(&b);
    char when[PL_WHEN_LEN];
    pl_when_format(v->first, when);
    size_t hl = strlen(c->ns) + 96;
    out->header = malloc(hl);
    if (out->header)
        snprintf(out->header, hl, "%s prompt version %lld  first used %s  %lld calls", c->ns, v->version, when, v->calls);
    out->found = 1;
    return 0;
}

int pl_cmd_diff_prompt(const pl_cli_opts *o)
{
    pl_store *s = pl_cli_open_db(o->database);
    char err[768] = "";
    if (!s)
        return 1;
    if (!pl_store_has(s, "tool_lists")) {
        fprintf(stderr, "prompt-logger: %s has no prompt versions (a schema 1 database; the readable store adds them)\n",
                pl_store_path(s));
        pl_store_close(s);
        return 1;
    }
    char *ns = o->ns ? strdup(o->ns) : NULL;
    if (!ns) {
        /* without -n: the one namespace that has versions */
        long long n = 0;
        pl_store_prompt_namespaces(s, &n, &ns);
        if (n > 1) {
            fprintf(stderr, "prompt-logger diff: prompt versions are numbered per namespace: add -n NS (see prompt-logger diff --help)\n");
            pl_store_close(s);
            return 2;
        }
    }
    side sides[2] = {{.id = o->id}, {.id = o->id2}};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        version_ctx c = {ns, &sides[i]};
        int r = ns ? pl_store_get_prompt_version(s, ns, sides[i].id, version_cb, &c, err, sizeof err) : 1;
        if (r < 0) {
            fprintf(stderr, "prompt-logger: %s\n", err);
            rc = 1;
        } else if (r > 0) {
            fprintf(stderr, "prompt-logger: no prompt version %lld%s%s\n", sides[i].id, ns ? " in namespace " : "",
                    ns ? ns : "");
            rc = 1;
        } else if (split_lines(&sides[i]) != 0 || !sides[i].header) {
            fprintf(stderr, "prompt-logger: out of memory\n");
            rc = 1;
        }
    }
    pl_store_close(s);
    free(ns);
    return diff_and_free(sides, rc);
}

char *pl_diff_prompt_versions(pl_store *s, const char *ns, long long v1, long long v2, char *err, size_t errlen)
{
    side sides[2] = {{.id = v1}, {.id = v2}};
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        version_ctx c = {ns, &sides[i]};
        int r = pl_store_get_prompt_version(s, ns, sides[i].id, version_cb, &c, err, errlen);   /* -1: err set */
        if (r == 0 && split_lines(&sides[i]) == 0 && sides[i].header)
            continue;
        if (r > 0)
            snprintf(err, errlen, "no prompt version %lld in namespace %s", sides[i].id, ns);
        else if (r == 0)
            snprintf(err, errlen, "out of memory");
        rc = 1;
    }
    FILE *out = rc == 0 ? open_memstream(&text, &len) : NULL;
    if (out) {
        int r = diff_write(out, sides, &(colors){"", "", "", "", ""});
        if (fclose(out) != 0 && r == 0)
            r = -1;
        if (r > 0)
            snprintf(err, errlen, "too long to diff (more than %d lines of outline)", MAX_LINES);
        else if (r < 0)
            snprintf(err, errlen, "out of memory");
        if (r != 0) {
            free(text);
            text = NULL;
        }
    } else if (rc == 0) {
        snprintf(err, errlen, "out of memory");
    }
    for (int i = 0; i < 2; i++) {
        free(sides[i].text);
        free(sides[i].lines);
        free(sides[i].header);
    }
    return text;
}
