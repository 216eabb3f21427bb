/* test_export.c — prompt-logger line shapes (chat, text, models, omit-empty, extras) and the
 * export commands end to end over a real store, re-normalizing the stored fixture bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The exporter's objects are not linked into unit tests; its pure parts are compiled in here. */
#include "../../exporter/cli.c"
#include "../../exporter/commands.c"
#include "../../exporter/cost.c"
#include "../../exporter/export.c"
#include "../../exporter/prices.c"
#include "../../exporter/outfile.c"
#include "test_store_util.h"

static char *line_text(cJSON *line)
{
    assert_non_null(line);
    char *t = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    return t;
}

static pl_row base_row(void)
{
    pl_row r = tmp_chat_row("default", 1700000000.5);
    r.id = 7;
    r.provider = "openai";
    r.duration = 1.25;
    r.pid = 123;
    r.program = "curl";
    return r;
}

static void test_omit_empty(void **state)
{
    (void)state;
    cJSON *o = cJSON_Parse("{\"a\":null,\"b\":\"\",\"c\":[],\"d\":{},\"e\":0,\"f\":false,\"g\":\"x\",\"h\":[1],\"i\":{\"j\":null}}");
    pl_export_omit_empty(o);
    char *t = line_text(o);
    assert_string_equal(t, "{\"e\":0,\"f\":false,\"g\":\"x\",\"h\":[1],\"i\":{\"j\":null}}");
    cJSON_free(t);
}

static void test_model_line(void **state)
{
    (void)state;
    pl_model_row m = {.id = 3, .ns = "ns1", .name = "gpt-4o", .provider = "openai", .created = 1700000000.25};
    char *t = line_text(pl_export_model_line(&m));
    assert_string_equal(t, "{\"id\":3,\"namespace\":\"ns1\",\"name\":\"gpt-4o\",\"provider\":\"openai\",\"created\":1700000000.25}");
    cJSON_free(t);
    m.provider = NULL;
    t = line_text(pl_export_model_line(&m));
    assert_null(strstr(t, "provider"));
    cJSON_free(t);
}

static void test_chat_line_shape(void **state)
{
    (void)state;
    pl_row r = base_row();
    cJSON *rec = cJSON_Parse(
        "{\"kind\":\"chat\",\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        "\"tools\":[],\"generation_kwargs\":{\"temperature\":0},"
        "\"completions\":[{\"role\":\"assistant\",\"content\":\"hello\",\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"input_tokens\":5,\"output_tokens\":2},\"first_token_offset\":10}");
    char *t = line_text(pl_export_prompt_line(&r, rec, "chat"));
    assert_string_equal(t,
        "{\"id\":7,\"namespace\":\"default\",\"model\":\"gpt-4o-mini\","
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"generation_kwargs\":{\"temperature\":0},"
        "\"completions\":[{\"role\":\"assistant\",\"content\":\"hello\",\"finish_reason\":\"stop\"}],"
        "\"inference_on\":1700000000.5,\"inference_seconds\":1.25,\"provider\":\"openai\","
        "\"endpoint\":\"/v1/chat/completions\",\"status\":200,\"stream\":false,"
        "\"usage\":{\"input_tokens\":5,\"output_tokens\":2},\"pid\":123,\"program\":\"curl\"}");
    cJSON_free(t);
    /* chat records never come out as text, and the reverse */
    assert_null(pl_export_prompt_line(&r, rec, "text"));
    cJSON_Delete(rec);
}

static void test_chat_line_error_and_fallbacks(void **state)
{
    (void)state;
    pl_row r = base_row();
    r.status = 0;
    r.stream = 1;
    r.incomplete = 1;
    r.truncated = 1;
    r.decode_error = 1;
    r.duration = -1;
    r.input_tokens = 9;
    r.pid = -1;
    r.program = NULL;
    r.error = "Couldn't connect to server";
    cJSON *rec = cJSON_Parse("{\"kind\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"completions\":[]}");
    char *t = line_text(pl_export_prompt_line(&r, rec, "chat"));
    assert_string_equal(t,
        "{\"id\":7,\"namespace\":\"default\",\"model\":\"gpt-4o-mini\","
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"generation_kwargs\":{},"
        "\"completions\":[],\"inference_on\":1700000000.5,"
        "\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"stream\":true,"
        "\"usage\":{\"input_tokens\":9},\"error\":\"Couldn't connect to server\",\"incomplete\":true,"
        "\"truncated\":true,\"decode_error\":true}");
    cJSON_free(t);
    cJSON_Delete(rec);

    /* the record's own error wins over the row's; usage with nothing known is left out */
    r.input_tokens = -1;
    rec = cJSON_Parse("{\"kind\":\"chat\",\"error\":\"model not found\",\"status\":404}");
    cJSON *line = pl_export_prompt_line(&r, rec, "chat");
    assert_string_equal(cJSON_GetObjectItem(line, "error")->valuestring, "model not found");
    assert_null(cJSON_GetObjectItem(line, "usage"));
    /* prompt-logger's fields stay, empty: a consumer reading completions[] must not fail */
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(line, "completions")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(line, "completions")), 0);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(line, "messages")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(line, "generation_kwargs")));
    cJSON_Delete(line);
    cJSON_Delete(rec);
}

