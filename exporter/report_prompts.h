/* report_prompts.h — the prompt versions of `prompt-logger report`, from the store's
 * prompt_versions view, each with the diff `prompt-logger diff --prompt` prints for it. */
#ifndef PL_REPORT_PROMPTS_H
#define PL_REPORT_PROMPTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "report_data.h"

/* Adds "prompts" to root: [{namespace, versions_total, versions:[{version, calls, first, last,
 * models, tools:[names], system, system_cut, diff?, diff_error?}]}], namespaces in name order,
 * versions newest first (at most 60 per namespace). version is the view's number; calls, first,
 * last and models cover the calls the filter keeps; diff (from version - 1) is absent for
 * version 1. A schema 1 database adds "prompts_note" instead. Returns 0, or -1 + err. */
int pl_report_prompts(const char *database, const pl_report_filter *f, cJSON *root, char *err, size_t errlen);

#endif
