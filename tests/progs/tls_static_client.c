/* tls_static_client.c — a minimal HTTPS client for the entry-patching tests: the test links it
 * with Debian's libssl.a/libcrypto.a, so OpenSSL lives inside the executable and its SSL_write
 * and SSL_read are reached only by direct calls.
 *
 * Usage: tls_static_client PORT CAFILE PATH BODYFILE [ex]
 * POSTs BODYFILE to https://127.0.0.1:PORT/PATH (Connection: close) and prints the raw response
 * (head and body) on stdout; "ex" uses SSL_write_ex/SSL_read_ex. Exit 0 on success. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    int use_ex = argc > 5 && strcmp(argv[5], "ex") == 0;
    FILE *f = fopen(argv[4], "rb");
    if (!f)
        return 2;
    static char body[1 << 16];
    size_t blen = fread(body, 1, sizeof body, f);
    fclose(f);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        return 1;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, argv[2], NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL *s = SSL_new(ctx);
    SSL_set_fd(s, fd);
    SSL_set1_host(s, "127.0.0.1");
    if (SSL_connect(s) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    static char req[1 << 17];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\n"
                     "Authorization: Bearer sk-static-secret\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     argv[3], argv[1], blen);
    memcpy(req + n, body, blen);
    size_t total = (size_t)n + blen, done;
    if (use_ex ? SSL_write_ex(s, req, total, &done) != 1 : SSL_write(s, req, (int)total) != (int)total) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    char buf[4096];
    for (;;) {
        size_t got = 0;
        int r = use_ex ? SSL_read_ex(s, buf, sizeof buf, &got) : SSL_read(s, buf, sizeof buf);
        if (!use_ex)
            got = r > 0 ? (size_t)r : 0;
        if ((use_ex && r != 1) || (!use_ex && r <= 0))
            break;
        fwrite(buf, 1, got, stdout);
    }
    SSL_shutdown(s);
    SSL_free(s);
    SSL_CTX_free(ctx);
    close(fd);
    return 0;
}
