/* threads.h — internal to store/: conversations found by content, and the request-body chains
 * that follow them.
 *
 * A call continues call P when its input messages begin with P's input followed by P's output
 * (same namespace, any process). Each call stores thread_hash, a hash of its input and output
 * messages (their link hashes: null members do not count); a new call looks up the hashes of its own input's prefixes, longest
 * first, and the newest call with a matching hash is its parent. A retry or a branch finds the
 * same parent as its sibling did. conversation_id is the root's id.
 *
 * A call's call_messages rows hold only what its parent did not: calls.inherited says how many
 * leading messages come from the parent (and so on up), so a 50-turn conversation stores 50
 * message references, not 1,275. The transcript view puts them back together.
 *
 * Body chains: a request body is compressed against its parent's request body, and a response
 * body against its parent's response, when this process still holds them (request_ref and
 * response_ref name the parent); chains are cut at PL_THREADS_MAX_DEPTH so
 * reading one body decompresses at most that many. */
#ifndef PL_STORE_THREADS_H
#define PL_STORE_THREADS_H

#include "messages.h"

#define PL_THREADS_MAX_DEPTH 64

typedef struct pl_threads pl_threads;
pl_threads *pl_threads_open(sqlite3 *db);
void pl_threads_close(pl_threads *t);

/* The hash stored in calls.thread_hash (exact 0: link hashes) or calls.content_hash (exact 1:
 * the messages' exact hashes; since schema 4 NULL when equal to thread_hash) for a call with
 * these messages; 0 when the call has no output. */
uint64_t pl_threads_key(const pl_msgs *m, int exact);
/* Inside the write transaction. *parent, *conv = -1 when the call starts a conversation;
 * *inherited = how many leading messages the parent holds (its input and output). */
int pl_threads_find_parent(pl_threads *t, const char *ns, const pl_msgs *m, long long *parent, long long *conv,
                           int *inherited);
/* Sets conversation_id = id for a root. */
int pl_threads_set_root(pl_threads *t, long long id);

/* A body this process wrote (side 0 request, 1 response), if it still holds it; else NULL. */
const pl_buf *pl_threads_body(pl_threads *t, long long call_id, int side, int *depth);
/* After a commit: remembers call_id's bodies for its children. */
void pl_threads_remember(pl_threads *t, long long call_id, const char *req, size_t req_len, const char *resp,
                         size_t resp_len, int depth);
/* Forgets every remembered body: after a delete (delete.c) an id may be handed out again. */
void pl_threads_forget(pl_threads *t);

#endif
