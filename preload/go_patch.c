/* go_patch.c — in-place hooks on Go functions (go_patch.h): capstone finds and checks the sites,
 * this file writes the trampolines next to the code and the 5-byte jumps that reach them.
 *
 * Why each choice:
 * - capstone, the near memory and the writes into the code are patch_mem's, shared with the other
 *   patchers: capstone is loaded only in a process with something to patch, and its detail mode
 *   tells branches and RIP-relative operands apart, which is all we need to know that displaced
 *   bytes mean the same at their new address.
 * - The trampolines sit within +-1.5 GiB of the code so a site is one `jmp rel32`: nothing longer
 *   has to be displaced, and no register is needed to reach them.
 * - The trampoline parks R12/R13 in our thread's TLS block with %fs-relative stores (the offset
 *   is the same on every thread for initial-exec TLS) before using them, so no Go register is
 *   lost even though the Go ABI treats R12/R13 as scratch. */
#include "go_patch.h"

#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "patch_mem.h"

/* The per-thread register block the stubs use (go_stub.S reaches it via its TLS offset). */
PL_HIDDEN __thread pl_go_regs pl_go_tls __attribute__((tls_model("initial-exec")));
PL_HIDDEN void pl_go_stub(void); /* go_stub.S */

static const pl_capstone_api *cs;
static size_t cs_h; /* one handle in detail mode, for the life of the process */

int pl_go_patch_init(const char **why)
{
    if (cs)
        return 0;
    const pl_capstone_api *api = pl_capstone_get(why);
    if (!api || !pl_wx_check(why))
        return -1;
    if (api->open(CS_ARCH_X86, CS_MODE_64, &cs_h) != CS_ERR_OK ||
        api->option(cs_h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
        *why = "capstone does not work";
        return -1;
    }
    cs = api;
    return 0;
}

/* Means the same at any address, and neither leaves nor enters the sequence. */
static int plain(const cs_insn *in)
{
    static const int flow[] = {CS_GRP_JUMP, CS_GRP_CALL, CS_GRP_RET, CS_GRP_INT, CS_GRP_IRET,
                               CS_GRP_BRANCH_RELATIVE, CS_GRP_PRIVILEGE};
    for (size_t i = 0; i < sizeof flow / sizeof flow[0]; i++)
        if (pl_insn_in_group(in, flow[i]))
            return 0;
    const cs_x86 *x = &in->detail->x86;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_MEM &&
            (x->operands[i].mem.base == X86_REG_RIP || x->operands[i].mem.index == X86_REG_RIP))
            return 0;
    for (int i = 0; i < in->detail->regs_read_count; i++)
        if (in->detail->regs_read[i] == X86_REG_RIP)
            return 0;
    return 1;
}

/* An epilogue instruction: writes nothing but RSP, RBP and flags. A return site's hook runs
 * before the displaced instructions, so they must not be the ones that set the results
 * (RAX, RBX, RCX) or anything else the hook reads. */
static int epilogue_only(const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    for (int i = 0; i < x->op_count; i++) {
        const cs_x86_op *o = &x->operands[i];
        if (!(o->access & CS_AC_WRITE))
            continue;
        if (o->type != X86_OP_REG || (o->reg != X86_REG_RSP && o->reg != X86_REG_RBP))
            return 0;
    }
    for (int i = 0; i < in->detail->regs_write_count; i++) {
        unsigned r = in->detail->regs_write[i];
        if (r != X86_REG_RSP && r != X86_REG_RBP && r != X86_REG_EFLAGS)
            return 0;
    }
    return 1;
}

/* Every address control can arrive at other than by falling through: direct branch targets and
 * the return address after each call. */
typedef struct targets {
    uint64_t *v;
    size_t n;
} targets;

static int lands_inside(const targets *t, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i] > lo && t->v[i] < hi)
            return 1;
    return 0;
}

static int add_site(pl_go_plan *p, uintptr_t at, size_t len, int hook, int ret, const char **why)
{
    for (size_t i = 0; i < p->n; i++)
        if (at < p->sites[i].at + p->sites[i].len && p->sites[i].at < at + len) {
            *why = "overlapping sites";
            return -1;
        }
    if (len > 40) { /* keeps a trampoline within TRAMP_SLOT */
        *why = "displaced sequence too long";
        return -1;
    }
    if (p->n == PL_GO_MAX_SITES) {
        *why = "too many return sites";
        return -1;
    }
    pl_go_site *s = &p->sites[p->n++];
    memset(s, 0, sizeof *s);
    s->at = at;
    s->len = len;
    s->hook = hook;
    s->ends_in_ret = ret;
    return 0;
}

