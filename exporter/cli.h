/* cli.h — what every prompt-logger command shares: opening the store read-only with a one-line
 * error, the price table, output files, JSON lines, and fitting text to the terminal. */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "../store/store.h"
#include "prices.h"

/* Read-only; NULL after printing "prompt-logger: REASON" (missing, foreign, newer database). */
pl_store *pl_cli_open_db(const char *url);
/* The price table ($PROMPTLOG_PRICES or built in); NULL after printing the reason. */
pl_prices *pl_cli_prices(void);

/* Both of the above, as most commands start: 0 with both set, or 1 (the reason printed, nothing
 * left open). */
int pl_cli_open_db_prices(const char *url, pl_store **s, pl_prices **prices);

/* "-" or NULL = stdout. NULL after printing the reason. */
FILE *pl_cli_open_out(const char *file);
/* Flushes and closes; 0, or 1 after reporting a write error (full disk, closed pipe...). */
int pl_cli_close_out(FILE *f, const char *file);
/* One JSON object on one line. Nonzero when the output failed. */
int pl_cli_emit(FILE *out, const cJSON *line);

/* Columns of stdout's terminal; 0 when stdout is not a terminal (no fitting then). $COLUMNS
 * wins when set, as in ls(1). */
int pl_cli_term_width(void);
/* Copies at most max characters (UTF-8 aware) of s, newlines and tabs as spaces, with … when
 * cut. s NULL = "". */
void pl_cli_clip(const char *s, size_t max, char *out, size_t n);
/* Display width of a UTF-8 string (one column per code point). */
size_t pl_cli_width(const char *s);
/* Writes s clipped to w columns and padded with spaces to w (left-aligned) */
void pl_cli_cell(FILE *out, const char *s, size_t w);

/* "0.000123" style cost, or "-" when unknown. */
void pl_cli_fmt_cost(double usd, char *out, size_t n);

#endif
