/* test_go_patch.c — the Go hook planner on hand-assembled Go-shaped functions: the entry site is
 * right after the stack check, each `ret` gets a site over its epilogue, and everything we cannot
 * move exactly is refused (jump table, branch into a displaced sequence, no stack check,
 * RIP-relative operand, an epilogue that sets a result, a tail jump); applying writes a jump to a
 * trampoline holding the displaced bytes, or, when writable code is refused, nothing at all; a
 * patched function really runs through the stub (preload/go_stub.S, included): registers kept,
 * hooks on a stack of their own, XMM15 zeroed.
 * Compiles preload/go_patch.c and patch_mem.c in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/mman.h>

/* W^X simulated through pl_mprotect_fn: with g_deny_wx set, any request for writable code fails
 * like an MDWE kernel. */
static int g_deny_wx, g_allow_writable; /* with g_deny_wx: this many requests pass first */
static int fake_mprotect(void *a, size_t n, int prot)
{
    if (g_deny_wx && (prot & PROT_WRITE) && (prot & PROT_EXEC) && g_allow_writable-- <= 0) {
        errno = EACCES;
        return -1;
    }
    return mprotect(a, n, prot);
}
#include "../../preload/go_patch.c"
#include "../../preload/patch_mem.c"
#include "../../preload/runtime.c"

/* The real stub (plain assembler, no preprocessor), and call_go(fn, in, out): loads every
 * general register but RSP from *in (pl_go_regs layout), sets XMM15 to all ones, calls fn,
 * stores every register to *out and XMM15's low half to out->rsp. */
