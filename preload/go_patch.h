/* go_patch.h — hooking Go functions in place (amd64, Go register ABI): finds patchable sites
 * with capstone, builds trampolines next to the code, and rewrites the sites to jump to them.
 *
 * A site is either the instruction right after a function's stack-bound check (an "entry" site:
 * the arguments are still in their ABI registers, and a morestack restart does not run the hook
 * twice) or an instruction sequence ending in `ret` (a "return" site: the results are in their
 * ABI registers). At a site the trampoline saves every general register, switches to a stack of
 * our own for the thread, calls pl_go_on_hook(site, regs), restores the registers, zeroes X15
 * (the Go ABI's zero register, which C may clobber), then runs the displaced instructions and
 * jumps back. C never runs on a goroutine stack, and our code is never at a PC the Go runtime
 * knows, so asynchronous preemption (SIGURG) leaves it alone.
 *
 * Only what capstone decodes exactly is moved. A function is refused when: some byte does not
 * decode; it has an indirect jump (a jump table) or a jump out of itself (a tail call); its
 * entry has no `cmp reg,[r14+16]; jbe` stack check in the first three instructions; the
 * instructions after that check are not plain (a branch, call, RIP-relative operand) or some
 * branch or call return lands inside them; a `ret` has an operand, or its epilogue has fewer
 * than 5 bytes of plain instructions that write only RSP/RBP (a result-setting `mov` must run
 * before the hook, not after); with a return hook, it has no `ret`.
 * pl_go_patch_plan() only reads; pl_go_patch_apply() writes everything or nothing (trampolines
 * within +-1.5 GiB of the code, then every site with patch_mem's pl_mem_write_all). The plan must live as
 * long as the process (its sites are what the trampolines point to). Constructor time only: no
 * Go thread runs yet. Single-threaded use. */
#ifndef PL_GO_PATCH_H
#define PL_GO_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* The registers as the stub saved them; go_stub.S writes this layout (keep both in step). */
typedef struct pl_go_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15, rbp, rsp;
    uint64_t stack_top; /* this thread's hook stack (0 until the first hook on the thread) */
} pl_go_regs;

typedef struct pl_go_site {
    void *cont;           /* offset 0, read by go_stub.S: the trampoline's way back */
    int hook;             /* caller's tag, passed back in pl_go_on_hook */
    uintptr_t at;         /* first patched byte */
    size_t len;           /* bytes displaced (>= 5) */
    int ends_in_ret;
} pl_go_site;

#define PL_GO_MAX_SITES 48

typedef struct pl_go_plan {
    pl_go_site sites[PL_GO_MAX_SITES];
    size_t n;
} pl_go_plan;

/* Loads capstone (patch_mem: dlopen'ed, so a program with nothing to patch never maps it) and
 * checks that the system allows executable memory. Returns 0, or -1 with *why. */
PL_HIDDEN int pl_go_patch_init(const char **why);

/* Adds the entry site of the function at [addr, addr+size) (hook tag `entry_hook`), and, when
 * ret_hook >= 0, every return site (tag ret_hook). Returns 0, or -1 with *why (plan unchanged
 * in meaning: the caller gives up on the whole binary). */
PL_HIDDEN int pl_go_patch_plan(pl_go_plan *p, uintptr_t addr, size_t size, int entry_hook,
                               int ret_hook, const char **why);

/* Builds the trampolines and rewrites every site. All or nothing: 0, or -1 with *why and the
 * code untouched. */
PL_HIDDEN int pl_go_patch_apply(pl_go_plan *p, const char **why);

/* Implemented by the user of this module (go_hook.c): runs on our own stack with the Go
 * registers in *r (results of a return site in rax/rbx/rcx, g in r14). Must not change *r. */
PL_HIDDEN void pl_go_on_hook(const pl_go_site *site, pl_go_regs *r);

#endif
