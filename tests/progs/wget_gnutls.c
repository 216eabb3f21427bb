/* wget_gnutls.c — a small HTTPS client on GnuTLS taking the wget options the tests use: the ASan
 * pass's stand-in for Debian's wget (GnuTLS), which cannot run under a preloaded ASan runtime.
 * Like wget it speaks HTTP/1.1 over gnutls_record_send/recv and keeps one connection alive across
 * URLs to the same host; built by test_tls_wget with the sanitizers.
 *
 * usage: wget_gnutls [-q] [-O -] [--ca-certificate=F] [--header=H]... [--post-data=D] URL...
 * Writes each response body to stdout. Exit status as wget's: 0 ok, 2 bad command line,
 * 4 network failure, 5 TLS/certificate failure, 8 an HTTP error status. */
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HEADERS 32

typedef struct conn {
    int fd;
    gnutls_session_t s;
    char host[256], port[16];
    char buf[65536]; /* bytes received and not used yet: buf[off..len) */
    size_t off, len;
    int eof;
} conn;

static gnutls_certificate_credentials_t cred;

static void conn_close(conn *c)
{
    if (c->fd < 0)
        return;
    gnutls_bye(c->s, GNUTLS_SHUT_WR);
    gnutls_deinit(c->s);
    close(c->fd);
    c->fd = -1;
}

/* Opens a TLS connection to host:port; returns 0, or wget's exit code. */
static int conn_open(conn *c, const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return 4;
    c->fd = -1;
    for (struct addrinfo *a = ai; a && c->fd < 0; a = a->ai_next) {
        c->fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (c->fd >= 0 && connect(c->fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(c->fd);
            c->fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (c->fd < 0)
        return 4;
    gnutls_datum_t alpn = {(unsigned char *)"http/1.1", 8};
    int rc = gnutls_init(&c->s, GNUTLS_CLIENT);
    if (rc == 0)
        rc = gnutls_set_default_priority(c->s);
    if (rc == 0)
        rc = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, cred);
    if (rc == 0)
        rc = gnutls_alpn_set_protocols(c->s, &alpn, 1, 0);
    if (rc != 0) {
        close(c->fd);
        c->fd = -1;
        return 5;
    }
    if (strspn(host, "0123456789.:") != strlen(host)) /* SNI takes names, not addresses */
        gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, host, strlen(host));
    gnutls_session_set_verify_cert(c->s, host, 0);
    gnutls_transport_set_int(c->s, c->fd);
    do
        rc = gnutls_handshake(c->s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0) {
        fprintf(stderr, "wget_gnutls: TLS handshake with %s:%s: %s\n", host, port, gnutls_strerror(rc));
        conn_close(c);
        return 5;
    }
    snprintf(c->host, sizeof c->host, "%s", host);
    snprintf(c->port, sizeof c->port, "%s", port);
    c->off = c->len = 0;
    c->eof = 0;
    return 0;
}

static int send_all(conn *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = gnutls_record_send(c->s, p, n);
        if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads more into c->buf (moving unused bytes to the front first); 0 at end of stream. */
static ssize_t fill(conn *c)
{
    if (c->eof)
        return 0;
    if (c->off > 0) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len == sizeof c->buf)
        return -1; /* a header line longer than the buffer */
    ssize_t r;
    do
        r = gnutls_record_recv(c->s, c->buf + c->len, sizeof c->buf - c->len);
    while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
    if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION) {
        c->eof = 1;
        return 0;
    }
    if (r < 0)
        return -1;
    c->len += (size_t)r;
    return r;
}

/* The next CRLF-terminated line (without it), NUL-terminated in place; NULL at EOF or error. */
static char *line(conn *c)
{
    for (;;) {
        char *start = c->buf + c->off;
        char *nl = memchr(start, '\n', c->len - c->off);
        if (nl) {
            c->off = (size_t)(nl + 1 - c->buf);
            if (nl > start && nl[-1] == '\r')
                nl--;
            *nl = '\0';
            return start;
        }
        if (fill(c) <= 0)
            return NULL;
    }
}

/* Copies n body bytes to stdout (n < 0: until the server closes). */
static int body(conn *c, long long n)
{
    while (n != 0) {
        if (c->off == c->len && fill(c) <= 0)
            return n < 0 ? 0 : -1;
        size_t k = c->len - c->off;
        if (n > 0 && (long long)k > n)
            k = (size_t)n;
        fwrite(c->buf + c->off, 1, k, stdout);
        c->off += k;
        if (n > 0)
            n -= (long long)k;
    }
    return 0;
}

