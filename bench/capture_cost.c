/* capture_cost.c — what one captured LLM exchange costs on the program's thread: times
 * pl_capture_commit (normalize, redact, compress, insert, commit) against a baseline that builds
 * the same exchange and frees it. Not a unit test: bench/run.sh builds and runs it.
 *
 * usage: capture_cost FIXTURES_DIR [ITERATIONS]   (PROMPTLOG_DATABASE must name a scratch db) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../preload/capture.h"
#include "../preload/engine.h"
#include "../preload/runtime.h"
#include "../util/jsonarena.h"

static char *resp;
static size_t resp_len;
static char req[4096];
static size_t req_len;

static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void add(pl_headers *h, const char *n, const char *v)
{
    pl_headers_add(h, n, strlen(n), v, strlen(v));
}

/* A streamed chat completion as the HTTP layers hand it over: ~2 KB request, the SSE fixture
 * arriving in ~60 pieces with arrival marks. */
static pl_exchange *build(void)
{
    pl_exchange *x = pl_exchange_new(PL_SOURCE_OPENSSL);
    x->method = strdup("POST");
    pl_exchange_set_url(x, "https://api.openai.com/v1/chat/completions");
    x->http_version = 20;
    add(&x->req_headers, "Content-Type", "application/json");
    add(&x->req_headers, "Authorization", "Bearer sk-bench-not-a-real-key-0123456789abcdef");
    add(&x->req_headers, "User-Agent", "OpenAI/Python 1.51.0");
    add(&x->req_headers, "Accept", "application/json");
    add(&x->req_headers, "X-Stainless-Lang", "python");
    pl_buf_append(&x->req_body, req, req_len);
    x->status = 200;
    add(&x->resp_headers, "Content-Type", "text/event-stream; charset=utf-8");
    add(&x->resp_headers, "Openai-Processing-Ms", "312");
    add(&x->resp_headers, "Set-Cookie", "__cf_bm=abc; path=/; HttpOnly");
    double t = pl_now();
    x->started_at = t - 0.5;
    for (size_t off = 0; off < resp_len; off += 40) {
        size_t n = resp_len - off < 40 ? resp_len - off : 40;
        pl_buf_append(&x->resp_body, resp + off, n);
        pl_exchange_mark(x, t - 0.4 + (double)off / 1e7);
    }
    x->ended_at = t;
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR [ITERATIONS]\n", argv[0]);
        return 2;
    }
    int iters = argc > 2 ? atoi(argv[2]) : 500;
    if (iters < 10)
        iters = 10;
    char path[4096];
    snprintf(path, sizeof path, "%s/openai_chat_stream_include_usage.sse", argv[1]);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    resp = malloc(1 << 20);
    resp_len = fread(resp, 1, 1 << 20, f);
    fclose(f);

    /* ~2 KB request: a system prompt, a few turns and generation parameters. */
    req_len = (size_t)snprintf(req, sizeof req,
        "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        "\"temperature\":0.2,\"max_tokens\":512,\"messages\":["
        "{\"role\":\"system\",\"content\":\"%.*s\"},"
        "{\"role\":\"user\",\"content\":\"%.*s\"},"
        "{\"role\":\"assistant\",\"content\":\"%.*s\"},"
        "{\"role\":\"user\",\"content\":\"Say this is a test\"}]}",
        700, "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. "
             "You are a careful assistant. Answer briefly and cite nothing you cannot verify. ",
        600, "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. "
             "Here is a long question about the weather in several cities and what to wear. ",
        500, "A previous answer that goes on for a while so the request has realistic size. "
             "A previous answer that goes on for a while so the request has realistic size. "
             "A previous answer that goes on for a while so the request has realistic size. "
             "A previous answer that goes on for a while so the request has realistic size. "
             "A previous answer that goes on for a while so the request has realistic size. "
             "A previous answer that goes on for a while so the request has realistic size. "
             "A previous answer that goes on for a while so the request has realistic size. ");

    pl_endpoint ep;
    if (!pl_capture_wanted("POST", "api.openai.com", 443, "/v1/chat/completions", &ep)) {
        fprintf(stderr, "capture_cost: endpoint not recognised (or PROMPTLOG_DISABLE set)\n");
        return 1;
    }

    if (pl_engine_load() != 0) {
        fprintf(stderr, "capture_cost: the capture engine is not available\n");
        return 1;
    }
    /* Linked in, the engine cannot tell our cJSON from a host's: do what the loaded engine does
     * in a program without cJSON of its own. */
    pl_jsonarena_install();

    double *base = calloc((size_t)iters, sizeof *base);
    double *cap = calloc((size_t)iters, sizeof *cap);

    /* The first commit opens the database and creates the schema: reported on its own. */
    double t0 = mono_us();
    pl_capture_commit(build(), &ep);
    double first = mono_us() - t0;

    for (int i = 0; i < iters; i++) {
        t0 = mono_us();
        pl_exchange_free(build());
        base[i] = mono_us() - t0;
    }
    for (int i = 0; i < iters; i++) {
        t0 = mono_us();
        pl_capture_commit(build(), &ep);
        cap[i] = mono_us() - t0;
    }
    pl_stats st = pl_stats_get();
    double mb = median(base, iters), mc = median(cap, iters);
    double p90 = cap[(int)(iters * 0.9)];
    printf("capture_cost: %d iterations, request %zu B, streamed response %zu B\n", iters, req_len, resp_len);
    printf("  baseline (build + free)          median %8.1f us\n", mb);
    printf("  captured (build + commit)        median %8.1f us   p90 %8.1f us\n", mc, p90);
    printf("  cost of one captured exchange    median %8.1f us   (ratio %.1fx)\n", mc - mb, mb > 0 ? mc / mb : 0);
    printf("  first commit (opens the db)             %8.1f us\n", first);
    printf("  rows committed %lu, skipped %lu\n", st.captured, st.skipped);
    free(base);
    free(cap);
    free(resp);
    return st.captured == (unsigned long)iters + 1 ? 0 : 1;
}
