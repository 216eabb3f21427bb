/* when.h — the CLI's one time convention: parsing --since/--until/--before values and printing
 * every time as local time with its UTC offset ("2026-11-29 10:00:00 +01:00"), in every view. */
#ifndef PL_WHEN_H
#define PL_WHEN_H

#include <stddef.h>

/* Parses an absolute or relative time into epoch seconds. Accepted:
 *   2026-11-29                      midnight local time
 *   2026-11-29T10:00 / 10:00:05[.123] (T or one space)   local time
 *   ...with Z, +01:00, -0500 or +01  that offset instead of local time
 *   30s, 30m, 2h, 7d, 2w            that long before now (a plain integer and a unit)
 *   @1764410000[.5]                 epoch seconds
 * now is the reference for relative forms. Returns 0, or -1 for anything else (no guessing:
 * "yesterday-ish", "2026-13-01", "10:00" alone are errors). */
int pl_when_parse(const char *s, double now, double *out);

/* "2026-11-29 10:00:00 +01:00" (local time, 26 bytes + NUL); "-" for a negative time. */
#define PL_WHEN_LEN 32
void pl_when_format(double t, char out[PL_WHEN_LEN]);

#endif
