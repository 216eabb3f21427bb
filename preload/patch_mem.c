/* patch_mem.c — capstone loaded at run time, near code pages and protected writes for the
 * patchers (see patch_mem.h for the contract). */
#include "patch_mem.h"

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

const pl_capstone_api *pl_capstone(void)
{
    if (g_cs_state)
        return g_cs_state > 0 ? &g_cs : NULL;
    g_cs_state = -1;
    /* The versioned name: the unversioned .so only exists with the -dev package. */
    void *h = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        pl_debug("patch: libcapstone.so.4 not available (%s): functions are not patched",
                 dlerror());
        return NULL;
    }
    *(void **)&g_cs.open = dlsym(h, "cs_open");
    *(void **)&g_cs.option = dlsym(h, "cs_option");
    *(void **)&g_cs.disasm = dlsym(h, "cs_disasm");
    *(void **)&g_cs.free = dlsym(h, "cs_free");
    *(void **)&g_cs.close = dlsym(h, "cs_close");
    if (!g_cs.open || !g_cs.option || !g_cs.disasm || !g_cs.free || !g_cs.close) {
        pl_debug("patch: libcapstone.so.4 lacks a cs_* function: functions are not patched");
        return NULL;
    }
    g_cs_state = 1;
    return &g_cs;
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

int pl_wx_allowed(void)
{
    static int state; /* 0 untried, 1 yes, -1 no */
    if (state)
        return state > 0;
    state = -1;
    void *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        pl_debug("patch: no memory for a probe page: functions are not patched");
        return 0;
    }
    int r = pl_mprotect_fn(p, page_size(), PROT_READ | PROT_EXEC);
    int e = errno;
    munmap(p, page_size());
    if (r != 0) {
        pl_debug("patch: the system refuses executable memory (%s; systemd MemoryDenyWriteExecute?): "
                 "functions are not patched", strerror(e));
        return 0;
    }
    state = 1;
    return 1;
}

uint8_t *pl_near_page(uintptr_t near)
{
    const size_t ps = page_size();
    const uintptr_t span = (uintptr_t)3 << 29; /* 1.5 GiB: rel32 reaches +-2 GiB */
    uintptr_t base = near & ~(uintptr_t)(ps - 1);
    /* Try below and above the target, 1 MiB apart: MAP_FIXED_NOREPLACE never clobbers a
     * mapping, and a plain hint lets the kernel pick something near when the slot is taken. */
    for (uintptr_t off = (uintptr_t)1 << 20; off < span; off += (uintptr_t)1 << 24) {
        for (int side = 0; side < 2; side++) {
            uintptr_t want = side ? base + off : base - off;
            if (side == 0 && base < off + ps)
                continue;
            void *p = mmap((void *)want, ps, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p == MAP_FAILED)
                continue;
            uintptr_t got = (uintptr_t)p;
            if ((got > near ? got - near : near - got) < span)
                return p;
            munmap(p, ps);
        }
    }
    return NULL;
}

int pl_near_seal(uint8_t *page)
{
    if (pl_mprotect_fn(page, page_size(), PROT_READ | PROT_EXEC) == 0)
        return 0;
    munmap(page, page_size());
    return -1;
}

void pl_near_free(uint8_t *page)
{
    if (page)
        munmap(page, page_size());
}

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

int pl_mem_write(void *dst, const void *src, size_t n)
{
    const size_t ps = page_size();
    uintptr_t a = (uintptr_t)dst, lo = a & ~(uintptr_t)(ps - 1), end = 0;
    int prot = prot_of(a, &end);
    if (prot < 0 || end < a + n) { /* unknown, or the bytes straddle two mappings */
        pl_debug("patch: cannot read the protection of %p: not patched", dst);
        return -1;
    }
    size_t len = ((a + n + ps - 1) & ~(uintptr_t)(ps - 1)) - lo;
    if (!(prot & PROT_WRITE)) {
        if (pl_mprotect_fn((void *)lo, len, prot | PROT_WRITE) != 0) {
            pl_debug("patch: the system refuses to make %p writable (%s): not patched", dst,
                     strerror(errno));
            return -1;
        }
    }
    memcpy(dst, src, n);
    if (!(prot & PROT_WRITE) && pl_mprotect_fn((void *)lo, len, prot) != 0)
        pl_debug("patch: could not restore the protection of %p", dst);
    return 0;
}
