/* test_patch.c — the entry patcher on functions of this test program with known bytes: a
 * RIP-relative first instruction after endbr64, a jcc rel8 and a call rel32 in the moved bytes
 * (patched; hook runs; trampoline gives the original result), a branch into the patched bytes
 * (refused, untouched), and W^X refusals simulated through pl_mprotect_fn (untouched, working).
 * GOT patching of this program's own import of getpid (RELRO made writable and restored).
 * Also the ELF reader (util/elf.c) on this very file: symbols and loaded sections.
 * Compiles the preload files it needs in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../util/elf.h"
#include "../../preload/patch_entry.c"
#include "../../preload/patch_got.c"
#include "../../preload/patch_mem.c"
#include "../../preload/runtime.c"

int g_value = 7;
__asm__(".text\n"
        ".globl t_riprel\n.type t_riprel,@function\nt_riprel:\n"
        "  endbr64\n  movl g_value(%rip), %eax\n  addl %edi, %eax\n  ret\n"
        ".size t_riprel, .-t_riprel\n"
        ".globl t_jcc\n.type t_jcc,@function\nt_jcc:\n"
        "  testq %rdi, %rdi\n  je 1f\n  leaq 1(%rdi), %rax\n  ret\n1:\n  movq $-1, %rax\n  ret\n"
        ".size t_jcc, .-t_jcc\n"
        ".globl t_helper\n.type t_helper,@function\nt_helper:\n  movl $41, %eax\n  ret\n"
        ".size t_helper, .-t_helper\n"
        ".globl t_call\n.type t_call,@function\nt_call:\n"
        "  call t_helper\n  addl $1, %eax\n  ret\n  nop\n  nop\n"
        ".size t_call, .-t_call\n"
        ".globl t_refused\n.type t_refused,@function\nt_refused:\n"
        "  jmp 1f\n  int3\n1:\n  leaq 2(%rdi), %rax\n  ret\n  nop\n  nop\n  nop\n"
        ".size t_refused, .-t_refused\n");
int t_riprel(int a);
long t_jcc(long a);
int t_call(void);
long t_refused(long a);

static size_t fn_size(void *fn)
{
    /* Not exported: the ELF reader finds them in .symtab. */
    pl_elf *e = pl_elf_open("/proc/self/exe");
    assert_non_null(e);
    uint64_t v = 0, sz = 0;
    const char *name = fn == (void *)t_riprel ? "t_riprel" : fn == (void *)t_jcc ? "t_jcc"
                     : fn == (void *)t_call ? "t_call" : "t_refused";
    assert_int_equal(pl_elf_find(e, name, &v, &sz), PL_ELF_SYMTAB);
    pl_elf_close(e);
    return (size_t)sz;
}

static int deny_all(void *a, size_t l, int p) { (void)a; (void)l; (void)p; errno = EACCES; return -1; }
static int deny_write(void *a, size_t l, int p)
{
    if (p & PROT_WRITE) {
        errno = EACCES;
        return -1;
    }
    return mprotect(a, l, p);
}

static int (*tramp_riprel)(int);
static long (*tramp_jcc)(long);
static int (*tramp_call)(void);
static int hits;
static int hook_riprel(int a) { hits++; return tramp_riprel(a) + 1000; }
static long hook_jcc(long a) { hits++; return tramp_jcc(a) * 10; }
static int hook_call(void) { hits++; return tramp_call() + 100; }
static long hook_refused(long a) { (void)a; hits++; return 0; }

/* Must run first: pl_wx_allowed() remembers its answer. */
static void test_wx_denied(void **st)
{
    (void)st;
    if (!pl_capstone())
        skip();
    uint8_t before[16];
    memcpy(before, (void *)t_riprel, sizeof before);
    pl_mprotect_fn = deny_all;
    assert_int_equal(pl_wx_allowed(), 0);
    assert_null(pl_patch_entry("t_riprel", (void *)t_riprel, fn_size((void *)t_riprel), (void *)hook_riprel));
    pl_mprotect_fn = deny_write; /* trampoline page sealed, code page refused */
    assert_null(pl_patch_entry("t_riprel", (void *)t_riprel, fn_size((void *)t_riprel), (void *)hook_riprel));
    pl_mprotect_fn = mprotect;
    assert_memory_equal(before, (void *)t_riprel, sizeof before);
    assert_int_equal(t_riprel(3), 10);
    assert_int_equal(hits, 0);
}