int pl_go_patch_plan(pl_go_plan *p, uintptr_t addr, size_t size, int entry_hook, int ret_hook,
                     const char **why)
{
    cs_insn *in = NULL;
    size_t n = cs->disasm(cs_h, (const uint8_t *)addr, size, addr, 0, &in);
    int rc = -1;
    targets t = {calloc(n + 1, sizeof(uint64_t)), 0};
    size_t before = p->n;
    if (!n || !t.v) {
        *why = "cannot disassemble";
        goto out;
    }
    /* Go pads functions with int3 up to the next one; anything capstone cannot decode before
     * the end means we do not understand this code. */
    if (in[n - 1].address + in[n - 1].size != addr + size) {
        *why = "undecodable bytes in the function";
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const cs_x86 *x = &in[i].detail->x86;
        int jump = pl_insn_in_group(&in[i], CS_GRP_JUMP), call = pl_insn_in_group(&in[i], CS_GRP_CALL);
        if (!jump && !call)
            continue;
        if (call)
            t.v[t.n++] = in[i].address + in[i].size;
        else if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            t.v[t.n++] = (uint64_t)x->operands[0].imm;
            /* A jump out of the function (a tail call) would be a way out that skips the
             * return sites. */
            if ((uint64_t)x->operands[0].imm < addr || (uint64_t)x->operands[0].imm >= addr + size) {
                *why = "a jump leaves the function";
                goto out;
            }
        } else {
            *why = "indirect jump (jump table) in the function";
            goto out;
        }
    }
    /* Entry: `cmp rsp|r12, [r14+16]` (g.stackguard0) then `jbe morestack`, within the first
     * three instructions; the site is what follows, where the stack is known to be big enough. */
    size_t i = 0;
    for (; i + 1 < n && i < 3; i++) {
        const cs_x86 *x = &in[i].detail->x86;
        if (in[i].id == X86_INS_CMP && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
            x->operands[1].mem.base == X86_REG_R14 && x->operands[1].mem.disp == 16 &&
            in[i + 1].id == X86_INS_JBE)
            break;
    }
    if (i + 1 >= n || i == 3) {
        *why = "no Go stack check at the function entry";
        goto out;
    }
    size_t j = i + 2, len = 0;
    for (; j < n && len < 5; j++) {
        if (!plain(&in[j])) {
            *why = "entry instructions cannot be moved";
            goto out;
        }
        len += in[j].size;
    }
    if (len < 5 || lands_inside(&t, in[i + 2].address, in[i + 2].address + len)) {
        *why = "entry instructions cannot be moved";
        goto out;
    }
    if (add_site(p, (uintptr_t)in[i + 2].address, len, entry_hook, 0, why) != 0)
        goto out;
    /* Returns: `ret` and the plain instructions before it (the epilogue), at least 5 bytes. */
    size_t rets = 0;
    for (size_t r = 0; ret_hook >= 0 && r < n; r++) {
        if (!pl_insn_in_group(&in[r], CS_GRP_RET))
            continue;
        if (in[r].id != X86_INS_RET || in[r].detail->x86.op_count != 0) {
            *why = "an unusual return instruction";
            goto out;
        }
        size_t k = r, rlen = in[r].size;
        while (rlen < 5 && k > 0 && plain(&in[k - 1]) && epilogue_only(&in[k - 1]))
            rlen += in[--k].size;
        if (rlen < 5 || lands_inside(&t, in[k].address, in[r].address + 1)) {
            *why = "a return sequence cannot be moved";
            goto out;
        }
        if (add_site(p, (uintptr_t)in[k].address, rlen, ret_hook, 1, why) != 0)
            goto out;
        rets++;
    }
    if (ret_hook >= 0 && !rets) {
        *why = "no return instruction";
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        p->n = before;
    free(t.v);
    if (in)
        cs->free(in, n);
    return rc;
}

/* ---- code generation ----------------------------------------------------------------------- */

#define TRAMP_SLOT 128 /* bytes per site: 60 of fixed code + at most 15+4*15 displaced, rounded */

