/* ship_time.h — reads the --since/--until times of ship and report. (The CLI's own --since
 * parser may replace this at merge: the accepted forms are the same.) */
#ifndef PL_SHIP_TIME_H
#define PL_SHIP_TIME_H

/* Accepts epoch seconds ("1700000000.5"), an ISO date in UTC ("2026-11-29", "2026-11-29T10:00",
 * "2026-11-29 10:00:00", optional trailing Z) or an age before now ("90s", "30m", "12h", "7d").
 * Returns 0 and sets *out (epoch seconds), or -1. */
int pl_parse_time(const char *s, double now, double *out);

#endif
