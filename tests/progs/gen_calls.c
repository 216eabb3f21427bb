/* gen_calls.c — fills a database with N synthetic calls through the store API (pl_store_insert,
 * each with its normalized record, as a capture writes it), for the report's scale test:
 * multi-turn conversations, several models and providers, streams with a time to first token,
 * errors, and a system prompt and tool list that change version along the way.
 * usage: gen_calls DB N   (deterministic: the same N gives the same calls) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../store/store.h"
#include "../../store/rebuild.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_calls DB N\n");
        return 2;
    }
    long n = atol(argv[2]);
    pl_store *s = NULL;
    char err[512];
    if (pl_store_open(argv[1], PL_STORE_CREATE, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "gen_calls: %s\n", err);
        return 1;
    }
    static const char *const models[] = {"gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "llama3"};
    static const char *const providers[] = {"openai", "openai", "anthropic", "ollama"};
    static const char *const hosts[] = {"api.openai.com", "api.openai.com", "api.anthropic.com", "localhost"};
    /* every provider through its OpenAI-compatible endpoint: one body shape, which the
     * normalizer reads for each, so the store links every turn to the one before */
    unsigned seed = 42;
    double t = 1790000000.0;
    char *req = malloc(1 << 16), *resp = malloc(1 << 14);
    for (long i = 0; i < n; i++) {
        long conv = i / 5, turn = i % 5;           /* five turns per conversation */
        int m = (int)(conv % 4);
        int version = i < n / 2 ? 1 : 2;          /* the system prompt changes halfway */
        seed = seed * 1103515245u + 12345u;
        int failed = (seed >> 16) % 50 == 0;
        int stream = (seed >> 8) % 2;
        double dur = 0.2 + (double)((seed >> 4) % 3000) / 1000.0;
        t += 3.0;
        /* the request carries the whole history, as an agent's does; version 2 of the prompt
         * also adds a tool */
        const char *tools = version == 2 ? "{\"type\":\"function\",\"function\":{\"name\":\"read_file\"}},"
                                           "{\"type\":\"function\",\"function\":{\"name\":\"search\"}}"
                                         : "{\"type\":\"function\",\"function\":{\"name\":\"read_file\"}}";
        int len = snprintf(req, 1 << 16,
                           "{\"model\":\"%s\",%s\"tools\":[%s],\"messages\":[{\"role\":\"system\",\"content\":\"You are agent v%d.\\nBe helpful.%s\"},"
                           "{\"role\":\"user\",\"content\":\"task %ld: summarise file %ld\"}",
                           models[m], stream ? "\"stream\":false," : "", tools, version, version == 2 ? "\\nCite sources." : "", conv, conv);
        for (long k = 0; k < turn; k++)
            len += snprintf(req + len, (1 << 16) - len,
                            ",{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_%ld_%ld\",\"type\":\"function\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"part\\\":%ld}\"}}]},"
                            "{\"role\":\"tool\",\"tool_call_id\":\"call_%ld_%ld\",\"content\":\"part %ld of file %ld\"}",
                            conv, k, k, conv, k, k, conv);
        len += snprintf(req + len, (1 << 16) - len, "]}");
        /* each turn but the last asks for the tool call that the next request carries */
        char msg[256];
        if (turn < 4)
            snprintf(msg, sizeof msg, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_%ld_%ld\",\"type\":"
                     "\"function\",\"function\":{\"name\":\"read_file\",\"arguments\":\"{\\\"part\\\":%ld}\"}}]},\"finish_reason\":\"tool_calls\"",
                     conv, turn, turn);
        else
            snprintf(msg, sizeof msg, "{\"role\":\"assistant\",\"content\":\"Summary of file %ld.\"},\"finish_reason\":\"stop\"", conv);
        int rl = failed ? snprintf(resp, 1 << 14, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit\"}}")
                        : snprintf(resp, 1 << 14,
                                   "{\"id\":\"chatcmpl-%ld\",\"object\":\"chat.completion\",\"model\":\"%s\",\"choices\":[{\"index\":0,"
                                   "\"message\":%s}],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%d,\"total_tokens\":0}}",
                                   i, models[m], msg, 20 + 15 * turn, 5 + (int)(seed % 40));
        char url[128], prev[64], comp[64];
        snprintf(url, sizeof url, "https://%s/v1/chat/completions", hosts[m]);
        snprintf(prev, sizeof prev, "task %ld: summarise file %ld", conv, conv);
        snprintf(comp, sizeof comp, turn < 4 ? "read_file" : "Summary of file %ld.", conv);
        pl_row r = {0};
        r.ns = conv % 10 == 9 ? "batch" : "default";
        r.provider = providers[m];
        r.host = hosts[m];
        r.model = models[m];
        r.api = "openai.chat";
        r.kind = "chat";
        r.method = "POST";
        r.url = url;
        r.path = "/v1/chat/completions";
        r.status = failed ? 429 : 200;
        r.stream = 0;
        r.started_at = t;
        r.duration = dur;
        r.ttfb = dur / 3;
        r.ttft = stream && !failed ? dur / 4 : -1;
        r.stream = stream && !failed;
        r.input_tokens = failed ? -1 : 20 + 15 * turn;
        r.output_tokens = failed ? -1 : 5 + (long long)(seed % 40);
        r.finish_reason = failed ? NULL : turn < 4 ? "tool_calls" : "stop";
        r.error = failed ? "Rate limit reached" : NULL;
        r.prompt_preview = prev;
        r.completion_preview = failed ? NULL : comp;
        r.pid = 1000 + (int)conv;
        r.program = conv % 3 ? "agent.py" : "batch.py";
        r.source = "openssl";
        r.http_version = 11;
        r.content_type = "application/json";
        r.req_body = req;
        r.req_len = (size_t)len;
        r.resp_body = resp;
        r.resp_len = (size_t)rl;
        pl_llm_input in;
        pl_endpoint ep;
        pl_store_llm_input(&r, &in, &ep);
        cJSON *rec = pl_llm_normalize(&in);
        r.record = rec;
        int bad = pl_store_insert(s, &r, err, sizeof err) < 0;
        cJSON_Delete(rec);
        if (bad) {
            fprintf(stderr, "gen_calls: %s\n", err);
            return 1;
        }
    }
    free(req);
    free(resp);
    pl_store_close(s);
    return 0;
}
