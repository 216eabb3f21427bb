/* messages.h — internal to store/: each distinct message stored once. A captured call's
 * normalized input and output messages (and a text API's prompt and response) become rows of
 * `messages`, addressed by a hash of their exact JSON, and the call refers to them in order
 * through `call_messages`. Tool lists are stored once the same way in `tool_lists`.
 *
 * Exactness: a message whose keys are among role, content (a string or null), tool_calls,
 * tool_call_id and name is stored as those columns plus `shape`, the order its keys came in
 * (r c t i n, C for a null content), so the exact JSON comes back from plain columns. Any other
 * message (content parts, extra keys) keeps its JSON in `raw`, and `content` gets its text.
 *
 * Full-text search: messages_fts, filled in batches (pl_msgstore_index).
 *
 * Cost: a per-connection cache remembers the ids of messages this process already stored or
 * found, so an agent re-sending 100 messages pays 100 hash walks and no SQL for them. */
#ifndef PL_STORE_MESSAGES_H
#define PL_STORE_MESSAGES_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "internal.h"

typedef struct pl_msg {
    const cJSON *json;          /* borrowed from the record (completions: without finish_reason) */
    uint64_t hash;              /* of the exact JSON: the message's address */
    uint64_t link;              /* the same without null members: a client re-sending a
                                 * completion as {"content": null, ...} continues it */
    long long id;               /* messages.id once resolved */
    const char *finish_reason;  /* output side only */
} pl_msg;

typedef struct pl_msgs {
    pl_msg *v;
    size_t n_in, n;             /* v[0..n_in) input, v[n_in..n) output */
    size_t cap;
    cJSON *owned;               /* the copies made for completions and text prompts */
    const cJSON *tools;         /* borrowed */
    uint64_t tools_hash;
    long long tools_id;         /* -1 none */
    long long system_id;        /* first input message with role "system"; -1 none */
} pl_msgs;

/* Collects the record's messages and completions (chat) or prompt/system/response (text).
 * Returns 0 (an embedding or a record without messages gives n == 0), -1 on OOM. */
int pl_msgs_collect(const cJSON *record, pl_msgs *m);
void pl_msgs_free(pl_msgs *m);

typedef struct pl_msgstore pl_msgstore;
/* Prepares the statements (schema 3 tables must exist). NULL on failure. */
pl_msgstore *pl_msgstore_open(sqlite3 *db);
void pl_msgstore_close(pl_msgstore *ms);
/* Inside the write transaction: gives every message (and the tool list) its id, inserting the
 * ones the database lacks (and their text into messages_fts). New ids enter the cache only
 * after pl_msgstore_commit, so a rolled-back attempt leaves no false entry. Returns SQLite's code. */
int pl_msgstore_resolve(pl_msgstore *ms, pl_msgs *m);
/* Writes call_messages rows for call_id, from position `from` on (the ones before come from
 * its parent, threads.h). Returns SQLite's code. */
int pl_msgstore_link(pl_msgstore *ms, long long call_id, const pl_msgs *m, size_t from);
/* Inside the write transaction: the header_sets row of this template (hdrsets.h). */
int pl_msgstore_header_set(pl_msgstore *ms, const char *tmpl, size_t len, long long *id);
void pl_msgstore_commit(pl_msgstore *ms);
void pl_msgstore_rollback(pl_msgstore *ms);
/* Empties the id cache: after a delete (delete.c) a cached id may name a removed or reused row. */
void pl_msgstore_forget(pl_msgstore *ms);

/* Full-text indexing in batches: an FTS5 insert writes a new index segment at every commit, the
 * largest share of a capture's page writes, so new texts are indexed once PL_FTS_BATCH of them
 * have accumulated in this process (or force: at close, after the upgrade), in the write
 * transaction. A batch indexes every message past the highest indexed id, whoever stored it,
 * so a process killed before its batch is covered by the next batch of any process. */
#define PL_FTS_BATCH 32
int pl_msgstore_index(pl_msgstore *ms, int force);
int pl_msgstore_pending(const pl_msgstore *ms);

/* The JSON text of message id as the normalizer produced it (caller frees), for the exporter's
 * fast path: built from the columns, or `raw`. */
char *pl_msg_json_from_columns(const char *role, const char *content, int content_null, const char *tool_calls,
                               const char *tool_call_id, const char *name, const char *shape, const char *raw);

/* The record without what the message tables hold (messages, completions, prompt, response,
 * system, tools), without first_token_offset, and (schema 4) without kind, model, finish_reason,
 * usage and status when w's columns hold exactly them (a null member: the record had none while
 * the column is set): calls.record, compact JSON (cJSON_free). */
char *pl_record_rest(const cJSON *record, const pl_row *w);
/* Puts back into a parsed calls.record what pl_record_rest left to the columns (a row written
 * before schema 4, r->cached_tokens < 0, is left as it is). */
void pl_record_restore(cJSON *rest, const pl_row *r);

/* Both halves of linking a call, shared by the insert and the upgrade's backfill, inside the
 * write transaction: before the call row is written (ids of messages, tools, system prompt,
 * parent, conversation, thread_hash into w), and after (call_messages, the root's own
 * conversation_id). */
int pl_links_before(pl_store *s, const char *ns, pl_msgs *m, pl_row *w);
int pl_links_after(pl_store *s, long long id, const pl_msgs *m, const pl_row *w);

uint64_t pl_hash_bytes(uint64_t h, const void *p, size_t n);
uint64_t pl_hash_json(uint64_t h, const cJSON *v);

#endif
