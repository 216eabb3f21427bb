/* report_data.h — collects what `prompt-logger report` shows into one JSON object that the page's
 * script renders. Aggregation that needs the bodies (conversations) happens here; per-call
 * numbers travel as compact arrays so 10,000 calls stay around a megabyte.
 *
 * Shape: {generated, database, filter, dict:{ns[], provider[], model[]},
 *   cols:[...], calls:[[id, t, ns_i, provider_i, model_i, status, duration, ttft, in, out,
 *                       failed, conv_i, prompt_preview, completion_preview, cost], ...],
 *   errors:{id: message}, conversations:[{id, program, pid, first, last, calls:[ids],
 *   ncalls, title, thread:[{r, c?, tc?:[{n, a}], id?}]}], conversations_total}
 * (report_prompts.h adds the prompt versions).
 * failed follows `stats`: HTTP status >= 400 or an error message. cost (USD, the CLI's price
 * table) is null when the call's price is unknown. Conversations: the newest PL_REPORT_MAX_CONV, each with its latest thread. */
#ifndef PL_REPORT_DATA_H
#define PL_REPORT_DATA_H

#include <cjson/cJSON.h>

#include "../store/store.h"

#define PL_REPORT_MAX_CONV 300

typedef struct pl_report_filter {
    const char *ns;         /* NULL = every namespace */
    double since, until;    /* epoch seconds; < 0 = unbounded */
    long long last;         /* > 0: only the newest N calls */
    long long upto;         /* != 0: only calls with an id up to this. pl_report_collect sets it
                             * to the newest call it read (-1: none), so that report_prompts.c,
                             * on its own connection, counts the same calls while captures go on */
} pl_report_filter;

/* Returns the data object, or NULL + err. */
cJSON *pl_report_collect(pl_store *s, pl_report_filter *f, char *err, size_t errlen);

#endif
