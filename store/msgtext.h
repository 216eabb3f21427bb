/* msgtext.h — internal to store/: a chat record's messages as JSON text, straight from the
 * stored columns (no cJSON tree), for the export's fast path (query.record_text). The texts
 * are what cJSON would print for the arrays read.c's record_from_messages builds. */
#ifndef PL_STORE_MSGTEXT_H
#define PL_STORE_MSGTEXT_H

#include <sqlite3.h>

#include "store.h"

typedef struct pl_msgtext pl_msgtext;
/* Prepares its statements on db (schema 3 or later). NULL on failure. */
pl_msgtext *pl_msgtext_new(sqlite3 *db);
void pl_msgtext_free(pl_msgtext *t);
/* Fills r->messages_json, completions_json and tools_json (valid until the next call) for row
 * r. The previous row's messages are kept (a child whose parent was the row before needs only
 * its own rows), and the text of each message recently written (a system prompt shared by
 * many calls is read and escaped once), in bounded memory. Returns 0, or -1 (out of memory,
 * a SQLite error): then build the record the other way. */
int pl_msgtext_build(pl_msgtext *t, pl_row *r);
/* The next row's messages are not built here: forget the kept ones. */
void pl_msgtext_forget(pl_msgtext *t);

#endif
