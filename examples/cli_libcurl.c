/* cli_libcurl.c — a small curl command line on libcurl, driving it the way the curl tool does: one
 * easy handle per URL, all sharing one connection cache, run in order with curl_easy_perform, or
 * together on a multi handle with -Z. The ASan pass's stand-in for Debian's curl, which cannot run
 * under a preloaded ASan runtime (this program is built with the sanitizers, so their runtime
 * initializes first).
 *
 * usage: cli_libcurl [OPTIONS] URL... [--next [OPTIONS] URL...]...
 * Options (as in curl): -s -S -N --no-progress-meter -Z/--parallel --parallel-max N (global);
 * per group (reset by --next): --http1.0 --http1.1 --http2 --cacert F -k -H H -d/--data D|@F
 * --data-binary D|@F --data-raw D -T F -X M -o F --compressed -f -I -i.
 * Exit status: libcurl's code of the last failed transfer (curl's own numbers), 0 if none failed;
 * 2 for a bad command line. Errors are said on stderr as "cli_libcurl: (N) message" unless -s
 * without -S. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_URLS 64

typedef struct group {
    struct curl_slist *headers;
    char *data; /* the joined -d parts; NULL without -d */
    size_t data_len;
    const char *cacert, *method, *upload;
    long http_version;
    int insecure, compressed, fail, head, include;
    const char *urls[MAX_URLS], *outs[MAX_URLS];
    int nurls, nouts;
} group;

typedef struct transfer {
    CURL *h;
    const group *g;
    const char *url;
    FILE *out, *in;
    CURLcode result;
} transfer;

static int silent, show_error, parallel, no_buffer;
static long parallel_max = 50;

static size_t write_out(char *p, size_t size, size_t n, void *ud)
{
    size_t done = fwrite(p, size, n, ud) * size;
    if (no_buffer)
        fflush(ud);
    return done;
}

/* The curl tool always sets a header callback (it reads headers for -D, --etag-save and more), so
 * libcurl delivers headers to two callbacks here as it does in curl; -i/-I use CURLOPT_HEADER. */
static size_t header_in(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static size_t read_in(char *p, size_t size, size_t n, void *ud)
{
    return fread(p, size, n, ud) * size;
}

/* Appends one -d part: parts are joined with '&'; "@FILE" reads the file, and for -d (not
 * --data-binary) drops its CR and LF bytes, as curl does. */
static int add_data(group *g, const char *arg, int binary, int raw)
{
    char *part = NULL;
    size_t len = 0;
    if (!raw && arg[0] == '@') {
        FILE *f = fopen(arg + 1, "rb");
        if (!f)
            return -1;
        char buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
            char *np = realloc(part, len + got + 1);
            if (!np) {
                free(part);
                fclose(f);
                return -1;
            }
            part = np;
            for (size_t i = 0; i < got; i++)
                if (binary || (buf[i] != '\r' && buf[i] != '\n'))
                    part[len++] = buf[i];
        }
        fclose(f);
        if (!part && !(part = malloc(1)))
            return -1;
    } else {
        len = strlen(arg);
        if (!(part = malloc(len + 1)))
            return -1;
        memcpy(part, arg, len);
    }
    size_t total = g->data ? g->data_len + 1 + len : len;
    char *d = realloc(g->data, total + 1);
    if (!d) {
        free(part);
        return -1;
    }
    if (g->data)
        d[g->data_len] = '&';
    memcpy(d + total - len, part, len);
    d[total] = '\0';
    free(part);
    g->data = d;
    g->data_len = total;
    return 0;
}