static uint8_t *put(uint8_t *o, const void *b, size_t n)
{
    memcpy(o, b, n);
    return o + n;
}

/* mov %r12|%r13 <-> %fs:disp32  (load: 8B, store: 89; ModRM reg = r12 (4) or r13 (5)) */
static uint8_t *fs_mov(uint8_t *o, int load, int reg, int32_t disp)
{
    uint8_t b[9] = {0x64, 0x4C, load ? 0x8B : 0x89, (uint8_t)(((reg & 7) << 3) | 4), 0x25};
    memcpy(b + 5, &disp, 4);
    return put(o, b, 9);
}

static uint8_t *jmp_abs(uint8_t *o, uint64_t to)
{
    static const uint8_t j[6] = {0xFF, 0x25, 0, 0, 0, 0}; /* jmp *0(%rip) */
    o = put(o, j, 6);
    return put(o, &to, 8);
}

static uintptr_t thread_pointer(void)
{
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

int pl_go_patch_apply(pl_go_plan *p, const char **why)
{
    if (!p->n) {
        *why = "nothing to patch";
        return -1;
    }
    uintptr_t lo = p->sites[0].at, hi = lo;
    for (size_t i = 0; i < p->n; i++) {
        if (p->sites[i].at < lo)
            lo = p->sites[i].at;
        if (p->sites[i].at + p->sites[i].len > hi)
            hi = p->sites[i].at + p->sites[i].len;
    }
    size_t size = p->n * TRAMP_SLOT;
    uint8_t *mem = pl_near_alloc(lo, hi, size);
    if (!mem) {
        *why = "no memory for trampolines near the code";
        return -1;
    }
    intptr_t d12 = (intptr_t)&pl_go_tls.r12 - (intptr_t)thread_pointer();
    intptr_t d13 = (intptr_t)&pl_go_tls.r13 - (intptr_t)thread_pointer();
    if (d12 != (int32_t)d12 || d13 != (int32_t)d13) {
        pl_near_free_size(mem, size);
        *why = "TLS block out of reach";
        return -1;
    }
    memset(mem, 0xCC, size);
    for (size_t i = 0; i < p->n; i++) {
        pl_go_site *s = &p->sites[i];
        uint8_t *o = mem + i * TRAMP_SLOT;
        o = fs_mov(o, 0, 12, (int32_t)d12);
        o = fs_mov(o, 0, 13, (int32_t)d13);
        uint64_t site = (uint64_t)(uintptr_t)s;
        o = put(o, (const uint8_t[]){0x49, 0xBC}, 2); /* movabs $site, %r12 */
        o = put(o, &site, 8);
        o = jmp_abs(o, (uint64_t)(uintptr_t)pl_go_stub);
        s->cont = o;
        o = fs_mov(o, 1, 12, (int32_t)d12);
        o = fs_mov(o, 1, 13, (int32_t)d13);
        o = put(o, (const void *)s->at, s->len);
        if (!s->ends_in_ret)
            o = jmp_abs(o, s->at + s->len);
    }
    if (pl_near_seal_size(mem, size) != 0) { /* unmapped by the seal */
        *why = "cannot make the trampolines executable (W^X policy?)";
        return -1;
    }
    /* Each site becomes `jmp trampoline` and int3 over the rest of the displaced bytes (never
     * executed: nothing jumps inside, checked by the plan), all written or none. */
    uint8_t jumps[PL_GO_MAX_SITES][40];
    pl_mem_chunk chunk[PL_GO_MAX_SITES];
    for (size_t i = 0; i < p->n; i++) {
        pl_go_site *s = &p->sites[i];
        int32_t rel = (int32_t)((intptr_t)(mem + i * TRAMP_SLOT) - (intptr_t)(s->at + 5));
        memset(jumps[i], 0xCC, s->len);
        jumps[i][0] = 0xE9;
        memcpy(jumps[i] + 1, &rel, 4);
        chunk[i] = (pl_mem_chunk){(void *)s->at, jumps[i], s->len};
    }
    if (pl_mem_write_all(chunk, p->n, why) != 0) {
        pl_near_free_size(mem, size); /* sealed, but nothing jumps to it */
        return -1;
    }
    __builtin___clear_cache((char *)lo, (char *)hi);
    return 0;
}