static void test_text_and_embedding_lines(void **state)
{
    (void)state;
    pl_row r = base_row();
    r.api = "openai.completions";
    r.kind = "text";
    r.path = "/v1/completions";
    cJSON *rec = cJSON_Parse("{\"kind\":\"text\",\"model\":\"davinci-002\",\"prompt\":\"Tell me\",\"response\":\"a joke\","
                             "\"generation_kwargs\":{\"max_tokens\":7},\"usage\":{\"input_tokens\":8,\"output_tokens\":16}}");
    char *t = line_text(pl_export_prompt_line(&r, rec, "text"));
    assert_string_equal(t,
        "{\"id\":7,\"namespace\":\"default\",\"prompt\":\"Tell me\",\"response\":\"a joke\",\"model\":\"davinci-002\","
        "\"inference_on\":1700000000.5,\"inference_seconds\":1.25,\"provider\":\"openai\",\"endpoint\":\"/v1/completions\","
        "\"status\":200,\"stream\":false,\"usage\":{\"input_tokens\":8,\"output_tokens\":16},\"pid\":123,\"program\":\"curl\"}");
    cJSON_free(t);
    assert_null(pl_export_prompt_line(&r, rec, "chat"));
    cJSON_Delete(rec);

    r.kind = "embedding";
    rec = cJSON_Parse("{\"kind\":\"embedding\",\"model\":\"text-embedding-3-small\"}");
    assert_null(pl_export_prompt_line(&r, rec, "chat"));
    assert_null(pl_export_prompt_line(&r, rec, "text"));
    assert_null(pl_export_prompt_line(&r, NULL, "text"));
    cJSON_Delete(rec);
}

static void test_input_from_row(void **state)
{
    (void)state;
    pl_row r = base_row();
    r.provider = "google";
    r.host = "generativelanguage.googleapis.com";
    r.api = "gemini.generate";
    r.model = NULL;
    r.url = "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse&key=[REDACTED]";
    r.path = "/v1beta/models/gemini-1.5-flash:streamGenerateContent";
    r.content_type = "text/event-stream";
    r.incomplete = 1;
    pl_llm_input in;
    pl_endpoint ep;
    pl_export_input(&r, &in, &ep);
    assert_int_equal(in.api, PL_API_GEMINI_GENERATE);
    assert_string_equal(in.target, "/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse&key=[REDACTED]");
    assert_string_equal(in.model_hint, "gemini-1.5-flash");
    assert_string_equal(in.provider, "google");
    assert_string_equal(in.content_type, "text/event-stream");
    assert_int_equal(in.status, 200);
    assert_int_equal(in.incomplete, 1);
}

