/* patch_entry.h — function entry patching on x86-64: the first instructions of a function are
 * replaced by a jump to a hook, and the hook gets a trampoline that runs them and jumps back.
 *
 * Why this mechanism: a function defined inside the executable (node's OpenSSL, a program linked
 * with libssl.a) is called directly by its neighbours, through no PLT or GOT slot we could change.
 *
 * Contract (all checked before a single byte changes; on any doubt the function is left alone
 * and one PROMPTLOG_DEBUG line names it and the reason):
 * - Instructions are decoded with capstone (patch_mem.h); the whole function (size from its
 *   symbol) must decode, and no branch in it may land inside the bytes the jump overwrites.
 * - An endbr64 first stays in place (indirect calls keep working under IBT); the trampoline
 *   starts with its own endbr64.
 * - Only instructions that relocate exactly are moved: RIP-relative operands get their
 *   displacement fixed, rel8/rel32 jmp, jcc and call are re-encoded as rel32; anything else
 *   relative (loop, jrcxz), ret, int, or an operand that no longer reaches is refused.
 * - The overwritten bytes are one 5-byte jmp rel32 to a stub in a page within +-1.5 GiB; the
 *   stub jumps to the hook through an absolute address. Pages are never writable+executable at
 *   once except the patched code page for the one memcpy (pl_mem_write restores it).
 * - Call only while no other thread can run the function: in the constructor, or on an object
 *   dlopen has not returned yet. */
#ifndef PL_PATCH_ENTRY_H
#define PL_PATCH_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* A patch built but not yet written: the trampoline page is sealed, the entry untouched. Lets a
 * caller patch a group all or nothing (a patched SSL_write without its SSL_read would record
 * requests without answers). */
typedef struct pl_entry_patch {
    const char *name;
    uint8_t *page;      /* trampoline page; NULL once applied or discarded */
    uintptr_t at;       /* first byte to overwrite */
    size_t n;           /* bytes to overwrite (the whole moved instructions) */
    uint8_t bytes[16];
} pl_entry_patch;

/* Checks and builds everything; 0 when ready, -1 (with one debug line) when fn is refused. */
PL_HIDDEN int pl_patch_prepare(const char *name, void *fn, size_t size, void *hook,
                               pl_entry_patch *out);
/* Writes the entry jump; returns the trampoline, or NULL (page freed) if the write is refused. */
PL_HIDDEN void *pl_patch_apply(pl_entry_patch *p);
/* Drops a prepared patch that will not be applied. */
PL_HIDDEN void pl_patch_discard(pl_entry_patch *p);

/* prepare + apply. Redirects fn (size bytes, from its symbol) to hook. Returns the trampoline — calling it runs
 * the original function — or NULL when fn was left untouched. name is for debug lines. */
PL_HIDDEN void *pl_patch_entry(const char *name, void *fn, size_t size, void *hook);

#endif
