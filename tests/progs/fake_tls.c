/* fake_tls.c — an executable that defines its own SSL_write/SSL_read (no OpenSSL at all): the
 * "TLS" is a memory buffer and the response is read from a file, so the test of a refused
 * prologue needs no network. Built twice: plain C functions (patched and captured, the control)
 * and, with -DREFUSED, an SSL_write whose first jump lands inside the bytes the patcher would
 * overwrite (the patcher must leave the whole program alone and it must behave identically).
 *
 * Usage: fake_tls REQUESTFILE RESPONSEFILE — "writes" the request, "reads" the response and
 * prints it. */
#include <stdio.h>
#include <string.h>

static char g_resp[1 << 16];
static size_t g_resp_len, g_resp_pos;

__attribute__((noinline, used)) int fake_write_impl(void *s, const void *buf, int num)
{
    (void)s;
    (void)buf;
    return num;
}

#ifdef REFUSED
/* jmp 1f lands on offset 3, inside the 5 bytes a jump would replace. */
__asm__(".globl SSL_write\n.type SSL_write,@function\nSSL_write:\n"
        "  jmp 1f\n  int3\n1: jmp fake_write_impl\n  nop\n  nop\n  nop\n  nop\n"
        ".size SSL_write, .-SSL_write\n");
int SSL_write(void *s, const void *buf, int num);
#else
__attribute__((noinline)) int SSL_write(void *s, const void *buf, int num)
{
    return fake_write_impl(s, buf, num);
}
#endif

__attribute__((noinline)) int SSL_read(void *s, void *buf, int num)
{
    (void)s;
    size_t n = g_resp_len - g_resp_pos;
    if (n > (size_t)num)
        n = (size_t)num;
    memcpy(buf, g_resp + g_resp_pos, n);
    g_resp_pos += n;
    return (int)n;
}

__attribute__((noinline)) int SSL_get_error(const void *s, int ret)
{
    (void)s;
    return ret == 0 ? 6 /* SSL_ERROR_ZERO_RETURN */ : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    static char req[1 << 16];
    FILE *f = fopen(argv[1], "rb"), *g = fopen(argv[2], "rb");
    if (!f || !g)
        return 2;
    size_t rl = fread(req, 1, sizeof req, f);
    g_resp_len = fread(g_resp, 1, sizeof g_resp, g);
    fclose(f);
    fclose(g);
    static char ssl_object[64];
    if (SSL_write(ssl_object, req, (int)rl) != (int)rl)
        return 1;
    char buf[100];
    int r;
    while ((r = SSL_read(ssl_object, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)r, stdout);
    SSL_get_error(ssl_object, r);
    return 0;
}