/* Parses argv into groups (split at --next); returns the number of groups, or -1. */
static int parse(int argc, char **argv, group *gs, int max_groups)
{
    int ng = 1;
    group *g = &gs[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0)
#define NEEDV()                                                                              \
    do {                                                                                     \
        if (!v) {                                                                            \
            fprintf(stderr, "cli_libcurl: option %s: requires an argument\n", a);           \
            return -1;                                                                       \
        }                                                                                    \
        i++;                                                                                 \
    } while (0)
        if (ARG("--next") || ARG("-:")) {
            if (ng == max_groups)
                return -1;
            g = &gs[ng++];
        } else if (ARG("--no-progress-meter")) {
        } else if (ARG("--silent")) {
            silent = 1;
        } else if (ARG("--show-error")) {
            show_error = 1;
        } else if (ARG("--no-buffer")) {
            no_buffer = 1;
        } else if (ARG("--parallel")) {
            parallel = 1;
        } else if (ARG("--parallel-max")) {
            NEEDV();
            parallel_max = atol(v);
        } else if (ARG("--http1.0")) {
            g->http_version = CURL_HTTP_VERSION_1_0;
        } else if (ARG("--http1.1")) {
            g->http_version = CURL_HTTP_VERSION_1_1;
        } else if (ARG("--http2")) {
            g->http_version = CURL_HTTP_VERSION_2_0;
        } else if (ARG("--cacert")) {
            NEEDV();
            g->cacert = v;
        } else if (ARG("--insecure")) {
            g->insecure = 1;
        } else if (ARG("--compressed")) {
            g->compressed = 1;
        } else if (ARG("--fail")) {
            g->fail = 1;
        } else if (ARG("--head")) {
            g->head = 1;
        } else if (ARG("--include")) {
            g->include = 1;
        } else if (ARG("-H") || ARG("--header")) {
            NEEDV();
            struct curl_slist *l = curl_slist_append(g->headers, v);
            if (!l)
                return -1;
            g->headers = l;
        } else if (ARG("-d") || ARG("--data") || ARG("--data-ascii") || ARG("--data-binary") ||
                   ARG("--data-raw")) {
            NEEDV();
            if (add_data(g, v, ARG("--data-binary"), ARG("--data-raw")) != 0) {
                fprintf(stderr, "cli_libcurl: cannot read data from %s\n", v);
                return -1;
            }
        } else if (ARG("-T") || ARG("--upload-file")) {
            NEEDV();
            g->upload = v;
        } else if (ARG("-X") || ARG("--request")) {
            NEEDV();
            g->method = v;
        } else if (ARG("-o") || ARG("--output")) {
            NEEDV();
            if (g->nouts == MAX_URLS)
                return -1;
            g->outs[g->nouts++] = v;
        } else if (a[0] == '-' && a[1] != '-' && a[1] && strspn(a + 1, "sSNkfZIi") == strlen(a + 1)) {
            for (const char *c = a + 1; *c; c++)
                switch (*c) {
                case 's': silent = 1; break;
                case 'S': show_error = 1; break;
                case 'N': no_buffer = 1; break;
                case 'k': g->insecure = 1; break;
                case 'f': g->fail = 1; break;
                case 'Z': parallel = 1; break;
                case 'I': g->head = 1; break;
                case 'i': g->include = 1; break;
                }
        } else if (a[0] == '-') {
            fprintf(stderr, "cli_libcurl: option %s: is unknown\n", a);
            return -1;
        } else {
            if (g->nurls == MAX_URLS)
                return -1;
            g->urls[g->nurls++] = a;
        }
#undef ARG
#undef NEEDV
    }
    return ng;
}

