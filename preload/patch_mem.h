/* patch_mem.h — the shared ground under every code patcher (entry patches, GOT patches, Go):
 * capstone loaded at run time, code pages near a target, and writes into protected memory.
 *
 * Contract:
 * - Nothing here links libcapstone: pl_capstone() dlopen's libcapstone.so.4 on first use, so a
 *   program with nothing to patch never maps it. NULL when it is not installed.
 * - pl_wx_allowed() probes once whether the kernel lets us make fresh memory executable (systemd's
 *   MemoryDenyWriteExecute forbids it); every patcher asks before touching anything.
 * - pl_near_page() hands out one executable-to-be page within +-1.5 GiB of an address, so rel32
 *   jumps and RIP-relative operands reach from it; it is writable until pl_near_seal() makes it
 *   read+execute. A sealed page is never made writable again (another thread may run it).
 *   pl_near_alloc() is the same for a region of any size that must reach a whole code range.
 * - pl_mem_write() copies bytes over live memory whose current protection it reads from
 *   /proc/self/maps, and restores that protection afterwards. On any refusal nothing is written.
 *   pl_mem_write_all() does several such copies as one: every page is made writable before the
 *   first byte is copied, so a refusal anywhere leaves all of them untouched.
 * - The functions taking `why` are quiet and give the reason to the caller, who says it in its
 *   own one debug line; the others say it themselves under PROMPTLOG_DEBUG.
 * - pl_mprotect_fn is the one mprotect every write and seal goes through; unit tests replace it
 *   to simulate a W^X refusal.
 * Not thread-safe: callers patch only while single-threaded (constructor) or under their own lock. */
#ifndef PL_PATCH_MEM_H
#define PL_PATCH_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

#if defined(__x86_64__)
#define PL_PATCH_SUPPORTED 1
#else
#define PL_PATCH_SUPPORTED 0
#endif

/* The few capstone entry points we use, resolved from libcapstone.so.4. Types are capstone's
 * (its headers are included by users for the structures only). */
struct cs_insn;
typedef struct pl_capstone {
    int (*open)(int arch, int mode, size_t *handle);
    int (*option)(size_t handle, int type, size_t value);
    size_t (*disasm)(size_t handle, const uint8_t *code, size_t size, uint64_t address,
                     size_t count, struct cs_insn **insn);
    void (*free)(struct cs_insn *insn, size_t count);
    int (*close)(size_t *handle);
} pl_capstone_api;

/* capstone, or NULL (not installed, or a symbol missing): said once under PROMPTLOG_DEBUG. */
PL_HIDDEN const pl_capstone_api *pl_capstone(void);
/* The same, quiet: NULL with *why. Loaded (or refused) once for every patcher. */
PL_HIDDEN const pl_capstone_api *pl_capstone_get(const char **why);

/* 1 when fresh anonymous memory can be made executable (probed once), else 0 with a debug line. */
PL_HIDDEN int pl_wx_allowed(void);
/* The same, quiet: 0 with *why. */
PL_HIDDEN int pl_wx_check(const char **why);

/* A fresh writable page within +-1.5 GiB of near, or NULL. */
PL_HIDDEN uint8_t *pl_near_page(uintptr_t near);
/* Makes the page read+execute; 0 on success. On failure the page is unmapped (it never ran). */
PL_HIDDEN int pl_near_seal(uint8_t *page);
/* Gives back a page that was never sealed. */
PL_HIDDEN void pl_near_free(uint8_t *page);

/* size bytes (whole pages) of fresh writable memory from which rel32 reaches every byte of
 * [lo, hi) (within +-1.5 GiB of all of it), or NULL. Sealed and freed with the same size. */
PL_HIDDEN uint8_t *pl_near_alloc(uintptr_t lo, uintptr_t hi, size_t size);
PL_HIDDEN int pl_near_seal_size(uint8_t *mem, size_t size);
PL_HIDDEN void pl_near_free_size(uint8_t *mem, size_t size);

/* Writes n bytes at dst, making its pages writable (and executable when they were) only for the
 * copy; 0 on success, -1 if the protection could not be read or changed (nothing written). */
PL_HIDDEN int pl_mem_write(void *dst, const void *src, size_t n);

/* Several writes, all or none: 0, or -1 with *why and nothing written. */
typedef struct pl_mem_chunk {
    void *dst;
    const void *src;
    size_t n;
} pl_mem_chunk;
PL_HIDDEN int pl_mem_write_all(const pl_mem_chunk *c, size_t n, const char **why);

/* 1 when the capstone instruction (decoded with CS_OPT_DETAIL) is in group g (CS_GRP_*). */
PL_HIDDEN int pl_insn_in_group(const struct cs_insn *in, int g);

/* Threads in this process (from /proc/self/task), 0 if unknown. Code is rewritten only while
 * the process is single-threaded: a second thread may be running the bytes being replaced. */
PL_HIDDEN int pl_thread_count(void);

PL_HIDDEN extern int (*pl_mprotect_fn)(void *addr, size_t len, int prot);

#endif
