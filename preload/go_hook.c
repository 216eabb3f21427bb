/* go_hook.c — Go's crypto/tls in dynamically linked Go programs: (*Conn).Write, Read and Close
 * are patched at constructor time (go_patch.h) and feed the connection table, source "go".
 *
 * The key is the *tls.Conn pointer, so no Go struct layout is needed; the bytes are the
 * plaintext the program wrote or read, HTTP/1.1 or HTTP/2 as for OpenSSL.
 * - Write: taken at entry (c in RAX, b.ptr RBX, b.len RCX). crypto/tls writes all of b or fails
 *   the connection, and net/http serialises writers per connection (HTTP/2: under its write
 *   lock for the whole Write), so entry order is wire order.
 * - Read: its byte count exists only at return, so Read has an entry site and a site at each
 *   `ret`. The entry records (c, b) per goroutine, keyed by g (R14): a goroutine may move to
 *   another thread while Read blocks, so per-thread storage would not do, and g is the one
 *   identity that survives both a thread switch and a stack move. A buffer on the goroutine
 *   stack is remembered relative to the stack top, the way Go itself moves stack pointers
 *   (g.stack = {lo, hi} are the first words of g: the prologue's [r14+16] stackguard0 check,
 *   verified at patch time, depends on that layout). At return, RAX = n and RBX != 0 is an error.
 *   The records form a small stack per goroutine: TLS inside TLS (an HTTPS proxy) nests one
 *   Read in another, and each return takes the innermost. A Read that panics leaves its record
 *   behind, below any later one, so returns still pair with the right entry; a full stack is
 *   emptied (those stale records are the only way it fills).
 * - Close: the connection ends and is forgotten (the address may be reused by Go's allocator).
 * Patching happens only for Go >= 1.17 (the register ABI) and never with PROMPTLOG_PATCH=0 or
 * PROMPTLOG_DISABLE=1; anything unexpected patches nothing and says why in one debug line. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "go_elf.h"
#include "go_patch.h"
#include "patch.h"
#include "patch_mem.h"

_Static_assert(offsetof(pl_go_regs, r14) == 96 && offsetof(pl_go_regs, rsp) == 120 &&
               offsetof(pl_go_regs, stack_top) == 128, "go_stub.S offsets");
_Static_assert(offsetof(pl_go_site, cont) == 0, "go_stub.S jumps through site->cont");

enum { HK_WRITE, HK_READ_IN, HK_READ_OUT, HK_CLOSE };

static pl_go_plan g_plan; /* the sites live as long as the code that jumps to them */

/* ---- Read records, one per goroutine that ever read TLS --------------------------------------
 * Go never frees a g (dead ones are reused), so a node per distinct g is bounded by the peak
 * number of goroutines; only the goroutine itself touches its node's fields, and the scheduler's
 * hand-off orders them across threads. Nodes are only ever pushed, with a CAS. */
#define RD_DEPTH 4

typedef struct rd_frame {
    const void *conn;
    uintptr_t buf;
    size_t len;
    uintptr_t stack_hi; /* g.stack.hi at entry when buf is on the goroutine stack, else 0 */
} rd_frame;

typedef struct rd {
    uintptr_t g;
    struct rd *next;
    int depth;
    rd_frame f[RD_DEPTH];
} rd;

#define RD_BUCKETS 1024
static int g_said_moved;
static rd *g_reads[RD_BUCKETS];

static rd **bucket(uintptr_t g)
{
    return &g_reads[((uint64_t)g * 0x9E3779B97F4A7C15ull) >> 54];
}

static rd *rd_find(uintptr_t g)
{
    for (rd *r = __atomic_load_n(bucket(g), __ATOMIC_ACQUIRE); r; r = r->next)
        if (r->g == g)
            return r;
    return NULL;
}