/* Makes transfer t's easy handle from its group's options, as the curl tool sets them. */
static int setup(transfer *t, CURLSH *share, int index_in_group)
{
    const group *g = t->g;
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    t->h = h;
    t->out = stdout;
    if (index_in_group < g->nouts && !(t->out = fopen(g->outs[index_in_group], "wb"))) {
        fprintf(stderr, "cli_libcurl: cannot write %s\n", g->outs[index_in_group]);
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_out);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t->out);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_in);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)t);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cli_libcurl/" LIBCURL_VERSION);
    if (g->headers)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, g->headers);
    if (g->data) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, g->data);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)g->data_len);
    }
    if (g->upload) {
        struct stat st;
        if (!(t->in = fopen(g->upload, "rb")) || fstat(fileno(t->in), &st) != 0) {
            fprintf(stderr, "cli_libcurl: cannot read %s\n", g->upload);
            return -1;
        }
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_in);
        curl_easy_setopt(h, CURLOPT_READDATA, t->in);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
    }
    if (g->method)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, g->method);
    if (g->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, g->cacert);
    if (g->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (g->http_version)
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION, g->http_version);
    if (g->compressed)
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (g->fail)
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    if (g->head)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (g->head || g->include)
        curl_easy_setopt(h, CURLOPT_HEADER, 1L);
    return 0;
}

/* Says a failed transfer's code and libcurl's name for it; not the error buffer, whose timings
 * ("after 3 ms") differ between two otherwise equal runs. */
static void report(const transfer *t)
{
    if (t->result != CURLE_OK && (!silent || show_error))
        fprintf(stderr, "cli_libcurl: (%d) %s\n", (int)t->result, curl_easy_strerror(t->result));
}

/* -Z: every transfer on one multi handle, at most parallel_max at a time. */
static void run_parallel(transfer *ts, int n)
{
    CURLM *m = curl_multi_init();
    if (!m) {
        for (int i = 0; i < n; i++)
            ts[i].result = CURLE_OUT_OF_MEMORY;
        return;
    }
    int next = 0, active = 0;
    while (next < n || active > 0) {
        while (next < n && active < (parallel_max > 0 ? parallel_max : 1)) {
            curl_multi_add_handle(m, ts[next++].h);
            active++;
        }
        int running;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc == CURLM_OK && running)
            mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            fprintf(stderr, "cli_libcurl: %s\n", curl_multi_strerror(mc));
            break;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            transfer *t;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            t->result = msg->data.result;
            curl_multi_remove_handle(m, msg->easy_handle);
            active--;
            report(t);
        }
    }
    curl_multi_cleanup(m);
}

int main(int argc, char **argv)
{
    static group gs[MAX_URLS];
    static transfer ts[MAX_URLS];
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    int ng = parse(argc, argv, gs, MAX_URLS), n = 0, status = 0;
    if (ng < 0)
        status = 2;
    for (int gi = 0; gi < ng && n < MAX_URLS; gi++)
        for (int u = 0; u < gs[gi].nurls && n < MAX_URLS; u++, n++) {
            ts[n].g = &gs[gi];
            ts[n].url = gs[gi].urls[u];
        }
    if (status == 0 && n == 0) {
        fprintf(stderr, "cli_libcurl: no URL specified\n");
        status = 2;
    }
    CURLSH *share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);

    int first_in_group = 0;
    for (int i = 0; status == 0 && i < n; i++) {
        if (i > 0 && ts[i].g != ts[i - 1].g)
            first_in_group = i;
        if (setup(&ts[i], share, i - first_in_group) != 0)
            status = 2;
    }
    if (status == 0) {
        if (parallel) {
            run_parallel(ts, n);
        } else {
            for (int i = 0; i < n; i++) {
                ts[i].result = curl_easy_perform(ts[i].h);
                report(&ts[i]);
            }
        }
        for (int i = 0; i < n; i++)
            if (ts[i].result != CURLE_OK)
                status = (int)ts[i].result;
    }
    for (int i = 0; i < n; i++) {
        if (ts[i].h)
            curl_easy_cleanup(ts[i].h);
        if (ts[i].out && ts[i].out != stdout)
            fclose(ts[i].out);
        if (ts[i].in)
            fclose(ts[i].in);
    }
    for (int gi = 0; gi < MAX_URLS; gi++) { /* a failed parse may have filled any */
        curl_slist_free_all(gs[gi].headers);
        free(gs[gi].data);
    }
    curl_share_cleanup(share);
    curl_global_cleanup();
    fflush(stdout);
    return status;
}
