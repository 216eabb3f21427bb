/* prices.h — the price table behind cost_usd: loading (the table built into the binary from
 * data/prices.txt, or PROMPTLOG_PRICES=FILE), and matching a call's provider and model to a
 * line. The file format is documented at the top of data/prices.txt and in the README.
 *
 * Matching: the provider must be equal (case-insensitive); the model is tried as is, then with a
 * date suffix removed (-2024-08-06, -20240307, @20240307, -latest), then '*'. Among the lines
 * of one (provider, model), the first whose max_input_tokens admits the call wins. No other
 * fallback: an unknown model has no price, and its cost is unknown (null), never a guess. */
#ifndef PL_PRICES_H
#define PL_PRICES_H

#include <stddef.h>

typedef struct pl_price {
    const char *provider, *model;
    double input, output, cached_input, cache_write;   /* USD per 1M tokens; < 0 = unknown */
    long long max_input;                               /* < 0 = no limit */
} pl_price;

typedef struct pl_prices pl_prices;

/* Parses a table. name is the file name used in error messages ("FILE:LINE: ..."). NULL with a
 * one-line reason in err on the first malformed line. */
pl_prices *pl_prices_parse(const char *text, const char *name, char *err, size_t errlen);
/* $PROMPTLOG_PRICES when set and not empty, else the built-in table. NULL with err set when
 * the file cannot be read or is malformed. */
pl_prices *pl_prices_load(char *err, size_t errlen);
void pl_prices_free(pl_prices *p);
/* Where the table came from: the file name, or "built-in (data/prices.txt)". */
const char *pl_prices_source(const pl_prices *p);
size_t pl_prices_count(const pl_prices *p);
const pl_price *pl_prices_at(const pl_prices *p, size_t i);

/* input_tokens < 0 (unknown) matches only a line without max_input_tokens. NULL = no price. */
const pl_price *pl_prices_find(const pl_prices *p, const char *provider, const char *model, long long input_tokens);

/* The model name without its date suffix, into out (at most n bytes); 1 when something was
 * removed, else 0. */
int pl_prices_base_model(const char *model, char *out, size_t n);

#endif
