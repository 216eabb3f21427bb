/* diff.h — the line diff of `prompt-logger diff`, for other commands that show one: the report's
 * prompt versions carry exactly what `diff --prompt -n NS V1 V2` prints. */
#ifndef PL_DIFF_H
#define PL_DIFF_H

#include <stddef.h>
#include "../store/store.h"

/* The unified diff (no color) of prompt versions v1 and v2 of namespace ns, numbered as the
 * store's prompt_versions view numbers them: "" when they are equal. NULL + err on failure (no
 * such version, a database error, too long, out of memory). Caller frees. */
char *pl_diff_prompt_versions(pl_store *s, const char *ns, long long v1, long long v2, char *err, size_t errlen);

#endif
