/* symbols.c — resolves the real libcurl/OpenSSL/GnuTLS functions behind our hooks at run time,
 * so libpromptlog.so never links those libraries and works with whichever copy the host loaded. */
#include "symbols.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Any address inside this object, to recognise (and skip) ourselves among the loaded objects. */
static void *self_marker(void) { return (void *)&self_marker; }

/* Whether p lies in this object. Comparing with the hook's address is not enough: when the
 * library is dlopen'ed RTLD_LOCAL rather than preloaded, `&curl_easy_setopt` taken in our own
 * code resolves through the global scope to the host's libcurl, and the real function would be
 * refused as "ourselves". Our segments are looked up once: dladdr on an address in libc scans
 * libc's whole symbol table, and the constructors resolve two dozen hooks in every process. */
#define SELF_MAX_SEGMENTS 8
static uintptr_t g_self_lo[SELF_MAX_SEGMENTS], g_self_hi[SELF_MAX_SEGMENTS];
static int g_self_n;
static pthread_once_t g_self_once = PTHREAD_ONCE_INIT;

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t me = (uintptr_t)arg;
    int mine = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz)
            mine = 1;
    }
    if (!mine)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && g_self_n < SELF_MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        g_self_lo[g_self_n] = info->dlpi_addr + ph->p_vaddr;
        g_self_hi[g_self_n] = g_self_lo[g_self_n] + ph->p_memsz;
        g_self_n++;
    }
    return 1;
}

static void self_init(void)
{
    dl_iterate_phdr(find_self, self_marker());
}

static int in_self(void *p)
{
    pthread_once(&g_self_once, self_init);
    for (int i = 0; i < g_self_n; i++)
        if ((uintptr_t)p >= g_self_lo[i] && (uintptr_t)p < g_self_hi[i])
            return 1;
    return 0;
}

struct search {
    const char *name;
    void *self;             /* our hook, never returned */
    const char *own_path;   /* our own object's file name */
    void *found;
};

static int search_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct search *s = arg;
    const char *path = info->dlpi_name;
    if (!path || !*path)   /* the main program: already covered by RTLD_NEXT / default scope */
        return 0;
    if (s->own_path && strcmp(path, s->own_path) == 0)
        return 0;
    /* RTLD_NOLOAD never loads anything: it only hands out a reference to an object that is
     * already mapped, even one opened RTLD_LOCAL whose symbols RTLD_NEXT cannot see. */
    void *h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
    if (!h)
        return 0;
    void *p = dlsym(h, s->name);
    dlclose(h);
    if (p && p != s->self && !in_self(p)) {
        s->found = p;
        return 1;
    }
    return 0;
}

void *pl_real_symbol(const char *name, void *self)
{
    int saved = errno;
    void *p = dlsym(RTLD_NEXT, name);
    if (p && (p == self || in_self(p)))
        p = NULL;
    if (!p) {
        Dl_info me;
        struct search s = {name, in_self(self) ? self : NULL, NULL, NULL};
        if (dladdr((void *)self_marker(), &me) && me.dli_fname)
            s.own_path = me.dli_fname;
        dl_iterate_phdr(search_object, &s);
        p = s.found;
    }
    if (!p)
        pl_debug("symbol %s not found in any loaded object", name);
    errno = saved;
    return p;
}
