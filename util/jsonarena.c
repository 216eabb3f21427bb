/* jsonarena.c — a bump arena behind cJSON's allocation hooks for the trees a capture parses
 * and builds (see jsonarena.h for why and for the rules that keep the host's cJSON untouched). */
#include "jsonarena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* A tree deleted inside the arena gives nothing back, and a long stream parses thousands of
 * events: past ARENA_MAX the arena stops growing and parses go to malloc again. */
enum { FIRST_CHUNK = 32 * 1024, ARENA_MAX = 1024 * 1024, ALIGN = 16 };

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(ALIGN) unsigned char data[];
} chunk;

/* One arena for the process, owned by one capturing thread at a time: the hooks run on every
 * cJSON allocation in the process, the host's too, and a thread id compare is cheaper there
 * than a dynamic TLS lookup. A thread that finds it taken uses malloc, as before. */
static uintptr_t g_owner;       /* pthread_self() of the thread between begin and end, or 0 */
static int g_depth;             /* owner only: begin/end nesting */
static int g_routed;            /* owner only: route_begin nesting (pl_json_parse, normalization) */
static chunk *g_head;           /* owner only: newest first */
static size_t g_total;          /* owner only: bytes in chunks */
static int g_spilled;           /* owner only: a routed allocation went to malloc since begin */
static int g_installed;

static uintptr_t self(void)
{
    return (uintptr_t)pthread_self();
}

static int mine(void)
{
    return __atomic_load_n(&g_owner, __ATOMIC_RELAXED) == self();
}

static int owns(const void *p)
{
    for (const chunk *c = g_head; c; c = c->next)
        if ((const unsigned char *)p >= c->data && (const unsigned char *)p < c->data + c->cap)
            return 1;
    return 0;
}

static void *arena_alloc(size_t n)
{
    if (!mine() || !g_routed)
        return malloc(n);
    if (n > ARENA_MAX) {   /* (also keeps the rounding below from wrapping) */
        g_spilled = 1;
        return malloc(n);
    }
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    chunk *c = g_head;
    if (!c || c->cap - c->used < n) {
        size_t cap = c ? c->cap * 2 : FIRST_CHUNK;
        if (cap < n)
            cap = n;
        chunk *nc = g_total + cap <= ARENA_MAX ? malloc(sizeof *nc + cap) : NULL;
        if (!nc) {
            g_spilled = 1;
            return malloc(n);
        }
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        g_total += cap;
        g_head = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(void *p)
{
    if (p && mine() && owns(p))
        return;
    free(p);
}

static void release(void)
{
    for (chunk *c = g_head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    g_head = NULL;
    g_total = 0;
    g_depth = g_routed = g_spilled = 0;
}

void pl_jsonarena_install(void)
{
    cJSON_Hooks h = {.malloc_fn = arena_alloc, .free_fn = arena_free};
    cJSON_InitHooks(&h);
    __atomic_store_n(&g_installed, 1, __ATOMIC_RELEASE);
}

int pl_jsonarena_installed(void)
{
    return __atomic_load_n(&g_installed, __ATOMIC_ACQUIRE);
}

void pl_jsonarena_begin(void)
{
    uintptr_t none = 0;
    if (mine())
        g_depth++;
    else if (__atomic_compare_exchange_n(&g_owner, &none, self(), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        g_depth = 1;
}

void pl_jsonarena_end(void)
{
    if (!mine() || --g_depth > 0)
        return;
    release();
    __atomic_store_n(&g_owner, 0, __ATOMIC_RELEASE);
}

void pl_jsonarena_fork_child(void)
{
    /* A thread that owned it in the parent does not exist here; its id may come back. */
    if (__atomic_load_n(&g_owner, __ATOMIC_RELAXED) && !mine())
        release();
    if (!mine())
        __atomic_store_n(&g_owner, 0, __ATOMIC_RELAXED);
}

int pl_jsonarena_holds(const void *p)
{
    return mine() && owns(p);
}

void pl_jsonarena_route_begin(void)
{
    if (pl_jsonarena_installed() && mine())
        g_routed++;
}

void pl_jsonarena_route_end(void)
{
    if (mine() && g_routed > 0)
        g_routed--;
}

void pl_json_delete(cJSON *j)
{
    /* Walking a tree only to no-op each block costs about what a small parse does. */
    if (j && mine() && !g_spilled && owns(j))
        return;
    cJSON_Delete(j);
}

cJSON *pl_json_parse(const char *s, size_t len, const char **end, int require_null)
{
    pl_jsonarena_route_begin();
    cJSON *j = cJSON_ParseWithLengthOpts(s, len, end, require_null);
    pl_jsonarena_route_end();
    return j;
}
