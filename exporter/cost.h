/* cost.h — cost_usd of one stored call: its token counts (the row's columns, plus the cached
 * input tokens read from the stored response body) times its price-table line.
 *
 * Token semantics follow each API: OpenAI, Gemini and the rest count cached tokens inside the
 * input tokens (cost = (input - cached) x input + cached x cached_input + output x output);
 * Anthropic reports cache reads and cache writes beside input_tokens (cost = input x input +
 * reads x cached_input + writes x cache_write + output x output). Unknown, never guessed: no
 * price line, unknown input tokens, unknown output tokens on a chat or text call, or a price
 * the call needs that the line leaves '-' all give a cost of -1 (shown as null / "-"). */
#ifndef PL_COST_H
#define PL_COST_H

#include "../store/store.h"
#include "prices.h"

typedef struct pl_tokens {
    long long input, output;        /* -1 unknown */
    long long cached_read;          /* cached input tokens (0 when the body names none) */
    long long cache_write;          /* Anthropic cache writes (0 when none) */
} pl_tokens;

/* Token counts of the row; the body scan needs resp_body (a query without no_bodies). */
void pl_cost_tokens(const pl_row *r, pl_tokens *t);
/* USD, or -1 when unknown. */
double pl_cost_usd(const pl_prices *p, const pl_row *r);

#endif
