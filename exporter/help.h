/* help.h — the --help text of prompt-logger and of each command: synopsis, what it does, every
 * option, one example. The first line of each text is the synopsis used in usage errors. */
#ifndef PL_HELP_H
#define PL_HELP_H

#define PL_DEFAULT_DATABASE "sqlite:///prompts.db"
#define PL_DEFAULT_NAMESPACE "default"

extern const char PL_HELP_MAIN[];
/* NULL when there is no such command. name as typed: "list", "export prompts". */
const char *pl_help_for(const char *name);

#endif
