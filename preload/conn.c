/* conn.c — the connection table (TLS sessions and plain sockets) and per-connection protocol dispatch (conn.h): decides
 * HTTP/1.1, HTTP/2 or ignored on the first bytes written, and turns exchanges into commits. */
#include "conn.h"
#include "doctor_report.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/http1.h"
#include "../proto/http2.h"
#include "capture.h"
#include "engine.h"

#define NBUCKETS 1024
#define NSTRIPES 64
#define SNIFF_MAX PL_H2_PREFACE_LEN /* the preface is the longest thing we need to recognise */

typedef enum { K_UNDECIDED, K_H1, K_H2, K_IGNORED } conn_kind;

typedef struct conn {
    const void *key;
    struct conn *next;
    pl_source src;
    conn_kind kind;
    unsigned char sniff[SNIFF_MAX]; /* first bytes written, while undecided */
    size_t nsniff;
    pl_h1 *h1;
    pl_h2 *h2;
    pl_proto_events ev;             /* ctx = this entry */
    int requests;                   /* request heads seen */
    int llm_seen;                   /* one of them was an LLM call: never give up on it */
    int in_flight;                  /* kept exchanges not yet committed */
} conn;

/* One mutex per stripe of buckets, held while a connection is processed: a session is used by
 * one thread at a time anyway, and no refcounts are needed for an entry another thread is
 * freeing. Exchanges that complete under it are queued on the thread and committed after it is
 * released (commit_pending), so no lock of ours is held while the store works: a slow insert
 * never blocks the other connections of the stripe. */
static conn *g_buckets[NBUCKETS];
static pthread_mutex_t g_stripes[NSTRIPES];
static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static volatile int g_exiting; /* set once at exit; read unlocked on the hot path */

/* ---- the ignored set: the hot path for connections that are not ours ------------------------ */

/* Keys of entries whose kind is K_IGNORED, in a fixed open-addressing table read without any
 * lock: a later SSL_read/SSL_write/read/write on such a connection costs this one probe and a
 * branch, no stripe mutex, no allocation, no copy. Slots are only ever CASed between 0, a key
 * and IGN_GONE, never freed, so an unlocked reader is safe. Writers hold the key's stripe lock,
 * so a key is added/removed by one thread at a time. A key that finds no free slot within
 * IGN_PROBE stays out of the set and simply takes the locked path (its entry still says
 * K_IGNORED). Invariant: key in the set => its entry exists and is K_IGNORED. */
#define IGN_SLOTS 4096
#define IGN_PROBE 8
#define IGN_GONE UINTPTR_MAX
static uintptr_t g_ignored[IGN_SLOTS];

static size_t ign_slot(const void *key, size_t i)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull;
    return (size_t)((h >> 52) + i) & (IGN_SLOTS - 1);
}

static int ign_has(const void *key)
{
    for (size_t i = 0; i < IGN_PROBE; i++) {
        uintptr_t v = __atomic_load_n(&g_ignored[ign_slot(key, i)], __ATOMIC_ACQUIRE);
        if (v == (uintptr_t)key)
            return 1;
        if (!v)
            return 0;
    }
    return 0;
}

