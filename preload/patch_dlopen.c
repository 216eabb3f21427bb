/* patch_dlopen.c — a dlopen hook that GOT-patches objects loaded with RTLD_DEEPBIND before
 * dlopen returns them: their imports of libcurl/OpenSSL/GnuTLS functions we hook are pointed at
 * our hooks, as plain interposition would have done without the flag (PHP's curl extension).
 *
 * Why the hook is a few lines of assembly: dlopen looks at its caller (the return address) to
 * pick the RUNPATH searched for a bare name and the namespace. A C wrapper would make us the
 * caller of every dlopen in the process. The stub tail-jumps to the real dlopen for every call
 * without RTLD_DEEPBIND, so those keep their caller; only deep-bound loads go through C, where
 * we must run after the load (their bare names are searched without the caller's RUNPATH: PHP
 * passes absolute paths).
 * Why patching here is safe: no other thread has the handle yet, so none can be calling through
 * the slots; each slot is one aligned pointer store. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "doctor_report.h"
#include "patch.h"
#include "patch_got.h"

typedef void *(*dlopen_fn)(const char *, int);

PL_HIDDEN dlopen_fn pl_real_dlopen_ptr;
PL_HIDDEN void *pl_dlopen_slow(const char *file, int mode);

#if defined(__x86_64__)
__asm__(".text\n"
        ".globl dlopen\n"
        ".type dlopen,@function\n"
        "dlopen:\n"
        "  .cfi_startproc\n"
        "  endbr64\n"
        "  testl $0x8, %esi\n"                   /* RTLD_DEEPBIND */
        "  jnz 1f\n"
        "  movq pl_real_dlopen_ptr(%rip), %rax\n"
        "  testq %rax, %rax\n"
        "  jz 1f\n"
        "  jmp *%rax\n"
        "1:\n"
        "  jmp pl_dlopen_slow\n"
        "  .cfi_endproc\n"
        ".size dlopen, .-dlopen\n");
#endif

static dlopen_fn real_dlopen(void)
{
    dlopen_fn f = __atomic_load_n(&pl_real_dlopen_ptr, __ATOMIC_ACQUIRE);
    if (!f) {
        *(void **)&f = dlsym(RTLD_NEXT, "dlopen");
        __atomic_store_n(&pl_real_dlopen_ptr, f, __ATOMIC_RELEASE);
    }
    return f;
}

__attribute__((constructor)) static void patch_dlopen_init(void)
{
    int saved = errno;
    real_dlopen();
    errno = saved;
}

static int count_objects(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    (*(int *)arg)++;
    return 0;
}

/* Any address in this object, and our own handle, to look our hooks up by name. */
static void *self_marker(void) { return (void *)&self_marker; }

typedef struct {
    void *self;            /* our handle */
    void *self_base;
    int index, first_new;  /* objects at index >= first_new were mapped by this dlopen */
    int slots, objects;
} walk;

static void *choose(const char *name, void *arg)
{
    walk *w = arg;
    if (strncmp(name, "curl_", 5) != 0 && strncmp(name, "SSL_", 4) != 0 &&
        strncmp(name, "gnutls_", 7) != 0)
        return NULL;
    void *p = dlsym(w->self, name);
    Dl_info di;
    if (!p || !dladdr(p, &di) || di.dli_fbase != w->self_base)
        return NULL; /* not one of our hooks */
    return p;
}

static int patch_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    walk *w = arg;
    if (w->index++ < w->first_new || (void *)info->dlpi_addr == w->self_base)
        return 0;
    int n = pl_got_patch(info, choose, w);
    w->slots += n;
    w->objects += n > 0;
    pl_doctor_note_got(n);
    return 0;
}

void *pl_dlopen_slow(const char *file, int mode)
{
    dlopen_fn real = real_dlopen();
    if (!real) {
        errno = ENOSYS;
        return NULL;
    }
    if (!(mode & RTLD_DEEPBIND) || !pl_patch_enabled())
        return real(file, mode);
    int before = 0;
    dl_iterate_phdr(count_objects, &before);
    void *h = real(file, mode);
    if (!h)
        return NULL; /* dlerror() still describes the failure: we made no dl* call since */
    int saved = errno;
    Dl_info me;
    walk w = {NULL, NULL, 0, before, 0, 0};
    if (dladdr((void *)self_marker(), &me) && me.dli_fname) {
        w.self_base = me.dli_fbase;
        w.self = real(me.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
    }
    if (w.self) {
        dl_iterate_phdr(patch_object, &w);
        dlclose(w.self);
        if (w.slots)
            pl_debug("patch: deep-bound %s: %d import slots in %d objects pointed at our hooks",
                     file ? file : "(main)", w.slots, w.objects);
    }
    errno = saved;
    return h;
}