__asm__(".include \"preload/go_stub.S\"\n"
        "        .text\n"
        "        .type call_go, @function\n"
        "call_go:\n"
        "        push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "        push %rdx\n"                       /* out */
        "        push %rdi\n"                       /* fn */
        "        mov %rsi, %rax\n"
        "        mov 8(%rax), %rbx; mov 16(%rax), %rcx; mov 24(%rax), %rdx; mov 40(%rax), %rdi\n"
        "        mov 48(%rax), %r8; mov 56(%rax), %r9; mov 64(%rax), %r10; mov 72(%rax), %r11\n"
        "        mov 80(%rax), %r12; mov 88(%rax), %r13; mov 96(%rax), %r14; mov 104(%rax), %r15\n"
        "        mov 112(%rax), %rbp; mov 32(%rax), %rsi; mov 0(%rax), %rax\n"
        "        pcmpeqd %xmm15, %xmm15\n"
        "        call *(%rsp)\n"
        "        push %rax\n"
        "        mov 16(%rsp), %rax\n"               /* out */
        "        mov %rbx, 8(%rax); mov %rcx, 16(%rax); mov %rdx, 24(%rax); mov %rsi, 32(%rax)\n"
        "        mov %rdi, 40(%rax); mov %r8, 48(%rax); mov %r9, 56(%rax); mov %r10, 64(%rax)\n"
        "        mov %r11, 72(%rax); mov %r12, 80(%rax); mov %r13, 88(%rax); mov %r14, 96(%rax)\n"
        "        mov %r15, 104(%rax); mov %rbp, 112(%rax); movq %xmm15, 120(%rax)\n"
        "        pop %rbx; mov %rbx, 0(%rax)\n"
        "        add $16, %rsp\n"
        "        pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "        ret\n");
void call_go(const void *fn, const pl_go_regs *in, pl_go_regs *out);

/* What the hooks saw: tag, registers, and whether they ran off the caller's stack. */
static struct {
    int n;
    int hook[4];
    pl_go_regs regs[4];
    uintptr_t sp[4];
} g_seen;

void pl_go_on_hook(const pl_go_site *site, pl_go_regs *r)
{
    if (g_seen.n < 4) {
        int probe;
        g_seen.hook[g_seen.n] = site->hook;
        g_seen.regs[g_seen.n] = *r;
        g_seen.sp[g_seen.n] = (uintptr_t)&probe;
        g_seen.n++;
    }
}

/* A Go 1.19-shaped method:
 *  0 cmp rsp,[r14+0x10]   4 jbe 30   6 sub rsp,0x18   10 mov [rsp+0x10],rbp   15 lea rbp,[rsp+0x10]
 * 20 mov rbp,[rsp+0x10]  25 add rsp,0x18   29 ret   30 (morestack tail) jmp 0 */
static const uint8_t GOOD[] = {
    0x49, 0x3b, 0x66, 0x10, 0x76, 0x18, 0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x6c, 0x24, 0x10,
    0x48, 0x8d, 0x6c, 0x24, 0x10, 0x48, 0x8b, 0x6c, 0x24, 0x10, 0x48, 0x83, 0xc4, 0x18, 0xc3,
    0xeb, 0xe0,
};

static int plan(const uint8_t *code, size_t n, int ret_hook, pl_go_plan *p, const char **why)
{
    memset(p, 0, sizeof *p);
    *why = NULL;
    return pl_go_patch_plan(p, (uintptr_t)code, n, 1, ret_hook, why);
}

static int setup(void **state)
{
    (void)state;
    const char *why;
    if (pl_go_patch_init(&why) != 0)
        fail_msg("capstone: %s", why);
    return 0;
}

static void test_good(void **state)
{
    (void)state;
    pl_go_plan p;
    const char *why;
    assert_int_equal(plan(GOOD, sizeof GOOD, 2, &p, &why), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.sites[0].at, (uintptr_t)GOOD + 6); /* after the jbe */
    assert_int_equal(p.sites[0].len, 9);                  /* sub (4) + mov (5) */
    assert_int_equal(p.sites[0].hook, 1);
    assert_int_equal(p.sites[0].ends_in_ret, 0);
    assert_int_equal(p.sites[1].at, (uintptr_t)GOOD + 25); /* add rsp + ret */
    assert_int_equal(p.sites[1].len, 5);
    assert_int_equal(p.sites[1].hook, 2);
    assert_int_equal(p.sites[1].ends_in_ret, 1);
    /* entry only */
    assert_int_equal(plan(GOOD, sizeof GOOD, -1, &p, &why), 0);
    assert_int_equal(p.n, 1);
}

static void refused(const uint8_t *code, size_t n, const char *reason)
{
    pl_go_plan p;
    const char *why;
    assert_int_equal(plan(code, n, 2, &p, &why), -1);
    assert_int_equal(p.n, 0);
    assert_non_null(why);
    assert_string_equal(why, reason);
}

static void test_jump_table(void **state)
{
    (void)state;
    uint8_t c[sizeof GOOD];
    memcpy(c, GOOD, sizeof c);
    c[30] = 0xff, c[31] = 0xe0; /* jmp rax */
    refused(c, sizeof c, "indirect jump (jump table) in the function");
}

static void test_branch_into_epilogue(void **state)
{
    (void)state;
    uint8_t c[sizeof GOOD];
    memcpy(c, GOOD, sizeof c);
    c[31] = 0xfd; /* jmp 29: lands on the ret, inside the displaced add+ret */
    refused(c, sizeof c, "a return sequence cannot be moved");
}

static void test_no_stack_check(void **state)
{
    (void)state;
    uint8_t c[sizeof GOOD];
    memcpy(c, GOOD, sizeof c);
    memset(c, 0x90, 6); /* nops instead of cmp/jbe */
    refused(c, sizeof c, "no Go stack check at the function entry");
}

static void test_rip_relative_entry(void **state)
{
    (void)state;
    /* 0 cmp  4 jbe 18  6 mov rax,[rip+0] (7)  13 add rsp,0  17 ret  18 jmp 0 */
    static const uint8_t c[] = {
        0x49, 0x3b, 0x66, 0x10, 0x76, 0x0c, 0x48, 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00,
        0x48, 0x83, 0xc4, 0x00, 0xc3, 0xeb, 0xec,
    };
    refused(c, sizeof c, "entry instructions cannot be moved");
}

static void test_epilogue_sets_result(void **state)
{
    (void)state;
    /* as GOOD, but the epilogue is `mov rax,rbx; pop rbp; ret`: the hook must not run before
     * the result is in RAX, and nothing else of 5 bytes can be displaced */
    static const uint8_t c[] = {
        0x49, 0x3b, 0x66, 0x10, 0x76, 0x0c, 0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0xd8, 0x5d,
        0xc3, 0x90, 0x90, 0x90, 0xeb, 0xec,
    };
    refused(c, sizeof c, "a return sequence cannot be moved");
}

static void test_tail_jump(void **state)
{
    (void)state;
    uint8_t c[sizeof GOOD + 3];
    memcpy(c, GOOD, sizeof GOOD);
    c[30] = 0xe9; /* jmp rel32 far outside the function */
    memcpy(c + 31, (const uint8_t[]){0x00, 0x10, 0x00, 0x00}, 4);
    refused(c, sizeof c, "a jump leaves the function");
}

static void test_undecodable(void **state)
{
    (void)state;
    uint8_t c[sizeof GOOD + 1];
    memcpy(c, GOOD, sizeof GOOD);
    c[sizeof GOOD] = 0x0f; /* a truncated two-byte opcode at the end */
    refused(c, sizeof c, "undecodable bytes in the function");
}

/* GOOD copied into executable memory of its own, as the code of a loaded binary would be. */
static uint8_t *load_good(void)
{
    uint8_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    memcpy(m + 64, GOOD, sizeof GOOD);
    assert_int_equal(mprotect(m, 4096, PROT_READ | PROT_EXEC), 0);
    return m + 64;
}

static void test_apply(void **state)
{
    (void)state;
    static pl_go_plan p; /* sites must outlive the code that jumps to them */
    const char *why;
    uint8_t *code = load_good();
    assert_int_equal(plan(code, sizeof GOOD, 2, &p, &why), 0);
    assert_int_equal(pl_go_patch_apply(&p, &why), 0);
    for (size_t i = 0; i < p.n; i++) {
        const pl_go_site *s = &p.sites[i];
        const uint8_t *at = (const uint8_t *)s->at;
        assert_int_equal(at[0], 0xE9); /* jmp rel32 */
        int32_t rel;
        memcpy(&rel, at + 1, 4);
        const uint8_t *tramp = at + 5 + rel;
        /* the trampoline parks r12 with an %fs store, and its way back (cont) holds the
         * displaced instructions byte for byte, then a jump back unless they end in ret */
        assert_int_equal(tramp[0], 0x64);
        const uint8_t *cont = s->cont;
        assert_true(cont > tramp && cont < tramp + TRAMP_SLOT);
        assert_memory_equal(cont + 18, GOOD + (s->at - (uintptr_t)code), s->len);
        if (!s->ends_in_ret) {
            uint64_t back;
            assert_int_equal(cont[18 + s->len], 0xFF);
            memcpy(&back, cont + 18 + s->len + 6, 8);
            assert_int_equal(back, s->at + s->len);
        }
        for (size_t k = 5; k < s->len; k++)
            assert_int_equal(at[k], 0xCC);
    }
    /* untouched bytes stay */
    assert_memory_equal(code, GOOD, 6);
    assert_memory_equal(code + 15, GOOD + 15, 10);
}

/* Applies GOOD, loaded afresh, with writable code refused after `allow` requests passed:
 * refused, nothing written, the code read+execute again. */
static void apply_denied(int allow)
{
    static pl_go_plan p[2]; /* one per call: sites must outlive any code that jumps to them */
    static int k;
    const char *why;
    uint8_t *code = load_good();
    assert_int_equal(plan(code, sizeof GOOD, 2, &p[k], &why), 0);
    assert_int_equal(p[k].n, 2);
    g_deny_wx = 1;
    g_allow_writable = allow;
    pl_mprotect_fn = fake_mprotect;
    int r = pl_go_patch_apply(&p[k++], &why);
    pl_mprotect_fn = mprotect;
    g_deny_wx = 0;
    assert_int_equal(r, -1);
    assert_non_null(strstr(why, "writable (Permission denied; W^X policy?)"));
    assert_memory_equal(code, GOOD, sizeof GOOD);
    uintptr_t end;
    assert_int_equal(prot_of((uintptr_t)code, &end), PROT_READ | PROT_EXEC);
}

static void test_apply_wx_denied(void **state)
{
    (void)state;
    apply_denied(0);
    assert_int_equal(g_allow_writable, -1); /* refused at the first site */
}

/* The second site's page refused after the first was made writable: the first is put back and
 * neither is written (all or nothing). */
static void test_apply_second_denied(void **state)
{
    (void)state;
    apply_denied(1);
    assert_int_equal(g_allow_writable, -1); /* both sites were asked for */
}

/* The patched function really runs: the hooks see the Go argument registers and g at entry and
 * return, on a stack of their own; the caller gets every register back and XMM15 zeroed. */
static void test_execute(void **state)
{
    (void)state;
    static pl_go_plan p;
    const char *why;
    uint8_t *code = load_good();
    assert_int_equal(plan(code, sizeof GOOD, 2, &p, &why), 0);
    assert_int_equal(pl_go_patch_apply(&p, &why), 0);
    uintptr_t fake_g[4] = {0x1000, 0x2000, 0 /* stackguard0: never below rsp */, 0};
    pl_go_regs in, out;
    uint64_t *w = (uint64_t *)&in;
    for (size_t i = 0; i < 15; i++)
        w[i] = 0x1111111111111111ull * (i + 1);
    in.r14 = (uintptr_t)fake_g;
    memset(&out, 0x5a, sizeof out);
    memset(&g_seen, 0, sizeof g_seen);
    call_go(code, &in, &out);
    assert_int_equal(g_seen.n, 2);
    assert_int_equal(g_seen.hook[0], 1); /* entry */
    assert_int_equal(g_seen.hook[1], 2); /* return */
    for (int k = 0; k < 2; k++) {
        const pl_go_regs *r = &g_seen.regs[k];
        assert_int_equal(r->rax, in.rax);
        assert_int_equal(r->rbx, in.rbx);
        assert_int_equal(r->rcx, in.rcx);
        assert_int_equal(r->rdi, in.rdi);
        assert_int_equal(r->r11, in.r11);
        assert_int_equal(r->r12, in.r12); /* parked by the trampoline, before anything used it */
        assert_int_equal(r->r13, in.r13);
        assert_int_equal(r->r14, in.r14);
        assert_int_equal(r->r15, in.r15);
        /* on the thread's hook stack, not the caller's */
        assert_true(g_seen.sp[k] < pl_go_tls.stack_top && g_seen.sp[k] > pl_go_tls.stack_top - 256 * 1024);
    }
    const uint64_t *a = (const uint64_t *)&in, *b = (const uint64_t *)&out;
    for (size_t i = 0; i < 15; i++)
        assert_int_equal(b[i], a[i]);
    assert_int_equal(out.rsp, 0); /* XMM15 zeroed */
    call_go(code, &in, &out); /* a second call: the stack is reused */
    assert_int_equal(g_seen.n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_jump_table),
        cmocka_unit_test(test_branch_into_epilogue),
        cmocka_unit_test(test_no_stack_check),
        cmocka_unit_test(test_rip_relative_entry),
        cmocka_unit_test(test_epilogue_sets_result),
        cmocka_unit_test(test_tail_jump),
        cmocka_unit_test(test_undecodable),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_apply_wx_denied),
        cmocka_unit_test(test_apply_second_denied),
        cmocka_unit_test(test_execute),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