static void test_refused(void **st)
{
    (void)st;
    if (!pl_capstone())
        skip();
    uint8_t before[12];
    memcpy(before, (void *)t_refused, sizeof before);
    assert_null(pl_patch_entry("t_refused", (void *)t_refused, fn_size((void *)t_refused), (void *)hook_refused));
    assert_memory_equal(before, (void *)t_refused, sizeof before);
    assert_int_equal(t_refused(5), 7);
    assert_null(pl_patch_entry("t_riprel", (void *)t_riprel, 3, (void *)hook_riprel)); /* bad size */
    assert_int_equal(hits, 0);
}

static void test_patched(void **st)
{
    (void)st;
    if (!pl_capstone())
        skip();
    *(void **)&tramp_riprel = pl_patch_entry("t_riprel", (void *)t_riprel, fn_size((void *)t_riprel), (void *)hook_riprel);
    assert_non_null(tramp_riprel);
    assert_memory_equal((void *)t_riprel, ENDBR64, 4); /* endbr64 kept first */
    assert_memory_equal((void *)tramp_riprel, ENDBR64, 4);
    assert_int_equal(t_riprel(3), 1010);   /* hook ran, moved RIP-relative load read g_value */
    g_value = 8;
    assert_int_equal(t_riprel(3), 1011);
    *(void **)&tramp_jcc = pl_patch_entry("t_jcc", (void *)t_jcc, fn_size((void *)t_jcc), (void *)hook_jcc);
    assert_non_null(tramp_jcc);
    assert_int_equal(t_jcc(4), 50);        /* fall through the relocated je */
    assert_int_equal(t_jcc(0), -10);       /* taken: the rel32 je reaches the original target */
    *(void **)&tramp_call = pl_patch_entry("t_call", (void *)t_call, fn_size((void *)t_call), (void *)hook_call);
    assert_non_null(tramp_call);
    assert_int_equal(t_call(), 142);
    assert_int_equal(hits, 5);
    /* the code page is read+execute again */
    assert_int_equal(prot_of((uintptr_t)t_riprel, &(uintptr_t){0}), PROT_READ | PROT_EXEC);
}

static void test_elf(void **st)
{
    (void)st;
    pl_elf *e = pl_elf_open("/proc/self/exe");
    assert_non_null(e);
    assert_true(pl_elf_dynamic(e));
    assert_true(pl_elf_has_symtab(e));
    uint64_t v, s;
    assert_int_equal(pl_elf_find(e, "no_such_function_here", &v, &s), PL_ELF_NONE);
    assert_int_equal(pl_elf_find(e, "g_value", &v, &s), PL_ELF_NONE); /* an object, not a function */
    /* a loaded section's link-time range holds the functions defined in it; .symtab is not loaded */
    uint64_t text;
    size_t text_len;
    assert_int_equal(pl_elf_section_addr(e, ".text", &text, &text_len), 1);
    assert_int_equal(pl_elf_find(e, "t_jcc", &v, &s), PL_ELF_SYMTAB);
    assert_true(v >= text && v + s <= text + text_len);
    assert_int_equal(pl_elf_section_addr(e, ".symtab", &text, &text_len), 0);
    assert_int_equal(pl_elf_section_addr(e, ".no_such_section", &text, &text_len), 0);
    pl_elf_close(e);
    assert_null(pl_elf_open("/nonexistent"));
    assert_null(pl_elf_open("/etc/hostname"));
}

static pid_t fake_getpid(void) { return 424242; }
static void *g_to;
static void *choose_getpid(const char *name, void *arg)
{
    (void)arg;
    return strcmp(name, "getpid") == 0 ? g_to : NULL;
}
static int got_main(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(int *)arg = pl_got_patch(info, choose_getpid, NULL);
    return 1; /* the executable only */
}

static void test_got(void **st)
{
    (void)st;
    pid_t real = getpid();
    void *real_fn = dlsym(RTLD_DEFAULT, "getpid");
    assert_non_null(real_fn);
    int n = 0;
    g_to = (void *)fake_getpid;
    dl_iterate_phdr(got_main, &n);
    assert_true(n >= 1);
    assert_int_equal(getpid(), 424242);      /* the import slot now leads to the replacement */
    g_to = real_fn;
    dl_iterate_phdr(got_main, &n);
    assert_int_equal(getpid(), real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wx_denied),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_patched),
        cmocka_unit_test(test_elf),
        cmocka_unit_test(test_got),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
