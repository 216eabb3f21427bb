/* patch_got.h — import-table (GOT) patching: rewrites the slots through which one loaded object
 * calls functions in others, so its calls reach our hooks although the dynamic linker bound
 * them elsewhere (RTLD_DEEPBIND, as PHP loads its extensions).
 *
 * Why this mechanism for deep-bound objects: their calls go through PLT/GOT slots like any
 * other, only resolved in a different order; one aligned 8-byte store per slot redirects them,
 * no code is rewritten and nothing needs decoding.
 *
 * Contract: only R_X86_64_JUMP_SLOT and R_X86_64_GLOB_DAT relocations (their aarch64
 * equivalents elsewhere) of the object are considered; a slot is rewritten when choose() returns
 * a replacement for its symbol name. RELRO slots are made writable for the store and restored
 * (pl_mem_write). Call on objects no other thread is using yet (before dlopen returns). */
#ifndef PL_PATCH_GOT_H
#define PL_PATCH_GOT_H

#include <link.h>

#include "runtime.h"

/* Returns the replacement for an import of name, or NULL to leave it. */
typedef void *(*pl_got_choose)(const char *name, void *arg);

/* Patches the object described by info; returns the number of slots rewritten. */
PL_HIDDEN int pl_got_patch(const struct dl_phdr_info *info, pl_got_choose choose, void *arg);

#endif
