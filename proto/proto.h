/* proto.h — what every traffic reassembler (HTTP/1.1, HTTP/2) reports to its owner.
 * The parsers are pure: bytes in, these events out; the owner decides what is kept. */
#ifndef PL_PROTO_H
#define PL_PROTO_H

#include <stddef.h>
#include "exchange.h"

typedef enum pl_dir {
    PL_DIR_OUT = 0,   /* bytes the program wrote (requests) */
    PL_DIR_IN = 1,    /* bytes the program read (responses) */
} pl_dir;

typedef struct pl_proto_events {
    /* A request head is complete (method, host, port, target and headers are set; no body yet).
     * Return 1 to keep this exchange (its bodies are then buffered and decoded), 0 to let it
     * pass (its bodies are skipped without copying). */
    int (*on_request)(void *ctx, const pl_exchange *head);
    /* An exchange that was kept has ended, completely or not (x->incomplete). Ownership of x
     * passes to the callee. Called at most once per kept exchange. */
    void (*on_exchange)(void *ctx, pl_exchange *x);
    void *ctx;
    size_t max_body;  /* per-body cap in bytes; 0 = unlimited */
} pl_proto_events;

#endif