static rd *rd_get(uintptr_t g)
{
    rd *r = rd_find(g);
    if (r)
        return r;
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->g = g;
    rd **b = bucket(g);
    r->next = __atomic_load_n(b, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(b, &r->next, r, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
    return r;
}

static void read_begin(const pl_go_regs *x)
{
    uintptr_t g = x->r14;
    if (!g)
        return;
    rd *r = rd_get(g);
    if (!r)
        return;
    const uintptr_t *stack = (const uintptr_t *)g; /* g.stack.lo, g.stack.hi */
    if (r->depth == RD_DEPTH)
        r->depth = 0;
    rd_frame *f = &r->f[r->depth++];
    f->conn = (const void *)x->rax;
    f->buf = x->rbx;
    f->len = x->rcx;
    f->stack_hi = (x->rbx >= stack[0] && x->rbx < stack[1]) ? stack[1] : 0;
}

static void read_end(const pl_go_regs *x)
{
    rd *r = x->r14 ? rd_find(x->r14) : NULL;
    if (!r || !r->depth)
        return;
    const rd_frame *f = &r->f[--r->depth];
    int64_t n = (int64_t)x->rax;
    uintptr_t buf = f->buf;
    if (f->stack_hi) { /* the stack may have moved while Read ran */
        uintptr_t hi = ((const uintptr_t *)x->r14)[1];
        if (hi != f->stack_hi && !__atomic_exchange_n(&g_said_moved, 1, __ATOMIC_RELAXED))
            pl_debug("Go: a Read buffer on a goroutine stack moved with the stack (followed)");
        buf += hi - f->stack_hi;
    }
    if (n > 0 && (uint64_t)n <= f->len && buf)
        pl_conn_data(f->conn, PL_SOURCE_GO, PL_DIR_IN, (const void *)buf, (size_t)n);
    else if (n == 0 && x->rbx)
        /* io.EOF or a fatal error: the connection is over. (A read-deadline timeout also lands
         * here although crypto/tls lets the program read on: that connection is then dropped by
         * its parser. HTTP clients set no read deadline; telling the error values apart would
         * need Go's type layouts.) */
        pl_conn_eof(f->conn);
}

void pl_go_on_hook(const pl_go_site *site, pl_go_regs *x)
{
    int saved = errno;
    switch (site->hook) {
    case HK_WRITE:
        if (x->rax && x->rbx && (int64_t)x->rcx > 0)
            pl_conn_data((const void *)x->rax, PL_SOURCE_GO, PL_DIR_OUT, (const void *)x->rbx, x->rcx);
        break;
    case HK_READ_IN:
        read_begin(x);
        break;
    case HK_READ_OUT:
        read_end(x);
        break;
    case HK_CLOSE:
        if (x->rax)
            pl_conn_end((const void *)x->rax, 1);
        break;
    }
    errno = saved;
}

/* ---- patching ------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int entry, ret;
} targets[] = {
    {"crypto/tls.(*Conn).Write", HK_WRITE, -1},
    {"crypto/tls.(*Conn).Read", HK_READ_IN, HK_READ_OUT},
    {"crypto/tls.(*Conn).Close", HK_CLOSE, -1},
};

static void patch_go(void)
{
    const char *why = NULL, *how = "";
    pl_go_exe e;
    if (pl_go_exe_open(&e, &why) != 0) {
        pl_debug("Go program: %s; crypto/tls not hooked", why);
        return;
    }
    if (e.major != 1 || e.minor < 17) {
        pl_debug("Go program built by %s: only go1.17+ (register ABI) is supported; crypto/tls not hooked",
                 e.version[0] ? e.version : "an unknown Go version");
        goto out;
    }
    if (pl_go_patch_init(&why) != 0) {
        pl_debug("Go %s: %s; crypto/tls not hooked", e.version, why);
        goto out;
    }
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        uintptr_t addr;
        size_t size;
        if (pl_go_exe_func(&e, targets[i].name, &addr, &size, &how) != 0) {
            pl_debug("Go %s: %s not found (no TLS in this program?); crypto/tls not hooked", e.version, targets[i].name);
            goto out;
        }
        if (pl_go_patch_plan(&g_plan, addr, size, targets[i].entry, targets[i].ret, &why) != 0) {
            pl_debug("Go %s: %s: %s; crypto/tls not hooked", e.version, targets[i].name, why);
            goto out;
        }
    }
    if (pl_go_patch_apply(&g_plan, &why) != 0) {
        pl_debug("Go %s: %s; crypto/tls not hooked", e.version, why);
        goto out;
    }
    pl_debug("Go %s: crypto/tls hooked at %zu sites (functions from %s)", e.version, g_plan.n, how);
out:
    pl_go_exe_close(&e);
}

/* Runs before the Go runtime starts its threads: the constructors of preloaded libraries run
 * before the executable's entry point. Loaded later (dlopen into a running Go program), code
 * that goroutines may be executing must not be rewritten: a second thread means the runtime is
 * up, and nothing is patched. */
__attribute__((constructor)) static void go_hooks_init(void)
{
    int saved = errno;
    if (pl_go_exe_is_go() && !pl_config_get()->disabled) {
        if (!pl_patch_enabled())
            pl_debug("Go program: PROMPTLOG_PATCH=0, crypto/tls not hooked");
        else if (pl_thread_count() != 1)
            pl_debug("Go program already running (library loaded late?): crypto/tls not hooked");
        else
            patch_go();
    }
    errno = saved;
}
