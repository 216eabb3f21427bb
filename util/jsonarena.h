/* jsonarena.h — the JSON a capture parses (request, response, every stream event) is allocated
 * from one bump arena and released at once when the capture ends.
 *
 * Why: a parsed stream event is ~20 small cJSON allocations, and malloc/free of those was a third
 * of what parsing cost. cJSON takes its allocator from process-wide hooks, so the arena works
 * through them:
 *   - hooks route an allocation to the arena only between route_begin and route_end (around
 *     pl_json_parse, and the engine's normalization) on the thread that holds it (one capturing
 *     thread at a time; the others get malloc); everything else (the store's printing, the
 *     host's own cJSON) gets malloc;
 *   - a free of an arena pointer is a no-op, any other pointer goes to free();
 *   - pl_jsonarena_install must only be called when nobody else can have set cJSON's hooks (the
 *     engine installs them only if libcjson was not loaded before it: a host that set its own
 *     hooks keeps them, and we parse with plain cJSON then). A program that loads libcjson
 *     later and sets hooks gets them, and our captures use its allocator from then on; only a
 *     cJSON_InitHooks running on another thread during a capture's commit could hand an arena
 *     block to the program's free, a window we accept (cJSON's hooks are unsynchronized anyway).
 * Invariants: whatever cJSON allocated while routed must be dead (cJSON_Delete'd, cJSON_free'd
 * or dropped) before pl_jsonarena_end, and is never passed to free(): code that runs routed
 * returns text through util/jsonw (malloc), never cJSON_Print. Without install or outside
 * begin/end, routing changes nothing and pl_json_parse is cJSON_ParseWithLengthOpts. */
#ifndef PL_JSONARENA_H
#define PL_JSONARENA_H

#include <stddef.h>
#include <cjson/cJSON.h>

void pl_jsonarena_install(void);   /* once per process, before any begin */
int pl_jsonarena_installed(void);
void pl_jsonarena_begin(void);     /* takes the arena for this thread if free (nests) */
void pl_jsonarena_end(void);       /* the outermost end frees everything parsed since begin */
void pl_jsonarena_fork_child(void);  /* in the child: an arena held by another thread is dropped */

/* cJSON allocations on this thread go to the arena while routed (nests; no-op unless held). */
void pl_jsonarena_route_begin(void);
void pl_jsonarena_route_end(void);
/* 1 when p lies in the arena the calling thread holds (tests, assertions). */
int pl_jsonarena_holds(const void *p);

/* cJSON_Delete for a tree built while routed: nothing at all when every routed allocation since
 * begin came from the arena (end frees them), else cJSON_Delete. Not for a tree that code
 * running unrouted has added nodes to. */
void pl_json_delete(cJSON *j);

/* cJSON_ParseWithLengthOpts, into the arena if this thread holds it. */
cJSON *pl_json_parse(const char *s, size_t len, const char **end, int require_null);

#endif
