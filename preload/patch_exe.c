/* patch_exe.c — at start-up, entry-patches the OpenSSL functions defined inside the main
 * executable (node, a program linked with libssl.a), whose callers bind to them directly.
 *
 * Why entry patching here and not the GOT: calls inside one executable are direct `call rel32`
 * instructions; there is no import slot to rewrite. Why in the constructor: it runs before the
 * executable's own initialisers, while the process is single-threaded, so no thread can be
 * executing the bytes we replace. A program with no such function pays for one read of its
 * ELF headers and .dynsym (and .symtab, only if its string table holds the name); capstone is
 * loaded only when there is something to patch. */
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor_report.h"
#include "patch.h"
#include "../util/elf.h"
#include "patch_entry.h"
#include "patch_mem.h"

static int g_patched;

int pl_patch_enabled(void)
{
    static int state; /* 0 unread, 1 on, -1 off */
    if (!state) {
        const char *v = getenv("PROMPTLOG_PATCH");
        int off = pl_config_disabled_env() || !PL_PATCH_SUPPORTED ||
                  (v && (!strcmp(v, "0") || !strcasecmp(v, "off") || !strcasecmp(v, "false") ||
                         !strcasecmp(v, "no")));
        state = off ? -1 : 1;
    }
    return state > 0;
}

/* The main program is the first object dl_iterate_phdr reports; its dlpi_addr is the load bias
 * (0 for a non-PIE executable such as node). */
static int first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uintptr_t *)arg = (uintptr_t)info->dlpi_addr;
    return 1;
}

__attribute__((constructor)) static void patch_exe_init(void)
{
    int saved = errno;
    if (!pl_patch_enabled()) {
        errno = saved;
        return;
    }
    pl_elf *e = pl_elf_open("/proc/self/exe");
    if (!e) {
        errno = saved;
        return;
    }
    size_t n;
    const pl_patch_target *t = pl_openssl_patch_targets(&n);
    struct found { uint64_t value, size; int where; } f[16];
    int hooks = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        f[i].where = pl_elf_find(e, t[i].name, &f[i].value, &f[i].size);
        if (f[i].where && t[i].hook)
            hooks++;
    }
    pl_elf_close(e);
    if (!hooks) {
        errno = saved;
        return;
    }
    int threads = pl_thread_count();
    if (threads != 1) {
        pl_debug("patch: the process runs %d threads (library loaded late?): the executable's "
                 "OpenSSL is not patched", threads);
        errno = saved;
        return;
    }
    if (!pl_wx_allowed()) {
        errno = saved;
        return;
    }
    uintptr_t bias = 0;
    dl_iterate_phdr(first_object, &bias);
    /* Build every patch first, write them only if every data function (read/write) is ready:
     * a half-patched pair would record requests without answers. */
    pl_entry_patch p[16];
    int refused_data = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        p[i].page = NULL;
        if (!f[i].where)
            continue;
        void *addr = (void *)(bias + f[i].value);
        /* Our own hook, when this library's objects are linked into the executable itself (the
         * unit tests): redirecting it to itself would loop. */
        if (addr == t[i].hook)
            continue;
        if (!t[i].hook) {
            __atomic_store_n(t[i].real, addr, __ATOMIC_RELEASE);
            continue;
        }
        if (pl_patch_prepare(t[i].name, addr, (size_t)f[i].size, t[i].hook, &p[i]) != 0 &&
            (strstr(t[i].name, "_read") || strstr(t[i].name, "_write")))
            refused_data = 1;
    }
    char list[256] = "";
    size_t used = 0;
    const char *how = "";
    for (size_t i = 0; i < n && i < 16; i++) {
        if (!p[i].page)
            continue;
        if (refused_data) {
            pl_patch_discard(&p[i]);
            continue;
        }
        void *tramp = pl_patch_apply(&p[i]);
        if (!tramp)
            continue;
        __atomic_store_n(t[i].real, tramp, __ATOMIC_RELEASE);
        g_patched++;
        how = f[i].where == PL_ELF_DYNSYM ? "exported" : ".symtab only";
        int w = snprintf(list + used, sizeof list - used, " %s", t[i].name);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    pl_doctor_note_patched(g_patched);
    if (refused_data)
        pl_debug("patch: the executable's OpenSSL is not patched: a read/write function was refused");
    else if (g_patched)
        pl_debug("patch: entry-patched in the executable (%s):%s", how, list);
    errno = saved;
}
