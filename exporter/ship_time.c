/* ship_time.c — parses the time arguments of ship and report (epoch, ISO date in UTC, age). */
#include "ship_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pl_parse_time(const char *s, double now, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    double v = strtod(s, &end);
    if (end != s && *end == '\0' && v >= 0) {
        *out = v;
        return 0;
    }
    if (end != s && v >= 0 && end[1] == '\0') {
        double unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
        if (unit > 0) {
            *out = now - v * unit;
            return 0;
        }
    }
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return -1;
    const char *p = s + used;
    if (*p == 'T' || *p == ' ') {
        int u2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &u2) != 2)
            return -1;
        p += 1 + u2;
        if (*p == ':') {
            int u3 = 0;
            if (sscanf(p + 1, "%2d%n", &sec, &u3) != 1)
                return -1;
            p += 1 + u3;
        }
    }
    if (*p == 'Z')
        p++;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (double)timegm(&tm);
    return 0;
}