/* ---- end to end: store -> export command -> file ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    size_t got = fread(d, 1, (size_t)n, f);
    d[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return d;
}

static char *fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PROMPTLOG_FIXTURES");
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir ? dir : "tests/fixtures", name);
    char *d = slurp(p, len);
    if (!d)
        fail_msg("fixture %s missing", p);
    return d;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_export_commands_end_to_end(void **state)
{
    (void)state;
    char dir[] = "/tmp/pl_test_export_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[300], out[300];
    snprintf(db, sizeof db, "%s/p.db", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);

    pl_store *s = NULL;
    char err[256] = "";
    assert_int_equal(pl_store_open(db, PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
    size_t chat_len, text_len;
    char *chat_resp = fixture("openai_chat_nonstream.json", &chat_len);
    char *text_resp = fixture("openai_completions_nonstream.json", &text_len);
    const char *chat_req = "{\"messages\":[{\"role\":\"user\",\"content\":\"Say this is a test\"}],\"model\":\"gpt-4o-mini\",\"temperature\":0.5}";
    const char *text_req = "{\"model\":\"davinci-002\",\"prompt\":\"Tell me a joke about opentelemetry\"}";
    const char *emb_req = "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}";
    const char *emb_resp = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1]}],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}";

    pl_row r = base_row();
    r.req_body = chat_req;
    r.req_len = strlen(chat_req);
    r.resp_body = chat_resp;
    r.resp_len = chat_len;
    r.content_type = "application/json";
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);           /* id 1: chat, default */
    r.ns = "other";
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);           /* id 2: chat, other ns */
    pl_row t = base_row();
    t.api = "openai.completions";
    t.kind = "text";
    t.model = "davinci-002";
    t.url = "https://api.openai.com/v1/completions";
    t.path = "/v1/completions";
    t.req_body = text_req;
    t.req_len = strlen(text_req);
    t.resp_body = text_resp;
    t.resp_len = text_len;
    assert_true(pl_store_insert(s, &t, err, sizeof err) > 0);           /* id 3: text */
    pl_row e = base_row();
    e.api = "openai.embeddings";
    e.kind = "embedding";
    e.model = "text-embedding-3-small";
    e.url = "https://api.openai.com/v1/embeddings";
    e.path = "/v1/embeddings";
    e.req_body = emb_req;
    e.req_len = strlen(emb_req);
    e.resp_body = emb_resp;
    e.resp_len = strlen(emb_resp);
    assert_true(pl_store_insert(s, &e, err, sizeof err) > 0);           /* id 4: embedding */
    r.ns = "default";
    r.model = "gpt-4o";
    assert_true(pl_store_insert(s, &r, err, sizeof err) > 0);           /* id 5: chat, other model */
    pl_store_close(s);

    pl_cli_opts o = {.database = db, .ns = "default", .type = "chat", .file = out};
    assert_int_equal(pl_cmd_export_prompts(&o), 0);
    char *got = slurp(out, NULL);
    assert_int_equal(count_lines(got), 2);
    char *nl = strchr(got, '\n');
    *nl = '\0';
    cJSON *l1 = cJSON_Parse(got);
    cJSON *l2 = cJSON_Parse(nl + 1);
    assert_int_equal(cJSON_GetObjectItem(l1, "id")->valueint, 1);   /* oldest first */
    assert_int_equal(cJSON_GetObjectItem(l2, "id")->valueint, 5);
    assert_string_equal(cJSON_GetObjectItem(l1, "model")->valuestring, "gpt-4o-mini");
    cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(l1, "completions"), 0);
    assert_string_equal(cJSON_GetObjectItem(c0, "content")->valuestring, "This is a test.");
    assert_string_equal(cJSON_GetObjectItem(c0, "finish_reason")->valuestring, "stop");
    cJSON *m0 = cJSON_GetArrayItem(cJSON_GetObjectItem(l1, "messages"), 0);
    assert_string_equal(cJSON_GetObjectItem(m0, "content")->valuestring, "Say this is a test");
    cJSON *kw = cJSON_GetObjectItem(l1, "generation_kwargs");
    assert_true(cJSON_GetObjectItem(kw, "temperature")->valuedouble == 0.5);
    assert_null(cJSON_GetObjectItem(kw, "model"));
    assert_null(cJSON_GetObjectItem(kw, "messages"));
    cJSON *usage = cJSON_GetObjectItem(l1, "usage");
    assert_int_equal(cJSON_GetObjectItem(usage, "input_tokens")->valueint, 12);
    assert_int_equal(cJSON_GetObjectItem(usage, "output_tokens")->valueint, 5);
    assert_null(cJSON_GetObjectItem(l1, "first_token_offset"));
    assert_null(cJSON_GetObjectItem(l1, "kind"));
    cJSON_Delete(l1);
    cJSON_Delete(l2);
    free(got);

    /* -m filters by exact model name */
    const char *models[] = {"gpt-4o", NULL};
    o.models = models;
    assert_int_equal(pl_cmd_export_prompts(&o), 0);
    got = slurp(out, NULL);
    assert_int_equal(count_lines(got), 1);
    assert_non_null(strstr(got, "\"id\":5,"));
    free(got);
    o.models = NULL;

    /* text export: only the completion row, never the embedding */
    o.type = "text";
    assert_int_equal(pl_cmd_export_prompts(&o), 0);
    got = slurp(out, NULL);
    assert_int_equal(count_lines(got), 1);
    assert_non_null(strstr(got, "\"prompt\":\"Tell me a joke about opentelemetry\""));
    assert_non_null(strstr(got, "\"response\":\"-go library\\nS-dmssea 2020-08-13: How\""));
    assert_null(strstr(got, "embedding"));
    free(got);

    /* models: every model of the namespace, embeddings included */
    assert_int_equal(pl_cmd_export_models(&o), 0);
    got = slurp(out, NULL);
    assert_int_equal(count_lines(got), 4);
    assert_non_null(strstr(got, "\"name\":\"text-embedding-3-small\""));
    assert_non_null(strstr(got, "\"created\":1700000000.5"));
    free(got);
    o.ns = "other";
    assert_int_equal(pl_cmd_export_models(&o), 0);
    got = slurp(out, NULL);
    assert_int_equal(count_lines(got), 1);
    free(got);

    /* a missing database is an error, and no output file is created */
    char missing[300], out2[300];
    snprintf(missing, sizeof missing, "sqlite:///%s/nope.db", dir);
    snprintf(out2, sizeof out2, "%s/out2.jsonl", dir);
    pl_cli_opts bad = {.database = missing, .ns = "default", .type = "chat", .file = out2};
    assert_int_equal(pl_cmd_export_prompts(&bad), 1);
    assert_int_equal(access(out2, F_OK), -1);
    assert_int_equal(pl_cmd_export_models(&bad), 1);

    free(chat_resp);
    free(text_resp);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_clip_utf8(void **state)
{
    (void)state;
    char out[64];
    /* at most max columns, the ellipsis included */
    pl_cli_clip("h\xc3\xa9llo\nworld", 4, out, sizeof out);
    assert_string_equal(out, "h\xc3\xa9l\xe2\x80\xa6");
    pl_cli_clip("a\nb", 3, out, sizeof out);
    assert_string_equal(out, "a b");
    pl_cli_clip("short", 10, out, sizeof out);
    assert_string_equal(out, "short");
    pl_cli_clip("exactly10!", 10, out, sizeof out);
    assert_string_equal(out, "exactly10!");
    pl_cli_clip("exactly11!!", 10, out, sizeof out);
    assert_string_equal(out, "exactly11\xe2\x80\xa6");
    assert_int_equal(pl_cli_width("h\xc3\xa9\xe2\x80\xa6"), 3);
    pl_cli_clip(NULL, 10, out, sizeof out);
    assert_string_equal(out, "");
}


