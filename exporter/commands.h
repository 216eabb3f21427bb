/* commands.h — the prompt-logger subcommands. Each returns the process exit status: 0 done,
 * 1 failed at run time (message already on stderr). main.c owns argument parsing and usage
 * errors (exit 2); these own the store and the output. Every command opens the database
 * read-only except `delete`. */
#ifndef PL_COMMANDS_H
#define PL_COMMANDS_H

typedef struct pl_cli_opts {
    const char *database;       /* URL or path */
    const char *ns;             /* NULL = every namespace */
    const char *type;           /* "chat" | "text" */
    const char *const *models;  /* NULL-terminated; NULL = every model */
    const char *file;           /* output file, "-" = stdout */
    long long limit;            /* list/tail: newest N rows, 0 = all */
    long long id;               /* show, delete, diff (the first call) */
    long long id2;              /* diff: the second call */
    double since, until;        /* > 0: started_at >= since, < until (epoch seconds) */
    double before;              /* delete: > 0 = calls started before it */
    int all_ns, ns_given;       /* --all-namespaces; -n given */
    int json;                   /* --json: one JSON document, or JSON lines for lists */
    int yes;                    /* delete: no question */
    int vacuum;                 /* delete: VACUUM afterwards */
    int follow;                 /* tail -f */
    int conversation;           /* show -c: ID names a conversation */
    int prompt;                 /* diff --prompt: the ids are prompt versions */
    double interval;            /* tail -f: seconds between data_version checks */
    char **argv;                /* run: the command and its arguments (NULL-terminated) */
    const char *query;          /* search */
    int rebuild;                /* export prompts: re-normalize every stored body */
} pl_cli_opts;

int pl_cmd_export_models(const pl_cli_opts *o);
int pl_cmd_export_prompts(const pl_cli_opts *o);
int pl_cmd_list(const pl_cli_opts *o);
int pl_cmd_show(const pl_cli_opts *o);
int pl_cmd_stats(const pl_cli_opts *o);
int pl_cmd_tail(const pl_cli_opts *o);      /* tail.c */
int pl_cmd_delete(const pl_cli_opts *o);    /* delete.c */
int pl_cmd_path(const pl_cli_opts *o);      /* views.c */
int pl_cmd_prices(const pl_cli_opts *o);    /* views.c */
int pl_cmd_run(const pl_cli_opts *o);       /* run.c */
int pl_cmd_diff(const pl_cli_opts *o);      /* diff.c */
int pl_cmd_diff_prompt(const pl_cli_opts *o);         /* diff.c: diff --prompt V1 V2 (schema 3) */
int pl_cmd_search(const pl_cli_opts *o);    /* search.c */
int pl_cmd_conversations(const pl_cli_opts *o);       /* threads.c (schema 3) */
int pl_cmd_prompts(const pl_cli_opts *o);             /* threads.c */
int pl_cmd_show_conversation(const pl_cli_opts *o);   /* threads.c: show -c */

#endif
