/* cli.c — helpers shared by the prompt-logger commands (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

pl_store *pl_cli_open_db(const char *url)
{
    pl_store *s = NULL;
    char err[768] = "";
    if (pl_store_open(url, PL_STORE_READONLY, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "prompt-logger: %s\n", err);
        return NULL;
    }
    return s;
}

pl_prices *pl_cli_prices(void)
{
    char err[512] = "";
    pl_prices *p = pl_prices_load(err, sizeof err);
    if (!p)
        fprintf(stderr, "prompt-logger: %s\n", err);
    return p;
}

int pl_cli_open_db_prices(const char *url, pl_store **s, pl_prices **prices)
{
    *s = NULL;
    if (!(*prices = pl_cli_prices()))
        return 1;
    if (!(*s = pl_cli_open_db(url))) {
        pl_prices_free(*prices);
        *prices = NULL;
        return 1;
    }
    return 0;
}

FILE *pl_cli_open_out(const char *file)
{
    if (!file || strcmp(file, "-") == 0)
        return stdout;
    FILE *f = fopen(file, "w");
    if (!f)
        fprintf(stderr, "prompt-logger: cannot write %s: %s\n", file, strerror(errno));
    return f;
}

int pl_cli_close_out(FILE *f, const char *file)
{
    int bad = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (f != stdout && fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        fprintf(stderr, "prompt-logger: error writing %s: %s\n", f == stdout || !file ? "stdout" : file,
                strerror(saved));
        return 1;
    }
    return 0;
}

int pl_cli_emit(FILE *out, const cJSON *line)
{
    if (!line)
        return 0;
    /* One reused buffer: printing into it saves cJSON's grow-and-copy per line; a line that
     * does not fit is printed the ordinary way. */
    static char buf[1 << 18];
    if (cJSON_PrintPreallocated((cJSON *)line, buf, (int)sizeof buf - 1, 0)) {
        size_t n = strlen(buf);
        buf[n++] = '\n';
        return fwrite(buf, 1, n, out) != n;
    }
    char *text = cJSON_PrintUnformatted(line);
    int bad = !text || fputs(text, out) == EOF || fputc('\n', out) == EOF;
    cJSON_free(text);
    return bad;
}

int pl_cli_term_width(void)
{
    if (!isatty(STDOUT_FILENO))
        return 0;
    const char *c = getenv("COLUMNS");
    if (c && atoi(c) > 0)
        return atoi(c);
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static size_t u8len(unsigned char c)
{
    return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

void pl_cli_clip(const char *s, size_t max, char *out, size_t n)
{
    size_t o = 0, chars = 0;
    if (!s)
        s = "";
    size_t total = pl_cli_width(s);
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < n;) {
        /* cut one early so the ellipsis itself fits in max columns */
        if (total > max && chars + 1 >= max) {
            if (max > 0) {
                memcpy(out + o, "\xe2\x80\xa6", 3);   /* … */
                o += 3;
            }
            break;
        }
        size_t len = u8len(*p);
        for (size_t i = 0; i < len && *p; i++, p++) {
            unsigned char ch = *p;
            out[o++] = (char)(ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : ch);
        }
        chars++;
    }
    out[o] = '\0';
}

size_t pl_cli_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; w++) {
        size_t len = u8len(*p);
        for (size_t i = 0; i < len && *p; i++)
            p++;
    }
    return w;
}

void pl_cli_cell(FILE *out, const char *s, size_t w)
{
    char buf[1024];
    pl_cli_clip(s, w < 200 ? w : 200, buf, sizeof buf);
    fputs(buf, out);
    for (size_t k = pl_cli_width(buf); k < w; k++)
        fputc(' ', out);
}

void pl_cli_fmt_cost(double usd, char *out, size_t n)
{
    if (usd < 0)
        snprintf(out, n, "-");
    else if (usd == 0)
        snprintf(out, n, "0");
    else if (usd < 0.01)
        snprintf(out, n, "%.6f", usd);
    else
        snprintf(out, n, "%.4f", usd);
}
