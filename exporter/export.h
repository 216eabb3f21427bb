/* export.h — turns stored rows into prompt-logger JSON lines. Pure: no I/O, no store access,
 * so the line shapes can be tested on hand-made rows and records.
 *
 * Line shapes (empty values — null, "", [], {} — are omitted, as prompt-logger does, except
 * prompt-logger's own fields messages, generation_kwargs, completions, prompt and response,
 * which are always present, empty when there is nothing: an error call has completions []):
 *   models: {id, namespace, name, provider, created}
 *   chat:   {id, namespace, model, messages, tools, generation_kwargs, completions, inference_on,
 *            inference_seconds, provider, endpoint, status, stream, usage:{input_tokens,
 *            output_tokens}, pid, program, error, incomplete, truncated, decode_error, parse_error}
 *   text:   {id, namespace, prompt, response, model, inference_on, inference_seconds, + the
 *            same extras from provider on} */
#ifndef PL_EXPORT_H
#define PL_EXPORT_H

#include <cjson/cJSON.h>
#include "../llm/llm.h"
#include "../store/store.h"
#include "../util/buf.h"

/* Rebuilds the normalizer's input from a stored row: the target comes back from the redacted
 * URL (or the path), the API from the row's `api` column, the path's model from re-matching the
 * endpoint. in's pointers borrow from row and ep. */
void pl_export_input(const pl_row *row, pl_llm_input *in, pl_endpoint *ep);
/* Re-normalizes the row's raw bodies (pl_llm_normalize). NULL only on OOM. */
cJSON *pl_export_record(const pl_row *row);

cJSON *pl_export_model_line(const pl_model_row *m);
/* type "chat" or "text". Returns NULL when the record is of another kind (embeddings never
 * appear) or on OOM. record may be NULL (the row's columns are used alone). */
cJSON *pl_export_prompt_line(const pl_row *row, const cJSON *record, const char *type);

/* The same chat line written straight into out, for a row whose record came as text
 * (pl_store_query.record_text: row->messages_json set; record holds the rest), with cost_usd
 * (< 0: null) and a newline: byte for byte what printing pl_export_prompt_line plus cost_usd
 * gives. Returns 1 when a line was written, 0 when the row is not such a chat row (build its
 * line the other way), -1 on OOM. */
int pl_export_prompt_write(pl_buf *out, const pl_row *row, const cJSON *record, const char *type, double cost);

/* Removes the object's direct members that are null, "", [] or {}. */
void pl_export_omit_empty(cJSON *obj);

#endif
