/* when.c — time parsing and formatting for the CLI (see when.h). Local time comes from the C
 * library's TZ handling (mktime/localtime_r), so TZ=... works the same in every command. */
#include "when.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int relative(const char *s, double now, double *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    long long n = strtoll(s, &end, 10);
    if (end == s || end[0] == '\0' || end[1] != '\0' || n < 0 || n > 1000000000LL)
        return -1;
    double unit;
    switch (*end) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return -1;
    }
    *out = now - (double)n * unit;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (UTC arithmetic, no TZ). */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int pl_when_parse(const char *s, double now, double *out)
{
    if (!s || !*s)
        return -1;
    if (relative(s, now, out) == 0)
        return 0;
    if (s[0] == '@') {
        char *end;
        double v = strtod(s + 1, &end);
        if (end == s + 1 || *end || v < 0 || !isdigit((unsigned char)s[1]))
            return -1;
        *out = v;
        return 0;
    }
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    double frac = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                const char *f = ++p;
                double scale = 0.1;
                while (isdigit((unsigned char)*p)) {
                    frac += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
                if (p == f)
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
    }
    int has_off = 0;
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        has_off = 1;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        has_off = 1;
        off = sign * (oh * 3600L + om * 60L);
    }
    if (*p)
        return -1;
    if (has_off) {
        *out = (double)(days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - off) + frac;
        return 0;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;   /* let the zone rules decide, so summer dates get summer time */
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
        return -1;
    *out = (double)t + frac;
    return 0;
}

void pl_when_format(double t, char out[PL_WHEN_LEN])
{
    if (t < 0) {
        snprintf(out, PL_WHEN_LEN, "-");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    if (!localtime_r(&secs, &tm)) {
        snprintf(out, PL_WHEN_LEN, "-");
        return;
    }
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    int oh = (int)(off / 3600 % 100), om = (int)(off / 60 % 60);
    snprintf(out, PL_WHEN_LEN, "%.20s %c%02d:%02d", date, sign, oh, om);
}
