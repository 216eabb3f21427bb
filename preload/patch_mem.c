/* patch_mem.c — capstone loaded at run time, near code pages and protected writes for the
 * patchers: node/PHP/libssl.a entry patches, GOT patches and Go (see patch_mem.h). */
#include "patch_mem.h"

#include <capstone/capstone.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int (*pl_mprotect_fn)(void *addr, size_t len, int prot) = mprotect;

static pl_capstone_api g_cs;
static int g_cs_state; /* 0 untried, 1 loaded, -1 unavailable */
static char g_cs_why[200];

const pl_capstone_api *pl_capstone_get(const char **why)
{
    if (g_cs_state) {
        *why = g_cs_why;
        return g_cs_state > 0 ? &g_cs : NULL;
    }
    g_cs_state = -1;
    *why = g_cs_why;
    /* The versioned name: the unversioned .so only exists with the -dev package. */
    void *h = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(g_cs_why, sizeof g_cs_why, "libcapstone.so.4 not available (%s)", dlerror());
        return NULL;
    }
    *(void **)&g_cs.open = dlsym(h, "cs_open");
    *(void **)&g_cs.option = dlsym(h, "cs_option");
    *(void **)&g_cs.disasm = dlsym(h, "cs_disasm");
    *(void **)&g_cs.free = dlsym(h, "cs_free");
    *(void **)&g_cs.close = dlsym(h, "cs_close");
    if (!g_cs.open || !g_cs.option || !g_cs.disasm || !g_cs.free || !g_cs.close) {
        snprintf(g_cs_why, sizeof g_cs_why, "libcapstone.so.4 lacks a cs_* function");
        return NULL;
    }
    g_cs_state = 1;
    return &g_cs;
}

const pl_capstone_api *pl_capstone(void)
{
    int first = !g_cs_state;
    const char *why;
    const pl_capstone_api *cs = pl_capstone_get(&why);
    if (!cs && first)
        pl_debug("patch: %s: functions are not patched", why);
    return cs;
}

int pl_insn_in_group(const struct cs_insn *in, int g)
{
    for (int i = 0; i < in->detail->groups_count; i++)
        if (in->detail->groups[i] == g)
            return 1;
    return 0;
}

static size_t page_size(void)
{
    static size_t ps;
    if (!ps) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
    }
    return ps;
}

static int g_wx_state; /* 0 untried, 1 yes, -1 no */
static char g_wx_why[200];

int pl_wx_check(const char **why)
{
    *why = g_wx_why;
    if (g_wx_state)
        return g_wx_state > 0;
    g_wx_state = -1;
    void *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(g_wx_why, sizeof g_wx_why, "no memory for a probe page");
        return 0;
    }
    int r = pl_mprotect_fn(p, page_size(), PROT_READ | PROT_EXEC);
    int e = errno;
    munmap(p, page_size());
    if (r != 0) {
        snprintf(g_wx_why, sizeof g_wx_why,
                 "the system refuses executable memory (%s; systemd MemoryDenyWriteExecute?)",
                 strerror(e));
        return 0;
    }
    g_wx_state = 1;
    return 1;
}

int pl_wx_allowed(void)
{
    int first = !g_wx_state;
    const char *why;
    int ok = pl_wx_check(&why);
    if (!ok && first)
        pl_debug("patch: %s: functions are not patched", why);
    return ok;
}

/* Below the code first, then above it past a 256 MiB gap (right after an executable is where
 * brk grows), 16 MiB apart: MAP_FIXED_NOREPLACE never clobbers a mapping, and a kernel that
 * ignores it (older than 4.17) treats the address as a hint, so every result is checked. */
