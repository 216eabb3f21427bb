/* rebuild.h — records rebuilt from stored bodies: the normalizer's input from a stored row (the
 * exporter's --rebuild and `show` use it too), and the upgrade's backfill that gives rows
 * written before schema 3 their messages, links and records. */
#ifndef PL_STORE_REBUILD_H
#define PL_STORE_REBUILD_H

#include "store.h"
#include "../llm/llm.h"

/* The target comes back from the redacted URL (only query values differ, which no normalizer
 * reads) or the path, the API from the row's `api` column, the path's model from re-matching
 * the endpoint. in's pointers borrow from row and ep. */
void pl_store_llm_input(const pl_row *row, pl_llm_input *in, pl_endpoint *ep);

/* Inside the upgrade transaction (schema.c): every call row without a normalizer (all rows of
 * a file before schema 3) gets what a capture by this code would have written (messages,
 * call_messages, parent and conversation, prompt version ids, record, cached tokens). Returns
 * SQLite's code, with *msg (sqlite3_malloc'ed) on failure. */
int pl_backfill(pl_store *s, char **msg);

#endif
