/* test_jsonarena.c — the capture's JSON arena (util/jsonarena.h): what it parses comes from the
 * arena only between begin and end, on the thread holding it; everything else (prints, other
 * threads, a forked child's fresh start) is plain malloc that free() and cJSON_Delete accept;
 * pl_json_delete skips only what end frees.
 * Under ASan a block handed to the wrong free, or a tree used after end, is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../util/jsonarena.h"

static const char DOC[] = "{\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"hi \\\"there\\\"\"}}],\"n\":1.5}";

static cJSON *parse(const char *s)
{
    return pl_json_parse(s, strlen(s), NULL, 0);
}

/* Runs first (cmocka keeps the order): before install, parsing is plain cJSON. */
static void test_not_installed(void **state)
{
    (void)state;
    assert_false(pl_jsonarena_installed());
    pl_jsonarena_begin();
    cJSON *j = parse(DOC);
    assert_non_null(j);
    assert_false(pl_jsonarena_holds(j));
    pl_jsonarena_end();
    cJSON_Delete(j);   /* after end: malloc'ed, so still whole */
    pl_jsonarena_install();
    assert_true(pl_jsonarena_installed());
}

static void test_parse_in_arena(void **state)
{
    (void)state;
    cJSON *outside = parse(DOC);
    assert_false(pl_jsonarena_holds(outside));
    pl_jsonarena_begin();
    cJSON *j = parse(DOC);
    assert_true(pl_jsonarena_holds(j));
    assert_true(pl_jsonarena_holds(j->child->valuestring));
    /* A print is not parsed: malloc'ed, so our callers' free() is right. */
    char *text = cJSON_PrintUnformatted(j);
    assert_false(pl_jsonarena_holds(text));
    assert_string_equal(text, DOC);
    free(text);
    /* Created nodes are malloc'ed and may join an arena tree; deleting the tree frees them. */
    cJSON_AddStringToObject(j, "added", "x");
    assert_false(pl_jsonarena_holds(cJSON_GetObjectItem(j, "added")));
    cJSON_Delete(j);
    cJSON_Delete(outside);  /* a malloc'ed tree deleted while the arena is held */
    /* pl_json_delete leaves an arena tree to end: still readable until then. */
    cJSON *kept = parse(DOC);
    pl_json_delete(kept);
    assert_string_equal(cJSON_GetObjectItem(kept, "model")->valuestring, "m");
    /* A failed parse frees its partial tree through the hooks: nothing to report. */
    assert_null(parse("{\"a\":[1,2,"));
    pl_jsonarena_end();
}

static void test_nesting_and_growth(void **state)
{
    (void)state;
    size_t n = 200000;  /* one string bigger than the first chunk */
    char *big = malloc(n + 16);
    memcpy(big, "[\"", 2);
    memset(big + 2, 'a', n);
    memcpy(big + 2 + n, "\"]", 3);
    pl_jsonarena_begin();
    cJSON *j = parse(big);
    pl_jsonarena_begin();
    cJSON *k = parse(DOC);
    pl_jsonarena_end();   /* inner end: both trees still valid */
    assert_true(pl_jsonarena_holds(j->child->valuestring));
    assert_int_equal(strlen(j->child->valuestring), n);
    assert_string_equal(cJSON_GetObjectItem(k, "model")->valuestring, "m");
    /* Many small trees: the arena fills up to its bound, then parses are malloc'ed. */
    cJSON *last = NULL;
    for (int i = 0; i < 20000; i++) {
        cJSON_Delete(last);
        last = parse(DOC);
    }
    assert_false(pl_jsonarena_holds(last));
    assert_string_equal(cJSON_GetObjectItem(last, "model")->valuestring, "m");
    /* Once a routed allocation spilled to malloc, pl_json_delete frees (LeakSanitizer checks). */
    pl_json_delete(last);
    cJSON_Delete(k);
    cJSON_Delete(j);
    pl_jsonarena_end();
    free(big);
}

static void *other_thread(void *arg)
{
    (void)arg;
    pl_jsonarena_begin();   /* taken by the main thread: this one parses with malloc */
    cJSON *j = parse(DOC);
    pl_jsonarena_end();
    return j;
}

static void test_other_thread(void **state)
{
    (void)state;
    pl_jsonarena_begin();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    void *r = NULL;
    pthread_join(t, &r);
    cJSON *j = r;
    assert_non_null(j);
    assert_false(pl_jsonarena_holds(j));
    pl_jsonarena_end();
    assert_string_equal(cJSON_GetObjectItem(j, "model")->valuestring, "m");
    cJSON_Delete(j);
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_held, g_done;

static void *holder(void *arg)
{
    (void)arg;
    pl_jsonarena_begin();
    cJSON *j = parse(DOC);
    pthread_mutex_lock(&g_mu);
    g_held = 1;
    pthread_cond_broadcast(&g_cv);
    while (!g_done)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    cJSON_Delete(j);
    pl_jsonarena_end();
    return NULL;
}

/* A fork while another thread holds the arena: that thread is gone in the child, which must be
 * able to take the arena itself. */
static void test_fork_while_held(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, holder, NULL), 0);
    pthread_mutex_lock(&g_mu);
    while (!g_held)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pl_jsonarena_fork_child();
        pl_jsonarena_begin();
        cJSON *j = parse(DOC);
        int ok = pl_jsonarena_holds(j);
        cJSON_Delete(j);
        pl_jsonarena_end();
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    pthread_mutex_lock(&g_mu);
    g_done = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_installed),
        cmocka_unit_test(test_parse_in_arena),
        cmocka_unit_test(test_nesting_and_growth),
        cmocka_unit_test(test_other_thread),
        cmocka_unit_test(test_fork_while_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
