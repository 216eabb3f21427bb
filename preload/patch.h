/* patch.h — what the patchers (patch_exe.c, patch_dlopen.c) need from the hook modules, and the
 * switch that turns them off.
 *
 * A hook module lists its targets: the function's name, the hook's own address (not `&SSL_write`
 * taken in the module, which the dynamic linker may resolve to the executable's definition) and
 * the slot the hook calls as "the real function". A patcher that redirects the function stores
 * the trampoline (entry patch) or the original address (GOT patch) in that slot before the first
 * redirected call can happen, so the hook body is shared by every path and an exchange is still
 * recorded once (pl_in_hook/pl_in_curl keep their meaning). A target with hook NULL is only
 * resolved (a helper the hooks call, e.g. SSL_get_error). */
#ifndef PL_PATCH_H
#define PL_PATCH_H

#include <stddef.h>

#include "runtime.h"

typedef struct pl_patch_target {
    const char *name;
    void *hook;
    void **real;
} pl_patch_target;

/* hook_openssl.c: SSL_read/_ex, SSL_write/_ex, SSL_new, SSL_shutdown, SSL_free, SSL_get_error. */
PL_HIDDEN const pl_patch_target *pl_openssl_patch_targets(size_t *n);

/* 0 when PROMPTLOG_PATCH=0 (or off/false/no), the library is disabled, or the architecture is
 * not supported; read once. */
PL_HIDDEN int pl_patch_enabled(void);

#endif
