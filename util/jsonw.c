/* jsonw.c — compact JSON text into a pl_buf, identical to cJSON_PrintUnformatted's (jsonw.h).
 * The rules copied here are cJSON 1.7's print_string_ptr and print_number. */
#include "jsonw.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 for the bytes cJSON escapes: controls, '"' and '\\' */
static const unsigned char ESCAPED[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

void pl_jw_str(pl_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    pl_jw_raw(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
    for (;; p++) {
        while (!ESCAPED[*p])
            p++;
        unsigned char c = *p;
        if (p > run)
            pl_jw_raw(b, run, (size_t)(p - run));
        if (!c)
            break;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        pl_jw_raw(b, esc, n);
        run = p + 1;
    }
    pl_jw_raw(b, "\"", 1);
}

static double absd(double d)
{
    return d < 0 ? -d : d;
}

/* q (digits significant digits, the decimal point after `intdig` of them; intdig <= 0: a
 * "0." and -intdig zeros first) as %g prints it in fixed notation: trailing zeros and a bare
 * point dropped. Returns the length. */
static int fixed_text(unsigned long long q, int digits, int intdig, int neg, char *out)
{
    char dg[24];
    for (int i = digits - 1; i >= 0; i--, q /= 10)
        dg[i] = (char)('0' + q % 10);
    while (digits > 0 && digits > intdig && dg[digits - 1] == '0')
        digits--;
    int n = 0;
    if (neg)
        out[n++] = '-';
    if (intdig <= 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -intdig; i++)
            out[n++] = '0';
        memcpy(out + n, dg, (size_t)digits);
        return n + digits;
    }
    memcpy(out + n, dg, (size_t)intdig);
    n += intdig;
    if (digits > intdig) {
        out[n++] = '.';
        memcpy(out + n, dg + intdig, (size_t)(digits - intdig));
        n += digits - intdig;
    }
    return n;
}

/* The exact binary value of a (< 2^53 * 2^-s, s >= 0: a = n / 2^s) rounded half-even to an
 * integer after multiplying by 10^p. */
static unsigned long long scaled(unsigned long long n, int s, int p)
{
    unsigned __int128 v = n;
    for (int i = 0; i < p; i++)
        v *= 10;
    unsigned __int128 q = v >> s, r = v - (q << s), half = (unsigned __int128)1 << (s - 1);
    if (s > 0 && (r > half || (r == half && (q & 1))))
        q++;
    return (unsigned long long)q;
}

/* cJSON's %1.15g-else-%1.17g for the doubles an export prints most (times in seconds, rounded
 * to the microsecond: 1e-4 <= |d| < 2^33), computed exactly from the double's bits as glibc's
 * printf rounds (half-even on the exact value). 0 when d is outside that range. */
static int micro_fixed(double d, char *out, size_t cap)
{
    double a = d < 0 ? -d : d;
    if (!(a >= 1e-4 && a < 8589934592.0) || cap < 32)
        return 0;
    unsigned long long bits;
    memcpy(&bits, &a, sizeof bits);
    int exp2 = (int)(bits >> 52 & 0x7ff);
    if (!exp2)
        return 0;
    unsigned long long n = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int s = 1075 - exp2;        /* a = n / 2^s; s in [19, 66] here */
    if (s <= 0 || s > 100)
        return 0;
    int intdig = 1;             /* digits before the point (<= 0: zeros after it) */
    for (double t = 10; a >= t; t *= 10)
        intdig++;
    if (a < 1) {
        intdig = 0;
        for (double t = 0.1; a < t; t /= 10)
            intdig--;
    }
    unsigned long long q[2];    /* 15 and 17 significant digits */
    for (int k = 0; k < 2; k++) {
        int digits = k ? 17 : 15, p = digits - intdig;
        if (p < 0 || p > 22)
            return 0;
        unsigned long long top = 1;
        for (int i = 0; i < digits; i++)
            top *= 10;
        q[k] = scaled(n, s, p);
        if (q[k] >= top || q[k] < top / 10)
            return 0;           /* not that many digits (a carry, a misjudged magnitude): printf */
    }
    int len = fixed_text(q[0], 15, intdig, d < 0, out);
    out[len] = '\0';
    /* The 15 digits give the double back when they are the 17 (which always do) with two
     * zeros; otherwise ask strtod, as cJSON does. */
    if (q[1] == q[0] * 100)
        return len;
    char *end = NULL;
    double test = strtod(out, &end);
    if (end != out && absd(test - d) <= (absd(test) > absd(d) ? absd(test) : absd(d)) * DBL_EPSILON)
        return len;
    len = fixed_text(q[1], 17, intdig, d < 0, out);
    out[len] = '\0';
    return len;
}

void pl_jw_num(pl_buf *b, double d)
{
    char num[32];
    int len;
    if (d != d || d - d != d - d) {   /* NaN, infinity */
        pl_buf_append_str(b, "null");
        return;
    }
    int vi = d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
    if (d == (double)vi && (vi || !signbit(d))) {   /* what %1.15g prints for an int, without printf */
        unsigned u = vi < 0 ? 0u - (unsigned)vi : (unsigned)vi;
        char *e = num + sizeof num, *p = e;
        do
            *--p = (char)('0' + u % 10);
        while (u /= 10);
        if (vi < 0)
            *--p = '-';
        pl_jw_raw(b, p, (size_t)(e - p));
        return;
    } else if ((len = micro_fixed(d, num, sizeof num)) > 0) {
        /* a microsecond value, printed exactly without printf */
    } else {
        /* 15 significant digits when they give the double back, else 17 */
        len = snprintf(num, sizeof num, "%1.15g", d);
        char *end = NULL;
        double test = strtod(num, &end);
        if (end == num ||
            !(absd(test - d) <= (absd(test) > absd(d) ? absd(test) : absd(d)) * DBL_EPSILON))
            len = snprintf(num, sizeof num, "%1.17g", d);
    }
    pl_jw_raw(b, num, (size_t)len);
}

void pl_jw_key(pl_buf *b, const char *key, int first)
{
    char k[64];
    size_t n = strlen(key);
    if (n + 4 > sizeof k) {
        if (!first)
            pl_jw_raw(b, ",", 1);
        pl_jw_str(b, key);
        pl_jw_raw(b, ":", 1);
        return;
    }
    size_t at = 0;
    if (!first)
        k[at++] = ',';
    k[at++] = '"';
    memcpy(k + at, key, n);
    at += n;
    k[at++] = '"';
    k[at++] = ':';
    pl_jw_raw(b, k, at);
}

int pl_jw_value(pl_buf *b, const cJSON *v)
{
    if (!v)
        return -1;
    switch (v->type & 0xFF) {
    case cJSON_NULL: pl_buf_append_str(b, "null"); return 0;
    case cJSON_False: pl_buf_append_str(b, "false"); return 0;
    case cJSON_True: pl_buf_append_str(b, "true"); return 0;
    case cJSON_Number: pl_jw_num(b, v->valuedouble); return 0;
    case cJSON_String: pl_jw_str(b, v->valuestring); return 0;
    case cJSON_Raw:
        if (!v->valuestring)
            return -1;
        pl_buf_append_str(b, v->valuestring);
        return 0;
    case cJSON_Array:
    case cJSON_Object: {
        int obj = (v->type & 0xFF) == cJSON_Object;
        pl_jw_raw(b, obj ? "{" : "[", 1);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                pl_jw_raw(b, ",", 1);
            if (obj) {
                pl_jw_str(b, c->string);
                pl_jw_raw(b, ":", 1);
            }
            if (pl_jw_value(b, c) != 0)
                return -1;
        }
        pl_jw_raw(b, obj ? "}" : "]", 1);
        return 0;
    }
    default:
        return -1;
    }
}
