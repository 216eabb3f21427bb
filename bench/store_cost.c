/* store_cost.c — what the readable store costs per capture: thread CPU time of pl_store_insert
 * along a 50-turn conversation (1 KB system prompt, ~250-byte user turns, each call re-sending
 * the history), once with the normalized record (messages stored once, links, body chains, FTS)
 * and once without (bodies and columns only, as before schema 3). Not a unit test: run by
 * bench/store_bench.sh.  usage: store_cost DB_WITH DB_WITHOUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../llm/llm.h"
#include "../store/store.h"

static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Returns the median insert CPU time in µs, or -1. */
static double run(const char *path, int with_record)
{
    pl_store *s = NULL;
    char err[256];
    if (pl_store_open(path, PL_STORE_CREATE, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "store_cost: %s\n", err);
        return -1;
    }
    static char hist[65536], req[66000], resp[2048];
    strcpy(hist, "[{\"role\":\"system\",\"content\":\"");
    for (int i = 0; i < 20; i++)
        strcat(hist, "You are a careful assistant for a build system. ");
    strcat(hist, "\"}");
    enum { TURNS = 50 };
    double t[TURNS];
    for (int k = 0; k < TURNS; k++) {
        char turn[400];
        snprintf(turn, sizeof turn,
                 ",{\"role\":\"user\",\"content\":\"turn %d: the queue worker hit a timeout and we retry with backoff; "
                 "the cache shard index is stale and the schema migration needs a planner budget check before export %d\"}",
                 k, k * 7);
        strcat(hist, turn);
        snprintf(req, sizeof req, "{\"model\":\"gpt-4o-mini\",\"messages\":%s]}", hist);
        snprintf(resp, sizeof resp,
                 "{\"id\":\"chatcmpl-%d\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"answer %d: "
                 "restart the worker\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}",
                 k, k);
        pl_llm_input in = {.api = PL_API_OPENAI_CHAT, .target = "/v1/chat/completions", .status = 200,
                           .req_body = req, .req_len = strlen(req), .resp_body = resp, .resp_len = strlen(resp)};
        cJSON *rec = pl_llm_normalize(&in);
        pl_row r;
        memset(&r, 0, sizeof r);
        r.ns = "default";
        r.kind = "chat";
        r.model = "gpt-4o-mini";
        r.status = 200;
        r.started_at = 1700000000 + k;
        r.duration = r.ttfb = r.ttft = -1;
        r.input_tokens = r.output_tokens = -1;
        r.req_body = req;
        r.req_len = strlen(req);
        r.resp_body = resp;
        r.resp_len = strlen(resp);
        r.record = with_record ? rec : NULL;
        double t0 = cpu_us();
        long long id = pl_store_insert(s, &r, err, sizeof err);
        t[k] = cpu_us() - t0;
        cJSON_Delete(rec);
        if (id < 0) {
            fprintf(stderr, "store_cost: %s\n", err);
            return -1;
        }
        char a[200];
        snprintf(a, sizeof a, ",{\"role\":\"assistant\",\"content\":\"answer %d: restart the worker\"}", k);
        strcat(hist, a);
    }
    pl_store_close(s);
    qsort(t, TURNS, sizeof *t, cmp);
    return (t[TURNS / 2 - 1] + t[TURNS / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: store_cost DB_WITH DB_WITHOUT\n");
        return 2;
    }
    double with = run(argv[1], 1), without = run(argv[2], 0);
    if (with < 0 || without < 0)
        return 1;
    printf("  insert CPU per capture, median of a 50-turn conversation: %.0f us with messages, links and"
           " chains; %.0f us bodies only: +%.0f us (%.2fx)\n", with, without, with - without, with / without);
    return 0;
}
