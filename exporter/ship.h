/* ship.h — `prompt-logger ship`: sends captured calls to an OpenTelemetry collector as OTLP/HTTP
 * GenAI spans, at least once, with a durable cursor per destination (store/cursor.h).
 *
 * Span mapping follows the OpenTelemetry GenAI semantic conventions, Development status, as of
 * semantic-conventions v1.37.0 (gen_ai.provider.name, gen_ai.input/output.messages,
 * gen_ai.system_instructions, gen_ai.tool.definitions), plus gen_ai.response.time_to_first_chunk
 * from the later incubating registry for streams. See ship_span.c for the attribute list. */
#ifndef PL_SHIP_H
#define PL_SHIP_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "../store/store.h"
#include "otlp.h"

/* The CLI entry point: argv[0] is "ship". Returns the exit status (0, 1 failure, 2 usage). */
int pl_ship_main(int argc, char **argv, const char *default_db);

typedef struct pl_ship_span_opts {
    int content;                /* --content: add the gen_ai.* message attributes */
    const char *salt;           /* makes ids unique per database: "host:/abs/path.db" */
    const char *host_name;      /* resource host.name */
    const char *service_name;   /* resource service.name */
} pl_ship_span_opts;

/* Fills out (zeroed by the caller) from one stored call and its re-normalized record (may be
 * NULL). Returns 0, or -1 when memory ran out (out is freed). */
int pl_ship_span_from_row(const pl_row *row, const cJSON *record, const pl_ship_span_opts *o, pl_otlp_span *out);

/* Trace membership, in one place: which trace a call belongs to and which span is its parent.
 * A conversation is one trace, rooted at its first call; see ship_span.c. */
void pl_ship_trace_link(const pl_row *row, const char *salt, uint8_t trace_id[16], uint8_t span_id[8],
                        uint8_t parent_id[8], int *has_parent);

/* --content attributes in the conventions' JSON shapes, from the normalized record (OpenAI chat
 * shape). Each returns a JSON text the caller frees, or NULL when there is nothing to say. */
char *pl_ship_input_messages(const cJSON *record);
char *pl_ship_output_messages(const cJSON *record);
char *pl_ship_system_instructions(const cJSON *record);
char *pl_ship_tool_definitions(const cJSON *record);

#endif