uint8_t *pl_near_alloc(uintptr_t lo, uintptr_t hi, size_t size)
{
    const size_t ps = page_size();
    const uintptr_t span = (uintptr_t)3 << 29, gap = (uintptr_t)1 << 28; /* rel32: +-2 GiB */
    size = (size + ps - 1) & ~(uintptr_t)(ps - 1);
    if (hi < lo || !size || hi - lo + size >= span)
        return NULL;
    uintptr_t below = lo & ~(uintptr_t)(ps - 1), above = (hi + ps - 1) & ~(uintptr_t)(ps - 1);
    for (uintptr_t off = (uintptr_t)1 << 20; off < span; off += (uintptr_t)1 << 24) {
        for (int side = 0; side < 2; side++) {
            if (side == 0 && below < off + size + ps)
                continue;
            uintptr_t want = side ? above + gap + off : below - off - size;
            void *p = mmap((void *)want, size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p == MAP_FAILED)
                continue;
            uintptr_t got = (uintptr_t)p, first = got < lo ? got : lo;
            uintptr_t last = got + size > hi ? got + size : hi;
            if (last - first < span)
                return p;
            munmap(p, size);
        }
    }
    return NULL;
}

int pl_near_seal_size(uint8_t *mem, size_t size)
{
    if (pl_mprotect_fn(mem, size, PROT_READ | PROT_EXEC) == 0)
        return 0;
    munmap(mem, size);
    return -1;
}

void pl_near_free_size(uint8_t *mem, size_t size)
{
    if (mem)
        munmap(mem, size);
}

uint8_t *pl_near_page(uintptr_t near) { return pl_near_alloc(near, near, page_size()); }
int pl_near_seal(uint8_t *page) { return pl_near_seal_size(page, page_size()); }
void pl_near_free(uint8_t *page) { pl_near_free_size(page, page_size()); }

/* The protection of the mapping that holds addr, from /proc/self/maps; -1 if not found. Read
 * rather than assumed: a GOT lies in RELRO (read-only after relocation), code is r-x. */
static int prot_of(uintptr_t addr, uintptr_t *end)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return -1;
    }
    char line[512];
    int prot = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
            continue;
        if (addr >= lo && addr < hi) {
            prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                   (perms[2] == 'x' ? PROT_EXEC : 0);
            *end = hi;
            break;
        }
    }
    fclose(f);
    return prot;
}

/* What pl_mem_write_all changed on one chunk's pages, to put back. */
typedef struct {
    uintptr_t lo;
    size_t len;
    int prot;
} mem_undo;

static void restore(const mem_undo *u, size_t n)
{
    for (size_t i = n; i-- > 0;) /* reverse: a page two chunks share gets its first prot back */
        if (!(u[i].prot & PROT_WRITE) && pl_mprotect_fn((void *)u[i].lo, u[i].len, u[i].prot) != 0)
            pl_debug("patch: could not restore the protection of %p", (void *)u[i].lo);
}

int pl_mem_write_all(const pl_mem_chunk *c, size_t n, const char **why)
{
    static char msg[200];
    const size_t ps = page_size();
    mem_undo u[64];
    *why = msg;
    if (n > sizeof u / sizeof u[0]) {
        snprintf(msg, sizeof msg, "too many places to write");
        return -1;
    }
    /* Every protection is read before any is changed: two chunks on one page see the same. */
    for (size_t i = 0; i < n; i++) {
        uintptr_t a = (uintptr_t)c[i].dst, end = 0;
        u[i].prot = prot_of(a, &end);
        if (u[i].prot < 0 || end < a + c[i].n) { /* unknown, or the bytes straddle two mappings */
            snprintf(msg, sizeof msg, "cannot read the protection of %p", c[i].dst);
            return -1;
        }
        u[i].lo = a & ~(uintptr_t)(ps - 1);
        u[i].len = ((a + c[i].n + ps - 1) & ~(uintptr_t)(ps - 1)) - u[i].lo;
    }
    for (size_t i = 0; i < n; i++) {
        if (u[i].prot & PROT_WRITE)
            continue;
        if (pl_mprotect_fn((void *)u[i].lo, u[i].len, u[i].prot | PROT_WRITE) != 0) {
            snprintf(msg, sizeof msg, "the system refuses to make %p writable (%s; W^X policy?)",
                     c[i].dst, strerror(errno));
            restore(u, i);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        memcpy(c[i].dst, c[i].src, c[i].n);
    restore(u, n);
    return 0;
}

int pl_mem_write(void *dst, const void *src, size_t n)
{
    const pl_mem_chunk c = {dst, src, n};
    const char *why;
    if (pl_mem_write_all(&c, 1, &why) == 0)
        return 0;
    pl_debug("patch: %s: not patched", why);
    return -1;
}

int pl_thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}
