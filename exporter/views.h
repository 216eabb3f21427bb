/* views.h — how one call looks to a person (a list line fitted to the terminal) and to a
 * script (a JSON object with a fixed set of keys, null when unknown). Shared by list, show and
 * tail, so a call looks the same in each. */
#ifndef PL_VIEWS_H
#define PL_VIEWS_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "../store/store.h"

typedef struct pl_list_fmt {
    size_t w_ns, w_provider, w_model, w_preview;   /* column widths; w_preview 0 = unbounded */
    int fit;                    /* a terminal: names are cut to their width (else only padded) */
} pl_list_fmt;

/* Widths for the terminal on stdout (fixed widths when it is not a terminal). */
void pl_view_list_layout(pl_list_fmt *f);
void pl_view_list_header(FILE *out, const pl_list_fmt *f);
void pl_view_list_line(FILE *out, const pl_list_fmt *f, const pl_row *r, double cost_usd);

/* The stable JSON of one call (README "JSON output"): id, namespace, started_at, started,
 * provider, host, model, api, kind, status, stream, incomplete, truncated, decode_error, duration,
 * ttfb, ttft,
 * input_tokens, output_tokens, cached_input_tokens, finish_reason, error, prompt_preview,
 * completion_preview, pid, program, source, cost_usd. Every key is always present. */
cJSON *pl_view_row_json(const pl_row *r, double cost_usd);

#endif
