/* test_go_patch.c — the Go hook planner on hand-assembled Go-shaped functions: the entry site is
 * right after the stack check, each `ret` gets a site over its epilogue, and everything we cannot
 * move exactly is refused (jump table, branch into a displaced sequence, no stack check,
 * RIP-relative operand, an epilogue that sets a result, a tail jump); applying writes a jump to a
 * trampoline holding the displaced bytes, or, when writable code is refused, nothing at all.
 * Compiles preload/go_patch.c in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/mman.h>

/* W^X simulated: with g_deny_wx set, any request for writable code fails like an MDWE kernel. */
static int g_deny_wx;
static int fake_mprotect(void *a, size_t n, int prot)
{
    if (g_deny_wx && (prot & PROT_WRITE) && (prot & PROT_EXEC)) {
        errno = EACCES;
        return -1;
    }
    return mprotect(a, n, prot);
}
#define mprotect fake_mprotect
#include "../../preload/go_patch.c"
#undef mprotect

void pl_go_stub(void) {}
void pl_go_on_hook(const pl_go_site *site, pl_go_regs *r) { (void)site; (void)r; }

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

static void test_apply_wx_denied(void **state)
{
    (void)state;
    static pl_go_plan p;
    const char *why;
    uint8_t *code = load_good();
    assert_int_equal(plan(code, sizeof GOOD, 2, &p, &why), 0);
    g_deny_wx = 1;
    int r = pl_go_patch_apply(&p, &why);
    g_deny_wx = 0;
    assert_int_equal(r, -1);
    assert_string_equal(why, "cannot make the code writable (W^X policy?)");
    assert_memory_equal(code, GOOD, sizeof GOOD); /* nothing written */
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
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