/* One request and its response on c; returns 0, or wget's exit code. */
static int fetch(conn *c, const char *path, const char *post, const char **headers, int nh)
{
    int have_ctype = 0;
    size_t cap = 4096 + (post ? strlen(post) : 0);
    for (int i = 0; i < nh; i++) {
        cap += strlen(headers[i]) + 2;
        have_ctype |= strncasecmp(headers[i], "Content-Type:", 13) == 0;
    }
    char *req = malloc(cap);
    if (!req)
        return 4;
    int n = snprintf(req, cap,
                     "%s %s HTTP/1.1\r\nUser-Agent: wget_gnutls\r\nAccept: */*\r\n"
                     "Accept-Encoding: identity\r\nHost: %s:%s\r\nConnection: Keep-Alive\r\n",
                     post ? "POST" : "GET", path, c->host, c->port);
    for (int i = 0; i < nh; i++)
        n += snprintf(req + n, cap - (size_t)n, "%s\r\n", headers[i]);
    if (post)
        n += snprintf(req + n, cap - (size_t)n, "%sContent-Length: %zu\r\n\r\n%s",
                      have_ctype ? "" : "Content-Type: application/x-www-form-urlencoded\r\n",
                      strlen(post), post);
    else
        n += snprintf(req + n, cap - (size_t)n, "\r\n");
    int rc = send_all(c, req, (size_t)n);
    free(req);
    if (rc != 0)
        return 4;

    char *l = line(c);
    int status = 0;
    if (!l || sscanf(l, "HTTP/%*s %d", &status) != 1)
        return 4;
    long long length = -1;
    int chunked = 0, close_after = 0;
    while ((l = line(c)) && *l) {
        if (strncasecmp(l, "Content-Length:", 15) == 0)
            length = atoll(l + 15);
        else if (strncasecmp(l, "Transfer-Encoding:", 18) == 0 && strcasestr(l, "chunked"))
            chunked = 1;
        else if (strncasecmp(l, "Connection:", 11) == 0 && strcasestr(l, "close"))
            close_after = 1;
    }
    if (!l)
        return 4;
    if (chunked) {
        for (;;) {
            if (!(l = line(c)))
                return 4;
            long long size = strtoll(l, NULL, 16);
            if (size == 0)
                break;
            if (body(c, size) != 0 || !(l = line(c)))
                return 4;
        }
        while ((l = line(c)) && *l) /* trailers */
            ;
    } else if (body(c, length) != 0) {
        return 4;
    }
    if (close_after || (length < 0 && !chunked))
        conn_close(c);
    fflush(stdout);
    return status >= 400 ? 8 : 0;
}

int main(int argc, char **argv)
{
    const char *ca = NULL, *post = NULL, *headers[MAX_HEADERS];
    const char *urls[64];
    int nh = 0, nu = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-q") == 0) {
        } else if (strcmp(a, "-O") == 0 && i + 1 < argc && strcmp(argv[i + 1], "-") == 0) {
            i++;
        } else if (strncmp(a, "--ca-certificate=", 17) == 0) {
            ca = a + 17;
        } else if (strncmp(a, "--header=", 9) == 0 && nh < MAX_HEADERS) {
            headers[nh++] = a + 9;
        } else if (strncmp(a, "--post-data=", 12) == 0) {
            post = a + 12;
        } else if (strncmp(a, "https://", 8) == 0 && nu < 64) {
            urls[nu++] = a;
        } else {
            fprintf(stderr, "wget_gnutls: unsupported argument %s\n", a);
            return 2;
        }
    }
    if (nu == 0 || gnutls_global_init() != 0 || gnutls_certificate_allocate_credentials(&cred) != 0)
        return 2;
    if (ca ? gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM) < 0
           : gnutls_certificate_set_x509_system_trust(cred) < 0)
        return 5;

    static conn c = {.fd = -1};
    int status = 0;
    for (int i = 0; i < nu; i++) {
        /* https://HOST[:PORT][/PATH] */
        char host[256], port[16] = "443";
        const char *h = urls[i] + 8, *slash = strchr(h, '/');
        const char *path = slash ? slash : "/";
        size_t hl = slash ? (size_t)(slash - h) : strlen(h);
        const char *colon = memchr(h, ':', hl);
        if ((colon ? (size_t)(colon - h) : hl) >= sizeof host)
            return 2;
        snprintf(host, sizeof host, "%.*s", (int)(colon ? colon - h : (long)hl), h);
        if (colon)
            snprintf(port, sizeof port, "%.*s", (int)(h + hl - colon - 1), colon + 1);
        if (c.fd >= 0 && (strcmp(c.host, host) != 0 || strcmp(c.port, port) != 0))
            conn_close(&c);
        int rc = c.fd >= 0 ? 0 : conn_open(&c, host, port);
        if (rc == 0)
            rc = fetch(&c, path, post, headers, nh);
        if (rc == 4)
            conn_close(&c);
        if (rc != 0)
            status = rc;
    }
    conn_close(&c);
    gnutls_certificate_free_credentials(cred);
    gnutls_global_deinit();
    return status;
}
