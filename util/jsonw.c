/* jsonw.c — compact JSON text into a pl_buf, identical to cJSON_PrintUnformatted's (jsonw.h).
 * The rules copied here are cJSON 1.7's print_string_ptr and print_number. */
#include "jsonw.h"

#include <float.h>
#include <limits.h>
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
    pl_buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
    for (;; p++) {
        while (!ESCAPED[*p])
            p++;
        unsigned char c = *p;
        if (p > run)
            pl_buf_append(b, run, (size_t)(p - run));
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
        pl_buf_append(b, esc, n);
        run = p + 1;
    }
    pl_buf_append(b, "\"", 1);
}

static double absd(double d)
{
    return d < 0 ? -d : d;
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
    if (d == (double)vi) {   /* "%d", without printf */
        unsigned u = vi < 0 ? 0u - (unsigned)vi : (unsigned)vi;
        char *e = num + sizeof num, *p = e;
        do
            *--p = (char)('0' + u % 10);
        while (u /= 10);
        if (vi < 0)
            *--p = '-';
        pl_buf_append(b, p, (size_t)(e - p));
        return;
    } else {
        /* 15 significant digits when they give the double back, else 17 */
        len = snprintf(num, sizeof num, "%1.15g", d);
        char *end = NULL;
        double test = strtod(num, &end);
        if (end == num ||
            !(absd(test - d) <= (absd(test) > absd(d) ? absd(test) : absd(d)) * DBL_EPSILON))
            len = snprintf(num, sizeof num, "%1.17g", d);
    }
    pl_buf_append(b, num, (size_t)len);
}

void pl_jw_key(pl_buf *b, const char *key, int first)
{
    if (!first)
        pl_buf_append(b, ",", 1);
    pl_jw_str(b, key);
    pl_buf_append(b, ":", 1);
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
        pl_buf_append(b, obj ? "{" : "[", 1);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                pl_buf_append(b, ",", 1);
            if (obj) {
                pl_jw_str(b, c->string);
                pl_buf_append(b, ":", 1);
            }
            if (pl_jw_value(b, c) != 0)
                return -1;
        }
        pl_buf_append(b, obj ? "}" : "]", 1);
        return 0;
    }
    default:
        return -1;
    }
}
