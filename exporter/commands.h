/* commands.h — the prompt-logger subcommands, run against an opened-read-only store. Each
 * returns the process exit status: 0 done, 1 failed (message already on stderr). main.c owns
 * argument parsing; these own the store and the output. */
#ifndef PL_COMMANDS_H
#define PL_COMMANDS_H

typedef struct pl_cli_opts {
    const char *database;       /* URL or path */
    const char *ns;             /* NULL = every namespace (list, stats) */
    const char *type;           /* "chat" | "text" */
    const char *const *models;  /* NULL-terminated; NULL = every model */
    const char *file;           /* output file, "-" = stdout */
    long long limit;            /* list: newest N rows, 0 = all */
    long long id;               /* show */
    int rebuild;                /* export prompts: re-normalize every stored body */
} pl_cli_opts;

int pl_cmd_export_models(const pl_cli_opts *o);
int pl_cmd_export_prompts(const pl_cli_opts *o);
int pl_cmd_list(const pl_cli_opts *o);
int pl_cmd_show(const pl_cli_opts *o);
int pl_cmd_stats(const pl_cli_opts *o);

#endif