static void ign_add(const void *key)
{
    for (size_t i = 0; i < IGN_PROBE; i++) {
        uintptr_t *slot = &g_ignored[ign_slot(key, i)];
        uintptr_t v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (v == (uintptr_t)key)
            return;
        if ((!v || v == IGN_GONE) &&
            __atomic_compare_exchange_n(slot, &v, (uintptr_t)key, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return;
    }
}

static void ign_del(const void *key)
{
    for (size_t i = 0; i < IGN_PROBE; i++) {
        uintptr_t *slot = &g_ignored[ign_slot(key, i)];
        uintptr_t v = (uintptr_t)key;
        if (__atomic_compare_exchange_n(slot, &v, IGN_GONE, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            continue; /* (a duplicate may sit further along after a tombstone was reused) */
        if (!v)
            return;
    }
}

static size_t bucket_of(const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 54); /* top 10 bits: NBUCKETS = 1024 */
}

static pthread_mutex_t *stripe_of(size_t b)
{
    return &g_stripes[b % NSTRIPES];
}

void pl_conn_fork_child(void)
{
    /* The child shares no thread with the parent: reset the locks, and forget every connection
     * without committing (the parent commits its own exchanges; a copy here would duplicate
     * them, and an entry another thread was updating may be inconsistent: leaked, not freed). */
    for (int i = 0; i < NSTRIPES; i++)
        pthread_mutex_init(&g_stripes[i], NULL);
    memset(g_buckets, 0, sizeof g_buckets);
    memset(g_ignored, 0, sizeof g_ignored);
}

static void init_once(void)
{
    for (int i = 0; i < NSTRIPES; i++)
        pthread_mutex_init(&g_stripes[i], NULL);
}

__attribute__((constructor)) static void conn_init(void)
{
    int saved = errno;
    pthread_once(&g_init_once, init_once);
    errno = saved;
}

/* ---- exchanges completed under a stripe lock, committed after it ---------------------------- */

typedef struct pending {
    pl_exchange *x;
    pl_endpoint ep;
    struct pending *next;
} pending;

/* This thread's queue (FIFO: one connection's records keep their order). */
static PL_TLS pending *t_pending, *t_pending_last;
/* An LLM request was kept under a stripe lock before the engine was loaded: load it once the
 * lock is released (engine.h: never under a lock of ours), before the response is read. */
static PL_TLS int t_engine_wanted;

static void queue_commit(pl_exchange *x, const pl_endpoint *ep)
{
    pending *p = malloc(sizeof *p);
    if (!p) {
        /* Out of memory: commit now, under the lock, rather than lose the record. Our own I/O
         * passes our hooks untouched (pl_in_self), so this is slower for the stripe, not a hang. */
        pl_capture_commit(x, ep);
        return;
    }
    p->x = x;
    p->ep = *ep;
    p->next = NULL;
    if (t_pending_last)
        t_pending_last->next = p;
    else
        t_pending = p;
    t_pending_last = p;
}

/* Called with no lock of ours held, before the hooked call returns to the program. */
static void commit_pending(void)
{
    while (t_pending) {
        pending *p = t_pending;
        t_pending = p->next;
        if (!t_pending)
            t_pending_last = NULL;
        pl_capture_commit(p->x, &p->ep);
        free(p);
    }
}

/* ---- events from the reassemblers ---------------------------------------------------------- */

static int ev_request(void *ctx, const pl_exchange *head)
{
    conn *c = ctx;
    pl_endpoint ep;
    c->requests++;
    if (pl_capture_wanted(head->method, head->host ? head->host : "", head->port, head->target, &ep) &&
        !pl_engine_unavailable()) {
        c->llm_seen = 1;
        c->in_flight++;
        if (!pl_engine_get())
            t_engine_wanted = 1;
        pl_debug("capturing %s %s://%s%s", head->method, head->scheme ? head->scheme : "?", head->host ? head->host : "?", head->target);
        return 1;
    }
    return 0;
}

static void ev_exchange(void *ctx, pl_exchange *x)
{
    conn *c = ctx;
    pl_endpoint ep;
    c->in_flight--;
    /* The match is a pure function of the request line and Host: recomputing it here gives the
     * endpoint on_request saw, without carrying it through the reassemblers. */
    if (pl_capture_wanted(x->method, x->host ? x->host : "", x->port, x->target, &ep))
        queue_commit(x, &ep);
    else
        pl_exchange_free(x);
}

static void mark_ignored(conn *c)
{
    c->kind = K_IGNORED;
    ign_add(c->key);
}

int pl_conn_ignored_fast(const void *key)
{
    return ign_has(key);
}

/* ---- per-connection state ------------------------------------------------------------------ */

static conn *conn_create(const void *key, pl_source src)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->key = key;
    c->src = src;
    c->ev.on_request = ev_request;
    c->ev.on_exchange = ev_exchange;
    c->ev.ctx = c;
    c->ev.max_body = pl_config_get()->max_body;
    return c;
}

/* Ends the protocol state, committing what is in flight (eof: a close-delimited body completes). */
static void conn_finish(conn *c, int eof)
{
    double now = pl_now();
    if (c->h1) {
        if (eof)
            pl_h1_close(c->h1, now);
        else
            pl_h1_abort(c->h1, now);
        pl_h1_free(c->h1);
        c->h1 = NULL;
    }
    if (c->h2) {
        pl_h2_close(c->h2, now);
        pl_h2_free(c->h2);
        c->h2 = NULL;
    }
    c->in_flight = 0;
}

/* Back to undecided: the same object may carry a new connection. */
static void conn_reset(conn *c, int eof)
{
    conn_finish(c, eof);
    if (c->kind == K_IGNORED)
        ign_del(c->key);
    c->kind = K_UNDECIDED;
    c->nsniff = 0;
    c->requests = 0;
    c->llm_seen = 0;
}

static void conn_set_ignored(conn *c)
{
    conn_finish(c, 0);
    mark_ignored(c);
}

/* ---- the HTTP/2 branch (proto/http2.h) ------------------------------------------------------ */

static int h2_start(conn *c)
{
    c->h2 = pl_h2_new(&c->ev, c->src);
    return c->h2 ? 0 : -1;
}

static int h2_feed(conn *c, pl_dir dir, const void *data, size_t len, double now)
{
    return pl_h2_feed(c->h2, dir, data, len, now);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int proto_feed(conn *c, pl_dir dir, const void *data, size_t len, double now)
{
    if (!len)
        return 0;
    if (c->kind == K_H1)
        return pl_h1_feed(c->h1, dir, data, len, now);
    return h2_feed(c, dir, data, len, now);
}

/* Undecided: collect the first written bytes until they tell the protocol. */
static void sniff(conn *c, pl_dir dir, const unsigned char *p, size_t len, double now)
{
    if (dir == PL_DIR_IN) {
        mark_ignored(c); /* the server spoke first: not an HTTP client connection */
        return;
    }
    size_t take = len < SNIFF_MAX - c->nsniff ? len : SNIFF_MAX - c->nsniff;
    memcpy(c->sniff + c->nsniff, p, take);
    c->nsniff += take;
    int h2 = pl_h2_preface_match(c->sniff, c->nsniff);
    int h1 = h2 == 1 ? 0 : pl_h1_request_start_match(c->sniff, c->nsniff);
    if (h2 == -1 || (h2 != 1 && h1 == -1)) {
        if (c->nsniff < SNIFF_MAX)
            return; /* a prefix of either: wait for more */
    }
    if (h2 == 1) {
        if (h2_start(c) != 0) {
            mark_ignored(c);
            return;
        }
        c->kind = K_H2;
    } else if (h1 == 1) {
        c->h1 = pl_h1_new(&c->ev, c->src, c->src == PL_SOURCE_SOCKET ? "http" : "https");
        if (!c->h1) {
            mark_ignored(c);
            return;
        }
        c->kind = K_H1;
    } else {
        pl_doctor_note_sniff(c->src, 0, c->sniff, c->nsniff);
        mark_ignored(c);
        return;
    }
    pl_doctor_note_sniff(c->src, 1, NULL, 0);
    /* Replay what was held back, then the rest of this write. */
    if (proto_feed(c, PL_DIR_OUT, c->sniff, c->nsniff, now) != 0 ||
        proto_feed(c, PL_DIR_OUT, p + take, len - take, now) != 0)
        conn_set_ignored(c);
}

/* A write that starts a fresh connection on an entry in the middle of another one: the address
 * was reused after a free we did not see. */
static int starts_new_connection(const conn *c, const unsigned char *p, size_t len)
{
    if (pl_h2_preface_match(p, len) == 1)
        return c->kind != K_H2 || c->requests > 0;
    if (!pl_h1_is_request_line(p, len < PL_H1_MAX_HEAD ? len : PL_H1_MAX_HEAD))
        return 0; /* (bounded: a large body write costs no full scan) */
    return c->kind == K_H2 || (c->kind == K_H1 && !pl_h1_out_at_message_start(c->h1));
}

static void process(conn *c, pl_dir dir, const unsigned char *p, size_t len)
{
    double now = pl_now();
    if (dir == PL_DIR_OUT && c->kind != K_UNDECIDED && starts_new_connection(c, p, len)) {
        pl_debug("session %p reused: starting over", c->key);
        conn_reset(c, 0);
    }
    if (c->kind == K_UNDECIDED) {
        sniff(c, dir, p, len, now);
        return;
    }
    if (proto_feed(c, dir, p, len, now) != 0) {
        pl_debug("session %p: not HTTP we can follow, ignored from here on", c->key);
        conn_set_ignored(c);
        return;
    }
    /* Light mode is over: only non-LLM requests so far, and nothing of ours in flight. */
    if (!c->llm_seen && c->requests >= PL_CONN_LIGHT_REQUESTS && c->in_flight == 0)
        conn_set_ignored(c);
}

/* ---- table --------------------------------------------------------------------------------- */

static conn **find_slot(size_t b, const void *key)
{
    conn **pp = &g_buckets[b];
    while (*pp && (*pp)->key != key)
        pp = &(*pp)->next;
    return pp;
}

/* Takes key's stripe lock (returned in *m) and finds its slot in the bucket chain. */
static conn **lock_slot(const void *key, pthread_mutex_t **m)
{
    pthread_once(&g_init_once, init_once);
    size_t b = bucket_of(key);
    *m = stripe_of(b);
    pthread_mutex_lock(*m);
    return find_slot(b, key);
}

int pl_conn_data(const void *key, pl_source src, pl_dir dir, const void *data, size_t len)
{
    if (!key || g_exiting)
        return 1;
    if (!data || !len)
        return 0;
    if (ign_has(key))
        return 1; /* decided: not ours. One probe, no lock */
    int saved = errno;
    /* An HTTP/2 preface needs the engine's parser at once, under the lock: load it first. (An
     * HTTP/1 request needs it only once its head matched an LLM endpoint: see ev_request.) */
    if (dir == PL_DIR_OUT && len >= 3 && !pl_engine_get() && pl_h2_preface_match(data, len) != 0)
        pl_engine_load();
    int ignored = 1;
    pthread_mutex_t *m;
    conn **pp = lock_slot(key, &m);
    conn *c = *pp;
    if (c && c->kind == K_IGNORED) /* not in the ignored set (its probe window was full) */
        goto out;
    if (!c) {
        if (pl_config_get()->disabled)
            goto out;
        c = conn_create(key, src);
        if (!c)
            goto out;
        *pp = c;
    }
    process(c, dir, data, len);
    ignored = c->kind == K_IGNORED;
out:
    pthread_mutex_unlock(m);
    if (t_engine_wanted) {
        t_engine_wanted = 0;
        pl_engine_load();
    }
    commit_pending();
    errno = saved;
    return ignored;
}

/* Runs fn on the entry for key, if any, under its stripe lock. */
static void with_conn(const void *key, int remove, void (*fn)(conn *))
{
    if (!key)
        return;
    int saved = errno;
    pthread_mutex_t *m;
    conn **pp = lock_slot(key, &m);
    conn *c = *pp;
    if (c) {
        if (!g_exiting)
            fn(c);
        if (remove) {
            if (c->kind == K_IGNORED)
                ign_del(c->key);
            *pp = c->next;
            conn_finish(c, 0);
            free(c);
        }
    }
    pthread_mutex_unlock(m);
    commit_pending();
    errno = saved;
}

static void do_eof(conn *c) { conn_reset(c, 1); }
static void do_end(conn *c) { conn_reset(c, 0); }
static void do_ignore(conn *c) { conn_set_ignored(c); }

void pl_conn_eof(const void *key)
{
    with_conn(key, 0, do_eof);
}

void pl_conn_end(const void *key, int forget)
{
    with_conn(key, forget, do_end);
}

void pl_conn_new(const void *key)
{
    with_conn(key, 1, do_end);
}

void pl_conn_ignore(const void *key)
{
    with_conn(key, 0, do_ignore);
}

/* A thread stopped inside a hook (e.g. exit from a signal handler) may hold a stripe: try for a
 * moment, then leave those connections rather than hang the exit. */
static int lock_briefly(pthread_mutex_t *m)
{
    for (int tries = 0; tries < 50; tries++) {
        if (pthread_mutex_trylock(m) == 0)
            return 1;
        nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL);
    }
    return 0;
}

void pl_conn_flush_in_flight(void)
{
    int saved = errno;
    pthread_once(&g_init_once, init_once);
    for (int s = 0; s < NSTRIPES; s++) {
        if (!lock_briefly(&g_stripes[s]))
            continue;
        for (size_t b = (size_t)s; b < NBUCKETS; b += NSTRIPES)
            for (conn *c = g_buckets[b]; c; c = c->next)
                if ((c->kind == K_H1 || c->kind == K_H2) && c->in_flight > 0)
                    conn_set_ignored(c);
        pthread_mutex_unlock(&g_stripes[s]);
        commit_pending();
    }
    errno = saved;
}

void pl_conn_finish_all(void)
{
    int saved = errno;
    pthread_once(&g_init_once, init_once);
    g_exiting = 1;
    for (int s = 0; s < NSTRIPES; s++) {
        if (!lock_briefly(&g_stripes[s]))
            continue;
        for (size_t b = (size_t)s; b < NBUCKETS; b += NSTRIPES)
            for (conn *c = g_buckets[b]; c; c = c->next)
                if (c->kind == K_H1 || c->kind == K_H2)
                    conn_set_ignored(c); /* commits in flight as incomplete; nothing after */
        pthread_mutex_unlock(&g_stripes[s]);
        commit_pending();
    }
    errno = saved;
}