/* Exports a file as JSON lines of `type` into out and returns its text. */
static char *export_to(const char *db, const char *type, int rebuild, const char *out)
{
    pl_cli_opts o = {.database = db, .ns = "default", .type = type, .file = out, .rebuild = rebuild};
    assert_int_equal(pl_cmd_export_prompts(&o), 0);
    size_t n;
    char *text = slurp(out, &n);
    assert_non_null(text);
    return text;
}

/* The schema-1 file captured by the first release: its export is the same read as it is,
 * after the upgrade from the stored messages, and after the upgrade rebuilt from the bodies. */
static void test_v1_export_same_after_upgrade(void **state)
{
    (void)state;
    char dir[] = "/tmp/pl_test_export_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[300], out[300], cmd[700];
    snprintf(db, sizeof db, "%s/v1.db", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    const char *fx = getenv("PROMPTLOG_FIXTURES");
    snprintf(cmd, sizeof cmd, "cp '%s/v1/v1.db' '%s'", fx ? fx : "tests/fixtures", db);
    assert_int_equal(system(cmd), 0);
    const char *types[] = {"chat", "text"};
    for (int t = 0; t < 2; t++) {
        size_t n;
        char name[64];
        snprintf(name, sizeof name, "v1/v1.%s.jsonl", types[t]);
        char *want = fixture(name, &n);
        char *before = export_to(db, types[t], 0, out);
        assert_string_equal(before, want);
        free(before);
        if (t == 0) {   /* upgrade in place, as a capture would */
            pl_store *s = NULL;
            char err[256] = "";
            assert_int_equal(pl_store_open(db, PL_STORE_CREATE, NULL, &s, err, sizeof err), 0);
            pl_store_close(s);
        }
        for (int rebuild = 0; rebuild < 2; rebuild++) {
            char *after = export_to(db, types[t], rebuild, out);
            assert_string_equal(after, want);
            free(after);
        }
        if (t == 1) {
            before = export_to(db, "chat", 0, out);
            free(before);
        }
        free(want);
    }
    /* the upgrade filled the message tables from the stored bodies */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM calls WHERE record IS NOT NULL),"
                                           " (SELECT count(DISTINCT conversation_id) FROM calls WHERE kind = 'chat'),"
                                           " (SELECT count(*) FROM messages WHERE role = 'system')",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 14);
    /* three agent loops (5, 3, 3 turns) and one anthropic call: four conversations */
    assert_int_equal(sqlite3_column_int(st, 1), 4);
    assert_int_equal(sqlite3_column_int(st, 2), 2);   /* the agents' prompt, anthropic's "Be brief." */
    sqlite3_finalize(st);
    sqlite3_close(h);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_omit_empty),
        cmocka_unit_test(test_model_line),
        cmocka_unit_test(test_chat_line_shape),
        cmocka_unit_test(test_chat_line_error_and_fallbacks),
        cmocka_unit_test(test_text_and_embedding_lines),
        cmocka_unit_test(test_input_from_row),
        cmocka_unit_test(test_export_commands_end_to_end),
        cmocka_unit_test(test_v1_export_same_after_upgrade),
        cmocka_unit_test(test_clip_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
